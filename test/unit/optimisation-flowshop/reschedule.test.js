'use strict';
const assert = require('assert/strict');
const { solveFlowShop, rescheduleFlowShop, checkFlowShopSchedule } = require('../../../dist/core/optimisation/flowshop');
const { randomFlowShop, refused } = require('./helpers');

const { problem: generated } = randomFlowShop(21, { n: 10, stages: 3, maxMachines: 2, maxTime: 20 });
const problem = { ...generated, stages: [{ machines: 2 }, { machines: 2 }, { machines: 1 }] };
problem.dueDates = problem.jobs.map((t) => 3 * t.reduce((a, b) => a + b, 0));
const base = solveFlowShop(problem, { timeLimit: 0.2, seed: 1, maxIterations: 20 });
const plan = base.operations;
const find = (ops, job, stage) => ops.find((o) => o.job === job && o.stage === stage);
const now = Math.floor(base.makespan * 0.4);

/** Operations that started before now keep their times; all others start at now or later. */
function assertKept(res, { except = [] } = {}) {
  const skip = (o) => except.some((x) => x.job === o.job && x.stage === o.stage);
  for (const o of plan) {
    if (!(o.start < now) || skip(o)) continue;
    assert.deepEqual(find(res.operations, o.job, o.stage), o, `job ${o.job} stage ${o.stage} moved`);
  }
  for (const o of res.operations) {
    const old = find(plan, o.job, o.stage);
    if (!old || !(old.start < now) || skip(o)) assert.ok(o.start >= now, `job ${o.job} stage ${o.stage} starts at ${o.start} < now`);
  }
}

