'use strict';
const assert = require('node:assert/strict');
const { CandidateQueue } = require('../../../dist/core/gate/queue');
const { AuditTrail } = require('../../../dist/core/gate/audit');
const { RolloutMachine } = require('../../../dist/core/gate/rollout');
const { validateCandidate } = require('../../../dist/core/gate/candidate');
const { InputError, ConfigError } = require('../../../dist/core/errors');
const { T0, MIN, Plant, candidate, CONFIG, carryOut, run, keyOf } = require('./helpers');

const cand = (id, targets) => validateCandidate({ id, kind: 'setpoints', targets, setpoints: Object.fromEntries(targets.map((t) => [`${t}/sp`, 1])), predicted: { kpis: { a: 1 } } });

describe('gate queue: the supersede rule', () => {
  it('a newer candidate supersedes an overlapping pending one', () => {
    const q = new CandidateQueue();
    assert.equal(q.admit(cand('a', ['line1/m0', 'line1/m1']), T0).decision, 'start');
    const b = q.admit(cand('b', ['line1/m1']), T0 + 1);
    assert.equal(b.decision, 'start');
    assert.deepEqual(b.superseded, ['a']);
    assert.deepEqual(q.active().map((x) => x.id), ['b']);
  });

  it('waits behind an overlapping running one; a newer queued one supersedes the older queued', () => {
    const q = new CandidateQueue();
    q.admit(cand('a', ['line1']), T0);
    q.markRunning('a');
    const b = q.admit(cand('b', ['line1/m3']), T0 + 1);
    assert.deepEqual([b.decision, b.behind, b.position], ['queued', ['a'], 1]);
    const c = q.admit(cand('c', ['line1/m3', 'line1/m4']), T0 + 2);
    assert.deepEqual([c.decision, c.superseded], ['queued', ['b']]);
    assert.deepEqual(q.waiting().map((w) => w.id), ['c']);
    const d = q.admit(cand('d', ['line2']), T0 + 3);
    assert.equal(d.decision, 'start', 'other equipment runs in parallel');
    const next = q.finish('a', T0 + 10);
    assert.deepEqual(next.start.map((x) => x.id), ['c']);
    assert.deepEqual(q.active().map((x) => [x.id, x.phase]), [['d', 'pending'], ['c', 'pending']]);
  });

  it('refuses a full queue and duplicates without changing anything; drops stale queued ones', () => {
    const q = new CandidateQueue({ maxQueued: 1, maxAgeMs: 10 * MIN });
    q.admit(cand('a', ['line1']), T0);
    q.markRunning('a');
    q.admit(cand('b', ['line1/m1']), T0);
    assert.throws(() => q.admit(cand('c', ['line1/m2']), T0), (e) => e instanceof InputError && e.shortReason === 'queue full');
    assert.deepEqual(q.waiting().map((w) => w.id), ['b']);
    assert.throws(() => q.admit(cand('a', ['line9']), T0), (e) => e.shortReason === 'duplicate');
    const next = q.finish('a', T0 + 11 * MIN);
    assert.deepEqual([next.start, next.expired], [[], ['b']]);
    assert.throws(() => q.markRunning('zzz'), InputError);
    assert.throws(() => new CandidateQueue({ maxQueued: -1 }), ConfigError);
  });

  it('survives save and restore, skipping damaged entries', () => {
    const q = new CandidateQueue();
    q.admit(cand('a', ['line1']), T0);
    q.markRunning('a');
    q.admit(cand('b', ['line1/m1']), T0);
    const saved = JSON.parse(JSON.stringify(q.toJSON()));
    saved.waiting.push({ candidate: { id: 'evil', kind: 'nope' }, since: T0 });
    const { queue, skipped } = CandidateQueue.fromJSON(saved);
    assert.equal(skipped, 1);
    assert.deepEqual(queue.active(), q.active());
    assert.deepEqual(queue.finish('a', T0).start.map((x) => x.id), ['b']);
  });
});

