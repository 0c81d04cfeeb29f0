'use strict';
/**
 * Job-shop part of the optimizer benchmark (driven by bench/optimizer/index.js).
 *
 * Method: the pure-JS solver (dist/core/optimisation/jobshop, solveJobShop) runs on the classic
 * instances read in place from ../shared/data/jobshop/instances (OR-Library format), one after the
 * other in this process, seed 1, makespan objective, a wall-clock limit per instance:
 *   ft10            10 s            target: makespan <= 939 (within 1 % of the optimum 930)
 *   la01 .. la40    10 s each       target: mean gap <= 1.5 %, gap = 100·(makespan − lb)/lb with lb
 *                                   the lower_bound column of optima.csv (equal to the optimum here)
 * Every returned schedule is checked by the independent checker (checkSchedule: completeness,
 * durations, job precedence, machine overlap); any violation fails the run. Also checked: each run
 * stays within its time limit (+0.5 s), and "optimal" is claimed only when the makespan equals the
 * solver's own proven lower bound. Reported per instance: makespan, gap, status, time to the best
 * solution, time to within 1 % of the bound (from the anytime reports), iterations. The machine is shared and noisy (2 cores): times are wall-clock.
 *
 * A run stops early when the makespan is proven optimal (equal to the solver's lower bound), so the
 * full part takes about 3 minutes rather than 41 × 10 s.
 * Options: --quick (2 s per instance), --time <s>, --instances ft10,la01,..., --seed <n>.
 * Without the data directory the part prints one line and is skipped (exit 0).
 */
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');
const dataDir = path.resolve(root, '..', 'shared', 'data', 'jobshop');
const FT10_TARGET = 939;
const MEAN_GAP_TARGET = 1.5;
const LA = Array.from({ length: 40 }, (_, i) => `la${String(i + 1).padStart(2, '0')}`);

