'use strict';
const assert = require('node:assert/strict');
const { RolloutMachine } = require('../../../dist/core/gate/rollout');
const { AuditTrail } = require('../../../dist/core/gate/audit');
const { availabilityOf } = require('../../../dist/core/gate/trust');
const { InputError } = require('../../../dist/core/errors');
const { T0, MIN, Plant, candidate, CONFIG, carryOut, run, states, writesOf, target, keyOf } = require('./helpers');

const PASS = { score: 92, verdict: 'pass', reasons: [] };

function start({ plant = new Plant(), cand = candidate(), trust = PASS, config = CONFIG, audit } = {}) {
  const { rollout, actions } = RolloutMachine.create({ candidate: cand, trust, current: plant.current(), config, now: T0 }, { audit });
  const log = carryOut(rollout, plant, actions, T0);
  return { rollout, plant, log };
}

describe('gate rollout: gray-scale steps', () => {
  it('promotes a good candidate step by step to 100 %', () => {
    const { rollout, plant, log } = start();
    assert.equal(rollout.state, 'observing');
    assert.deepEqual(writesOf(log).map((a) => a.key), [keyOf(0)], 'step 1 (10 %) writes the first of 10 machines');
    assert.ok(log.some((a) => a.type === 'desired' && a.key === keyOf(0) && a.value === 75), 'desired value reported to twin-state');
    const deadline = log.find((a) => a.type === 'await-read-back');
    assert.deepEqual(deadline.keys, [keyOf(0)]);
    assert.equal(deadline.deadline, T0 + 5000);

    run(rollout, plant, T0 + MIN, T0 + 40 * MIN, log);
    assert.equal(rollout.state, 'completed');
    const applies = writesOf(log, 'apply').map((a) => a.key);
    assert.equal(applies.length, 10, 'every machine written exactly once');
    assert.deepEqual(applies.slice(1, 5), [1, 2, 3, 4].map(keyOf), 'step 2 (50 %) adds machines 1-4');
    assert.equal(writesOf(log, 'rollback').length, 0);
    for (let i = 0; i < 10; i++) assert.equal(plant.values[keyOf(i)], 75);
    assert.deepEqual(rollout.lastGood(), plant.current(), 'the last good settings are now the candidate\'s');
    const seq = states(rollout);
    for (const s of ['promoting', 'applying', 'verifying', 'observing', 'completed']) assert.ok(seq.includes(s), `passes through ${s}`);
    const snap = rollout.snapshot();
    assert.equal(snap.lastAnalysis.outcome, 'promote');
    assert.equal(snap.lastAnalysis.kpis[0].method, 'none', 'no control group at 100 %');
    assert.ok(log.some((a) => a.type === 'notify' && a.event === 'completed' && a.evidence));
  });

  it('rolls back a candidate whose real effect departs from its prediction within one analysis window', () => {
    const plant = new Plant({ gain: -1 }); // reality: hotter is slower, the twin thought faster
    const { rollout, log } = start({ plant });
    const startedAt = rollout.snapshot().step.startedAt;
    run(rollout, plant, T0 + MIN, T0 + 20 * MIN, log);
    assert.equal(rollout.state, 'rolled-back');
    const rollbackAt = rollout.toJSON().data.transitions.find((x) => x.to === 'rolling-back').time;
    assert.ok(rollbackAt <= startedAt + 10 * MIN, 'decided at the end of the first window');
    const back = writesOf(log, 'rollback');
    assert.deepEqual(back.map((a) => [a.key, a.value]), [[keyOf(0), 70]], 'the previous setpoint written');
    assert.equal(plant.values[keyOf(0)], 70, 'and the plant has it back (read-back verified)');
    assert.deepEqual(rollout.lastGood(), plant.current());
    const analysis = rollout.snapshot().lastAnalysis;
    assert.equal(analysis.outcome, 'rollback');
    assert.equal(analysis.kpis[0].vsPrediction, 'departed');
    assert.equal(analysis.kpis[0].vsControl, 'worse');
    assert.equal(analysis.kpis[0].method, 'welch', '10 exposed and 90 control samples: Welch');
    assert.match(rollout.snapshot().reason, /departs from the prediction/);
    assert.ok(rollout.snapshot().keys.every((k) => k.at === 'old'));
  });

  it('holds promotion while an involved signal is stale, and promotes once it is fresh again', () => {
    const { rollout, plant, log } = start();
    const signals = [
      { key: keyOf(0), stale: false, quality: 'good', value: 75 },
      { key: 'line1/m0/temperature', stale: true, quality: 'good', value: 74.2 },
    ];
    const avail = availabilityOf({ signals, calibrated: true });
    assert.equal(avail.ok, false);
    assert.deepEqual(avail.stale, ['line1/m0/temperature']);
    rollout.availability({ ok: avail.ok, reason: avail.detail, time: T0 + MIN });
    run(rollout, plant, T0 + MIN, T0 + 15 * MIN, log);
    assert.equal(rollout.state, 'holding');
    assert.equal(rollout.snapshot().step.index, 0, 'still at 10 %');
    assert.match(rollout.snapshot().lastAnalysis.reasons.join(' '), /stale: line1\/m0\/temperature/);
    assert.ok(log.some((a) => a.type === 'notify' && a.event === 'hold'));

    rollout.availability({ ok: true, time: T0 + 16 * MIN });
    run(rollout, plant, T0 + 16 * MIN, T0 + 21 * MIN, log);
    assert.equal(rollout.snapshot().step.index, 1, 'promoted to 50 % at the next window');
  });

  it('rolls back when a step stays inconclusive for more than maxHolds windows', () => {
    const { rollout, plant, log } = start({ config: { ...CONFIG, maxHolds: 1 } });
    rollout.availability({ ok: false, reason: 'stale', time: T0 });
    run(rollout, plant, T0 + MIN, T0 + 25 * MIN, log);
    assert.equal(rollout.state, 'rolled-back');
    assert.match(rollout.snapshot().reason, /no conclusive evidence after 2 analysis windows/);
    assert.equal(plant.values[keyOf(0)], 70);
  });

  it('rolls back at once on an anomaly or drift on an exposed target, not on another', () => {
    const { rollout, plant, log } = start();
    run(rollout, plant, T0 + MIN, T0 + 3 * MIN, log);
    carryOut(rollout, plant, rollout.anomaly({ target: target(5), time: T0 + 3 * MIN }), T0 + 3 * MIN, log);
    assert.equal(rollout.state, 'observing', 'machine 5 is not exposed at 10 %');
    carryOut(rollout, plant, rollout.drift({ target: `${target(0)}/temperature`, time: T0 + 4 * MIN }), T0 + 4 * MIN, log);
    assert.equal(rollout.state, 'rolled-back');
    assert.match(rollout.snapshot().reason, /drift on exposed target line1\/m0\/temperature/);
    assert.equal(plant.values[keyOf(0)], 70);
  });
});

