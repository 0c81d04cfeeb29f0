'use strict';
const assert = require('assert/strict');
const { solveFlowShop, checkFlowShopSchedule } = require('../../../dist/core/optimisation/flowshop');
const { validateFlowShop } = require('../../../dist/core/optimisation/flowshop/validate');
const { buildInstance } = require('../../../dist/core/optimisation/flowshop/instance');
const { lowerBounds } = require('../../../dist/core/optimisation/flowshop/bounds');
const { iteratedGreedy } = require('../../../dist/core/optimisation/flowshop/search');
const { parseObjective } = require('../../../dist/core/optimisation/jobshop/validate');
const { SeededRandom } = require('../../../dist/core/simulation/des/random');
const { randomFlowShop, bruteForce, rng } = require('./helpers');

/** Johnson's rule, written independently of the solver: the optimal F2||Cmax makespan. */
function johnson(jobs) {
  const ids = jobs.map((_, j) => j);
  const first = ids.filter((j) => jobs[j][0] <= jobs[j][1]).sort((a, b) => jobs[a][0] - jobs[b][0]);
  const second = ids.filter((j) => jobs[j][0] > jobs[j][1]).sort((a, b) => jobs[b][1] - jobs[a][1]);
  let c1 = 0;
  let c2 = 0;
  for (const j of first.concat(second)) {
    c1 += jobs[j][0];
    c2 = Math.max(c1, c2) + jobs[j][1];
  }
  return Math.max(c1, c2);
}

/** Runs the iterated greedy alone from the worst of a few permutations (no constructive help). */
function searchFromBadStart(problem, objective, iterations, seed = 1) {
  const inst = buildInstance(validateFlowShop(problem));
  const n = inst.nJobs;
  const reverse = Int32Array.from({ length: n }, (_, i) => n - 1 - i);
  return iteratedGreedy(inst, reverse, {
    objective: parseObjective(objective),
    rng: new SeededRandom(seed),
    destruction: 2,
    temperature: 0.4,
    maxIterations: iterations,
    target: -Infinity,
    now: () => 0,
    deadline: Infinity,
  });
}

const completion = (ops, j) => Math.max(...ops.filter((o) => o.job === j).map((o) => o.end));

