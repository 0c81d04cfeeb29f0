#!/usr/bin/env node
'use strict';
/**
 * twin-simulator NODE benchmark: does the simulator keep Node-RED's event loop free while it serves
 * heavy requests? (run by `npm run bench`, or alone: `node bench/simulator-node/index.js` after
 * `npm run build`). Requirement: "Training runs in slices or a worker thread, so Node-RED's event
 * loop is never blocked for more than 20 ms".
 *
 * Runtime: a real Node-RED 4 child process (`node node_modules/node-red/red.js --userDir <tmp> --port
 * <free> --settings <tmp>/settings.js`, bench/lib/bench-node-red.js), not the test helper, with the
 * flow of bench/simulator-node/flow.js: a driver node (bench/simulator-node/driver-node, plain code)
 * wired to a twin-simulator (oven physics + 4-station line, predict every 0.1 s with a 5 s horizon,
 * hybrid learning on, 20 replications, persist on with file-backed context flushed every 10 s) whose
 * three outputs, a catch and a status node come back to the driver. This process talks to the
 * driver over Node-RED's admin HTTP API (/bench-sim/...), one call at a time, small JSON both ways.
 *
 * Phases:
 *   setup     Node-RED up; the C-MAPSS FD001 training text read by the driver (asynchronously, kept
 *             in memory); one hour of back-dated plant history (1 s steps) sent into the simulator;
 *             live samples started at 200/s (oven temperature and power 50/s each, 4 station queues
 *             25/s each); 4 s to settle.
 *   baseline  10 s of that flow with no request: samples, the periodic prediction every 0.1 s with
 *             its hybrid rows (the residual network retrains by itself every 100 rows; the baseline
 *             ends before the first 100, see its status text in the results).
 *   load      the same, while the driver sends these requests back to back (each after the previous
 *             answer), then 12 s more for the save (every 10 s) and the context flush that follow:
 *               predict (600 s trajectory, worker), 20 × whatif (physics over one shift, 28,800 s, at
 *               the solver step, and 20 replications of the line over one shift; the settings vary
 *               so the surrogate has something to learn), train surrogate (the 20 stored results:
 *               before the scenario set, whose baseline without settings the surrogate would refuse
 *               as "mismatched keys"), whatif from the surrogate, scenarios (a set of 5, each such a
 *               what-if, compared with the first), calibrate k over the last hour (worker), train
 *               health on C-MAPSS FD001 (the 3.5 MB text in payload.data, as the help says; without
 *               the file skipped with a note), predict RUL from 100 sensor rows, train residual
 *               (retried while the automatic retraining runs), predict again.
 * Measures (driver, in the Node-RED process): event-loop delay with perf_hooks monitorEventLoopDelay
 * at 1 ms resolution, block = max delay − 1 ms (the timer's own period); a 2 ms setInterval probe
 * (block = gap − 2 ms) whose late ticks keep their times, so each block over 5 ms is laid beside the
 * requests in flight and the GC pauses of that moment; per request the wall time (send to answer,
 * in the Node-RED process) and the longest block while it was in flight; benchDiag (5 ms) as the
 * other node benchmarks; Node-RED's CPU (main thread and worker together) per phase.
 *
 * Target (as the brief defines it): the load phase's max block <= the baseline phase's max block
 * + 20 ms (both from the 1 ms histogram). Check: the raw max block under load <= 20 ms, the
 * requirement's own figure with no allowance; the longest blocks are listed with their request so
 * a miss can be traced. Other checks: every request answered (no error), surrogate, health,
 * calibration and residual applied, the periodic predictions kept coming (>= 80 % of 10/s per
 * signal) and some were hybrid, the samples kept their rate (>= 95 %), no uncaught error.
 *
 * Results: a table on stdout and bench/out/simulator-node.json; exit 1 if the target or a check is
 * missed. BENCH_CPU_PROF=1 runs Node-RED with --cpu-prof (bench/out/profiles/; summarise with
 * `node bench/ingest/profile-summary.js <file>`), BENCH_NODE_ARGS adds node options.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { stopChild, cpuMeter, memoryOf, installCleanup } = require('../lib/processes');
const { startBenchNodeRed, waitForFlow } = require('../lib/bench-node-red');
const { outDir, sleep, round, startResult, finish, runMain } = require('../lib/bench-run');
const { writeFlows, SIMULATOR, FLUSH_INTERVAL_S } = require('./flow');

const NAME = 'simulator-node';
const root = path.resolve(__dirname, '..', '..');
const CMAPSS_FILE = path.resolve(root, '..', 'shared', 'data', 'cmapss', 'train_FD001.txt');

const CONFIG = {
  simulator: SIMULATOR,
  contextFlushIntervalS: FLUSH_INTERVAL_S,
  sampleRate: 200,
  prefill: { seconds: 3600, stepS: 1, queueEveryS: 10 },
  settleMs: 4000,
  baselineMs: 10000,
  loadTailMs: 12000,
  whatifs: 20,
  shiftS: 28800,
  scenarios: 5,
  cmapssFile: CMAPSS_FILE,
  startTimeLimitMs: 60000,
};
const TARGET = { allowanceMs: 20, rawMs: 20 };

const log = (...args) => console.log(`[${NAME}]`, ...args);

/** The requests of the load phase, in order. */
function loadRequests(haveCmapss, healthRows) {
  const list = [{ label: 'predict 600 s', topic: 'predict', payload: { horizon: 600, every: 10 } }];
  for (let i = 0; i < CONFIG.whatifs; i++) {
    list.push({
      label: `whatif ${i + 1}`,
      group: 'whatif (20 repl., 1 shift)',
      topic: 'whatif',
      payload: {
        label: `w${i + 1}`,
        duration: CONFIG.shiftS,
        parameters: { k: round(0.03 + 0.002 * i, 4) },
        inputs: { P: 1 + (i % 5) * 0.5 },
        line: { stations: { Paint: { processing: { mean: 8 + (i % 4) } }, Press: { servers: 1 + (i % 2) } } },
      },
    });
  }
  // The surrogate right after the 20 what-ifs: it needs every stored result to carry the same
  // setting names, which the scenario set's results (a baseline without settings) would break.
  list.push({ label: 'train surrogate', topic: 'train', payload: { model: 'surrogate' } });
  list.push({ label: 'whatif (surrogate)', topic: 'whatif', payload: { surrogate: true, settings: { k: 0.04, 'input.P': 2, 'line.Paint.processing.mean': 9, 'line.Press.servers': 1 } } });
  list.push({
    label: 'scenarios (5)',
    topic: 'scenarios',
    payload: {
      baseline: 0,
      scenarios: [
        { label: 'now', duration: CONFIG.shiftS },
        { label: 'two painters', duration: CONFIG.shiftS, line: { stations: { Paint: { servers: 2 } } } },
        { label: 'insulated', duration: CONFIG.shiftS, parameters: { k: 0.03 } },
        { label: 'faster press', duration: CONFIG.shiftS, line: { stations: { Press: { processing: { kind: 'exponential', mean: 7 } } } } },
        { label: 'more orders', duration: CONFIG.shiftS, line: { sources: { 0: { interarrival: { kind: 'exponential', mean: 10 } } } } },
      ],
    },
  });
  list.push({ label: 'calibrate k (1 h)', topic: 'calibrate', payload: { parameters: ['k'], window: 3600 } });
  if (haveCmapss) {
    list.push({ label: 'train health (FD001)', topic: 'train', payload: { model: 'health' }, withCmapss: true });
    list.push({ label: 'predict RUL', topic: 'predict', payload: { health: { rows: healthRows, threshold: 30 } } });
  }
  list.push({ label: 'train residual', topic: 'train', payload: { model: 'residual' }, retryBusy: true });
  list.push({ label: 'predict 600 s (after)', topic: 'predict', payload: { horizon: 600, every: 10 } });
  return list;
}

