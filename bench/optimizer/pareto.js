#!/usr/bin/env node
'use strict';
/**
 * Pareto part of the optimizer benchmark: NSGA-II on ZDT1 (called by bench/optimizer/index.js, or
 * alone: `node bench/optimizer/pareto.js [--quick]` after `npx tsc -p tsconfig.json`).
 *
 * Method: ZDT1 (Zitzler, Deb, Thiele 2000) with 30 variables in [0, 1], f1 = x1,
 * f2 = g·(1 − √(f1/g)), g = 1 + 9·Σ_{i≥2} x_i/29; true front f2 = 1 − √f1, whose hypervolume with
 * the reference point (1, 1) is 2/3 = 0.6667. NSGA-II from dist/core/optimisation/search
 * (createOptimiser, algorithm 'nsga2', defaults: population 100, SBX η 15 with rate 0.9, polynomial
 * mutation η 20 with rate 1/30), 25,000 evaluations, seeds 1, 2, 3, run in slices of 10 ms (the way
 * a Node-RED node runs it). Hypervolume (exact, 2-D sweep) of the final front (feasible rank-0
 * members of the population) with reference (1, 1).
 *   target   hypervolume >= 0.65 for every seed (the worst of the three).
 *   checks   every run used exactly 25,000 evaluations; the synchronous slices stay short (p99
 *            <= 20 ms, max reported; wall-clock on a shared 2-core machine); the run is
 *            repeatable: seed 1 run at once (runSync) gives the same front as in slices (skipped
 *            with --quick).
 *   info     the same for ZDT2 (concave front, hypervolume 1/3).
 * Exports run({ quick }) → { targets, checks, table } (verdict items as in ../lib/verdict.js).
 */
const fs = require('node:fs');
const path = require('node:path');
const { printTable } = require('../lib/table');
const { printVerdicts } = require('../lib/verdict');

const root = path.resolve(__dirname, '..', '..');
const NAME = 'pareto';
const TARGET_HV = 0.65;
const EVALUATIONS = 25000;
const VARIABLES = 30;
const SEEDS = [1, 2, 3];
const SLICE_MS = 10;

const round = (v, d = 0) => Math.round(v * 10 ** d) / 10 ** d;

function load() {
  const file = path.join(root, 'dist', 'core', 'optimisation', 'search', 'index.js');
  if (!fs.existsSync(file)) throw new Error('dist/ is not built: run `npx tsc -p tsconfig.json` first.');
  return require(file);
}

function zdt(kind, n) {
  return (point, x) => {
    const f1 = x[0];
    let s = 0;
    for (let i = 1; i < n; i++) s += x[i];
    const g = 1 + (9 * s) / (n - 1);
    return [f1, g * (kind === 1 ? 1 - Math.sqrt(f1 / g) : 1 - (f1 / g) ** 2)];
  };
}

function problem(kind) {
  return {
    variables: Array.from({ length: VARIABLES }, (_, i) => ({ name: `x${i + 1}`, kind: 'continuous', min: 0, max: 1 })),
    evaluate: zdt(kind, VARIABLES),
    objectives: [
      { name: 'f1', fn: ({ result }) => result[0] },
      { name: 'f2', fn: ({ result }) => result[1] },
    ],
  };
}