function option(argv, name) {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

function readOptima() {
  const lines = fs.readFileSync(path.join(dataDir, 'optima.csv'), 'utf8').trim().split(/\r?\n/);
  const head = lines[0].split(',');
  const col = (k) => head.indexOf(k);
  const out = new Map();
  for (const line of lines.slice(1)) {
    const c = line.split(',');
    out.set(c[col('instance')], { jobs: Number(c[col('jobs')]), machines: Number(c[col('machines')]), lb: Number(c[col('lower_bound')]), ub: Number(c[col('upper_bound')]) });
  }
  return out;
}

const round = (v, d = 0) => Math.round(v * 10 ** d) / 10 ** d;

function run(argv) {
  const quick = argv.includes('--quick');
  const timeLimit = Number(option(argv, '--time') || (quick ? 2 : 10));
  const seed = Number(option(argv, '--seed') || 1);
  const only = option(argv, '--instances');
  const names = only ? only.split(',') : ['ft10', ...LA];
  const config = { timeLimitSeconds: timeLimit, seed, quick, instances: names, data: dataDir };
  if (!fs.existsSync(path.join(dataDir, 'optima.csv'))) {
    console.log(`[optimizer] jobshop: no data at ${dataDir} (instances/, optima.csv): skipped`);
    return { config, rows: [], targets: [], checks: [], skipped: [{ name: 'jobshop', reason: `no data at ${dataDir}` }] };
  }
  const jobshopDist = path.join(root, 'dist', 'core', 'optimisation', 'jobshop', 'index.js');
  if (!fs.existsSync(jobshopDist)) throw new Error('dist/ is not built: run `npx tsc -p tsconfig.json` first.');
  const { solveJobShop, checkSchedule } = require(jobshopDist);
  const optima = readOptima();

  const rows = [];
  for (const name of names) {
    const text = fs.readFileSync(path.join(dataDir, 'instances', `${name}.txt`), 'utf8');
    const ref = optima.get(name);
    // Time at which the search first got within 1 % of the reference bound (from the anytime reports).
    let within1 = null;
    const onImprovement = (x) => {
      if (within1 === null && ref && x.makespan <= Math.floor(1.01 * ref.lb)) within1 = x.elapsedMs;
    };
    const t = process.hrtime.bigint();
    const r = solveJobShop({ instance: text }, { timeLimit, seed, onImprovement });
    const wallMs = Number(process.hrtime.bigint() - t) / 1e6;
    const violations = checkSchedule({ instance: text }, r.operations);
    const gap = ref ? (100 * (r.makespan - ref.lb)) / ref.lb : NaN;
    const row = {
      instance: name,
      size: ref ? `${ref.jobs}x${ref.machines}` : '?',
      lb: ref ? ref.lb : null,
      makespan: r.makespan,
      gapPercent: round(gap, 2),
      status: r.status,
      solverLowerBound: r.lowerBound,
      timeToBestSeconds: round(r.timeToBestMs / 1000, 2),
      timeToWithin1PercentSeconds: within1 === null ? null : round(within1 / 1000, 2),
      wallSeconds: round(wallMs / 1000, 2),
      iterations: r.iterations,
      iterationsPerSecond: Math.round(r.iterations / Math.max(1e-3, r.elapsedMs / 1000)),
      initial: `${r.initialRule} ${r.initialObjectiveValue}`,
      violations: violations.length,
      firstViolation: violations[0] ? violations[0].message : undefined,
    };
    rows.push(row);
    console.log(`[optimizer] ${name.padEnd(5)} ${row.size.padEnd(6)} makespan ${String(row.makespan).padStart(5)}  lb ${String(row.lb).padStart(5)}  gap ${row.gapPercent.toFixed(2).padStart(5)} %  ${row.status.padEnd(8)}  best at ${row.timeToBestSeconds.toFixed(2).padStart(5)} s  ${row.iterations} it${row.violations ? `  ${row.violations} VIOLATIONS: ${row.firstViolation}` : ''}`);
  }

  // Table.
  console.log('');
  console.log('instance  size    lb     makespan  gap %   status    best at s  <=1% at s  iterations  it/s');
  for (const x of rows) {
    const w1 = x.timeToWithin1PercentSeconds === null ? '-' : x.timeToWithin1PercentSeconds.toFixed(2);
    console.log(`${x.instance.padEnd(9)} ${x.size.padEnd(7)} ${String(x.lb).padStart(5)}  ${String(x.makespan).padStart(8)}  ${x.gapPercent.toFixed(2).padStart(5)}   ${x.status.padEnd(8)}  ${x.timeToBestSeconds.toFixed(2).padStart(9)}  ${w1.padStart(9)}  ${String(x.iterations).padStart(10)}  ${String(x.iterationsPerSecond).padStart(6)}`);
  }
  const la = rows.filter((x) => /^la\d\d$/.test(x.instance));
  const meanGap = la.length ? la.reduce((a, x) => a + x.gapPercent, 0) / la.length : NaN;
  const atOptimum = la.filter((x) => x.gapPercent === 0).length;
  if (la.length) console.log(`la mean gap ${round(meanGap, 3)} % over ${la.length} instances (${atOptimum} at the optimum), max ${Math.max(...la.map((x) => x.gapPercent)).toFixed(2)} %`);
  console.log('');

  const targets = [];
  const ft10 = rows.find((x) => x.instance === 'ft10');
  if (ft10) targets.push({ name: `jobshop ft10 makespan in ${timeLimit} s`, value: ft10.makespan, display: `${ft10.makespan} (optimum 930, gap ${ft10.gapPercent.toFixed(2)} %, <= 939 at ${ft10.timeToWithin1PercentSeconds ?? '-'} s, best at ${ft10.timeToBestSeconds} s)`, target: `<= ${FT10_TARGET}`, pass: ft10.makespan <= FT10_TARGET });
  if (la.length === 40) {
    targets.push({ name: `jobshop la01–la40 mean gap, ${timeLimit} s each`, value: round(meanGap, 3), display: `${round(meanGap, 3)} % (${atOptimum}/40 at the optimum, max ${Math.max(...la.map((x) => x.gapPercent)).toFixed(2)} %)`, target: `<= ${MEAN_GAP_TARGET} %`, pass: meanGap <= MEAN_GAP_TARGET });
  }
  const bad = rows.filter((x) => x.violations > 0);
  const slow = rows.filter((x) => x.wallSeconds > timeLimit + 0.5);
  const falseOptimal = rows.filter((x) => x.status === 'optimal' && x.makespan !== x.solverLowerBound);
  const belowLb = rows.filter((x) => x.lb !== null && x.makespan < x.lb);
  const checks = [
    { name: 'jobshop schedules valid (checkSchedule)', display: bad.length ? `${bad.length} invalid: ${bad.map((x) => `${x.instance}: ${x.firstViolation}`).join('; ')}` : `${rows.length} schedules, no violation`, pass: bad.length === 0 },
    { name: 'jobshop time limit held', display: slow.length ? `over ${timeLimit} s + 0.5: ${slow.map((x) => `${x.instance} ${x.wallSeconds} s`).join(', ')}` : `every run <= ${timeLimit} s + 0.5 s (max ${Math.max(...rows.map((x) => x.wallSeconds))} s)`, pass: slow.length === 0 },
    { name: 'jobshop "optimal" only when proven', display: falseOptimal.length ? falseOptimal.map((x) => x.instance).join(', ') : `${rows.filter((x) => x.status === 'optimal').length} proven optimal, each equal to its lower bound`, pass: falseOptimal.length === 0 && belowLb.length === 0 },
  ];
  return { config, rows, targets, checks, skipped: [] };
}

module.exports = { name: 'jobshop', describe: 'tabu search on ft10 and la01–la40 (10 s each; --quick 2 s)', run };
