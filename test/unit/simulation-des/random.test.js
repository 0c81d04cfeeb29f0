'use strict';
const assert = require('node:assert/strict');
const { SeededRandom, makeSampler, validateDistribution, distributionMean } = require('../../../dist/core/simulation/des/random');
const { ConfigError } = require('../../../dist/core/errors');
const { seeded } = require('../../../scripts/lib/seeded-random');

function moments(dist, seed = 1, n = 200000) {
  const draw = makeSampler(dist, new SeededRandom(seed));
  let s = 0;
  let s2 = 0;
  let min = Infinity;
  for (let k = 0; k < n; k++) {
    const x = draw();
    s += x;
    s2 += x * x;
    if (x < min) min = x;
  }
  const mean = s / n;
  return { mean, sd: Math.sqrt(s2 / n - mean * mean), min };
}

const close = (actual, expected, rel, what) =>
  assert.ok(Math.abs(actual / expected - 1) <= rel, `${what}: ${actual} vs ${expected}`);

describe('DES random numbers and distributions', () => {
  it('is the same mulberry32 stream as scripts/lib/seeded-random.js', () => {
    const ref = seeded(42);
    const ours = new SeededRandom(42);
    for (let k = 0; k < 1000; k++) assert.equal(ours.next(), ref());
  });

  it('draws each distribution with the right mean and spread', () => {
    let m = moments({ kind: 'exponential', mean: 2 });
    close(m.mean, 2, 0.01, 'exponential mean');
    close(m.sd, 2, 0.015, 'exponential sd');
    m = moments({ kind: 'deterministic', value: 3 });
    assert.equal(m.mean, 3);
    m = moments({ kind: 'uniform', min: 1, max: 3 });
    close(m.mean, 2, 0.01, 'uniform mean');
    close(m.sd, 2 / Math.sqrt(12), 0.01, 'uniform sd');
    assert.ok(m.min >= 1);
    m = moments({ kind: 'triangular', min: 1, mode: 2, max: 6 });
    close(m.mean, 3, 0.01, 'triangular mean');
    close(m.sd, Math.sqrt((1 + 4 + 36 - 2 - 6 - 12) / 18), 0.015, 'triangular sd');
    m = moments({ kind: 'normal', mean: 10, sd: 2 });
    close(m.mean, 10, 0.01, 'normal mean');
    close(m.sd, 2, 0.015, 'normal sd');
    m = moments({ kind: 'lognormal', mean: 4, sd: 1.5 });
    close(m.mean, 4, 0.01, 'lognormal mean');
    close(m.sd, 1.5, 0.02, 'lognormal sd');
    assert.ok(m.min > 0);
  });

  it('truncates the normal at 0 (no negative times)', () => {
    const m = moments({ kind: 'normal', mean: 0.5, sd: 1 });
    assert.ok(m.min >= 0);
    // Mean of N(0.5, 1) truncated at 0: mu + sd * phi(a) / (1 - Phi(a)), a = -0.5.
    const phi = Math.exp(-0.125) / Math.sqrt(2 * Math.PI);
    close(m.mean, 0.5 + phi / 0.6914625, 0.01, 'truncated normal mean');
  });

  it('rejects unusable distributions with ConfigError', () => {
    const bad = [
      null,
      { kind: 'poisson', mean: 1 },
      { kind: 'exponential', mean: 0 },
      { kind: 'exponential', mean: NaN },
      { kind: 'deterministic', value: -1 },
      { kind: 'uniform', min: 3, max: 1 },
      { kind: 'triangular', min: 1, mode: 5, max: 4 },
      { kind: 'normal', mean: 1, sd: -1 },
      { kind: 'lognormal', mean: 0, sd: 1 },
    ];
    for (const d of bad) assert.throws(() => validateDistribution(d, 'x'), ConfigError, JSON.stringify(d));
    assert.equal(distributionMean({ kind: 'triangular', min: 0, mode: 3, max: 6 }), 3);
  });
});
