'use strict';
const assert = require('assert/strict');
const { validateProblem } = require('../../../dist/core/optimisation/jobshop/validate');
const { buildInstance, decodeSequences, kpisOf } = require('../../../dist/core/optimisation/jobshop/instance');
const { gifflerThompson, DISPATCH_RULES } = require('../../../dist/core/optimisation/jobshop/dispatch');
const { lowerBounds } = require('../../../dist/core/optimisation/jobshop/bounds');
const { decideMakespan } = require('../../../dist/core/optimisation/jobshop/prove');
const { operationsOf, solveJobShop } = require('../../../dist/core/optimisation/jobshop/solver');
const { checkSchedule } = require('../../../dist/core/optimisation/jobshop/check');
const { Rng } = require('../../../dist/core/optimisation/jobshop/random');
const { randomProblem, instanceText } = require('./helpers');

/** A random problem with, depending on the seed, release dates, due dates and windows. */
function variedProblem(seed) {
  const g = randomProblem(seed, { n: 3 + (seed % 4), m: 2 + (seed % 3), zero: seed % 5 === 0, recirculate: seed % 3 === 0, ops: 4 });
  const p = { jobs: g.jobs, machines: g.machines };
  if (seed % 2 === 0) p.releaseDates = g.jobs.map(() => g.int(15));
  if (seed % 4 === 1) p.dueDates = g.jobs.map(() => 10 + g.int(30));
  if (seed % 3 !== 2) {
    p.unavailable = [];
    for (let k = 0; k < 3; k++) {
      const s = g.int(40);
      p.unavailable.push({ machine: g.int(g.machines), start: s, end: s + 1 + g.int(8) });
    }
  }
  return p;
}

/** Exhaustive optimum of a tiny problem: every combination of machine permutations, decoded. */
function bruteForceMakespan(inst) {
  const perms = (arr) => (arr.length <= 1 ? [arr] : arr.flatMap((x, i) => perms([...arr.slice(0, i), ...arr.slice(i + 1)]).map((r) => [x, ...r])));
  const perMachine = [];
  for (let m = 0; m < inst.nMachines; m++) perMachine.push(perms(Array.from(inst.machineOps.subarray(inst.machineFirst[m], inst.machineFirst[m + 1]))));
  let best = Infinity;
  const seq = new Int32Array(inst.nOps);
  const rec = (m) => {
    if (m === inst.nMachines) {
      const st = decodeSequences(inst, seq);
      if (st) best = Math.min(best, kpisOf(inst, st).makespan);
      return;
    }
    for (const p of perMachine[m]) {
      seq.set(p, inst.machineFirst[m]);
      rec(m + 1);
    }
  };
  rec(0);
  return best;
}

describe('jobshop construction: dispatching rules, decoder, bounds', () => {
  it('every dispatching rule gives a valid schedule (release dates, windows, zero durations, recirculation)', () => {
    for (let seed = 1; seed <= 60; seed++) {
      const p = variedProblem(seed);
      const inst = buildInstance(validateProblem(p));
      const lb = lowerBounds(inst);
      for (const rule of DISPATCH_RULES) {
        const d = gifflerThompson(inst, rule, new Rng(seed));
        const ops = operationsOf(inst, d.start);
        assert.deepEqual(checkSchedule(p, ops), [], `seed ${seed} rule ${rule}`);
        // The decoder rebuilds the same (active) schedule from the machine sequences.
        assert.deepEqual(Array.from(decodeSequences(inst, d.seq)), Array.from(d.start), `seed ${seed} rule ${rule}`);
        assert.ok(kpisOf(inst, d.start).makespan >= lb.makespan - 1e-9, `seed ${seed}: lower bound above a schedule`);
      }
    }
  });

  it('machine ready times delay the first operation of each machine', () => {
    const p = validateProblem({ jobs: [[{ machine: 0, duration: 2 }, { machine: 1, duration: 2 }], [{ machine: 1, duration: 3 }]] });
    const inst = buildInstance(p, [5, 1]);
    const d = gifflerThompson(inst, 'SPT');
    assert.ok(d.start[0] >= 5 && d.start[2] >= 1, Array.from(d.start).join());
    assert.equal(lowerBounds(inst).makespan, 9);
  });

  it('the decoder refuses sequences contradicting the job orders', () => {
    const inst = buildInstance(validateProblem({ jobs: [[{ machine: 0, duration: 1 }, { machine: 1, duration: 1 }], [{ machine: 1, duration: 1 }, { machine: 0, duration: 1 }]] }));
    // M0: job 1 op 1 then job 0 op 0; M1: job 0 op 1 then job 1 op 0: a cycle.
    const seq = new Int32Array([3, 0, 1, 2]);
    assert.equal(decodeSequences(inst, seq), null);
  });

  it('lower bounds: la01 machine bound is its optimum 666, ft06 one-machine bound 52', function () {
    const la01 = instanceText('la01');
    if (!la01) this.skip();
    assert.equal(lowerBounds(buildInstance(validateProblem({ instance: la01 }))).makespan, 666);
    assert.equal(lowerBounds(buildInstance(validateProblem({ instance: instanceText('ft06') }))).makespan, 52);
  });

  it('bounds, the decision search and the solver agree with exhaustive search on tiny problems', () => {
    for (let seed = 100; seed < 125; seed++) {
      const g = randomProblem(seed, { n: 3, m: 3, maxDur: 6, zero: seed % 4 === 0 });
      const p = { jobs: g.jobs, machines: 3, releaseDates: seed % 2 ? [0, g.int(5), g.int(5)] : undefined };
      const inst = buildInstance(validateProblem(p));
      const opt = bruteForceMakespan(inst);
      assert.ok(lowerBounds(inst).makespan <= opt, `seed ${seed}`);
      assert.equal(decideMakespan(inst, opt - 1, () => false).kind, 'infeasible', `seed ${seed}: ${opt - 1} should be infeasible`);
      const feasible = decideMakespan(inst, opt, () => false);
      assert.equal(feasible.kind, 'feasible', `seed ${seed}`);
      assert.deepEqual(checkSchedule(p, operationsOf(inst, feasible.start)), []);
      const r = solveJobShop(p, { timeLimit: 1, seed });
      assert.equal(r.makespan, opt, `seed ${seed}`);
      assert.equal(r.status, 'optimal', `seed ${seed}`);
      assert.ok(r.elapsedMs < 900, `seed ${seed}: proof took ${r.elapsedMs} ms`);
    }
  });
});
