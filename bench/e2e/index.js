#!/usr/bin/env node
'use strict';
/**
 * End-to-end load and soak benchmark (run by `npm run bench`, alone by `npm run bench -- e2e`, or
 * directly: `node bench/e2e/index.js [--ci] [--soak-minutes=N] [--soak-rate=N] [--no-soak] [--no-sweep]`).
 *
 * The whole synchronisation chain in a real Node-RED 4 runtime (child process:
 * `node node_modules/node-red/red.js --userDir <tmp> --port <18880..18899> --settings <tmp>/settings.js`):
 * twin-source (MQTT) -> twin-ingest -> twin-state -> twin-deviation -> twin-gate, with a count node
 * beside the gate on twin-deviation's scored samples (bench/e2e/flow.js). Baseline in the same run: a
 * bare mqtt.js subscriber (bench/e2e/bare-subscriber.js) subscribed to the same topics with the same
 * QoS, so both receive the very same stream from the broker at the same time. Latency is publish ->
 * arrival at the end (the send time travels in the value, bench/e2e/stamp.js), read alike on both
 * sides with the same counter code. The plant: 1,000 signals, 100 machines of 10 (bench/e2e/signals.js),
 * noisy sines; every signal's detector and every machine's T2 + Q model past learning before any
 * measurement (fill phase).
 *
 * Phases (each with a message count or duration and a time limit):
 *   start       Node-RED up, the count node answers, a probe sample goes through the chain
 *   fill        closed loop (as fast as the chain takes it) until every signal had 220 samples:
 *               detectors past their warm-up of 100, machine models fitted on 200 rows
 *   idle        10 s without messages (--ci 3 s): Node-RED's CPU for its background work
 *   sweep       paced at 1,000, 5,000 and 10,000 msg/s with QoS 0, then 5,000 msg/s with QoS 1;
 *               each a warm-up at the rate, then the measured span; both consumers at once. Up to
 *               5,000 msg/s (the soak's rate) the chain must keep up: arrivals >= 95 % of the rate
 *               sent and the last within 1 s of the last send; above it, that is information
 *   throughput  maximum sustainable rate, closed loop (at most 1,000 messages in flight, acks every
 *               100), rounds alternating the bare subscriber (topics of its own) and the chain
 *   soak        paced 5,000 msg/s QoS 0 for the soak duration (30 min; --ci 2 min), Node-RED's VmRSS
 *               (/proc/<pid>/status) every 5 s, both consumers' latency per interval (60 s; 20 s in
 *               short soaks). Targets: RSS growth (below), nothing lost, kept up. A flow that leaves
 *               3 snapshot requests in a row unanswered (30 s each: that far behind) stops the soak
 *               early, as failed, rather than let a backlog grow on a shared machine
 * The soak's RSS rule: the first 20 % of the soak (--ci: 50 %) is warm-up and not judged; with a window of
 * min(60 s, 20 % of the soak), growth = median RSS of the last window / median RSS of the first
 * window after the warm-up - 1; target <= 10 % (soaks under 10 minutes, such as --ci: <= 100 %, a guard
 * against a gross leak only: see rssLimitOf). Lost messages (published, never counted at the end of
 * the chain) fail the run in every phase, and so do errors caught from any twin node, and measured
 * samples whose detector was still learning or whose machine had no model yet.
 *
 * --ci: the same flow and checks, a shorter sweep (5 s each after 2 s, QoS 0 only), no throughput rounds, a
 * 2-minute soak: about 3 minutes in all. --soak-minutes=N (or BENCH_E2E_SOAK_MIN) and --soak-rate=N set
 * the soak; --no-soak, --no-sweep leave parts out (bench/e2e/plan.js).
 * Results: a table on stdout and bench/out/e2e.json (whichever mode; `config.mode` says which);
 * exit code 0 met, 1 missed, 2 failed to run.
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const mqtt = require('mqtt');
const { forkHelper, spawnNodeRed, stopChild, memoryOf, cpuMeter, brokerPid, installCleanup } = require('../lib/processes');
const { writeSettings, waitForFlow } = require('../lib/bench-node-red');
const { outDir, BROKER, sleep, round, startResult, finish, runMain } = require('../lib/bench-run');
const { percentile } = require('../ingest/counter');
const { linkPackageInto } = require('../../scripts/start');
const { writeFlows } = require('./flow');
const { SIGNAL_COUNT } = require('./signals');
const { parseArgs, plan } = require('./plan');
const { rssGrowth, intervalLatency } = require('./soak-rules');

const root = path.resolve(__dirname, '..', '..');
const opts = parseArgs(process.argv.slice(2), process.env);
const NAME = 'e2e';
const CONFIG = plan(opts, SIGNAL_COUNT);
const log = (...args) => console.log(`[${NAME}] ${new Date().toISOString().slice(11, 19)}`, ...args);

/** The first port of 18880..18899 nobody listens on. */
async function portInRange(from = 18880, to = 18899) {
  for (let port = from; port <= to; port++) {
    const free = await new Promise((resolve) => {
      const probe = net.createServer();
      probe.once('error', () => resolve(false));
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error(`no free port in ${from}..${to}`);
}

/** A user directory (removed at exit) with this package and the count node linked in, then Node-RED. */
async function startNodeRed(runId) {
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'twinloop-bench-e2e-'));
  process.on('exit', () => fs.rmSync(userDir, { recursive: true, force: true }));
  linkPackageInto(userDir, 'twinloop-bench-e2e');
  fs.symlinkSync(path.join(__dirname, 'count-node'), path.join(userDir, 'node_modules', 'twinloop-bench-e2e-count'), 'dir');
  const port = await portInRange();
  const settingsFile = writeSettings(userDir, { port, label: NAME });
  const topics = writeFlows(userDir, runId);
  const nodeRedLog = path.join(outDir, `${NAME}-node-red.log`);
  const nodeRed = spawnNodeRed({
    redJs: require.resolve('node-red/red.js'),
    userDir,
    port,
    settingsFile,
    nodeArgs: process.env.BENCH_NODE_ARGS ? process.env.BENCH_NODE_ARGS.split(' ') : [],
    logFile: nodeRedLog,
  });
  log(`Node-RED pid ${nodeRed.pid}, port ${port}, user dir ${userDir}, log ${path.relative(root, nodeRedLog)}`);
  return { nodeRed, nodeRedLog, topics, port };
}

/** The orchestrator's MQTT client: commands to the count node, its replies. */
async function controlClient(topics) {
  const client = await mqtt.connectAsync(BROKER, { clientId: `twinloop-bench-e2e-orch-${process.pid}`, clean: true, keepalive: 30, reconnectPeriod: 0 });
  const waiters = new Map();
  client.on('message', (topic, payload) => {
    if (topic !== topics.reply) return;
    let reply;
    try { reply = JSON.parse(payload.toString()); } catch { return; }
    const waiter = waiters.get(reply.id);
    if (waiter) { waiters.delete(reply.id); waiter(reply); }
  });
  await client.subscribeAsync(topics.reply, { qos: 0 });
  let nextId = 1;
  function command(op, extra = {}, timeoutMs = 2000) {
    const id = `${process.pid}-${nextId++}`;
    return new Promise((resolve) => {
      const timer = setTimeout(() => { waiters.delete(id); resolve(null); }, timeoutMs);
      waiters.set(id, (reply) => { clearTimeout(timer); resolve(reply); });
      client.publish(topics.cmd, JSON.stringify({ id, op, ...extra }), { qos: 0 });
    });
  }
  return { client, command };
}

/** A percentile in ms; the counter's histogram ends at 2 s, so anything beyond is ">2000". */
function pct(snap, p) {
  const v = percentile(snap, p);
  return v === Infinity ? '>2000' : round(v, 1);
}
const ratioOf = (a, b) => (typeof a === 'number' && typeof b === 'number' && b > 0 ? round(a / b, 2) : null);

function latencyOf(snap) {
  return {
    p50: pct(snap, 50),
    p90: pct(snap, 90),
    p99: pct(snap, 99),
    p999: pct(snap, 99.9),
    max: round(snap.maxLatency, 1),
    mean: snap.n ? round(snap.sumLatency / snap.n, 2) : null,
  };
}

/** Which code was measured: the commit, files changed under src/, when dist/ was built (read-only git). */
function codeProvenance() {
  const git = (...args) => {
    const r = spawnSync('git', args, { cwd: root, encoding: 'utf8' });
    return r.status === 0 ? r.stdout.trim() : undefined;
  };
  let distBuiltAt;
  try { distBuiltAt = fs.statSync(path.join(root, 'dist', 'nodes', 'twin-gate', 'index.js')).mtime.toISOString(); } catch { /* not built */ }
  return { commit: git('rev-parse', '--short', 'HEAD'), uncommittedUnderSrc: (git('status', '--porcelain', '--', 'src') || '').split('\n').filter(Boolean), distBuiltAt };
}

async function main() {
  installCleanup();
  if (!fs.existsSync(path.join(root, 'nodes', 'twin-gate.js')) || !fs.existsSync(path.join(root, 'dist', 'nodes', 'twin-gate', 'index.js'))) {
    throw new Error('The package is not built: run `npm run build` first.');
  }
  fs.mkdirSync(outDir, { recursive: true });
  const { started, runId, result } = startResult({
    bench: NAME, command: opts.command, runIdPrefix: 'e', config: CONFIG, code: codeProvenance(),
  });

  // --- processes -----------------------------------------------------------------------------
  const publisher = forkHelper(path.join(__dirname, 'publisher.js'), 'publisher');
  const bare = forkHelper(path.join(__dirname, 'bare-subscriber.js'), 'bare subscriber');
  const { nodeRed, nodeRedLog, topics } = await startNodeRed(runId);
  result.nodeRedCommand = nodeRed.commandLine;
  const ctl = await controlClient(topics);
  const mosquittoPid = brokerPid();
  const mainPrefix = runId;
  const barePrefix = `${runId}x`;
  const filterOf = (prefix) => `bench/${prefix}/+/+/+`;

  const flow = {
    label: 'Node-RED: source -> ingest -> state -> deviation (-> gate)',
    ackTopic: topics.ack,
    async reset(phase, ackEvery = 0) {
      if (!(await ctl.command('reset', { phase, ackEvery }, 5000))) throw new Error('the flow did not answer a reset command');
    },
    async snapshot() {
      // Long enough for a reply queued behind a backlog in the flow.
      const reply = await ctl.command('snapshot', {}, 30000);
      if (!reply) throw new Error('the flow did not answer a snapshot command');
      return reply.snapshot;
    },
  };
  const baseline = {
    label: 'bare mqtt.js subscriber',
    ackTopic: `bench/${barePrefix}/ctl/ack`,
    reset: (phase, ackEvery = 0) => bare.request({ cmd: 'reset', phase, ackEvery, ackTopic: `bench/${barePrefix}/ctl/ack` }),
    snapshot: async () => (await bare.request({ cmd: 'snapshot' })).snapshot,
  };

  /**
   * Polls a consumer until it has counted `expected` or stops counting for 2 s (or the time limit).
   * A flow with a backlog answers late (its commands queue behind the samples): unanswered polls
   * are retried until the time limit, then the last answer counts.
   */
  async function settle(consumer, expected, timeLimitMs = 180000) {
    const deadline = Date.now() + timeLimitMs;
    const poll = () => consumer.snapshot().catch((err) => (Date.now() < deadline ? null : Promise.reject(err)));
    let snap = null;
    while (!snap) snap = await poll();
    let lastN = -1;
    let quietSince = Date.now();
    while (snap.n < expected && Date.now() < deadline) {
      if (snap.n !== lastN) { lastN = snap.n; quietSince = Date.now(); } else if (Date.now() - quietSince > 2000) break;
      await sleep(150);
      snap = (await poll()) || snap;
    }
    return snap;
  }

  async function probeFlow() {
    await flow.reset('probe');
    const deadline = Date.now() + 20000;
    for (;;) {
      await publisher.request({ cmd: 'single', prefix: mainPrefix, qos: 0 });
      await sleep(250);
      if ((await flow.snapshot()).n > 0) return;
      if (Date.now() > deadline) throw new Error(`no probe sample came through the chain within 20 s; see ${nodeRedLog}`);
    }
  }
  async function probeBare(prefix) {
    await baseline.reset('probe');
    const deadline = Date.now() + 10000;
    for (;;) {
      await publisher.request({ cmd: 'single', prefix, qos: 0 });
      await sleep(150);
      if ((await baseline.snapshot()).n > 0) return;
      if (Date.now() > deadline) throw new Error('no probe sample reached the bare subscriber within 10 s');
    }
  }

  await waitForFlow({ nodeRed, nodeRedLog, pings: [() => ctl.command('ping', {}, 500)], timeLimitMs: CONFIG.startTimeLimitMs, what: 'after start' });
  await probeFlow();
  await sleep(1000);
  result.phases.start = { readyAndProbedAfterS: round((Date.now() - started.getTime()) / 1000, 1), rssMiB: round(memoryOf(nodeRed.pid).rssMB, 1) };
  const clockCheck = await publisher.request({ cmd: 'clock' });
  if (clockCheck.signals !== SIGNAL_COUNT) throw new Error(`publisher has ${clockCheck.signals} signals, the orchestrator ${SIGNAL_COUNT}`);
  result.notes.push(`clock check: publisher performance clock - Date.now() = ${round(clockCheck.clock - clockCheck.dateNow, 2)} ms (Date.now() has 1 ms steps)`);
  log(`Node-RED ready, a sample through the chain after ${result.phases.start.readyAndProbedAfterS} s; RSS ${result.phases.start.rssMiB} MiB`);

  const meter = () => cpuMeter({ nodeRed: nodeRed.pid, bare: bare.child.pid, publisher: publisher.child.pid, broker: mosquittoPid });

  // --- fill: every detector past its warm-up, every machine model fitted --------------------------
  {
    const f = CONFIG.fill;
    await flow.reset('fill', CONFIG.ackEvery);
    const m = meter();
    const pub = await publisher.request({
      cmd: 'closed', prefix: mainPrefix, window: CONFIG.window, durationMs: f.timeLimitMs, count: f.count, qos: 0, ackTopic: flow.ackTopic, phase: 'fill', stallMs: 1000,
    }, f.timeLimitMs + 30000);
    const cpu = m.stop();
    const snap = await settle(flow, pub.sent);
    const span = (snap.lastAt - snap.firstAt) / 1000;
    result.phases.fill = {
      sent: pub.sent, counted: snap.n, lost: pub.sent - snap.n, errors: snap.errors, lastError: snap.lastError || undefined,
      samplesPerSignal: round(pub.sent / SIGNAL_COUNT, 1), msgPerS: span > 0 ? round((snap.n - 1) / span) : null, sendSeconds: round(pub.sendSeconds, 1),
      stalls: pub.stalls, cpuPercentOfOneCore: cpu, nodeRedCpuUsPerMsg: snap.n ? round((cpu.nodeRed / 100) * pub.sendSeconds * 1e6 / snap.n, 1) : null, reached: pub.sent >= f.count, rssMiB: round(memoryOf(nodeRed.pid).rssMB, 1), statuses: snap.statuses, events: snap.events,
    };
    log(`fill: ${pub.sent} samples (${result.phases.fill.samplesPerSignal} per signal) in ${result.phases.fill.sendSeconds} s, ${result.phases.fill.msgPerS} msg/s through the chain, lost ${result.phases.fill.lost}; Node-RED CPU ${cpu.nodeRed} % = ${result.phases.fill.nodeRedCpuUsPerMsg} us per message; RSS ${result.phases.fill.rssMiB} MiB`);
  }

  // Background work with no messages (persistence, fidelity reports, status timers): Node-RED's CPU.
  {
    const m = meter();
    await sleep(CONFIG.idleMs);
    result.phases.idleAfterFill = { seconds: CONFIG.idleMs / 1000, cpuPercentOfOneCore: m.stop(), rssMiB: round(memoryOf(nodeRed.pid).rssMB, 1) };
    log(`idle after the fill: Node-RED CPU ${result.phases.idleAfterFill.cpuPercentOfOneCore.nodeRed} % over ${CONFIG.idleMs / 1000} s`);
  }

  // The baseline joins: the same topics with the same subscription QoS as the twin-ingest.
  await bare.request({ cmd: 'subscribe', filter: filterOf(mainPrefix), qos: 1 });
  await probeBare(mainPrefix);

  /** One paced phase, both consumers counting the same stream. */
  async function pacedPhase(phase, { rate, durationS, qos }) {
    const count = Math.round(rate * durationS);
    const timeLimitMs = durationS * 1000 * 1.5 + 5000;
    await Promise.all([flow.reset(phase), baseline.reset(phase)]);
    const m = meter();
    const pub = await publisher.request({ cmd: 'paced', prefix: mainPrefix, rate, count, qos, timeLimitMs }, timeLimitMs + 10000);
    const cpu = m.stop();
    const [sf, sb] = [await settle(flow, pub.sent), await settle(baseline, pub.sent)];
    const figures = (snap, cpuPercent) => {
      const span = (snap.lastAt - snap.firstAt) / 1000;
      const msgPerS = span > 0 ? round((snap.n - 1) / span) : null;
      const drainMs = snap.n ? round(snap.lastAt - pub.endedAt, 1) : null;
      return {
        counted: snap.n, lost: pub.sent - snap.n, msgPerS,
        // Kept up: arrivals at (nearly) the rate sent, and the last one within a second of the last send.
        keptUp: snap.n === pub.sent && msgPerS >= 0.95 * pub.achievedRate && drainMs <= 1000,
        drainMs, latencyMs: latencyOf(snap), negativeClamped: snap.negative,
        cpuUsPerMsg: snap.n ? round((cpuPercent / 100) * pub.sendSeconds * 1e6 / snap.n, 1) : null,
        errors: snap.errors, lastError: snap.lastError || undefined, unreadable: snap.unreadable ?? snap.malformed,
        eventLoopDelayMs: snap.diagnostics?.eventLoopDelayMs, gc: snap.diagnostics?.gc,
      };
    };
    const out = {
      rate, qos, durationS, sent: pub.sent, sendRate: round(pub.achievedRate), publisherLateTicks: pub.lateTicks, publisherTimedOut: pub.timedOut || undefined,
      flow: { ...figures(sf, cpu.nodeRed), learningSamples: sf.learning, unmodelledAssetSamples: sf.unmodelled, events: sf.events },
      bare: figures(sb, cpu.bare),
      cpuPercentOfOneCore: cpu,
    };
    out.ratios = {
      throughput: out.bare.msgPerS ? round(out.flow.msgPerS / out.bare.msgPerS, 3) : null,
      p50: ratioOf(out.flow.latencyMs.p50, out.bare.latencyMs.p50),
      p99: ratioOf(out.flow.latencyMs.p99, out.bare.latencyMs.p99),
    };
    return out;
  }

  // --- sweep ---------------------------------------------------------------------------------
  result.phases.sweep = [];
  if (CONFIG.sweep) {
    for (const point of CONFIG.sweep.points) {
      const tag = `${point.rate}-qos${point.qos}`;
      const warm = await pacedPhase(`warmup-${tag}`, { rate: point.rate, durationS: CONFIG.sweep.warmupS, qos: point.qos });
      const p = await pacedPhase(`sweep-${tag}`, { rate: point.rate, durationS: CONFIG.sweep.durationS, qos: point.qos });
      p.warmup = { sent: warm.sent, flowLost: warm.flow.lost, bareLost: warm.bare.lost, flowErrors: warm.flow.errors, flowP99Ms: warm.flow.latencyMs.p99 };
      result.phases.sweep.push(p);
      log(`${point.rate} msg/s QoS ${point.qos}: flow ${p.flow.msgPerS} msg/s, p50 ${p.flow.latencyMs.p50} / p99 ${p.flow.latencyMs.p99} ms, lost ${p.flow.lost}; `
        + `bare ${p.bare.msgPerS} msg/s, p50 ${p.bare.latencyMs.p50} / p99 ${p.bare.latencyMs.p99} ms, lost ${p.bare.lost}; CPU % Node-RED ${p.cpuPercentOfOneCore.nodeRed}, broker ${p.cpuPercentOfOneCore.broker ?? '?'}`);
    }
  }

  // --- maximum sustainable throughput: closed loop, rounds alternating ---------------------------
  if (CONFIG.throughput) {
    const t = CONFIG.throughput;
    // The bare subscriber's rounds run on topics of its own; it leaves the chain's topics meanwhile.
    await bare.request({ cmd: 'unsubscribe', filter: filterOf(mainPrefix) });
    await bare.request({ cmd: 'subscribe', filter: filterOf(barePrefix), qos: 1 });
    await probeBare(barePrefix);
    const closedPhase = async (key, phase, durationMs) => {
      const consumer = key === 'bare' ? baseline : flow;
      await consumer.reset(phase, CONFIG.ackEvery);
      const m = meter();
      const pub = await publisher.request({
        cmd: 'closed', prefix: key === 'bare' ? barePrefix : mainPrefix, window: CONFIG.window, durationMs, qos: 0, ackTopic: consumer.ackTopic, phase, stallMs: 1000,
      }, durationMs + 30000);
      const cpu = m.stop();
      const snap = await settle(consumer, pub.sent);
      const span = (snap.lastAt - snap.firstAt) / 1000;
      return {
        sent: pub.sent, counted: snap.n, lost: pub.sent - snap.n, errors: snap.errors, msgPerS: span > 0 ? round((snap.n - 1) / span) : null,
        stalls: pub.stalls, inLoopLatencyMs: { p50: round(percentile(snap, 50), 1), p99: round(percentile(snap, 99), 1) }, cpuPercentOfOneCore: cpu,
      };
    };
    const tp = { warmup: {}, rounds: [] };
    for (const key of ['bare', 'flow']) tp.warmup[key] = await closedPhase(key, `tp-warmup-${key}`, t.warmupMs);
    for (let r = 1; r <= t.rounds; r++) {
      const entry = {};
      for (const key of ['bare', 'flow']) entry[key] = await closedPhase(key, `tp-${key}-${r}`, t.durationMs);
      entry.ratio = round(entry.flow.msgPerS / entry.bare.msgPerS, 3);
      tp.rounds.push(entry);
      log(`throughput round ${r}: bare ${entry.bare.msgPerS} msg/s, flow ${entry.flow.msgPerS} msg/s (${round(entry.ratio * 100, 1)} %; CPU % Node-RED ${entry.flow.cpuPercentOfOneCore.nodeRed})`);
    }
    tp.best = { bare: Math.max(...tp.rounds.map((r) => r.bare.msgPerS)), flow: Math.max(...tp.rounds.map((r) => r.flow.msgPerS)) };
    tp.ratio = round(tp.best.flow / tp.best.bare, 3);
    result.phases.throughput = tp;
    await bare.request({ cmd: 'unsubscribe', filter: filterOf(barePrefix) });
    await bare.request({ cmd: 'subscribe', filter: filterOf(mainPrefix), qos: 1 });
    await probeBare(mainPrefix);
  }

  // --- soak ----------------------------------------------------------------------------------
  if (CONFIG.soak) {
    const s = CONFIG.soak;
    const durationMs = s.minutes * 60000;
    const count = Math.round((s.rate * durationMs) / 1000);
    await Promise.all([flow.reset('soak'), baseline.reset('soak')]);
    const soakStart = Date.now();
    const samples = [];
    const intervals = [];
    let prev = { flow: null, bare: null, at: soakStart };
    let publishing = true;
    const m = meter();
    const pubPromise = publisher.request({ cmd: 'paced', prefix: mainPrefix, rate: s.rate, count, qos: s.qos, timeLimitMs: durationMs * 1.2 + 10000 }, durationMs * 1.2 + 30000)
      .finally(() => { publishing = false; });
    let nextRss = soakStart;
    let nextInterval = soakStart + s.intervalS * 1000;
    let nextLog = soakStart + 60000;
    let unanswered = 0;
    let aborted;
    while (publishing) {
      const now = Date.now();
      if (!aborted && nodeRed.exitCode !== null) aborted = `Node-RED exited (${nodeRed.exitCode}); see ${path.relative(root, nodeRedLog)}`;
      if (!aborted && unanswered >= s.abortAfterUnanswered) {
        aborted = `the flow answered none of ${unanswered} snapshot requests in a row (30 s each): it fell that far behind`;
      }
      if (aborted) {
        // The soak has failed; stop it rather than let a backlog grow on a shared machine.
        log(`soak stopped early: ${aborted}`);
        publisher.child.send({ cmd: 'halt' });
        await pubPromise.catch(() => {});
        break;
      }
      if (now >= nextRss) {
        const mem = memoryOf(nodeRed.pid);
        samples.push({ t: round((now - soakStart) / 1000, 1), rssMiB: round(mem.rssMB, 1), bareRssMiB: round(memoryOf(bare.child.pid).rssMB, 1) });
        nextRss += s.rssEveryS * 1000;
      }
      if (now >= nextInterval) {
        nextInterval += s.intervalS * 1000;
        // A flow with a backlog answers late: that interval is skipped, not the soak.
        const [sf, sb] = await Promise.all([flow.snapshot().catch(() => null), baseline.snapshot()]);
        if (!sf) {
          unanswered++;
          intervals.push({ t: round((Date.now() - soakStart) / 1000, 1), flow: null, bare: null, note: 'the flow did not answer within 30 s' });
          continue;
        }
        unanswered = 0;
        intervals.push({
          t: round((Date.now() - soakStart) / 1000, 1),
          flow: intervalLatency(prev.flow, sf),
          bare: intervalLatency(prev.bare, sb),
          flowErrors: sf.errors,
          eventLoopDelayMaxMs: sf.diagnostics?.eventLoopDelayMs?.max,
        });
        prev = { flow: sf, bare: sb, at: Date.now() };
      }
      if (now >= nextLog) {
        const last = samples[samples.length - 1];
        const iv = intervals[intervals.length - 1];
        log(`soak ${round((now - soakStart) / 60000, 1)} min: RSS ${last?.rssMiB} MiB; last interval ${iv?.flow ? `flow p99 ${iv.flow.p99Ms} ms (${iv.flow.n} samples), bare p99 ${iv.bare.p99Ms} ms` : 'no answer from the flow'}`);
        nextLog += 60000;
      }
      await sleep(250);
    }
    const pub = await pubPromise;
    const cpu = m.stop();
    if (nodeRed.exitCode !== null) throw new Error(`soak: ${aborted || `Node-RED exited (${nodeRed.exitCode})`}`);
    const [sf, sb] = [await settle(flow, pub.sent, s.settleMs), await settle(baseline, pub.sent)];
    intervals.push({ t: round((Date.now() - soakStart) / 1000, 1), flow: intervalLatency(prev.flow, sf), bare: intervalLatency(prev.bare, sb), flowErrors: sf.errors, final: true });
    const growth = rssGrowth(samples, { durationS: s.minutes * 60, warmupShare: s.warmupShare, windowS: Math.min(60, s.minutes * 60 * 0.2) });
    const span = (snap) => (snap.lastAt - snap.firstAt) / 1000;
    result.phases.soak = {
      rate: s.rate, qos: s.qos, minutes: s.minutes, stoppedEarly: aborted, ranMinutes: round((Date.now() - soakStart) / 60000, 1), sent: pub.sent, sendRate: round(pub.achievedRate), publisherLateTicks: pub.lateTicks, publisherTimedOut: pub.timedOut || undefined,
      flow: { counted: sf.n, lost: pub.sent - sf.n, msgPerS: round((sf.n - 1) / span(sf)), latencyMs: latencyOf(sf), cpuUsPerMsg: sf.n ? round((cpu.nodeRed / 100) * pub.sendSeconds * 1e6 / sf.n, 1) : null, errors: sf.errors, lastError: sf.lastError || undefined, learningSamples: sf.learning, unmodelledAssetSamples: sf.unmodelled, events: sf.events, statuses: sf.statuses, gc: sf.diagnostics?.gc, eventLoopDelayMs: sf.diagnostics?.eventLoopDelayMs },
      bare: { counted: sb.n, lost: pub.sent - sb.n, msgPerS: round((sb.n - 1) / span(sb)), latencyMs: latencyOf(sb), cpuUsPerMsg: sb.n ? round((cpu.bare / 100) * pub.sendSeconds * 1e6 / sb.n, 1) : null },
      cpuPercentOfOneCore: cpu,
      rss: growth,
      rssSamples: samples,
      intervals,
    };
    const so = result.phases.soak;
    so.flow.drainMs = sf.n ? round(sf.lastAt - pub.endedAt, 1) : null;
    so.flow.keptUp = sf.n === pub.sent && so.flow.msgPerS >= 0.95 * pub.achievedRate && so.flow.drainMs <= 1000;
    log(`soak done: ${pub.sent} sent; flow lost ${so.flow.lost}, p50 ${so.flow.latencyMs.p50} / p99 ${so.flow.latencyMs.p99} ms; bare lost ${so.bare.lost}, p99 ${so.bare.latencyMs.p99} ms; RSS ${growth.firstWindow.medianMiB} -> ${growth.lastWindow.medianMiB} MiB (${growth.growthPercent} %)`);
  }

  // --- end -----------------------------------------------------------------------------------
  const endSnap = await flow.snapshot().catch(() => null);
  result.phases.end = { rssMiB: round(memoryOf(nodeRed.pid).rssMB, 1), peakHwmMiB: round(memoryOf(nodeRed.pid).hwmMB, 1), statuses: endSnap?.statuses };
  result.machine.loadAverageAtEnd = os.loadavg().map((v) => round(v, 2));
  await ctl.client.endAsync().catch(() => {});
  await publisher.stop();
  await bare.stop();
  result.nodeRedExit = await stopChild(nodeRed, { signal: 'SIGINT', graceMs: 8000 });

  verdict(result);
  return finish(NAME, result, tableRows(result));
}

function verdict(result) {
  const { fill, sweep, throughput, soak } = result.phases;
  result.checks.push({
    name: 'fill: every detector past its warm-up and every machine model fitted before measuring',
    pass: fill.reached && fill.lost === 0,
    display: `${fill.sent} samples (${fill.samplesPerSignal} per signal) at ${fill.msgPerS} msg/s, lost ${fill.lost}`,
  });
  const soakRate = 5000; // the issue's soak rate
  for (const p of sweep) {
    result.checks.push({
      name: `${p.rate} msg/s QoS ${p.qos}: no message lost through the chain`,
      pass: p.flow.lost === 0 && p.warmup.flowLost === 0 && !p.publisherTimedOut,
      display: `lost ${p.flow.lost} of ${p.sent} (warm-up ${p.warmup.flowLost}); p50 ${p.flow.latencyMs.p50} / p99 ${p.flow.latencyMs.p99} ms vs bare ${p.bare.latencyMs.p50} / ${p.bare.latencyMs.p99} ms; bare lost ${p.bare.lost}`,
      value: p.flow.lost,
    });
    // Up to the soak's rate the chain must keep up; above it, whether it does is information.
    const judged = p.rate <= soakRate;
    result[judged ? 'checks' : 'notes'].push(judged
      ? {
        name: `${p.rate} msg/s QoS ${p.qos}: the chain kept up`,
        pass: p.flow.keptUp,
        display: `${p.flow.msgPerS} msg/s for ${p.sendRate} sent, last arrival ${p.flow.drainMs} ms after the last send`,
      }
      : `${p.rate} msg/s QoS ${p.qos}: the chain ${p.flow.keptUp ? 'kept up' : 'did NOT keep up'} (${p.flow.msgPerS} msg/s for ${p.sendRate} sent, last arrival ${p.flow.drainMs} ms after the last send; Node-RED CPU ${p.cpuPercentOfOneCore.nodeRed} %)`);
  }
  const measured = [...sweep.map((p) => p.flow), ...(soak ? [soak.flow] : [])];
  const errors = [fill.errors, ...sweep.map((p) => p.flow.errors + p.warmup.flowErrors), ...(soak ? [soak.flow.errors] : []), ...(throughput ? throughput.rounds.map((r) => r.flow.errors) : [])].reduce((a, b) => a + b, 0);
  const lastError = [soak?.flow.lastError, ...sweep.map((p) => p.flow.lastError), fill.lastError].find(Boolean);
  result.checks.push({ name: 'no error caught from any twin node', pass: errors === 0, display: errors ? `${errors} errors, last: ${lastError}` : 'none', value: errors });
  const learning = measured.reduce((sum, f) => sum + (f.learningSamples || 0) + (f.unmodelledAssetSamples || 0), 0);
  result.checks.push({
    name: 'measured phases: every scored sample past learning, with its machine model',
    pass: learning === 0,
    display: learning ? `${learning} samples still learning or without a machine model` : `all ${measured.reduce((s, f) => s + f.counted, 0)} scored samples`,
  });
  if (throughput) {
    result.checks.push({
      name: 'throughput rounds: no message lost',
      pass: throughput.rounds.every((r) => r.flow.lost === 0 && r.bare.lost === 0),
      display: throughput.rounds.map((r) => `flow ${r.flow.lost}, bare ${r.bare.lost}`).join('; '),
    });
  }
  if (soak) {
    const rssLimit = rssLimitOf(soak);
    result.targets.push({
      name: `soak ${soak.minutes} min at ${soak.rate} msg/s: Node-RED RSS growth after warm-up${rssLimit > 10 ? ' (short soak: gross-leak guard)' : ''}`,
      value: soak.rss.growthPercent,
      display: `${soak.stoppedEarly ? `STOPPED EARLY after ${soak.ranMinutes} min (${soak.stoppedEarly}); ` : ''}${soak.rss.growthPercent} % (median ${soak.rss.firstWindow.medianMiB} MiB at ${soak.rss.firstWindow.fromS}-${soak.rss.firstWindow.toS} s -> ${soak.rss.lastWindow.medianMiB} MiB at ${soak.rss.lastWindow.fromS}-${soak.rss.lastWindow.toS} s; max ${soak.rss.maxMiB} MiB; slope after warm-up ${soak.rss.slopeMiBPerHour} MiB/h)`,
      target: `<= ${rssLimit} %`,
      pass: !soak.stoppedEarly && Number.isFinite(soak.rss.growthPercent) && soak.rss.growthPercent <= rssLimit,
    });
    result.targets.push({
      name: `soak ${soak.minutes} min at ${soak.rate} msg/s: no message lost through the chain, and it kept up`,
      value: soak.flow.lost,
      display: `lost ${soak.flow.lost} of ${soak.sent} (bare subscriber lost ${soak.bare.lost}); ${soak.flow.msgPerS} msg/s for ${soak.sendRate} sent, last arrival ${soak.flow.drainMs} ms after the last send; p50 ${soak.flow.latencyMs.p50} / p99 ${soak.flow.latencyMs.p99} ms (bare ${soak.bare.latencyMs.p50} / ${soak.bare.latencyMs.p99} ms)`,
      target: 'lost 0; arrivals >= 95 % of the rate sent, the last within 1 s of the last send',
      pass: soak.flow.lost === 0 && soak.flow.keptUp && !soak.publisherTimedOut && !soak.stoppedEarly,
    });
  }
}

/**
 * The leak test is the 30-minute soak (<= 10 %). In its first minutes the heap is still growing to its
 * working size and the GC swings RSS by a third (three CI runs of the same code: -1.8 %, +29.8 % and +44.7 %), so a
 * soak under 10 minutes only guards against a gross leak (about 1.5 KB per sample or more).
 */
function rssLimitOf(soak) {
  return soak.minutes < 10 ? 100 : 10;
}

function tableRows(result) {
  const rows = [];
  const { fill, sweep, throughput, soak, start, end } = result.phases;
  rows.push(['fill (closed loop, to past learning)', `${fill.msgPerS} msg/s`, 'info', `${fill.sent} samples, lost ${fill.lost}; RSS ${start.rssMiB} -> ${fill.rssMiB} MiB`]);
  for (const p of sweep) {
    rows.push([
      `${p.rate} msg/s QoS ${p.qos}, ${p.durationS} s: flow`,
      `${p.flow.msgPerS} msg/s, p50 ${p.flow.latencyMs.p50} / p99 ${p.flow.latencyMs.p99} ms`,
      'lost 0',
      `lost ${p.flow.lost}, ${p.flow.keptUp ? 'kept up' : 'did NOT keep up'}; p99.9 ${p.flow.latencyMs.p999}, max ${p.flow.latencyMs.max} ms; Node-RED CPU ${p.cpuPercentOfOneCore.nodeRed} % = ${p.flow.cpuUsPerMsg} us/msg`,
    ]);
    rows.push([
      '   bare subscriber, same stream',
      `${p.bare.msgPerS} msg/s, p50 ${p.bare.latencyMs.p50} / p99 ${p.bare.latencyMs.p99} ms`,
      'baseline',
      `lost ${p.bare.lost}; ratios flow/bare: msg/s ${p.ratios.throughput}, p50 ${p.ratios.p50} x, p99 ${p.ratios.p99} x`,
    ]);
  }
  if (throughput) {
    rows.push(['max sustainable (closed loop), flow / bare', `${throughput.best.flow} / ${throughput.best.bare} msg/s`, 'info',
      `${round(throughput.ratio * 100, 1)} %; rounds ${throughput.rounds.map((r) => `${r.flow.msgPerS}/${r.bare.msgPerS}`).join(', ')}`]);
  }
  if (soak) {
    rows.push([`soak ${soak.minutes} min at ${soak.rate} msg/s: RSS growth`, `${soak.rss.growthPercent} %`, `<= ${rssLimitOf(soak)} %`,
      `${soak.rss.firstWindow.medianMiB} -> ${soak.rss.lastWindow.medianMiB} MiB (warm-up ${soak.rss.warmupEndS} s excluded), max ${soak.rss.maxMiB} MiB`]);
    rows.push(['   soak latency flow / bare', `p50 ${soak.flow.latencyMs.p50} / p99 ${soak.flow.latencyMs.p99} ms`, 'info',
      `bare p50 ${soak.bare.latencyMs.p50} / p99 ${soak.bare.latencyMs.p99} ms; lost flow ${soak.flow.lost}, bare ${soak.bare.lost}; ${soak.flow.keptUp ? 'kept up' : 'did NOT keep up'}; Node-RED CPU ${soak.cpuPercentOfOneCore.nodeRed} % = ${soak.flow.cpuUsPerMsg} us/msg`]);
  }
  rows.push(['Node-RED RSS start / end', `${start.rssMiB} / ${end.rssMiB} MiB`, 'info', `peak ${end.peakHwmMiB} MiB`]);
  return rows;
}

runMain(NAME, main);
