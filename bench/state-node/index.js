#!/usr/bin/env node
'use strict';
/**
 * twin-state NODE benchmark (run by `npm run bench`, or alone: `node bench/state-node/index.js`).
 *
 * Messages per second through the twin-state node holding 10,000 signals, in a real Node-RED 4
 * runtime (`node node_modules/node-red/red.js --userDir <tmp> --port <free> --settings <tmp>/settings.js`),
 * against the same flow without the twin-state as the baseline, in the same run and the same
 * Node-RED process, rounds alternating. Flow (bench/state-node/flow.js), a twin-source (connection)
 * per path, so each connection carries what the ingest benchmark's (b) carries:
 *
 *   base   twin-source b (MQTT, QoS 0, clean session) -> twin-ingest -> count
 *   state  twin-source s (MQTT, QoS 0, clean session) -> twin-ingest -> twin-state -> count (output 1)
 *
 * twin-state: history 100, persist off, fidelity interval 0, no model (every signal added).
 * Reused from the ingest benchmark: the publisher process (bench/ingest/publisher.js: 10,000 topics
 * cycled, closed loop), the counting node (bench/ingest/count-node, running bench/ingest/counter.js),
 * the process helpers (bench/lib/processes.js) and the Node-RED start-up (bench/lib/bench-node-red.js).
 *
 * Phases, in order (each with a message count or duration and a time limit):
 *   start       Node-RED up, both count nodes answer, one probe sample per path arrives
 *   fill        each path: 20,000 samples paced at 10,000/s (10,000 topics twice), so both ingests
 *               and the twin-state hold 10,001 signals (10,000 + the probe) before any measurement;
 *               then the twin-state's status is checked and Node-RED's RSS read (info)
 *   history     state path only, closed loop in 4 s chunks until 100 samples per signal have gone
 *               through (every history ring full, 1,000,000 + samples; 40 s limit): the steady state
 *   throughput  warm-up (2 s each path), then 3 rounds of base, state alternating, 5 s each, closed
 *               loop (publisher.js): at most 1,000 messages in flight, acks every 100 samples
 * Lost messages (published but never counted) and rejections (catch nodes) are counted in every
 * phase and fail the run. Per round: msg/s (counted / span of arrivals), Node-RED's CPU and its CPU
 * time per message (the baseline is usually limited by the closed loop's round trip, not by CPU,
 * so the msg/s ratio understates the state's cost; the CPU per message shows it). The commit, any
 * uncommitted change under src/ and the build time of dist/ are recorded with the results.
 *
 * Results: a table on stdout and bench/out/state-node.json; exit code 1 if the target is missed or a
 * check fails. BENCH_CPU_PROF=1 runs Node-RED with --cpu-prof (profiles in bench/out/profiles/,
 * summarise with `node bench/ingest/profile-summary.js <file>`); BENCH_NODE_ARGS adds node options to
 * the Node-RED child; BENCH_WINDOW / BENCH_ACK_EVERY change the closed loop (defaults 1000 / 100).
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const mqtt = require('mqtt');
const { forkHelper, stopChild, memoryOf, cpuMeter, brokerPid, installCleanup } = require('../lib/processes');
const { startBenchNodeRed, waitForFlow } = require('../lib/bench-node-red');
const {
  outDir, BROKER, sleep, round, benchConfig, startResult, countNodeCommands, probe, settle, deliveryFigures, loopFigures, signalsIn, finish, runMain,
} = require('../lib/bench-run');
const { percentile } = require('../ingest/counter');
const { writeFlows } = require('./flow');

const NAME = 'state-node';
const root = path.resolve(__dirname, '..', '..');

const STATE_NODE = { historyLength: 100, persist: false, fidelityInterval: 0, unknownSignals: 'add', model: 'none' };

const CONFIG = benchConfig({ stateNode: STATE_NODE }, {
  fill: { rate: 10000, count: 20000, timeLimitMs: 15000 },
  // Closed-loop chunks on the state path until every signal's history holds its 100 points
  // (the rings grow 4, 8, ... 100 while they fill, and the heap grows by ~30 MiB: without this
  // phase the first measured round of the state path was often the slowest of the three).
  historyFill: { samplesPerSignal: 100, chunkMs: 4000, timeLimitMs: 40000 },
  throughput: { warmupMs: 2000, durationMs: 5000, rounds: 3, stallMs: 1000 },
  settleMs: 1500,
});

const TARGETS = { stateMsgPerS: 50000 };

const log = (...args) => console.log(`[${NAME}]`, ...args);

/** The orchestrator's MQTT client: commands to the count nodes (one reply topic each). */
async function controlClient(replyTopics) {
  const client = await mqtt.connectAsync(BROKER, { clientId: `twinloop-bench-sn-orch-${process.pid}`, clean: true, keepalive: 30, reconnectPeriod: 0 });
  const waiters = new Map();
  client.on('message', (topic, payload) => {
    if (!replyTopics.includes(topic)) return;
    let reply;
    try { reply = JSON.parse(payload.toString()); } catch { return; }
    const waiter = waiters.get(reply.id);
    if (waiter) { waiters.delete(reply.id); waiter(reply); }
  });
  await client.subscribeAsync(replyTopics, { qos: 0 });
  let nextId = 1;
  /** One command to the count node listening on `cmdTopic`; resolves with its reply, or null after timeoutMs. */
  function command(cmdTopic, op, extra = {}, timeoutMs = 2000) {
    const id = `${process.pid}-${nextId++}`;
    return new Promise((resolve) => {
      const timer = setTimeout(() => { waiters.delete(id); resolve(null); }, timeoutMs);
      waiters.set(id, (reply) => { clearTimeout(timer); resolve(reply); });
      client.publish(cmdTopic, JSON.stringify({ id, op, ...extra }), { qos: 0 });
    });
  }
  return { client, command };
}

