'use strict';
const assert = require('assert/strict');
const { validateProblem, parseObjective } = require('../../../dist/core/optimisation/jobshop/validate');
const { buildInstance, kpisOf } = require('../../../dist/core/optimisation/jobshop/instance');
const { gifflerThompson } = require('../../../dist/core/optimisation/jobshop/dispatch');
const { TabuSearch } = require('../../../dist/core/optimisation/jobshop/tabu');
const { operationsOf } = require('../../../dist/core/optimisation/jobshop/solver');
const { checkSchedule } = require('../../../dist/core/optimisation/jobshop/check');
const { Rng } = require('../../../dist/core/optimisation/jobshop/random');
const { randomProblem } = require('./helpers');

/** Runs `iterations` tabu iterations and checks every iterate with the independent checker. */
function everyIterateValid(p, { objective = 'makespan', forceExact = false, iterations = 120, seed = 1, machineReady } = {}) {
  const inst = buildInstance(validateProblem(p), machineReady);
  const obj = parseObjective(objective);
  let checked = 0;
  let minValue = Infinity;
  const search = new TabuSearch(inst, {
    objective: obj,
    rng: new Rng(seed),
    now: () => 0,
    deadline: Infinity,
    maxIterations: iterations,
    target: -Infinity,
    forceExact,
    maxStagnation: 25, // restarts (perturbations) happen too
    onIterate: (start, value) => {
      const ops = operationsOf(inst, start);
      const v = checkSchedule(p, ops);
      assert.deepEqual(v, [], `iterate ${checked}: ${JSON.stringify(v.slice(0, 2))}`);
      for (const o of ops) if (machineReady) assert.ok(o.start >= machineReady[o.machine], 'machine ready time');
      const k = kpisOf(inst, start);
      const expect = obj.makespan * k.makespan + obj.tardiness * k.totalTardiness + obj.weightedTardiness * k.weightedTardiness;
      assert.ok(Math.abs(value - expect) < 1e-9, `reported value ${value} vs ${expect}`);
      minValue = Math.min(minValue, value);
      checked++;
    },
  });
  const init = gifflerThompson(inst, 'RANDOM', new Rng(seed));
  const res = search.run(init.seq);
  assert.deepEqual(checkSchedule(p, operationsOf(inst, res.start)), []);
  assert.ok(res.value <= minValue, 'the best is the best iterate');
  return { checked, isExact: search.isExact, res };
}

describe('jobshop tabu search: every iterate is a valid schedule', () => {
  it('fast mode (makespan, estimates) on random classic instances', () => {
    let total = 0;
    for (let seed = 1; seed <= 25; seed++) {
      const g = randomProblem(seed, { n: 4 + (seed % 5), m: 3 + (seed % 3) });
      const r = everyIterateValid({ jobs: g.jobs, machines: g.machines }, { seed });
      assert.equal(r.isExact, false);
      total += r.checked;
    }
    assert.ok(total > 1500, `only ${total} iterates`);
  });

  it('fast mode with zero durations, recirculation, release dates and machine ready times', () => {
    for (let seed = 30; seed <= 50; seed++) {
      const g = randomProblem(seed, { n: 5, m: 3, zero: true, recirculate: true, ops: 5 });
      const p = { jobs: g.jobs, machines: g.machines, releaseDates: g.jobs.map(() => g.int(10)) };
      everyIterateValid(p, { seed, machineReady: [g.int(5), 0, g.int(8)] });
    }
  });

  it('exact mode: unavailability windows', () => {
    for (let seed = 60; seed <= 75; seed++) {
      const g = randomProblem(seed, { n: 5, m: 3, zero: seed % 2 === 0 });
      const unavailable = [0, 1, 2].map((m) => ({ machine: m, start: 5 + g.int(20), end: 30 + g.int(10) }));
      const r = everyIterateValid({ jobs: g.jobs, machines: 3, unavailable }, { seed });
      assert.equal(r.isExact, true);
    }
  });

  it('exact mode: tardiness objectives and forced exact makespan', () => {
    for (let seed = 80; seed <= 92; seed++) {
      const g = randomProblem(seed, { n: 6, m: 3 });
      const p = { jobs: g.jobs, machines: 3, dueDates: g.jobs.map(() => 10 + g.int(25)), weights: g.jobs.map(() => 1 + g.int(3)) };
      everyIterateValid(p, { seed, objective: 'weightedTardiness' });
      everyIterateValid(p, { seed, objective: { makespan: 1, tardiness: 2 } });
      everyIterateValid({ jobs: g.jobs, machines: 3 }, { seed, forceExact: true });
    }
  });

  it('fast and exact modes reach the same makespan on a small instance', () => {
    const g = randomProblem(7, { n: 6, m: 4 });
    const p = { jobs: g.jobs, machines: 4 };
    const fast = everyIterateValid(p, { iterations: 400, seed: 3 });
    const exact = everyIterateValid(p, { iterations: 400, seed: 3, forceExact: true });
    assert.equal(fast.res.value, exact.res.value);
  });
});
