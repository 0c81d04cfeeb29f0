'use strict';
/** Shared by the deviation tests: assertions; the seeded generator lives in scripts/lib/seeded-random.js. */
const assert = require('assert/strict');
const { InputError } = require('../../../dist/core/errors');

const { seeded } = require('../../../scripts/lib/seeded-random');

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
