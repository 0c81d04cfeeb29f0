#!/usr/bin/env node
'use strict';
/**
 * Multivariate deviation on SKAB (run by `npm run bench`, or alone: `node bench/deviation/index.js`
 * after `npx tsc -p tsconfig.json`). The data is GPL and stays in ../shared/data/skab: read in place,
 * and when it is absent the benchmark says so on one line and exits 0.
 *
 * Protocol, as SKAB evaluates outlier detection: for each of the 34 labelled files (valve1/, valve2/,
 * other/) one AssetModel learns the first 400 rows (the official split) and then scores the rest one
 * row at a time. anomaly-free/anomaly-free.csv is NOT used: it was recorded in another operating
 * regime (flow ~120 vs ~32 in valve1), so it would teach the wrong normal. The predictions of all
 * test parts are concatenated and compared point-wise with the `anomaly` column:
 *   F1 = TP / (TP + (FP + FN) / 2),  FAR = 100 FP / (FP + TN),  MAR = 100 FN / (FN + TP).
 *
 * Signals: the 8 SKAB sensors, except that Temperature and Thermocouple enter as their change over
 * 10 s. Why: the water heats and cools slowly through a run, so their level drifts away from the
 * 400-row window even while the process is normal; their rate of change does not. This choice was
 * made after looking at which signals the false alarms were attributed to on the SKAB test parts
 * (a design decision taken on the benchmark as a whole, not per file); the "levels" variant shows
 * the result without it, and the "auto" variant replaces it by a per-file rule that sees only the
 * training part (difference every signal whose lag-1 autocorrelation there is >= 0.8). The target is
 * held by the "auto" variant, the one that no look at test labels shaped.
 *
 * Decision (variants):
 *   limits     isAnomaly of the model: T² above its chi-square limit or Q above Jackson–Mudholkar.
 *   streaming  score = max(T²/T²limit, Q/Qlimit), mean over the last
 *              5 rows, alarm when above the largest smoothed score of the file's own training part.
 *              Only the training part sets the threshold; test labels are used for the metrics only.
 */
const fs = require('node:fs');
const path = require('node:path');
const { writeVerdict, printVerdicts, exitWith } = require('../lib/verdict');

const root = path.resolve(__dirname, '..', '..');
const skabDir = path.resolve(root, '..', 'shared', 'data', 'skab');
const TRAIN_ROWS = 400;
const SIGNALS = ['Accelerometer1RMS', 'Accelerometer2RMS', 'Current', 'Pressure', 'Temperature', 'Thermocouple', 'Voltage', 'Volume Flow RateRMS'];
const THERMAL = ['Temperature', 'Thermocouple'];
const RATE_LAG = 10; // s (rows at 1 Hz)
const SMOOTH_ROWS = 5;
const TARGETS = { f1: 0.7, farPercent: 20 };
const PUBLISHED = [ // ../shared/README.md (SKAB outlier detection leaderboard); FAR/MAR only where given there
  ['Conv-AE', 0.78, 13.6, 28.0], ['MSET', 0.78], ['T2+Q (PCA)', 0.76], ['LSTM-AE', 0.74], ['T2', 0.66],
  ['LSTM-VAE', 0.56], ['Vanilla LSTM', 0.54], ['Vanilla AE', 0.39], ['Isolation forest', 0.29],
];

function readExperiment(file) {
  const lines = fs.readFileSync(file, 'utf8').split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = lines[0].split(';');
  const columns = SIGNALS.map((s) => header.indexOf(s));
  const label = header.indexOf('anomaly');
  if (columns.includes(-1) || label < 0) throw new Error(`${file}: unexpected columns`);
  return lines.slice(1).map((line) => {
    const cells = line.split(';');
    return { values: columns.map((c) => Number(cells[c])), anomaly: Number(cells[label]) === 1 };
  });
}

function experiments() {
  const files = [];
  for (const group of ['valve1', 'valve2', 'other']) {
    const dir = path.join(skabDir, group);
    const names = fs.readdirSync(dir).filter((n) => n.endsWith('.csv')).sort((a, b) => parseInt(a, 10) - parseInt(b, 10));
    for (const name of names) files.push({ name: `${group}/${name}`, rows: readExperiment(path.join(dir, name)) });
  }
  return files;
}

function lag1Autocorrelation(xs) {
  const mean = xs.reduce((s, v) => s + v, 0) / xs.length;
  let variance = 0;
  let lagged = 0;
  for (let i = 0; i < xs.length; i++) {
    variance += (xs[i] - mean) ** 2;
    if (i > 0) lagged += (xs[i] - mean) * (xs[i - 1] - mean);
  }
  return variance > 0 ? lagged / variance : 0;
}

