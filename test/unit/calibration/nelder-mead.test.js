'use strict';
const assert = require('assert/strict');
const { nelderMead } = require('../../../dist/core/calibration/nelder-mead');
const { InputError, ConfigError } = require('../../../dist/core/errors');
const { refused, busyWait } = require('./helpers');

const rosenbrock = (x) => {
  let s = 0;
  for (let i = 0; i < x.length - 1; i++) s += 100 * (x[i + 1] - x[i] * x[i]) ** 2 + (1 - x[i]) ** 2;
  return s;
};
const near = (x, target, tol) => x.every((v, i) => Math.abs(v - target[i]) <= tol);

describe('calibration nelder-mead', () => {
  it('Rosenbrock 2-D from (-1.2, 1) reaches (1, 1)', () => {
    const r = nelderMead(rosenbrock, [-1.2, 1]);
    assert.equal(r.converged, true);
    assert.equal(r.reason, 'converged');
    assert.ok(near(r.x, [1, 1], 1e-5), `x = ${r.x}`);
    assert.ok(r.fx < 1e-12, `fx = ${r.fx}`);
  });

  it('Rosenbrock 4-D reaches (1, 1, 1, 1) with adaptive and with standard coefficients', () => {
    for (const adaptive of [true, false]) {
      const r = nelderMead(rosenbrock, [-1.2, 1, -1.2, 1], { adaptive, maxEvaluations: 5000 });
      assert.equal(r.reason, 'converged', `adaptive ${adaptive}`);
      assert.ok(near(r.x, [1, 1, 1, 1], 1e-4), `adaptive ${adaptive}: x = ${r.x}`);
    }
  });

  it('confirms a claimed minimum by restarting there (restarts: 0 skips that)', () => {
    const once = nelderMead(rosenbrock, [-1.2, 1], { restarts: 0 });
    const checked = nelderMead(rosenbrock, [-1.2, 1]);
    assert.equal(once.reason, 'converged');
    assert.ok(checked.evaluations > once.evaluations);
    assert.ok(checked.fx <= once.fx);
    refused(() => nelderMead(rosenbrock, [0, 0], { restarts: -1 }), ConfigError, 'bad restarts');
  });

  it('bounded quadratic: finds the optimum on the bound and never evaluates outside the box', () => {
    const bounds = { min: [-1, -0.5], max: [2, 2] };
    const seen = [];
    const f = (x) => {
      seen.push(x);
      return (x[0] - 3) ** 2 + (x[1] + 1) ** 2;
    };
    const r = nelderMead(f, [0, 0], { bounds });
    assert.ok(near(r.x, [2, -0.5], 1e-6), `x = ${r.x}`);
    assert.ok(Math.abs(r.fx - 1.25) < 1e-10);
    assert.equal(seen.length, r.evaluations);
    for (const x of seen) assert.ok(x[0] >= -1 && x[0] <= 2 && x[1] >= -0.5 && x[1] <= 2, `outside: ${x}`);
  });

  it('clamps a starting point outside the bounds and steps inwards from a bound', () => {
    const r = nelderMead((x) => (x[0] - 1) ** 2, [5], { bounds: { min: [0], max: [2] } });
    assert.ok(Math.abs(r.x[0] - 1) < 1e-4, `x = ${r.x}`);
  });

  it('treats NaN, Infinity and non-numbers as +Infinity and never returns them', () => {
    const f = (x) => (x[0] < 0.5 ? NaN : x[0] > 5 ? 'bad' : (x[0] - 2) ** 2 + (x[1] - 1) ** 2);
    const r = nelderMead(f, [0.6, 0], { step: 1 });
    assert.ok(Number.isFinite(r.fx));
    assert.ok(near(r.x, [2, 1], 1e-4), `x = ${r.x}`);
  });

  it('respects maxEvaluations exactly and says so', () => {
    let calls = 0;
    const r = nelderMead((x) => (calls++, rosenbrock(x)), [-1.2, 1], { maxEvaluations: 37 });
    assert.equal(r.reason, 'max-evaluations');
    assert.equal(r.converged, false);
    assert.equal(r.evaluations, 37);
    assert.equal(calls, 37);
    assert.ok(r.fx <= rosenbrock([-1.2, 1]));
  });

  it('respects maxIterations', () => {
    const r = nelderMead(rosenbrock, [-1.2, 1], { maxIterations: 5 });
    assert.equal(r.reason, 'max-iterations');
    assert.equal(r.iterations, 5);
  });

  it('respects maxWallMs', () => {
    const started = Date.now();
    const r = nelderMead((x) => (busyWait(2), rosenbrock(x)), [-1.2, 1], { maxWallMs: 40 });
    const elapsed = Date.now() - started;
    assert.equal(r.reason, 'max-wall-time');
    assert.ok(elapsed < 40 + 60, `elapsed ${elapsed} ms`);
    assert.ok(r.evaluations >= 2);
  });

  it('stops when shouldStop says so', () => {
    let calls = 0;
    const r = nelderMead((x) => (calls++, rosenbrock(x)), [-1.2, 1], { shouldStop: () => calls >= 10 });
    assert.equal(r.reason, 'stopped');
    assert.equal(r.evaluations, 10);
  });

  it('is deterministic', () => {
    const a = nelderMead(rosenbrock, [-1.2, 1, -1.2, 1], { maxEvaluations: 3000 });
    const b = nelderMead(rosenbrock, [-1.2, 1, -1.2, 1], { maxEvaluations: 3000 });
    assert.deepEqual(a, b);
  });

  it('does not change the caller’s arrays', () => {
    const x0 = [-1.2, 1];
    nelderMead((x) => {
      x[0] = 99; // a careless objective cannot corrupt the simplex
      return rosenbrock([1, 1]);
    }, x0, { maxEvaluations: 20 });
    assert.deepEqual(x0, [-1.2, 1]);
  });

  it('refuses garbage with the right error', () => {
    refused(() => nelderMead(rosenbrock, []), ConfigError, 'bad start');
    refused(() => nelderMead(rosenbrock, 'x'), ConfigError, 'bad start');
    refused(() => nelderMead(rosenbrock, [1, NaN]), InputError, 'not finite', /x0\[1\]/);
    refused(() => nelderMead('f', [1]), ConfigError, 'bad objective');
    refused(() => nelderMead(rosenbrock, [0, 0], { bounds: { min: [0, 2], max: [1, 1] } }), ConfigError, 'bad bounds', /x\[1\].*min 2 > max 1/);
    refused(() => nelderMead(rosenbrock, [0, 0], { bounds: { min: [0], max: [1] } }), ConfigError, 'bad bounds', /2 numbers/);
    refused(() => nelderMead(rosenbrock, [0, 0], { step: [1, 0] }), ConfigError, 'bad step', /step\[1\]/);
    refused(() => nelderMead(rosenbrock, [0, 0], { maxEvaluations: 0 }), ConfigError, 'bad maxEvaluations');
    refused(() => nelderMead(rosenbrock, [0, 0], { maxWallMs: -1 }), ConfigError, 'bad maxWallMs');
    refused(() => nelderMead(rosenbrock, [0, 0], { tolerance: NaN }), ConfigError, 'bad tolerance');
  });

  it('lets an exception from the objective through (the caller decides what it means)', () => {
    assert.throws(() => nelderMead(() => {
      throw new Error('boom');
    }, [0]), /boom/);
  });
});
