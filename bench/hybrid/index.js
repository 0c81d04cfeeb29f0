#!/usr/bin/env node
'use strict';
/**
 * Hybrid physics + learning benchmark (run by `npm run bench`, or alone: `node bench/hybrid/index.js`
 * after `npx tsc -p tsconfig.json`). Core from dist/, one process, everything seeded:
 *
 *   plant        a heated tank, T in °C, sampled every Δ = 10 s:
 *                  true:    dT/dt = (P·eta − k·(T − Ta) − c·(T − Ta)²) / C
 *                  physics: dT/dt = (P·eta − k·(T − Ta)) / C          (the twin's model: no c term)
 *                C = 8000 J/K, eta = 0.9, k = 12 W/K, c = 0.08 W/K² (a nonlinear loss, e.g.
 *                convection/radiation, that the twin does not model); ambient Ta = 20 + 5·sin(2πt/6 h);
 *                heater power P piecewise constant, a new level U(0, 3000) W every U(5, 25) min (seeded).
 *                The truth is integrated with RK4 (integrateRk4, dt 0.5 s); the measured T has Gaussian
 *                noise σ = 0.2 K. Both equations go through the twin's parseStateEquation.
 *   prediction   one step ahead: from the measured T at t, with P and Ta at t, integrate the physics
 *                equation over Δ with RK4 (dt 1 s) → physics prediction of T(t + Δ). Residual =
 *                measured T(t + Δ) − physics prediction.
 *   learning     ResidualModel (capacity 2,000 rows, one hidden layer of 12, 150 epochs, learning rate
 *                0.3 → 0.02, seed 1) with features [T, P, Ta, physics prediction]. Training period:
 *                3,000 steps (8.3 h; the ring buffer keeps the last 2,000), one train() at the end,
 *                sliced (never more than a slice of synchronous work). Test period: the next 2,000
 *                steps (5.6 h), with a heater power sequence from another seed, never trained on.
 *   target       test-period RMSE of hybrid (physics + learned residual) ≤ 70 % of physics-only RMSE.
 *                The noise floor (σ on T(t+Δ) plus σ·(1 − kΔ/C) carried in from T(t)) is ≈ 0.28 K.
 *   checks       the model's own held-out blocks agree (ratio < 1); p99 of the synchronous training
 *                slices ≤ 20 ms (slices are wall-clock: on this shared 2-core VM another busy process
 *                can stretch one, so the max and the largest gap a 5 ms timer saw during training are
 *                reported beside it, not checked).
 * Results: a table on stdout and bench/out/hybrid.json (`targets`, `checks`). Exit 1 if missed.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { timerGapProbe } = require('../lib/timer-gap');
const { writeVerdict, printVerdicts } = require('../lib/verdict');

const root = path.resolve(__dirname, '..', '..');
const DT_SAMPLE = 10; // s
const TRAIN_STEPS = 3000;
const TEST_STEPS = 2000;
const NOISE = 0.2; // K
const PARAMS = { C: 8000, eta: 0.9, k: 12, c: 0.08 };
const TARGET_RATIO = 0.7;
const SEEDS = { train: 11, test: 12, noise: 13, model: 1 };
const TRUE_EQ = 'dT/dt = (P*eta - k*(T - Ta) - c*(T - Ta)^2) / C';
const PHYSICS_EQ = 'dT/dt = (P*eta - k*(T - Ta)) / C';

function load() {
  const files = ['learning/residual-model.js', 'simulation/ode.js', 'simulation/expressions.js', 'simulation/des/random.js'].map((f) => path.join(root, 'dist', 'core', f));
  for (const f of files) if (!fs.existsSync(f)) throw new Error('dist/ is not built: run `npx tsc -p tsconfig.json` first.');
  return Object.assign({}, ...files.map((f) => require(f)));
}

const round = (v, d = 0) => Math.round(v * 10 ** d) / 10 ** d;
const ambient = (t) => 20 + 5 * Math.sin((2 * Math.PI * t) / (6 * 3600));

/** Heater power per sample step: a new level U(0, 3000) W every U(30, 150) steps (5–25 min). */
function powerProfile(SeededRandom, seed, steps) {
  const r = new SeededRandom(seed);
  const p = new Float64Array(steps);
  let level = 0;
  let left = 0;
  for (let i = 0; i < steps; i++) {
    if (left <= 0) {
      level = 3000 * r.next();
      left = 30 + Math.floor(120 * r.next());
    }
    p[i] = level;
    left--;
  }
  return p;
}

