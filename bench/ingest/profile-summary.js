#!/usr/bin/env node
'use strict';
/**
 * Summarises a V8 .cpuprofile (from `BENCH_CPU_PROF=1 node bench/ingest/index.js`): self time by
 * function and by file, the top entries first.   node bench/ingest/profile-summary.js <file> [top]
 */
const fs = require('node:fs');
const path = require('node:path');

const file = process.argv[2];
const top = Number(process.argv[3]) || 30;
if (!file) {
  console.error('usage: node bench/ingest/profile-summary.js <file.cpuprofile> [top]');
  process.exit(2);
}
const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfUs = new Map();
for (let i = 0; i < profile.samples.length; i++) {
  const dt = profile.timeDeltas[i] ?? 0;
  selfUs.set(profile.samples[i], (selfUs.get(profile.samples[i]) ?? 0) + dt);
}
const root = path.resolve(__dirname, '..', '..');
const shortUrl = (url) => (url || '(native)').replace(/^file:\/\//, '').replace(`${root}/`, '').replace(/^.*node_modules\//, 'node_modules/');
const byFunction = new Map();
const byFile = new Map();
let total = 0;
for (const [id, us] of selfUs) {
  const { callFrame } = byId.get(id);
  const url = shortUrl(callFrame.url);
  const key = `${callFrame.functionName || '(anonymous)'}  ${url}:${callFrame.lineNumber + 1}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + us);
  byFile.set(url, (byFile.get(url) ?? 0) + us);
  total += us;
}
const print = (title, map) => {
  console.log(`\n${title} (self time, ${(total / 1e6).toFixed(1)} s sampled)`);
  for (const [key, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${((100 * us) / total).toFixed(1).padStart(5)} %  ${(us / 1000).toFixed(0).padStart(6)} ms  ${key}`);
  }
};
print('by function', byFunction);
print('by file', byFile);
