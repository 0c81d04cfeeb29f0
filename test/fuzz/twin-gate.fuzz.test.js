'use strict';
/**
 * twin-gate with a safety envelope, tiny rollout timings, a setpoint map and a machine list:
 * 10,000 hostile candidates, optimizer answers, commands, audit queries and evidence.
 * Besides the general checks, every write the gate sends to apply a decision must lie inside
 * the envelope (the gate is the only way a decision reaches the plant).
 */
const assert = require('node:assert/strict');
const { fc, messageArb, specialNumber, numberString } = require('./arbitraries');
const { runFuzz } = require('./harness');
const { helper, collect, waitFor } = require('../support/flow-helper');

const NUM_RUNS = Number(process.env.FUZZ_RUNS) || 10000;

const SERVERS = 'line1/Press/servers';
const envelope = {
  'line1/*/speedSetpoint': { min: 50, max: 150, maxStep: 30 },
  'line9/*/speedSetpoint': { min: 50, max: 150, maxStep: 30 },
  [SERVERS]: { min: 1, max: 3, maxStep: 2 },
};
const rollout = {
  steps: [
    { share: 0.3, minDurationMs: 150, analysisWindowMs: 150 },
    { share: 1, minDurationMs: 150, analysisWindowMs: 150 },
  ],
  readBackTimeoutMs: 1000,
  minSamples: 1,
  maxHolds: 5,
};
const machines = ['line1/m1', 'line1/m2', 'line1/m3'];

const flow = [
  { id: 'tab', type: 'tab', label: 'fuzz' },
  {
    id: 'gate', type: 'twin-gate', z: 'tab', persist: false, approval: 'marginal',
    envelope: JSON.stringify(envelope), rollout: JSON.stringify(rollout),
    variables: JSON.stringify({ 'line.Press.servers': SERVERS }), machines: JSON.stringify(machines),
    promotion: JSON.stringify({ shadowWindowMs: 500, minSamples: 2 }),
    wires: [['writes'], ['desired'], ['notes'], ['models']],
  },
  { id: 'writes', type: 'helper', z: 'tab' },
  { id: 'desired', type: 'helper', z: 'tab' },
  { id: 'notes', type: 'helper', z: 'tab' },
  { id: 'models', type: 'helper', z: 'tab' },
  { id: 'catch', type: 'catch', z: 'tab', scope: ['gate'], uncaught: false, wires: [['caught']] },
  { id: 'caught', type: 'helper', z: 'tab' },
];

const now = Date.now();
// Mostly near 100, so that candidates pass the envelope's maxStep from the values seen and roll out.
const speed = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 90, max: 115 }) }, { weight: 1, arbitrary: fc.integer({ min: 40, max: 160 }) });
const id = fc.oneof(fc.constantFrom('c1', 'c2', 'c3'), fc.nat(100000).map((n) => `c-${n}`));
const subset = fc.subarray(machines, { minLength: 1 });
const counterfactual = fc.record({ ok: fc.boolean(), value: fc.oneof(fc.constant(1), fc.double({ min: 0, max: 1, noNaN: true })), scenarios: fc.integer({ min: 1, max: 20 }), kpis: fc.constant([{ name: 'throughput', pass: true }]), reasons: fc.constant([]) });
const evidence = fc.record({
  fidelity: subset.map((ms) => ms.map((m) => ({ key: `${m}/speedSetpoint`, error: 0.01 }))),
  counterfactual,
}, { requiredKeys: [] });

const setpointCandidate = fc.record({ id, targets: subset, speed, evidence, throughput: speed }).map(({ id: cid, targets, speed: s, evidence: ev, throughput }) => ({
  topic: 'candidate',
  payload: { id: cid, kind: 'setpoints', targets, setpoints: Object.fromEntries(targets.map((m) => [`${m}/speedSetpoint`, s])), predicted: { kpis: { throughput } }, evidence: ev },
}));
const scheduleCandidate = fc.record({ id, targets: subset }).map(({ id: cid, targets }) => ({
  topic: 'candidate',
  payload: { id: cid, kind: 'schedule', targets, schedule: Object.fromEntries(targets.map((t, i) => [t, [{ job: i, op: 0, start: i, end: i + 3 }]])), predicted: { kpis: { makespan: 12 } } },
}));
const modelCandidate = fc.record({ id, revision: fc.constantFrom('r1', 'r2', 'shadow-1') }).map(({ id: cid, revision }) => ({
  topic: 'candidate',
  payload: { id: cid, kind: 'model', targets: ['line1'], model: { revision, replaces: 'r0' }, predicted: { kpis: { rmse: 0.1 } } },
}));
const operation = fc.record({ job: fc.nat(5), op: fc.nat(3), machine: fc.integer({ min: 0, max: 2 }), start: fc.nat(20), end: fc.integer({ min: 21, max: 40 }) });

