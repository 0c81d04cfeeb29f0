'use strict';
const assert = require('assert/strict');
const { AssetModel } = require('../../../dist/core/deviation/multivariate');
const { chiSquareQuantile, qLimit } = require('../../../dist/core/deviation/multivariate-limits');
const { InputError, ConfigError } = require('../../../dist/core/errors');

const close = (actual, expected, tol = 1e-9, what = '') => assert.ok(Math.abs(actual - expected) <= tol, `${what} ${actual} vs ${expected}`);

/**
 * Pump with two signals, six normal rows, mean 0: variances 6/5, covariance 2/5, correlation 1/3.
 * Correlation eigenvalues 4/3 on (1,1)/√2 and 2/3 on (1,-1)/√2; std √1.2.
 */
const NORMAL = [[1, 1], [-1, -1], [1, 1], [-1, -1], [1, -1], [-1, 1]];
const SD = Math.sqrt(1.2);

function pump(options = {}) {
  const model = new AssetModel({ signals: ['current', 'flow'], ...options });
  NORMAL.forEach((r) => model.learn(r));
  model.fit();
  return model;
}

describe('deviation (multivariate): AssetModel by hand', () => {
  it('learns the correlation eigenvalues', () => {
    const model = pump({ components: 1 });
    close(model.eigenvalues[0], 4 / 3, 1e-12);
    close(model.eigenvalues[1], 2 / 3, 1e-12);
    assert.equal(model.retainedComponents, 1);
    assert.equal(model.learnedRows, 6);
  });

  it('one component: T² on the first, Q on the residual, limits and shares', () => {
    const s = pump({ components: 1 }).score([SD, 0]); // standardised (1, 0)
    // t = (1,0)·(1,1)/√2 = 1/√2, T² = (1/2)/(4/3) = 3/8; residual (1/2, -1/2), Q = 1/2
    close(s.t2, 3 / 8, 1e-12);
    close(s.q, 0.5, 1e-12);
    close(s.t2Limit, chiSquareQuantile(0.99, 1), 1e-12);
    close(s.qLimit, qLimit([2 / 3], 0.01), 1e-12);
    assert.equal(s.isAnomaly, false);
    close(s.attributionQ.current, 0.5, 1e-12);
    close(s.attributionT2.flow, 0.5, 1e-12);
  });

  it('two components: T² = zᵀR⁻¹z = 9/8 and a lopsided T² attribution', () => {
    const s = pump({ components: 2 }).score([SD, 0]);
    close(s.t2, 9 / 8, 1e-12);
    close(s.q, 0, 1e-12);
    assert.equal(s.qLimit, 0, 'no residual space');
    // D^½ z = R^-½ (1,0): first entry (λ1^-½ + λ2^-½)/2, second (λ1^-½ - λ2^-½)/2
    const a = (Math.sqrt(3 / 4) + Math.sqrt(3 / 2)) / 2;
    const b = (Math.sqrt(3 / 4) - Math.sqrt(3 / 2)) / 2;
    close(a * a + b * b, 9 / 8, 1e-12, 'contributions add up to T²');
    close(s.attributionT2.current, (a * a) / (9 / 8), 1e-12);
    close(s.attributionT2.flow, (b * b) / (9 / 8), 1e-12);
    close(s.attribution.current, (a * a) / (9 / 8), 1e-12, 'combined = T² only when there is no Q');
    assert.deepEqual(s.attributionQ, { current: 0.5, flow: 0.5 }, 'no residual: nobody to blame more');
  });

  it('flags a broken relationship by Q and blames both signals of it', () => {
    const model = pump({ components: 1 });
    const s = model.score([4 * SD, -4 * SD]); // far along (1,-1), the discarded direction
    assert.equal(s.isAnomaly, true);
    assert.ok(s.q > s.qLimit);
    close(s.t2, 0, 1e-12);
    close(s.attributionQ.current, 0.5, 1e-12);
    close(s.attributionQ.flow, 0.5, 1e-12);
  });

  it("'auto' keeps the fewest components for the explained variance, leaving one for Q", () => {
    assert.equal(pump().retainedComponents, 1); // 4/3 of 2 is 67 %: needs both, but Q needs one
    const m = new AssetModel({ signals: ['a', 'b', 'c'], explainedVariance: 0.9 });
    for (let i = 0; i < 50; i++) m.learn([i, 2 * i + (i % 3) * 0.01, -i + (i % 2) * 0.01]);
    m.fit();
    assert.equal(m.retainedComponents, 1);
  });

  it('a signal that never moved in the normal window: a later move is a deviation, blamed on it', () => {
    const m = new AssetModel({ signals: ['current', 'flow', 'valve'] });
    NORMAL.forEach((r) => m.learn([...r, 3]));
    m.fit();
    const s = m.score([0, 0, 3.5]);
    assert.equal(s.isAnomaly, true);
    assert.ok(s.attribution.valve > 0.99);
    assert.equal(m.score([0, 0, 3]).isAnomaly, false);
  });

  it('saved and restored, it scores identically and can go on learning', () => {
    const model = pump({ components: 1, alpha: 0.05 });
    const copy = AssetModel.fromJSON(JSON.parse(JSON.stringify(model)));
    assert.deepEqual(copy.score([0.3, -2]), model.score([0.3, -2]));
    copy.learn([0.5, 0.5]);
    copy.fit();
    assert.equal(copy.learnedRows, 7);
    const unfitted = AssetModel.fromJSON(new AssetModel({ signals: ['a'] }).toJSON());
    assert.equal(unfitted.fitted, false);
  });
});

describe('deviation (multivariate): AssetModel refuses', () => {
  const inputError = (reason) => (err) => err instanceof InputError && err.shortReason === reason;
  const configError = (reason) => (err) => err instanceof ConfigError && err.shortReason === reason;

  it('NaN, Infinity, text and a wrong length, in learn and in score', () => {
    const model = pump();
    for (const use of [(r) => model.learn(r), (r) => model.score(r)]) {
      assert.throws(() => use([NaN, 1]), inputError('not a number'));
      assert.throws(() => use([1, Infinity]), inputError('not a number'));
      assert.throws(() => use([1, '2']), inputError('not a number'));
      assert.throws(() => use([1]), inputError('wrong row length'));
      assert.throws(() => use([1, 2, 3]), inputError('wrong row length'));
      assert.throws(() => use('1,2'), inputError('not a row'));
    }
  });

  it('bad options, too few rows, scoring before fit, a bad saved model', () => {
    assert.throws(() => new AssetModel({ signals: [] }), configError('no signals'));
    assert.throws(() => new AssetModel({ signals: ['a', 'a'] }), configError('duplicate signal'));
    assert.throws(() => new AssetModel({ signals: ['a', 'b'], components: 3 }), configError('bad components'));
    assert.throws(() => new AssetModel({ signals: ['a', 'b'], explainedVariance: 0.5 }), configError('bad explained variance'));
    assert.throws(() => new AssetModel({ signals: ['a', 'b'], alpha: 0 }), configError('bad alpha'));
    const m = new AssetModel({ signals: ['a', 'b'] });
    assert.throws(() => m.score([1, 2]), configError('model not fitted'));
    m.learn([1, 2]);
    m.learn([2, 1]);
    assert.throws(() => m.fit(), configError('too few normal rows'));
    assert.throws(() => AssetModel.fromJSON({ kind: 'x' }), configError('bad saved model'));
    const saved = pump().toJSON();
    saved.normalWindow.mean = [1];
    assert.throws(() => AssetModel.fromJSON(saved), configError('bad saved model'));
  });
});
