'use strict';
const assert = require('assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const L = require('../../../dist/core/optimisation/layout');
const { SeededRandom } = require('../../../dist/core/simulation/des/random');
const { ConfigError, InputError } = require('../../../dist/core/errors');

// QAPLIB subset beside the project, read in place (never copied); tests skip cleanly without it.
const DATA = path.resolve(__dirname, '../../../../shared/data/qaplib');
const INSTANCES = ['nug12', 'nug15', 'nug20', 'nug30', 'tai20a', 'tai30a', 'sko42', 'tho30', 'kra30a'];
const present = (name) => fs.existsSync(path.join(DATA, `${name}.dat`)) && fs.existsSync(path.join(DATA, `${name}.sln`));
const read = (name) => ({
  inst: L.parseQaplibDat(fs.readFileSync(path.join(DATA, `${name}.dat`), 'utf8'), name),
  sln: L.parseQaplibSln(fs.readFileSync(path.join(DATA, `${name}.sln`), 'utf8')),
});

function refused(fn, Type, reason) {
  assert.throws(fn, (err) => err instanceof Type && (!reason || err.shortReason === reason));
}

function randomInstance(n, seed, { symmetric = false, diagonal = true } = {}) {
  const rng = new SeededRandom(seed);
  const m = () => {
    const a = Array.from({ length: n }, () => Array.from({ length: n }, () => Math.floor(rng.next() * 10)));
    for (let i = 0; i < n; i++) {
      if (!diagonal) a[i][i] = 0;
      if (symmetric) for (let j = 0; j < i; j++) a[i][j] = a[j][i];
    }
    return a;
  };
  return L.qapInstance(m(), m());
}

function shuffled(n, rng) {
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

describe('layout QAP', () => {
  it('nug12: the .sln permutation costs 578', function () {
    if (!present('nug12')) this.skip();
    const { inst, sln } = read('nug12');
    assert.equal(inst.n, 12);
    assert.equal(sln.cost, 578);
    assert.deepEqual(sln.permutation, [12, 7, 9, 3, 4, 8, 11, 1, 5, 6, 10, 2].map((v) => v - 1));
    assert.equal(L.qapCost(inst, sln.permutation), 578);
  });

  it('every QAPLIB instance present: the .sln cost is reproduced (by p or its inverse)', function () {
    const names = INSTANCES.filter(present);
    if (names.length === 0) this.skip();
    for (const name of names) {
      const { inst, sln } = read(name);
      const c = L.qaplibSolutionCost(inst, sln);
      assert.notEqual(c.inverted, undefined, `${name}: neither ${c.cost} nor ${c.inverseCost} is ${sln.cost}`);
      // As documented with the data: tho30 and kra30a store the inverse permutation.
      assert.equal(c.inverted, name === 'tho30' || name === 'kra30a', name);
    }
  });

  it('swap delta (O(n)) equals full recomputation, for asymmetric matrices with diagonals too', () => {
    for (const [seed, opts] of [[1, {}], [2, { symmetric: true, diagonal: false }], [3, { symmetric: true }]]) {
      const inst = randomInstance(9, seed, opts);
      const rng = new SeededRandom(seed);
      for (let trial = 0; trial < 20; trial++) {
        const p = shuffled(9, rng);
        const base = L.qapCost(inst, p);
        for (let r = 0; r < 9; r++) {
          for (let s = 0; s < 9; s++) {
            const q = p.slice();
            [q[r], q[s]] = [q[s], q[r]];
            assert.equal(L.swapDelta(inst, p, r, s), L.qapCost(inst, q) - base);
          }
        }
      }
    }
  });

  it('tabu search: the O(1)-updated delta matrix and running cost stay exact', () => {
    for (const [seed, opts] of [[4, {}], [5, { symmetric: true, diagonal: false }]]) {
      const inst = randomInstance(11, seed, opts);
      const rng = new SeededRandom(seed);
      const ts = new L.RobustTabuSearch(inst, rng);
      ts.reset(shuffled(11, rng));
      for (let round = 0; round < 10; round++) {
        ts.run(37);
        assert.equal(ts.cost, L.qapCost(inst, ts.p));
        assert.equal(ts.bestCost, L.qapCost(inst, ts.best));
        for (let i = 0; i < 10; i++) for (let j = i + 1; j < 11; j++) assert.equal(ts.delta[i * 11 + j], L.swapDelta(inst, ts.p, i, j), `pair ${i},${j}`);
      }
      assert.equal(ts.iteration, 370);
    }
  });

  it('2-swap descent ends in a local optimum', () => {
    const inst = randomInstance(10, 6, { symmetric: true, diagonal: false });
    const p = shuffled(10, new SeededRandom(6));
    const start = L.qapCost(inst, p);
    const cost = L.swapDescent(inst, p);
    assert.equal(cost, L.qapCost(inst, p));
    assert.ok(cost <= start);
    for (let i = 0; i < 10; i++) for (let j = i + 1; j < 10; j++) assert.ok(L.swapDelta(inst, p, i, j) >= 0);
  });

  it('parsers refuse malformed files; instances and permutations are checked', () => {
    refused(() => L.parseQaplibDat(''), InputError, 'bad QAPLIB .dat');
    refused(() => L.parseQaplibDat('2\n0 1 1 0\n0 2 2'), InputError, 'bad QAPLIB .dat');
    refused(() => L.parseQaplibDat('2\n0 1 1 0\n0 2 x 0'), InputError, 'bad QAPLIB .dat');
    refused(() => L.parseQaplibDat('0'), InputError, 'bad QAPLIB .dat');
    const tiny = L.parseQaplibDat(' 2\n\n 0 1\n 1 0\n\n 0 2\n 2 0\n');
    assert.equal(L.qapCost(tiny, [0, 1]), 4);
    assert.deepEqual(L.parseQaplibSln('3 10\n 2 3\n 1\n'), { n: 3, cost: 10, permutation: [1, 2, 0] });
    refused(() => L.parseQaplibSln('3 10 1 2'), InputError, 'bad QAPLIB .sln');
    refused(() => L.parseQaplibSln('3 10 1 1 2'), InputError, 'bad permutation');
    refused(() => L.parseQaplibSln('3 10 1 2 4'), InputError, 'bad permutation');
    refused(() => L.qapInstance([[0, 1], [1, 0]], [[0, 1]]), ConfigError, 'bad matrix b');
    refused(() => L.qapInstance([[0, 1], [1]], [[0, 1], [1, 0]]), ConfigError, 'bad matrix a');
    refused(() => L.qapInstance([[0, NaN], [1, 0]], [[0, 1], [1, 0]]), ConfigError, 'bad matrix a');
    refused(() => L.checkPermutation([0, 0], 2), InputError, 'bad permutation');
    // values that are not numbers are described in a few words, never turned into text themselves
    refused(() => L.qapInstance([[0, Object.create(null)], [1, 0]], [[0, 1], [1, 0]]), ConfigError, 'bad matrix a');
    refused(() => L.qapInstance([[0, 'x'.repeat(50000)], [1, 0]], [[0, 1], [1, 0]]), ConfigError, 'bad matrix a');
    assert.throws(() => L.qapInstance([[0, 'x'.repeat(50000)], [1, 0]], [[0, 1], [1, 0]]), (e) => e.message.length < 150);
    refused(() => L.checkPermutation([0, Object.create(null)], 2), InputError, 'bad permutation');
    refused(() => L.checkPermutation(Object.create(null), 2), InputError, 'bad permutation');
  });

  it('grid layout: flows × distances from location coordinates, padded with idle machines', () => {
    const flows = [
      [0, 5, 0],
      [5, 0, 1],
      [0, 1, 0],
    ];
    const locations = [{ x: 0, y: 0 }, { x: 1, y: 0 }, { x: 2, y: 0 }, { x: 0, y: 1 }];
    const inst = L.gridLayoutInstance({ flows, locations });
    assert.equal(inst.n, 4);
    // Machine 0 at (0,0), 1 at (1,0), 2 at (2,0): 2·(5·1 + 1·1) = 12 (flows counted both ways).
    assert.equal(L.qapCost(inst, [0, 1, 2, 3]), 12);
    const s = L.createQapSearch(inst, { maxGenerations: 20, seed: 1 });
    const best = s.runSync();
    assert.equal(best.cost, 12);
    const euclid = L.gridLayoutInstance({ flows, locations, metric: 'euclidean' });
    assert.ok(Math.abs(L.qapCost(euclid, [0, 3, 1, 2]) - 2 * (5 * 1 + 1 * Math.SQRT2)) < 1e-12);
    refused(() => L.gridLayoutInstance({ flows, locations: locations.slice(0, 2) }), ConfigError, 'too few locations');
    refused(() => L.gridLayoutInstance({ flows: [[0, -1], [1, 0]], locations }), ConfigError, 'bad flows');
  });
});
