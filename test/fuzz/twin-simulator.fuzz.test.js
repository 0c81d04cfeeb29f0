'use strict';
/**
 * twin-simulator with a small physics model (an oven) and a two-station line: 10,000 hostile
 * samples, snapshots, drift events, model commands and requests (predict, whatif, scenarios,
 * calibrate, train). Requests run in the node's worker with a 1 s time limit.
 */
const assert = require('node:assert/strict');
const { fc, messageArb, specialNumber, numberString } = require('./arbitraries');
const { runFuzz } = require('./harness');
const { helper, collect, waitFor } = require('../support/flow-helper');

const NUM_RUNS = Number(process.env.FUZZ_RUNS) || 10000;

const TEMP = 'line1/oven/temperature';
const POWER = 'line1/oven/power';
const QUEUE = 'line1/press/queue';

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
  sync: { Press: { queue: QUEUE } },
};

const flow = [
  { id: 'tab', type: 'tab', label: 'fuzz' },
  {
    id: 'sim', type: 'twin-simulator', z: 'tab', persist: false, physics: JSON.stringify(physics), line: JSON.stringify(line),
    horizon: 60, replications: 3, timeLimit: 1, predictEvery: 1, promotion: 'gate', wires: [['answers'], ['predictions'], ['events']],
  },
  { id: 'answers', type: 'helper', z: 'tab' },
  { id: 'predictions', type: 'helper', z: 'tab' },
  { id: 'events', type: 'helper', z: 'tab' },
  { id: 'catch', type: 'catch', z: 'tab', scope: ['sim'], uncaught: false, wires: [['caught']] },
  { id: 'caught', type: 'helper', z: 'tab' },
];

const KEYS = [TEMP, POWER, QUEUE, 'line1/oven/loss'];
const now = Date.now();
const num = (min, max) => fc.double({ noNaN: true, noDefaultInfinity: true, min, max });
const time = fc.integer({ min: now - 3600000, max: now + 1000 });

const sample = fc.record({ key: fc.constantFrom(TEMP, POWER, QUEUE), value: num(0, 200), sourceTime: time }).map(({ key, value, sourceTime }) => {
  const at = key.lastIndexOf('/');
  return { topic: key, payload: { asset: key.slice(0, at), signal: key.slice(at + 1), value, unit: null, quality: 'good', sourceTime } };
});
const stationChange = fc.record({ servers: fc.integer({ min: 1, max: 3 }), buffer: fc.integer({ min: 1, max: 10 }) }, { requiredKeys: [] });
const lineChange = fc.record({ stations: fc.record({ Press: stationChange, Saw: stationChange }, { requiredKeys: [] }), until: fc.integer({ min: 60, max: 3600 }) }, { requiredKeys: [] });

const requests = fc.oneof(
  fc.record({ topic: fc.constant('predict'), payload: fc.record({ horizon: num(1, 600), every: num(1, 60) }, { requiredKeys: [] }) }),
  fc.record({ topic: fc.constant('whatif'), payload: fc.record({ label: fc.string({ maxLength: 10 }), duration: num(1, 3600), every: num(10, 600), parameters: fc.record({ k: num(0.01, 0.5), C: num(10, 100) }, { requiredKeys: [] }), inputs: fc.record({ P: num(0, 5) }), initial: fc.record({ T: num(0, 100) }), line: lineChange }, { requiredKeys: [] }) }),
  fc.record({ topic: fc.constant('whatif'), payload: fc.record({ surrogate: fc.constant(true), settings: fc.record({ k: num(0.01, 0.5) }) }) }),
  fc.record({ topic: fc.constant('scenarios'), payload: fc.record({ scenarios: fc.array(fc.record({ label: fc.string({ maxLength: 8 }), parameters: fc.record({ k: num(0.01, 0.5) }, { requiredKeys: [] }), line: lineChange }, { requiredKeys: ['label'] }), { minLength: 1, maxLength: 3 }) }) }),
  fc.record({ topic: fc.constant('calibrate'), payload: fc.record({ parameters: fc.constantFrom(['k'], ['k', 'C'], ['eta']), method: fc.constantFrom('nelder-mead', 'levenberg-marquardt') }, { requiredKeys: [] }) }),
  fc.record({ topic: fc.constant('train'), payload: fc.record({ model: fc.constantFrom('residual', 'surrogate') }) }),
  fc.record({ topic: fc.constant('train'), payload: fc.record({
    model: fc.constant('health'),
    units: fc.array(fc.array(fc.tuple(num(0, 600), num(0, 30), num(0, 1)), { minLength: 25, maxLength: 40 }), { minLength: 3, maxLength: 5 }),
    options: fc.record({ window: fc.integer({ min: 2, max: 20 }), training: fc.record({ epochs: fc.integer({ min: 1, max: 3 }) }) }),
  }) }),
);

