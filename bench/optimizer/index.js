#!/usr/bin/env node
'use strict';
/**
 * Optimizer benchmarks (run by `npm run bench`, or alone: `node bench/optimizer/index.js` after
 * `npx tsc -p tsconfig.json`). A small driver: it runs the parts beside this file, one after the other
 * in this process, and merges their targets and checks into one verdict, bench/out/optimizer.json.
 *
 *   node bench/optimizer/index.js [--quick] [part ...] [part options]     e.g. `... --quick jobshop`
 *
 * A part is any other .js file here exporting { name, describe, run(argv) } (files without them, such
 * as helpers, are ignored); run(argv) gets the command-line arguments and returns (or resolves to)
 * { targets, checks, skipped, config, rows } (targets/checks as in ../lib/verdict.js), optionally
 * `table` printed as an aligned table (../lib/table.js). Parts run in file-name order; naming parts
 * runs only those. A part that throws fails the run (a failed check) without stopping the others.
 * Each part's file header explains its method and targets. The job-shop part (jobshop.js: ft10 and
 * la01–la40, up to 10 s each, --quick 2 s) takes about 3 minutes, most instances ending early at a
 * proven optimum (at most 41 × 10 s); bench/run.js stops a benchmark after 240 s unless
 * BENCH_TIME_LIMIT_S says otherwise, so with more parts give it room.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { writeVerdict, printVerdicts } = require('../lib/verdict');
const { printTable } = require('../lib/table');

function discoverParts() {
  const parts = [];
  const broken = [];
  for (const file of fs.readdirSync(__dirname).filter((f) => f.endsWith('.js') && f !== 'index.js').sort()) {
    try {
      const mod = require(path.join(__dirname, file));
      if (mod && typeof mod.name === 'string' && typeof mod.run === 'function') parts.push(mod);
    } catch (err) {
      broken.push({ file, error: err });
    }
  }
  return { parts, broken };
}

async function main() {
  const argv = process.argv.slice(2);
  const { parts, broken } = discoverParts();
  const names = argv.filter((a) => !a.startsWith('--') && parts.some((p) => p.name === a));
  const selected = names.length > 0 ? parts.filter((p) => names.includes(p.name)) : parts;
  const round2 = (v) => Math.round(v * 100) / 100;
  const result = {
    bench: 'optimizer',
    date: new Date().toISOString(),
    command: `node bench/optimizer/index.js ${argv.join(' ')}`.trim(),
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version, loadAverageAtStart: os.loadavg().map(round2) },
    parts: {},
    targets: [],
    checks: [],
    skipped: [],
  };
  if (names.length === 0) {
    for (const b of broken) result.checks.push({ name: `part ${b.file} loads`, display: String(b.error && b.error.message), pass: false });
  }
  for (const part of selected) {
    console.log(`[optimizer] ${part.name}: ${part.describe || ''}`);
    const started = Date.now();
    try {
      const out = await part.run(argv);
      if (out.table) printTable(out.table);
      result.parts[part.name] = { seconds: round2((Date.now() - started) / 1000), config: out.config, rows: out.rows };
      result.targets.push(...(out.targets || []));
      result.checks.push(...(out.checks || []));
      result.skipped.push(...(out.skipped || []));
    } catch (err) {
      console.error(`[optimizer] ${part.name} failed: ${err.stack || err}`);
      result.checks.push({ name: `${part.name} ran`, display: `failed: ${err.message || err}`, pass: false });
    }
  }
  result.machine.loadAverageAtEnd = os.loadavg().map(round2);
  writeVerdict('optimizer', result);
  printVerdicts(result);
  for (const x of result.skipped) console.log(`SKIP  ${x.name}: ${x.reason}`);
  console.log('results: bench/out/optimizer.json');
  return result.pass;
}

main().then(
  (ok) => process.exit(ok ? 0 : 1),
  (err) => {
    console.error(`[optimizer] failed: ${err.stack || err}`);
    process.exit(2);
  },
);