const good = fc.oneof(
  { weight: 5, arbitrary: setpointCandidate },
  { weight: 1, arbitrary: scheduleCandidate },
  { weight: 1, arbitrary: modelCandidate },
  { weight: 2, arbitrary: fc.record({ topic: fc.constantFrom('optimise', 'optimize'), payload: fc.record({ best: fc.record({ point: fc.record({ 'line.Press.servers': fc.integer({ min: 0, max: 4 }) }), kpis: fc.record({ line_leadTimeMean: fc.double({ min: 10, max: 100, noNaN: true }) }) }) }) }) },
  { weight: 2, arbitrary: fc.record({ topic: fc.constantFrom('schedule', 'reschedule', 'flowshop', 'rul-low'), payload: fc.record({ operations: fc.array(operation, { minLength: 1, maxLength: 6 }), makespan: fc.integer({ min: 10, max: 50 }), objectiveValue: fc.integer({ min: 10, max: 50 }), iterations: fc.nat(100) }, { requiredKeys: ['operations'] }) }) },
  { weight: 3, arbitrary: fc.record({ topic: fc.constantFrom('approve', 'reject', 'pause', 'resume', 'abort'), payload: fc.record({ by: fc.constantFrom('lead', 'op'), candidateId: id, reason: fc.string({ maxLength: 20 }) }, { requiredKeys: [] }) }) },
  { weight: 1, arbitrary: fc.record({ topic: fc.constant('command'), payload: fc.oneof(fc.constantFrom('approve', 'abort', 'pause'), fc.record({ action: fc.constantFrom('approve', 'reject', 'pause', 'resume', 'abort'), candidateId: id, by: fc.constant('lead') }, { requiredKeys: ['action'] })) }) },
  { weight: 1, arbitrary: fc.record({ topic: fc.constant('audit'), payload: fc.record({ candidateId: id, type: fc.constantFrom('received', 'refused', 'verdict'), limit: fc.integer({ min: 1, max: 50 }), from: fc.constant(now - 1000), to: fc.constant(now + 1e7) }, { requiredKeys: [] }), format: fc.constantFrom('json', 'jsonl') }, { requiredKeys: ['topic', 'payload'] }) },
  { weight: 4, arbitrary: fc.record({ m: fc.constantFrom(...machines, 'line1/Press'), s: fc.constantFrom('speedSetpoint', 'servers'), value: fc.oneof(speed, fc.integer({ min: 1, max: 3 })), quality: fc.constantFrom('good', 'bad', 'uncertain') })
    .map(({ m, s, value, quality }) => ({ payload: { asset: m, signal: s, value, quality } })) },
  { weight: 3, arbitrary: fc.record({ topic: fc.constant('realised'), payload: fc.record({ target: fc.constantFrom(...machines), kpis: fc.record({ throughput: speed }) }) }) },
  { weight: 1, arbitrary: fc.record({ topic: fc.constant('written'), payload: fc.record({ key: fc.constantFrom(...machines.map((m) => `${m}/speedSetpoint`)), ok: fc.boolean(), error: fc.string({ maxLength: 10 }) }, { requiredKeys: ['key', 'ok'] }) }) },
  { weight: 1, arbitrary: fc.constant({ topic: 'batch' }) },
  { weight: 1, arbitrary: fc.record({ topic: fc.constant('shadow'), payload: fc.record({ revision: fc.constantFrom('r1', 'r2'), samples: fc.array(fc.record({ key: fc.constant('line1/oven/temperature'), actual: speed, current: speed, candidate: speed, time: fc.constant(now) }), { maxLength: 3 }) }) }) },
  { weight: 1, arbitrary: fc.record({ topic: fc.constantFrom('stale', 'fresh'), payload: fc.record({ type: fc.constantFrom('stale', 'fresh'), key: fc.constantFrom(...machines.map((m) => `${m}/speedSetpoint`)), ageMs: fc.nat(60000) }) }) },
  { weight: 1, arbitrary: fc.record({ topic: fc.constant('fidelity/report'), payload: fc.record({ overall: fc.record({ signals: fc.nat(10), fresh: fc.nat(10), badQuality: fc.nat(3) }) }) }) },
  { weight: 1, arbitrary: fc.record({ topic: fc.constantFrom('anomaly-start', 'drift', 'drift-end', 'anomaly-end', 'drift-warning'), payload: fc.record({ key: fc.constantFrom(...machines.map((m) => `${m}/speedSetpoint`)), severity: fc.constantFrom('warning', 'alarm') }) }) },
  // twin-deviation's scored samples (severity evidence), names sometimes empty or odd
  { weight: 1, arbitrary: fc.record({ m: fc.constantFrom(...machines, '', 'line1'), signal: fc.oneof({ weight: 6, arbitrary: fc.constant('speedSetpoint') }, { weight: 1, arbitrary: fc.constantFrom('', ' ', 'a/b') }), value: speed, severity: fc.constantFrom('ok', 'warning', 'alarm') })
    .map(({ m, signal, value, severity }) => ({ topic: `${m}/${signal}`, payload: { asset: m, signal, value, expected: value, severity } })) },
  { weight: 1, arbitrary: fc.record({ topic: fc.constantFrom('snapshot', 'get'), payload: fc.record({ table: fc.array(fc.record({ key: fc.constantFrom(...machines.map((m) => `${m}/speedSetpoint`)), value: speed, quality: fc.constant('good') }), { maxLength: 3 }) }) }) },
);