const good = fc.oneof(
  { weight: 6, arbitrary: sample },
  { weight: 2, arbitrary: fc.record({ topic: fc.constantFrom(TEMP, POWER, QUEUE), payload: fc.oneof(num(0, 200), num(0, 200).map(String)) }) },
  { weight: 5, arbitrary: requests },
  { weight: 1, arbitrary: fc.record({ topic: fc.constantFrom('adopt-model', 'discard-model'), payload: fc.record({ revision: fc.constantFrom('r1', 'rev-2', 'shadow-1'), replaces: fc.constantFrom('r0', null), reason: fc.string({ maxLength: 20 }) }, { requiredKeys: ['revision'] }) }) },
  { weight: 1, arbitrary: fc.record({ topic: fc.constantFrom('drift', 'anomaly-start'), payload: fc.record({ type: fc.constantFrom('drift', 'anomaly-start'), key: fc.constantFrom(...KEYS), time }) }) },
  { weight: 1, arbitrary: fc.record({ topic: fc.constant('snapshot'), payload: fc.record({ table: fc.array(fc.record({ key: fc.constantFrom(...KEYS), value: num(0, 200), sourceTime: time }), { maxLength: 4 }) }) }) },
  { weight: 1, arbitrary: fc.record({ topic: fc.constant('whatif-answer'), payload: fc.record({ label: fc.constant('up'), signals: fc.record({ [POWER]: num(0, 5) }), kpis: fc.record({ T: num(0, 100) }) }) }) },
);

const arbitrary = messageArb({
  topics: ['predict', 'whatif', 'scenarios', 'calibrate', 'train', 'adopt-model', 'discard-model', 'drift', 'snapshot', 'stale', 'anomaly-start', ...KEYS],
  keys: KEYS,
  good,
  payloads: [specialNumber, numberString],
});

/**
 * Work knobs a request may legitimately turn up (a health model's time limit, a long what-if) are
 * capped so the whole fuzz stays within minutes: every other field stays as generated.
 */
function prepare(msg) {
  const p = msg && msg.payload;
  if (msg && msg.topic === 'train' && p && typeof p === 'object' && !Array.isArray(p) && p.model === 'health') {
    return { ...msg, payload: { ...p, timeLimit: 1 } };
  }
  return msg;
}

describe('fuzz: twin-simulator (physics + line)', function () {
  this.timeout(1800000);

  it(`survives ${NUM_RUNS} hostile messages, refusing each catchably, and still answers a whatif`, async function () {
    await runFuzz({
      name: 'twin-simulator',
      flow,
      nodeId: 'sim',
      arbitrary,
      numRuns: NUM_RUNS,
      batchSize: 100,
      batchTimeoutMs: 120000,
      prepare,
      finalCheck: async () => {
        const answers = collect('answers');
        const caught = collect('caught');
        const node = helper.getNode('sim');
        node.receive({ topic: TEMP, payload: 20 });
        node.receive({ topic: POWER, payload: 2 });
        node.receive({ topic: 'whatif', payload: { label: 'final', duration: 600, parameters: { k: 0.05, eta: 0.9, C: 50, T_amb: 20 }, initial: { T: 20 }, inputs: { P: 2 } }, requestId: 'final' });
        await waitFor(() => answers.some((m) => m.requestId === 'final') || caught.length > 0, 'the whatif answer', 15000);
        assert.deepEqual(caught.map((m) => m.error.message), []);
        const a = answers.find((m) => m.requestId === 'final').payload;
        assert.equal(a.label, 'final');
        // the lag from 20 degC towards 20 + 2 * 0.9 / 0.05 = 56 degC over 600 s: 20 + 36 (1 - e^-0.6)
        const expected = 20 + 36 * (1 - Math.exp((-0.05 * 600) / 50));
        assert.ok(Math.abs(a.physics.final.T - expected) < 0.01, `T after 600 s: ${a.physics.final.T}, expected ${expected}`);
      },
    });
  });
});