/** Which signals enter as a 10 s rate of change, per variant (the auto rule sees training rows only). */
function rateSignals(features, rows) {
  if (features === 'levels') return SIGNALS.map(() => false);
  if (features === 'thermal-rate') return SIGNALS.map((s) => THERMAL.includes(s));
  const train = rows.slice(0, TRAIN_ROWS);
  return SIGNALS.map((_, j) => lag1Autocorrelation(train.map((r) => r.values[j])) >= 0.8);
}

/** Streaming feature row: what a flow would compute from the last RATE_LAG rows it has seen. */
function featureRows(rows, asRate) {
  return rows.map((row, i) => row.values.map((v, j) => (asRate[j] ? v - rows[Math.max(0, i - RATE_LAG)].values[j] : v)));
}

function runVariant(AssetModel, files, variant) {
  const counts = { tp: 0, fp: 0, tn: 0, fn: 0 };
  let worstShareError = 0;
  let scored = 0;
  for (const file of files) {
    const asRate = rateSignals(variant.features, file.rows);
    const x = featureRows(file.rows, asRate);
    const names = SIGNALS.map((s, j) => (asRate[j] ? `${s} change/${RATE_LAG}s` : s));
    const model = new AssetModel({ signals: names });
    for (let i = 0; i < TRAIN_ROWS; i++) model.learn(x[i]);
    model.fit();
    const recent = [];
    const smoothed = (value) => {
      recent.push(value);
      if (recent.length > SMOOTH_ROWS) recent.shift();
      return recent.reduce((s, v) => s + v, 0) / recent.length;
    };
    const severity = (s) => Math.max(s.t2 / s.t2Limit, s.q / s.qLimit);
    let threshold = 0;
    for (let i = 0; i < TRAIN_ROWS; i++) {
      const v = smoothed(severity(model.score(x[i])));
      if (i >= SMOOTH_ROWS - 1) threshold = Math.max(threshold, v);
    }
    for (let i = TRAIN_ROWS; i < x.length; i++) {
      const s = model.score(x[i]);
      scored++;
      const shareSum = Object.values(s.attribution).reduce((a, b) => a + b, 0);
      worstShareError = Math.max(worstShareError, Math.abs(shareSum - 1));
      const alarm = variant.decision === 'limits' ? s.isAnomaly : smoothed(severity(s)) > threshold;
      const truth = file.rows[i].anomaly;
      counts[alarm ? (truth ? 'tp' : 'fp') : (truth ? 'fn' : 'tn')]++;
    }
  }
  const { tp, fp, tn, fn } = counts;
  return {
    ...variant,
    counts,
    scored,
    worstShareError,
    f1: tp / (tp + (fp + fn) / 2),
    farPercent: (100 * fp) / (fp + tn),
    marPercent: (100 * fn) / (fn + tp),
  };
}

/**
 * twin-deviation's own per-asset monitor (src/core/deviation/asset-monitor.ts) on the same split, fed
 * one signal at a time as the node is: its signals discovered on the first row, its normal window the
 * rest of the training rows (from which it also chooses its change features and its threshold). This
 * is what a technician gets, and the one held to the target.
 */
function runAssetMonitor(AssetMonitor, files) {
  const counts = { tp: 0, fp: 0, tn: 0, fn: 0 };
  let worstShareError = 0;
  let scored = 0;
  for (const file of files) {
    const x = file.rows.map((row) => row.values);
    const monitor = new AssetMonitor({ discoverSamples: SIGNALS.length, learnRows: TRAIN_ROWS - 1 });
    for (let i = 0; i < x.length; i++) {
      let last;
      x[i].forEach((value, j) => { last = monitor.observe('pump', SIGNALS[j], value) ?? last; });
      if (i < TRAIN_ROWS) continue;
      if (last) {
        scored++;
        worstShareError = Math.max(worstShareError, Math.abs(Object.values(last.attribution).reduce((a, b) => a + b, 0) - 1));
      }
      const alarm = Boolean(last && last.isAnomaly);
      const truth = file.rows[i].anomaly;
      counts[alarm ? (truth ? 'tp' : 'fp') : (truth ? 'fn' : 'tn')]++;
    }
  }
  const { tp, fp, tn, fn } = counts;
  return { name: "twin-deviation's asset monitor", counts, scored, worstShareError, f1: tp / (tp + (fp + fn) / 2), farPercent: (100 * fp) / (fp + tn), marPercent: (100 * fn) / (fn + tp) };
}

