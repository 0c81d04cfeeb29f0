#!/usr/bin/env node
'use strict';
/**
 * Live twin state benchmark (run by `npm run bench`, or alone: `node bench/state/index.js`
 * after `npx tsc -p tsconfig.json`). Core only, no Node-RED, one process plus one child:
 *
 *   updates/s   TwinState.update with 10,000 model signals (max age, range, history 100), cycling
 *               through 100,000 prepared samples, against a baseline measured in the same run:
 *               a plain Map.set of the same key ("<asset>/<signal>") and value. Best of 3 rounds.
 *   snapshot    snapshot() of the 10,000 signals (tree and table), median of 15 calls.
 *   memory      in a child run with --expose-gc: heap + array buffers after a forced GC, with every
 *               signal holding 1 history point, then 100; the difference / (10,000 x 99) is the cost
 *               of one history point. The whole state per signal is reported beside it.
 * Results: a table on stdout and bench/out/state.json (`targets`, `checks`). Exit code 1 if a target is missed.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { writeVerdict, printVerdicts, exitWith } = require('../lib/verdict');
const { spawnSync } = require('node:child_process');
const { rate } = require('../lib/rate');

const root = path.resolve(__dirname, '..', '..');
const SIGNALS = 10_000;
const HISTORY = 100;
const TARGETS = { updatesPerSecond: 500_000, snapshotMs: 10, bytesPerPoint: 200 };

function loadState() {
  const file = path.join(root, 'dist', 'core', 'state', 'index.js');
  if (!fs.existsSync(file)) throw new Error('dist/ is not built: run `npx tsc -p tsconfig.json` first.');
  return require(file);
}

/** 10 lines x 100 machines x 10 signals. */
function keyOf(i) {
  return { asset: `plant/line${i % 10}/m${Math.floor(i / 10) % 100}`, signal: `s${Math.floor(i / 1000)}` };
}

function model() {
  const lines = [];
  for (let l = 0; l < 10; l++) {
    const machines = [];
    for (let m = 0; m < 100; m++) {
      const signals = [];
      for (let s = 0; s < 10; s++) signals.push({ name: `s${s}`, unit: 'degC', range: { min: -1e6, max: 1e6 }, maxAgeMs: 60_000 });
      machines.push({ name: `m${m}`, kind: 'machine', children: [], signals, parameters: [] });
    }
    lines.push({ name: `line${l}`, kind: 'line', children: machines, signals: [], parameters: [] });
  }
  return { schemaVersion: 1, revision: 1, name: 'bench', relationships: [], assets: [{ name: 'plant', kind: 'plant', children: lines, signals: [], parameters: [] }] };
}

function sampleOf(i, round, now) {
  const { asset, signal } = keyOf(i);
  const sourceTime = now - 5 + round;
  return { asset, signal, value: (i * 7 + round) % 1000 + 0.5, unit: 'degC', quality: 'good', sourceTime, receivedTime: now + round, latencyMs: 5 };
}

function round(value, digits = 0) {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}


function throughput(TwinState) {
  const now = Date.now();
  const samples = [];
  for (let r = 0; r < 10; r++) for (let i = 0; i < SIGNALS; i++) samples.push(sampleOf(i, r, now));
  const state = new TwinState({ model: model(), historyLength: HISTORY });
  const map = new Map();
  const n = samples.length;
  const twin = (k) => state.update(samples[k % n]);
  const baseline = (k) => { const s = samples[k % n]; map.set(`${s.asset}/${s.signal}`, s.value); };
  rate(twin, 10_000, 500); // warm-up (and fills every history ring)
  rate(baseline, 10_000, 300);
  const rounds = [];
  for (let r = 0; r < 3; r++) rounds.push({ twin: rate(twin, 10_000, 1500), baseline: rate(baseline, 10_000, 1000) });
  // Snapshot of the full state: median of 15 (first one outside, it warms up the code).
  state.snapshot();
  const times = [];
  for (let i = 0; i < 15; i++) {
    const start = process.hrtime.bigint();
    const snap = state.snapshot();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
    if (snap.table.length !== SIGNALS) throw new Error(`snapshot has ${snap.table.length} signals`);
  }
  times.sort((a, b) => a - b);
  const fidelityStart = process.hrtime.bigint();
  for (let i = 0; i < 10; i++) state.fidelity();
  const fidelityMs = Number(process.hrtime.bigint() - fidelityStart) / 1e6 / 10;
  return { rounds, snapshotMs: { median: times[7], min: times[0], max: times[14] }, fidelityMs };
}

