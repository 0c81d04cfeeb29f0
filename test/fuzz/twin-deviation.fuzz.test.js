'use strict';
/** twin-deviation with a twin model: 10,000 hostile samples, predictions and learning commands. */
const assert = require('node:assert/strict');
const { fc, messageArb, specialNumber, numberString } = require('./arbitraries');
const { runFuzz } = require('./harness');
const { helper, collect, waitFor } = require('../support/flow-helper');

const NUM_RUNS = Number(process.env.FUZZ_RUNS) || 10000;

const model = {
  schemaVersion: 1, revision: 4, name: 'ovens', relationships: [],
  assets: [{ name: 'l1', kind: 'line', signals: [], parameters: [], children: [{
    name: 'oven1', kind: 'machine', children: [], signals: [{ name: 'temperature', unit: 'degC' }, { name: 'power', unit: 'kW' }],
    parameters: [{ name: 'k', value: 0.05, unit: 'kW/K' }, { name: 'C', value: 50, unit: 'kJ/K' }],
  }] }],
};

const flow = [
  { id: 'tab', type: 'tab', label: 'fuzz' },
  { id: 'model', type: 'twin-model', name: 'ovens', model },
  { id: 'deviation', type: 'twin-deviation', z: 'tab', model: 'model', persist: false, warmup: 5, tolerance: 500, wires: [['scores'], ['events'], ['answers']] },
  { id: 'scores', type: 'helper', z: 'tab' },
  { id: 'events', type: 'helper', z: 'tab' },
  { id: 'answers', type: 'helper', z: 'tab' },
  { id: 'catch', type: 'catch', z: 'tab', scope: ['deviation'], uncaught: false, wires: [['caught']] },
  { id: 'caught', type: 'helper', z: 'tab' },
];

const KEYS = ['l1/oven1/temperature', 'l1/oven1/power', 'l1/oven2/temperature', 'plant/x/speed', 'speed'];
const now = Date.now();
const value = fc.double({ noNaN: true, noDefaultInfinity: true, min: -500, max: 500 });
const time = fc.integer({ min: now - 3600000, max: now + 1000 });

const sampleObject = fc.record({
  key: fc.constantFrom(...KEYS.slice(0, 4)),
  value: fc.oneof({ weight: 5, arbitrary: value }, { weight: 1, arbitrary: fc.boolean() }),
  sourceTime: time,
  unit: fc.constantFrom('degC', 'kW', null),
  quality: fc.constantFrom('good', 'bad'),
}).map(({ key, ...rest }) => {
  const at = key.lastIndexOf('/');
  return { topic: key, payload: { asset: key.slice(0, at), signal: key.slice(at + 1), ...rest, receivedTime: now, latencyMs: 0 } };
});

const good = fc.oneof(
  { weight: 5, arbitrary: sampleObject },
  { weight: 2, arbitrary: sampleObject.map((m) => ({ ...m, payload: { ...m.payload, predicted: true } })) },
  { weight: 3, arbitrary: fc.record({ topic: fc.constantFrom(...KEYS), payload: fc.oneof(value, fc.boolean(), value.map(String)) }) },
  { weight: 1, arbitrary: fc.record({ topic: fc.constantFrom('freeze', 'resume', 'compare') }) },
  { weight: 1, arbitrary: fc.record({ topic: fc.constant('reset'), payload: fc.constantFrom(...KEYS, '') }) },
);

const arbitrary = messageArb({
  topics: ['freeze', 'resume', 'reset', 'compare', ...KEYS],
  keys: KEYS,
  good,
  payloads: [specialNumber, numberString],
});

function checkOutput(msg, output) {
  if (output !== 0) return undefined;
  const p = msg.payload;
  if (!p || typeof p !== 'object') return `score payload ${typeof p}`;
  if (typeof p.value !== 'number' || !Number.isFinite(p.value)) return `scored value ${String(p.value)} is not finite`;
  for (const f of ['score', 'likelihood', 'residual', 'expected']) {
    if (p[f] !== null && p[f] !== undefined && typeof p[f] === 'number' && Number.isNaN(p[f])) return `${f} is NaN`;
  }
  if (!['ok', 'warning', 'alarm'].includes(p.severity)) return `severity ${String(p.severity)}`;
  return undefined;
}

describe('fuzz: twin-deviation (with a twin model)', function () {
  this.timeout(900000);

  it(`survives ${NUM_RUNS} hostile messages, refusing each catchably, and still scores a sample`, async function () {
    await runFuzz({
      name: 'twin-deviation',
      flow,
      nodeId: 'deviation',
      arbitrary,
      numRuns: NUM_RUNS,
      batchSize: 250,
      batchTimeoutMs: 20000,
      checkOutput,
      finalCheck: async () => {
        const scores = collect('scores');
        const answers = collect('answers');
        const caught = collect('caught');
        const node = helper.getNode('deviation');
        node.receive({ topic: 'resume' });
        for (let i = 0; i < 8; i++) node.receive({ topic: 'fuzzfinal/m1/x', payload: 1.5 + (i % 2) * 0.01, n: i });
        node.receive({ topic: 'compare', requestId: 'final' });
        await waitFor(() => (scores.filter((m) => m.topic === 'fuzzfinal/m1/x').length === 8 && answers.some((m) => m.requestId === 'final')) || caught.length > 0, 'eight scores and the compare answer', 5000);
        assert.deepEqual(caught.map((m) => m.error.message), []);
        const last = scores.filter((m) => m.topic === 'fuzzfinal/m1/x')[7];
        assert.equal(last.n, 7);
        assert.equal(last.payload.asset, 'fuzzfinal/m1');
        assert.equal(last.payload.signal, 'x');
        assert.equal(last.payload.value, 1.51);
        assert.equal(last.payload.learning, false, 'scored after the warm-up of 5');
        assert.ok(Number.isFinite(last.payload.score), `score ${last.payload.score}`);
        const compare = answers.find((m) => m.requestId === 'final');
        assert.equal(compare.modelRevision, 4);
        assert.ok(Array.isArray(compare.payload.signals));
      },
    });
  });
});
