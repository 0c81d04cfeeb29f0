'use strict';
/**
 * twin-gate with the rest of the loop: optimizer answers become candidates, the counterfactual
 * check runs on a real twin-simulator, and model candidates go through shadow, then swap.
 */
const assert = require('node:assert/strict');
const { helper, load, collect, waitFor } = require('../support/flow-helper');

const line = {
  sources: [{ interarrival: { kind: 'exponential', mean: 10 }, to: 'Saw' }],
  stations: [
    { name: 'Saw', processing: { kind: 'exponential', mean: 5 }, buffer: 10, next: 'Press', power: { working: 3, idle: 1, blocked: 1 } },
    { name: 'Press', processing: { kind: 'exponential', mean: 8 }, buffer: 10, next: null, power: { working: 8, idle: 2, blocked: 2 } },
  ],
  run: { until: 20000 },
};
const goal = {
  variables: [{ name: 'line.Press.servers', kind: 'integer', min: 1, max: 3, initial: 1 }],
  objectives: [{ expression: 'line_leadTimeMean', sense: 'min' }],
  evaluation: { replications: 3 },
};
const serversKey = 'line1/Press/servers';
const envelope = { [serversKey]: { min: 1, max: 3, maxStep: 2 } };
const rollout = { steps: [{ share: 1, minDurationMs: 100, analysisWindowMs: 100 }], readBackTimeoutMs: 2000, minSamples: 1 };

function loopFlow(gateSettings = {}) {
  return [
    { id: 'tab', type: 'tab', label: 'test' },
    { id: 'sim', type: 'twin-simulator', z: 'tab', persist: false, line: JSON.stringify(line), replications: 3, wires: [[], [], []] },
    { id: 'opt', type: 'twin-optimizer', z: 'tab', simulator: 'sim', wires: [['gate', 'results'], []] },
    {
      id: 'gate', type: 'twin-gate', z: 'tab', persist: false, approval: 'marginal',
      envelope: JSON.stringify(envelope), rollout: JSON.stringify(rollout),
      simulator: 'sim', variables: JSON.stringify({ 'line.Press.servers': serversKey }),
      counterfactual: JSON.stringify({ goals: { line_leadTimeMean: 'min' }, replications: 5 }),
      ...gateSettings,
      wires: [['writes'], [], ['notes'], ['models']],
    },
    { id: 'results', type: 'helper', z: 'tab' },
    { id: 'writes', type: 'helper', z: 'tab' },
    { id: 'notes', type: 'helper', z: 'tab' },
    { id: 'models', type: 'helper', z: 'tab' },
    { id: 'catch', type: 'catch', z: 'tab', scope: ['gate'], uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'tab' },
  ];
}

const part = (verdict, name) => verdict.parts.find((p) => p.name === name);

