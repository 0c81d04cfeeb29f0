'use strict';
/**
 * twin-optimizer with a twin-simulator (a two-station line) and a small goal: 10,000 hostile
 * requests (optimise, objective, stop, schedule, flowshop, reschedule, rul-low, layout) and
 * availability samples. Jobs run in the node's worker, one at a time, five more may wait.
 */
const assert = require('node:assert/strict');
const { fc, messageArb, specialNumber, numberString } = require('./arbitraries');
const { runFuzz } = require('./harness');
const { helper, collect, waitFor } = require('../support/flow-helper');

const NUM_RUNS = Number(process.env.FUZZ_RUNS) || 10000;

const line = {
  sources: [{ interarrival: { kind: 'exponential', mean: 10 }, to: 'Saw' }],
  stations: [
    { name: 'Saw', processing: { kind: 'exponential', mean: 5 }, buffer: 10, next: 'Press', power: { working: 3, idle: 1, blocked: 1 } },
    { name: 'Press', processing: { kind: 'exponential', mean: 8 }, buffer: 10, next: null, power: { working: 8, idle: 2, blocked: 2 } },
  ],
  run: { until: 2000 },
};
const goal = {
  variables: [{ name: 'line.Press.servers', kind: 'integer', min: 1, max: 3, initial: 1 }],
  objectives: [{ expression: 'line_leadTimeMean', sense: 'min' }],
  evaluation: { replications: 2 },
};
const availability = { 'shop/m2/running': { machine: 2, repair: 30 }, 'shop/m0/running': { machine: 0, stage: 0, repair: 10 } };

const flow = [
  { id: 'tab', type: 'tab', label: 'fuzz' },
  { id: 'sim', type: 'twin-simulator', z: 'tab', persist: false, line: JSON.stringify(line), replications: 2, timeLimit: 1, wires: [[], [], []] },
  {
    id: 'opt', type: 'twin-optimizer', z: 'tab', simulator: 'sim', goal: JSON.stringify(goal), maxEvaluations: 10, timeLimit: 0.5, confirm: 2,
    availability: JSON.stringify(availability), wires: [['results'], ['progress']],
  },
  { id: 'results', type: 'helper', z: 'tab' },
  { id: 'progress', type: 'helper', z: 'tab' },
  { id: 'catch', type: 'catch', z: 'tab', scope: ['opt'], uncaught: false, wires: [['caught']] },
  { id: 'caught', type: 'helper', z: 'tab' },
];

const FT03 = '3 3\n0 3 1 2 2 2\n0 2 2 1 1 4\n1 4 2 3 0 1\n';
const small = fc.integer({ min: 1, max: 9 });
const jobs = fc.array(fc.array(fc.record({ machine: fc.integer({ min: 0, max: 2 }), duration: small }), { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 4 });
const limit = fc.constantFrom(0.1, 0.2, '0.2');
const objective = fc.constantFrom('makespan', 'tardiness', 'weightedTardiness', 'flowtime');

const good = fc.oneof(
  fc.record({ topic: fc.constant('schedule'), payload: fc.record({ jobs, objective, dueDates: fc.array(small, { maxLength: 4 }), releaseDates: fc.array(small, { maxLength: 4 }), seed: small }, { requiredKeys: ['jobs'] }), timeLimit: limit }),
  fc.record({ topic: fc.constant('schedule'), payload: fc.constant({ instance: FT03 }), timeLimit: limit }),
  fc.record({ topic: fc.constant('flowshop'), payload: fc.record({ stages: fc.array(fc.record({ machines: fc.integer({ min: 1, max: 2 }) }), { minLength: 1, maxLength: 3 }), jobs: fc.array(fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 3, maxLength: 3 }), { minLength: 1, maxLength: 4 }) }), timeLimit: limit }),
  fc.record({ topic: fc.constant('reschedule'), payload: fc.record({ now: fc.integer({ min: 0, max: 10 }), disturbances: fc.array(fc.oneof(
    fc.record({ type: fc.constant('machineDown'), machine: fc.integer({ min: 0, max: 2 }), start: small, duration: small }),
    fc.record({ type: fc.constant('durationChange'), job: fc.integer({ min: 0, max: 2 }), op: fc.integer({ min: 0, max: 2 }), duration: small }),
    fc.record({ type: fc.constant('rushJob'), operations: fc.array(fc.record({ machine: fc.integer({ min: 0, max: 2 }), duration: small }), { minLength: 1, maxLength: 2 }), dueDate: small }),
  ), { minLength: 1, maxLength: 2 }) }), timeLimit: limit }),
  fc.record({ topic: fc.constant('rul-low'), payload: fc.record({ machine: fc.integer({ min: 0, max: 2 }), rul: small, now: fc.integer({ min: 0, max: 10 }), repair: small }), timeLimit: limit }),
  fc.record({ topic: fc.constant('layout'), payload: fc.record({
    flows: fc.constant([[0, 3, 1], [3, 0, 2], [1, 2, 0]]),
    locations: fc.constant([{ x: 0, y: 0 }, { x: 10, y: 0 }, { x: 20, y: 0 }]),
  }), timeLimit: limit }),
  fc.record({ topic: fc.constant('layout'), payload: fc.record({
    flows: fc.constant([[0, 10, 0], [10, 0, 0], [0, 0, 0]]),
    locations: fc.constant([{ x: 0, y: 0 }, { x: 50, y: 0 }, { x: 100, y: 0 }]),
    simulate: fc.record({ stations: fc.constant(['Saw', 'Press']), speed: fc.constantFrom(1, 2), replications: fc.constantFrom(1, 2) }),
  }), timeLimit: limit }),
  fc.record({ topic: fc.constantFrom('optimise', 'optimize'), payload: fc.record({ seed: small, maxEvaluations: fc.integer({ min: 1, max: 6 }), confirm: fc.constantFrom(0, 1), timeLimit: fc.constantFrom(0.3, 0.5) }, { requiredKeys: [] }) }),
  fc.record({ topic: fc.constant('objective'), payload: fc.record({ objectives: fc.constant([{ expression: 'line_throughput', sense: 'max' }]), weights: fc.constant([1]) }, { requiredKeys: [] }) }),
  fc.constant({ topic: 'stop' }),
  fc.record({ topic: fc.constantFrom('shop/m2/running', 'shop/m0/running'), payload: fc.oneof(fc.boolean(), fc.constantFrom(0, 1, '0', 'false'), fc.record({ asset: fc.constant('shop/m2'), signal: fc.constant('running'), value: fc.boolean() })) }),
);

