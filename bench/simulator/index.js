#!/usr/bin/env node
'use strict';
/**
 * Simulation-core benchmark (run by `npm run bench`, or alone: `node bench/simulator/index.js`
 * after `npx tsc -p tsconfig.json`). Core from dist/, one process, plus SimPy in a child process:
 *
 *   queueing theory   simulateLine over 1,000,000 parts after 20,000 warm-up parts:
 *                     M/M/1 (λ=0.8, μ=1): mean time in system vs 1/(μ−λ) = 5, utilisation vs ρ = 0.8;
 *                     tandem Jackson network (λ=0.5; μ=1, 0.8, 0.9; infinite buffers): mean time in
 *                     system vs Σ 1/(μi−λ) = 7.833, each station's working share vs λ/μi. Within 2 %.
 *   speed vs SimPy    the same tandem model, 200,000 parts after 10,000 warm-up, in our core (one JIT
 *                     warm-up run, then best of 3) and in idiomatic SimPy 3 (tandem_simpy.py beside this
 *                     file: a source process, a process per part, a Resource per station), one run.
 *                     Parts/s = all departures (warm-up included) / wall time of the whole run. Events
 *                     are counted alike on both sides: one per arrival plus one per service completion
 *                     (the core's `events`; counted inside the SimPy model, not SimPy's kernel events).
 *                     Target: our parts/s >= 10 × SimPy's. Without an importable `simpy` module
 *                     (Debian: python3-simpy3; python3-simpy is SimPy 2, which has no `simpy` module)
 *                     nothing is installed: one line says so and the target is skipped (listed under
 *                     `skipped`, not under `targets`).
 *   RK4               integrateRk4 on dy/dt = (u − y)/τ, τ=1, u=1, y(0)=0, dt=0.01, to t=5, vs
 *                     1 − e^(−5): absolute error <= 1e-6.
 * Results: a table on stdout and bench/out/simulator.json (`targets`, `checks`). Exit 1 if missed.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { writeVerdict, printVerdicts, exitWith } = require('../lib/verdict');
const { spawnSync } = require('node:child_process');

const root = path.resolve(__dirname, '..', '..');
const ACCURACY_PARTS = 1_000_000;
const ACCURACY_WARMUP = 20_000;
const SPEED_PARTS = 200_000;
const SPEED_WARMUP = 10_000;
const TOLERANCE = 0.02;
const SPEED_FACTOR = 10;
const RK4_TOLERANCE = 1e-6;
const LAMBDA = 0.5;
const MUS = [1, 0.8, 0.9];

function load() {
  const line = path.join(root, 'dist', 'core', 'simulation', 'des', 'line.js');
  const ode = path.join(root, 'dist', 'core', 'simulation', 'ode.js');
  if (!fs.existsSync(line) || !fs.existsSync(ode)) throw new Error('dist/ is not built: run `npx tsc -p tsconfig.json` first.');
  return { ...require(line), ...require(ode) };
}

const round = (v, d = 0) => Math.round(v * 10 ** d) / 10 ** d;
const fmt = (v) => round(v).toLocaleString('en');
const relErr = (got, want) => Math.abs(got - want) / Math.abs(want);
const pct = (e) => `${round(e * 100, 2)} %`;

function lineSpec(lambda, mus) {
  return {
    source: { interarrival: { kind: 'exponential', mean: 1 / lambda } },
    stations: mus.map((mu, i) => ({ name: `S${i + 1}`, servers: 1, buffer: Infinity, processing: { kind: 'exponential', mean: 1 / mu } })),
  };
}

function timed(fn) {
  const start = process.hrtime.bigint();
  const value = fn();
  return { value, seconds: Number(process.hrtime.bigint() - start) / 1e9 };
}

/** First python able to import simpy >= 3 (the pyenv `python3` may not see Debian's dist-packages). */
function findSimpy() {
  const tried = [];
  for (const py of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(py, ['-c', 'import simpy, sys; sys.exit(0 if hasattr(simpy, "Environment") else 3)'], { encoding: 'utf8' });
    tried.push(`${py}: ${r.error ? r.error.code : r.status === 0 ? 'ok' : (r.stderr || '').trim().split('\n').pop() || `exit ${r.status}`}`);
    if (!r.error && r.status === 0) return { python: py, tried };
  }
  return { python: undefined, tried };
}

