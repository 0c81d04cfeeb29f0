'use strict';
const assert = require('assert/strict');
const { checkFlowShopSchedule } = require('../../../dist/core/optimisation/flowshop');
const { validateFlowShop } = require('../../../dist/core/optimisation/flowshop/validate');
const { buildInstance, Decoder, earliestStart } = require('../../../dist/core/optimisation/flowshop/instance');
const { lowerBounds } = require('../../../dist/core/optimisation/flowshop/bounds');
const { neh, iteratedGreedy } = require('../../../dist/core/optimisation/flowshop/search');
const { ruleOrders } = require('../../../dist/core/optimisation/flowshop/solver');
const { parseObjective } = require('../../../dist/core/optimisation/jobshop/validate');
const { SeededRandom } = require('../../../dist/core/simulation/des/random');
const { randomFlowShop, rng } = require('./helpers');

const MAKESPAN = parseObjective('makespan');

/** A random instance whose options vary with the seed. */
function varied(seed, n = 4 + (seed % 6)) {
  return randomFlowShop(seed, {
    n,
    stages: 1 + (seed % 4),
    maxMachines: 1 + (seed % 3),
    speeds: seed % 2 === 0,
    skips: seed % 3 === 0,
    releases: seed % 4 === 1,
    dues: seed % 5 === 2,
    windows: seed % 3 === 1 ? 4 : 0,
  }).problem;
}

function shuffled(n, r) {
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const k = Math.floor(r() * (i + 1));
    [a[i], a[k]] = [a[k], a[i]];
  }
  return a;
}

