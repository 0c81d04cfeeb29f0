'use strict';
const assert = require('assert/strict');
const { MinMaxScaler } = require('../../../dist/core/learning/scaler');
const { ConfigError, InputError } = require('../../../dist/core/errors');
const { refused } = require('./helpers');

describe('learning: MinMaxScaler', () => {
  const rows = [[1, 10, 5], [3, 30, 5], [2, 20, 5]];

  it('maps each column onto [lo, hi] and back', () => {
    const s = new MinMaxScaler({ lo: 0.1, hi: 0.9 }).fit(rows);
    assert.deepEqual(s.transform([1, 10, 5]).map((v) => +v.toFixed(12)), [0.1, 0.1, 0.5]);
    assert.deepEqual(s.transform([3, 30, 5]).map((v) => +v.toFixed(12)), [0.9, 0.9, 0.5]);
    assert.deepEqual(s.transform([2, 20, 5]).map((v) => +v.toFixed(12)), [0.5, 0.5, 0.5]);
    for (const r of [...rows, [7, -3, 5], [0.5, 12.25, 5]]) {
      const back = s.inverse(s.transform(r));
      r.forEach((v, j) => assert.ok(Math.abs(back[j] - v) < 1e-12, `column ${j}: ${back[j]} vs ${v}`));
    }
    assert.equal(s.columns, 3);
  });

  it('maps a constant column to the middle and back to its value, without dividing by zero', () => {
    const s = new MinMaxScaler().fit([[4, 1], [4, 2]]);
    assert.equal(s.transform([4, 1])[0], 0.5);
    assert.equal(s.transform([100, 1])[0], 0.5);
    assert.equal(s.inverse([0.5, 0])[0], 4);
    assert.equal(s.inverse([0.9, 0])[0], 4);
  });

  it('extrapolates outside the fitted range unless clip is set', () => {
    const free = new MinMaxScaler().fit([[0], [10]]);
    assert.equal(free.transform([20])[0], 2);
    const clipped = new MinMaxScaler({ clip: true }).fit([[0], [10]]);
    assert.equal(clipped.transform([20])[0], 1);
    assert.equal(clipped.transform([-5])[0], 0);
  });

  it('partialFit widens the ranges chunk by chunk like one fit', () => {
    const whole = new MinMaxScaler().fit(rows);
    const parts = new MinMaxScaler().partialFit(rows.slice(0, 1)).partialFit(rows.slice(1));
    assert.deepEqual(parts.toJSON(), whole.toJSON());
  });

  it('round-trips through JSON text with identical transforms', () => {
    const s = new MinMaxScaler({ lo: -1, hi: 1, clip: true }).fit(rows);
    const r = MinMaxScaler.fromJSON(JSON.parse(JSON.stringify(s)));
    assert.deepEqual(r.toJSON(), s.toJSON());
    for (const x of [[1.5, 17, 5], [9, 0, 1]]) {
      assert.deepEqual(r.transform(x), s.transform(x));
      assert.deepEqual(r.inverse(x), s.inverse(x));
    }
  });

  it('refuses bad ranges, bad training data, bad rows and bad saved scalers', () => {
    refused(() => new MinMaxScaler({ lo: 1, hi: 1 }), ConfigError, 'bad scale range');
    refused(() => new MinMaxScaler().fit([]), ConfigError, 'no data');
    refused(() => new MinMaxScaler().fit([[1, 2], [3]]), ConfigError, 'bad data', /row 1/);
    refused(() => new MinMaxScaler().fit([[1, 2], [3, NaN]]), ConfigError, 'bad data', /row 1 column 1/);
    refused(() => new MinMaxScaler().transform([1]), ConfigError, 'not fitted');
    const s = new MinMaxScaler().fit(rows);
    refused(() => s.transform([1, 2]), InputError, 'bad row');
    refused(() => s.transform([1, Infinity, 3]), InputError, 'not finite');
    refused(() => MinMaxScaler.fromJSON({ kind: 'z-score' }), ConfigError, 'bad scaler');
    refused(() => MinMaxScaler.fromJSON({ kind: 'min-max', lo: 0, hi: 1, min: [2], max: [1] }), ConfigError, 'bad scaler');
  });
});
