'use strict';
const assert = require('assert/strict');
const { solveJobShop, rescheduleJobShop, checkSchedule } = require('../../../dist/core/optimisation/jobshop');
const { randomProblem, refused } = require('./helpers');

const g = randomProblem(41, { n: 8, m: 4, maxDur: 20 });
const problem = { jobs: g.jobs, dueDates: g.jobs.map((ops) => 2 * ops.reduce((a, o) => a + o.duration, 0)) };
const base = solveJobShop(problem, { timeLimit: 0.2, seed: 1 });
const plan = base.operations;
const find = (ops, job, op) => ops.find((o) => o.job === job && o.op === op);

/** Operations that started before now keep their start (and end, unless said otherwise). */
function assertKept(res, now, { except = [] } = {}) {
  for (const o of plan) {
    if (!(o.start < now)) continue;
    if (except.some((x) => x.job === o.job && x.op === o.op)) continue;
    const n = find(res.operations, o.job, o.op);
    assert.equal(n.start, o.start, `job ${o.job} op ${o.op} moved`);
  }
  for (const o of res.operations) {
    const old = find(plan, o.job, o.op);
    if (!old || !(old.start < now) || except.some((x) => x.job === o.job && x.op === o.op)) assert.ok(o.start >= now, `job ${o.job} op ${o.op} starts at ${o.start} < now`);
  }
}