describe('flowshop rescheduling', () => {
  const runningAtNow = plan.filter((o) => o.start < now && o.end > now);

  it('the base plan is valid and has operations running at "now"', () => {
    assert.deepEqual(checkFlowShopSchedule(problem, plan), []);
    assert.ok(runningAtNow.length > 0);
  });

  it('machine breakdown now: the running operation is redone, the rest started before now is kept', () => {
    const hit = runningAtNow[0];
    const down = { type: 'machineDown', stage: hit.stage, machine: hit.machine, start: now, duration: 30 };
    const res = rescheduleFlowShop(problem, plan, now, down, { timeLimit: 0.3, seed: 1 });
    assert.deepEqual(checkFlowShopSchedule(res.problem, res.operations), []);
    assert.deepEqual(res.problem.unavailable, [{ stage: hit.stage, machine: hit.machine, start: now, end: now + 30 }]);
    assert.deepEqual(res.interrupted, [{ job: hit.job, stage: hit.stage }]);
    assertKept(res, { except: res.interrupted });
    // The redone operation avoids the window: on another machine of its stage or after the repair.
    const redone = find(res.operations, hit.job, hit.stage);
    assert.ok(redone.start >= now);
    assert.ok(redone.machine !== hit.machine || redone.start >= now + 30);
    for (const o of res.operations) {
      if (o.stage === hit.stage && o.machine === hit.machine) assert.ok(o.end <= now || o.start >= now + 30, `job ${o.job} in the breakdown`);
    }
    assert.equal(res.kept.finished, plan.filter((o) => o.end <= now).length);
    assert.equal(res.kept.finished + res.kept.running + res.reoptimised, plan.length);
    // KPIs before / after.
    assert.equal(res.kpi.before.makespan, base.makespan);
    assert.equal(res.kpi.after.makespan, res.makespan);
    assert.equal(res.kpi.change.makespan, res.makespan - base.makespan);
    assert.ok(res.kpi.after.makespan <= res.kpi.rightShift.makespan);
    assert.ok(res.makespan >= res.lowerBound);
  });

  it('machine breakdown later: nothing is interrupted and the window stays free', () => {
    // The single machine of the last stage, down from a little after now.
    const start = Math.max(now + 1, ...plan.filter((o) => o.stage === 2 && o.start < now).map((o) => o.end));
    const res = rescheduleFlowShop(problem, { operations: plan }, now, { type: 'machineDown', stage: 2, machine: 0, start, duration: 25 }, { timeLimit: 0.3 });
    assert.deepEqual(res.interrupted, []);
    assertKept(res);
    assert.deepEqual(checkFlowShopSchedule(res.problem, res.operations), []);
    assert.ok(res.operations.filter((o) => o.stage === 2).every((o) => o.end <= start || o.start >= start + 25));
    assert.ok(res.makespan >= start + 25); // some stage-2 work was left after the window
  });

  it('rush job: appended, released at now, scheduled; KPIs before and after', () => {
    const rush = { type: 'rushJob', times: [5, 5, 5], dueDate: now + 20, weight: 5 };
    const res = rescheduleFlowShop(problem, plan, now, rush, { timeLimit: 0.3, seed: 2, objective: { makespan: 1, weightedTardiness: 1 } });
    assert.deepEqual(checkFlowShopSchedule(res.problem, res.operations), []);
    const n = problem.jobs.length;
    assert.equal(res.problem.jobs.length, n + 1);
    assert.deepEqual(res.problem.jobs[n], [5, 5, 5]);
    assert.equal(res.problem.releaseDates[n], now);
    assert.equal(res.problem.dueDates[n], now + 20);
    const rushOps = res.operations.filter((o) => o.job === n);
    assert.equal(rushOps.length, 3);
    assert.ok(rushOps.every((o) => o.start >= now));
    assertKept(res);
    assert.deepEqual(res.interrupted, []);
    assert.equal(res.kpi.before.makespan, base.makespan);
    assert.equal(res.kpi.before.totalTardiness, base.totalTardiness);
    assert.equal(res.objective, 'weighted sum');
    const rsValue = res.kpi.rightShift.makespan + res.kpi.rightShift.weightedTardiness;
    assert.ok(res.objectiveValue <= rsValue + 1e-9, `${res.objectiveValue} > right shift ${rsValue}`);
    assert.ok(res.permutation.includes(n));
  });

  it('both at once, and nothing left to do', () => {
    const hit = runningAtNow[0];
    const res = rescheduleFlowShop(problem, plan, now, [
      { type: 'machineDown', stage: hit.stage, machine: hit.machine, start: now - 1, duration: 10 },
      { type: 'rushJob', times: [0, 8, 3], releaseDate: now + 5 },
    ], { timeLimit: 0.3 });
    assert.deepEqual(checkFlowShopSchedule(res.problem, res.operations), []);
    assert.ok(res.interrupted.some((x) => x.job === hit.job && x.stage === hit.stage));
    assert.ok(res.operations.filter((o) => o.job === problem.jobs.length).every((o) => o.start >= now + 5));
    // After the end of the plan, everything is kept as it was.
    const late = rescheduleFlowShop(problem, plan, base.makespan + 1, { type: 'machineDown', stage: 0, machine: 0, start: base.makespan + 2, duration: 1 }, { timeLimit: 0.2 });
    assert.deepEqual(late.operations, plan);
    assert.equal(late.reoptimised, 0);
    assert.equal(late.kpi.change.makespan, 0);
  });

  it('refuses a bad running schedule and bad disturbances', () => {
    const broken = plan.map((o) => ({ ...o }));
    broken[0].end += 1;
    refused(() => rescheduleFlowShop(problem, broken, now, { type: 'rushJob', times: [1, 1, 1] }), /running schedule is not valid/, /duration/);
    refused(() => rescheduleFlowShop(problem, plan, NaN, { type: 'rushJob', times: [1, 1, 1] }), /now/);
    refused(() => rescheduleFlowShop(problem, plan, now, []), /at least one/);
    refused(() => rescheduleFlowShop(problem, plan, now, { type: 'machineDown', stage: 3, machine: 0, start: now, duration: 5 }), /disturbance 0/, /stage/);
    refused(() => rescheduleFlowShop(problem, plan, now, { type: 'machineDown', stage: 2, machine: 1, start: now, duration: 5 }), /stage 2 has machines 0\.\.0/);
    refused(() => rescheduleFlowShop(problem, plan, now, { type: 'machineDown', stage: 0, machine: 0, start: now, duration: 0 }), /duration/);
    refused(() => rescheduleFlowShop(problem, plan, now, [{ type: 'rushJob', times: [1, 1, 1] }, { type: 'rushJob', times: [1, 1] }]), /disturbance 1/, /3 processing times/);
    refused(() => rescheduleFlowShop(problem, plan, now, { type: 'rushJob', times: [1, -1, 1] }), /job 10, stage 1/);
    refused(() => rescheduleFlowShop(problem, plan, now, { type: 'scrap' }), /machineDown or rushJob/);
  });
});
