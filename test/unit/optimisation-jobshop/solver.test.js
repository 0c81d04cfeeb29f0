'use strict';
const assert = require('assert/strict');
const { solveJobShop, checkSchedule } = require('../../../dist/core/optimisation/jobshop');
const { instanceText, randomProblem } = require('./helpers');

describe('jobshop solveJobShop', () => {
  it('ft06 reaches 55 with status "optimal" (55 proven) well within 2 s', function () {
    const text = instanceText('ft06');
    if (!text) this.skip();
    const r = solveJobShop({ instance: text }, { timeLimit: 2, seed: 1 });
    assert.equal(r.makespan, 55);
    assert.equal(r.status, 'optimal');
    assert.equal(r.lowerBound, 55);
    assert.equal(r.stopReason, 'optimal');
    assert.ok(r.elapsedMs < 1500, `${r.elapsedMs} ms`);
    assert.deepEqual(checkSchedule({ instance: text }, r.operations), []);
    assert.equal(r.operations.length, 36);
    for (const o of r.operations) assert.deepEqual(Object.keys(o).sort(), ['end', 'job', 'machine', 'op', 'start']);
  });

  it('la01 reaches 666 (optimal: equals the machine bound)', function () {
    const text = instanceText('la01');
    if (!text) this.skip();
    const r = solveJobShop({ instance: text }, { timeLimit: 2, seed: 1 });
    assert.equal(r.makespan, 666);
    assert.equal(r.status, 'optimal');
    assert.deepEqual(checkSchedule({ instance: text }, r.operations), []);
  });

  it('takes {jobs} as well as OR-Library text, and reports "feasible" when not proven', () => {
    const g = randomProblem(5, { n: 12, m: 6, maxDur: 50 });
    const r = solveJobShop({ jobs: g.jobs }, { timeLimit: 0.3, seed: 2 });
    assert.deepEqual(checkSchedule({ jobs: g.jobs }, r.operations), []);
    assert.ok(r.makespan >= r.lowerBound);
    assert.equal(r.status === 'optimal', r.makespan === r.lowerBound);
    assert.ok(r.iterations > 0);
    assert.ok(r.makespan <= r.initialObjectiveValue);
  });

  it('is deterministic for a seed (with an iteration limit)', () => {
    const g = randomProblem(11, { n: 10, m: 5, maxDur: 40 });
    const a = solveJobShop({ jobs: g.jobs }, { timeLimit: 30, maxIterations: 3000, seed: 7 });
    const b = solveJobShop({ jobs: g.jobs }, { timeLimit: 30, maxIterations: 3000, seed: 7 });
    assert.deepEqual(a.operations, b.operations);
    assert.equal(a.iterations, b.iterations);
    const tard = { timeLimit: 30, maxIterations: 500, seed: 3, objective: 'weightedTardiness', dueDates: g.jobs.map((_, j) => 100 + 10 * j), weights: g.jobs.map((_, j) => 1 + (j % 3)) };
    assert.deepEqual(solveJobShop({ jobs: g.jobs }, tard).operations, solveJobShop({ jobs: g.jobs }, tard).operations);
  });

  it('honours the time limit', function () {
    const text = instanceText('la29');
    if (!text) this.skip();
    for (const limit of [0.3, 0.8]) {
      const t = Date.now();
      const r = solveJobShop({ instance: text }, { timeLimit: limit, seed: 1 });
      const wall = Date.now() - t;
      assert.ok(r.elapsedMs <= limit * 1000 + 60, `elapsed ${r.elapsedMs} ms for ${limit} s`);
      assert.ok(wall <= limit * 1000 + 100 && wall >= limit * 1000 - 20, `wall ${wall} ms for ${limit} s`);
      assert.equal(r.stopReason, 'timeLimit');
    }
  });

  it('can be cancelled through shouldStop or an AbortSignal', () => {
    const g = randomProblem(3, { n: 15, m: 8, maxDur: 99 });
    let calls = 0;
    const t = Date.now();
    const r = solveJobShop({ jobs: g.jobs }, { timeLimit: 20, shouldStop: () => ++calls > 2000 });
    assert.equal(r.stopReason, 'cancelled');
    assert.ok(Date.now() - t < 2000);
    assert.deepEqual(checkSchedule({ jobs: g.jobs }, r.operations), []);
    const ac = new AbortController();
    ac.abort();
    const s = solveJobShop({ jobs: g.jobs }, { timeLimit: 20, signal: ac.signal });
    assert.equal(s.stopReason, 'cancelled');
    assert.equal(s.iterations, 0);
    assert.deepEqual(checkSchedule({ jobs: g.jobs }, s.operations), []);
  });

  it('reports each improving solution (anytime)', () => {
    const g = randomProblem(9, { n: 10, m: 6, maxDur: 60 });
    const seen = [];
    const r = solveJobShop({ jobs: g.jobs }, { timeLimit: 0.5, seed: 1, onImprovement: (x) => seen.push(x) });
    assert.ok(seen.length >= 2, `${seen.length} improvements`);
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i].makespan < seen[i - 1].makespan);
    assert.equal(seen[0].makespan, r.initialObjectiveValue);
    assert.equal(seen[seen.length - 1].makespan, r.makespan);
    for (const x of seen) assert.deepEqual(checkSchedule({ jobs: g.jobs }, x.operations), []);
  });

  it('respects release dates and unavailability windows', () => {
    const g = randomProblem(21, { n: 8, m: 4, maxDur: 20 });
    const releaseDates = g.jobs.map((_, j) => 7 * j);
    const unavailable = [
      { machine: 0, start: 10, end: 30 },
      { machine: 1, start: 0, end: 15 },
      { machine: 2, start: 40, end: 41 },
      { machine: 2, start: 41, end: 60 },
      { machine: 3, start: 25, end: 35 },
    ];
    const r = solveJobShop({ jobs: g.jobs, releaseDates }, { timeLimit: 0.4, seed: 1, unavailable });
    assert.deepEqual(checkSchedule({ jobs: g.jobs, releaseDates, unavailable }, r.operations), []);
    assert.ok(r.operations.every((o) => o.start >= releaseDates[o.job]));
    assert.ok(r.lowerBound >= Math.max(...g.jobs.map((ops, j) => releaseDates[j] + ops.reduce((a, o) => a + o.duration, 0))));
  });

  it('minimises (weighted) tardiness with due dates', () => {
    const g = randomProblem(31, { n: 10, m: 5, maxDur: 30 });
    const work = g.jobs.map((ops) => ops.reduce((a, o) => a + o.duration, 0));
    const dueDates = work.map((w) => Math.round(1.3 * w));
    const weights = g.jobs.map((_, j) => (j < 2 ? 4 : j < 8 ? 2 : 1));
    const r = solveJobShop({ jobs: g.jobs, dueDates, weights }, { timeLimit: 0.6, seed: 1, objective: 'weightedTardiness' });
    assert.deepEqual(checkSchedule({ jobs: g.jobs }, r.operations), []);
    assert.equal(r.objective, 'weightedTardiness');
    assert.equal(r.objectiveValue, r.weightedTardiness);
    assert.ok(r.weightedTardiness < r.initialObjectiveValue, `${r.weightedTardiness} vs start ${r.initialObjectiveValue}`);
    // Recompute the tardiness from the schedule.
    const c = new Array(g.jobs.length).fill(0);
    for (const o of r.operations) c[o.job] = Math.max(c[o.job], o.end);
    const wt = c.reduce((a, cj, j) => a + weights[j] * Math.max(0, cj - dueDates[j]), 0);
    assert.equal(r.weightedTardiness, wt);
    // A weighted sum gives both terms.
    const s = solveJobShop({ jobs: g.jobs, dueDates }, { timeLimit: 0.3, seed: 1, objective: { makespan: 1, tardiness: 3 } });
    assert.equal(s.objectiveValue, s.makespan + 3 * s.totalTardiness);
    // Loose due dates: zero tardiness is a proven optimum.
    const easy = solveJobShop({ jobs: g.jobs, dueDates: work.map(() => 1e6) }, { timeLimit: 5, objective: 'tardiness' });
    assert.equal(easy.status, 'optimal');
    assert.ok(easy.elapsedMs < 1000);
  });
});