describe('twin-gate in the loop', function () {
  this.timeout(60000);
  beforeEach(() => helper.startServer());
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
  });

  it('takes the optimizer answer as a candidate, checks it on the simulator and writes the better setting', async function () {
    await load(loopFlow());
    const [writes, notes, results, caught] = ['writes', 'notes', 'results', 'caught'].map(collect);
    const gate = helper.getNode('gate');
    gate.receive({ payload: { key: serversKey, value: 1, quality: 'good' } });
    helper.getNode('opt').receive({ topic: 'optimise', payload: { ...goal, seed: 3, maxEvaluations: 20, confirm: 8 } });
    await waitFor(() => notes.some((n) => n.topic === 'verdict') || caught.length > 0, 'verdict', 40000);
    assert.equal(caught.length, 0, caught[0] && caught[0].error.message);
    const best = results[0].payload.best.point['line.Press.servers'];
    assert.ok(best >= 2, `the optimizer chose ${best} servers`);
    const verdict = notes.find((n) => n.topic === 'verdict').payload;
    assert.match(verdict.candidateId, /^optimise-/);
    const cf = part(verdict, 'counterfactual');
    assert.equal(cf.value, 1, cf.detail);
    // The candidate goes on: written at once (pass) or after an approval (marginal).
    if (verdict.verdict === 'marginal') {
      await waitFor(() => notes.some((n) => n.topic === 'approval-required'), 'approval request');
      gate.receive({ topic: 'approve', payload: { by: 'test' } });
    }
    await waitFor(() => writes.length > 0, 'write');
    assert.equal(writes[0].topic, serversKey);
    assert.equal(writes[0].payload, best);
    // The audit keeps the evidence and the optimizer run.
    gate.receive({ topic: 'audit', payload: { candidateId: verdict.candidateId } });
    await waitFor(() => notes.some((n) => n.topic === 'audit'), 'audit answer');
    const entries = notes.find((n) => n.topic === 'audit').payload;
    const scored = entries.find((e) => e.type === 'scored');
    assert.equal(scored.detail.counterfactual.scenarios, 5);
    const received = entries.find((e) => e.type === 'received');
    assert.equal(received.detail.optimizer.evaluations, results[0].payload.progress.evaluations);
  });

  it('scores a candidate that is worse on the simulator low, with the reason', async function () {
    await load(loopFlow({ approval: 'none' }));
    const [notes, caught, writes] = ['notes', 'caught', 'writes'].map(collect);
    const gate = helper.getNode('gate');
    gate.receive({ payload: { key: serversKey, value: 3, quality: 'good' } });
    gate.receive({ topic: 'candidate', payload: { id: 'fewer', kind: 'setpoints', targets: ['line1/Press'], setpoints: { [serversKey]: 1 }, predicted: { kpis: { line_leadTimeMean: 20 } } } });
    await waitFor(() => caught.length === 1, 'refusal');
    const verdict = notes.find((n) => n.topic === 'verdict').payload;
    const cf = part(verdict, 'counterfactual');
    assert.equal(cf.value, 0);
    assert.match(verdict.reasons.join(' '), /worse than the current settings/);
    assert.notEqual(verdict.verdict, 'pass');
    assert.equal(writes.length, 0);
  });

  it('does not count an unchecked candidate as checked: unknown current value, missing simulator', async function () {
    // No step limit in this envelope, so an unknown current value reaches the counterfactual check.
    await load(loopFlow({ approval: 'none', envelope: JSON.stringify({ [serversKey]: { min: 1, max: 3 } }) }));
    const [notes, caught] = ['notes', 'caught'].map(collect);
    const gate = helper.getNode('gate');
    gate.receive({ topic: 'candidate', payload: { id: 'blind', kind: 'setpoints', targets: ['line1/Press'], setpoints: { [serversKey]: 2 }, predicted: { kpis: { line_leadTimeMean: 20 } } } });
    await waitFor(() => caught.length === 1, 'refusal');
    const cf = part(notes.find((n) => n.topic === 'verdict').payload, 'counterfactual');
    assert.equal(cf.value, 0);
    assert.match(cf.detail, /current value of line1\/Press\/servers/, JSON.stringify(cf));
    await helper.unload();
    await load(loopFlow({ approval: 'none', simulator: 'nowhere' }));
    const [notes2, caught2] = ['notes', 'caught'].map(collect);
    helper.getNode('gate').receive({ payload: { key: serversKey, value: 1 } });
    helper.getNode('gate').receive({ topic: 'candidate', payload: { id: 'blind2', kind: 'setpoints', targets: ['line1/Press'], setpoints: { [serversKey]: 2 }, predicted: { kpis: { line_leadTimeMean: 20 } } } });
    await waitFor(() => caught2.length === 1, 'refusal');
    assert.match(part(notes2.find((n) => n.topic === 'verdict').payload, 'counterfactual').detail, /not deployed/);
  });

  it('counts an uncalibrated physics twin against availability', async function () {
    const physics = {
      states: { T: { signal: 'line1/oven/temperature', unit: 'degC', initial: 20 } },
      inputs: { P: { signal: 'line1/oven/heaterPower', unit: 'kW', value: 2 } },
      parameters: { k: { value: 0.05, unit: 'kW/K' }, C: { value: 50, unit: 'kJ/K' }, T_amb: { value: 20, unit: 'degC' } },
      equations: ['dT/dt = (P - k*(T - T_amb)) / C'],
    };
    const flow = loopFlow({ approval: 'none', simulator: 'oven', counterfactual: '', envelope: JSON.stringify({ 'line1/oven/heaterPower': { min: 0, max: 5 } }) });
    flow.push({ id: 'oven', type: 'twin-simulator', z: 'tab', persist: false, physics: JSON.stringify(physics), horizon: 60, wires: [[], [], []] });
    await load(flow);
    const [notes, caught] = ['notes', 'caught'].map(collect);
    const gate = helper.getNode('gate');
    gate.receive({ payload: { key: 'line1/oven/heaterPower', value: 2, quality: 'good' } });
    gate.receive({ topic: 'candidate', payload: { id: 'hot', kind: 'setpoints', targets: ['line1/oven'], setpoints: { 'line1/oven/heaterPower': 2.5 }, predicted: { kpis: { T: 60 } } } });
    await waitFor(() => notes.some((n) => n.topic === 'verdict'), 'verdict');
    const availability = part(notes.find((n) => n.topic === 'verdict').payload, 'availability');
    assert.match(availability.detail, /model not calibrated/);
    assert.ok(availability.value <= 0.5, `availability ${availability.value}`);
    await waitFor(() => caught.length === 1, 'refused: no pass without a calibrated model and a counterfactual');
  });

  it('refuses optimizer answers it cannot write whole, catchably', async function () {
    await load(loopFlow());
    const [caught, writes] = ['caught', 'writes'].map(collect);
    const gate = helper.getNode('gate');
    gate.receive({ topic: 'optimise', payload: { best: { point: { 'line.Saw.servers': 2 }, objectives: { a: 1 }, feasible: true, kpis: { line_leadTimeMean: 3 } }, front: [] } });
    gate.receive({ topic: 'schedule', payload: { operations: [{ job: 0, op: 0, machine: 0, start: 0, end: 3 }], makespan: 3 } });
    gate.receive({ topic: 'optimise', payload: { best: null, front: [] } });
    await waitFor(() => caught.length === 3, 'three refusals');
    assert.match(caught[0].error.message, /does not name "line.Saw.servers"/);
    assert.match(caught[1].error.message, /machine list/);
    assert.match(caught[2].error.message, /no best point/);
    assert.equal(writes.length, 0);
  });
});