describe('flowshop solver', () => {
  it('two stages of one machine: reaches Johnson\'s makespan and proves it optimal', () => {
    const textbook = [[3, 6], [5, 2], [1, 2], [6, 6], [7, 5]];
    assert.equal(johnson(textbook), 24);
    const res = solveFlowShop({ stages: [{ machines: 1 }, { machines: 1 }], jobs: textbook }, { timeLimit: 1 });
    assert.equal(res.makespan, 24);
    assert.equal(res.status, 'optimal');
    assert.equal(res.lowerBound, 24);
    for (let seed = 1; seed <= 10; seed++) {
      const r = rng(seed);
      const jobs = Array.from({ length: 15 }, () => [Math.floor(r() * 30), 1 + Math.floor(r() * 30)]);
      const p = { stages: [{ machines: 1 }, { machines: 1 }], jobs };
      const opt = johnson(jobs);
      const s = solveFlowShop(p, { timeLimit: 1, seed });
      assert.equal(s.makespan, opt, `seed ${seed}`);
      assert.equal(s.status, 'optimal');
      assert.deepEqual(checkFlowShopSchedule(p, s.operations), []);
      // The search alone, from the reversed order, gets there too.
      const ig = searchFromBadStart(p, 'makespan', 300, seed);
      assert.equal(ig.value, opt, `search alone, seed ${seed}`);
    }
  });

  it('hybrid instances of 6 jobs: reaches the brute-force best over all 720 permutations', () => {
    let fromSearch = 0;
    for (let seed = 1; seed <= 24; seed++) {
      const kinds = { speeds: seed % 2 === 0, skips: seed % 3 === 0, releases: seed % 4 === 1, windows: seed % 5 === 0 ? 3 : 0, dues: seed % 3 === 2 };
      const { problem } = randomFlowShop(seed, { n: 6, stages: 2 + (seed % 3), maxMachines: 3, ...kinds });
      if (kinds.dues) problem.weights = [1, 2, 3, 1, 2, 3];
      const objective = !kinds.dues ? 'makespan' : seed % 2 === 0 ? 'weightedTardiness' : { makespan: 1, tardiness: 3 };
      const bf = bruteForce(problem, objective);
      const res = solveFlowShop(problem, { timeLimit: 2, seed, maxIterations: 100, objective });
      assert.ok(Math.abs(res.objectiveValue - bf.value) < 1e-9, `seed ${seed}: ${res.objectiveValue} vs brute force ${bf.value}`);
      assert.deepEqual(checkFlowShopSchedule(problem, res.operations), []);
      // The bounds are valid (below the best permutation), and "optimal" means equal to them.
      assert.ok(res.lowerBound <= bf.value + 1e-9 || objective !== 'makespan');
      assert.ok(res.objectiveLowerBound <= bf.value + 1e-9);
      assert.equal(res.status === 'optimal', res.objectiveValue <= res.objectiveLowerBound + 1e-9);
      // And the search alone, from the reversed order.
      const ig = searchFromBadStart(problem, objective, 100, seed);
      assert.ok(Math.abs(ig.value - bf.value) < 1e-9, `search alone, seed ${seed}: ${ig.value} vs ${bf.value}`);
      if (res.initialObjectiveValue > bf.value + 1e-9) fromSearch++;
    }
    assert.ok(fromSearch > 0, 'the constructive heuristics alone were always optimal: the test does not exercise the search');
  });

  it('respects release dates and reports the tardiness of the due dates', () => {
    const { problem } = randomFlowShop(5, { n: 12, stages: 3, maxMachines: 2, releases: true, dues: true });
    for (const objective of ['makespan', 'tardiness', 'weightedTardiness']) {
      const res = solveFlowShop(problem, { timeLimit: 0.3, seed: 2, objective, maxIterations: 30 });
      assert.deepEqual(checkFlowShopSchedule(problem, res.operations), []);
      for (const o of res.operations) assert.ok(o.start >= problem.releaseDates[o.job]);
      const tard = problem.jobs.reduce((a, _, j) => a + Math.max(0, completion(res.operations, j) - problem.dueDates[j]), 0);
      assert.ok(Math.abs(res.totalTardiness - tard) < 1e-9);
      assert.equal(res.makespan, Math.max(...res.operations.map((o) => o.end)));
    }
    // Loose due dates: a tardiness of 0 is found and proven optimal at once.
    const loose = { ...problem, dueDates: problem.jobs.map(() => 1e6) };
    const r0 = solveFlowShop(loose, { timeLimit: 1, objective: 'tardiness' });
    assert.equal(r0.objectiveValue, 0);
    assert.equal(r0.status, 'optimal');
    assert.equal(r0.iterations, 0);
  });

  it('keeps operations out of unavailability windows (and they do delay the plan)', () => {
    const base = { stages: [{ machines: 2 }, { machines: 1 }], jobs: [[4, 3], [4, 3], [4, 3], [4, 3]] };
    const free = solveFlowShop(base, { timeLimit: 0.2 });
    assert.equal(free.makespan, 16); // the single stage-1 machine is the bottleneck: 4 + 4·3
    const down = { ...base, unavailable: [{ stage: 1, machine: 0, start: 5, end: 20 }, { stage: 0, machine: 1, start: 0, end: 8 }] };
    const res = solveFlowShop(down, { timeLimit: 0.2 });
    assert.deepEqual(checkFlowShopSchedule(down, res.operations), []);
    assert.ok(res.makespan > free.makespan);
    assert.ok(res.operations.filter((o) => o.stage === 1).every((o) => o.end <= 5 || o.start >= 20));
    assert.ok(res.operations.filter((o) => o.stage === 0 && o.machine === 1).every((o) => o.start >= 8));
  });

  it('uses machine speeds (durations are time / speed)', () => {
    const p = { stages: [{ machines: [{ speed: 1 }, { speed: 4 }] }], jobs: [[8], [8], [8]] };
    const res = solveFlowShop(p, { timeLimit: 0.2 });
    assert.deepEqual(checkFlowShopSchedule(p, res.operations), []);
    // Fast machine: 2 each; all three on it end at 6 < 8 on the slow one.
    assert.equal(res.makespan, 6);
    assert.ok(res.operations.every((o) => o.machine === 1));
  });

  it('is deterministic for a seed', () => {
    const { problem } = randomFlowShop(9, { n: 20, stages: 4, maxMachines: 3, releases: true, windows: 3 });
    const a = solveFlowShop(problem, { seed: 42, maxIterations: 15, timeLimit: 20 });
    const b = solveFlowShop(problem, { seed: 42, maxIterations: 15, timeLimit: 20 });
    assert.deepEqual(b.operations, a.operations);
    assert.deepEqual(b.permutation, a.permutation);
    assert.equal(b.iterations, a.iterations);
    assert.equal(a.stopReason, a.status === 'optimal' ? 'optimal' : 'iterations');
    const trace = (seed) => {
      const t = [];
      solveFlowShop(problem, { seed, maxIterations: 15, timeLimit: 20, onImprovement: (i) => t.push([i.iterations, i.objectiveValue]) });
      return t;
    };
    assert.deepEqual(trace(7), trace(7));
  });

  it('holds the time limit on a big instance and returns a valid schedule', () => {
    const { problem } = randomFlowShop(11, { n: 300, stages: 8, maxMachines: 3, maxTime: 99, windows: 10 });
    const t = Date.now();
    const res = solveFlowShop(problem, { timeLimit: 0.4, seed: 1 });
    const took = Date.now() - t;
    assert.ok(took < 400 + 250, `took ${took} ms`);
    assert.ok(res.elapsedMs < 400 + 250);
    assert.equal(res.stopReason, 'timeLimit');
    assert.deepEqual(checkFlowShopSchedule(problem, res.operations), []);
    assert.ok(res.makespan >= res.lowerBound);
  });

  it('stops on shouldStop and on an aborted signal', () => {
    const { problem } = randomFlowShop(13, { n: 30, stages: 5, maxMachines: 2 });
    let polls = 0;
    const res = solveFlowShop(problem, { timeLimit: 10, shouldStop: () => ++polls > 50 });
    assert.equal(res.stopReason, 'cancelled');
    assert.deepEqual(checkFlowShopSchedule(problem, res.operations), []);
    const ac = new AbortController();
    ac.abort();
    const t = Date.now();
    const r2 = solveFlowShop(problem, { timeLimit: 10, signal: ac.signal });
    assert.ok(Date.now() - t < 1000);
    assert.ok(r2.stopReason === 'cancelled' || r2.stopReason === 'optimal');
  });

  it('reports improvements as they are found (anytime)', () => {
    const { problem } = randomFlowShop(17, { n: 25, stages: 4, maxMachines: 3, dues: true });
    const seen = [];
    const res = solveFlowShop(problem, { timeLimit: 0.5, seed: 3, objective: 'tardiness', onImprovement: (i) => seen.push(i) });
    assert.ok(seen.length >= 1);
    assert.equal(seen[0].objectiveValue, res.initialObjectiveValue);
    assert.equal(seen[seen.length - 1].objectiveValue, res.objectiveValue);
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i].objectiveValue < seen[i - 1].objectiveValue);
    for (const s of seen) {
      assert.deepEqual(checkFlowShopSchedule(problem, s.operations), []);
      assert.equal(s.permutation.length, 25);
    }
    assert.ok(res.timeToBestMs <= res.elapsedMs);
  });

  it('lower bound: stage work over machines with heads and tails, job length with release', () => {
    // Stage 1 (2 machines) carries 4·5 = 20: ≥ (1 + 1 + 20 + 2 + 2) / 2 = 13 with the two smallest heads and tails.
    const inst = buildInstance(validateFlowShop({ stages: [{ machines: 4 }, { machines: 2 }, { machines: 4 }], jobs: [[1, 5, 2], [1, 5, 2], [1, 5, 2], [1, 5, 2]] }));
    assert.equal(lowerBounds(inst).makespan, 13);
    const res = solveFlowShop({ stages: [{ machines: 4 }, { machines: 2 }, { machines: 4 }], jobs: [[1, 5, 2], [1, 5, 2], [1, 5, 2], [1, 5, 2]] }, { timeLimit: 0.2 });
    assert.equal(res.makespan, 13);
    assert.equal(res.status, 'optimal');
    // A long job released late.
    const inst2 = buildInstance(validateFlowShop({ stages: [{ machines: 3 }, { machines: 3 }], jobs: [[1, 1], [10, 10]], releaseDates: [0, 5] }));
    assert.equal(lowerBounds(inst2).makespan, 25);
    // Windows take capacity away: 10 units of work on one machine down in [2, 4) need until 12.
    const windowed = { stages: [{ machines: 1 }], jobs: [[5], [5]], unavailable: [{ stage: 0, machine: 0, start: 2, end: 4 }] };
    assert.equal(lowerBounds(buildInstance(validateFlowShop(windowed))).makespan, 12);
    assert.equal(solveFlowShop(windowed, { timeLimit: 0.1 }).makespan, 14);
  });
});
