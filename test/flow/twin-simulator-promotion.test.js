'use strict';
const assert = require('node:assert/strict');
const { helper, load, collect, statuses, waitFor } = require('../support/flow-helper');

const TEMP = 'line1/oven/temperature';
const POWER = 'line1/oven/power';
const LOSS = 'line1/oven/loss';
const TRUE_K = 0.06;

/** The oven of twin-simulator.test.js: the model says k = 0.05, the plant's k is 0.06. */
const physics = {
  states: { T: { signal: TEMP, unit: 'degC', initial: 20 } },
  inputs: { P: { signal: POWER, unit: 'kW', value: 2 } },
  parameters: {
    eta: { value: 0.9 },
    k: { value: 0.05, unit: 'kW/K', min: 0.01, max: 0.5 },
    C: { value: 50, unit: 'kJ/K' },
    T_amb: { value: 20, unit: 'degC' },
  },
  equations: ['dT/dt = (P*eta - k*(T - T_amb)) / C'],
  outputs: { loss: { expression: 'k*(T - T_amb)', unit: 'kW', signal: LOSS } },
};

function simulatorFlow(settings = {}) {
  return [
    { id: 'tab', type: 'tab', label: 'test' },
    { id: 'sim', type: 'twin-simulator', z: 'tab', persist: false, physics: JSON.stringify(physics), horizon: 10, promotion: 'gate', ...settings, wires: [['answers'], ['predictions'], ['events']] },
    { id: 'answers', type: 'helper', z: 'tab' },
    { id: 'predictions', type: 'helper', z: 'tab' },
    { id: 'events', type: 'helper', z: 'tab' },
    { id: 'catch', type: 'catch', z: 'tab', scope: ['sim'], uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'tab' },
  ];
}

/** The true plant (k = 0.06): exact steps of the linear lag, `step` seconds apart. */
function plant({ k = TRUE_K, eta = 0.9, step = 10 } = {}) {
  let T = 20;
  return {
    get T() {
      return T;
    },
    advance(P) {
      const Tinf = 20 + (P * eta) / k;
      T = Tinf + (T - Tinf) * Math.exp((-k * step) / 50);
    },
  };
}

const sample = (signal, value, time) => ({ asset: 'line1/oven', signal, value, unit: null, quality: 'good', sourceTime: time });

/** An hour of plant history sampled every 10 s, ending now (the calibration test's generator). */
function plantHistory(node, oven) {
  const seconds = 3600;
  const t0 = Date.now() - seconds * 1000;
  for (let t = 0; t <= seconds; t += 10) {
    const P = t < seconds / 2 ? 3 : 1;
    node.receive({ topic: POWER, payload: sample('power', P, t0 + t * 1000) });
    node.receive({ topic: TEMP, payload: sample('temperature', oven.T, t0 + t * 1000) });
    oven.advance(P);
  }
  return t0 + seconds * 1000;
}

const byTopic = (messages, topic) => messages.filter((m) => m.topic === topic);