function main() {
  const { ResidualModel, integrateRk4, parseStateEquation, SeededRandom } = load();
  const truthEq = parseStateEquation(TRUE_EQ);
  const physicsEq = parseStateEquation(PHYSICS_EQ);
  const scope = { ...PARAMS, T: 0, P: 0, Ta: 0 };
  const rhs = (eq, P, taAt) => (t, y, d) => {
    scope.T = y[0];
    scope.P = P;
    scope.Ta = taAt(t);
    d[0] = eq.rhs.evaluate(scope);
  };

  // --- Simulate the plant over both periods --------------------------------------------------
  const steps = TRAIN_STEPS + TEST_STEPS;
  const power = new Float64Array(steps);
  power.set(powerProfile(SeededRandom, SEEDS.train, TRAIN_STEPS), 0);
  power.set(powerProfile(SeededRandom, SEEDS.test, TEST_STEPS), TRAIN_STEPS);
  const noise = new SeededRandom(SEEDS.noise);
  const trueT = new Float64Array(steps + 1);
  const measT = new Float64Array(steps + 1);
  trueT[0] = ambient(0);
  const simStart = performance.now();
  for (let i = 0; i < steps; i++) {
    const t0 = i * DT_SAMPLE;
    trueT[i + 1] = integrateRk4(rhs(truthEq, power[i], ambient), [trueT[i]], t0, t0 + DT_SAMPLE, 0.5)[0];
  }
  for (let i = 0; i <= steps; i++) measT[i] = trueT[i] + NOISE * noise.gauss();
  // One-step-ahead physics predictions from the measured state; Ta measured at t and held.
  const physPred = new Float64Array(steps);
  for (let i = 0; i < steps; i++) {
    const t0 = i * DT_SAMPLE;
    const ta = ambient(t0);
    physPred[i] = integrateRk4(rhs(physicsEq, power[i], () => ta), [measT[i]], t0, t0 + DT_SAMPLE, 1)[0];
  }
  const simSeconds = (performance.now() - simStart) / 1000;
  const features = (i) => [measT[i], power[i], ambient(i * DT_SAMPLE), physPred[i]];

  // --- Learn the residual over the training period --------------------------------------------
  const model = new ResidualModel({ features: 4, capacity: 2000, hiddenLayers: [12], seed: SEEDS.model, training: { epochs: 150, learningRate: 0.3, finalLearningRate: 0.02 } });
  for (let i = 0; i < TRAIN_STEPS; i++) model.add(features(i), physPred[i], measT[i + 1]);

  const probe = timerGapProbe();
  return model.train().then((trained) => {
    const maxGap = probe.stop();

    // --- Test period ---------------------------------------------------------------------------
    let physSq = 0;
    let hybSq = 0;
    let trueSq = 0;
    for (let i = TRAIN_STEPS; i < steps; i++) {
      const y = measT[i + 1];
      const h = model.hybrid(features(i), physPred[i]);
      physSq += (y - physPred[i]) ** 2;
      hybSq += (y - h) ** 2;
      trueSq += (trueT[i + 1] - h) ** 2;
    }
    const physicsRmse = Math.sqrt(physSq / TEST_STEPS);
    const hybridRmse = Math.sqrt(hybSq / TEST_STEPS);
    const hybridVsTruth = Math.sqrt(trueSq / TEST_STEPS);
    const ratio = hybridRmse / physicsRmse;
    const stats = model.stats();
    let tMax = -Infinity;
    for (let i = 0; i <= steps; i++) tMax = Math.max(tMax, trueT[i]);

    const targets = [
      { name: 'hybrid RMSE / physics-only RMSE (test period, one step ahead)', value: ratio, display: `${round(ratio * 100, 1)} % (hybrid ${round(hybridRmse, 3)} K vs physics ${round(physicsRmse, 3)} K over ${TEST_STEPS} unseen steps)`, target: `<= ${TARGET_RATIO * 100} %`, pass: ratio <= TARGET_RATIO },
    ];
    const checks = [
      { name: 'model held-out blocks agree', value: stats.ratio, display: `${round(stats.ratio * 100, 1)} % (hybrid ${round(stats.hybridRmse, 3)} K vs physics ${round(stats.physicsRmse, 3)} K on ${stats.validationRows} held-out rows)`, target: '< 100 %', pass: stats.ratio < 1 },
      { name: 'synchronous training slices, p99', value: trained.p99SliceMs, display: `p99 ${round(trained.p99SliceMs, 1)} ms, max ${round(trained.maxSliceMs, 1)} ms (${trained.slices} slices, mean ${round(trained.meanSliceMs, 1)} ms, ${trained.trainCalls} brain.js train calls, last batch ${trained.batchSize} rows; 5 ms timer max gap ${round(maxGap, 1)} ms)`, target: 'p99 <= 20 ms', pass: trained.p99SliceMs <= 20 },
    ];
    const result = {
      bench: 'hybrid',
      date: new Date().toISOString(),
      command: 'node bench/hybrid/index.js',
      machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version, loadAverageAtStart: os.loadavg().map((v) => round(v, 2)) },
      config: { trueEquation: TRUE_EQ, physicsEquation: PHYSICS_EQ, params: PARAMS, ambient: '20 + 5 sin(2πt / 6 h)', sampleSeconds: DT_SAMPLE, trainSteps: TRAIN_STEPS, testSteps: TEST_STEPS, noiseK: NOISE, seeds: SEEDS, features: ['T measured', 'P', 'Ta', 'physics prediction'], model: { capacity: 2000, hiddenLayers: [12], epochs: 150, learningRate: '0.3 → 0.02' } },
      plant: { simulateSeconds: round(simSeconds, 3), maxTrueT: round(tMax, 2) },
      test: { physicsRmse, hybridRmse, ratio, hybridVsTrueT: hybridVsTruth, noiseFloor: NOISE * Math.sqrt(1 + (1 - (PARAMS.k * DT_SAMPLE) / PARAMS.C) ** 2) },
      modelStats: { rows: stats.rows, trainRows: stats.trainRows, validationRows: stats.validationRows, physicsRmse: stats.physicsRmse, hybridRmse: stats.hybridRmse, ratio: stats.ratio },
      training: { seconds: round(trained.elapsedMs / 1000, 3), epochs: trained.epochs, stopReason: trained.stopReason, maxSliceMs: round(trained.maxSliceMs, 2), p99SliceMs: round(trained.p99SliceMs, 2), meanSliceMs: round(trained.meanSliceMs, 2), slices: trained.slices, trainCalls: trained.trainCalls, batchSize: trained.batchSize, timerMaxGapMs: round(maxGap, 1) },
      targets,
      checks,
    };
    writeVerdict('hybrid', result);
    console.log(`[hybrid] plant: ${steps} steps of ${DT_SAMPLE} s simulated in ${round(simSeconds, 2)} s; true T up to ${round(tMax, 1)} °C`);
    console.log('[hybrid] | period | physics-only RMSE | hybrid RMSE | ratio |');
    console.log(`[hybrid] | model hold-out (${stats.validationRows} rows) | ${round(stats.physicsRmse, 3)} K | ${round(stats.hybridRmse, 3)} K | ${round(stats.ratio * 100, 1)} % |`);
    console.log(`[hybrid] | test (${TEST_STEPS} unseen steps) | ${round(physicsRmse, 3)} K | ${round(hybridRmse, 3)} K | ${round(ratio * 100, 1)} % |`);
    console.log(`[hybrid] hybrid vs true (noise-free) T: ${round(hybridVsTruth, 3)} K; noise floor of the measured target ≈ ${round(result.test.noiseFloor, 3)} K`);
    console.log(`[hybrid] training: ${round(trained.elapsedMs / 1000, 2)} s, ${trained.epochs} epochs over ${stats.trainRows} rows, slices p99 ${round(trained.p99SliceMs, 1)} ms / max ${round(trained.maxSliceMs, 1)} ms, 5 ms timer max gap ${round(maxGap, 1)} ms`);
    printVerdicts(result);
    console.log('results: bench/out/hybrid.json');
    return result.pass;
  });
}

Promise.resolve().then(main).then(
  (pass) => process.exit(pass ? 0 : 1),
  (err) => {
    console.error(`[hybrid] failed: ${err.stack || err}`);
    process.exit(2);
  },
);