describe('gate rollout: people in the loop', () => {
  it('asks for approval on a marginal verdict, with the evidence; approve starts applying', () => {
    const trust = { score: 71, verdict: 'marginal', reasons: ['counterfactual 50 %'], parts: [{ name: 'fidelity', value: 0.9, weight: 0.35, detail: 'ok' }] };
    const { rollout, plant, log } = start({ trust });
    assert.equal(rollout.state, 'pending-approval');
    assert.equal(writesOf(log).length, 0, 'nothing written before approval');
    const request = log.find((a) => a.type === 'notify' && a.event === 'approval-required');
    assert.equal(request.evidence.trust.score, 71);
    assert.deepEqual(request.evidence.trust.parts[0].name, 'fidelity');
    assert.throws(() => rollout.command({ action: 'resume' }, T0 + 1000), (e) => e instanceof InputError && e.shortReason === 'not allowed');
    const actions = rollout.command({ action: 'approve', by: 'anna', candidateId: 'cand-1' }, T0 + 1000);
    assert.equal(rollout.state, 'applying');
    assert.deepEqual(writesOf(actions).map((a) => a.key), [keyOf(0)]);
    carryOut(rollout, plant, actions, T0 + 1000, log);
    assert.equal(rollout.state, 'observing');
    assert.equal(rollout.snapshot().approvals[0].by, 'anna');
  });

  it('reject before any write ends in rejected without touching the plant', () => {
    const { rollout, plant, log } = start({ trust: { score: 65, verdict: 'marginal' } });
    carryOut(rollout, plant, rollout.command({ action: 'reject', by: 'ben', reason: 'shift change' }, T0 + 1000), T0 + 1000, log);
    assert.equal(rollout.state, 'rejected');
    assert.equal(plant.writes.length, 0);
    assert.match(rollout.snapshot().reason, /rejected by ben: shift change/);
  });

  it('every-step approval asks again before each step; a late reject rolls back what is exposed', () => {
    const { rollout, plant, log } = start({ config: { ...CONFIG, approval: 'every-step' } });
    assert.equal(rollout.state, 'pending-approval');
    carryOut(rollout, plant, rollout.command('approve', T0 + 1000), T0 + 1000, log);
    run(rollout, plant, T0 + MIN, T0 + 12 * MIN, log);
    assert.equal(rollout.state, 'pending-approval', 'step 1 passed: step 2 needs approval');
    const ask = log.filter((a) => a.event === 'approval-required').pop();
    assert.equal(ask.evidence.lastAnalysis.outcome, 'promote', 'the analysis travels with the request');
    carryOut(rollout, plant, rollout.command({ action: 'reject' }, T0 + 13 * MIN), T0 + 13 * MIN, log);
    assert.equal(rollout.state, 'rejected');
    assert.equal(plant.values[keyOf(0)], 70, 'the exposed machine is back on its previous setpoint');
  });

  it('an approval timeout rejects', () => {
    const { rollout, plant, log } = start({ trust: { score: 65, verdict: 'marginal' }, config: { ...CONFIG, approvalTimeoutMs: 5 * MIN } });
    carryOut(rollout, plant, rollout.tick(T0 + 6 * MIN), T0 + 6 * MIN, log);
    assert.equal(rollout.state, 'rejected');
    assert.match(rollout.snapshot().reason, /approval timed out/);
  });

  it('pause freezes the step (no analysis, timers shifted), resume goes on, abort rolls back', () => {
    const { rollout, plant, log } = start();
    run(rollout, plant, T0 + MIN, T0 + 5 * MIN, log);
    const analysisAt = rollout.snapshot().step.analysisAt;
    carryOut(rollout, plant, rollout.command({ action: 'pause', by: 'op' }, T0 + 5 * MIN), T0 + 5 * MIN, log);
    assert.equal(rollout.state, 'paused');
    run(rollout, plant, T0 + 6 * MIN, T0 + 30 * MIN, log);
    assert.equal(rollout.state, 'paused', 'no analysis while paused');
    assert.equal(rollout.snapshot().lastAnalysis, null);
    assert.throws(() => rollout.command('pause', T0 + 30 * MIN), InputError);
    carryOut(rollout, plant, rollout.command('resume', T0 + 30 * MIN), T0 + 30 * MIN, log);
    assert.equal(rollout.state, 'observing');
    assert.equal(rollout.snapshot().step.analysisAt, analysisAt + 25 * MIN, 'the paused time does not count');
    carryOut(rollout, plant, rollout.command({ action: 'abort', reason: 'test over' }, T0 + 31 * MIN), T0 + 31 * MIN, log);
    assert.equal(rollout.state, 'aborted');
    assert.deepEqual(writesOf(log, 'rollback').map((a) => [a.key, a.value]), [[keyOf(0), 70]]);
    assert.equal(plant.values[keyOf(0)], 70);
    assert.throws(() => rollout.command('abort', T0 + 32 * MIN), (e) => e.shortReason === 'not allowed');
  });

  it('a pause during the writes waits for the read-back, then pauses', () => {
    const plant = new Plant();
    const { rollout, actions } = RolloutMachine.create({ candidate: candidate(), trust: PASS, current: plant.current(), config: CONFIG, now: T0 });
    assert.equal(rollout.state, 'applying');
    const notes = rollout.command('pause', T0 + 100);
    assert.equal(notes[0].event, 'pause-deferred');
    assert.equal(rollout.state, 'applying');
    carryOut(rollout, plant, actions, T0 + 200);
    assert.equal(rollout.state, 'paused');
    rollout.command('resume', T0 + MIN);
    assert.equal(rollout.state, 'observing');
  });
});

