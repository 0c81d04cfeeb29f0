'use strict';
const assert = require('node:assert/strict');
const { helper, load, collect, statuses, waitFor } = require('../support/flow-helper');

const TEMP = 'line1/oven/temperature';
const POWER = 'line1/oven/power';

/** An oven: dT/dt = (P*eta - k*(T - T_amb)) / C, with its plant 20 % lossier than the model says. */
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
  outputs: { loss: { expression: 'k*(T - T_amb)', unit: 'kW', signal: 'line1/oven/loss' } },
};

const line = {
  sources: [{ interarrival: { kind: 'exponential', mean: 10 }, to: 'Saw' }],
  stations: [
    { name: 'Saw', processing: { kind: 'exponential', mean: 6 }, buffer: 5, next: 'Press', power: { working: 4, idle: 1, blocked: 1 } },
    { name: 'Press', processing: { kind: 'exponential', mean: 8 }, buffer: 5, next: null, power: { working: 10, idle: 2, blocked: 2 } },
  ],
  run: { until: 3600 },
  sync: { Press: { queue: 'line1/press/queue' } },
};

function simulatorFlow(settings = {}) {
  return [
    { id: 'tab', type: 'tab', label: 'test' },
    { id: 'sim', type: 'twin-simulator', z: 'tab', persist: false, physics: JSON.stringify(physics), line: JSON.stringify(line), horizon: 60, replications: 5, ...settings, wires: [['answers'], ['predictions'], ['events']] },
    { id: 'answers', type: 'helper', z: 'tab' },
    { id: 'predictions', type: 'helper', z: 'tab' },
    { id: 'events', type: 'helper', z: 'tab' },
    { id: 'catch', type: 'catch', z: 'tab', scope: ['sim'], uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'tab' },
  ];
}

/** The true plant (k = 0.06) sampled every 10 s for an hour, ending now. */
function plantHistory(node, { k = 0.06, seconds = 3600, step = 10 } = {}) {
  const t0 = Date.now() - seconds * 1000;
  let T = 20;
  for (let t = 0; t <= seconds; t += step) {
    const P = t < seconds / 2 ? 3 : 1;
    const sample = (signal, value) => ({ asset: 'line1/oven', signal, value, unit: null, quality: 'good', sourceTime: t0 + t * 1000 });
    node.receive({ topic: POWER, payload: sample('power', P) });
    node.receive({ topic: TEMP, payload: sample('temperature', T) });
    // exact step of the linear lag over `step` seconds
    const Tinf = 20 + (P * 0.9) / k;
    T = Tinf + (T - Tinf) * Math.exp((-k * step) / 50);
  }
}