async function rssReading(pid, { readings = 3, everyMs = 400 } = {}) {
  const values = [];
  for (let i = 0; i < readings; i++) {
    if (i) await sleep(everyMs);
    values.push(memoryOf(pid).rssMB);
  }
  values.sort((a, b) => a - b);
  return { rssMiB: round(values[Math.floor(values.length / 2)], 1), peakHwmMiB: round(memoryOf(pid).hwmMB, 1) };
}

/** Which code was measured: the commit, files changed under src/, when dist/ was built (read-only git). */
function codeProvenance() {
  const git = (...args) => {
    const r = spawnSync('git', args, { cwd: root, encoding: 'utf8' });
    return r.status === 0 ? r.stdout.trim() : undefined;
  };
  const built = (file) => {
    try { return fs.statSync(path.join(root, file)).mtime.toISOString(); } catch { return undefined; }
  };
  return {
    commit: git('rev-parse', '--short', 'HEAD'),
    uncommittedUnderSrc: (git('status', '--porcelain', '--', 'src') || '').split('\n').filter(Boolean),
    builtAt: { twinStateNode: built('dist/nodes/twin-state/index.js'), twinStateCore: built('dist/core/state/twin-state.js') },
  };
}

async function main() {
  installCleanup();
  if (!fs.existsSync(path.join(root, 'nodes', 'twin-state.js')) || !fs.existsSync(path.join(root, 'dist', 'nodes', 'twin-state', 'index.js'))) {
    throw new Error('The package is not built: run `npm run build` first.');
  }
  fs.mkdirSync(outDir, { recursive: true });
  const { started, runId, result } = startResult({
    bench: NAME, command: `npm run bench -- --no-build ${NAME}`, runIdPrefix: 's', config: CONFIG, code: codeProvenance(),
  });

  // --- processes -----------------------------------------------------------------------------
  const publisher = forkHelper(path.join(__dirname, '..', 'ingest', 'publisher.js'), 'publisher');
  const { flows: topics, nodeRed, nodeRedLog, profile, profileDir, profilesBefore } = await startBenchNodeRed({
    name: NAME,
    outDir,
    tmpPrefix: 'twinloop-bench-sn-',
    packageName: 'twinloop-bench-state-node',
    writeFlows: (userDir) => writeFlows(userDir, runId),
  });
  result.nodeRedCommand = nodeRed.commandLine;
  const ctl = await controlClient([topics.base.reply, topics.state.reply]);
  const mosquittoPid = brokerPid();

  function consumer(key, label) {
    const t = topics[key];
    const command = (op, extra, timeoutMs) => ctl.command(t.cmd, op, extra, timeoutMs);
    return {
      key,
      label,
      runId: `${runId}${key === 'base' ? 'b' : 's'}`,
      ackTopic: t.ack,
      command,
      ...countNodeCommands(command, `${label}: `),
    };
  }
  const consumers = {
    base: consumer('base', 'baseline: twin-ingest -> count'),
    state: consumer('state', 'twin-ingest -> twin-state -> count'),
  };
  const order = ['base', 'state'];

  await waitForFlow({ nodeRed, nodeRedLog, pings: order.map((key) => () => consumers[key].command('ping', {}, 500)), timeLimitMs: CONFIG.startTimeLimitMs });

  for (const key of order) await probe(publisher, consumers[key]);
  result.phases.start = { readyAndProbedAfterS: round((Date.now() - started.getTime()) / 1000, 1), rss: await rssReading(nodeRed.pid) };
  log(`Node-RED ready and both paths probed after ${result.phases.start.readyAndProbedAfterS} s, RSS ${result.phases.start.rss.rssMiB} MiB`);

  function summarise(c, pub, snap, cpu) {
    return {
      ...deliveryFigures(c, pub, snap, 'rejected'),
      // Queueing inside the closed loop's window: not comparable with paced latencies.
      inLoopLatencyMs: { p50: round(percentile(snap, 50), 1), p99: round(percentile(snap, 99), 1), max: round(snap.maxLatency, 1) },
      cpuPercentOfOneCore: cpu,
      // Node-RED CPU time per counted message (the meter spans the publisher's sending, ~ sendSeconds).
      nodeRedCpuUsPerMsg: snap.n > 0 && pub.sendSeconds > 0 ? round((cpu.nodeRed / 100) * pub.sendSeconds * 1e6 / snap.n, 2) : null,
      ...loopFigures(pub),
      lastStatus: snap.lastStatus || undefined,
      nodeRedProcess: snap.diagnostics,
    };
  }

  const meterFor = () => cpuMeter({ nodeRed: nodeRed.pid, publisher: publisher.child.pid, broker: mosquittoPid });

  async function pacedPhase(c, phase, { rate, count, timeLimitMs }) {
    await c.reset(phase, 0);
    const meter = meterFor();
    const pub = await publisher.request({ cmd: 'paced', runId: c.runId, rate, count, timeLimitMs }, timeLimitMs + 10000);
    const cpu = meter.stop();
    return summarise(c, pub, await settle(c, pub.sent), cpu);
  }

  async function closedPhase(c, phase, durationMs) {
    await c.reset(phase, CONFIG.ackEvery);
    const meter = meterFor();
    const pub = await publisher.request({
      cmd: 'closed', runId: c.runId, window: CONFIG.window, durationMs, ackTopic: c.ackTopic, phase, stallMs: CONFIG.throughput.stallMs,
    }, durationMs + 30000);
    const cpu = meter.stop();
    return summarise(c, pub, await settle(c, pub.sent), cpu);
  }

  // --- fill: 10,000 signals in both ingests and in the twin-state ------------------------------
  result.phases.fill = {};
  for (const key of order) {
    const phase = await pacedPhase(consumers[key], `fill-${key}`, CONFIG.fill);
    result.phases.fill[key] = phase;
    log(`fill ${consumers[key].label}: counted ${phase.counted}/${phase.sent} at ${phase.sendRate}/s`);
  }
  // The status nodes pass on the last status (at most four a second): give them a moment.
  await sleep(CONFIG.settleMs);
  const statusAfterFill = {};
  for (const key of order) statusAfterFill[key] = (await consumers[key].snapshot()).lastStatus;
  result.phases.fill.statusAfter = statusAfterFill;
  result.phases.fill.rss = await rssReading(nodeRed.pid);
  log(`after fill: status base "${statusAfterFill.base}", state "${statusAfterFill.state}"; Node-RED RSS ${result.phases.fill.rss.rssMiB} MiB`);

  // --- history fill: state path until every ring holds historyLength points ----------------------
  {
    const hf = CONFIG.historyFill;
    const goal = hf.samplesPerSignal * CONFIG.distinctTopics;
    const chunks = [];
    let through = result.phases.fill.state.counted;
    const deadline = Date.now() + hf.timeLimitMs;
    while (through < goal && Date.now() < deadline) {
      const chunk = await closedPhase(consumers.state, `history-${chunks.length + 1}`, hf.chunkMs);
      chunks.push(chunk);
      through += chunk.counted;
    }
    result.phases.historyFill = { goal, samplesThroughState: through, reached: through >= goal, chunks, rss: await rssReading(nodeRed.pid) };
    log(`history fill: ${through} samples through the twin-state (goal ${goal}) in ${chunks.length} chunks, msg/s ${chunks.map((c) => c.msgPerS).join(', ')}; RSS ${result.phases.historyFill.rss.rssMiB} MiB`);
  }

  // --- throughput: closed loop, rounds alternating base and state -------------------------------
  result.phases.throughput = { warmup: {}, rounds: [] };
  for (const key of order) result.phases.throughput.warmup[key] = await closedPhase(consumers[key], `warmup-${key}`, CONFIG.throughput.warmupMs);
  for (let r = 1; r <= CONFIG.throughput.rounds; r++) {
    const entry = {};
    for (const key of order) {
      entry[key] = await closedPhase(consumers[key], `throughput-${key}-${r}`, CONFIG.throughput.durationMs);
      const e = entry[key];
      const c = e.cpuPercentOfOneCore;
      log(`round ${r}: ${consumers[key].label}: ${e.msgPerS} msg/s (counted ${e.counted}/${e.sent}, stalls ${e.closedLoop.stalls}; CPU % Node-RED ${c.nodeRed}, publisher ${c.publisher}, broker ${c.broker ?? '?'})`);
    }
    entry.ratioStateToBase = round(entry.state.msgPerS / entry.base.msgPerS, 3);
    result.phases.throughput.rounds.push(entry);
  }
  const rounds = result.phases.throughput.rounds;
  const best = (key) => Math.max(...rounds.map((r) => r[key].msgPerS || 0));
  const median = (key) => {
    const v = rounds.map((r) => r[key].msgPerS || 0).sort((a, b) => a - b);
    return v.length % 2 ? v[(v.length - 1) / 2] : round((v[v.length / 2 - 1] + v[v.length / 2]) / 2);
  };
  const t = result.phases.throughput;
  t.best = { base: best('base'), state: best('state') };
  t.median = { base: median('base'), state: median('state') };
  t.ratioStateToBase = round(t.best.state / t.best.base, 3);
  t.ratioStateToBaseMedian = round(t.median.state / t.median.base, 3);
  const middle = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
  t.nodeRedCpuUsPerMsgMedian = { base: middle(rounds.map((r) => r.base.nodeRedCpuUsPerMsg)), state: middle(rounds.map((r) => r.state.nodeRedCpuUsPerMsg)) };
  t.statePathMessagesTotal = result.phases.historyFill.samplesThroughState + t.warmup.state.counted + rounds.reduce((sum, r) => sum + r.state.counted, 0);

  // --- end -----------------------------------------------------------------------------------
  await sleep(300);
  const statusAtEnd = {};
  for (const key of order) statusAtEnd[key] = (await consumers[key].snapshot()).lastStatus;
  result.phases.end = { status: statusAtEnd, rss: await rssReading(nodeRed.pid) };
  result.machine.loadAverageAtEnd = os.loadavg().map((v) => round(v, 2));

  await ctl.client.endAsync().catch(() => {});
  await publisher.stop();
  result.nodeRedExit = await stopChild(nodeRed, { signal: 'SIGINT', graceMs: profile ? 15000 : 8000 });
  if (profile) {
    const written = fs.readdirSync(profileDir).filter((f) => !profilesBefore.has(f));
    result.notes.push(`CPU profile of Node-RED in ${path.relative(root, profileDir)}: ${written.join(', ') || 'none written'} (node bench/ingest/profile-summary.js <file>)`);
  }

  // --- verdict -------------------------------------------------------------------------------
  result.targets.push({
    name: 'msg/s through the twin-state node, 10,000 signals (best round)',
    value: t.best.state,
    display: `${t.best.state} msg/s (rounds ${rounds.map((r) => r.state.msgPerS).join(', ')}); ${round(t.ratioStateToBase * 100, 1)} % of the baseline ingest -> count, ${t.best.base} msg/s (per round ${rounds.map((r) => `${round(r.ratioStateToBase * 100, 1)} %`).join(', ')})`,
    target: `>= ${TARGETS.stateMsgPerS}`,
    pass: t.best.state >= TARGETS.stateMsgPerS,
    ratioToBaseline: t.ratioStateToBase,
  });
  const everyPhase = [
    ...order.map((key) => [`fill ${key}`, result.phases.fill[key]]),
    ...result.phases.historyFill.chunks.map((c, i) => [`history fill ${i + 1}`, c]),
    ...order.map((key) => [`warm-up ${key}`, t.warmup[key]]),
    ...rounds.flatMap((r, i) => order.map((key) => [`round ${i + 1} ${key}`, r[key]])),
  ];
  const bad = everyPhase.filter(([, p]) => p.lost !== 0 || p.rejected !== 0);
  const totalLost = everyPhase.reduce((sum, [, p]) => sum + p.lost, 0);
  result.checks.push({
    name: 'no message lost or rejected in any phase',
    pass: bad.length === 0,
    display: bad.length ? bad.map(([name, p]) => `${name}: ${p.lost} lost, ${p.rejected} rejected${p.lastError ? ` (${p.lastError})` : ''}`).join('; ') : `none lost (${everyPhase.reduce((s, [, p]) => s + p.sent, 0)} sent)`,
    value: totalLost,
  });
  result.checks.push({
    name: 'twin-state status shows >= 10,000 signals after the fill',
    pass: signalsIn(statusAfterFill.state) >= CONFIG.distinctTopics,
    display: `"${statusAfterFill.state}" (baseline ingest: "${statusAfterFill.base}")`,
  });
  result.checks.push({
    name: 'every twin-state history full (100 samples per signal) before the measured rounds',
    pass: result.phases.historyFill.reached,
    display: `${result.phases.historyFill.samplesThroughState} samples through the twin-state before the warm-up (goal ${result.phases.historyFill.goal})`,
  });
  return finish(NAME, result, tableRows(result));
}

