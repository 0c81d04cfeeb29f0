#!/usr/bin/env node
'use strict';
/**
 * Remaining-useful-life benchmark on NASA C-MAPSS FD001 (run by `npm run bench`, or alone:
 * `node bench/health/index.js` after `npx tsc -p tsconfig.json`). Core from dist/, one process.
 *
 *   data       ../../../shared/data/cmapss/{train,test,RUL}_FD001.txt beside the project (read in
 *              place, never copied into it). 100 training engines run to failure (20,631 cycles),
 *              100 test engines cut before failure, and their true RUL at the cut. Without the files
 *              one line says so, the run is listed under `skipped`, exit 0.
 *   model      HealthModel with its defaults: the 21 sensors, (near-)constant columns dropped on the
 *              training data (14 remain: the usual choice), per sensor over the trailing 30 cycles the
 *              recent value (mean of the last 5), the window mean and the least-squares slope (42
 *              features, min-max scaled on the training set); targets RUL capped at 125 (the usual
 *              piecewise-linear target); brain.js MLP 42-32-1 (sigmoid), 40 epochs of online SGD,
 *              learning rate 0.1 → 0.005, momentum 0.5, seed 1; trained with the sliced trainer
 *              (feature extraction included), so the event loop is never held for more than a slice.
 *   measure    RUL predicted at each test engine's last cycle; RMSE against RUL_FD001 (the truth as
 *              given, uncapped; the RMSE against the truth capped at 125, which some papers use, is
 *              reported too), beside the published CNN (Babu et al. 2016) 18.45 and deep LSTM
 *              (Zheng et al. 2017) 16.14. The PHM08 score (asymmetric, late predictions cost more) is
 *              reported as information beside the same papers' 1,287 and 338.
 *   target     RMSE ≤ 18.0 (below the CNN). Model seeds 1–4 gave 16.48, 16.28, 16.15, 16.24; training is
 *              repeatable from the seed (chunk sizes do not change the SGD updates), so the figure
 *              only moves if the code or data do.
 *   checks     p99 of the synchronous training slices ≤ 20 ms (as the ingest latency target, a p99:
 *              slices are wall-clock, and on this shared 2-core VM another busy process can stretch
 *              one; the max, feature extraction included, and the largest gap a 5 ms timer saw
 *              during training are reported beside it); the whole run < 180 s.
 * Results: a table on stdout and bench/out/health.json (`targets`, `checks`, `skipped`). Exit 1 if missed.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { timerGapProbe } = require('../lib/timer-gap');
const { writeVerdict, printVerdicts } = require('../lib/verdict');

const root = path.resolve(__dirname, '..', '..');
const DATA_DIR = path.resolve(__dirname, '../../../shared/data/cmapss');
const FILES = { train: 'train_FD001.txt', test: 'test_FD001.txt', rul: 'RUL_FD001.txt' };
const TARGET_RMSE = 18.0;
const PUBLISHED = { cnn: { rmse: 18.45, score: 1287, ref: 'Babu, Zhao, Li 2016 (CNN)' }, lstm: { rmse: 16.14, score: 338, ref: 'Zheng et al. 2017 (deep LSTM)' } };
const RUN_LIMIT_S = 180;

const round = (v, d = 0) => Math.round(v * 10 ** d) / 10 ** d;

function load() {
  const file = path.join(root, 'dist', 'core', 'learning', 'health-model.js');
  if (!fs.existsSync(file)) throw new Error('dist/ is not built: run `npx tsc -p tsconfig.json` first.');
  return require(file);
}

/** PHM08 scoring function: Σ e^(−d/13) − 1 for early (d < 0), e^(d/10) − 1 for late predictions. */
function phmScore(pred, truth) {
  let s = 0;
  for (let i = 0; i < pred.length; i++) {
    const d = pred[i] - truth[i];
    s += d < 0 ? Math.exp(-d / 13) - 1 : Math.exp(d / 10) - 1;
  }
  return s;
}

function machine() {
  return { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version, loadAverageAtStart: os.loadavg().map((v) => round(v, 2)) };
}

