#!/usr/bin/env node
'use strict';
/**
 * `npm run bench`: builds the package (src/ -> dist/, nodes/*.js; skip with --no-build), then runs
 * every bench/<name>/index.js in a process of its own, one after the other, each with a time limit.
 * A benchmark prints its own table and writes bench/out/<name>.json with `targets` and `checks`
 * ({name, display, target, pass}). At the end a summary of all of them is printed.
 * Exit code: 0 when every benchmark ran and met every target and check, 1 otherwise.
 *
 *   node bench/run.js [--no-build] [name ...] [--option ...]     e.g. `npm run bench -- --no-build ingest`
 *
 * Other `--` options (e.g. `--ci`) are passed on to every benchmark run. A benchmark whose length
 * depends on them gives its own time limit in bench/<name>/time-limit.js (a function of those options
 * returning seconds); BENCH_TIME_LIMIT_S, when set, applies to every benchmark.
 */
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const benchDir = __dirname;
const root = path.resolve(benchDir, '..');
const outDir = path.join(benchDir, 'out');
const TIME_LIMIT_MS = Number(process.env.BENCH_TIME_LIMIT_S || 240) * 1000;

const args = process.argv.slice(2);
const build = !args.includes('--no-build');
const only = args.filter((a) => !a.startsWith('--'));
const passOn = args.filter((a) => a.startsWith('--') && a !== '--no-build');

function timeLimitMs(name) {
  const file = path.join(benchDir, name, 'time-limit.js');
  if (process.env.BENCH_TIME_LIMIT_S || !fs.existsSync(file)) return TIME_LIMIT_MS;
  return require(file)(passOn) * 1000;
}

const benches = fs.readdirSync(benchDir, { withFileTypes: true })
  .filter((d) => d.isDirectory() && fs.existsSync(path.join(benchDir, d.name, 'index.js')))
  .map((d) => d.name)
  .filter((name) => only.length === 0 || only.includes(name))
  .sort();

let current;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    // The benchmark kills its own children on SIGTERM.
    if (current && current.exitCode === null) current.kill('SIGTERM');
    process.exit(130);
  });
}

function runBench(name) {
  return new Promise((resolve) => {
    const started = Date.now();
    const limitMs = timeLimitMs(name);
    const child = spawn(process.execPath, [path.join(benchDir, name, 'index.js'), ...passOn], { cwd: root, stdio: 'inherit' });
    current = child;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      console.error(`\n[run] ${name}: over the time limit of ${limitMs / 1000} s, stopping it`);
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
    }, limitMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      current = undefined;
      resolve({ code, signal, timedOut, seconds: Math.round((Date.now() - started) / 100) / 10 });
    });
  });
}

async function main() {
  if (benches.length === 0) {
    console.error(`[run] no benchmark found${only.length ? ` named ${only.join(', ')}` : ''}`);
    return false;
  }
  if (build) {
    console.log('[run] npm run build');
    const result = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
    if (result.status !== 0) {
      console.error('[run] the build failed: not benchmarking stale code');
      return false;
    }
  }
  fs.mkdirSync(outDir, { recursive: true });
  const summary = [];
  for (const name of benches) {
    const resultFile = path.join(outDir, `${name}.json`);
    fs.rmSync(resultFile, { force: true });
    console.log(`\n[run] ${name}`);
    const exit = await runBench(name);
    let result;
    try {
      result = JSON.parse(fs.readFileSync(resultFile, 'utf8'));
    } catch {
      result = undefined;
    }
    summary.push({ name, exit, result });
  }

  let ok = true;
  console.log('\n[run] summary');
  for (const { name, exit, result } of summary) {
    const how = exit.timedOut ? 'timed out' : exit.signal ? `killed by ${exit.signal}` : `exit ${exit.code}`;
    console.log(`  ${name} (${exit.seconds} s, ${how})`);
    if (!result) {
      ok = false;
      console.log('    FAIL  no results written');
      continue;
    }
    for (const item of [...(result.targets || []), ...(result.checks || [])]) {
      if (!item.pass) ok = false;
      console.log(`    ${item.pass ? 'PASS' : 'FAIL'}  ${item.name}: ${item.display}${item.target ? `  (target ${item.target})` : ''}`);
    }
    if (exit.code !== 0) ok = false;
  }
  console.log(ok ? '\n[run] every target met' : '\n[run] a target was missed or a benchmark failed (see above)');
  return ok;
}

main().then(
  (ok) => process.exit(ok ? 0 : 1),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
