'use strict';
const assert = require('assert/strict');
const { RobustScale, LevelPredictor, AnomalyLikelihood, erfc, upperTail, scoreOf } = require('../../../dist/core/deviation');
const { ConfigError } = require('../../../dist/core/errors');
const { close, seeded, rejects } = require('./helpers');

describe('deviation: gaussian helpers', () => {
  it('erfc and the tail against table values', () => {
    close(erfc(0), 1, 1e-7);
    close(erfc(1), 0.157299207, 1e-7);
    close(erfc(-1), 1.842700793, 1e-7);
    close(upperTail(1.959964), 0.025, 1e-7);
    close(upperTail(3.719016), 1e-4, 1e-9); // relative precision deep in the tail
  });
  it('score = P(|Z| < |z|): 0 at 0, 0.6827 at 1 sigma, 0.9973 at 3, symmetric, NaN -> 0', () => {
    close(scoreOf(0), 0, 1e-7);
    close(scoreOf(1), 0.682689492, 1e-7);
    close(scoreOf(-3), 0.997300204, 1e-7);
    assert.equal(scoreOf(1e6), 1);
    assert.equal(scoreOf(NaN), 0);
  });
});

describe('deviation: robust scale', () => {
  it('bootstrap is the exact mean and sample standard deviation', () => {
    const s = new RobustScale({ bootstrapSamples: 4 });
    for (const x of [1, 2, 3, 4]) s.update(x);
    close(s.centre, 2.5);
    close(s.sigma, Math.sqrt(5 / 3)); // squared deviations 2.25+0.25+0.25+2.25 = 5, over n-1 = 3
    assert.equal(s.ready, true);
  });
  it('an outlier after the bootstrap moves centre and sigma by hand-computed, bounded steps', () => {
    const s = new RobustScale({ bootstrapSamples: 4, rate: 0.1, clip: 3 });
    for (const x of [1, 2, 3, 4]) s.update(x);
    s.update(100);
    const sigma0 = Math.sqrt(5 / 3);
    const w = 3 * sigma0; // 97.5 clipped to 3 sigma
    const k = 0.2; // max(rate 0.1, 1/(4+1))
    close(s.centre, 2.5 + k * w, 1e-12);
    close(s.sigma, sigma0 + k * (w * Math.sqrt(Math.PI / 2) - sigma0), 1e-12);
    close(s.normalise(s.centre + 2 * s.sigma), 2, 1e-12);
  });
  it('learns sigma of Gaussian noise within 5 % and ignores 1 % gross outliers', () => {
    const r = seeded(1);
    const s = new RobustScale();
    // Averaged over the second half: one estimate with rate 0.01 wanders by about 10 %.
    let centre = 0;
    let sigma = 0;
    for (let i = 0; i < 20000; i++) {
      s.update(5 + 2 * r.gauss() + (i % 100 === 50 ? 1e6 : 0));
      if (i >= 10000) { centre += s.centre / 10000; sigma += s.sigma / 10000; }
    }
    close(centre, 5, 0.1, 'centre');
    close(sigma, 2, 0.1, 'sigma');
  });
  it('a constant signal gives sigma 0 and a finite normalised residual (minScale)', () => {
    const s = new RobustScale({ minScale: 1e-6 });
    for (let i = 0; i < 50; i++) s.update(3);
    assert.equal(s.sigma, 0);
    close(s.normalise(4), 1e6, 1e-3);
  });
  it('save and restore; bad options and bad state are refused', () => {
    const s = new RobustScale();
    for (const x of [1, 5, 2]) s.update(x);
    const t = RobustScale.fromJSON(JSON.parse(JSON.stringify(s)));
    assert.deepEqual(t.toJSON(), s.toJSON());
    assert.throws(() => new RobustScale({ rate: 0 }), ConfigError);
    assert.throws(() => new RobustScale({ rate: 2 }), ConfigError);
    rejects(() => RobustScale.fromJSON({ count: 1, centre: NaN, sigma: 0, m2: 0 }), 'bad saved state');
  });
});

describe('deviation: level predictor', () => {
  it('EWMA level, hand-computed', () => {
    const p = new LevelPredictor({ levelRate: 0.5 });
    assert.ok(Number.isNaN(p.predict()));
    p.update(10);
    assert.equal(p.predict(), 10);
    p.update(14); // 10 + 0.5 * 4
    assert.equal(p.predict(), 12);
    p.update(100, 2); // error 88 clipped to 2: 12 + 1
    assert.equal(p.predict(), 13);
  });
  it('level + trend follows a ramp without lag', () => {
    const p = new LevelPredictor({ levelRate: 0.5, trendRate: 0.5 });
    for (let i = 0; i < 200; i++) p.update(2 * i);
    close(p.predict(), 400, 1e-6);
  });
});

describe('deviation: anomaly likelihood', () => {
  it('is 0.5 until minHistory short means are in', () => {
    const l = new AnomalyLikelihood({ shortWindow: 2, longWindow: 4, minHistory: 3 });
    assert.equal(l.update(0.1), 0.5);
    assert.equal(l.update(0.3), 0.5);
    assert.equal(l.update(0.5), 0.5);
  });
  it('hand-computed: short mean against the mean and sd of earlier short means', () => {
    const l = new AnomalyLikelihood({ shortWindow: 2, longWindow: 4, minHistory: 3, minStd: 0.01 });
    // short means remembered: 0.1, (0.1+0.3)/2 = 0.2, (0.3+0.5)/2 = 0.4
    for (const s of [0.1, 0.3, 0.5]) l.update(s);
    // next short mean (0.5+0.9)/2 = 0.7 against mu = 0.7/3, population sd of {0.1, 0.2, 0.4}
    const mu = 0.7 / 3;
    const sd = Math.sqrt((0.01 + 0.04 + 0.16) / 3 - mu * mu);
    close(l.update(0.9), 1 - upperTail((0.7 - mu) / sd), 1e-12);
    // the window drops its oldest mean (0.1) once it holds 4
    l.update(0.9); // remembers 0.9, window {0.2, 0.4, 0.7, 0.9}
    const mu2 = (0.2 + 0.4 + 0.7 + 0.9) / 4;
    const sd2 = Math.sqrt((0.04 + 0.16 + 0.49 + 0.81) / 4 - mu2 * mu2);
    close(l.likelihoodOf(0.5), 1 - upperTail((0.5 - mu2) / sd2), 1e-12);
  });
  it('floors the sd at minStd and leaves the reference alone when not learning', () => {
    const l = new AnomalyLikelihood({ shortWindow: 1, longWindow: 10, minHistory: 2, minStd: 0.1 });
    l.update(0.5);
    l.update(0.5);
    close(l.update(0.6, false), 1 - upperTail(1), 1e-12); // (0.6 - 0.5) / 0.1
    assert.equal(l.history, 2);
  });
  it('uniform scores stay unremarkable; a run of high scores is near 1; survives a save', () => {
    const r = seeded(7);
    const l = new AnomalyLikelihood();
    let high = 0;
    for (let i = 0; i < 5000; i++) if (l.update(r()) > 0.9999) high++;
    assert.ok(high < 10, `${high} false alarms`);
    const copy = new AnomalyLikelihood();
    copy.restore(JSON.parse(JSON.stringify(l.toJSON())));
    let last;
    for (let i = 0; i < 10; i++) {
      last = l.update(0.999);
      assert.equal(copy.update(0.999), last);
    }
    assert.ok(last > 0.9999, String(last));
  });
});
