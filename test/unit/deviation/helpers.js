'use strict';
/** Shared by the deviation tests: a seeded generator (mulberry32) and Gaussian noise (Box-Muller). */
const assert = require('assert/strict');
const { InputError } = require('../../../dist/core/errors');

function seeded(seed) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  next.gauss = () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  return next;
}

function close(actual, expected, tol = 1e-9, what = '') {
  assert.ok(Math.abs(actual - expected) <= tol, `${what} ${actual} is not within ${tol} of ${expected}`);
}

function rejects(fn, reason) {
  assert.throws(fn, (err) => {
    assert.ok(err instanceof InputError, `expected InputError, got ${err && err.name}: ${err && err.message}`);
    if (reason) assert.equal(err.shortReason, reason);
    return true;
  });
}

module.exports = { seeded, close, rejects };