function percentile(sorted, p) {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** One NSGA-II run in slices; returns the front, hypervolume, time and slice durations. */
function runOnce(lib, kind, seed, sliced = true) {
  const o = lib.createOptimiser(problem(kind), { algorithm: 'nsga2', seed, maxEvaluations: EVALUATIONS });
  const slices = [];
  const t0 = performance.now();
  if (sliced) {
    while (!o.done) {
      const s = performance.now();
      o.step(SLICE_MS);
      slices.push(performance.now() - s);
    }
  } else {
    o.runSync();
  }
  const seconds = (performance.now() - t0) / 1000;
  const front = o.front().map((s) => s.objectives);
  const hv = lib.hypervolume(front, [1, 1]);
  return { seed, hv, front, frontSize: front.length, evaluations: o.progress().evaluations, generations: o.progress().generations, seconds, slices };
}

async function run(options = {}) {
  // Also accepts an argv list (['--quick', ...]) as bench/optimizer/index.js passes to its parts.
  const { quick = false } = Array.isArray(options) ? { quick: options.includes('--quick') } : options;
  const lib = load();
  const runs = SEEDS.map((seed) => runOnce(lib, 1, seed));
  const zdt2 = SEEDS.map((seed) => runOnce(lib, 2, seed));
  const hvs = runs.map((r) => r.hv);
  const worst = Math.min(...hvs);
  const mean = hvs.reduce((s, v) => s + v, 0) / hvs.length;
  const slices = runs.flatMap((r) => r.slices).sort((a, b) => a - b);
  const p99 = percentile(slices, 99);
  const maxSlice = slices[slices.length - 1];

  const targets = [
    {
      name: 'ZDT1 (30 variables) NSGA-II hypervolume, reference (1, 1), 25,000 evaluations',
      value: worst,
      display: `worst ${round(worst, 4)}, mean ${round(mean, 4)} over seeds ${SEEDS.join(', ')} (${hvs.map((v) => round(v, 4)).join(', ')}; true front 0.6667)`,
      target: `>= ${TARGET_HV} for every seed`,
      pass: worst >= TARGET_HV,
    },
  ];
  const checks = [
    {
      name: 'ZDT1 evaluations per run',
      value: runs.map((r) => r.evaluations),
      display: `${runs.map((r) => r.evaluations).join(', ')} (${runs.map((r) => r.generations).join(', ')} generations)`,
      target: `= ${EVALUATIONS}`,
      pass: runs.every((r) => r.evaluations === EVALUATIONS),
    },
    {
      name: `NSGA-II synchronous slices (step(${SLICE_MS}))`,
      value: p99,
      display: `p99 ${round(p99, 1)} ms, max ${round(maxSlice, 1)} ms over ${slices.length} slices`,
      target: 'p99 <= 20 ms',
      pass: p99 <= 20,
    },
  ];
  if (!quick) {
    const once = runOnce(lib, 1, 1, false);
    const same = JSON.stringify(once.front) === JSON.stringify(runs[0].front);
    checks.push({ name: 'repeatable: seed 1 at once = in slices', value: same, display: same ? `identical fronts (HV ${round(once.hv, 6)})` : `fronts differ (HV ${once.hv} vs ${runs[0].hv})`, target: 'identical', pass: same });
  }
  const table = [
    ...runs.map((r) => ({ problem: 'ZDT1', seed: r.seed, hypervolume: round(r.hv, 4), trueFront: 0.6667, frontSize: r.frontSize, evaluations: r.evaluations, seconds: round(r.seconds, 2) })),
    ...zdt2.map((r) => ({ problem: 'ZDT2 (info)', seed: r.seed, hypervolume: round(r.hv, 4), trueFront: 0.3333, frontSize: r.frontSize, evaluations: r.evaluations, seconds: round(r.seconds, 2) })),
  ];
  const config = { variables: VARIABLES, evaluations: EVALUATIONS, seeds: SEEDS, populationSize: 100, reference: [1, 1], sliceMs: SLICE_MS, quick };
  return { name: NAME, config, targets, checks, table, rows: table, skipped: [] };
}


module.exports = { name: NAME, describe: 'NSGA-II on ZDT1 (30 variables, 25,000 evaluations, 3 seeds): hypervolume', run };

if (require.main === module) {
  const quick = process.argv.includes('--quick');
  run({ quick }).then(
    (result) => {
      printTable(result.table);
      printVerdicts(result);
      process.exit([...result.targets, ...result.checks].every((i) => i.pass) ? 0 : 1);
    },
    (err) => {
      console.error(`[${NAME}] failed: ${err.stack || err}`);
      process.exit(2);
    },
  );
}
