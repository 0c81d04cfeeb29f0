'use strict';
const assert = require('assert/strict');
const P = require('../../../dist/core/optimisation/search/pareto');
const { InputError } = require('../../../dist/core/errors');
const { refused } = require('./helpers');

/** Exact hypervolume by inclusion–exclusion over all subsets (boxes [p, ref]); for small sets only. */
function hvInclusionExclusion(points, ref) {
  const pts = points.filter((p) => p.every((v, k) => v < ref[k]));
  let total = 0;
  for (let mask = 1; mask < 1 << pts.length; mask++) {
    const lo = ref.map(() => -Infinity);
    let bits = 0;
    for (let i = 0; i < pts.length; i++) {
      if (!(mask & (1 << i))) continue;
      bits++;
      pts[i].forEach((v, k) => (lo[k] = Math.max(lo[k], v)));
    }
    total += (bits % 2 ? 1 : -1) * lo.reduce((s, v, k) => s * (ref[k] - v), 1);
  }
  return total;
}

describe('optimisation pareto tools', () => {
  it('hypervolume in 2-D matches hand-computed values', () => {
    assert.equal(P.hypervolume([[1, 3], [2, 2], [3, 1]], [4, 4]), 6);
    // A dominated point, a duplicate and points beyond the reference add nothing.
    assert.equal(P.hypervolume([[1, 3], [2, 2], [3, 1], [3, 3], [2, 2], [5, 0], [0, 4]], [4, 4]), 6);
    assert.equal(P.hypervolume([[0, 0]], [1, 1]), 1);
    assert.equal(P.hypervolume([], [1, 1]), 0);
    // The true ZDT1 front f2 = 1 - sqrt(f1) with reference (1, 1): 2/3 in the limit.
    const front = Array.from({ length: 2001 }, (_, i) => [i / 2000, 1 - Math.sqrt(i / 2000)]);
    assert.ok(Math.abs(P.hypervolume(front, [1, 1]) - 2 / 3) < 1e-3);
  });

  it('hypervolume in 3-D (and 4-D) matches hand-computed values and inclusion–exclusion', () => {
    assert.equal(P.hypervolume([[1, 1, 1]], [2, 2, 2]), 1);
    assert.equal(P.hypervolume([[0, 0, 1], [1, 1, 0]], [2, 2, 2]), 5);
    assert.equal(P.hypervolume([[1, 0, 0], [0, 1, 0], [0, 0, 1]], [2, 2, 2]), 7);
    let seed = 3;
    const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    for (const m of [3, 4]) {
      for (let trial = 0; trial < 10; trial++) {
        const pts = Array.from({ length: 7 }, () => Array.from({ length: m }, () => rand()));
        const ref = Array.from({ length: m }, () => 1);
        const exact = hvInclusionExclusion(pts, ref);
        assert.ok(Math.abs(P.hypervolume(pts, ref) - exact) < 1e-12, `m ${m}: ${P.hypervolume(pts, ref)} vs ${exact}`);
      }
    }
    refused(() => P.hypervolume([[1, 2]], [1, 2, 3]), InputError, 'bad point');
    refused(() => P.hypervolume([[1, NaN]], [2, 2]), InputError, 'bad point');
  });

  it('non-dominated sort, constrained domination and crowding distance', () => {
    const pts = [[1, 5], [2, 3], [4, 1], [3, 4], [5, 5], [2, 3]];
    assert.deepEqual(P.nonDominatedSort(pts), [[0, 1, 2, 5], [3], [4]]);
    assert.deepEqual(P.paretoFilter(pts), [0, 1, 2, 5]);
    // Point 0 is infeasible: feasible ones first, then by violation.
    assert.deepEqual(P.nonDominatedSort([[0, 0], [1, 1], [2, 0], [0, 0]], [1, 0, 0, 0.5]), [[1, 2], [3], [0]]);
    assert.equal(P.dominates([1, 1], [1, 2]), true);
    assert.equal(P.dominates([1, 2], [1, 2]), false);
    const d = P.crowdingDistance([[0, 4], [1, 2], [3, 1], [4, 0]], [0, 1, 2, 3]);
    assert.equal(d[0], Infinity);
    assert.equal(d[3], Infinity);
    assert.ok(Math.abs(d[1] - (3 / 4 + 3 / 4)) < 1e-12);
    assert.ok(Math.abs(d[2] - (3 / 4 + 2 / 4)) < 1e-12);
  });

  it('knee and weighted compromise on a known front', () => {
    const front = [[0, 1], [0.25, 0.75], [0.4, 0.3], [0.75, 0.25], [1, 0]];
    assert.equal(P.kneeIndex(front), 2);
    assert.equal(P.compromiseIndex(front, [1, 0]), 0);
    assert.equal(P.compromiseIndex(front, [0, 1]), 4);
    assert.equal(P.compromiseIndex(front, [1, 1]), 2);
    assert.equal(P.compromiseIndex(front, [0.5, 0.5], 'tchebycheff'), 2);
    // Tchebycheff with weights 3:1 favours a small f1: max(0.75·f1, 0.25·f2).
    assert.equal(P.compromiseIndex(front, [3, 1], 'tchebycheff'), 1);
    // Scale does not matter: the front is normalised first.
    assert.equal(P.kneeIndex(front.map(([a, b]) => [1000 * a + 5, b / 100])), 2);
    // 3 objectives: the point farthest below the plane through the extremes.
    const f3 = [[1, 0, 0], [0, 1, 0], [0, 0, 1], [0.2, 0.2, 0.2], [0.5, 0.4, 0.3]];
    assert.equal(P.kneeIndex(f3), 3);
    refused(() => P.compromiseIndex(front, [1]), InputError, 'bad weights');
    refused(() => P.compromiseIndex(front, [0, 0]), InputError, 'bad weights');
    refused(() => P.kneeIndex([]), InputError, 'empty front');
  });
});