describe('twin-simulator', function () {
  beforeEach(() => helper.startServer());
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
  });

  it('predicts from the synchronised state: trajectory by name and by signal key', async function () {
    await load(simulatorFlow());
    const answers = collect('answers');
    const node = helper.getNode('sim');
    const now = Date.now();
    node.receive({ topic: TEMP, payload: 70 });
    node.receive({ topic: POWER, payload: 2 });
    node.receive({ topic: 'predict', payload: { horizon: 600, every: 60 } });
    await waitFor(() => answers.length === 1, 'predict answer');
    const a = answers[0].payload;
    assert.equal(answers[0].topic, 'predict');
    assert.equal(a.states.T.v[0], 70, 'starts from the newest temperature');
    assert.equal(a.states.T.t.length, 11);
    assert.ok(a.start >= now - 1000 && a.start <= Date.now());
    // analytic: 20 + 36 (1 - e^-x) + (70 - 20) e^-x ... the lag towards 56 degC
    const x = (0.05 * 600) / 50;
    const expected = 56 + (70 - 56) * Math.exp(-x);
    assert.ok(Math.abs(a.final.T - expected) < 1e-6, `${a.final.T} vs ${expected}`);
    assert.deepEqual(Object.keys(a.signals).sort(), [TEMP, 'line1/oven/loss'].sort());
    assert.deepEqual(a.unsynced, []);
  });

  it('emits predictions for twin-deviation in predict mode (predicted: true, due one horizon ahead)', async function () {
    await load(simulatorFlow({ predictEvery: 0.2, horizon: 30 }));
    const predictions = collect('predictions');
    const node = helper.getNode('sim');
    node.receive({ topic: TEMP, payload: { asset: 'line1/oven', signal: 'temperature', value: 40, sourceTime: Date.now() } });
    node.receive({ topic: POWER, payload: 2 });
    await waitFor(() => predictions.length >= 2, 'two predictions');
    const p = predictions.find((m) => m.topic === TEMP);
    assert.equal(p.payload.predicted, true);
    assert.equal(p.payload.asset, 'line1/oven');
    assert.equal(p.payload.signal, 'temperature');
    assert.ok(p.payload.sourceTime - Date.now() > 25000, 'due 30 s ahead');
    assert.ok(p.payload.value > 40 && p.payload.value < 56);
  });

  it('answers whatif with physics and line: parameter overrides, Monte Carlo intervals, the bottleneck', async function () {
    await load(simulatorFlow());
    const answers = collect('answers');
    const node = helper.getNode('sim');
    node.receive({ topic: TEMP, payload: 20 });
    node.receive({ topic: POWER, payload: 2 });
    node.receive({ topic: 'line1/press/queue', payload: 4 });
    node.receive({ topic: 'whatif', payload: { label: 'insulated', duration: 3600, parameters: { k: 0.03 }, line: { stations: { Press: { servers: 2 } } } } });
    await waitFor(() => answers.length === 1, 'whatif answer');
    const a = answers[0].payload;
    assert.equal(a.label, 'insulated');
    assert.equal(a.physics.parameters.k, 0.03);
    assert.ok(a.physics.final.T > 60, 'less loss, hotter');
    assert.equal(a.line.replications, 5);
    assert.equal(a.line.startedFromNow, true);
    assert.equal(a.settings['line.Press.servers'], 2);
    assert.equal(a.settings.k, 0.03);
    const tp = a.line.kpis.throughput;
    assert.equal(tp.n, 5);
    assert.ok(tp.low < tp.mean && tp.mean < tp.high, 'a confidence interval');
    assert.ok(Math.abs(tp.mean - 0.1) < 0.02, `throughput ${tp.mean} near the arrival rate 0.1`);
    assert.equal(a.line.bottleneck, 'Saw', 'with two presses, the saw limits');
    assert.ok(a.kpis['line.energyPerGoodPartKwh'] > 0);
  });

  it('runs a scenario set in one request and compares each with the baseline', async function () {
    await load(simulatorFlow({ replications: 8 }));
    const answers = collect('answers');
    const node = helper.getNode('sim');
    node.receive({
      topic: 'scenarios',
      payload: { scenarios: [{ label: 'now' }, { label: 'faster press', line: { stations: { Press: { processing: { kind: 'exponential', mean: 4 } } } } }, { label: 'slow saw', line: { stations: { Saw: { processing: { kind: 'exponential', mean: 9.5 } } } } }] },
    });
    await waitFor(() => answers.length === 1, 'scenarios answer', 20000);
    const a = answers[0].payload;
    assert.equal(a.scenarios.length, 3);
    assert.equal(a.comparisons.length, 2);
    const faster = a.comparisons.find((c) => c.label === 'faster press');
    assert.ok(faster.line.leadTimeMean.difference < 0, 'a faster press shortens lead time');
    assert.equal(faster.line.leadTimeMean.significant, true);
    const slow = a.comparisons.find((c) => c.label === 'slow saw');
    assert.ok(slow.line['Saw.working'].difference > 0);
  });

  it('calibrates against the recent history: fit error before and after, the fit used from then on', async function () {
    await load(simulatorFlow());
    const answers = collect('answers');
    const events = collect('events');
    const node = helper.getNode('sim');
    plantHistory(node);
    node.receive({ topic: 'calibrate', payload: { parameters: ['k'] } });
    await waitFor(() => answers.length === 1, 'calibrate answer', 20000);
    const a = answers[0].payload;
    assert.ok(Math.abs(a.parameters.k - 0.06) < 0.001, `k ${a.parameters.k}`);
    assert.ok(a.rmseAfter < a.rmseBefore / 20, `${a.rmseBefore} -> ${a.rmseAfter}`);
    assert.equal(a.applied, true);
    assert.equal(events[0].topic, 'calibrated');
    node.receive({ topic: 'predict', payload: { horizon: 60 } });
    await waitFor(() => answers.length === 2, 'predict after calibration');
    assert.ok(Math.abs(answers[1].payload.parameters.k - 0.06) < 0.001);
  });

  it('recalibrates on a drift event from twin-deviation', async function () {
    await load(simulatorFlow());
    const answers = collect('answers');
    const node = helper.getNode('sim');
    plantHistory(node);
    node.receive({ topic: 'drift', payload: { type: 'drift', key: TEMP, time: Date.now() } });
    await waitFor(() => answers.length === 1, 'calibration after drift', 20000);
    assert.equal(answers[0].topic, 'calibrate');
    assert.ok(answers[0].payload.rmseAfter < answers[0].payload.rmseBefore);
  });

  it('trains the KPI surrogate from stored what-ifs and answers whatif from it', async function () {
    this.timeout(60000);
    await load(simulatorFlow({ replications: 2 }));
    const answers = collect('answers');
    const node = helper.getNode('sim');
    for (let i = 0; i < 16; i++) node.receive({ topic: 'whatif', payload: { duration: 600, parameters: { k: 0.02 + i * 0.01 }, line: { until: 600 } } });
    await waitFor(() => answers.length === 16, '16 what-ifs', 30000);
    node.receive({ topic: 'train', payload: { model: 'surrogate' } });
    await waitFor(() => answers.length === 17, 'surrogate trained', 30000);
    const trained = answers[16].payload;
    assert.equal(trained.applied, true);
    assert.ok(trained.validation.T.relError < 0.2, `relative error ${trained.validation.T.relError}`);
    node.receive({ topic: 'whatif', payload: { surrogate: true, settings: { k: 0.05 } } });
    await waitFor(() => answers.length === 18, 'surrogate answer');
    assert.equal(answers[17].payload.surrogate, true);
    assert.ok(Number.isFinite(answers[17].payload.kpis.T));
  });

  it('trains a health model on run-to-failure data and warns when the remaining life is short', async function () {
    this.timeout(60000);
    await load(simulatorFlow({ line: '' }));
    const answers = collect('answers');
    const events = collect('events');
    const node = helper.getNode('sim');
    // Units wear out over 120-240 cycles: two sensors drift with wear, one is noise, one constant.
    let seed = 7;
    const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const unit = (life) => Array.from({ length: life }, (_, c) => {
      const wear = (c / life) ** 2;
      return [500 + 40 * wear + rand(), 20 - 5 * wear + 0.2 * rand(), rand(), 1];
    });
    const units = Array.from({ length: 30 }, (_, i) => unit(120 + ((i * 37) % 121)));
    node.receive({ topic: 'train', payload: { model: 'health', units, options: { window: 20, training: { epochs: 30 } } } });
    await waitFor(() => answers.length === 1, 'health trained', 50000);
    const trained = answers[0].payload;
    assert.equal(trained.applied, true);
    assert.deepEqual(trained.dropped, [3], 'the constant sensor is dropped');
    assert.equal(events[0].topic, 'trained');
    const fresh = unit(200).slice(0, 40);
    const worn = unit(200).slice(0, 190);
    node.receive({ topic: 'predict', payload: { health: { rows: fresh } } });
    node.receive({ topic: 'predict', payload: { health: { rows: worn, threshold: 30 } } });
    await waitFor(() => answers.length === 3, 'two RUL answers');
    const [early, late] = [answers[1].payload.health, answers[2].payload.health];
    assert.ok(early.rul > 80, `fresh unit: RUL ${early.rul}`);
    assert.ok(late.rul < 30, `worn unit: RUL ${late.rul}`);
    assert.equal(late.warning, true);
    await waitFor(() => events.some((e) => e.topic === 'rul-low'), 'rul-low event');
  });

  it('chains twins: one simulator\'s answer is the next one\'s boundary input', async function () {
    const energy = {
      states: { E: { unit: 'kWh', initial: 0 } },
      inputs: { Q: { signal: 'line1/oven/loss', unit: 'kW', value: 0 } },
      equations: ['dE/dt = Q'],
    };
    const flow = simulatorFlow();
    flow[1].wires = [['energy'], [], []];
    flow.push({ id: 'energy', type: 'twin-simulator', z: 'tab', persist: false, physics: JSON.stringify(energy), horizon: 600, wires: [['answers2'], [], []] }, { id: 'answers2', type: 'helper', z: 'tab' });
    flow.find((n) => n.id === 'catch').scope.push('energy');
    await load(flow);
    const answers = collect('answers2');
    const node = helper.getNode('sim');
    node.receive({ topic: TEMP, payload: 60 });
    node.receive({ topic: POWER, payload: 2 });
    node.receive({ topic: 'whatif', payload: { duration: 600, every: 10 } });
    await waitFor(() => answers.length === 1, 'chained answer');
    const a = answers[0].payload;
    // loss 0.05 kW/K * (T - 20) with T falling from 60 towards 56: about 1.8-2 kW over 600 s = ~0.3 kWh
    assert.ok(a.physics.final.E > 0.28 && a.physics.final.E < 0.34, `energy ${a.physics.final.E} kWh`);
    assert.equal(a.chain.length, 1, 'the upstream twin travels along');
    assert.ok(a.chain[0].kpis.T > 50);
  });

  it('refuses a bad expression at deploy with the position, and a runaway request with a clear error', async function () {
    await load(simulatorFlow({ physics: JSON.stringify({ ...physics, equations: ['dT/dt = (P*eta - k*(T - T_amb) / C'] }) }));
    const seen = statuses('sim');
    await waitFor(() => seen.some((s) => s.fill === 'red'), 'red status');
    const sim = helper.getNode('sim');
    assert.ok(sim.error.getCalls().some((c) => /char \d+/.test(String(c.args[0]))), 'the error names the position');
  });

  it('stops a runaway model and refuses garbage requests, then still answers a good one', async function () {
    const runaway = { states: { x: { initial: 1 } }, equations: ['dx/dt = x^2'], solver: { step: 0.01 } };
    await load(simulatorFlow({ physics: JSON.stringify(runaway), line: '', timeLimit: 2 }));
    const answers = collect('answers');
    const caught = collect('caught');
    const node = helper.getNode('sim');
    node.receive({ topic: 'predict', payload: { horizon: 10 } });
    await waitFor(() => caught.length === 1, 'not finite caught');
    assert.match(caught[0].error.message, /gave Infinity|not finite|= Infinity/);
    const garbage = [
      { topic: 'whatif', payload: 'x' },
      { topic: 'whatif', payload: { parameters: { nope: 1 } } },
      { topic: 'whatif', payload: { parameters: { x: 'a' } } },
      { topic: 'scenarios', payload: { scenarios: 'many' } },
      { topic: 'calibrate', payload: {} },
      { topic: 'train', payload: { model: 'oracle' } },
      { topic: 'predict', payload: { horizon: -1 } },
      { topic: 'whatif', payload: { line: { stations: {} } } },
      { payload: { constructor: { prototype: { polluted: 1 } } } },
      { topic: TEMP, payload: { asset: 'line1/oven', signal: 'temperature', value: 'hot' } },
      { topic: 'x', payload: 'not a number' },
    ];
    for (const msg of garbage) node.receive(msg);
    await waitFor(() => caught.length === 1 + garbage.length, 'every refusal caught');
    // Events of twin-deviation and twin-state wired in (anomaly-start carries a signal, not a value): passed over.
    node.receive({ topic: 'anomaly-start', payload: { type: 'anomaly-start', key: TEMP, asset: 'line1/oven', signal: 'temperature', time: Date.now() } });
    node.receive({ topic: 'stale', payload: { type: 'stale', key: TEMP, ageMs: 5000 } });
    assert.equal({}.polluted, undefined);
    node.receive({ topic: 'predict', payload: { horizon: 0.5 } });
    await waitFor(() => answers.length === 1, 'a good request after the garbage');
    assert.ok(answers[0].payload.final.x > 1);
    assert.equal(caught.length, 1 + garbage.length, 'the events were passed over, not refused');
  });
});
