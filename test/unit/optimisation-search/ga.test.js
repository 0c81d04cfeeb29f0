'use strict';
const assert = require('assert/strict');
const { createOptimiser } = require('../../../dist/core/optimisation/search');
const { ConfigError } = require('../../../dist/core/errors');
const { refused } = require('./helpers');

// Mixed-variable test problem with a known optimum (value 0): x = 1.7, y = 2 (on a 0.5 grid),
// n = 13, k = 4 (even integers), mode 'c', flag true.
const mixedVariables = [
  { name: 'x', kind: 'continuous', min: -5, max: 5 },
  { name: 'y', kind: 'continuous', min: -5, max: 5, step: 0.5 },
  { name: 'n', kind: 'integer', min: 0, max: 20 },
  { name: 'k', kind: 'integer', min: -10, max: 10, step: 2 },
  { name: 'mode', kind: 'categorical', values: ['a', 'b', 'c', 'd'] },
  { name: 'flag', kind: 'categorical', values: [false, true] },
];
const mixedObjective = ({ point: p }) => (p.x - 1.7) ** 2 + (p.y - 2) ** 2 + (p.n - 13) ** 2 + (p.k - 4) ** 2 / 4 + (p.mode === 'c' ? 0 : 3) + (p.flag ? 0 : 1);

// CEC 2006 g06: min (x1-10)³ + (x2-20)³ with two non-linear constraints; optimum -6961.81388 at
// (14.095, 0.84296). Feasible region tiny: almost every random point is infeasible.
const g06 = {
  variables: [
    { name: 'x1', kind: 'continuous', min: 13, max: 100 },
    { name: 'x2', kind: 'continuous', min: 0, max: 100 },
  ],
  objectives: ({ x }) => (x[0] - 10) ** 3 + (x[1] - 20) ** 3,
  constraints: [({ x }) => -((x[0] - 5) ** 2) - (x[1] - 5) ** 2 + 100, ({ x }) => (x[0] - 6) ** 2 + (x[1] - 5) ** 2 - 82.81],
};

describe('optimisation genetic algorithm (mixed variables)', () => {
  it('finds the known optimum of a mixed continuous / integer / stepped / categorical problem', () => {
    const o = createOptimiser({ variables: mixedVariables, objectives: mixedObjective }, { seed: 1, maxEvaluations: 5000 });
    assert.equal(o.algorithm, 'ga', 'the default for discrete variables');
    const r = o.runSync();
    const { x, ...rest } = r.best.point;
    assert.deepEqual(rest, { y: 2, n: 13, k: 4, mode: 'c', flag: true });
    assert.ok(Math.abs(x - 1.7) < 1e-3, `x = ${x}`);
    assert.ok(r.best.value < 1e-6);
    // Discrete points repeat: identical points are served from the memo, not evaluated again.
    assert.equal(r.progress.evaluations, 5000);
    assert.ok(r.progress.memoHits > 100, `${r.progress.memoHits} memo hits`);
  });

  it('every evaluated point is on the grid and within bounds', () => {
    const seen = [];
    const o = createOptimiser({ variables: mixedVariables, objectives: (ctx) => (seen.push(ctx.point), mixedObjective(ctx)) }, { seed: 2, maxEvaluations: 800 });
    o.runSync();
    for (const p of seen) {
      assert.ok(p.x >= -5 && p.x <= 5);
      assert.ok(Number.isInteger(p.y * 2) && p.y >= -5 && p.y <= 5);
      assert.ok(Number.isInteger(p.n) && p.n >= 0 && p.n <= 20);
      assert.ok(p.k % 2 === 0 && p.k >= -10 && p.k <= 10);
      assert.ok(['a', 'b', 'c', 'd'].includes(p.mode));
      assert.ok(p.flag === true || p.flag === false);
    }
  });

  it('constraints by Deb\'s feasibility rules: g06 reaches the tiny feasible region and comes within 2 %', () => {
    const r = createOptimiser(g06, { algorithm: 'ga', seed: 3, maxEvaluations: 20000 }).runSync();
    assert.equal(r.best.feasible, true);
    assert.ok(r.best.value < -6961.81388 * 0.98, `value ${r.best.value}`);
    // CMA-ES ranks its samples by the same rules and gets the optimum.
    const cma = createOptimiser(g06, { algorithm: 'cmaes', seed: 3, maxEvaluations: 20000 }).runSync();
    assert.ok(Math.abs(cma.best.value + 6961.81388) < 0.01, `CMA-ES value ${cma.best.value}`);
  });

  it('is deterministic for a seed, whether run at once or in slices', () => {
    const run = (seed, sliced) => {
      const o = createOptimiser({ variables: mixedVariables, objectives: mixedObjective }, { seed, maxEvaluations: 1500 });
      if (sliced) while (!o.done) o.step(0);
      else o.runSync();
      return o.best();
    };
    assert.deepEqual(run(5, true), run(5, false));
    assert.notDeepEqual(run(5, false).point, run(6, false).point);
  });

  it('refuses bad GA options', () => {
    const p = { variables: mixedVariables, objectives: mixedObjective };
    refused(() => createOptimiser(p, { ga: { populationSize: 1 } }), ConfigError, 'bad ga.populationSize');
    refused(() => createOptimiser(p, { ga: { elitism: 50 } }), ConfigError, 'bad ga.elitism');
    refused(() => createOptimiser(p, { ga: { crossoverRate: 1.5 } }), ConfigError, 'bad crossoverRate');
    refused(() => createOptimiser(p, { ga: { etaMutation: -1 } }), ConfigError, 'bad etaMutation');
  });
});
