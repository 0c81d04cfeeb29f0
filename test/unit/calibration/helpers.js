'use strict';
// Shared by the calibration tests: error matcher and a seeded Gaussian source (deterministic data).
const assert = require('assert/strict');

function refused(fn, Type, reason, messageRe) {
  assert.throws(fn, (err) => {
    assert.ok(err instanceof Type, `expected ${Type.name}, got ${err && err.name}: ${err && err.message}`);
    if (reason) assert.equal(err.shortReason, reason);
    if (messageRe) assert.match(err.message, messageRe);
    return true;
  });
}

/** mulberry32 uniform in [0, 1) and Box–Muller normal deviates. */
function gaussianSource(seed) {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

function busyWait(ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // spin: a stand-in for an expensive simulation
  }
}

module.exports = { refused, gaussianSource, busyWait };
