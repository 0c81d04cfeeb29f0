'use strict';
const assert = require('assert/strict');

/** Asserts fn throws (or the promise rejects with) an error of Type with the given shortReason. */
function refused(fn, Type, reason, messageRe) {
  assert.throws(fn, (err) => check(err, Type, reason, messageRe));
}

async function refusedAsync(promiseOrFn, Type, reason, messageRe) {
  await assert.rejects(typeof promiseOrFn === 'function' ? promiseOrFn() : promiseOrFn, (err) => check(err, Type, reason, messageRe));
}

function check(err, Type, reason, messageRe) {
  assert.ok(err instanceof Type, `expected ${Type.name}, got ${err && err.name}: ${err && err.message}`);
  if (reason) assert.equal(err.shortReason, reason);
  if (messageRe) assert.match(err.message, messageRe);
  return true;
}

/** mulberry32, for test data. */
function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Largest interval between ticks of a 5 ms setInterval, while it runs. */
function lagProbe() {
  let last = performance.now();
  let maxGap = 0;
  const timer = setInterval(() => {
    const t = performance.now();
    if (t - last > maxGap) maxGap = t - last;
    last = t;
  }, 5);
  return {
    stop() {
      clearInterval(timer);
      const t = performance.now();
      return Math.max(maxGap, t - last);
    },
  };
}

module.exports = { refused, refusedAsync, rng, lagProbe };