describe('gate rollout: read-back', () => {
  it('a write the plant does not take is rolled back, the rollback verified', () => {
    const plant = new Plant();
    plant.dropWrites.add(keyOf(0));
    const { rollout, log } = start({ plant });
    assert.equal(rollout.state, 'verifying', 'the read-back showed the old value; waiting until the deadline');
    carryOut(rollout, plant, rollout.tick(T0 + 6000), T0 + 6000, log);
    assert.equal(rollout.state, 'rolled-back');
    assert.match(rollout.snapshot().reason, /not verified by the deadline: line1\/m0\/temperatureSetpoint \(read 70, wrote 75\)/);
  });

  it('a rollback whose read-back does not match ends in failed, with an alert and the evidence', () => {
    const plant = new Plant({ gain: -1 });
    const { rollout, log } = start({ plant, config: { ...CONFIG, maxReadBackMismatches: 1 } });
    run(rollout, plant, T0 + MIN, T0 + 5 * MIN, log);
    plant.readOverride[keyOf(0)] = 0; // the device now reports garbage
    run(rollout, plant, T0 + 6 * MIN, T0 + 12 * MIN, log);
    assert.equal(rollout.state, 'failed');
    const alert = log.find((a) => a.type === 'notify' && a.level === 'alert');
    assert.ok(alert, 'an alert is sent');
    assert.match(alert.message, /FAILED: the rollback could not be verified: read-back of line1\/m0\/temperatureSetpoint is 0, expected 70/);
    assert.deepEqual(alert.evidence.keys.filter((k) => k.at === 'unknown').map((k) => k.key), [keyOf(0)]);
    assert.equal(alert.evidence.lastGood[keyOf(0)], 70, 'the last good value is known');
    assert.equal(rollout.lastGood()[keyOf(0)], 70);
  });

  it('a failed write (reported by the node) rolls back', () => {
    const plant = new Plant();
    const { rollout, actions } = RolloutMachine.create({ candidate: candidate(), trust: PASS, current: plant.current(), config: CONFIG, now: T0 });
    assert.ok(writesOf(actions).length === 1, 'the write was issued');
    const back = rollout.written({ key: keyOf(0), ok: false, error: 'BadNotWritable', time: T0 + 10 });
    assert.equal(rollout.state, 'rolling-back');
    assert.match(rollout.snapshot().reason, /BadNotWritable/);
    assert.deepEqual(writesOf(back, 'rollback').map((a) => [a.key, a.value]), [[keyOf(0), 70]], 'the previous value is written, the key state being unknown');
    carryOut(rollout, plant, back, T0 + 10);
    assert.equal(rollout.state, 'rolled-back');
  });
});