function main() {
  const { simulateLine, integrateRk4 } = load();
  const targets = [];
  const checks = [];
  const skipped = [];

  // --- Queueing theory -------------------------------------------------------------------------
  const mm1 = timed(() => simulateLine(lineSpec(0.8, [1]), { seed: 11, parts: ACCURACY_PARTS, warmupParts: ACCURACY_WARMUP }));
  const mm1T = 1 / (1 - 0.8);
  const mm1Terr = relErr(mm1.value.meanTimeInSystem, mm1T);
  const mm1Uerr = relErr(mm1.value.stations[0].working, 0.8);
  targets.push({ name: 'M/M/1 mean time in system', value: mm1.value.meanTimeInSystem, expected: mm1T, relError: mm1Terr, display: `${round(mm1.value.meanTimeInSystem, 4)} vs 1/(μ−λ) = ${round(mm1T, 4)} (${pct(mm1Terr)})`, target: `within ${TOLERANCE * 100} %`, pass: mm1Terr <= TOLERANCE });
  targets.push({ name: 'M/M/1 utilisation', value: mm1.value.stations[0].working, expected: 0.8, relError: mm1Uerr, display: `${round(mm1.value.stations[0].working, 4)} vs ρ = 0.8 (${pct(mm1Uerr)})`, target: `within ${TOLERANCE * 100} %`, pass: mm1Uerr <= TOLERANCE });

  const jack = timed(() => simulateLine(lineSpec(LAMBDA, MUS), { seed: 12, parts: ACCURACY_PARTS, warmupParts: ACCURACY_WARMUP }));
  const jackT = MUS.reduce((s, mu) => s + 1 / (mu - LAMBDA), 0);
  const jackTerr = relErr(jack.value.meanTimeInSystem, jackT);
  targets.push({ name: 'Jackson tandem mean time in system', value: jack.value.meanTimeInSystem, expected: jackT, relError: jackTerr, display: `${round(jack.value.meanTimeInSystem, 4)} vs Σ 1/(μi−λ) = ${round(jackT, 4)} (${pct(jackTerr)})`, target: `within ${TOLERANCE * 100} %`, pass: jackTerr <= TOLERANCE });
  MUS.forEach((mu, i) => {
    const u = jack.value.stations[i].working;
    const e = relErr(u, LAMBDA / mu);
    targets.push({ name: `Jackson tandem utilisation S${i + 1}`, value: u, expected: LAMBDA / mu, relError: e, display: `${round(u, 4)} vs λ/μ = ${round(LAMBDA / mu, 4)} (${pct(e)})`, target: `within ${TOLERANCE * 100} %`, pass: e <= TOLERANCE });
  });
  checks.push({ name: 'accuracy runs completed their parts', display: `M/M/1 ${fmt(mm1.value.partsCompleted)} parts in ${round(mm1.seconds, 2)} s, tandem ${fmt(jack.value.partsCompleted)} parts in ${round(jack.seconds, 2)} s`, pass: mm1.value.partsCompleted === ACCURACY_PARTS && jack.value.partsCompleted === ACCURACY_PARTS && mm1.value.stopReason === 'parts' && jack.value.stopReason === 'parts' });

  // --- Speed: core vs SimPy -------------------------------------------------------------------
  const spec = lineSpec(LAMBDA, MUS);
  const speedOpts = { seed: 1, parts: SPEED_PARTS, warmupParts: SPEED_WARMUP };
  simulateLine(spec, speedOpts); // JIT warm-up
  const coreRuns = [];
  for (let k = 0; k < 3; k++) {
    const r = timed(() => simulateLine(spec, speedOpts));
    const departed = SPEED_PARTS + SPEED_WARMUP;
    coreRuns.push({ seconds: r.seconds, events: r.value.events, partsPerSecond: departed / r.seconds, eventsPerSecond: r.value.events / r.seconds, meanTimeInSystem: r.value.meanTimeInSystem });
  }
  const core = coreRuns.reduce((a, b) => (b.partsPerSecond > a.partsPerSecond ? b : a));

  let simpy;
  const found = findSimpy();
  if (!found.python) {
    console.log(`[simulator] SimPy is missing (no importable simpy >= 3: ${found.tried.join('; ')}); skipping the SimPy speed target (Debian package: python3-simpy3)`);
    skipped.push({ name: 'core vs SimPy, parts/s', reason: 'SimPy missing', tried: found.tried, target: `>= ${SPEED_FACTOR} × SimPy` });
  } else {
    const script = path.join(__dirname, 'tandem_simpy.py');
    const r = spawnSync(found.python, [script, String(SPEED_PARTS), String(SPEED_WARMUP), '1', String(LAMBDA), ...MUS.map(String)], { encoding: 'utf8', timeout: 180_000 });
    if (r.error || r.status !== 0) {
      targets.push({ name: 'core vs SimPy, parts/s', display: `SimPy run failed: ${r.error ? r.error.message : (r.stderr || '').trim().split('\n').pop()}`, target: `>= ${SPEED_FACTOR} × SimPy`, pass: false });
    } else {
      simpy = { interpreter: found.python, ...JSON.parse(r.stdout.trim().split('\n').pop()) };
      const ratio = core.partsPerSecond / simpy.partsPerSecond;
      const eventRatio = core.eventsPerSecond / simpy.eventsPerSecond;
      targets.push({ name: 'core vs SimPy, parts/s', value: ratio, display: `${round(ratio, 1)} × (core ${fmt(core.partsPerSecond)} parts/s, SimPy ${simpy.simpy} ${fmt(simpy.partsPerSecond)} parts/s; events/s ${fmt(core.eventsPerSecond)} vs ${fmt(simpy.eventsPerSecond)} = ${round(eventRatio, 1)} ×)`, target: `>= ${SPEED_FACTOR} × SimPy`, pass: ratio >= SPEED_FACTOR });
      const simErr = relErr(simpy.meanTimeInSystem, jackT);
      checks.push({ name: 'SimPy model agrees with theory', display: `SimPy mean time in system ${round(simpy.meanTimeInSystem, 4)} vs ${round(jackT, 4)} (${pct(simErr)}; 200,000 parts, loose 5 % check)`, pass: simErr <= 0.05 });
      checks.push({ name: 'same event count per part', display: `core ${fmt(core.events)} events, SimPy model ${fmt(simpy.events)} events for ${fmt(SPEED_PARTS + SPEED_WARMUP)} parts`, pass: Math.abs(core.events - simpy.events) <= 10 });
    }
  }

  // --- RK4 ------------------------------------------------------------------------------------
  const tau = 1;
  const u = 1;
  const rk = timed(() => integrateRk4((t, y, d) => { d[0] = (u - y[0]) / tau; }, [0], 0, 5, 0.01));
  const exact = u * (1 - Math.exp(-5 / tau));
  const rkErr = Math.abs(rk.value[0] - exact);
  targets.push({ name: 'RK4 first-order lag at t=5', value: rkErr, display: `y = ${rk.value[0].toPrecision(12)} vs 1 − e^−5 = ${exact.toPrecision(12)}, |error| ${rkErr.toExponential(2)}`, target: `<= ${RK4_TOLERANCE}`, pass: rkErr <= RK4_TOLERANCE });

  const result = {
    bench: 'simulator',
    date: new Date().toISOString(),
    command: 'node bench/simulator/index.js',
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version, loadAverageAtStart: os.loadavg().map((v) => round(v, 2)) },
    config: { accuracyParts: ACCURACY_PARTS, accuracyWarmup: ACCURACY_WARMUP, speedParts: SPEED_PARTS, speedWarmup: SPEED_WARMUP, lambda: LAMBDA, mus: MUS, seeds: { mm1: 11, tandem: 12, speed: 1 }, eventCounting: 'one per arrival + one per service completion (4 per part in the 3-station line), both sides' },
    coreRuns: coreRuns.map((x) => ({ seconds: round(x.seconds, 4), partsPerSecond: round(x.partsPerSecond), eventsPerSecond: round(x.eventsPerSecond), events: x.events })),
    simpy,
    targets,
    checks,
    skipped,
  };
  writeVerdict('simulator', result);
  for (const x of result.coreRuns) console.log(`[simulator] core run: ${x.seconds} s, ${x.partsPerSecond.toLocaleString('en')} parts/s, ${x.eventsPerSecond.toLocaleString('en')} events/s`);
  if (simpy) console.log(`[simulator] SimPy ${simpy.simpy} (${simpy.interpreter}, Python ${simpy.python}): ${round(simpy.wallSeconds, 3)} s, ${fmt(simpy.partsPerSecond)} parts/s, ${fmt(simpy.eventsPerSecond)} events/s`);
  printVerdicts(result);
  for (const x of skipped) console.log(`SKIP  ${x.name}: ${x.reason} (target ${x.target})`);
  console.log('results: bench/out/simulator.json');
  return result.pass;
}

exitWith('simulator', main);