describe('gate audit trail', () => {
  function auditedRollout(plant, gain) {
    const audit = new AuditTrail();
    const c = candidate();
    audit.record('received', c.id, { optimizer: c.optimizer, modelRevision: c.modelRevision }, T0);
    const { rollout, actions } = RolloutMachine.create({ candidate: c, trust: { score: 88, verdict: 'pass' }, current: plant.current(), config: CONFIG, now: T0 }, { audit: audit.sink() });
    carryOut(rollout, plant, actions, T0);
    plant.gain = gain;
    run(rollout, plant, T0 + MIN, T0 + 45 * MIN);
    return { audit, rollout };
  }

  it('records every decision step of a completed rollout', () => {
    const { audit, rollout } = auditedRollout(new Plant(), 1);
    assert.equal(rollout.state, 'completed');
    const types = audit.query({ candidateId: 'cand-1' }).map((e) => e.type);
    for (const t of ['received', 'started', 'promoted', 'write', 'read-back', 'verified', 'analysis', 'completed']) assert.ok(types.includes(t), `has ${t}`);
    assert.equal(audit.query({ type: 'analysis' }).length, 3);
    assert.equal(audit.query({ type: 'read-back' }).length, 10);
    const writes = audit.query({ type: 'write' }).flatMap((e) => e.detail.writes);
    assert.equal(writes.length, 10);
    assert.deepEqual(audit.query({ type: 'completed' })[0].detail.settings[keyOf(9)], 75);
    assert.equal(audit.query({ type: 'received' })[0].detail.optimizer.seed, 42);
    const seqs = audit.query().map((e) => e.seq);
    assert.deepEqual(seqs, seqs.map((_, i) => i + 1), 'seq counts every entry');
  });

  it('records a rollback with its reason and the previous values', () => {
    const { audit } = auditedRollout(new Plant(), -1);
    const rb = audit.query({ type: 'rollback' });
    assert.equal(rb.length, 1);
    assert.match(rb[0].detail.reason, /departs from the prediction/);
    assert.deepEqual(rb[0].detail.keys, [{ key: keyOf(0), value: 70 }]);
    assert.equal(audit.query({ type: ['rolled-back', 'completed'] }).map((e) => e.type).join(), 'rolled-back');
  });

  it('queries by time range and limit, exports JSON lines', () => {
    const { audit } = auditedRollout(new Plant(), 1);
    const later = audit.query({ from: T0 + 15 * MIN, to: T0 + 25 * MIN });
    assert.ok(later.length > 0 && later.every((e) => e.time >= T0 + 15 * MIN && e.time <= T0 + 25 * MIN));
    assert.equal(audit.query({ limit: 2 }).length, 2);
    const text = audit.toJSONLines({ type: 'analysis' });
    const lines = text.trimEnd().split('\n').map((l) => JSON.parse(l));
    assert.equal(lines.length, 3);
    assert.ok(text.endsWith('\n'));
    assert.equal(lines[0].detail.outcome, 'promote');
    assert.equal(new AuditTrail().toJSONLines(), '');
    assert.throws(() => audit.query({ candidate: 'x' }), InputError);
    assert.throws(() => audit.query({ from: 'yesterday' }), InputError);
    assert.throws(() => audit.query('all'), InputError);
  });

  it('is bounded, detached, and restored skipping malformed entries', () => {
    const trail = new AuditTrail({ maxEntries: 3 });
    const detail = { v: 1 };
    for (let i = 0; i < 5; i++) trail.record('write', 'c', detail, T0 + i);
    detail.v = 99;
    assert.equal(trail.size, 3);
    assert.equal(trail.dropped, 2);
    assert.equal(trail.query()[0].seq, 3);
    assert.equal(trail.query()[0].detail.v, 1, 'a copy was recorded');
    const saved = JSON.parse(JSON.stringify(trail.toJSON()));
    saved.entries.splice(1, 0, { seq: 'x', time: 1, type: 'write' }, null, { seq: 4, time: NaN, type: 'x', candidateId: null });
    const { trail: back, skipped } = AuditTrail.fromJSON(saved, { maxEntries: 3 });
    assert.equal(skipped, 3);
    assert.equal(back.size, 3);
    assert.equal(back.record('x', null, null, T0).seq, 6, 'seq goes on after a restore');
    assert.throws(() => AuditTrail.fromJSON({}), InputError);
    const cyclic = {};
    cyclic.self = cyclic;
    assert.deepEqual(Object.keys(trail.record('x', null, cyclic, T0).detail), ['unserialisable']);
  });
});
