'use strict';
// Shared helpers of the flow-shop tests: seeded random instances, brute force, refusals.
const assert = require('assert/strict');
const { InputError } = require('../../../dist/core/errors');
const { validateFlowShop } = require('../../../dist/core/optimisation/flowshop/validate');
const { parseObjective } = require('../../../dist/core/optimisation/jobshop/validate');
const { buildInstance, Decoder } = require('../../../dist/core/optimisation/flowshop/instance');

/** Seeded generator for test data (mulberry32). */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A random hybrid flow shop: n jobs, `stages` stages of 1..maxMachines machines. Options: speeds
 * (some stages with machine speeds), skips (some times 0), releases, dues, windows.
 */
function randomFlowShop(seed, { n = 6, stages = 3, maxMachines = 3, maxTime = 20, speeds = false, skips = false, releases = false, dues = false, windows = 0 } = {}) {
  const r = rng(seed);
  const int = (k) => Math.floor(r() * k);
  const st = [];
  for (let k = 0; k < stages; k++) {
    const m = 1 + int(maxMachines);
    st.push(speeds && r() < 0.5 ? { machines: Array.from({ length: m }, () => ({ speed: [0.5, 1, 1.5, 2][int(4)] })) } : { machines: m });
  }
  const jobs = [];
  for (let j = 0; j < n; j++) {
    const t = Array.from({ length: stages }, () => (skips && r() < 0.2 ? 0 : 1 + int(maxTime)));
    if (t.every((x) => x === 0)) t[int(stages)] = 1 + int(maxTime);
    jobs.push(t);
  }
  const p = { stages: st, jobs };
  const total = jobs.reduce((a, t) => a + t.reduce((x, y) => x + y, 0), 0);
  if (releases) p.releaseDates = jobs.map(() => int(Math.ceil(total / 6)));
  if (dues) p.dueDates = jobs.map((t) => t.reduce((x, y) => x + y, 0) + int(Math.ceil(total / 3)));
  if (windows > 0) {
    p.unavailable = [];
    for (let w = 0; w < windows; w++) {
      const k = int(stages);
      const m = typeof st[k].machines === 'number' ? st[k].machines : st[k].machines.length;
      const s = int(Math.ceil(total / 3));
      p.unavailable.push({ stage: k, machine: int(m), start: s, end: s + 1 + int(maxTime) });
    }
  }
  return { problem: p, int, r };
}

function permutations(n) {
  const out = [];
  const a = Array.from({ length: n }, (_, i) => i);
  const rec = (k) => {
    if (k === n) return void out.push(a.slice());
    for (let i = k; i < n; i++) {
      [a[k], a[i]] = [a[i], a[k]];
      rec(k + 1);
      [a[k], a[i]] = [a[i], a[k]];
    }
  };
  rec(0);
  return out;
}

/** The best objective value over all permutations, decoded by the solver's decoder. */
function bruteForce(problem, objective = 'makespan') {
  const inst = buildInstance(validateFlowShop(problem));
  const dec = new Decoder(inst);
  const w = parseObjective(objective);
  let best = Infinity;
  let perm;
  for (const p of permutations(inst.nJobs)) {
    const v = dec.decode(p, p.length, w);
    if (v < best) {
      best = v;
      perm = p;
    }
  }
  return { value: best, permutation: perm };
}

/** Asserts that `fn` throws an InputError whose message matches every pattern. */
function refused(fn, ...patterns) {
  let err;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  assert.ok(err, `expected an InputError matching ${patterns.join(', ')}`);
  assert.ok(err instanceof InputError, `expected an InputError, got ${err && err.name}: ${err && err.message}`);
  for (const p of patterns) assert.match(err.message, p);
  return err;
}

module.exports = { rng, randomFlowShop, permutations, bruteForce, refused };
