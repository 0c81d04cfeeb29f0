'use strict';
const assert = require('node:assert/strict');
const { helper, load, collect, statuses, waitFor } = require('../support/flow-helper');

function deviationFlow(settings = {}) {
  return [
    { id: 'tab', type: 'tab', label: 'test' },
    { id: 'deviation', type: 'twin-deviation', z: 'tab', persist: false, ...settings, wires: [['scores'], ['events'], ['answers']] },
    { id: 'answers', type: 'helper', z: 'tab' },
    { id: 'scores', type: 'helper', z: 'tab' },
    { id: 'events', type: 'helper', z: 'tab' },
    { id: 'catch', type: 'catch', z: 'tab', scope: ['deviation'], uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'tab' },
  ];
}

/** Deterministic noise so the test means the same thing every run. */
function noise(i) {
  const x = Math.sin(i * 12.9898) * 43758.5453;
  return (x - Math.floor(x) - 0.5) * 0.4;
}

describe('twin-deviation', function () {
  beforeEach(() => helper.startServer());
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
  });

  it('scores every plain numeric message with default settings, one output each, topic kept', async function () {
    await load(deviationFlow());
    const scores = collect('scores');
    const node = helper.getNode('deviation');
    for (let i = 0; i < 20; i += 1) node.receive({ topic: 'plant/line1/press1/temperature', payload: 50 + noise(i) });
    node.receive({ topic: 'plant/line1/press1/running', payload: true });
    node.receive({ topic: 'plant/line1/press1/pressure', payload: '6.5' });
    await waitFor(() => scores.length === 22, '22 scores');
    const first = scores[0];
    assert.equal(first.topic, 'plant/line1/press1/temperature');
    for (const field of ['asset', 'signal', 'value', 'expected', 'residual', 'score', 'likelihood', 'isAnomaly', 'severity', 'driftState', 'attribution']) {
      assert.ok(field in first.payload, `payload.${field}`);
    }
    assert.equal(first.payload.asset, 'plant/line1/press1');
    assert.equal(first.payload.learning, true, 'the warm-up only learns');
    assert.equal(scores[20].payload.value, 1, 'true scores as 1');
    assert.equal(scores[21].payload.value, 6.5);
  });

  it('compares samples with the twin prediction and raises anomaly events on a fault', async function () {
    await load(deviationFlow({ warmup: 50, tolerance: 500 }));
    const scores = collect('scores');
    const events = collect('events');
    const seen = statuses('deviation');
    const node = helper.getNode('deviation');
    const t0 = Date.now() - 1_000_000;
    for (let i = 0; i < 300; i += 1) {
      const time = t0 + i * 1000;
      const twin = 80 + Math.sin(i / 30);
      const fault = i >= 150 && i < 200 ? 3 : 0;
      const base = { asset: 'l1/oven1', signal: 'temperature', unit: 'degC', quality: 'good', sourceTime: time, receivedTime: time, latencyMs: 0 };
      node.receive({ topic: 'l1/oven1/temperature', payload: { ...base, value: twin, predicted: true } });
      node.receive({ topic: 'l1/oven1/temperature', payload: { ...base, value: twin + noise(i) + fault } });
    }
    await waitFor(() => scores.length === 300, '300 scores (predictions give none)');
    assert.equal(scores[100].payload.expectedFrom, 'twin');
    const start = events.find((m) => m.topic === 'anomaly-start');
    const end = events.find((m) => m.topic === 'anomaly-end');
    assert.ok(start, `an anomaly-start among ${events.map((m) => m.topic)}`);
    const startIndex = (start.payload.time - t0) / 1000;
    assert.ok(startIndex >= 150 && startIndex < 160, `detected at sample ${startIndex}`);
    assert.ok(end && (end.payload.time - t0) / 1000 >= 200, 'and its end after the fault');
    assert.equal(events.filter((m) => m.topic === 'anomaly-start').length, 1, 'no false alarm before or after');
    assert.ok(seen.length > 0);
  });

  it('answers compare with the diverging signals, their asset and, from the twin model, the parameters to recalibrate', async function () {
    const model = {
      schemaVersion: 1, revision: 4, name: 'ovens', relationships: [],
      assets: [{ name: 'l1', kind: 'line', signals: [], parameters: [], children: [{
        name: 'oven1', kind: 'machine', children: [], signals: [{ name: 'temperature', unit: 'degC' }],
        parameters: [{ name: 'heatLoss', value: 0.8, unit: 'W/K' }, { name: 'heaterEfficiency', value: 0.92, unit: null }],
      }, {
        name: 'oven2', kind: 'machine', children: [], signals: [{ name: 'temperature', unit: 'degC' }],
        parameters: [{ name: 'heatLoss', value: 0.7, unit: 'W/K' }],
      }] }],
    };
    const flow = deviationFlow({ warmup: 50, model: 'model' });
    flow.push({ id: 'model', type: 'twin-model', model });
    await load(flow);
    const answers = collect('answers');
    const node = helper.getNode('deviation');
    const t0 = Date.now() - 1_000_000;
    for (let i = 0; i < 300; i += 1) {
      for (const oven of ['oven1', 'oven2']) {
        const time = t0 + i * 1000;
        const twin = 80 + Math.sin(i / 30);
        const biased = oven === 'oven1' && i >= 200 ? 2 : 0; // oven 1 runs hotter than its twin from sample 200 on
        const base = { asset: `l1/${oven}`, signal: 'temperature', sourceTime: time };
        node.receive({ payload: { ...base, value: twin, predicted: true } });
        node.receive({ payload: { ...base, value: twin + noise(i + (oven === 'oven2' ? 1000 : 0)) + biased } });
      }
    }
    node.receive({ topic: 'compare', requestId: 7 });
    await waitFor(() => answers.length === 1, 'the comparison');
    const { signals, assets, parameters } = answers[0].payload;
    assert.equal(answers[0].requestId, 7);
    assert.equal(answers[0].modelRevision, 4);
    assert.deepEqual(signals.filter((s) => s.diverging).map((s) => s.key), ['l1/oven1/temperature']);
    assert.ok(signals.find((s) => s.key === 'l1/oven1/temperature').bias > 2);
    assert.deepEqual(assets.map((a) => a.asset), ['l1/oven1']);
    assert.deepEqual(parameters.map((p) => [p.asset, p.name]), [['l1/oven1', 'heatLoss'], ['l1/oven1', 'heaterEfficiency']]);
    assert.deepEqual(parameters[0].because, ['l1/oven1/temperature']);
  });

  it('passes over an asset restored after a cluster takeover (no new observation), without an error', async function () {
    await load(deviationFlow());
    const scores = collect('scores');
    const caught = collect('caught');
    const node = helper.getNode('deviation');
    const now = Date.now();
    const restored = ['temperature', 'pressure'].map((signal) => ({ asset: 'l1/m7', signal, value: 5, unit: null, quality: 'good', sourceTime: now - 60000, receivedTime: now, latencyMs: 60000 }));
    node.receive({ topic: 'l1/m7', payload: restored, restored: true });
    node.receive({ topic: 'l1/m7/temperature', payload: 50 });
    await waitFor(() => scores.length === 1, 'the live sample scored');
    assert.equal(scores[0].topic, 'l1/m7/temperature', 'only the live sample');
    assert.equal(caught.length, 0);
  });

  it('refuses text, NaN and time going backwards with a catchable error and keeps scoring', async function () {
    await load(deviationFlow());
    const scores = collect('scores');
    const caught = collect('caught');
    const node = helper.getNode('deviation');
    const now = Date.now();
    const sample = (value, sourceTime) => ({ topic: 'a/b', payload: { asset: 'a', signal: 'b', value, sourceTime } });
    node.receive(sample(1, now));
    node.receive(sample('recipe 7', now + 1));
    node.receive(sample(Number.NaN, now + 2));
    node.receive(sample(2, now - 5000));
    node.receive({ payload: 5 });
    node.receive(sample(3, now + 3));
    await waitFor(() => caught.length === 4 && scores.length === 2, 'four refusals and two scores');
    assert.deepEqual(scores.map((m) => m.payload.value), [1, 3]);
    assert.ok(caught.some((m) => /before the last sample/.test(m.error.message)), caught.map((m) => m.error.message).join('; '));
  });

  it('freezes, resumes and resets learning by message', async function () {
    await load(deviationFlow());
    const scores = collect('scores');
    const seen = statuses('deviation');
    const node = helper.getNode('deviation');
    node.receive({ topic: 'a/b', payload: 1 });
    node.receive({ topic: 'freeze' });
    await waitFor(() => seen.some((s) => /learning frozen/.test(s.text)), 'status "learning frozen"');
    node.receive({ topic: 'resume' });
    node.receive({ topic: 'reset' });
    await waitFor(() => seen.some((s) => s.text === 'waiting for samples') && seen.length > 2, 'status back to waiting after reset');
    assert.equal(scores.length, 1);
  });
});
