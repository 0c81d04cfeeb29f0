'use strict';
const assert = require('node:assert/strict');
const { helper, load, collect, waitFor } = require('../support/flow-helper');

const envelope = { 'line1/*/speedSetpoint': { min: 50, max: 150, maxStep: 30 } };
// Tiny timings: three steps (1, 2, then all 3 machines: ceil(share x 3)), 150 ms windows.
const rollout = {
  steps: [
    { share: 0.3, minDurationMs: 150, analysisWindowMs: 150 },
    { share: 0.6, minDurationMs: 150, analysisWindowMs: 150 },
    { share: 1, minDurationMs: 150, analysisWindowMs: 150 },
  ],
  readBackTimeoutMs: 2000,
  minSamples: 1,
  maxHolds: 20,
};
const machines = ['line1/m1', 'line1/m2', 'line1/m3'];
const counterfactual = { ok: true, value: 1, scenarios: 5, kpis: [{ name: 'throughput', pass: true }], reasons: [] };
const goodEvidence = { fidelity: machines.map((m) => ({ key: `${m}/speedSetpoint`, error: 0.01 })), counterfactual };

function candidate(id, speed, extra = {}) {
  return {
    id,
    kind: 'setpoints',
    targets: machines,
    setpoints: Object.fromEntries(machines.map((m) => [`${m}/speedSetpoint`, speed])),
    predicted: { kpis: { throughput: speed } },
    ...extra,
  };
}

function gateFlow(settings = {}) {
  return [
    { id: 'tab', type: 'tab', label: 'test' },
    { id: 'gate', type: 'twin-gate', z: 'tab', envelope: JSON.stringify(envelope), rollout: JSON.stringify(rollout), approval: 'marginal', persist: false, ...settings, wires: [['writes'], ['desired'], ['notes']] },
    { id: 'writes', type: 'helper', z: 'tab' },
    { id: 'desired', type: 'helper', z: 'tab' },
    { id: 'notes', type: 'helper', z: 'tab' },
    { id: 'catch', type: 'catch', z: 'tab', scope: ['gate'], uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'tab' },
  ];
}

/**
 * The plant: every write comes back as a read-back sample, and every few ms each machine reports
 * its realised throughput, equal to its present speed times `factor` (1: as predicted).
 */
function plant(gate, writes, speeds, factor) {
  let seen = 0;
  const timer = setInterval(() => {
    while (seen < writes.length) {
      const w = writes[seen++];
      speeds[w.topic] = w.payload;
      gate.receive({ topic: w.topic, payload: w.payload });
    }
    for (const m of machines) gate.receive({ topic: 'realised', payload: { target: m, kpis: { throughput: speeds[`${m}/speedSetpoint`] * factor() } } });
  }, 15);
  return () => clearInterval(timer);
}

function seedSpeeds(gate, value) {
  const speeds = {};
  for (const m of machines) {
    speeds[`${m}/speedSetpoint`] = value;
    gate.receive({ payload: { asset: m, signal: 'speedSetpoint', value, quality: 'good' } });
  }
  return speeds;
}