describe('twin-simulator: promoting a recalibrated model through twin-gate', function () {
  beforeEach(() => helper.startServer());
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
  });

  it('holds the fit as a shadow, scores it beside the model in use, then adopts or discards it on command', async function () {
    this.timeout(60000);
    await load(simulatorFlow({ predictEvery: 0.05 }));
    const answers = collect('answers');
    const events = collect('events');
    const predictions = collect('predictions');
    const caught = collect('caught');
    const seen = statuses('sim');
    const node = helper.getNode('sim');
    const oven = plant();
    let time = plantHistory(node, oven);
    const ask = async (msg, what) => {
      const before = answers.length;
      node.receive(msg);
      await waitFor(() => answers.length > before, what, 20000);
      return answers[answers.length - 1];
    };

    // A calibration in gate mode: the fit becomes the shadow, nothing is applied.
    const first = (await ask({ topic: 'calibrate', payload: { parameters: ['k'] } }, 'first calibration')).payload;
    assert.ok(Math.abs(first.parameters.k - TRUE_K) < 0.001, `k ${first.parameters.k}`);
    assert.equal(first.applied, false);
    assert.equal(first.shadow, true);
    assert.match(first.revision, /^cal-\d{4}-\d\d-\d\dT/);
    assert.equal(first.supersedes, undefined);
    const calibrated = byTopic(events, 'calibrated');
    assert.equal(calibrated.length, 1);
    assert.equal(calibrated[0].payload.shadow, true);
    assert.equal(calibrated[0].payload.revision, first.revision);
    const candidates = byTopic(events, 'candidate');
    assert.equal(candidates.length, 1);
    assert.deepEqual(candidates[0].payload, { id: `model-${first.revision}`, kind: 'model', targets: ['line1/oven'], predicted: { kpis: { rmse: first.rmseAfter } }, model: { revision: first.revision, replaces: 'initial' } });
    const inUse = (await ask({ topic: 'predict', payload: { horizon: 60 } }, 'predict with the shadow waiting')).payload;
    assert.equal(inUse.parameters.k, 0.05, 'the parameters in use are unchanged');

    // A second calibration replaces the shadow; discarding it leaves the model in use as it was.
    const second = (await ask({ topic: 'calibrate', payload: { parameters: ['k'] } }, 'second calibration')).payload;
    assert.equal(second.shadow, true);
    assert.notEqual(second.revision, first.revision);
    assert.equal(second.supersedes, first.revision);
    assert.equal(byTopic(events, 'candidate')[1].payload.model.replaces, 'initial');
    await waitFor(() => seen.some((s) => s.text && s.text.includes(`shadow ${second.revision}`)), 'the shadow in the status');
    const discarded = await ask({ topic: 'discard-model', payload: { revision: second.revision, reason: 'not now' } }, 'discard answer');
    assert.equal(discarded.topic, 'discard-model');
    assert.deepEqual(discarded.payload, { revision: second.revision, reason: 'not now' });
    assert.deepEqual(byTopic(events, 'model-discarded').map((m) => m.payload), [{ revision: second.revision, reason: 'not now' }]);

    // Garbage is refused (a Catch node sees it) and changes nothing.
    const garbage = [
      { topic: 'adopt-model', payload: { revision: first.revision } }, // superseded
      { topic: 'adopt-model', payload: { revision: second.revision } }, // discarded: no shadow now
      { topic: 'adopt-model' },
      { topic: 'adopt-model', payload: 5 },
      { topic: 'adopt-model', payload: { revision: '' } },
      { topic: 'discard-model', payload: { revision: 'cal-nope' } },
      { topic: 'discard-model', payload: { type: 'swap-model', revision: 'cal-nope' } },
      { topic: 'gate', payload: { type: 'swap-model', revision: 42 } },
    ];
    for (const msg of garbage) node.receive(msg);
    await waitFor(() => caught.length === garbage.length, 'every refusal caught');
    assert.match(caught[0].error.message, new RegExp(`no shadow model ${first.revision} \\(shadow is none\\)`));
    assert.equal(byTopic(events, 'model-adopted').length, 0);

    // Third calibration: the shadow to promote. In predict mode both parameter sets predict and the plant scores them.
    const third = (await ask({ topic: 'calibrate', payload: { parameters: ['k'] } }, 'third calibration')).payload;
    assert.equal(third.shadow, true);
    assert.equal(third.supersedes, undefined, 'the discarded shadow is gone');
    const shadowSamples = () => byTopic(events, 'shadow').flatMap((m) => m.payload.samples);
    for (let step = 0; step < 200 && shadowSamples().filter((s) => s.key === TEMP).length < 12; step++) {
      const predicted = predictions.length;
      await waitFor(() => predictions.length > predicted, 'a prediction from the newest samples');
      // The oven is already one step past the last sample (plantHistory advances after each).
      time += 10_000;
      // One snapshot per step, so no prediction starts from half a step.
      node.receive({ topic: 'snapshot', payload: { table: [
        { key: POWER, value: 3, sourceTime: time },
        { key: TEMP, value: oven.T, sourceTime: time },
        { key: LOSS, value: TRUE_K * (oven.T - 20), sourceTime: time },
      ] } });
      oven.advance(3);
    }
    const shadowMessages = byTopic(events, 'shadow');
    assert.ok(shadowMessages.length > 0, 'shadow messages');
    assert.ok(shadowMessages.every((m) => m.payload.revision === third.revision));
    const samples = shadowSamples();
    for (const key of [TEMP, LOSS]) {
      const of = samples.filter((s) => s.key === key);
      assert.ok(of.length >= 5, `${of.length} shadow samples of ${key}`);
      const mae = (side) => of.reduce((sum, s) => sum + Math.abs(s.actual - s[side]), 0) / of.length;
      assert.ok(mae('candidate') < mae('current') / 5, `${key}: candidate MAE ${mae('candidate')} vs current ${mae('current')}`);
    }
    const s = samples.find((x) => x.key === TEMP);
    assert.deepEqual(Object.keys(s).sort(), ['actual', 'candidate', 'current', 'key', 'time']);

    // twin-gate's swap decision, on whatever topic it comes: the shadow becomes the model in use.
    const adopted = await ask({ topic: 'gate', payload: { type: 'swap-model', revision: third.revision, replaces: 'initial', candidateId: `model-${third.revision}` } }, 'adopt answer');
    assert.equal(adopted.topic, 'adopt-model');
    assert.equal(adopted.payload.revision, third.revision);
    const adoptedEvents = byTopic(events, 'model-adopted');
    assert.equal(adoptedEvents.length, 1);
    assert.equal(adoptedEvents[0].payload.revision, third.revision);
    assert.equal(adoptedEvents[0].payload.replaces, 'initial');
    assert.ok(Math.abs(adoptedEvents[0].payload.parameters.k - TRUE_K) < 0.001);
    const after = (await ask({ topic: 'predict', payload: { horizon: 60 } }, 'predict after adoption')).payload;
    assert.equal(after.parameters.k, third.parameters.k, 'predict uses the adopted k');
    await waitFor(() => !seen[seen.length - 1].text.includes('shadow'), 'no shadow in the status any more');
    assert.equal(caught.length, garbage.length, 'nothing else was refused');
  });

  it('adopts by topic adopt-model; the next shadow replaces the adopted revision', async function () {
    await load(simulatorFlow());
    const answers = collect('answers');
    const events = collect('events');
    const node = helper.getNode('sim');
    // Both eta and k are off: fitting eta alone leaves an error that fitting k then lowers.
    plantHistory(node, plant({ eta: 0.8 }));
    node.receive({ topic: 'calibrate', payload: { parameters: ['eta'] } });
    await waitFor(() => answers.length === 1, 'calibration of eta', 20000);
    const { revision, parameters } = answers[0].payload;
    assert.equal(answers[0].payload.shadow, true);
    node.receive({ topic: 'adopt-model', payload: { revision } });
    await waitFor(() => answers.length === 2, 'adopt answer');
    assert.deepEqual(answers[1].payload, { revision, replaces: 'initial', parameters: { eta: parameters.eta } });
    assert.equal(byTopic(events, 'model-adopted').length, 1);
    node.receive({ topic: 'calibrate', payload: { parameters: ['k'] } });
    await waitFor(() => answers.length === 3, 'calibration of k', 20000);
    const next = answers[2].payload;
    assert.equal(next.shadow, true, `rmse ${next.rmseBefore} -> ${next.rmseAfter}`);
    assert.equal(next.initial.k, 0.05);
    const candidate = byTopic(events, 'candidate')[1].payload;
    assert.deepEqual(candidate.model, { revision: next.revision, replaces: revision });
    node.receive({ topic: 'predict', payload: { horizon: 60 } });
    await waitFor(() => answers.length === 4, 'predict');
    assert.equal(answers[3].payload.parameters.eta, parameters.eta, 'the adopted eta is in use');
    assert.equal(answers[3].payload.parameters.k, 0.05, 'the new k waits as the shadow');
  });
});
