'use strict';
/**
 * What the ingest and state-node benchmarks share around their phases: the result object, the
 * count-node commands, probing and settling a consumer, the common figures of a phase, the table
 * and verdict lines printed at the end and the exit code.
 *
 * A consumer here is {label, runId, reset(phase, ackEvery), snapshot()}: snapshot() resolves with
 * the counter's snapshot (bench/ingest/counter.js).
 */
const os = require('node:os');
const path = require('node:path');
const { outDir, writeVerdict, printVerdicts } = require('./verdict');

const root = path.resolve(__dirname, '..', '..');
const BROKER = process.env.BENCH_BROKER || 'mqtt://127.0.0.1:1883';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const clock = () => performance.timeOrigin + performance.now();

function round(value, digits = 0) {
  if (value === null || value === undefined || !Number.isFinite(value)) return value;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/**
 * A benchmark's CONFIG (recorded in its result file, keys in this order): qos 0, distinctTopics
 * 10,000, the benchmark's `first` settings, the closed loop's ackEvery and window (BENCH_ACK_EVERY,
 * BENCH_WINDOW; defaults 100 / 1000), its `phases` settings, startTimeLimitMs 60 s.
 */
function benchConfig(first, phases) {
  return {
    qos: 0,
    distinctTopics: 10000,
    ...first,
    ackEvery: Number(process.env.BENCH_ACK_EVERY) || 100,
    window: Number(process.env.BENCH_WINDOW) || 1000,
    ...phases,
    startTimeLimitMs: 60000,
  };
}

/**
 * The start of a run: `started` (a Date), `runId` (<runIdPrefix><start time><pid>, base 36) and the
 * result object {bench, date, command, runId, machine, [code], config, phases, targets, checks, notes}.
 */
function startResult({ bench, command, runIdPrefix, config, code }) {
  const started = new Date();
  const runId = `${runIdPrefix}${started.getTime().toString(36)}${process.pid.toString(36)}`;
  const result = {
    bench,
    date: started.toISOString(),
    command,
    runId,
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      memoryGB: round(os.totalmem() / 1e9, 1),
      loadAverageAtStart: os.loadavg().map((v) => round(v, 2)),
      node: process.version,
      nodeRed: require('node-red/package.json').version,
      mqttJs: require('mqtt/package.json').version,
      broker: BROKER,
    },
    ...(code === undefined ? {} : { code }),
    config,
    phases: {},
    targets: [],
    checks: [],
    notes: [],
  };
  return { started, runId, result };
}

/**
 * reset and snapshot of a consumer through its count node: `command(op, extra, timeoutMs)` resolves
 * with the count node's reply or null. `who` starts the error messages (e.g. "label: ").
 */
function countNodeCommands(command, who = '') {
  return {
    async reset(phase, ackEvery) {
      const reply = await command('reset', { phase, ackEvery }, 5000);
      if (!reply) throw new Error(`${who}the flow did not answer a reset command`);
    },
    async snapshot() {
      const reply = await command('snapshot', {}, 5000);
      if (!reply) throw new Error(`${who}the flow did not answer a snapshot command`);
      return reply.snapshot;
    },
  };
}

/** One sample to the consumer until it arrives (within 15 s), so its subscriptions are known to be in place. */
async function probe(publisher, consumer) {
  await consumer.reset('probe', 0);
  const deadline = Date.now() + 15000;
  for (;;) {
    await publisher.request({ cmd: 'single', topic: `bench/${consumer.runId}/probe/probe/ready`, payload: JSON.stringify({ value: 0, ts: clock() }) });
    await sleep(200);
    const snap = await consumer.snapshot();
    if (snap.n > 0) return snap;
    if (Date.now() > deadline) throw new Error(`${consumer.label}: no probe sample arrived within 15 s`);
  }
}

/** Polls the consumer until it has counted `expected` or stops counting for 2 s (or the time limit). */
async function settle(consumer, expected, timeLimitMs = 15000) {
  const deadline = Date.now() + timeLimitMs;
  let snap = await consumer.snapshot();
  let lastN = -1;
  let quietSince = Date.now();
  while (snap.n < expected && Date.now() < deadline) {
    if (snap.n !== lastN) { lastN = snap.n; quietSince = Date.now(); }
    else if (Date.now() - quietSince > 2000) break;
    await sleep(150);
    snap = await consumer.snapshot();
  }
  return snap;
}

/**
 * The first figures of a phase, from the publisher's answer `pub` and the consumer's snapshot:
 * consumer, sent, counted, lost, <rejectedKey> (the count node's errors), lastError, sendSeconds,
 * sendRate, receiveSeconds, msgPerS (counted over the span of arrivals).
 */
function deliveryFigures(consumer, pub, snap, rejectedKey) {
  const spanS = (snap.lastAt - snap.firstAt) / 1000;
  return {
    consumer: consumer.label,
    sent: pub.sent,
    counted: snap.n,
    lost: pub.sent - snap.n,
    [rejectedKey]: snap.errors,
    lastError: snap.lastError || undefined,
    sendSeconds: round(pub.sendSeconds, 2),
    sendRate: round(pub.achievedRate),
    receiveSeconds: round(spanS, 2),
    msgPerS: spanS > 0 ? round((snap.n - 1) / spanS) : null,
  };
}

/** The publisher's closed-loop figures of a phase: closedLoop (closed phases only) and publisherTimedOut. */
function loopFigures(pub) {
  return {
    closedLoop: pub.stalls === undefined ? undefined : { stalls: pub.stalls, windowWaits: pub.windowWaits },
    publisherTimedOut: pub.timedOut || undefined,
  };
}

/** The signal count in a status text such as "10001 signals" (0 if there is none). */
function signalsIn(text) {
  const m = /(\d[\d,.]*)\s*signal/.exec(text || '');
  return m ? Number(m[1].replace(/[,.]/g, '')) : 0;
}

/**
 * The verdict: result.pass from every target and check, bench/out/<name>.json, then the table
 * (`rows` of [measure, value, target, detail]), a PASS/FAIL line per target and check, the notes
 * and where the results are. Returns result.pass.
 */
function finish(name, result, rows) {
  writeVerdict(name, result);
  const heads = ['measure', 'value', 'target', 'per round / detail'];
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => String(r[i]).length), heads[i].length));
  const line = (cells) => cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ');
  console.log('');
  console.log(line(heads));
  console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  for (const row of rows) console.log(line(row));
  console.log('');
  printVerdicts(result);
  for (const note of result.notes) console.log(`note: ${note}`);
  console.log(`results: bench/out/${name}.json`);
  return result.pass;
}

/** Runs the benchmark's main(): exit code 0 if it passed, 1 if not, 2 if it failed to run. */
function runMain(name, main) {
  main().then(
    (pass) => process.exit(pass ? 0 : 1),
    (err) => {
      console.error(`[${name}] failed: ${err.stack || err}`);
      process.exit(2);
    },
  );
}

module.exports = {
  root, outDir, BROKER, sleep, clock, round, benchConfig, startResult, countNodeCommands, probe, settle, deliveryFigures, loopFigures, signalsIn, finish, runMain,
};
