#!/usr/bin/env node
'use strict';
/**
 * Layout part of the optimizer benchmark: the memetic QAP search on QAPLIB instances (called by
 * bench/optimizer/index.js, or alone: `node bench/optimizer/layout.js [--quick]` after
 * `npx tsc -p tsconfig.json`).
 *
 * Method: every instance of nug12, nug15, nug20, nug30, tai20a, tai30a, sko42, tho30, kra30a found
 * in ../shared/data/qaplib beside the project (read in place, never copied; `.dat` and `.sln`)
 * is solved by createQapSearch from dist/core/optimisation/layout (memetic algorithm: population
 * 10, cycle crossover, robust tabu search of 100·n iterations per offspring) for at most
 * 10 s per run (--quick: 2 s), seeds 1, 2, 3, run in slices of 10 ms as a Node-RED node would,
 * stopping early when the best known value is reached (worst case 9 × 3 × 10 s = 270 s; --quick
 * 54 s). Gap = 100·(cost − value)/value with value the `.sln` cost (optimal for all but tai30a and
 * sko42, which are best known).
 *   target   none given; per instance the mean and worst gap over the seeds, the runs that reached
 *            the value and the mean time to the best cost; the mean gap over instances.
 *   checks   every returned permutation is a permutation and its cost, recomputed independently
 *            (qapCost), is the reported one; each `.sln` reproduces its stated cost (directly or
 *            inverted, as documented with the data); each run stays within its time limit
 *            (+ 0.5 s); the synchronous slices stay short (p99 <= 20 ms, wall-clock on a shared
 *            2-core machine).
 * Without the data directory the part says so and is skipped.
 * Exports run({ quick }) → { targets, checks, table } (verdict items as in ../lib/verdict.js).
 */
const fs = require('node:fs');
const path = require('node:path');
const { printTable } = require('../lib/table');
const { printVerdicts } = require('../lib/verdict');

const root = path.resolve(__dirname, '..', '..');
const NAME = 'layout';
const DATA_DIR = path.resolve(root, '..', 'shared', 'data', 'qaplib');
const INSTANCES = ['nug12', 'nug15', 'nug20', 'nug30', 'tai20a', 'tai30a', 'sko42', 'tho30', 'kra30a'];
const SLICE_MS = 10;
const SEEDS = [1, 2, 3];

const round = (v, d = 0) => Math.round(v * 10 ** d) / 10 ** d;

function load() {
  const file = path.join(root, 'dist', 'core', 'optimisation', 'layout', 'index.js');
  if (!fs.existsSync(file)) throw new Error('dist/ is not built: run `npx tsc -p tsconfig.json` first.');
  return require(file);
}