describe('jobshop rescheduling', () => {
  const now = Math.floor(base.makespan * 0.4);
  const runningAtNow = plan.filter((o) => o.start < now && o.end > now);

  it('the base plan is valid and has operations running at "now"', () => {
    assert.deepEqual(checkSchedule(problem, plan), []);
    assert.ok(runningAtNow.length > 0);
  });

  it('machine breakdown now: the running operation is redone after the repair, the rest is kept', () => {
    const hit = runningAtNow[0];
    const res = rescheduleJobShop(problem, plan, now, { type: 'machineDown', machine: hit.machine, start: now, duration: 25 }, { timeLimit: 0.3, seed: 1 });
    assert.deepEqual(checkSchedule(res.problem, res.operations), []);
    assert.deepEqual(res.problem.unavailable, [{ machine: hit.machine, start: now, end: now + 25 }]);
    assert.deepEqual(res.interrupted, [{ job: hit.job, op: hit.op }]);
    assertKept(res, now, { except: res.interrupted });
    const redone = find(res.operations, hit.job, hit.op);
    assert.ok(redone.start >= now + 25, `redone at ${redone.start}`);
    assert.equal(redone.end - redone.start, hit.end - hit.start);
    assert.equal(res.kept.finished + res.kept.running + res.reoptimised, plan.length); // interrupted ones are re-optimised
    assert.equal(res.kept.finished, plan.filter((o) => o.end <= now).length);
    // KPIs: before is the old plan; the re-optimised plan is no worse than the right shift.
    assert.equal(res.kpi.before.makespan, base.makespan);
    assert.ok(res.kpi.after.makespan <= res.kpi.rightShift.makespan);
    assert.equal(res.kpi.change.makespan, res.kpi.after.makespan - base.makespan);
    assert.equal(res.makespan, res.kpi.after.makespan);
    assert.ok(res.makespan >= res.lowerBound);
  });

  it('machine breakdown later: nothing interrupted, the window is kept free', () => {
    // A machine whose operation running now ends before the breakdown.
    const m = [0, 1, 2, 3].find((k) => plan.every((o) => o.machine !== k || !(o.start < now) || o.end <= now + 5));
    assert.notEqual(m, undefined);
    const res = rescheduleJobShop(problem, plan, now, { type: 'machineDown', machine: m, start: now + 5, duration: 30 }, { timeLimit: 0.3, seed: 1 });
    assert.deepEqual(res.interrupted, []);
    assert.deepEqual(checkSchedule(res.problem, res.operations), []);
    assertKept(res, now);
    for (const o of res.operations) if (o.machine === m && o.start >= now) assert.ok(o.end <= now + 5 || o.start >= now + 35);
  });

  it('rush order: the new job is scheduled from now and, weighted, made on time', () => {
    const rush = { type: 'rushJob', operations: [{ machine: 1, duration: 6 }, { machine: 0, duration: 5 }, { machine: 3, duration: 4 }], dueDate: now + 30, weight: 50 };
    const res = rescheduleJobShop(problem, plan, now, rush, { timeLimit: 0.4, seed: 1, objective: { makespan: 1, weightedTardiness: 1 } });
    assert.deepEqual(checkSchedule(res.problem, res.operations), []);
    assertKept(res, now);
    const j = g.jobs.length;
    assert.equal(res.problem.jobs.length, j + 1);
    assert.equal(res.problem.releaseDates[j], now);
    assert.equal(res.problem.dueDates[j], now + 30);
    const rushOps = res.operations.filter((o) => o.job === j);
    assert.equal(rushOps.length, 3);
    assert.ok(rushOps.every((o) => o.start >= now));
    assert.ok(Math.max(...rushOps.map((o) => o.end)) <= now + 30, 'the rush job is on time');
    assert.ok(res.kpi.after.weightedTardiness <= res.kpi.rightShift.weightedTardiness);
    assert.equal(res.objectiveValue, res.kpi.after.makespan + res.kpi.after.weightedTardiness);
  });

  it('duration change: a running operation continues with its new duration; a future one is re-planned', () => {
    const r = runningAtNow[0];
    const future = plan.find((o) => o.start > now);
    const res = rescheduleJobShop(
      problem,
      plan,
      now,
      [
        { type: 'durationChange', job: r.job, op: r.op, duration: r.end - r.start + 12 },
        { type: 'durationChange', job: future.job, op: future.op, duration: 1 },
      ],
      { timeLimit: 0.3, seed: 1 },
    );
    assert.deepEqual(checkSchedule(res.problem, res.operations), []);
    assertKept(res, now);
    const n = find(res.operations, r.job, r.op);
    assert.equal(n.start, r.start);
    assert.equal(n.end, r.end + 12);
    assert.equal(res.problem.jobs[future.job][future.op].duration, 1);
  });

  it('after the end of the plan only a rush job is left to schedule', () => {
    const res = rescheduleJobShop(problem, plan, base.makespan + 10, { type: 'rushJob', operations: [{ machine: 2, duration: 3 }] }, { timeLimit: 0.2 });
    assert.deepEqual(checkSchedule(res.problem, res.operations), []);
    assert.equal(res.kept.finished, plan.length);
    assert.equal(res.reoptimised, 1);
    assert.equal(res.makespan, base.makespan + 13);
    assert.equal(res.status, 'optimal');
  });

  it('refuses a bad running schedule, bad disturbances and changing a finished operation', () => {
    const broken = plan.map((o) => ({ ...o }));
    broken[0].start -= 1;
    refused(() => rescheduleJobShop(problem, broken, now, { type: 'machineDown', machine: 0, start: now, duration: 5 }), 'bad schedule');
    refused(() => rescheduleJobShop(problem, plan.slice(1), now, { type: 'machineDown', machine: 0, start: now, duration: 5 }), 'bad schedule', /not scheduled/);
    refused(() => rescheduleJobShop(problem, plan, NaN, { type: 'machineDown', machine: 0, start: now, duration: 5 }), 'bad time');
    refused(() => rescheduleJobShop(problem, plan, now, { type: 'machineDown', machine: 9, start: now, duration: 5 }), 'bad disturbance', /disturbance 0/);
    refused(() => rescheduleJobShop(problem, plan, now, { type: 'machineDown', machine: 0, start: now, duration: 0 }), 'bad disturbance');
    refused(() => rescheduleJobShop(problem, plan, now, { type: 'meteor' }), 'bad disturbance');
    refused(() => rescheduleJobShop(problem, plan, now, []), 'no disturbance');
    refused(() => rescheduleJobShop(problem, plan, now, { type: 'rushJob', operations: [] }), 'empty job', /job 8/);
    refused(() => rescheduleJobShop(problem, plan, now, { type: 'rushJob', operations: [{ machine: 7, duration: 1 }] }), 'bad machine');
    refused(() => rescheduleJobShop(problem, plan, now, { type: 'durationChange', job: 0, op: 99, duration: 1 }), 'bad disturbance');
    refused(() => rescheduleJobShop(problem, plan, now, { type: 'durationChange', job: 0, op: 0, duration: -1 }), 'bad disturbance');
    const done = plan.find((o) => o.end <= now);
    refused(() => rescheduleJobShop(problem, plan, now, { type: 'durationChange', job: done.job, op: done.op, duration: 1 }), 'already finished');
  });
});