/** The first 100 cycles of engine 1 (21 sensor columns each), for a RUL prediction; read here, in place. */
function healthRowsFrom(file) {
  const rows = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const parts = line.trim().split(/\s+/).map(Number);
    if (parts.length !== 26 || parts[0] !== 1) continue;
    rows.push(parts.slice(5));
    if (rows.length === 100) break;
  }
  return rows;
}

/** The file-backed context store's files (the simulator's saved state), with their sizes. */
function contextFiles(userDir) {
  const dir = path.join(userDir, 'context');
  const out = [];
  const walk = (d) => {
    for (const e of fs.existsSync(d) ? fs.readdirSync(d, { withFileTypes: true }) : []) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push({ file: path.relative(dir, p), kB: round(fs.statSync(p).size / 1024, 1) });
    }
  };
  walk(dir);
  return out;
}

function builtAt(file) {
  try { return fs.statSync(path.join(root, file)).mtime.toISOString(); } catch { return undefined; }
}

async function main() {
  installCleanup();
  if (!fs.existsSync(path.join(root, 'nodes', 'twin-simulator.js')) || !fs.existsSync(path.join(root, 'dist', 'nodes', 'twin-simulator', 'index.js'))) {
    throw new Error('The package is not built: run `npm run build` first.');
  }
  fs.mkdirSync(outDir, { recursive: true });
  const { started, result } = startResult({
    bench: NAME,
    command: `npm run bench -- --no-build ${NAME}`,
    runIdPrefix: 'm',
    config: CONFIG,
    code: { builtAt: { twinSimulatorNode: builtAt('dist/nodes/twin-simulator/index.js'), runtime: builtAt('dist/core/simulation/runtime.js'), slicedTrainer: builtAt('dist/core/learning/sliced-trainer.js') } },
  });
  delete result.machine.mqttJs;
  delete result.machine.broker;
  const haveCmapss = fs.existsSync(CMAPSS_FILE);
  if (!haveCmapss) {
    log(`C-MAPSS FD001 not found (${CMAPSS_FILE}): the health training request is skipped`);
    result.notes.push(`train health skipped: ${CMAPSS_FILE} missing`);
    result.skipped = [{ name: 'train health on C-MAPSS FD001 under load', reason: `data missing: ${CMAPSS_FILE}` }];
  }

  // --- Node-RED --------------------------------------------------------------------------------
  const { userDir, port, nodeRed, nodeRedLog, profile, profileDir, profilesBefore } = await startBenchNodeRed({
    name: NAME,
    outDir,
    tmpPrefix: 'twinloop-bench-sim-',
    packageName: 'twinloop-bench-simulator-node',
    writeFlows: (userDir) => writeFlows(userDir),
  });
  result.nodeRedCommand = nodeRed.commandLine;
  const base = `http://127.0.0.1:${port}/bench-sim/`;
  async function api(name, body, timeoutMs = 200000) {
    const res = await fetch(base + name, {
      method: body === undefined ? 'GET' : 'POST',
      headers: body === undefined ? undefined : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const json = await res.json();
    if (!res.ok) throw new Error(`${name}: ${json.error || res.status}`);
    return json;
  }
  const ping = () => api('ping', undefined, 1000).catch(() => null);
  await waitForFlow({ nodeRed, nodeRedLog, pings: [ping], timeLimitMs: CONFIG.startTimeLimitMs, what: 'to the driver ping' });
  log(`Node-RED ready after ${round((Date.now() - started.getTime()) / 1000, 1)} s`);

  // --- setup: C-MAPSS text, one hour of history, live samples ------------------------------------
  result.phases.setup = {};
  if (haveCmapss) {
    result.phases.setup.cmapss = await api('cmapss', { file: CMAPSS_FILE });
    log(`C-MAPSS FD001 read by the driver: ${result.phases.setup.cmapss.bytes} characters`);
  }
  await api('phase', { name: 'setup' });
  result.phases.setup.prefill = await api('prefill', CONFIG.prefill);
  log(`history: ${result.phases.setup.prefill.sent} back-dated samples (${CONFIG.prefill.seconds} s) sent in ${result.phases.setup.prefill.ms} ms`);
  await api('feeder', { rate: CONFIG.sampleRate });
  await sleep(CONFIG.settleMs);
  const setupSnap = await api('snapshot');
  result.phases.setup.status = setupSnap.status;
  result.phases.setup.errors = setupSnap.errors;
  log(`status after setup: "${setupSnap.status}"`);

  const meterFor = () => cpuMeter({ nodeRed: nodeRed.pid });

  // --- baseline ---------------------------------------------------------------------------------
  await api('phase', { name: 'baseline' });
  let meter = meterFor();
  await sleep(CONFIG.baselineMs);
  const baseline = await api('snapshot');
  baseline.cpuPercentOfOneCore = meter.stop().nodeRed;
  baseline.rssMiB = round(memoryOf(nodeRed.pid).rssMB, 1);
  result.phases.baseline = baseline;
  log(`baseline: max block ${baseline.eventLoopDelay1ms.maxBlockMs} ms (p99 delay ${baseline.eventLoopDelay1ms.p99} ms), probe max ${baseline.probe2ms.maxBlockMs} ms, ${baseline.samplesPerS} samples/s, ${baseline.predictions} predictions, CPU ${baseline.cpuPercentOfOneCore} %`);

  // --- load ---------------------------------------------------------------------------------------
  const healthRows = haveCmapss ? healthRowsFrom(CMAPSS_FILE) : [];
  await api('phase', { name: 'load' });
  meter = meterFor();
  const records = [];
  const loadStart = Date.now();
  for (const r of loadRequests(haveCmapss, healthRows)) {
    let rec;
    const retryUntil = Date.now() + 30000;
    let retries = 0;
    for (;;) {
      rec = await api('request', { label: r.label, topic: r.topic, payload: r.payload, withCmapss: !!r.withCmapss });
      if (!(r.retryBusy && rec.error && /already training|busy/.test(rec.error) && Date.now() < retryUntil)) break;
      retries++;
      await sleep(300);
    }
    records.push({ id: rec.id, group: r.group, busyRetries: retries || undefined });
    log(`  -> ${rec.label}: answered in ${rec.wallMs} ms${rec.error ? `, ERROR ${rec.error}` : ''}`);
  }
  const requestsMs = Date.now() - loadStart;
  await sleep(CONFIG.loadTailMs);
  const load = await api('snapshot');
  load.cpuPercentOfOneCore = meter.stop().nodeRed;
  load.rssMiB = round(memoryOf(nodeRed.pid).rssMB, 1);
  load.requestsSeconds = round(requestsMs / 1000, 1);
  // The snapshot's records: the longest block in flight is only known once the probe has seen it.
  const byId = new Map(records.map((r) => [r.id, r]));
  load.requests = load.requests.filter((r) => byId.has(r.id)).map((r) => ({ ...r, group: byId.get(r.id).group, busyRetries: byId.get(r.id).busyRetries }));
  load.contextFiles = contextFiles(userDir);
  result.phases.load = load;
  log('per request: wall time, longest event-loop block while it was in flight');
  for (const rec of load.requests) {
    const s = rec.summary || {};
    const extra = rec.error ? `ERROR ${rec.error}` : s.maxSliceMs !== undefined ? `trainer max slice ${round(s.maxSliceMs, 1)} ms` : '';
    log(`  ${rec.label}: ${rec.wallMs} ms, longest block while in flight ${rec.maxBlockMs} ms${rec.blocksOver20ms ? ` (${rec.blocksOver20ms} over 20 ms)` : ''}${extra ? `; ${extra}` : ''}`);
  }
  log(`load: max block ${load.eventLoopDelay1ms.maxBlockMs} ms (p99 delay ${load.eventLoopDelay1ms.p99} ms), probe max ${load.probe2ms.maxBlockMs} ms, ${load.probe2ms.over20ms} blocks over 20 ms, CPU ${load.cpuPercentOfOneCore} %`);
  log(`context files: ${load.contextFiles.map((f) => `${f.file} ${f.kB} kB`).join(', ') || 'none'}`);
  for (const b of load.longestBlocks.slice(0, 8)) log(`  block ${b.blockMs} ms at ${b.atS} s, in flight: ${b.inFlight.join(', ') || 'no request'}${b.gcMs ? `, GC ${b.gcMs} ms (${b.gcKinds.join('/')})` : ''}`);

  // --- end ------------------------------------------------------------------------------------------
  await api('feeder', { rate: 0 });
  result.machine.loadAverageAtEnd = os.loadavg().map((v) => round(v, 2));
  result.nodeRedExit = await stopChild(nodeRed, { signal: 'SIGINT', graceMs: profile ? 15000 : 8000 });
  if (profile) {
    const written = fs.readdirSync(profileDir).filter((f) => !profilesBefore.has(f));
    result.notes.push(`CPU profile of Node-RED in ${path.relative(root, profileDir)}: ${written.join(', ') || 'none written'} (node bench/ingest/profile-summary.js <file>)`);
  }

  // --- verdict ------------------------------------------------------------------------------------
  const bBlock = baseline.eventLoopDelay1ms.maxBlockMs;
  const lBlock = load.eventLoopDelay1ms.maxBlockMs;
  const worst = load.longestBlocks[0];
  const culprit = (b) => (b ? `${b.blockMs} ms at ${b.atS} s during ${b.inFlight.join(' + ') || 'no request'}${b.gcMs ? `, GC ${b.gcMs} ms` : ''}` : 'none');
  result.targets.push({
    name: 'load-phase max event-loop block, beyond the baseline phase\'s max',
    value: round(lBlock - bBlock, 2),
    display: `${lBlock} ms under load − ${bBlock} ms baseline = ${round(lBlock - bBlock, 2)} ms (monitorEventLoopDelay 1 ms, block = max − 1 ms; longest: ${culprit(worst)})`,
    target: `<= ${TARGET.allowanceMs} ms`,
    pass: lBlock - bBlock <= TARGET.allowanceMs,
  });
  result.checks.push({
    name: 'raw max event-loop block under load (requirement text, no allowance)',
    value: lBlock,
    display: `${lBlock} ms (probe 2 ms: ${load.probe2ms.maxBlockMs} ms; ${load.probe2ms.over20ms} probe gaps over 20 ms; p99 delay ${load.eventLoopDelay1ms.p99} ms)`,
    target: `<= ${TARGET.rawMs} ms`,
    pass: lBlock <= TARGET.rawMs,
  });
  const failed = load.requests.filter((r) => r.error);
  result.checks.push({
    name: 'every request answered without error',
    pass: failed.length === 0,
    display: failed.length ? failed.map((r) => `${r.label}: ${r.error}`).join('; ') : `${load.requests.length} answered`,
  });
  const train = (model) => load.requests.find((r) => r.topic === 'train' && r.summary?.model === model);
  const calib = load.requests.find((r) => r.topic === 'calibrate');
  const applied = [
    ['calibration', calib?.summary?.applied, calib?.summary ? `k ${calib.summary.k}, rmse ${round(calib.summary.rmseBefore, 3)} -> ${round(calib.summary.rmseAfter, 3)}, ${calib.summary.samples} samples` : ''],
    ['surrogate', train('surrogate')?.summary?.applied, train('surrogate')?.summary ? `${train('surrogate').summary.rows} rows` : ''],
    ['residual', train('residual') && Object.values(train('residual').summary?.states || {}).some((s) => s.applied), ''],
    ...(haveCmapss ? [['health', train('health')?.summary?.applied, train('health')?.summary ? `${train('health').summary.samples} samples, ${train('health').summary.epochs} epochs` : '']] : []),
  ];
  result.checks.push({
    name: 'calibration and trainings applied',
    pass: applied.every(([, ok]) => ok === true),
    display: applied.map(([what, ok, detail]) => `${what} ${ok ? 'applied' : 'NOT applied'}${detail ? ` (${detail})` : ''}`).join('; '),
  });
  const expectPerS = (1000 / (SIMULATOR.predictEvery * 1000)) * 2; // T and loss
  const predRatio = (p) => p.predictions / (p.durationS * expectPerS);
  result.checks.push({
    name: 'periodic predictions kept coming (>= 80 % of 10/s per signal), some hybrid',
    pass: predRatio(baseline) >= 0.8 && predRatio(load) >= 0.8 && (load.predictionKeys.hybrid || 0) > 0,
    display: `baseline ${round(predRatio(baseline) * 100)} %, load ${round(predRatio(load) * 100)} % of ${expectPerS}/s; hybrid under load ${load.predictionKeys.hybrid || 0}`,
  });
  result.checks.push({
    name: `samples kept their rate (>= 95 % of ${CONFIG.sampleRate}/s)`,
    pass: baseline.samplesPerS >= 0.95 * CONFIG.sampleRate && load.samplesPerS >= 0.95 * CONFIG.sampleRate,
    display: `baseline ${baseline.samplesPerS}/s, load ${load.samplesPerS}/s`,
  });
  const uncaught = [...setupSnap.errors, ...baseline.errors, ...load.errors];
  result.checks.push({
    name: 'no error from the simulator outside the requests',
    pass: uncaught.length === 0,
    display: uncaught.length ? uncaught.slice(0, 3).map((e) => `${e.topic || ''}: ${e.message}`).join('; ') : 'none',
  });
  return finish(NAME, result, tableRows(result));
}

function tableRows(result) {
  const { baseline: b, load: l } = result.phases;
  const rows = [
    ['baseline: max block / p99 delay', `${b.eventLoopDelay1ms.maxBlockMs} / ${b.eventLoopDelay1ms.p99} ms`, 'baseline', `probe max ${b.probe2ms.maxBlockMs} ms, p99 ${b.probe2ms.p99BlockMs} ms; GC max ${b.gc.maxMs} ms; CPU ${b.cpuPercentOfOneCore} %; ${b.samplesPerS} samples/s`],
    ['load: max block / p99 delay', `${l.eventLoopDelay1ms.maxBlockMs} / ${l.eventLoopDelay1ms.p99} ms`, `<= ${b.eventLoopDelay1ms.maxBlockMs + TARGET.allowanceMs} ms`, `probe max ${l.probe2ms.maxBlockMs} ms, p99 ${l.probe2ms.p99BlockMs} ms, ${l.probe2ms.over20ms} over 20 ms; GC max ${l.gc.maxMs} ms; CPU ${l.cpuPercentOfOneCore} %; ${l.durationS} s`],
    ['benchDiag (5 ms) max delay base / load', `${b.benchDiag?.eventLoopDelayMs?.max} / ${l.benchDiag?.eventLoopDelayMs?.max} ms`, 'info', `p99 ${b.benchDiag?.eventLoopDelayMs?.p99} / ${l.benchDiag?.eventLoopDelayMs?.p99} ms; RSS ${b.rssMiB} / ${l.rssMiB} MiB`],
  ];
  const groups = new Map();
  for (const r of l.requests) {
    const key = r.group || r.label;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(r);
  }
  for (const [key, rs] of groups) {
    const walls = rs.map((r) => r.wallMs).sort((x, y) => x - y);
    const maxBlock = Math.max(...rs.map((r) => r.maxBlockMs));
    const s = rs[rs.length - 1].summary || {};
    const wall = rs.length > 1 ? `${walls[Math.floor(walls.length / 2)]} ms median (${walls[0]}–${walls[walls.length - 1]})` : `${walls[0]} ms`;
    const detail = [
      `longest block in flight ${maxBlock} ms`,
      s.maxSliceMs !== undefined ? `trainer max slice ${round(s.maxSliceMs, 1)} ms` : '',
      rs.some((r) => r.error) ? `ERROR ${rs.find((r) => r.error).error}` : '',
    ].filter(Boolean).join('; ');
    rows.push([`  ${key}${rs.length > 1 ? ` × ${rs.length}` : ''}`, wall, 'info', detail]);
  }
  rows.push(['saved state (file context)', `${l.contextFiles.reduce((n, f) => n + f.kB, 0)} kB`, 'info', `${l.contextFiles.map((f) => f.file).join(', ') || 'no file'}; saved every 10 s, flushed every ${FLUSH_INTERVAL_S} s`]);
  for (const blk of l.longestBlocks.slice(0, 3)) {
    rows.push(['  longest blocks under load', `${blk.blockMs} ms`, 'info', `at ${blk.atS} s; in flight: ${blk.inFlight.join(', ') || 'no request'}${blk.gcMs ? `; GC ${blk.gcMs} ms` : ''}`]);
  }
  return rows;
}

runMain(NAME, main);