describe('gate rollout: restart', () => {
  const save = (r) => JSON.parse(JSON.stringify(r.toJSON()));

  it('restored during a write that did go out: re-verifies by read-back and continues', () => {
    const plant = new Plant();
    const audit = new AuditTrail();
    const { rollout, actions } = RolloutMachine.create({ candidate: candidate(), trust: PASS, current: plant.current(), config: CONFIG, now: T0 }, { audit: audit.sink() });
    carryOut(rollout, plant, actions, T0, [], { readBack: false }); // written, then the process died
    assert.equal(rollout.state, 'applying');
    const restored = RolloutMachine.fromJSON(save(rollout), { audit: audit.sink() });
    const after = restored.recover(T0 + 2 * MIN);
    assert.equal(restored.state, 'verifying');
    assert.equal(writesOf(after).length, 0, 'nothing is written again blindly');
    assert.deepEqual(after.find((a) => a.type === 'await-read-back').keys, [keyOf(0)]);
    carryOut(restored, plant, after, T0 + 2 * MIN);
    assert.equal(restored.state, 'observing');
    run(restored, plant, T0 + 3 * MIN, T0 + 45 * MIN);
    assert.equal(restored.state, 'completed');
    assert.ok(audit.query({ type: 'restored' }).length === 1);
  });

  it('restored during a write that never went out: the read-back differs, so it rolls back', () => {
    const plant = new Plant();
    const { rollout } = RolloutMachine.create({ candidate: candidate(), trust: PASS, current: plant.current(), config: CONFIG, now: T0 });
    // the process died before the write reached the plant
    const restored = RolloutMachine.fromJSON(save(rollout));
    const log = carryOut(restored, plant, restored.tick(T0 + MIN), T0 + MIN); // the first event recovers
    assert.equal(restored.state, 'rolled-back');
    assert.deepEqual(writesOf(log, 'rollback').map((a) => [a.key, a.value]), [[keyOf(0), 70]]);
    assert.equal(plant.values[keyOf(0)], 70);
  });

  it('restored while rolling back: writes the previous values again and verifies them', () => {
    // the driver stops just after the rollback writes were issued, before their read-back
    const p2 = new Plant({ gain: -1 });
    const { rollout: r2 } = start({ plant: p2 });
    for (let t = T0 + MIN; t <= T0 + 10 * MIN; t += MIN) {
      for (let i = 0; i < 10; i++) r2.realised({ target: target(i), kpis: { throughput: p2.throughput(i) }, time: t });
      carryOut(r2, p2, r2.tick(t), t, [], { readBack: false });
    }
    assert.equal(r2.state, 'rolling-back');
    const restored = RolloutMachine.fromJSON(save(r2));
    const actions = restored.recover(T0 + 12 * MIN);
    assert.deepEqual(writesOf(actions, 'rollback').map((a) => [a.key, a.value]), [[keyOf(0), 70]]);
    carryOut(restored, p2, actions, T0 + 12 * MIN);
    assert.equal(restored.state, 'rolled-back');
    assert.equal(p2.values[keyOf(0)], 70);
  });

  it('restored while observing: goes on to completion', () => {
    const { rollout, plant } = start();
    run(rollout, plant, T0 + MIN, T0 + 15 * MIN);
    assert.equal(rollout.snapshot().step.index, 1);
    const restored = RolloutMachine.fromJSON(save(rollout));
    assert.equal(restored.state, rollout.state);
    run(restored, plant, T0 + 16 * MIN, T0 + 45 * MIN);
    assert.equal(restored.state, 'completed');
  });

  it('a damaged save is refused with a catchable error', () => {
    const { rollout } = start();
    const saved = save(rollout);
    saved.data.keys[0].key = 'somewhere/else';
    assert.throws(() => RolloutMachine.fromJSON(saved), (e) => e instanceof InputError && e.shortReason === 'bad saved rollout');
    assert.throws(() => RolloutMachine.fromJSON({ format: 'x' }), InputError);
    assert.throws(() => RolloutMachine.fromJSON(null), InputError);
  });
});