const round = (v, d = 3) => Math.round(v * 10 ** d) / 10 ** d;
const fmt = (v, d) => (v === undefined ? '   -' : v.toFixed(d).padStart(5));

function main() {
  if (!fs.existsSync(path.join(skabDir, 'valve1'))) {
    console.log(`[deviation] skipped: SKAB data not found at ${path.relative(root, skabDir)} (GPL data, read in place only)`);
    return writeVerdict('deviation', { bench: 'deviation', skipped: true, targets: [], checks: [] });
  }
  const file = path.join(root, 'dist', 'core', 'deviation', 'multivariate.js');
  if (!fs.existsSync(file)) throw new Error('dist/ is not built: run `npx tsc -p tsconfig.json` first.');
  const { AssetModel } = require(file);
  const files = experiments();
  const variants = [
    { name: 'levels, model limits', features: 'levels', decision: 'limits' },
    { name: 'thermal rate, model limits', features: 'thermal-rate', decision: 'limits' },
    { name: 'auto rate (train only), streaming', features: 'auto', decision: 'streaming' },
    { name: 'thermal rate, streaming', features: 'thermal-rate', decision: 'streaming' },
  ];
  const results = variants.map((v) => runVariant(AssetModel, files, v));
  const { AssetMonitor } = require(path.join(root, 'dist', 'core', 'deviation', 'asset-monitor.js'));
  const nodeMonitor = [runAssetMonitor(AssetMonitor, files)];
  const primary = nodeMonitor[0];


  console.log(`\n[deviation] SKAB, ${files.length} labelled files, train = first ${TRAIN_ROWS} rows, test = the rest, point-wise over all test parts`);
  console.log('  detector                                          F1    FAR %  MAR %');
  for (const r of results) console.log(`  TwinLoop T2+Q: ${r.name.padEnd(34)} ${fmt(r.f1, 3)}  ${fmt(r.farPercent, 1)}  ${fmt(r.marPercent, 1)}`);
  for (const r of nodeMonitor) console.log(`  TwinLoop T2+Q: ${r.name.padEnd(34)} ${fmt(r.f1, 3)}  ${fmt(r.farPercent, 1)}  ${fmt(r.marPercent, 1)}   <- target`);
  for (const [name, f1, far, mar] of PUBLISHED) console.log(`  published: ${name.padEnd(38)} ${fmt(f1, 2)}  ${fmt(far, 1)}  ${fmt(mar, 1)}`);

  const result = {
    bench: 'deviation',
    date: new Date().toISOString(),
    command: 'node bench/deviation/index.js',
    config: { trainRows: TRAIN_ROWS, signals: SIGNALS, thermalAsRateOfChange: THERMAL, rateLagRows: RATE_LAG, smoothRows: SMOOTH_ROWS, anomalyFreeFileUsed: false, modelOptions: { components: 'auto', explainedVariance: 0.95, alpha: 0.01 } },
    variants: results.map((r) => ({ name: r.name, f1: round(r.f1), farPercent: round(r.farPercent, 2), marPercent: round(r.marPercent, 2), counts: r.counts })),
    nodeAssetMonitor: nodeMonitor.map((r) => ({ name: r.name, f1: round(r.f1), farPercent: round(r.farPercent, 2), marPercent: round(r.marPercent, 2), counts: r.counts })),
    published: PUBLISHED.map(([name, f1, farPercent, marPercent]) => ({ name, f1, farPercent, marPercent })),
    targets: [
      { name: "SKAB F1 (twin-deviation's asset monitor, streaming)", value: primary.f1, display: `F1 ${round(primary.f1)} (MAR ${round(primary.marPercent, 1)} %)`, target: `>= ${TARGETS.f1}`, pass: primary.f1 >= TARGETS.f1 },
      { name: "SKAB FAR (twin-deviation's asset monitor, streaming)", value: primary.farPercent, display: `FAR ${round(primary.farPercent, 1)} %`, target: `<= ${TARGETS.farPercent} %`, pass: primary.farPercent <= TARGETS.farPercent },
    ],
    checks: [
      { name: 'labelled files read', display: `${files.length} files`, target: '34', pass: files.length === 34 },
      { name: 'attribution shares sum to 1', display: `worst |sum - 1| ${primary.worstShareError.toExponential(1)} over ${primary.scored} rows`, target: '<= 1e-9', pass: primary.worstShareError <= 1e-9 },
    ],
  };
  writeVerdict('deviation', result);
  console.log('');
  printVerdicts(result);
  console.log('results: bench/out/deviation.json');
  return result.pass;
}

exitWith('deviation', main);
