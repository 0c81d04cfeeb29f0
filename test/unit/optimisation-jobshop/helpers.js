'use strict';
// Shared helpers of the job-shop tests: the benchmark instances (read in place from
// ../shared/data/jobshop beside the project, tests skip without them), random instances, refusals.
const assert = require('assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { InputError } = require('../../../dist/core/errors');

const dataDir = path.resolve(__dirname, '..', '..', '..', '..', 'shared', 'data', 'jobshop');

/** OR-Library text of a benchmark instance, or undefined when the data set is absent. */
function instanceText(name) {
  const file = path.join(dataDir, 'instances', `${name}.txt`);
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
}

/** Seeded generator for test data (mulberry32). */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A random problem: n jobs over m machines. Classic (each job visits every machine once) unless
 * `recirculate` (machines drawn at random, repeats allowed, 1..ops operations per job).
 */
function randomProblem(seed, { n = 5, m = 4, maxDur = 9, zero = false, recirculate = false, ops = m } = {}) {
  const r = rng(seed);
  const int = (k) => Math.floor(r() * k);
  const jobs = [];
  for (let j = 0; j < n; j++) {
    const order = Array.from({ length: m }, (_, i) => i);
    for (let i = m - 1; i > 0; i--) {
      const k = int(i + 1);
      [order[i], order[k]] = [order[k], order[i]];
    }
    const len = recirculate ? 1 + int(ops) : m;
    const job = [];
    for (let k = 0; k < len; k++) {
      job.push({ machine: recirculate ? int(m) : order[k], duration: (zero && r() < 0.15 ? 0 : 1) * (1 + int(maxDur)) });
    }
    jobs.push(job);
  }
  return { jobs, machines: m, rand: r, int };
}

function refused(fn, reason, messageRe) {
  assert.throws(fn, (err) => {
    assert.ok(err instanceof InputError, `expected InputError, got ${err && err.name}: ${err && err.message}`);
    if (reason) assert.equal(err.shortReason, reason, err.message);
    if (messageRe) assert.match(err.message, messageRe);
    return true;
  });
}

module.exports = { dataDir, instanceText, rng, randomProblem, refused };