function tableRows(result) {
  const t = result.phases.throughput;
  const median = (which) => {
    const v = t.rounds.map((r) => (which === 'cpuBase' ? r.base : r.state).nodeRedCpuUsPerMsg).sort((a, b) => a - b);
    return v[Math.floor(v.length / 2)];
  };
  const cpu = (key) => t.rounds.map((r) => r[key].cpuPercentOfOneCore.nodeRed).join(', ');
  const rows = [
    ['baseline: ingest -> count', `${t.best.base} msg/s`, 'baseline', `${t.rounds.map((r) => r.base.msgPerS).join(', ')}; Node-RED CPU % ${cpu('base')}`],
    ['ingest -> twin-state -> count', `${t.best.state} msg/s`, `>= ${TARGETS.stateMsgPerS}`, `${t.rounds.map((r) => r.state.msgPerS).join(', ')}; Node-RED CPU % ${cpu('state')}`],
    ['ratio state / baseline', `${round(t.ratioStateToBase * 100, 1)} %`, 'info', `${t.rounds.map((r) => `${round(r.ratioStateToBase * 100, 1)} %`).join(', ')} (medians ${t.median.state} / ${t.median.base} = ${round(t.ratioStateToBaseMedian * 100, 1)} %)`],
    ['Node-RED CPU per message, base / state', `${median('cpuBase')} / ${median('cpuState')} us`, 'info', `medians; per round base ${t.rounds.map((r) => r.base.nodeRedCpuUsPerMsg).join(', ')}, state ${t.rounds.map((r) => r.state.nodeRedCpuUsPerMsg).join(', ')}`],
    ['in-loop latency p50 / p99 (state, last round)', `${t.rounds.at(-1).state.inLoopLatencyMs.p50} / ${t.rounds.at(-1).state.inLoopLatencyMs.p99} ms`, 'info', `baseline ${t.rounds.at(-1).base.inLoopLatencyMs.p50} / ${t.rounds.at(-1).base.inLoopLatencyMs.p99} ms`],
    ['state path while the histories fill', `${result.phases.historyFill.chunks.map((c) => c.msgPerS).join(', ')} msg/s`, 'info', `${result.phases.historyFill.chunks.length} chunks of ${CONFIG.historyFill.chunkMs / 1000} s, ${result.phases.historyFill.samplesThroughState} samples through the state`],
    ['Node-RED RSS start / 10k signals / full histories / end', `${result.phases.start.rss.rssMiB} / ${result.phases.fill.rss.rssMiB} / ${result.phases.historyFill.rss.rssMiB} / ${result.phases.end.rss.rssMiB} MiB`, 'info', `peak ${result.phases.end.rss.peakHwmMiB} MiB; ${t.statePathMessagesTotal} samples through the twin-state`],
  ];
  return rows;
}

runMain(NAME, main);
