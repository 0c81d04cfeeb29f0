'use strict';
const assert = require('assert/strict');
const { AssetModel } = require('../../../dist/core/deviation/multivariate');

/** Deterministic pseudo-random numbers (LCG) so a failure can be replayed from its seed. */
function random(seed) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('deviation (multivariate): attribution property', () => {
  it('every share is in [0, 1] and each attribution sums to 1, over 200 random assets and rows', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const rnd = random(seed);
      const m = 2 + Math.floor(rnd() * 5);
      const signals = Array.from({ length: m }, (_, j) => `s${j}`);
      const mixing = signals.map(() => signals.map(() => rnd() * 2 - 1));
      const options = { signals, alpha: 0.001 + rnd() * 0.1 };
      if (rnd() < 0.5) options.components = 1 + Math.floor(rnd() * m);
      const model = new AssetModel(options);
      const rowOf = (scale) => {
        const latent = signals.map(() => (rnd() * 2 - 1) * scale);
        return mixing.map((w) => w.reduce((s, v, k) => s + v * latent[k], 0) + rnd() * 10 * (rnd() < 0.3 ? 1 : 0));
      };
      for (let i = 0; i < 20 + m; i++) model.learn(rowOf(1));
      model.fit();
      for (let i = 0; i < 10; i++) {
        const s = model.score(rowOf(1 + rnd() * 100));
        for (const key of ['attribution', 'attributionT2', 'attributionQ']) {
          const shares = Object.values(s[key]);
          assert.equal(shares.length, m);
          const sum = shares.reduce((a, b) => a + b, 0);
          assert.ok(Math.abs(sum - 1) < 1e-9, `seed ${seed} ${key} sums to ${sum}`);
          assert.ok(shares.every((v) => v >= 0 && v <= 1 + 1e-12), `seed ${seed} ${key} has a share out of [0, 1]`);
        }
        assert.ok(s.t2 >= 0 && s.q >= -1e-12 && Number.isFinite(s.t2Limit) && s.qLimit >= 0, `seed ${seed}`);
      }
    }
  });
});
