'use strict';
const assert = require('assert/strict');
const L = require('../../../dist/core/optimisation/layout');
const { SeededRandom } = require('../../../dist/core/simulation/des/random');
const { ConfigError, InputError } = require('../../../dist/core/errors');

function problem(n, seed, extra = {}) {
  const rng = new SeededRandom(seed);
  const machines = Array.from({ length: n }, (_, i) => ({ name: `M${i + 1}`, width: 1 + Math.round(rng.next() * 40) / 10, depth: 1 + Math.round(rng.next() * 30) / 10 }));
  const flows = Array.from({ length: n }, () => new Array(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (rng.next() < 0.4) flows[i][j] = flows[j][i] = Math.round(rng.next() * 20);
    }
  }
  return { machines, flows, hall: { width: 14 }, clearance: 0.8, aisle: 2.5, wallClearance: 0.5, ...extra };
}

function permutations(n) {
  if (n === 1) return [[0]];
  const out = [];
  for (const p of permutations(n - 1)) for (let k = 0; k <= p.length; k++) out.push([...p.slice(0, k), n - 1, ...p.slice(k)]);
  return out;
}

describe('layout in the plane (rows, footprints, clearances)', () => {
  it('a row layout has no overlaps and respects clearances, aisles and walls', () => {
    const p = problem(12, 1);
    const layout = L.rowLayout(p, Array.from({ length: 12 }, (_, i) => i));
    const check = L.checkPlaneLayout(p, layout.placements);
    assert.deepEqual(check.violations, []);
    assert.equal(check.valid, true);
    assert.ok(layout.rows >= 2);
    assert.equal(layout.cost, L.planeLayoutCost(p, layout.placements));
    // Within a row: side by side with at least the clearance; rows an aisle apart.
    for (const a of layout.placements) {
      for (const b of layout.placements) {
        if (a === b) continue;
        if (a.row === b.row) assert.ok(a.x + a.width + 0.8 <= b.x + 1e-9 || b.x + b.width + 0.8 <= a.x + 1e-9);
        else assert.ok(a.y + a.depth + 2.5 <= b.y + 1e-9 || b.y + b.depth + 2.5 <= a.y + 1e-9);
      }
    }
  });

  it('the checker finds overlaps, gaps below the clearance, and footprints outside the hall', () => {
    const p = { machines: [{ name: 'A', width: 2, depth: 2 }, { name: 'B', width: 2, depth: 2 }, { name: 'C', width: 1, depth: 1 }], flows: [[0, 1, 0], [1, 0, 0], [0, 0, 0]], hall: { width: 10, depth: 10 }, clearance: 1, aisle: 2 };
    const place = (xy) => xy.map(([x, y], i) => ({ name: p.machines[i].name, x, y, width: p.machines[i].width, depth: p.machines[i].depth, row: 0 }));
    assert.equal(L.checkPlaneLayout(p, place([[0, 0], [3, 0], [6, 0]])).valid, true);
    const overlap = L.checkPlaneLayout(p, place([[0, 0], [1, 1], [6, 0]]));
    assert.equal(overlap.valid, false);
    assert.match(overlap.violations[0], /A and B: overlap/);
    assert.match(L.checkPlaneLayout(p, place([[0, 0], [2.5, 0], [6, 0]])).violations[0], /A and B: too close/);
    // One above the other: the aisle (2) applies, not the clearance (1).
    assert.equal(L.checkPlaneLayout(p, place([[0, 0], [0, 3.5], [6, 0]])).valid, false);
    assert.equal(L.checkPlaneLayout(p, place([[0, 0], [0, 4], [6, 0]])).valid, true);
    assert.match(L.checkPlaneLayout(p, place([[0, 0], [3, 0], [9.5, 0]])).violations[0], /C: outside the hall width/);
    assert.match(L.checkPlaneLayout(p, place([[0, 0], [3, 0], [6, 9.5]])).violations[0], /C: outside the hall depth/);
    assert.equal(L.checkPlaneLayout(p, place([[0, 0], [3, 0]])).valid, false);
  });

  it('the search finds the brute-force optimum of a 6-machine row layout and stays valid', () => {
    const p = problem(6, 3, { hall: { width: 9 } });
    let best = Infinity;
    for (const order of permutations(6)) {
      const l = L.rowLayout(p, order);
      best = Math.min(best, l.cost);
    }
    const s = L.createPlaneLayoutSearch(p, { seed: 1, maxEvaluations: 3000 });
    const found = s.runSync();
    assert.ok(Math.abs(found.cost - best) < 1e-9, `found ${found.cost}, optimum ${best}`);
    assert.equal(L.checkPlaneLayout(p, found.placements).valid, true);
  });

  it('a 15-machine layout: far cheaper than the listed order, valid, within the hall depth; deterministic in slices', () => {
    const p = problem(15, 7, { hall: { width: 16, depth: 30 } });
    const initial = L.rowLayout(p, Array.from({ length: 15 }, (_, i) => i));
    const run = (sliced) => {
      const s = L.createPlaneLayoutSearch(p, { seed: 2, maxEvaluations: 20000 });
      if (sliced) while (!s.done) s.step(1);
      else s.runSync();
      return s.best();
    };
    const a = run(false);
    assert.deepEqual(run(true), a);
    assert.ok(a.cost < 0.8 * initial.cost, `${a.cost} vs ${initial.cost}`);
    assert.equal(a.excess, 0);
    const check = L.checkPlaneLayout(p, a.placements);
    assert.deepEqual(check.violations, []);
  });

  it('a hall too shallow for every order: the least excess depth wins', () => {
    const p = problem(8, 4, { hall: { width: 8, depth: 9 } });
    const r = L.createPlaneLayoutSearch(p, { seed: 1, maxEvaluations: 3000 }).runSync();
    const all = permutations(8).map((o) => L.rowLayout(p, o).excess);
    assert.ok(Math.abs(r.excess - Math.min(...all)) < 1e-9, `excess ${r.excess} vs least ${Math.min(...all)}`);
  });

  it('refuses bad problems naming the machine', () => {
    const p = problem(3, 1);
    assert.throws(() => L.rowLayout({ ...p, machines: [...p.machines.slice(0, 2), { name: 'press', width: 20, depth: 1 }] }, [0, 1, 2]), (e) => e instanceof ConfigError && e.shortReason === 'machine too wide' && /"press"/.test(e.message));
    assert.throws(() => L.rowLayout({ ...p, machines: [p.machines[0], p.machines[0], p.machines[1]] }, [0, 1, 2]), (e) => e instanceof ConfigError && /used twice/.test(e.message));
    assert.throws(() => L.rowLayout({ ...p, flows: [[0]] }, [0, 1, 2]), (e) => e instanceof ConfigError && e.shortReason === 'bad flows');
    assert.throws(() => L.rowLayout({ ...p, clearance: -1 }, [0, 1, 2]), ConfigError);
    assert.throws(() => L.rowLayout(p, [0, 0, 1]), InputError);
    assert.throws(() => L.rowLayout({ ...p, hall: {} }, [0, 1, 2]), ConfigError);
  });
});
