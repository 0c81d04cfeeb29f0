'use strict';
/** twin-ingest without a source ("from any node"): 10,000 hostile messages on its input. */
const assert = require('node:assert/strict');
const { fc, messageArb, mutateBytes, numberString, specialNumber } = require('./arbitraries');
const { runFuzz } = require('./harness');
const { helper, collect, waitFor } = require('../support/flow-helper');
const { encodeSparkplugPayload, SparkplugDataType: T } = require('../../dist/core/ingest/sparkplug');

const NUM_RUNS = Number(process.env.FUZZ_RUNS) || 10000;

const flow = [
  { id: 'tab', type: 'tab', label: 'fuzz' },
  {
    id: 'ingest', type: 'twin-ingest', z: 'tab', name: '',
    signals: [{ match: '+/+/+/temperature', unit: 'degC' }, { match: '+/+/+/level', unit: '', rawLow: '0', rawHigh: '4095', low: '0', high: '100' }],
    wires: [['out']],
  },
  { id: 'out', type: 'helper', z: 'tab' },
  { id: 'catch', type: 'catch', z: 'tab', scope: ['ingest'], uncaught: false, wires: [['caught']] },
  { id: 'caught', type: 'helper', z: 'tab' },
];

const KEYS = ['plant/line1/press1/temperature', 'plant/line1/press1/pressure', 'p/l/m/flow', 'p/l/m/level', 'p/l/m/running', 'a', 'a/b', 'plant/line1/oven/temperature'];
const SP = {
  nbirth: 'spBv1.0/G1/NBIRTH/edge1', ndata: 'spBv1.0/G1/NDATA/edge1', ndeath: 'spBv1.0/G1/NDEATH/edge1',
  dbirth: 'spBv1.0/G1/DBIRTH/edge1/dev1', ddata: 'spBv1.0/G1/DDATA/edge1/dev1', ddeath: 'spBv1.0/G1/DDEATH/edge1/dev1',
};
const TOPICS = [...KEYS, ...Object.values(SP), 'spBv1.0/STATE/host', 'spBv1.0/G1/NCMD/edge1', 'spBv1.0/', 'spBv1.0', ''];

const now = Date.now();
const nodeBirth = [
  { name: 'bdSeq', datatype: T.Int64, value: 0 },
  { name: 'Node Control/Rebirth', alias: 0, datatype: T.Boolean, value: false },
  { name: 'Line Speed', alias: 1, datatype: T.Double, value: 12.5, properties: { engUnit: 'm/min' } },
];
const deviceBirth = [
  { name: 'Motor/Temperature', alias: 10, datatype: T.Float, value: 41.5, properties: { engUnit: 'degC' } },
  { name: 'Running', alias: 11, datatype: T.Boolean, value: true },
  { name: 'Count', alias: 12, datatype: T.Int32, value: 7 },
];

/** Good Sparkplug messages: births, data by alias, deaths, with the sequence number running on. */
const sparkplugGood = fc.tuple(fc.constantFrom('nbirth', 'ndata', 'dbirth', 'ddata', 'ndeath', 'ddeath'), fc.integer({ min: 0, max: 255 }), fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }))
  .map(([kind, seq, v]) => {
    const metrics = {
      nbirth: nodeBirth,
      ndata: [{ alias: 1, datatype: T.Double, value: v }],
      ndeath: [{ name: 'bdSeq', datatype: T.Int64, value: 0 }],
      dbirth: deviceBirth,
      ddata: [{ alias: 10, datatype: T.Float, value: Math.fround(v) }, { alias: 12, datatype: T.Int32, value: Math.trunc(v) | 0 }],
      ddeath: [],
    }[kind];
    return { topic: SP[kind], payload: Buffer.from(encodeSparkplugPayload({ timestamp: now, seq: kind === 'ndeath' ? undefined : seq, metrics })) };
  });

const finite = fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e9, max: 1e9 });
const unit = fc.constantFrom('bar', 'degC', '°F', 'degF', 'kW', 'l/min', 'm/s', 'rpm', '%', 'mm', '');
const quality = fc.constantFrom('good', 'uncertain', 'bad', 192, 0, 'GOOD');
const ts = fc.oneof(fc.integer({ min: now - 86400000, max: now + 1000 }), fc.integer({ min: now - 86400000, max: now }).map((t) => new Date(t).toISOString()));
const key = fc.constantFrom(...KEYS);