describe('twin-gate: model promotion (shadow, then swap)', function () {
  this.timeout(20000);
  beforeEach(() => helper.startServer());
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
  });

  const flow = (settings = {}) => [
    { id: 'tab', type: 'tab', label: 'test' },
    { id: 'gate', type: 'twin-gate', z: 'tab', persist: false, approval: 'marginal', envelope: JSON.stringify(envelope), promotion: JSON.stringify({ shadowWindowMs: 400, minSamples: 20, maxExtensions: 1 }), ...settings, wires: [['writes'], [], ['notes'], ['models']] },
    { id: 'writes', type: 'helper', z: 'tab' },
    { id: 'notes', type: 'helper', z: 'tab' },
    { id: 'models', type: 'helper', z: 'tab' },
    { id: 'catch', type: 'catch', z: 'tab', scope: ['gate'], uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'tab' },
  ];
  const modelCandidate = (revision) => ({ topic: 'candidate', payload: { id: `model-${revision}`, kind: 'model', targets: ['line1/oven1'], predicted: { kpis: { rmse: 0.2 } }, model: { revision, replaces: 'initial' } } });
  /** Shadow samples as twin-simulator sends them: the candidate's error is `candidateError`. */
  const shadow = (revision, n, candidateError) => ({
    topic: 'shadow',
    payload: { revision, samples: Array.from({ length: n }, (_, i) => ({ key: 'line1/oven1/temperature', actual: 80 + i * 0.1, current: 80 + i * 0.1 + 1, candidate: 80 + i * 0.1 + candidateError, time: Date.now() })) },
  });

  it('swaps in a model that is clearly better over the shadow window: adopt-model on output 4', async function () {
    await load(flow());
    const [notes, models, writes] = ['notes', 'models', 'writes'].map(collect);
    const gate = helper.getNode('gate');
    gate.receive(modelCandidate('cal-1'));
    await waitFor(() => notes.some((n) => n.topic === 'model-shadow'), 'shadow started');
    gate.receive(shadow('cal-1', 30, 0.2));
    await waitFor(() => models.length === 1, 'adopt-model', 5000);
    assert.equal(models[0].topic, 'adopt-model');
    assert.equal(models[0].payload.revision, 'cal-1');
    assert.equal(models[0].payload.replaces, 'initial');
    const swapped = notes.find((n) => n.topic === 'model-swapped').payload;
    assert.ok(swapped.evidence.ratio < 0.5, `error ratio ${swapped.evidence.ratio}`);
    assert.equal(writes.length, 0, 'a model writes nothing to the plant');
  });

  it('keeps the model in use when the new one is not better, and tells the simulator to discard it', async function () {
    await load(flow());
    const [notes, models] = ['notes', 'models'].map(collect);
    const gate = helper.getNode('gate');
    gate.receive(modelCandidate('cal-2'));
    gate.receive(shadow('cal-2', 30, 1.5));
    await waitFor(() => models.length === 1, 'discard-model', 5000);
    assert.equal(models[0].topic, 'discard-model');
    assert.equal(models[0].payload.revision, 'cal-2');
    assert.match(notes.find((n) => n.topic === 'model-kept').payload.message, /not clearly better/);
  });

  it('waits for a person in every-step mode, and a newer model supersedes a shadow', async function () {
    await load(flow({ approval: 'every-step' }));
    const [notes, models] = ['notes', 'models'].map(collect);
    const gate = helper.getNode('gate');
    gate.receive(modelCandidate('cal-3'));
    gate.receive(modelCandidate('cal-4')); // supersedes cal-3 (same asset)
    gate.receive(shadow('cal-3', 30, 0.1)); // late samples for the superseded one: ignored
    gate.receive(shadow('cal-4', 30, 0.1));
    await waitFor(() => notes.some((n) => n.topic === 'approval-required'), 'approval request', 5000);
    assert.equal(models.length, 0, 'nothing swapped before the approval');
    assert.ok(notes.some((n) => n.topic === 'model-kept' && n.payload.revision === 'cal-3'));
    gate.receive({ topic: 'approve', payload: { by: 'shift lead' } });
    await waitFor(() => models.length === 1, 'adopt-model');
    assert.equal(models[0].payload.revision, 'cal-4');
  });

  it('refuses malformed shadow messages and model candidates catchably, and goes on', async function () {
    await load(flow());
    const [caught, models] = ['caught', 'models'].map(collect);
    const gate = helper.getNode('gate');
    gate.receive({ topic: 'shadow', payload: 'garbage' });
    gate.receive({ topic: 'shadow', payload: { revision: 'x', samples: 'nope' } });
    gate.receive({ topic: 'candidate', payload: { id: 'm', kind: 'model', targets: ['line1/oven1'], predicted: { kpis: {} } } });
    await waitFor(() => caught.length === 3, 'three refusals');
    assert.match(caught[2].error.message, /candidate.model/);
    gate.receive(modelCandidate('cal-5'));
    gate.receive({ topic: 'shadow', payload: { revision: 'cal-5', samples: [{ key: 'k/x', actual: 'NaN', current: 1, candidate: 1, time: 1 }] } });
    await waitFor(() => caught.length === 4, 'bad sample refused');
    gate.receive(shadow('cal-5', 30, 0.1));
    await waitFor(() => models.length === 1, 'still swaps', 5000);
  });
});

