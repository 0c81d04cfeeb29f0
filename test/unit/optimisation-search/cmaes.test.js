'use strict';
const assert = require('assert/strict');
const { createOptimiser } = require('../../../dist/core/optimisation/search');
const { symmetricEigen } = require('../../../dist/core/optimisation/search/cmaes');
const { ConfigError } = require('../../../dist/core/errors');
const { refused, continuous, sphere, rosenbrock, rastrigin } = require('./helpers');

const cma = (variables, objectives, options = {}) => createOptimiser({ variables, objectives }, { algorithm: 'cmaes', seed: 1, ...options });

describe('optimisation CMA-ES', () => {
  it('sphere 10-D: reaches 1e-10', () => {
    const r = cma(continuous(10, -5, 5), sphere, { maxEvaluations: 20000, targetValue: 1e-10 }).runSync();
    assert.equal(r.progress.reason, 'target-reached');
    assert.ok(r.best.value <= 1e-10);
    assert.ok(r.progress.evaluations < 5000, `${r.progress.evaluations} evaluations`);
  });

  it('Rosenbrock 10-D: reaches the optimum (1, …, 1)', () => {
    const r = cma(continuous(10, -5, 5), rosenbrock, { maxEvaluations: 40000, targetValue: 1e-10 }).runSync();
    assert.equal(r.progress.reason, 'target-reached', `best ${r.best.value}`);
    for (const v of r.best.x) assert.ok(Math.abs(v - 1) < 1e-3, `x = ${r.best.x}`);
  });

  it('Rastrigin 5-D: IPOP restarts reach the global minimum 0', () => {
    const o = cma(continuous(5, -5.12, 5.12), rastrigin, { maxEvaluations: 150000, targetValue: 1e-8, seed: 2 });
    const r = o.runSync();
    assert.equal(r.progress.reason, 'target-reached', `best ${r.best.value} after ${r.progress.restarts} restarts`);
    assert.ok(r.progress.restarts >= 1, 'a restart was needed');
    assert.ok(r.progress.status.populationSize > 8, 'the population grew (IPOP)');
    for (const v of r.best.x) assert.ok(Math.abs(v) < 1e-4);
  });

  it('bounds: an optimum outside the box ends on the bound; nothing is evaluated outside', () => {
    const seen = [];
    const f = ({ x }) => {
      seen.push(x.slice());
      return (x[0] - 3) ** 2 + (x[1] + 1) ** 2 + x[2] ** 2;
    };
    const vars = [
      { name: 'a', kind: 'continuous', min: -1, max: 2 },
      { name: 'b', kind: 'continuous', min: -0.5, max: 2 },
      { name: 'c', kind: 'continuous', min: -1, max: 1 },
    ];
    const r = cma(vars, f, { maxEvaluations: 3000 }).runSync();
    assert.ok(Math.abs(r.best.x[0] - 2) < 1e-6 && Math.abs(r.best.x[1] + 0.5) < 1e-6 && Math.abs(r.best.x[2]) < 1e-4, `x = ${r.best.x}`);
    for (const x of seen) assert.ok(x[0] >= -1 && x[0] <= 2 && x[1] >= -0.5 && x[1] <= 2 && x[2] >= -1 && x[2] <= 1, `outside: ${x}`);
  });

  it('constraints by feasibility rules: min x² + y² subject to x + y ≥ 1', () => {
    const o = createOptimiser(
      { variables: continuous(2, -3, 3), objectives: sphere, constraints: [({ x }) => 1 - x[0] - x[1]] },
      { algorithm: 'cmaes', seed: 4, maxEvaluations: 6000 },
    );
    const r = o.runSync();
    assert.equal(r.best.feasible, true);
    assert.ok(Math.abs(r.best.value - 0.5) < 1e-4, `value ${r.best.value} at ${r.best.x}`);
  });

  it('is deterministic for a seed, whether run at once or in slices', () => {
    const run = (seed, sliced) => {
      const o = cma(continuous(4, -5, 5), rastrigin, { seed, maxEvaluations: 3000 });
      if (sliced) while (!o.done) o.step(0);
      else o.runSync();
      return o.best();
    };
    const a = run(7, false), b = run(7, true), c = run(8, false);
    assert.deepEqual(a.x, b.x);
    assert.equal(a.value, b.value);
    assert.notDeepEqual(a.x, c.x);
  });

  it('integer variables are rounded; a 1-D problem works', () => {
    const vars = [
      { name: 'n', kind: 'integer', min: -10, max: 10 },
      { name: 'x', kind: 'continuous', min: -10, max: 10 },
    ];
    const r = cma(vars, ({ point }) => (point.n - 3) ** 2 + (point.x - 0.5) ** 2, { maxEvaluations: 3000 }).runSync();
    assert.equal(r.best.point.n, 3);
    assert.ok(Math.abs(r.best.point.x - 0.5) < 1e-4);
    const one = cma(continuous(1, -4, 4), ({ x }) => (x[0] - 1) ** 2, { maxEvaluations: 1000, targetValue: 1e-12 }).runSync();
    assert.equal(one.progress.reason, 'target-reached');
  });

  it('refuses bad options', () => {
    refused(() => cma(continuous(2, 0, 1), sphere, { cmaes: { sigma0: 0 } }), ConfigError, 'bad sigma0');
    refused(() => cma(continuous(2, 0, 1), sphere, { cmaes: { populationSize: 1 } }), ConfigError);
    refused(() => cma(continuous(2, 0, 1), sphere, { cmaes: { restarts: -1 } }), ConfigError);
  });

  it('symmetric eigendecomposition reconstructs the matrix', () => {
    const a = [
      [4, 1, 0.5],
      [1, 3, 0.2],
      [0.5, 0.2, 1],
    ];
    const { values, vectors } = symmetricEigen(a);
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        let s = 0;
        for (let k = 0; k < 3; k++) s += vectors[i][k] * values[k] * vectors[j][k];
        assert.ok(Math.abs(s - a[i][j]) < 1e-12);
      }
    }
  });
});