function percentile(sorted, p) {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function isPermutation(p, n) {
  if (p.length !== n) return false;
  const seen = new Uint8Array(n);
  for (const v of p) {
    if (!Number.isInteger(v) || v < 0 || v >= n || seen[v]) return false;
    seen[v] = 1;
  }
  return true;
}

async function run(options = {}) {
  // Also accepts an argv list (['--quick', ...]) as bench/optimizer/index.js passes to its parts.
  const { quick = false, seconds, seeds = SEEDS } = Array.isArray(options) ? { quick: options.includes('--quick') } : options;
  const limitS = seconds ?? (quick ? 2 : 10);
  const config = { secondsPerRun: limitS, seeds, quick, sliceMs: SLICE_MS, data: DATA_DIR, populationSize: 10, localSearch: 'robust tabu search, 100·n iterations per offspring', crossover: 'cycle' };
  const names = INSTANCES.filter((name) => fs.existsSync(path.join(DATA_DIR, `${name}.dat`)) && fs.existsSync(path.join(DATA_DIR, `${name}.sln`)));
  if (names.length === 0) {
    console.log(`[optimizer] layout: no QAPLIB data at ${DATA_DIR}: skipped`);
    return { name: NAME, config, targets: [], checks: [], table: [], rows: [], skipped: [{ name: 'layout (QAPLIB)', reason: `no data at ${DATA_DIR}` }] };
  }
  const L = load();
  const table = [];
  const problems = [];
  const slices = [];
  for (const name of names) {
    const inst = L.parseQaplibDat(fs.readFileSync(path.join(DATA_DIR, `${name}.dat`), 'utf8'), name);
    const sln = L.parseQaplibSln(fs.readFileSync(path.join(DATA_DIR, `${name}.sln`), 'utf8'));
    const slnCheck = L.qaplibSolutionCost(inst, sln);
    if (slnCheck.inverted === undefined) problems.push(`${name}: the .sln permutation costs ${slnCheck.cost} (inverse ${slnCheck.inverseCost}), not ${sln.cost}`);
    const runs = [];
    for (const seed of seeds) {
      let timeToBest = 0;
      const started = performance.now();
      const search = L.createQapSearch(inst, { seed, maxWallMs: limitS * 1000, targetCost: sln.cost, onImprovement: () => (timeToBest = performance.now() - started) });
      while (!search.done) {
        const t = performance.now();
        search.step(SLICE_MS);
        slices.push(performance.now() - t);
      }
      const wallS = (performance.now() - started) / 1000;
      const best = search.best();
      const recomputed = L.qapCost(inst, best.permutation);
      if (!isPermutation(best.permutation, inst.n)) problems.push(`${name} seed ${seed}: the result is not a permutation`);
      if (recomputed !== best.cost) problems.push(`${name} seed ${seed}: reported cost ${best.cost}, recomputed ${recomputed}`);
      if (wallS > limitS + 0.5) problems.push(`${name} seed ${seed}: ran ${round(wallS, 2)} s for a limit of ${limitS} s`);
      runs.push({ seed, cost: recomputed, gap: (100 * (recomputed - sln.cost)) / sln.cost, timeToBest: timeToBest / 1000, wallS, offspring: search.progress().generations });
    }
    const mean = (f) => runs.reduce((acc, r) => acc + f(r), 0) / runs.length;
    table.push({
      instance: name,
      n: inst.n,
      value: sln.cost,
      costs: runs.map((r) => r.cost).join(' '),
      meanGapPercent: round(mean((r) => r.gap), 3),
      worstGapPercent: round(Math.max(...runs.map((r) => r.gap)), 3),
      reached: `${runs.filter((r) => r.cost <= sln.cost).length}/${runs.length}`,
      meanSecondsToBest: round(mean((r) => r.timeToBest), 2),
      maxSeconds: round(Math.max(...runs.map((r) => r.wallS)), 2),
      meanOffspring: round(mean((r) => r.offspring)),
    });
    console.log(`[optimizer] layout ${name}: costs ${runs.map((r) => r.cost).join(', ')} (value ${sln.cost}), mean gap ${round(mean((r) => r.gap), 3)} %, ${runs.map((r) => round(r.wallS, 2)).join(' / ')} s`);
  }
  const meanGap = table.reduce((acc, r) => acc + r.meanGapPercent, 0) / table.length;
  const runsReached = table.reduce((acc, r) => acc + Number(r.reached.split('/')[0]), 0);
  const runsTotal = table.length * seeds.length;
  slices.sort((a, b) => a - b);
  const p99 = percentile(slices, 99);
  const targets = [];
  const checks = [
    {
      name: `QAPLIB mean gap to the best known value (${limitS} s per run, no target set)`,
      value: meanGap,
      display: `${round(meanGap, 3)} % over ${table.length} instances × seeds ${seeds.join(', ')}; best known value reached in ${runsReached} of ${runsTotal} runs (mean gap per instance: ${table.map((r) => `${r.instance} ${r.meanGapPercent} %`).join(', ')})`,
      target: 'reported',
      pass: Number.isFinite(meanGap),
    },
    {
      name: 'QAPLIB results verified',
      value: problems.length,
      display: problems.length === 0 ? `${runsTotal} permutations valid, costs recomputed equal, .sln costs reproduced, time limits held` : problems.join('; '),
      target: 'no problem',
      pass: problems.length === 0,
    },
    {
      name: `memetic search synchronous slices (step(${SLICE_MS}))`,
      value: p99,
      display: `p99 ${round(p99, 1)} ms, max ${round(slices[slices.length - 1], 1)} ms over ${slices.length} slices`,
      target: 'p99 <= 20 ms',
      pass: p99 <= 20,
    },
  ];
  table.push({ instance: 'mean', n: '', value: '', costs: '', meanGapPercent: round(meanGap, 3), worstGapPercent: round(Math.max(...table.map((r) => r.worstGapPercent)), 3), reached: `${runsReached}/${runsTotal}`, meanSecondsToBest: round(table.reduce((acc, r) => acc + r.meanSecondsToBest, 0) / table.length, 2), maxSeconds: '', meanOffspring: '' });
  return { name: NAME, config, targets, checks, table, rows: table, skipped: [] };
}


module.exports = { name: NAME, describe: 'memetic QAP search (GA + robust tabu search) on QAPLIB: gap to the best known value', run };

if (require.main === module) {
  const quick = process.argv.includes('--quick');
  run({ quick }).then(
    (result) => {
      printTable(result.table);
      printVerdicts(result);
      for (const x of result.skipped || []) console.log(`SKIP  ${x.name}: ${x.reason}`);
      process.exit([...result.targets, ...result.checks].every((i) => i.pass) ? 0 : 1);
    },
    (err) => {
      console.error(`[${NAME}] failed: ${err.stack || err}`);
      process.exit(2);
    },
  );
}
