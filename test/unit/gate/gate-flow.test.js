'use strict';
const assert = require('node:assert/strict');
const gate = require('../../../dist/core/gate');
const { InputError } = require('../../../dist/core/errors');
const { T0, MIN, Plant, candidate, CONFIG, carryOut, run, keyOf } = require('./helpers');

/** The whole path a node would take: front door, counterfactual, score, queue, rollout, audit. */
describe('gate flow: from candidate to plant', () => {
  const envelope = gate.compileEnvelope({ 'line1/*/temperatureSetpoint': { min: 60, max: 80, maxStep: 8, maxRate: 4 } });
  const evidenceFor = (plant) => ({
    fidelity: Array.from({ length: plant.machines }, (_, i) => ({ key: `line1/m${i}/throughput`, error: 0.02, severity: 'ok' })),
    availability: { signals: Array.from({ length: plant.machines }, (_, i) => ({ key: keyOf(i), stale: false, quality: 'good', value: 70 })), calibrated: true },
  });
  // The twin's simulator stand-in: throughput over three scenarios (slow, nominal, fast material).
  const simulate = (settings) => [-2, 0, 2].map((shift) => ({ throughput: 100 + shift + (settings[keyOf(0)] - 70) }));

  it('refuses a candidate outside the envelope with the reason, and audits it', () => {
    const audit = new gate.AuditTrail();
    const plant = new Plant();
    const ctx = { envelope, current: plant.current(), lastWriteTimes: {}, now: T0, audit: audit.sink(), origin: 'optimizer/out' };
    assert.throws(
      () => gate.receiveCandidate(candidate({ setpoint: 85 }), ctx),
      (e) => e instanceof InputError && e.shortReason === 'outside envelope' && /optimizer\/out: candidate cand-1 is refused: line1\/m0\/temperatureSetpoint: 85 is above the maximum 80; line1\/m0\/temperatureSetpoint: a change of 15 from 70 exceeds the step limit 8/.test(e.message),
    );
    assert.throws(() => gate.receiveCandidate({ kind: 'setpoints' }, ctx), InputError);
    const refused = audit.query({ type: 'refused' });
    assert.deepEqual(refused.map((e) => e.detail.stage), ['envelope', 'validation']);
    assert.equal(refused[0].detail.reasons.length, 20, 'two reasons for each of 10 machines');
  });

  it('scores, queues and rolls out a good candidate; the audit tells the whole story as JSON lines', async () => {
    const audit = new gate.AuditTrail();
    const sink = audit.sink();
    const plant = new Plant();
    const queue = new gate.CandidateQueue();
    const received = gate.receiveCandidate(candidate(), { envelope, current: plant.current(), now: T0, audit: sink });
    const current = plant.current();
    const desired = { ...current, ...received.candidate.setpoints };
    const counterfactual = await gate.runCounterfactual((s) => simulate(s), desired, current, { goals: { throughput: 'max' }, constraints: { throughput: { min: 90 } } });
    const trust = gate.scoreCandidate(received, { ...evidenceFor(plant), counterfactual }, { now: T0, audit: sink });
    assert.equal(trust.verdict, 'pass');
    assert.equal(trust.score, 96.5); // 100 * (0.35 * 0.9 + 0.25 + 0.3 + 0.1)
    const admission = queue.admit(received.candidate, T0);
    sink('queued', received.candidate.id, admission, T0);
    assert.equal(admission.decision, 'start');
    const { rollout, actions } = gate.RolloutMachine.create({ candidate: received.candidate, trust, current, config: CONFIG, now: T0 }, { audit: sink });
    queue.markRunning(rollout.candidateId);
    carryOut(rollout, plant, actions, T0);
    run(rollout, plant, T0 + MIN, T0 + 45 * MIN);
    assert.equal(rollout.state, 'completed');
    assert.deepEqual(queue.finish(rollout.candidateId, T0 + 45 * MIN).start, []);

    const lines = audit.toJSONLines({ candidateId: 'cand-1' }).trimEnd().split('\n').map((l) => JSON.parse(l));
    const order = [...new Set(lines.map((e) => e.type))];
    assert.deepEqual(order.slice(0, 6), ['received', 'scored', 'verdict', 'queued', 'started', 'promoted']);
    assert.equal(order[order.length - 1], 'completed');
    const received0 = lines.find((e) => e.type === 'received').detail;
    assert.deepEqual([received0.modelRevision, received0.optimizer.seed, received0.optimizer.gap], ['rev-7', 42, 0.01]);
    assert.equal(lines.find((e) => e.type === 'scored').detail.parts.length, 4);
  });

  it('a second candidate for the same machines waits; a marginal one asks a person', () => {
    const plant = new Plant();
    const queue = new gate.CandidateQueue();
    const first = gate.receiveCandidate(candidate({ id: 'c1' }), { envelope, current: plant.current(), now: T0 });
    const second = gate.receiveCandidate(candidate({ id: 'c2', setpoint: 74 }), { envelope, current: plant.current(), now: T0 });
    queue.admit(first.candidate, T0);
    queue.markRunning('c1');
    assert.equal(queue.admit(second.candidate, T0 + MIN).decision, 'queued');
    const next = queue.finish('c1', T0 + 30 * MIN).start;
    assert.deepEqual(next.map((c) => c.id), ['c2']);
    const trust = gate.scoreCandidate(second, evidenceFor(plant), { now: T0 + 30 * MIN }); // no counterfactual: at most marginal
    assert.equal(trust.verdict, 'marginal');
    const { rollout, actions } = gate.RolloutMachine.create({ candidate: next[0], trust, current: plant.current(), config: CONFIG, now: T0 + 30 * MIN });
    assert.equal(rollout.state, 'pending-approval');
    const ask = actions.find((a) => a.event === 'approval-required');
    assert.deepEqual(ask.evidence.trust.parts.map((p) => p.name), ['fidelity', 'availability', 'counterfactual', 'envelope']);
  });
});
