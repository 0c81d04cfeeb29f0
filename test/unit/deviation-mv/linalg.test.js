'use strict';
const assert = require('assert/strict');
const { mean, covariance, correlation, RunningCovariance, jacobiEigen, solve } = require('../../../dist/core/deviation/linalg');
const { normalQuantile, chiSquareQuantile, qLimit } = require('../../../dist/core/deviation/multivariate-limits');

const close = (actual, expected, tol = 1e-9, what = '') => assert.ok(Math.abs(actual - expected) <= tol, `${what} ${actual} vs ${expected}`);

describe('deviation (multivariate): linear algebra', () => {
  it('mean and sample covariance of three rows, by hand', () => {
    const rows = [[1, 2], [3, 6], [5, 7]];
    assert.deepEqual(mean(rows), [3, 5]);
    // deviations (-2,-3), (0,1), (2,2): sums of products 8, 10, 14, divided by n - 1 = 2
    assert.deepEqual(covariance(rows), [[4, 5], [5, 7]]);
    const r = correlation([[4, 5], [5, 7]]);
    close(r[0][1], 5 / Math.sqrt(28));
    assert.equal(r[0][0], 1);
  });

  it('running covariance, one row at a time, equals the batch one', () => {
    const rows = [[1, 2, 0.5], [3, 6, -1], [5, 7, 2], [2, -1, 4], [0, 3, 3]];
    const running = new RunningCovariance(3);
    rows.forEach((r) => running.push(r));
    const batch = covariance(rows);
    running.covariance().forEach((row, i) => row.forEach((v, j) => close(v, batch[i][j], 1e-12)));
    mean(rows).forEach((v, i) => close(running.mean[i], v, 1e-12));
  });

  it('a zero-variance signal correlates with nothing', () => {
    assert.deepEqual(correlation([[0, 0], [0, 2]]), [[1, 0], [0, 1]]);
  });

  it('Jacobi: [[2,1],[1,2]] has eigenvalues 3 and 1, vectors (1,1)/√2 and (1,-1)/√2', () => {
    const { values, vectors } = jacobiEigen([[2, 1], [1, 2]]);
    close(values[0], 3);
    close(values[1], 1);
    const h = Math.SQRT1_2;
    [h, h].forEach((v, i) => close(vectors[0][i], v));
    [h, -h].forEach((v, i) => close(vectors[1][i], v));
  });

  it('Jacobi: the 3x3 second-difference matrix has eigenvalues 2+√2, 2, 2-√2 and rebuilds', () => {
    const a = [[2, -1, 0], [-1, 2, -1], [0, -1, 2]];
    const { values, vectors } = jacobiEigen(a);
    [2 + Math.SQRT2, 2, 2 - Math.SQRT2].forEach((v, i) => close(values[i], v, 1e-10));
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        const rebuilt = values.reduce((s, l, k) => s + l * vectors[k][i] * vectors[k][j], 0);
        close(rebuilt, a[i][j], 1e-10);
      }
    }
    // orthonormal
    for (let k = 0; k < 3; k++) for (let l = 0; l < 3; l++) close(vectors[k].reduce((s, v, i) => s + v * vectors[l][i], 0), k === l ? 1 : 0, 1e-10);
  });

  it('solve: a 3x3 system that needs a pivot', () => {
    const x = solve([[0, 2, 1], [1, 1, 1], [2, 1, 3]], [5, 5, 12]);
    [1, 1, 3].forEach((v, i) => close(x[i], v, 1e-12));
    assert.throws(() => solve([[1, 2], [2, 4]], [1, 2]), /singular/);
  });
});

describe('deviation (multivariate): control limits', () => {
  it('normal quantiles from the table', () => {
    close(normalQuantile(0.975), 1.959964, 1e-6);
    close(normalQuantile(0.99), 2.326348, 1e-6);
    close(normalQuantile(0.001), -3.090232, 1e-6);
    assert.throws(() => normalQuantile(1), RangeError);
  });

  it('chi-square by Wilson–Hilferty: the hand formula, and within 1 % of the table', () => {
    const z = 2.3263479;
    const byHand = 2 * (1 - 2 / 18 + z * Math.sqrt(2 / 18)) ** 3;
    close(chiSquareQuantile(0.99, 2), byHand, 1e-5);
    close(chiSquareQuantile(0.99, 2), 9.2103, 0.01 * 9.2103); // table value
    close(chiSquareQuantile(0.95, 5), 11.0705, 0.01 * 11.0705);
  });

  it('Q limit with one residual eigenvalue λ is about λ·χ²₁ (Q is then λ times a chi-square with 1 dof)', () => {
    close(qLimit([0.5], 0.01), 0.5 * 6.6349, 0.03 * 3.317);
    assert.equal(qLimit([], 0.01), 0);
    assert.equal(qLimit([0, 0], 0.01), 0);
  });
});
