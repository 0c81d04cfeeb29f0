'use strict';
const assert = require('assert/strict');
const { levenbergMarquardt } = require('../../../dist/core/calibration/levenberg-marquardt');
const { nelderMead } = require('../../../dist/core/calibration/nelder-mead');
const { solveLinearSystem } = require('../../../dist/core/calibration/linear-solve');
const { InputError, ConfigError } = require('../../../dist/core/errors');
const { refused, gaussianSource, busyWait } = require('./helpers');

// y = a·exp(-b·t) + c with a = 5, b = 0.7, c = 1 and noise sd 0.02.
const truth = [5, 0.7, 1];
const noise = gaussianSource(42);
const t = Array.from({ length: 60 }, (_, i) => i * 0.15);
const y = t.map((ti) => truth[0] * Math.exp(-truth[1] * ti) + truth[2] + 0.02 * noise());
const decay = (p) => t.map((ti, i) => p[0] * Math.exp(-p[1] * ti) + p[2] - y[i]);
const halfSumSq = (r) => 0.5 * r.reduce((s, v) => s + v * v, 0);

describe('calibration levenberg-marquardt', () => {
  it('fits an exponential decay with noise, in fewer evaluations than Nelder–Mead', () => {
    const lm = levenbergMarquardt(decay, [1, 1, 0]);
    assert.equal(lm.reason, 'converged');
    assert.ok(Math.abs(lm.x[0] - 5) < 0.05, `a = ${lm.x[0]}`);
    assert.ok(Math.abs(lm.x[1] - 0.7) < 0.01, `b = ${lm.x[1]}`);
    assert.ok(Math.abs(lm.x[2] - 1) < 0.02, `c = ${lm.x[2]}`);
    assert.equal(lm.cost, lm.fx);
    assert.ok(Math.abs(lm.cost - halfSumSq(decay(lm.x))) < 1e-15);
    // The residual RMS is the noise level.
    const rms = Math.sqrt((2 * lm.cost) / t.length);
    assert.ok(rms > 0.014 && rms < 0.026, `rms ${rms}`);

    const nm = nelderMead((p) => halfSumSq(decay(p)), [1, 1, 0], { maxEvaluations: 5000 });
    assert.equal(nm.reason, 'converged');
    assert.ok(Math.abs(nm.fx - lm.cost) < 1e-8, `NM ${nm.fx} vs LM ${lm.cost}`);
    assert.ok(lm.evaluations * 3 < nm.evaluations, `LM ${lm.evaluations} vs NM ${nm.evaluations} evaluations`);
  });

  it('solves Rosenbrock written as residuals', () => {
    const r = levenbergMarquardt((x) => [10 * (x[1] - x[0] * x[0]), 1 - x[0]], [-1.2, 1]);
    assert.equal(r.converged, true);
    assert.ok(Math.abs(r.x[0] - 1) < 1e-8 && Math.abs(r.x[1] - 1) < 1e-8, `x = ${r.x}`);
  });

  it('stops on an active bound', () => {
    // The unconstrained slope is 2; the box allows at most 1.5.
    const ts = [1, 2, 3, 4];
    const r = levenbergMarquardt((p) => ts.map((ti) => p[0] * ti - 2 * ti), [0.5], { bounds: { min: [0], max: [1.5] } });
    assert.equal(r.converged, true);
    assert.ok(Math.abs(r.x[0] - 1.5) < 1e-12, `x = ${r.x}`);
  });

  it('a parameter held by min = max stays put and the rest still converges', () => {
    const r = levenbergMarquardt(decay, [1, 0.7, 0], { bounds: { min: [-Infinity, 0.7, -Infinity], max: [Infinity, 0.7, Infinity] } });
    assert.equal(r.reason, 'converged');
    assert.equal(r.x[1], 0.7);
    assert.ok(Math.abs(r.x[0] - 5) < 0.05 && Math.abs(r.x[2] - 1) < 0.02, `x = ${r.x}`);
  });

  it('treats residuals that change length, are not finite or not numbers as failed steps', () => {
    // Only x[0] <= 3 is valid; the first Gauss–Newton step from 0.2 overshoots to about 10.
    for (const bad of [[1], [NaN, 0], [Infinity, 0], ['1', 0], undefined]) {
      let failures = 0;
      const f = (x) => (x[0] > 3 ? (failures++, bad) : [Math.exp(x[0]) - Math.exp(2.5), 0.1 * (x[1] - 1)]);
      const r = levenbergMarquardt(f, [0.2, 5], { lambda0: 1e-9 });
      assert.ok(failures > 0, 'the test should hit the invalid region');
      assert.equal(r.converged, true, JSON.stringify(bad));
      assert.ok(Math.abs(r.x[0] - 2.5) < 1e-8 && Math.abs(r.x[1] - 1) < 1e-8, `x = ${r.x}`);
    }
  });
  it('refuses a starting point whose residuals are not finite', () => {
    refused(() => levenbergMarquardt(() => [1, NaN], [0]), InputError, 'not finite', /residual\[1\].*starting point/);
    refused(() => levenbergMarquardt(() => [], [0]), InputError, 'bad residuals');
    refused(() => levenbergMarquardt(() => 3, [0]), InputError, 'bad residuals');
    refused(() => levenbergMarquardt(decay, [1, Infinity, 0]), InputError, 'not finite', /x0\[1\]/);
    refused(() => levenbergMarquardt(decay, []), ConfigError, 'bad start');
    refused(() => levenbergMarquardt(null, [1]), ConfigError, 'bad residuals');
    refused(() => levenbergMarquardt(decay, [1, 1, 0], { relativeStep: 0 }), ConfigError, 'bad relativeStep');
    refused(() => levenbergMarquardt(decay, [1, 1, 0], { lambda0: 0 }), ConfigError, 'bad lambda0');
    refused(() => levenbergMarquardt(decay, [1, 1, 0], { bounds: { min: [0, 0, 0], max: [1, -1, 1] } }), ConfigError, 'bad bounds', /x\[1\]/);
  });

  it('respects maxEvaluations, maxIterations and maxWallMs', () => {
    let calls = 0;
    const counted = (p) => (calls++, decay(p));
    const e = levenbergMarquardt(counted, [1, 1, 0], { maxEvaluations: 9 });
    assert.equal(e.reason, 'max-evaluations');
    assert.equal(e.evaluations, 9);
    assert.equal(calls, 9);
    assert.equal(e.converged, false);

    const i = levenbergMarquardt(decay, [1, 1, 0], { maxIterations: 2 });
    assert.equal(i.reason, 'max-iterations');
    assert.equal(i.iterations, 2);

    const started = Date.now();
    const w = levenbergMarquardt((p) => (busyWait(3), decay(p)), [1, 1, 0], { maxWallMs: 20 });
    assert.equal(w.reason, 'max-wall-time');
    assert.ok(Date.now() - started < 20 + 60);
    assert.ok(w.cost <= halfSumSq(decay([1, 1, 0])));
  });

  it('is deterministic', () => {
    assert.deepEqual(levenbergMarquardt(decay, [1, 1, 0]), levenbergMarquardt(decay, [1, 1, 0]));
  });

  it('reports an exact fit as converged', () => {
    const r = levenbergMarquardt((x) => [x[0] - 3, 2 * (x[1] + 1)], [0, 0]);
    assert.equal(r.converged, true);
    assert.ok(r.cost < 1e-20);
  });
});

describe('calibration linear solve', () => {
  it('solves a system that needs pivoting', () => {
    const x = solveLinearSystem([[0, 2, 1], [1, 1, 1], [2, 1, 0]], [5, 4, 4]);
    [1, 2, 1].forEach((v, i) => assert.ok(Math.abs(x[i] - v) < 1e-12, `x = ${x}`));
  });

  it('returns undefined for a singular or non-finite system', () => {
    assert.equal(solveLinearSystem([[1, 2], [2, 4]], [1, 2]), undefined);
    assert.equal(solveLinearSystem([[0, 0], [0, 0]], [1, 2]), undefined);
    assert.equal(solveLinearSystem([[NaN, 0], [0, 1]], [1, 2]), undefined);
  });
});