const arbitrary = messageArb({
  topics: ['optimise', 'optimize', 'stop', 'objective', 'schedule', 'flowshop', 'reschedule', 'rul-low', 'layout', 'shop/m2/running'],
  keys: ['shop/m2/running', 'shop/m0/running'],
  fields: ['timeLimit'],
  good,
  payloads: [specialNumber, numberString],
});

/**
 * Time limits a request may legitimately ask for (up to a day) are capped at 0.5 s so the fuzz
 * ends within minutes; invalid ones (NaN, -1, text, objects) stay as generated.
 */
function cap(v) {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) && n > 0.5 && n <= 86400 ? 0.5 : v;
}
function prepare(msg) {
  if (!msg || typeof msg !== 'object') return msg;
  const out = { ...msg };
  if ('timeLimit' in out) out.timeLimit = cap(out.timeLimit);
  const p = out.payload;
  if (p && typeof p === 'object' && !Array.isArray(p) && !Buffer.isBuffer(p) && 'timeLimit' in p) out.payload = { ...p, timeLimit: cap(p.timeLimit) };
  return out;
}

describe('fuzz: twin-optimizer (with a twin-simulator and a goal)', function () {
  this.timeout(1800000);

  it(`survives ${NUM_RUNS} hostile requests, refusing each catchably, and still schedules and optimises`, async function () {
    await runFuzz({
      name: 'twin-optimizer',
      flow,
      nodeId: 'opt',
      arbitrary,
      numRuns: NUM_RUNS,
      batchSize: 100,
      batchTimeoutMs: 120000,
      prepare,
      finalCheck: async () => {
        const results = collect('results');
        const caught = collect('caught');
        const node = helper.getNode('opt');
        node.receive({ topic: 'shop/m2/running', payload: true });
        node.receive({ topic: 'schedule', payload: { instance: FT03 }, timeLimit: 2, requestId: 'final-schedule' });
        await waitFor(() => results.some((m) => m.requestId === 'final-schedule') || caught.length > 0, 'the schedule', 15000);
        assert.deepEqual(caught.map((m) => m.error.message), []);
        const s = results.find((m) => m.requestId === 'final-schedule').payload;
        assert.equal(s.operations.length, 9);
        assert.ok(s.makespan >= s.lowerBound && s.makespan <= 20, `makespan ${s.makespan}, bound ${s.lowerBound}`);
        node.receive({ topic: 'optimise', payload: { seed: 3, maxEvaluations: 6, confirm: 0, timeLimit: 5 }, requestId: 'final-optimise' });
        await waitFor(() => results.some((m) => m.requestId === 'final-optimise') || caught.length > 0, 'the optimisation', 20000);
        assert.deepEqual(caught.map((m) => m.error.message), []);
        const o = results.find((m) => m.requestId === 'final-optimise').payload;
        assert.ok([1, 2, 3].includes(o.best.point['line.Press.servers']), JSON.stringify(o.best));
      },
    });
  });
});
