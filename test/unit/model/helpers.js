'use strict';
/** Shared by the model tests: a small valid press line and an assertion on ConfigErrors. */
const assert = require('node:assert/strict');
const { ConfigError, TwinError } = require('../../../dist/core/errors');

/** A fresh press line each call, so no test can disturb another. */
function pressLine() {
  return {
    schemaVersion: 1,
    revision: 3,
    name: 'Press line',
    assets: [
      {
        name: 'line1',
        kind: 'line',
        children: [
          {
            name: 'press1',
            kind: 'machine',
            children: [],
            signals: [
              { name: 'temperature', unit: 'degC', range: { min: 0, max: 250 }, maxAgeMs: 5000 },
              { name: 'pressure', unit: 'bar' },
              { name: 'running', unit: null },
            ],
            parameters: [{ name: 'maxForce', value: 800, unit: 'kN' }],
          },
          { name: 'oven1', kind: 'machine', children: [], signals: [{ name: 'temperature', unit: 'degC' }], parameters: [] },
        ],
        signals: [],
        parameters: [],
      },
    ],
    relationships: [{ from: 'line1/oven1', to: 'line1/press1', type: 'feeds' }],
  };
}

/** Asserts `fn` throws a ConfigError with this shortReason and a message matching `message`. */
function throwsConfig(fn, shortReason, message) {
  assert.throws(fn, (err) => {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${err && err.name}: ${err && err.message}`);
    assert.equal(err.shortReason, shortReason, err.message);
    if (message) assert.match(err.message, message);
    return true;
  });
}

/** Asserts `fn` throws only TwinErrors (any kind), never a TypeError or RangeError. */
function throwsTwinError(fn) {
  assert.throws(fn, (err) => {
    assert.ok(err instanceof TwinError, `expected a TwinError, got ${err && err.name}: ${err && err.message}`);
    return true;
  });
}

module.exports = { pressLine, throwsConfig, throwsTwinError };
