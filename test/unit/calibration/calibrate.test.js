'use strict';
const assert = require('assert/strict');
const { calibrate } = require('../../../dist/core/calibration/calibrate');
const { InputError, ConfigError } = require('../../../dist/core/errors');
const { refused, gaussianSource, busyWait } = require('./helpers');

// First-order thermal lag: tau·dT/dt = gain·heater(t) + ambient - T, sampled every 5 s with the
// heater held between samples, so the exact discrete step is T += (1 - e^(-dt/tau))·(target - T).
const dt = 5;
const steps = 240;
const ambient = 20;
const heater = (k) => (k < 80 ? 100 : k < 160 ? 40 : 80);
function thermalLag({ gain, tau }) {
  const out = [];
  const alpha = 1 - Math.exp(-dt / tau);
  let temp = ambient;
  for (let k = 0; k < steps; k++) {
    temp += alpha * (gain * heater(k) + ambient - temp);
    out.push(temp);
  }
  return out;
}
const truth = { gain: 0.6, tau: 300 };
const noiseSd = 0.3;
const noise = gaussianSource(7);
const measured = thermalLag(truth).map((v) => v + noiseSd * noise());
const problem = (overrides = {}) => ({
  parameters: [
    { name: 'gain', initial: 1, min: 0, max: 5 },
    { name: 'tau', initial: 100, min: 1, max: 5000 },
  ],
  predict: thermalLag,
  measured,
  ...overrides,
});