/** Runs in the --expose-gc child: prints the heap figures as JSON. */
function memoryChild() {
  const { TwinState } = loadState();
  const heap = () => { global.gc(); global.gc(); const m = process.memoryUsage(); return m.heapUsed + m.arrayBuffers; };
  const base = heap();
  const now = Date.now();
  const state = new TwinState({ model: model(), historyLength: HISTORY });
  for (let i = 0; i < SIGNALS; i++) state.update(sampleOf(i, 0, now));
  const onePoint = heap();
  for (let r = 1; r < HISTORY; r++) for (let i = 0; i < SIGNALS; i++) state.update(sampleOf(i, r, now));
  const full = heap();
  if (state.get('plant/line1/m1/s1', { history: true })[0].history.length !== HISTORY) throw new Error('history not full');
  process.stdout.write(JSON.stringify({
    bytesPerPoint: (full - onePoint) / (SIGNALS * (HISTORY - 1)),
    bytesPerSignalWithOnePoint: (onePoint - base) / SIGNALS,
    bytesPerSignalFull: (full - base) / SIGNALS,
    totalMiB: (full - base) / 1048576,
  }));
}

function memory() {
  const child = spawnSync(process.execPath, ['--expose-gc', __filename, '--memory-child'], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  if (child.status !== 0) throw new Error(`memory child failed: ${child.stderr || child.signal}`);
  return JSON.parse(child.stdout);
}

function main() {
  const { TwinState } = loadState();
  const started = new Date();
  const perf = throughput(TwinState);
  const mem = memory();
  const best = perf.rounds.reduce((a, b) => (b.twin > a.twin ? b : a));
  const result = {
    bench: 'state',
    date: started.toISOString(),
    command: 'node bench/state/index.js',
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version, loadAverageAtStart: os.loadavg().map((v) => round(v, 2)) },
    config: { signals: SIGNALS, historyLength: HISTORY, preparedSamples: SIGNALS * 10, assetDepth: 3 },
    updates: {
      rounds: perf.rounds.map((r) => ({ twinPerS: round(r.twin), mapSetPerS: round(r.baseline), ratio: round(r.twin / r.baseline, 3) })),
      bestTwinPerS: round(best.twin),
      mapSetPerSSameRound: round(best.baseline),
    },
    snapshotMs: { median: round(perf.snapshotMs.median, 2), min: round(perf.snapshotMs.min, 2), max: round(perf.snapshotMs.max, 2) },
    fidelityAllMs: round(perf.fidelityMs, 2),
    memory: {
      bytesPerHistoryPoint: round(mem.bytesPerPoint, 1),
      bytesPerSignalWithOnePoint: round(mem.bytesPerSignalWithOnePoint),
      bytesPerSignalWith100Points: round(mem.bytesPerSignalFull),
      totalMiB: round(mem.totalMiB, 1),
    },
    targets: [],
    checks: [],
  };
  result.targets.push(
    { name: 'TwinState.update, 10,000 signals', value: best.twin, display: `${round(best.twin).toLocaleString('en')} updates/s (Map.set baseline ${round(best.baseline).toLocaleString('en')}/s, ${round((best.twin / best.baseline) * 100, 1)} %)`, target: `>= ${TARGETS.updatesPerSecond.toLocaleString('en')}/s`, pass: best.twin >= TARGETS.updatesPerSecond },
    { name: 'snapshot of 10,000 signals', value: perf.snapshotMs.median, display: `${round(perf.snapshotMs.median, 2)} ms median (min ${round(perf.snapshotMs.min, 2)}, max ${round(perf.snapshotMs.max, 2)})`, target: `<= ${TARGETS.snapshotMs} ms`, pass: perf.snapshotMs.median <= TARGETS.snapshotMs },
    { name: 'memory per history point', value: mem.bytesPerPoint, display: `${round(mem.bytesPerPoint, 1)} bytes (whole state ${round(mem.bytesPerSignalFull).toLocaleString('en')} bytes per signal with 100 points)`, target: `<= ${TARGETS.bytesPerPoint} bytes`, pass: mem.bytesPerPoint <= TARGETS.bytesPerPoint },
  );
  writeVerdict('state', result);
  console.log('');
  for (const r of result.updates.rounds) console.log(`[state] round: TwinState.update ${r.twinPerS.toLocaleString('en')}/s, Map.set ${r.mapSetPerS.toLocaleString('en')}/s (${round(r.ratio * 100, 1)} %)`);
  console.log(`[state] fidelity() over 10,000 signals: ${result.fidelityAllMs} ms`);
  console.log(`[state] memory: ${result.memory.bytesPerSignalWithOnePoint} bytes per signal with 1 point, ${result.memory.bytesPerSignalWith100Points} with 100 (${result.memory.totalMiB} MiB in all)`);
  printVerdicts(result);
  console.log('results: bench/out/state.json');
  return result.pass;
}

if (process.argv.includes('--memory-child')) {
  memoryChild();
} else {
  exitWith('state', main);
}
