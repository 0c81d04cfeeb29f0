'use strict';
// Shared by the optimisation-search tests: error matcher and standard test functions.
const assert = require('assert/strict');

function refused(fn, Type, reason, messageRe) {
  assert.throws(fn, (err) => {
    assert.ok(err instanceof Type, `expected ${Type.name}, got ${err && err.name}: ${err && err.message}`);
    if (reason) assert.equal(err.shortReason, reason);
    if (messageRe) assert.match(err.message, messageRe);
    return true;
  });
}

const continuous = (n, min, max) => Array.from({ length: n }, (_, i) => ({ name: `x${i}`, kind: 'continuous', min, max }));
const sphere = ({ x }) => x.reduce((s, v) => s + v * v, 0);
const rosenbrock = ({ x }) => {
  let s = 0;
  for (let i = 0; i < x.length - 1; i++) s += 100 * (x[i + 1] - x[i] * x[i]) ** 2 + (1 - x[i]) ** 2;
  return s;
};
const rastrigin = ({ x }) => 10 * x.length + x.reduce((s, v) => s + v * v - 10 * Math.cos(2 * Math.PI * v), 0);

/** ZDT1 / ZDT2 (Zitzler, Deb, Thiele 2000) as an `evaluate` returning [f1, f2]. */
function zdt(kind) {
  return (point, x) => {
    const n = x.length;
    const f1 = x[0];
    let s = 0;
    for (let i = 1; i < n; i++) s += x[i];
    const g = 1 + (9 * s) / (n - 1);
    const h = kind === 1 ? 1 - Math.sqrt(f1 / g) : 1 - (f1 / g) ** 2;
    return [f1, g * h];
  };
}
const twoObjectives = [({ result }) => result[0], ({ result }) => result[1]];

function busyWait(ms) {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // spin: a stand-in for an expensive simulation
  }
}

module.exports = { refused, continuous, sphere, rosenbrock, rastrigin, zdt, twoObjectives, busyWait };