describe('calibration calibrate', () => {
  const results = {};
  for (const method of ['nelder-mead', 'levenberg-marquardt']) {
    it(`${method}: recovers gain and tau of a thermal lag from noisy data`, () => {
      const r = calibrate(problem(), { method });
      results[method] = r;
      assert.equal(r.method, method);
      assert.equal(r.converged, true, r.reason);
      assert.deepEqual(r.initial, { gain: 1, tau: 100 });
      assert.ok(Math.abs(r.parameters.gain - 0.6) < 0.01, `gain ${r.parameters.gain}`);
      assert.ok(Math.abs(r.parameters.tau - 300) < 9, `tau ${r.parameters.tau}`);
      assert.ok(r.rmseAfter > 0.85 * noiseSd && r.rmseAfter < 1.15 * noiseSd, `rmseAfter ${r.rmseAfter}`);
      assert.ok(r.rmseBefore > 50 * r.rmseAfter, `before ${r.rmseBefore}, after ${r.rmseAfter}`);
      assert.ok(Math.abs(r.improvement - (1 - r.rmseAfter / r.rmseBefore)) < 1e-15);
      assert.ok(r.elapsedMs >= 0 && r.iterations > 0);
    });
  }

  it('both methods agree, and Levenberg–Marquardt needs fewer evaluations', () => {
    const nm = results['nelder-mead'], lm = results['levenberg-marquardt'];
    assert.ok(Math.abs(nm.rmseAfter - lm.rmseAfter) < 1e-6);
    assert.ok(lm.evaluations < nm.evaluations, `LM ${lm.evaluations}, NM ${nm.evaluations}`);
  });

  it('counts every call of predict, the initial check included', () => {
    for (const method of ['nelder-mead', 'levenberg-marquardt']) {
      let calls = 0;
      const r = calibrate(problem({ predict: (v) => (calls++, thermalLag(v)) }), { method });
      assert.equal(r.evaluations, calls, method);
    }
  });

  it('fits parameters of very different sizes (scaling)', () => {
    // y = a·t + b·1e6 with a ~ 1e-3, b ~ 1e3.
    const ts = Array.from({ length: 20 }, (_, i) => i);
    const model = ({ a, b }) => ts.map((ti) => a * ti + b * 1e-6 * 1e6);
    const data = model({ a: 0.0025, b: 1500 });
    for (const method of ['nelder-mead', 'levenberg-marquardt']) {
      const r = calibrate({ parameters: [{ name: 'a', initial: 0.001 }, { name: 'b', initial: 1000 }], predict: model, measured: data }, { method });
      assert.ok(Math.abs(r.parameters.a / 0.0025 - 1) < 1e-4, `${method}: a ${r.parameters.a}`);
      assert.ok(Math.abs(r.parameters.b / 1500 - 1) < 1e-6, `${method}: b ${r.parameters.b}`);
    }
  });

  it('keeps parameters inside their bounds', () => {
    for (const method of ['nelder-mead', 'levenberg-marquardt']) {
      const seen = [];
      const r = calibrate(problem({
        parameters: [{ name: 'gain', initial: 1, min: 0.7, max: 5 }, { name: 'tau', initial: 100, min: 1, max: 5000 }],
        predict: (v) => (seen.push(v.gain), thermalLag(v)),
      }), { method });
      assert.ok(seen.every((g) => g >= 0.7 && g <= 5));
      assert.ok(Math.abs(r.parameters.gain - 0.7) < 1e-6, `${method}: gain ${r.parameters.gain}`);
    }
  });

  it('weights: a zero weight hides a corrupted sample', () => {
    const corrupted = measured.slice();
    corrupted[100] += 500;
    const weights = corrupted.map((_, i) => (i === 100 ? 0 : 1));
    const r = calibrate(problem({ measured: corrupted, weights }), { method: 'levenberg-marquardt' });
    assert.ok(Math.abs(r.parameters.tau - 300) < 9, `tau ${r.parameters.tau}`);
  });

  it('a predict that throws or misbehaves during the search is a bad point, counted, not a crash', () => {
    for (const method of ['nelder-mead', 'levenberg-marquardt']) {
      let calls = 0, failures = 0;
      const predict = (v) => {
        calls++;
        // A flaky model: every 11th call returns too few values, every 13th throws.
        if (calls % 11 === 0) return (failures++, [1, 2, 3]);
        if (calls % 13 === 0) {
          failures++;
          throw new Error('solver diverged');
        }
        return thermalLag(v);
      };
      const r = calibrate(problem({ predict, parameters: [{ name: 'gain', initial: 1, min: 0, max: 5 }, { name: 'tau', initial: 100, min: 1, max: 5000 }] }), { method });
      assert.equal(r.evaluations, calls);
      assert.ok(failures > 0, `${method}: the search should have met a failure`);
      assert.ok(Math.abs(r.parameters.tau - 300) < 9, `${method}: tau ${r.parameters.tau}`);
    }
  });

  it('a failure at the initial parameters is reported as InputError', () => {
    const m = { method: 'levenberg-marquardt' };
    refused(() => calibrate(problem({ predict: () => { throw new Error('model not ready'); } }), m), InputError, 'predict failed', /initial parameters: model not ready/);
    refused(() => calibrate(problem({ predict: () => [1, 2, 3] }), m), InputError, 'bad prediction', /returned 3 values, expected 240/);
    refused(() => calibrate(problem({ predict: () => null }), m), InputError, 'bad prediction', /expected a list of 240/);
    refused(() => calibrate(problem({ predict: (v) => thermalLag(v).map((x, i) => (i === 17 ? NaN : x)) }), m), InputError, 'not finite', /prediction\[17\]/);
  });

  it('respects maxEvaluations and maxWallMs and reports the reason', () => {
    for (const method of ['nelder-mead', 'levenberg-marquardt']) {
      let calls = 0;
      const e = calibrate(problem({ predict: (v) => (calls++, thermalLag(v)) }), { method, maxEvaluations: 12 });
      assert.equal(e.reason, 'max-evaluations', method);
      assert.equal(e.converged, false);
      assert.equal(e.evaluations, 12);
      assert.equal(calls, 12);
      assert.ok(e.rmseAfter <= e.rmseBefore);

      const w = calibrate(problem({ predict: (v) => (busyWait(4), thermalLag(v)) }), { method, maxWallMs: 30 });
      assert.equal(w.reason, 'max-wall-time', method);
      assert.ok(w.elapsedMs < 30 + 60, `${method}: ${w.elapsedMs} ms`);
    }
  });

  it('is deterministic', () => {
    for (const method of ['nelder-mead', 'levenberg-marquardt']) {
      const { elapsedMs: _a, ...a } = calibrate(problem(), { method });
      const { elapsedMs: _b, ...b } = calibrate(problem(), { method });
      assert.deepEqual(a, b);
    }
  });

  it('refuses garbage with the right error class and a message naming the culprit', () => {
    const m = { method: 'nelder-mead' };
    const tau = { name: 'tau', initial: 100 };
    refused(() => calibrate(problem({ parameters: [] }), m), ConfigError, 'no parameters');
    refused(() => calibrate(problem({ parameters: [{ name: 'gain', initial: NaN }, tau] }), m), ConfigError, 'bad initial value', /"gain"/);
    refused(() => calibrate(problem({ parameters: [tau, { name: 'gain', initial: 1, min: 2, max: 1 }] }), m), ConfigError, 'bad bounds', /"gain": min 2 > max 1/);
    refused(() => calibrate(problem({ parameters: [{ name: 'gain', initial: 9, min: 0, max: 5 }, tau] }), m), ConfigError, 'initial out of range', /"gain"/);
    refused(() => calibrate(problem({ parameters: [tau, tau] }), m), ConfigError, 'duplicate parameter', /"tau"/);
    refused(() => calibrate(problem({ parameters: [{ name: '', initial: 1 }] }), m), ConfigError, 'bad parameter name', /parameters\[0\]/);
    refused(() => calibrate(problem({ parameters: [{ name: '__proto__', initial: 1 }] }), m), ConfigError, 'bad parameter name');
    refused(() => calibrate(problem({ parameters: [tau, null] }), m), ConfigError, 'bad parameter name', /parameters\[1\]/);
    refused(() => calibrate(problem({ measured: [] }), m), InputError, 'no measurements');
    refused(() => calibrate(problem({ measured: measured.map((v, i) => (i === 7 ? NaN : v)) }), m), InputError, 'not finite', /measured\[7\]/);
    refused(() => calibrate(problem({ measured: 'abc' }), m), InputError, 'no measurements');
    refused(() => calibrate(problem({ weights: [1, 2] }), m), ConfigError, 'bad weights', /240/);
    refused(() => calibrate(problem({ weights: measured.map((_, i) => (i === 3 ? -1 : 1)) }), m), ConfigError, 'bad weights', /weights\[3\]/);
    refused(() => calibrate(problem({ weights: measured.map(() => 0) }), m), ConfigError, 'bad weights');
    refused(() => calibrate(problem({ predict: 'not a function' }), m), ConfigError, 'bad predict');
    refused(() => calibrate(problem(), { method: 'gradient-descent' }), ConfigError, 'bad method', /gradient-descent/);
    refused(() => calibrate(problem(), undefined), ConfigError, 'bad method');
    refused(() => calibrate(null, m), ConfigError, 'bad problem');
    refused(() => calibrate(problem(), { method: 'nelder-mead', maxEvaluations: -5 }), ConfigError, 'bad maxEvaluations');
  });
});