describe('twin-gate: events of the other nodes', function () {
  this.timeout(20000);
  beforeEach(() => helper.startServer());
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
  });
  const key = 'line1/oven1/heaterPower';
  const flow = (settings = {}) => [
    { id: 'tab', type: 'tab', label: 'test' },
    { id: 'gate', type: 'twin-gate', z: 'tab', persist: false, approval: 'marginal', envelope: JSON.stringify({ [key]: { min: 0, max: 10 } }), rollout: JSON.stringify({ steps: [{ share: 1, minDurationMs: 5000, analysisWindowMs: 5000 }], minSamples: 1 }), ...settings, wires: [['writes'], [], ['notes'], []] },
    { id: 'writes', type: 'helper', z: 'tab' },
    { id: 'notes', type: 'helper', z: 'tab' },
    { id: 'catch', type: 'catch', z: 'tab', scope: ['gate'], uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'tab' },
  ];
  const cf = { ok: true, value: 1, scenarios: 3, kpis: [{ name: 'T', pass: true }], reasons: [] };
  const candidate = (id) => ({ topic: 'candidate', payload: { id, kind: 'setpoints', targets: ['line1/oven1'], setpoints: { [key]: 3 }, predicted: { kpis: { T: 80 } }, evidence: { fidelity: [{ key, error: 0.01 }], counterfactual: cf } } });
  const availabilityOf = (notes, id) => notes.find((n) => n.topic === 'verdict' && n.payload.candidateId === id).payload.parts.find((p) => p.name === 'availability');

  it('lowers availability after a drift until the twin is refitted, or the drift hold has passed', async function () {
    await load(flow({ driftHold: 0.01 })); // 600 ms
    const [notes] = ['notes'].map(collect);
    const gate = helper.getNode('gate');
    gate.receive({ payload: { key, value: 2, quality: 'good' } });
    gate.receive({ topic: 'drift', payload: { asset: 'line1/oven1', signal: 'temperature', key: 'line1/oven1/temperature' } });
    gate.receive(candidate('a'));
    await waitFor(() => notes.some((n) => n.topic === 'verdict'), 'verdict a');
    assert.match(availabilityOf(notes, 'a').detail, /drift on line1\/oven1\/temperature/);
    gate.receive({ topic: 'abort', payload: { candidateId: 'a' } });
    gate.receive({ topic: 'calibrated', payload: { applied: true, rmseBefore: 2, rmseAfter: 0.5 } });
    gate.receive(candidate('b'));
    await waitFor(() => notes.some((n) => n.topic === 'verdict' && n.payload.candidateId === 'b'), 'verdict b');
    assert.doesNotMatch(availabilityOf(notes, 'b').detail, /drift/);
    gate.receive({ topic: 'abort', payload: { candidateId: 'b' } });
    gate.receive({ topic: 'drift', payload: { key: 'line1/oven1/temperature' } });
    await new Promise((r) => setTimeout(r, 800)); // the drift hold passes
    gate.receive(candidate('c'));
    await waitFor(() => notes.some((n) => n.topic === 'verdict' && n.payload.candidateId === 'c'), 'verdict c');
    assert.doesNotMatch(availabilityOf(notes, 'c').detail, /drift/);
  });

  it('rolls back on an asset anomaly of an exposed asset, and ignores the watchdog and model events', async function () {
    await load(flow());
    const [notes, caught, writes] = ['notes', 'caught', 'writes'].map(collect);
    const gate = helper.getNode('gate');
    gate.receive({ payload: { key, value: 2, quality: 'good' } });
    gate.receive(candidate('d'));
    await waitFor(() => notes.some((n) => n.topic === 'approval-required') || writes.length > 0, 'approval or write');
    if (writes.length === 0) gate.receive({ topic: 'approve' });
    await waitFor(() => writes.length === 1, 'the write');
    gate.receive({ topic: key, payload: 3 }); // read-back
    for (const topic of ['unknown-signal', 'missing-signal', 'unit-changed', 'configuration-value', 'configuration/changed', 'asset-anomaly-end', 'model-discarded']) gate.receive({ topic, payload: { key: 'x/y', asset: 'x' } });
    gate.receive({ topic: 'asset-anomaly-start', payload: { asset: 'line1/oven1', time: Date.now(), attribution: { 'line1/oven1/temperature': 0.9 } } });
    await waitFor(() => writes.length === 2, 'the rollback write', 5000);
    gate.receive({ topic: key, payload: 2 }); // its read-back
    await waitFor(() => notes.some((n) => n.topic === 'rolled-back'), 'rolled back', 5000);
    assert.equal(writes[1].payload, 2);
    assert.equal(writes[1].purpose, 'rollback');
    assert.equal(caught.length, 0, caught[0] && caught[0].error.message);
  });
});
