'use strict';
const assert = require('assert/strict');
const { createOptimiser } = require('../../../dist/core/optimisation/search');
const { continuous, sphere, rosenbrock, rastrigin } = require('./helpers');

const nm = (variables, objectives, options = {}) => createOptimiser({ variables, objectives }, { algorithm: 'nelder-mead', seed: 1, ...options });

describe('optimisation Nelder–Mead with restarts', () => {
  it('Rosenbrock 4-D from the middle of the box reaches (1, 1, 1, 1)', () => {
    const r = nm(continuous(4, -5, 5), rosenbrock, { maxEvaluations: 20000, targetValue: 1e-10 }).runSync();
    assert.equal(r.progress.reason, 'target-reached', `best ${r.best.value}`);
    for (const v of r.best.x) assert.ok(Math.abs(v - 1) < 1e-3);
  });

  it('random restarts escape local minima: shifted Rastrigin 2-D reaches 0', () => {
    const shifted = ({ x }) => rastrigin({ x: [x[0] - 1.3, x[1] + 0.7] });
    const o = nm(continuous(2, -5.12, 5.12), shifted, { maxEvaluations: 20000, targetValue: 1e-8, seed: 3, nelderMead: { stepFraction: 0.02 } });
    const r = o.runSync();
    assert.equal(r.progress.reason, 'target-reached', `best ${r.best.value}`);
    assert.ok(r.progress.restarts >= 1);
  });

  it('a limited number of restarts ends the run (converged)', () => {
    const r = nm(continuous(2, -5, 5), sphere, { nelderMead: { restarts: 2 }, maxEvaluations: 100000 }).runSync();
    assert.equal(r.progress.reason, 'converged');
    assert.equal(r.progress.restarts, 2);
    assert.equal(r.progress.generations, 3);
    assert.ok(r.best.value < 1e-12);
  });

  it('slicing replays the paused local run: the same points as an unsliced run', () => {
    const trace = (sliced) => {
      const seen = [];
      const o = nm(continuous(3, -5, 5), ({ x }) => (seen.push(x.join(',')), rastrigin({ x })), { maxEvaluations: 1500, seed: 3 });
      if (sliced) {
        let steps = 0;
        while (!o.done) {
          o.step(0);
          steps++;
        }
        assert.ok(steps > 100, `${steps} steps`);
      } else o.runSync();
      return { seen, best: o.best(), progress: o.progress() };
    };
    const a = trace(false), b = trace(true);
    assert.equal(a.seen.length, 1500);
    assert.deepEqual(b.seen, a.seen);
    assert.deepEqual(b.best.x, a.best.x);
    assert.equal(b.progress.evaluations, a.progress.evaluations);
  });

  it('constraints: the best point is feasible (min (x-2)² + (y-1)² with x + y ≤ 1)', () => {
    const o = createOptimiser(
      { variables: continuous(2, -3, 3), objectives: ({ x }) => (x[0] - 2) ** 2 + (x[1] - 1) ** 2, constraints: [({ x }) => x[0] + x[1] - 1] },
      { algorithm: 'nelder-mead', seed: 2, maxEvaluations: 4000 },
    );
    const r = o.runSync();
    assert.equal(r.best.feasible, true);
    // Optimum on the line x + y = 1 at (1, 0), value 2.
    assert.ok(Math.abs(r.best.value - 2) < 1e-3, `value ${r.best.value} at ${r.best.x}`);
  });
});