async function main() {
  const started = performance.now();
  const missing = Object.values(FILES).filter((f) => !fs.existsSync(path.join(DATA_DIR, f)));
  if (missing.length > 0) {
    console.log(`[health] C-MAPSS FD001 not found (${missing.join(', ')} missing in ${DATA_DIR}); skipping the RUL benchmark`);
    writeVerdict('health', { bench: 'health', date: new Date().toISOString(), command: 'node bench/health/index.js', machine: machine(), targets: [], checks: [], skipped: [{ name: 'C-MAPSS FD001 RUL RMSE', reason: `data missing: ${missing.join(', ')}`, target: `<= ${TARGET_RMSE}` }] });
    return true;
  }
  const { HealthModel, parseCmapss } = load();
  const read = (f) => fs.readFileSync(path.join(DATA_DIR, f), 'utf8');
  const parseStart = performance.now();
  const train = parseCmapss(read(FILES.train));
  const test = parseCmapss(read(FILES.test));
  const trueRul = read(FILES.rul).split(/\s+/).filter((x) => x !== '').map(Number);
  const parseMs = performance.now() - parseStart;
  if (trueRul.length !== test.size || trueRul.some((x) => !Number.isFinite(x))) throw new Error(`${FILES.rul} has ${trueRul.length} values for ${test.size} test engines`);
  const trainUnits = [...train.values()].map((u) => u.sensors);
  const testUnits = [...test.values()].map((u) => u.sensors);
  let trainCycles = 0;
  for (const u of trainUnits) trainCycles += u.length;

  const model = new HealthModel();
  const probe = timerGapProbe();
  const trained = await model.train(trainUnits);
  const maxGap = probe.stop();

  const pred = testUnits.map((u) => model.predictRul(u));
  const rmse = model.evaluate(testUnits, trueRul);
  const score = phmScore(pred, trueRul);
  const mae = pred.reduce((s, p, i) => s + Math.abs(p - trueRul[i]), 0) / pred.length;
  const capped = Math.sqrt(pred.reduce((s, p, i) => s + (p - Math.min(125, trueRul[i])) ** 2, 0) / pred.length);
  const totalS = (performance.now() - started) / 1000;

  const targets = [
    { name: 'C-MAPSS FD001 test RMSE (RUL at each engine\'s last cycle)', value: rmse, display: `${round(rmse, 2)} cycles (published: CNN ${PUBLISHED.cnn.rmse}, deep LSTM ${PUBLISHED.lstm.rmse})`, target: `<= ${TARGET_RMSE}`, pass: rmse <= TARGET_RMSE },
  ];
  const checks = [
    { name: 'synchronous training slices, p99', value: trained.p99SliceMs, display: `p99 ${round(trained.p99SliceMs, 1)} ms, max ${round(trained.maxSliceMs, 1)} ms incl. feature extraction (${trained.slices} training slices, mean ${round(trained.meanSliceMs, 1)} ms; 5 ms timer max gap ${round(maxGap, 1)} ms)`, target: 'p99 <= 20 ms', pass: trained.p99SliceMs <= 20 },
    { name: 'whole run time', value: totalS, display: `${round(totalS, 1)} s (training ${round(trained.elapsedMs / 1000, 1)} s)`, target: `< ${RUN_LIMIT_S} s`, pass: totalS < RUN_LIMIT_S },
  ];
  const result = {
    bench: 'health',
    date: new Date().toISOString(),
    command: 'node bench/health/index.js',
    machine: machine(),
    data: { dir: DATA_DIR, trainEngines: train.size, trainCycles, testEngines: test.size, parseMs: round(parseMs, 1) },
    config: { window: 30, recent: 5, rulCap: 125, hiddenLayers: [32], epochs: 40, learningRate: '0.1 → 0.005', momentum: 0.5, seed: 1, sensorsUsed: trained.sensors.map((j) => `s${j + 1}`), sensorsDropped: trained.dropped.map((j) => `s${j + 1}`), features: trained.features, samples: trained.samples },
    test: { rmse, mae, rmseAgainstCappedTruth: capped, phmScore: score, published: PUBLISHED },
    training: { seconds: round(trained.elapsedMs / 1000, 2), prepareMs: round(trained.prepareMs, 1), epochs: trained.epochs, stopReason: trained.stopReason, finalTrainingMse: trained.error, maxSliceMs: round(trained.maxSliceMs, 2), p99SliceMs: round(trained.p99SliceMs, 2), meanSliceMs: round(trained.meanSliceMs, 2), slices: trained.slices, trainCalls: trained.trainCalls, batchSize: trained.batchSize, timerMaxGapMs: round(maxGap, 1) },
    targets,
    checks,
    skipped: [],
  };
  writeVerdict('health', result);
  console.log(`[health] FD001: ${train.size} training engines (${trainCycles} cycles), ${test.size} test engines; parsed in ${round(parseMs)} ms`);
  console.log(`[health] sensors used: ${result.config.sensorsUsed.join(' ')}; dropped as (near-)constant: ${result.config.sensorsDropped.join(' ')}`);
  console.log('[health] | model | RMSE | PHM08 score |');
  console.log(`[health] | this (windowed-feature MLP, brain.js) | ${round(rmse, 2)} | ${round(score)} |`);
  console.log(`[health] | ${PUBLISHED.cnn.ref} | ${PUBLISHED.cnn.rmse} | ${PUBLISHED.cnn.score} |`);
  console.log(`[health] | ${PUBLISHED.lstm.ref} | ${PUBLISHED.lstm.rmse} | ${PUBLISHED.lstm.score} |`);
  console.log(`[health] MAE ${round(mae, 2)}; RMSE against truth capped at 125: ${round(capped, 2)}`);
  console.log(`[health] training: ${round(trained.elapsedMs / 1000, 1)} s (features ${round(trained.prepareMs)} ms), ${trained.epochs} epochs over ${trained.samples} samples, slices p99 ${round(trained.p99SliceMs, 1)} ms / max ${round(trained.maxSliceMs, 1)} ms, 5 ms timer max gap ${round(maxGap, 1)} ms`);
  printVerdicts(result);
  console.log('results: bench/out/health.json');
  return result.pass;
}

main().then(
  (pass) => process.exit(pass ? 0 : 1),
  (err) => {
    console.error(`[health] failed: ${err.stack || err}`);
    process.exit(2);
  },
);
