#!/usr/bin/env node
'use strict';
/**
 * Univariate deviation benchmark (run by `npm run bench`, or alone: `node bench/deviation-core/index.js`
 * after `npx tsc -p tsconfig.json`). Core only, one process:
 *
 *   samples/s   SignalDetector.score (self-predicting, and with an expected value) over 100,000
 *               prepared samples (10 + N(0,1), a spike every 997), against a baseline measured in the
 *               same run: a plain running-mean update over the same values. Best of 3 rounds.
 * Results: a table on stdout and bench/out/deviation-core.json (`targets`, `checks`). Exit 1 if missed.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { writeVerdict, printVerdicts, exitWith } = require('../lib/verdict');
const { rate } = require('../lib/rate');

const root = path.resolve(__dirname, '..', '..');
const N = 100_000;
const TARGET = 200_000;

function load() {
  const file = path.join(root, 'dist', 'core', 'deviation', 'index.js');
  if (!fs.existsSync(file)) throw new Error('dist/ is not built: run `npx tsc -p tsconfig.json` first.');
  return require(file);
}

function seeded(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const round = (v, d = 0) => Math.round(v * 10 ** d) / 10 ** d;


function main() {
  const { SignalDetector } = load();
  const r = seeded(1);
  const values = new Float64Array(N);
  for (let i = 0; i < N; i++) values[i] = 10 + Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r()) + (i % 997 === 0 ? 50 : 0);
  // Time only moves forward: each pass over the values continues the clock.
  let t = 0;
  const self = new SignalDetector();
  const twin = new SignalDetector();
  let anomalies = 0;
  const selfWork = (k) => { if (self.score({ value: values[k % N], time: ++t }).isAnomaly) anomalies++; };
  const twinWork = (k) => { if (twin.score({ value: values[k % N], expected: 10, time: ++t }).isAnomaly) anomalies++; };
  let mean = 0;
  let count = 0;
  const baseline = (k) => { count++; mean += (values[k % N] - mean) / count; };
  rate(selfWork, 10_000, 500);
  rate(twinWork, 10_000, 500);
  rate(baseline, 10_000, 200);
  const rounds = [];
  for (let i = 0; i < 3; i++) rounds.push({ self: rate(selfWork, 10_000, 1000), twin: rate(twinWork, 10_000, 1000), baseline: rate(baseline, 10_000, 500) });
  const best = (key) => rounds.reduce((a, b) => (b[key] > a[key] ? b : a));
  const bs = best('self');
  const bt = best('twin');
  const result = {
    bench: 'deviation-core',
    date: new Date().toISOString(),
    command: 'node bench/deviation-core/index.js',
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version, loadAverageAtStart: os.loadavg().map((v) => round(v, 2)) },
    config: { preparedSamples: N, rounds: 3, detector: 'default options' },
    rounds: rounds.map((x) => ({ selfPredictedPerS: round(x.self), withExpectedPerS: round(x.twin), runningMeanPerS: round(x.baseline) })),
    anomaliesSeen: anomalies,
    baselineMean: round(mean, 3),
    targets: [
      { name: 'SignalDetector.score, self-predicted', value: bs.self, display: `${round(bs.self).toLocaleString('en')} samples/s (running-mean baseline ${round(bs.baseline).toLocaleString('en')}/s, ${round((bs.self / bs.baseline) * 100, 1)} %)`, target: `>= ${TARGET.toLocaleString('en')}/s`, pass: bs.self >= TARGET },
      { name: 'SignalDetector.score, with expected', value: bt.twin, display: `${round(bt.twin).toLocaleString('en')} samples/s (running-mean baseline ${round(bt.baseline).toLocaleString('en')}/s, ${round((bt.twin / bt.baseline) * 100, 1)} %)`, target: `>= ${TARGET.toLocaleString('en')}/s`, pass: bt.twin >= TARGET },
    ],
    checks: [
      { name: 'spikes flagged', value: anomalies, display: `${anomalies} anomalous samples flagged`, pass: anomalies > 0 },
    ],
  };
  writeVerdict('deviation-core', result);
  for (const x of result.rounds) console.log(`[deviation-core] round: self ${x.selfPredictedPerS.toLocaleString('en')}/s, expected ${x.withExpectedPerS.toLocaleString('en')}/s, running mean ${x.runningMeanPerS.toLocaleString('en')}/s`);
  printVerdicts(result);
  console.log('results: bench/out/deviation-core.json');
  return result.pass;
}

exitWith('deviation-core', main);
