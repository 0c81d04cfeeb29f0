'use strict';
const assert = require('assert/strict');
const { SignalDetector } = require('../../../dist/core/deviation');
const { ConfigError } = require('../../../dist/core/errors');
const { close, seeded, rejects } = require('./helpers');

const T0 = 1_700_000_000_000;

/** A detector that has learned `n` samples of 10 + N(0,1), one a second. */
function trained(options = {}, n = 600, seed = 5) {
  const r = seeded(seed);
  const d = new SignalDetector(options);
  let t = T0;
  for (let i = 0; i < n; i++) d.score({ value: 10 + r.gauss(), time: (t += 1000) });
  return { d, r, t };
}

describe('deviation: signal detector', () => {
  it('warm-up only learns; residual and expected by hand with a self-prediction', () => {
    const d = new SignalDetector({ warmupSamples: 3, predictor: { levelRate: 0.5 }, scale: { bootstrapSamples: 2 } });
    const a = d.score({ value: 10, time: T0 });
    assert.deepEqual([a.expected, a.residual, a.learning, a.isAnomaly, a.severity, a.likelihood], [10, 0, true, false, 'ok', 0.5]);
    const b = d.score({ value: 14, time: T0 + 1 }); // prediction 10
    assert.deepEqual([b.expected, b.residual, b.learning], [10, 4, true]);
    const c = d.score({ value: 12, time: T0 + 2 }); // level 12 after 14; residual 0
    assert.deepEqual([c.expected, c.residual], [12, 0]);
    // residuals 0, 4 bootstrap the scale: centre 2, sigma sqrt(8). The third (0) is robust:
    // k = max(0.01, 1/3), w = 0 - 2 = -2 (inside 3 sigma): centre 2 - 2/3, sigma += k (2 sqrt(pi/2) - sigma)
    const e = d.score({ value: 20, time: T0 + 3 });
    assert.equal(e.learning, false);
    assert.equal(e.expected, 12);
    assert.equal(e.residual, 8);
    const sigma = Math.sqrt(8) + (1 / 3) * (2 * Math.sqrt(Math.PI / 2) - Math.sqrt(8));
    close(e.normalised, (8 - 4 / 3) / sigma, 1e-12);
  });
  it('stationary noise: few anomalies, no alarm; a 3-sigma departure from the twin raises the alarm and drift', () => {
    const r = seeded(11);
    const d = new SignalDetector();
    let t = T0;
    let alarms = 0;
    for (let i = 0; i < 5000; i++) if (d.score({ value: 10 + r.gauss(), expected: 10, time: (t += 1000) }).severity === 'alarm') alarms++;
    assert.equal(alarms, 0);
    const seen = new Set();
    let alarmAt = -1;
    for (let i = 0; i < 60; i++) {
      const res = d.score({ value: 13 + r.gauss(), expected: 10, time: (t += 1000) });
      seen.add(res.driftState);
      if (res.severity === 'alarm' && alarmAt < 0) alarmAt = i;
    }
    assert.ok(alarmAt >= 0 && alarmAt < 20, `alarm at ${alarmAt}`);
    assert.ok(seen.has('drift'));
  });
  it('a gross outlier is an anomaly but does not poison the scale or the prediction', () => {
    const { d, r, t } = trained();
    const before = d.toJSON();
    const spike = d.score({ value: 1e9, time: t + 1000 });
    assert.equal(spike.isAnomaly, true);
    assert.equal(spike.score, 1);
    const after = d.toJSON();
    assert.ok(Math.abs(after.scale.sigma - before.scale.sigma) < 0.05 * before.scale.sigma + 0.04, 'sigma bounded');
    const next = d.score({ value: 10 + r.gauss(), time: t + 2000 });
    assert.ok(Math.abs(next.normalised) < 4, `next normalised ${next.normalised}`);
  });
  it('NaN, Infinity, non-numbers and time going back: InputError, state unchanged', () => {
    const { d, t } = trained({ name: 'plant/line1/press1/temperature' });
    const saved = JSON.stringify(d.toJSON());
    rejects(() => d.score({ value: NaN, time: t + 1 }), 'bad value');
    rejects(() => d.score({ value: Infinity, time: t + 1 }), 'bad value');
    rejects(() => d.score({ value: '12', time: t + 1 }), 'bad value');
    rejects(() => d.score({ value: 1, time: null }), 'bad time');
    rejects(() => d.score({ value: 1, time: t + 1, expected: NaN }), 'bad expected');
    rejects(() => d.score(null), 'bad sample');
    rejects(() => d.score({ value: 1, time: t - 1 }), 'time went back');
    assert.equal(JSON.stringify(d.toJSON()), saved);
    assert.throws(() => d.score({ value: 1, time: t - 1 }), /plant\/line1\/press1\/temperature/);
  });
  it('a duplicate (same time and value) is ignored with a flag; same time, new value counts', () => {
    const { d, t } = trained();
    const first = d.score({ value: 11, time: t + 1000 });
    const saved = JSON.stringify(d.toJSON());
    const again = d.score({ value: 11, time: t + 1000 });
    assert.deepEqual(again, { ...first, duplicate: true });
    assert.equal(JSON.stringify(d.toJSON()), saved);
    assert.equal(d.score({ value: 12, time: t + 1000 }).duplicate, false);
  });
  it('a gap keeps the statistics, marks the sample learning and restarts the self-prediction', () => {
    const { d, t } = trained({ maxGapMs: 60_000 });
    const sigma = d.toJSON().scale.sigma;
    const res = d.score({ value: 50, time: t + 3_600_000 });
    assert.deepEqual([res.gap, res.learning, res.isAnomaly, res.severity], [true, true, false, 'ok']);
    assert.equal(d.toJSON().scale.sigma, sigma);
    const next = d.score({ value: 50, time: t + 3_601_000 });
    assert.deepEqual([next.gap, next.learning, next.expected], [false, false, 50]);
  });
  it('freeze stops learning (a slow ramp stays visible), resume learns again; reset goes back to warm-up', () => {
    const { d, t } = trained();
    d.freeze();
    assert.equal(d.isFrozen, true);
    const frozen = JSON.stringify(d.toJSON().scale);
    let time = t;
    let last;
    for (let i = 0; i < 50; i++) last = d.score({ value: 10, expected: 10 - i * 0.2, time: (time += 1000) });
    assert.equal(JSON.stringify(d.toJSON().scale), frozen);
    assert.ok(last.normalised > 8, `normalised ${last.normalised}`);
    d.resume();
    d.score({ value: 10, expected: 0, time: (time += 1000) });
    assert.notEqual(JSON.stringify(d.toJSON().scale), frozen);
    d.reset();
    assert.equal(d.learnedSamples, 0);
    assert.equal(d.score({ value: 1, time: 0 }).learning, true); // time may start again after reset
  });
  it('toJSON / fromJSON continue exactly as the original; a bad save is refused', () => {
    const { d, r, t } = trained({}, 400);
    const copy = SignalDetector.fromJSON(JSON.parse(JSON.stringify(d.toJSON())));
    for (let i = 0; i < 300; i++) {
      const s = { value: 10 + r.gauss() + (i > 150 ? 3 : 0), time: t + (i + 1) * 1000 };
      assert.deepEqual(copy.score(s), d.score(s));
    }
    rejects(() => SignalDetector.fromJSON({ format: 'other' }), 'bad saved state');
    rejects(() => SignalDetector.fromJSON({ ...d.toJSON(), scale: { count: 1 } }), 'bad saved state');
  });
  it('refuses bad options', () => {
    assert.throws(() => new SignalDetector({ warmupSamples: -1 }), ConfigError);
    assert.throws(() => new SignalDetector({ maxGapMs: 0 }), ConfigError);
    assert.throws(() => new SignalDetector({ likelihood: { minHistory: 5000 } }), ConfigError);
  });
});