describe('twin-gate', function () {
  this.timeout(20000);
  let stopPlant = () => {};
  beforeEach(() => helper.startServer());
  afterEach(async () => {
    stopPlant();
    await helper.unload();
    await helper.stopServer();
  });

  it('promotes a good candidate through every step to completion, writing and reading back', async function () {
    await load(gateFlow());
    const [writes, desired, notes] = ['writes', 'desired', 'notes'].map(collect);
    const gate = helper.getNode('gate');
    const speeds = seedSpeeds(gate, 100);
    stopPlant = plant(gate, writes, speeds, () => 1);
    gate.receive({ topic: 'candidate', payload: { ...candidate('c1', 120), evidence: goodEvidence } });
    await waitFor(() => notes.some((n) => n.topic === 'completed'), 'completed', 10000);
    const verdict = notes.find((n) => n.topic === 'verdict').payload;
    assert.equal(verdict.verdict, 'pass');
    assert.ok(verdict.score >= 80, `score ${verdict.score}`);
    // One machine at a time: writes come in step order, each key once, value 120.
    assert.deepEqual(writes.map((w) => w.topic), machines.map((m) => `${m}/speedSetpoint`));
    assert.ok(writes.every((w) => w.payload === 120 && w.purpose === 'apply' && w.candidateId === 'c1'));
    assert.deepEqual(desired.map((d) => d.payload.key), writes.map((w) => w.topic));
    assert.equal(desired[0].topic, 'desired');
    assert.equal(notes.filter((n) => n.topic === 'step').length, 3);
  });

  it('refuses a candidate outside the envelope with the reason (catchable), writing nothing', async function () {
    await load(gateFlow());
    const [writes, caught] = ['writes', 'caught'].map(collect);
    const gate = helper.getNode('gate');
    seedSpeeds(gate, 100);
    gate.receive({ topic: 'candidate', payload: { ...candidate('too-fast', 180), evidence: goodEvidence } });
    await waitFor(() => caught.length === 1, 'catch');
    assert.match(caught[0].error.message, /outside envelope|refused/);
    assert.match(caught[0].error.message, /180 is above the maximum 150/);
    assert.equal(writes.length, 0);
  });

  it('rolls back within one analysis window when realised KPIs depart from the prediction', async function () {
    await load(gateFlow());
    const [writes, notes] = ['writes', 'notes'].map(collect);
    const gate = helper.getNode('gate');
    const speeds = seedSpeeds(gate, 100);
    stopPlant = plant(gate, writes, speeds, () => 0.5); // the machines deliver half of what was predicted
    gate.receive({ topic: 'candidate', payload: { ...candidate('c-bad', 120), evidence: goodEvidence } });
    await waitFor(() => notes.some((n) => n.topic === 'rolled-back'), 'rolled back', 5000);
    const stepAt = notes.findIndex((n) => n.topic === 'step');
    const rollbackAt = notes.findIndex((n) => n.topic === 'rollback');
    assert.ok(stepAt >= 0 && rollbackAt > stepAt);
    assert.equal(notes.filter((n) => n.topic === 'step').length, 1, 'never promoted past the first step');
    const rollbacks = writes.filter((w) => w.purpose === 'rollback');
    assert.deepEqual(rollbacks.map((w) => [w.topic, w.payload]), [['line1/m1/speedSetpoint', 100]]);
    assert.match(notes[rollbackAt].payload.message, /analysis/);
  });

  it('holds promotion while a setpoint signal is stale, and goes on when it is fresh again', async function () {
    await load(gateFlow());
    const [writes, notes] = ['writes', 'notes'].map(collect);
    const gate = helper.getNode('gate');
    const speeds = seedSpeeds(gate, 100);
    stopPlant = plant(gate, writes, speeds, () => 1);
    gate.receive({ topic: 'candidate', payload: { ...candidate('c-stale', 120), evidence: goodEvidence } });
    await waitFor(() => writes.length === 1, 'the step-1 write');
    // twin-state reports the third machine's speed signal stale (its second output).
    gate.receive({ topic: 'stale', payload: { type: 'stale', key: 'line1/m3/speedSetpoint', ageMs: 60000 } });
    await waitFor(() => notes.some((n) => n.topic === 'hold'), 'a hold', 5000);
    const unavailable = notes.find((n) => n.topic === 'unavailable').payload;
    assert.match(unavailable.message, /stale: line1\/m3\/speedSetpoint/);
    assert.match(notes.find((n) => n.topic === 'hold').payload.message, /signals not available/);
    await new Promise((r) => setTimeout(r, 600)); // several analysis windows
    assert.equal(writes.length, 1, 'no promotion while the signal is stale');
    gate.receive({ topic: 'fresh', payload: { type: 'fresh', key: 'line1/m3/speedSetpoint' } });
    await waitFor(() => notes.some((n) => n.topic === 'completed'), 'completed once fresh', 10000);
    assert.ok(notes.some((n) => n.topic === 'available'));
    assert.equal(writes.length, 3);
  });

  it('asks a person for a marginal candidate and goes on when approved', async function () {
    await load(gateFlow());
    const [writes, notes] = ['writes', 'notes'].map(collect);
    const gate = helper.getNode('gate');
    const speeds = seedSpeeds(gate, 100);
    stopPlant = plant(gate, writes, speeds, () => 1);
    // No counterfactual evidence: the score cannot reach 80, so a person decides.
    gate.receive({ topic: 'candidate', payload: { ...candidate('c-marginal', 110), evidence: { fidelity: goodEvidence.fidelity } } });
    await waitFor(() => notes.some((n) => n.topic === 'approval-required'), 'approval request');
    assert.equal(notes.find((n) => n.topic === 'verdict').payload.verdict, 'marginal');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(writes.length, 0, 'nothing written before approval');
    gate.receive({ topic: 'approve', payload: { by: 'shift lead' } });
    await waitFor(() => notes.some((n) => n.topic === 'completed'), 'completed', 10000);
    assert.equal(writes.length, 3);
  });

  it('answers audit queries as entries and as JSON lines', async function () {
    await load(gateFlow());
    const [notes, caught] = ['notes', 'caught'].map(collect);
    const gate = helper.getNode('gate');
    seedSpeeds(gate, 100);
    gate.receive({ topic: 'candidate', payload: { ...candidate('c-audit', 180), evidence: goodEvidence } });
    await waitFor(() => caught.length === 1, 'refusal');
    gate.receive({ topic: 'audit', payload: { candidateId: 'c-audit' } });
    gate.receive({ topic: 'audit', payload: { type: 'refused' }, format: 'jsonl' });
    await waitFor(() => notes.filter((n) => n.topic === 'audit').length === 2, 'audit answers');
    const [entries, lines] = notes.filter((n) => n.topic === 'audit').map((n) => n.payload);
    assert.deepEqual(entries.map((e) => e.type), ['received', 'refused']);
    assert.equal(typeof lines, 'string');
    const parsed = lines.trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(parsed.length, 1);
    assert.equal(parsed[0].type, 'refused');
    assert.equal(parsed[0].candidateId, 'c-audit');
  });

  it('refuses garbage commands and inputs, catchably', async function () {
    await load(gateFlow());
    const caught = collect('caught');
    const gate = helper.getNode('gate');
    gate.receive({ topic: 'command', payload: { action: 'aprove' } });
    gate.receive({ topic: 'approve' }); // nothing running
    gate.receive({ topic: 'what', payload: { x: 1 } });
    gate.receive({ topic: 'audit', payload: { colour: 'red' } });
    gate.receive({ topic: 'stale', payload: 42 });
    gate.receive({ topic: 'shadow', payload: { revision: 7 } });
    gate.receive({ topic: 'optimise', payload: { best: { point: { 'line.X.servers': 2 }, kpis: {} } } });
    gate.receive({ topic: 'candidate', payload: JSON.parse('{"id": "p", "kind": "setpoints", "__proto__": {"x": 1}, "targets": ["line1/m1"], "setpoints": {"line1/m1/speedSetpoint": 110}, "predicted": {"kpis": {"throughput": 1}}}') });
    await waitFor(() => caught.length === 8, 'eight refusals');
    assert.match(caught[0].error.message, /command.action must be one of/);
    assert.match(caught[1].error.message, /no rollout is running/);
    assert.match(caught[2].error.message, /does not know what to do/);
    assert.match(caught[3].error.message, /unknown audit query field/);
    assert.match(caught[4].error.message, /needs payload.key/);
    assert.match(caught[5].error.message, /shadow samples need/);
    assert.match(caught[6].error.message, /setpoint map does not name "line.X.servers"/);
    assert.ok(caught[7].error.message.length > 0);
    // Still working: a good candidate after the garbage rolls out.
    const notes = collect('notes');
    seedSpeeds(gate, 100);
    gate.receive({ topic: 'candidate', payload: { ...candidate('after-garbage', 110), evidence: goodEvidence } });
    await waitFor(() => notes.some((n) => n.topic === 'verdict' && n.payload.candidateId === 'after-garbage'), 'a verdict');
  });

  it('goes on with a rollout after a restart in the middle of it', async function () {
    const flow = gateFlow({ persist: true, approval: 'every-step' });
    await load(flow);
    let [writes, notes] = ['writes', 'notes'].map(collect);
    let gate = helper.getNode('gate');
    const speeds = seedSpeeds(gate, 100);
    stopPlant = plant(gate, writes, speeds, () => 1);
    gate.receive({ topic: 'candidate', payload: { ...candidate('c-restart', 120), evidence: goodEvidence } });
    await waitFor(() => notes.some((n) => n.topic === 'approval-required'), 'approval for step 1');
    gate.receive({ topic: 'approve' });
    await waitFor(() => notes.filter((n) => n.topic === 'approval-required').length === 2, 'approval for step 2', 5000);
    stopPlant();
    // Events reach the context store within a second (writes go to the journal at once).
    await waitFor(() => { const s = gate.context().get('twinGate'); return s && s.rollouts.length === 1 && s.rollouts[0].data.state === 'pending-approval'; }, 'state saved', 3000);
    const saved = gate.context().get('twinGate');
    await helper.unload();
    // The test helper cleans node context on unload (a set between unload and load did not
    // survive), so the restart is simulated one level down: a fresh Gate (what the node builds on
    // start) restores the state the node saved in its context and recovers.
    const { Gate } = require('../../dist/nodes/twin-gate/gate');
    const { gateSettings } = require('../../dist/nodes/twin-gate/options');
    const restarted = new Gate(gateSettings({ ...flow[1] }));
    assert.deepEqual(restarted.restore(saved, Date.now()), []);
    assert.equal(restarted.rollouts.get('c-restart').state, 'pending-approval');
    assert.equal(restarted.query({ candidateId: 'c-restart', type: 'restored' }, 'json').length, 1);
    assert.ok(restarted.takeOutbox().notes.some((n) => n.topic === 'restored'));
    const written = [];
    const drive = (fn) => {
      fn();
      const out = restarted.takeOutbox();
      for (const w of out.writes) {
        written.push(w.topic);
        restarted.sample(w.topic, w.payload, Date.now());
      }
      return out.notes;
    };
    drive(() => restarted.command({ action: 'approve', candidateId: 'c-restart' }, Date.now(), 'approve'));
    const deadline = Date.now() + 5000;
    let ended = false;
    let approvedLast = false;
    while (!ended && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 15));
      const r = restarted.rollouts.get('c-restart');
      if (r && r.state === 'pending-approval' && !approvedLast) {
        approvedLast = true;
        drive(() => restarted.command('approve', Date.now(), 'approve'));
      }
      for (const m of machines) drive(() => restarted.realised(m, { throughput: 120 }, Date.now()));
      const notesNow = drive(() => restarted.tick(Date.now()));
      ended = notesNow.some((n) => n.topic === 'completed');
    }
    assert.ok(ended, 'completed after the restart');
    assert.deepEqual(written, ['line1/m2/speedSetpoint', 'line1/m3/speedSetpoint']);
  });
});