describe('flowshop decoder and search iterates', () => {
  it('earliestStart skips windows, merged or touching, and lets operations touch them', () => {
    const inst = buildInstance(validateFlowShop({
      stages: [{ machines: 1 }],
      jobs: [[1]],
      unavailable: [{ stage: 0, machine: 0, start: 10, end: 12 }, { stage: 0, machine: 0, start: 12, end: 14 }, { stage: 0, machine: 0, start: 11, end: 13 }, { stage: 0, machine: 0, start: 16, end: 20 }],
    }));
    assert.deepEqual(Array.from(inst.winStart[0]), [10, 16]);
    assert.deepEqual(Array.from(inst.winEnd[0]), [14, 20]);
    assert.equal(earliestStart(inst, 0, 0, 10), 0); // ends exactly when the window starts
    assert.equal(earliestStart(inst, 0, 0, 11), 20); // does not fit before 10, nor in [14, 16)
    assert.equal(earliestStart(inst, 0, 5, 6), 20); // [14, 20) would overlap [16, 20)
    assert.equal(earliestStart(inst, 0, 9, 2), 14); // fits in the gap [14, 16)
    assert.equal(earliestStart(inst, 0, 12, 2), 14);
    assert.equal(earliestStart(inst, 0, 14, 2), 14);
    assert.equal(earliestStart(inst, 0, 19, 1), 20);
    assert.equal(earliestStart(inst, 0, 20, 100), 20);
  });

  it('random permutations of random instances decode into valid schedules above the lower bound', () => {
    let checked = 0;
    for (let seed = 1; seed <= 80; seed++) {
      const p = varied(seed);
      const inst = buildInstance(validateFlowShop(p));
      const dec = new Decoder(inst);
      const lb = lowerBounds(inst);
      const r = rng(seed);
      const orders = ruleOrders(inst).map((x) => x.order);
      for (let t = 0; t < 10; t++) orders.push(shuffled(inst.nJobs, r));
      for (const order of orders) {
        dec.decode(order, order.length, MAKESPAN);
        const ops = dec.operations(order, order.length);
        assert.deepEqual(checkFlowShopSchedule(p, ops), [], `seed ${seed} order ${order}`);
        const makespan = Math.max(...ops.map((o) => o.end));
        assert.equal(dec.makespan, makespan);
        assert.ok(makespan >= lb.makespan - 1e-9, `seed ${seed}: makespan ${makespan} < bound ${lb.makespan}`);
        if (p.dueDates) {
          const c = p.jobs.map((_, j) => Math.max(...ops.filter((o) => o.job === j).map((o) => o.end)));
          const tard = c.reduce((a, cj, j) => a + Math.max(0, cj - p.dueDates[j]), 0);
          assert.ok(Math.abs(dec.totalTardiness - tard) < 1e-9);
          assert.ok(dec.totalTardiness >= lb.totalTardiness - 1e-9);
        }
        checked++;
      }
    }
    assert.ok(checked > 900);
  });

  it('follows the decoding rules: permutation order at stage 0, first come first served after, earliest finish', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const p = randomFlowShop(seed, { n: 8, stages: 3, maxMachines: 3 }).problem; // identical machines, no releases, no windows
      const inst = buildInstance(validateFlowShop(p));
      const dec = new Decoder(inst);
      const order = shuffled(8, rng(seed));
      dec.decode(order, 8, MAKESPAN);
      const ops = dec.operations(order, 8);
      const at = (j, k) => ops.find((o) => o.job === j && o.stage === k);
      // Stage 0: starts never decrease along the permutation (list scheduling, earliest free machine).
      for (let i = 1; i < 8; i++) assert.ok(at(order[i], 0).start >= at(order[i - 1], 0).start);
      for (let k = 1; k < 3; k++) {
        // Jobs that reach stage k earlier never start there later than one that arrives after them.
        for (let a = 0; a < 8; a++) {
          for (let b = 0; b < 8; b++) {
            if (at(a, k - 1).end < at(b, k - 1).end) assert.ok(at(a, k).start <= at(b, k).start, `seed ${seed} stage ${k}`);
          }
        }
      }
      // No operation could have finished earlier on another machine of its stage, given the
      // machines' previous operations (a job starts at its readiness or when its machine frees).
      for (const o of ops) {
        const prevEnd = o.stage === 0 ? 0 : at(o.job, o.stage - 1).end;
        const busy = ops.filter((x) => x.stage === o.stage && x.machine === o.machine && x.end <= o.start && x !== o);
        const free = busy.length ? Math.max(...busy.map((x) => x.end)) : 0;
        assert.equal(o.start, Math.max(prevEnd, free));
      }
    }
  });

  it('NEH builds a full valid permutation, also when stopped early', () => {
    const p = varied(7, 12);
    const inst = buildInstance(validateFlowShop(p));
    const dec = new Decoder(inst);
    const order = ruleOrders(inst)[0].order;
    for (const stop of [undefined, () => true]) {
      const res = neh(dec, MAKESPAN, order, stop);
      assert.deepEqual(Array.from(res.seq).sort((a, b) => a - b), order.slice().sort((a, b) => a - b));
      assert.equal(dec.decode(res.seq, res.seq.length, MAKESPAN), res.value);
      assert.deepEqual(checkFlowShopSchedule(p, dec.operations(res.seq, res.seq.length)), []);
    }
  });

  it('every iterate of the iterated greedy is a valid schedule with the value it reports', () => {
    for (const [seed, objective] of [[3, 'makespan'], [12, 'tardiness'], [22, { makespan: 1, weightedTardiness: 2 }], [25, 'makespan']]) {
      const p = varied(seed, 9);
      if (!p.dueDates) p.dueDates = p.jobs.map((t) => 2 * t.reduce((a, b) => a + b, 0));
      const inst = buildInstance(validateFlowShop(p));
      const w = parseObjective(objective);
      const check = new Decoder(inst);
      let iterates = 0;
      let last = Infinity;
      const res = iteratedGreedy(inst, Int32Array.from(shuffled(9, rng(seed))), {
        objective: w,
        rng: new SeededRandom(seed),
        destruction: 3,
        temperature: 0.4,
        maxIterations: 60,
        target: -Infinity,
        now: () => 0,
        deadline: Infinity,
        onIterate: (value, seq) => {
          iterates++;
          assert.deepEqual(Array.from(seq).sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8]);
          assert.equal(check.decode(seq, 9, w), value);
          assert.deepEqual(checkFlowShopSchedule(p, check.operations(seq, 9)), []);
        },
        onImprove: (value) => {
          assert.ok(value < last);
          last = value;
        },
      });
      assert.equal(iterates, 60);
      assert.equal(res.iterations, 60);
      assert.equal(res.stopReason, 'iterations');
      assert.equal(check.decode(res.best, 9, w), res.value);
    }
  });
});