const TOPICS = ['candidate', 'approve', 'reject', 'pause', 'resume', 'abort', 'command', 'audit', 'realised', 'written', 'batch', 'shadow', 'stale', 'fresh',
  'optimise', 'optimize', 'schedule', 'reschedule', 'flowshop', 'rul-low', 'snapshot', 'get', 'anomaly-start', 'anomaly-end', 'drift', 'drift-end', 'drift-cleared',
  'drift-warning', 'fidelity/report', 'model-adopted', 'model-discarded', 'calibrated', 'trained'];

const arbitrary = messageArb({
  topics: TOPICS,
  keys: [...machines.map((m) => `${m}/speedSetpoint`), SERVERS],
  fields: ['evidence', 'format', 'modelRevision'],
  good,
  payloads: [specialNumber, numberString],
});

/** Every write that applies a decision must be a finite number inside the envelope. */
function checkOutput(msg, output) {
  if (output !== 0 || !msg || msg.purpose !== 'apply') return undefined;
  const key = String(msg.topic);
  const v = msg.payload;
  if (typeof v !== 'number' || !Number.isFinite(v)) return `apply write of ${key} = ${String(v)} is not a finite number`;
  const rule = key === SERVERS ? envelope[SERVERS] : /^line[19]\/[^/]+\/speedSetpoint$/.test(key) ? envelope['line1/*/speedSetpoint'] : undefined;
  if (!rule) return `apply write of ${key}: no envelope rule covers this key`;
  if (v < rule.min || v > rule.max) return `apply write of ${key} = ${v} is outside the envelope [${rule.min}, ${rule.max}]`;
  return undefined;
}

describe('fuzz: twin-gate (with an envelope)', function () {
  this.timeout(1800000);

  it(`survives ${NUM_RUNS} hostile messages, refusing each catchably, and still scores and starts a good candidate`, async function () {
    await runFuzz({
      name: 'twin-gate',
      flow,
      nodeId: 'gate',
      arbitrary,
      numRuns: NUM_RUNS,
      batchSize: 250,
      batchTimeoutMs: 20000,
      checkOutput,
      finalCheck: async () => {
        const [writes, notes, caught] = ['writes', 'notes', 'caught'].map(collect);
        const gate = helper.getNode('gate');
        // Let the rollouts the fuzz started run out first (no plant reads them back: they fail or roll back).
        let lastNoteAt = Date.now();
        const quiet = collect('notes');
        const deadline = Date.now() + 15000;
        while (Date.now() < deadline && Date.now() - lastNoteAt < 2500) {
          const n = quiet.length;
          await new Promise((r) => setTimeout(r, 100));
          if (quiet.length !== n) lastNoteAt = Date.now();
        }
        const key = 'line9/final/speedSetpoint';
        gate.receive({ payload: { asset: 'line9/final', signal: 'speedSetpoint', value: 100, quality: 'good' } });
        const availability = { signals: [{ key, value: 100, quality: 'good', stale: false }] };
        gate.receive({
          topic: 'candidate',
          payload: {
            id: 'final-candidate', kind: 'setpoints', targets: ['line9/final'], setpoints: { [key]: 110 }, predicted: { kpis: { throughput: 110 } },
            evidence: { fidelity: [{ key, error: 0.01 }], availability, counterfactual: { ok: true, value: 1, scenarios: 5, kpis: [{ name: 'throughput', pass: true }], reasons: [] } },
          },
        });
        await waitFor(() => notes.some((n) => n.topic === 'verdict' && n.payload.candidateId === 'final-candidate') || caught.length > 0, 'a verdict', 5000);
        assert.deepEqual(caught.map((m) => m.error.message), []);
        const verdict = notes.find((n) => n.topic === 'verdict' && n.payload.candidateId === 'final-candidate').payload;
        assert.ok(['pass', 'marginal'].includes(verdict.verdict), `verdict ${verdict.verdict} (${verdict.score}): ${verdict.reasons}`);
        if (verdict.verdict === 'marginal') gate.receive({ topic: 'approve', payload: { candidateId: 'final-candidate', by: 'fuzz' } });
        await waitFor(() => writes.some((w) => w.topic === key) || caught.length > 0, 'the write of the good candidate', 5000);
        assert.deepEqual(caught.map((m) => m.error.message), []);
        const w = writes.find((x) => x.topic === key);
        assert.equal(w.payload, 110);
        assert.equal(w.purpose, 'apply');
        assert.equal(w.candidateId, 'final-candidate');
        // The plant: reads the setpoint back and delivers what was predicted, until the rollout completes.
        const plant = setInterval(() => {
          gate.receive({ payload: { asset: 'line9/final', signal: 'speedSetpoint', value: 110, quality: 'good' } });
          gate.receive({ topic: 'realised', payload: { target: 'line9/final', kpis: { throughput: 110 } } });
        }, 30);
        try {
          await waitFor(() => notes.some((n) => n.topic === 'completed' && n.payload.candidateId === 'final-candidate'), 'the good candidate completed', 10000);
        } finally {
          clearInterval(plant);
        }
      },
    });
  });
});