const good = fc.oneof(
  fc.record({ topic: key, payload: finite }),
  fc.record({ topic: key, payload: fc.tuple(finite, unit).map(([v, u]) => `${v} ${u}`.trim()) }),
  fc.record({ topic: key, payload: fc.record({ value: finite, unit, ts, quality }, { requiredKeys: ['value'] }).map((p) => JSON.stringify(p)) }),
  fc.record({ topic: key, payload: fc.record({ value: finite, unit, ts, quality }, { requiredKeys: ['value'] }) }),
  fc.record({ topic: key, payload: fc.boolean() }),
  fc.record({ topic: key, payload: numberString }),
  fc.record({ topic: fc.constant('x'), payload: finite, asset: fc.constantFrom('line1/m1', 'plant/a'), signal: fc.constantFrom('speed', 'temperature') }),
  sparkplugGood,
);

const arbitrary = messageArb({
  topics: TOPICS,
  keys: KEYS,
  fields: ['asset', 'signal'],
  good,
  payloads: [mutateBytes(sparkplugGood.map((m) => m.payload)), specialNumber],
});

const QUALITIES = new Set(['good', 'uncertain', 'bad']);

/** The ingest contract (ARCHITECTURE.md): what every later node relies on. */
function checkOutput(msg) {
  const p = msg && msg.payload;
  if (!p || typeof p !== 'object') return `payload is not a sample: ${typeof p}`;
  if (typeof p.asset !== 'string') return `asset ${typeof p.asset}`;
  if (typeof p.signal !== 'string' || p.signal === '') return `signal ${JSON.stringify(p.signal)}`;
  if (msg.topic !== (p.asset ? `${p.asset}/${p.signal}` : p.signal)) return `topic "${String(msg.topic).slice(0, 80)}" is not asset/signal`;
  if (!((typeof p.value === 'number' && Number.isFinite(p.value)) || typeof p.value === 'boolean')) return `value ${String(p.value).slice(0, 40)} (${typeof p.value}) is not a finite number or boolean (text values are off)`;
  if (!(p.unit === null || typeof p.unit === 'string')) return `unit ${typeof p.unit}`;
  if (!QUALITIES.has(p.quality)) return `quality ${String(p.quality)}`;
  for (const f of ['sourceTime', 'receivedTime', 'latencyMs']) if (typeof p[f] !== 'number' || !Number.isFinite(p[f])) return `${f} ${String(p[f])}`;
  if (p.latencyMs < 0) return `latencyMs ${p.latencyMs} < 0`;
  return undefined;
}

describe('fuzz: twin-ingest (input messages, no source)', function () {
  this.timeout(900000);

  it(`survives ${NUM_RUNS} hostile messages, refusing each catchably, and still ingests a good one`, async function () {
    await runFuzz({
      name: 'twin-ingest',
      flow,
      nodeId: 'ingest',
      arbitrary,
      numRuns: NUM_RUNS,
      batchSize: 250,
      batchTimeoutMs: 20000,
      checkOutput,
      finalCheck: async () => {
        const out = collect('out');
        const caught = collect('caught');
        const ingest = helper.getNode('ingest');
        ingest.receive({ topic: 'fuzzfinal/line/m1/temperature', payload: '42.5 degC', correlation: 'final' });
        ingest.receive({ topic: 'fuzzfinal/line/m1/pressure', payload: JSON.stringify({ value: 6.5, unit: 'bar', quality: 'good' }) });
        await waitFor(() => out.length >= 2 || caught.length > 0, 'the two good samples', 5000);
        assert.deepEqual(caught.map((m) => m.error.message), []);
        const t = out.find((m) => m.topic === 'fuzzfinal/line/m1/temperature');
        assert.ok(t, 'temperature sample out');
        assert.equal(t.payload.value, 42.5);
        assert.equal(t.payload.unit, 'degC');
        assert.equal(t.correlation, 'final');
        const p = out.find((m) => m.topic === 'fuzzfinal/line/m1/pressure');
        assert.equal(p.payload.value, 6.5);
        assert.equal(p.payload.unit, 'bar');
      },
    });
  });
});
