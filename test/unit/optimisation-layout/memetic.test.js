'use strict';
const assert = require('assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const L = require('../../../dist/core/optimisation/layout');
const { SeededRandom } = require('../../../dist/core/simulation/des/random');
const { ConfigError, InputError } = require('../../../dist/core/errors');

const DATA = path.resolve(__dirname, '../../../../shared/data/qaplib');
const load = (name) => {
  const dat = path.join(DATA, `${name}.dat`);
  return fs.existsSync(dat) ? L.parseQaplibDat(fs.readFileSync(dat, 'utf8'), name) : undefined;
};

function isPermutation(p, n) {
  return p.length === n && new Set(Array.from(p)).size === n && Array.from(p).every((v) => v >= 0 && v < n);
}

/** A 4×4 grid instance with a known optimum: a chain of flows is best laid along a snake path. */
function chainInstance() {
  const n = 16;
  const locations = [];
  for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) locations.push({ x: c, y: r });
  const flows = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (Math.abs(i - j) === 1 ? 10 : 0)));
  return L.gridLayoutInstance({ flows, locations });
}

describe('layout memetic search (GA + tabu search)', () => {
  it('nug12: reaches the optimum 578 quickly', function () {
    const inst = load('nug12');
    if (!inst) this.skip();
    const s = L.createQapSearch(inst, { seed: 1, targetCost: 578, maxWallMs: 5000 });
    const best = s.runSync();
    assert.equal(best.cost, 578);
    assert.equal(L.qapCost(inst, best.permutation), 578);
    assert.equal(s.reason, 'target-reached');
    assert.ok(s.progress().elapsedMs < 2000, `${s.progress().elapsedMs} ms`);
  });

  it('nug12 without a target: the optimum within 40 generations, for several seeds', function () {
    const inst = load('nug12');
    if (!inst) this.skip();
    for (const seed of [2, 3, 4]) {
      const best = L.createQapSearch(inst, { seed, maxGenerations: 40 }).runSync();
      assert.equal(best.cost, 578, `seed ${seed}`);
    }
  });

  it('a chain of flows on a grid: every neighbour pair adjacent (cost 2·10·15 = 300)', () => {
    const best = L.createQapSearch(chainInstance(), { seed: 1, maxGenerations: 30 }).runSync();
    assert.equal(best.cost, 300);
  });

  it('2-swap local search and order crossover work too', function () {
    const inst = load('nug12') || chainInstance();
    const best = L.createQapSearch(inst, { seed: 1, localSearch: '2-swap', crossover: 'order', maxGenerations: 300 }).runSync();
    assert.ok(isPermutation(best.permutation, inst.n));
    assert.equal(best.cost, L.qapCost(inst, best.permutation));
    if (inst.name === 'nug12') assert.ok(best.cost <= 578 * 1.03, `${best.cost}`);
  });

  it('crossovers produce permutations; cycle crossover keeps every position from a parent', () => {
    const rng = new SeededRandom(9);
    for (let t = 0; t < 50; t++) {
      const n = 5 + (t % 20);
      const a = Array.from({ length: n }, (_, i) => i).sort(() => rng.next() - 0.5);
      const b = Array.from({ length: n }, (_, i) => i).sort(() => rng.next() - 0.5);
      const cx = L.cycleCrossover(a, b, rng);
      assert.ok(isPermutation(cx, n));
      for (let i = 0; i < n; i++) assert.ok(cx[i] === a[i] || cx[i] === b[i]);
      assert.ok(isPermutation(L.orderCrossover(a, b, rng), n));
    }
  });

  it('deterministic for a seed, whether run at once or in 1 ms slices; anytime and cancellable', async () => {
    const inst = load('nug15') || chainInstance();
    const run = (slice) => {
      const improvements = [];
      const s = L.createQapSearch(inst, { seed: 5, maxGenerations: 15, onImprovement: (b) => improvements.push(b.cost) });
      if (slice) while (!s.done) s.step(1);
      else s.runSync();
      return { best: s.best(), improvements, iterations: s.progress().iterations };
    };
    const a = run(false), b = run(true);
    assert.deepEqual(b, a);
    for (let i = 1; i < a.improvements.length; i++) assert.ok(a.improvements[i] < a.improvements[i - 1]);
    const controller = new AbortController();
    const s = L.createQapSearch(inst, { seed: 1, signal: controller.signal, onImprovement: () => controller.abort() });
    const best = await s.run({ sliceMs: 2 });
    assert.equal(s.reason, 'stopped');
    assert.ok(isPermutation(best.permutation, inst.n));
    const limited = L.createQapSearch(inst, { seed: 1, maxIterations: 1000 });
    limited.runSync();
    assert.equal(limited.progress().iterations, 1000);
    assert.equal(limited.reason, 'max-iterations');
  });

  it('holds maxWallMs, refuses bad options', () => {
    const inst = load('tai30a') || chainInstance();
    const s = L.createQapSearch(inst, { seed: 1, maxWallMs: 150 });
    const t = performance.now();
    s.runSync();
    const took = performance.now() - t;
    assert.equal(s.reason, 'max-wall-time');
    assert.ok(took >= 150 && took < 400, `${took} ms`);
    assert.throws(() => L.createQapSearch(inst).runSync(), (e) => e instanceof ConfigError && e.shortReason === 'no limit');
    assert.throws(() => L.createQapSearch(inst, { localSearch: 'sa' }), ConfigError);
    assert.throws(() => L.createQapSearch(inst, { crossover: 'pmx' }), ConfigError);
    assert.throws(() => L.createQapSearch(inst, { initial: [0, 0] }), InputError);
    assert.throws(() => L.createQapSearch({ n: 2, a: [0], b: [0] }), ConfigError);
  });
});
