'use strict';
/** twin-state with a twin model: 10,000 hostile samples and queries. */
const assert = require('node:assert/strict');
const { fc, messageArb, specialNumber } = require('./arbitraries');
const { runFuzz } = require('./harness');
const { helper, collect, waitFor } = require('../support/flow-helper');

const NUM_RUNS = Number(process.env.FUZZ_RUNS) || 10000;

const model = {
  schemaVersion: 1,
  revision: 7,
  name: 'fuzz plant',
  assets: [{
    name: 'line1', kind: 'line', parameters: [], signals: [],
    children: [{
      name: 'press1', kind: 'machine', children: [], parameters: [{ name: 'mass', value: 12, unit: 'kg' }],
      signals: [
        { name: 'temperature', unit: 'degC', maxAgeMs: 300, range: { min: 0, max: 100 } },
        { name: 'pressure', unit: 'bar', maxAgeMs: 60000 },
        { name: 'setpoint', unit: 'bar' },
      ],
    }],
  }],
  relationships: [],
};

const flow = [
  { id: 'tab', type: 'tab', label: 'fuzz' },
  { id: 'model', type: 'twin-model', name: 'fuzz', model },
  { id: 'state', type: 'twin-state', z: 'tab', model: 'model', persist: false, fidelityInterval: 1, unknownSignals: 'add', historyLength: 50, missingGrace: 1, wires: [['samples'], ['events'], ['answers']] },
  { id: 'samples', type: 'helper', z: 'tab' },
  { id: 'events', type: 'helper', z: 'tab' },
  { id: 'answers', type: 'helper', z: 'tab' },
  { id: 'catch', type: 'catch', z: 'tab', scope: ['state'], uncaught: false, wires: [['caught']] },
  { id: 'caught', type: 'helper', z: 'tab' },
];

const ASSETS = ['line1/press1', 'line1/press2', 'line2/oven', 'plant/a/b'];
const SIGNALS = ['temperature', 'pressure', 'setpoint', 'humidity', 'speed'];
const KEYS = ASSETS.flatMap((a) => SIGNALS.map((s) => `${a}/${s}`));
const now = Date.now();

const sample = fc.record({
  asset: fc.constantFrom(...ASSETS),
  signal: fc.constantFrom(...SIGNALS),
  value: fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1000, max: 1000 }), fc.boolean()),
  unit: fc.constantFrom(null, 'degC', 'bar', 'kW'),
  quality: fc.constantFrom('good', 'uncertain', 'bad'),
  sourceTime: fc.integer({ min: now - 600000, max: now + 1000 }),
}).map((s) => ({ topic: `${s.asset}/${s.signal}`, payload: { ...s, receivedTime: now, latencyMs: 0 } }));

const pattern = fc.constantFrom('**', 'line1/**', 'line1/*/temperature', 'line1/press1/pressure', '*', 'plant/**/b', '', '***', '**/**/**');
const good = fc.oneof(
  { weight: 6, arbitrary: sample },
  { weight: 2, arbitrary: fc.record({ topic: fc.constant('get'), payload: pattern, history: fc.boolean() }, { requiredKeys: ['topic', 'payload'] }) },
  { weight: 1, arbitrary: fc.record({ topic: fc.constant('get'), pattern }) },
  { weight: 1, arbitrary: fc.constant({ topic: 'snapshot' }) },
  { weight: 1, arbitrary: fc.record({ topic: fc.constant('fidelity'), payload: fc.constantFrom('', 'line1', 'line1/press1', 'nope') }) },
  { weight: 2, arbitrary: fc.record({ topic: fc.constant('desired'), payload: fc.record({ key: fc.constantFrom(...KEYS), value: fc.double({ noNaN: true, min: -100, max: 100 }), tolerance: fc.double({ min: 0, max: 5, noNaN: true }), writtenAt: fc.integer({ min: now - 10000, max: now }) }, { requiredKeys: ['key', 'value'] }) }) },
  { weight: 1, arbitrary: fc.record({ topic: fc.constant('learn'), payload: fc.oneof(fc.double({ min: 0.01, max: 2, noNaN: true }), fc.constantFrom('1', '0.5')) }) },
  // An asset restored after a cluster takeover: one message, a sample per signal.
  { weight: 1, arbitrary: fc.record({ topic: fc.constantFrom(...ASSETS), payload: fc.array(sample.map((m) => m.payload), { maxLength: 8 }), restored: fc.constant(true) }) },
);

const arbitrary = messageArb({
  topics: ['get', 'snapshot', 'fidelity', 'desired', 'learn', ...KEYS.slice(0, 6)],
  keys: KEYS,
  fields: ['pattern', 'history', 'restored'],
  good,
  payloads: [specialNumber],
});

function checkOutput(msg, output) {
  if (output === 2 && ['get', 'snapshot', 'fidelity', 'desired'].includes(msg.topic) && msg.modelRevision !== 7) return `answer without the model revision: ${msg.modelRevision}`;
  if (output === 2 && msg.topic === 'get' && !Array.isArray(msg.payload)) return `get answered with ${typeof msg.payload}`;
  return undefined;
}

describe('fuzz: twin-state (with a twin model)', function () {
  this.timeout(900000);

  it(`survives ${NUM_RUNS} hostile messages, refusing each catchably, and still answers get`, async function () {
    await runFuzz({
      name: 'twin-state',
      flow,
      nodeId: 'state',
      arbitrary,
      numRuns: NUM_RUNS,
      batchSize: 250,
      batchTimeoutMs: 20000,
      checkOutput,
      finalCheck: async () => {
        const answers = collect('answers');
        const caught = collect('caught');
        const state = helper.getNode('state');
        const t = Date.now();
        state.receive({ topic: 'fuzzfinal/m1/value', payload: { asset: 'fuzzfinal/m1', signal: 'value', value: 12.25, unit: null, quality: 'good', sourceTime: t, receivedTime: t, latencyMs: 0 } });
        state.receive({ topic: 'get', payload: 'fuzzfinal/m1/value', requestId: 'final' });
        await waitFor(() => answers.some((m) => m.requestId === 'final') || caught.length > 0, 'the answer to get', 5000);
        assert.deepEqual(caught.map((m) => m.error.message), []);
        const answer = answers.find((m) => m.requestId === 'final');
        assert.equal(answer.topic, 'get');
        assert.equal(answer.modelRevision, 7);
        assert.deepEqual(answer.payload.map((s) => [s.key, s.value]), [['fuzzfinal/m1/value', 12.25]]);
      },
    });
  });
});