describe('gate rollout: time windows and batches', () => {
  it('windows: 10 % of the windows on the new settings, switching with read-back, then 100 %', () => {
    const plant = new Plant({ machines: 2 });
    const config = { ...CONFIG, exposure: 'windows', windowMs: 2 * MIN, slotsPerCycle: 5, steps: [{ share: 0.2, minDurationMs: 30 * MIN, analysisWindowMs: 30 * MIN }, { share: 1, minDurationMs: 10 * MIN, analysisWindowMs: 10 * MIN }] };
    const { rollout, log } = start({ plant, cand: candidate({ machines: 2 }), config });
    run(rollout, plant, T0 + 30 * 1000, T0 + 60 * MIN, log, { every: 30 * 1000 });
    const switches = writesOf(log, 'switch');
    assert.ok(switches.length >= 8, `the settings alternate (${switches.length} switch writes)`);
    assert.ok(switches.some((a) => a.value === 70) && switches.some((a) => a.value === 75));
    const first = rollout.toJSON().data.analyses[0];
    assert.equal(first.outcome, 'promote');
    assert.ok(first.kpis[0].nControl > first.kpis[0].nExposed, 'one window in five exposed');
    assert.equal(rollout.state, 'completed');
    assert.equal(plant.values[keyOf(0)], 75);
  });

  it('batches: a batch event starts the next slot', () => {
    const plant = new Plant({ machines: 1 });
    const config = { ...CONFIG, exposure: 'batches', slotsPerCycle: 2, steps: [{ share: 0.5, minDurationMs: 10 * MIN, analysisWindowMs: 10 * MIN }, { share: 1, minDurationMs: MIN, analysisWindowMs: MIN }] };
    const { rollout, log } = start({ plant, cand: candidate({ machines: 1 }), config });
    assert.equal(plant.values[keyOf(0)], 75, 'batch 0 runs the new settings');
    carryOut(rollout, plant, rollout.batch({ time: T0 + MIN }), T0 + MIN, log);
    assert.equal(plant.values[keyOf(0)], 70, 'batch 1 the old');
    carryOut(rollout, plant, rollout.batch({ time: T0 + 2 * MIN }), T0 + 2 * MIN, log);
    assert.equal(plant.values[keyOf(0)], 75);
    assert.equal(rollout.state, 'observing');
  });
});
