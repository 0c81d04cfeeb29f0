#!/usr/bin/env node
'use strict';
/**
 * Ingest benchmark (run by `npm run bench`, or alone: `node bench/ingest/index.js`).
 *
 * Processes: this one (orchestration only), a publisher (bench/ingest/publisher.js), a bare mqtt.js
 * subscriber (bench/ingest/bare-subscriber.js) and a real Node-RED 4 runtime
 * (`node node_modules/node-red/red.js --userDir <tmp> --port <free> --settings <tmp>/settings.js`)
 * running bench/ingest/flow.js. Everything goes through the Mosquitto at 127.0.0.1:1883, QoS 0.
 *
 * Consumers: (a) the bare subscriber; (b) twin-source + twin-ingest in Node-RED; (c) for diagnosis
 * only, Node-RED's own mqtt in node (JSON) into the same count node, without twin-ingest.
 * Commands to the count node, its replies and acks travel through the twin-source's connection.
 *
 * Phases, in order (each with a message count or duration and a time limit):
 *   idle RSS      Node-RED up with the minimal flow (twin-source, twin-ingest, catch, status, count
 *                 node: no Node-RED mqtt node), no sample yet
 *   rss           (b) 30,000 samples paced at 10,000/s: 10,000 distinct topics, three times each;
 *                 then VmRSS of the Node-RED process (still the minimal flow)
 *   deploy        the full flow (minimal + (c)'s mqtt in and mqtt-broker nodes) through the admin
 *                 API (POST /flows, full deployment), until the count node answers again
 *   latency       (b) then (a): paced 5,000 msg/s for 10 s; publish time (payload ts) to arrival at
 *                 the count node (b) / at the subscriber's handler (a)
 *   throughput    warm-up, then 2 rounds of (a), (b), (c) alternating, 5 s each, closed loop
 *                 (see publisher.js): at most 1,000 messages in flight, acks every 100 samples
 *   final RSS
 * Lost messages (published but never counted) are reported for every phase and fail the run.
 *
 * Results: a table on stdout and bench/out/ingest.json. Exit code 1 if a target is missed or a
 * phase lost messages. BENCH_CPU_PROF=1 runs Node-RED with --cpu-prof (profiles in bench/out/profiles/,
 * summarise with `node bench/ingest/profile-summary.js <file>`); BENCH_NODE_ARGS="..." adds node options
 * to the Node-RED child (experiments, e.g. a --require hook); BENCH_WINDOW / BENCH_ACK_EVERY change the
 * closed loop (defaults 1000 / 100).
 */
const fs = require('node:fs');
const path = require('node:path');
const mqtt = require('mqtt');
const { forkHelper, stopChild, memoryOf, cpuMeter, brokerPid, installCleanup } = require('../lib/processes');
const { startBenchNodeRed, waitForFlow } = require('../lib/bench-node-red');
const {
  outDir, BROKER, sleep, round, benchConfig, startResult, countNodeCommands, probe, settle, deliveryFigures, loopFigures, signalsIn, finish, runMain,
} = require('../lib/bench-run');
const { writeFlows, fullFlow } = require('./flow');
const { percentile } = require('./counter');

const root = path.resolve(__dirname, '..', '..');

const CONFIG = benchConfig({}, {
  rss: { rate: 10000, count: 30000, timeLimitMs: 20000 },
  latency: { rate: 5000, count: 50000, timeLimitMs: 20000 },
  throughput: { warmupMs: 1500, durationMs: 5000, rounds: 2, stallMs: 1000 },
  settleMs: 2000,
});

const TARGETS = {
  ratio: 0.6, // (b) >= 60 % of (a)
  p99Ms: 20,
  rssMB: 150,
};

const log = (...args) => console.log('[ingest]', ...args);

/** MQTT client of the orchestrator: commands to the flow's count node, $SYS for the broker's drop counter. */
async function controlClient(topics) {
  const client = await mqtt.connectAsync(BROKER, { clientId: `twinloop-bench-orch-${process.pid}`, clean: true, keepalive: 30, reconnectPeriod: 0 });
  const waiters = new Map();
  const sys = { dropped: [], version: undefined };
  client.on('message', (topic, payload) => {
    if (topic === topics.reply) {
      let reply;
      try { reply = JSON.parse(payload.toString()); } catch { return; }
      const waiter = waiters.get(reply.id);
      if (waiter) { waiters.delete(reply.id); waiter(reply); }
    } else if (topic === '$SYS/broker/publish/messages/dropped') {
      sys.dropped.push({ at: Date.now(), value: Number(payload.toString()) });
    } else if (topic === '$SYS/broker/version') {
      sys.version = payload.toString();
    }
  });
  await client.subscribeAsync([topics.reply, '$SYS/broker/publish/messages/dropped', '$SYS/broker/version'], { qos: 0 });
  let nextId = 1;
  /** One command to the count node; resolves with its reply, or null after timeoutMs. */
  function command(op, extra = {}, timeoutMs = 2000) {
    const id = `${process.pid}-${nextId++}`;
    return new Promise((resolve) => {
      const timer = setTimeout(() => { waiters.delete(id); resolve(null); }, timeoutMs);
      waiters.set(id, (reply) => { clearTimeout(timer); resolve(reply); });
      client.publish(topics.cmd, JSON.stringify({ id, op, ...extra }), { qos: 0 });
    });
  }
  return { client, command, sys };
}

/** Median of a few VmRSS readings taken `everyMs` apart. */
async function rssReading(pid, { readings = 5, everyMs = 400 } = {}) {
  const values = [];
  let hwm = 0;
  for (let i = 0; i < readings; i++) {
    if (i) await sleep(everyMs);
    const m = memoryOf(pid);
    values.push(m.rssMB);
    hwm = m.hwmMB;
  }
  values.sort((a, b) => a - b);
  return { rssMiB: round(values[Math.floor(values.length / 2)], 1), rssMB: round((values[Math.floor(values.length / 2)] * 1048576) / 1e6, 1), readingsMiB: values.map((v) => round(v, 1)), peakHwmMiB: round(hwm, 1) };
}

async function main() {
  installCleanup();
  if (!fs.existsSync(path.join(root, 'nodes', 'twin-ingest.js'))) throw new Error('The package is not built: run `npm run build` first.');
  fs.mkdirSync(outDir, { recursive: true });
  const { started, runId, result } = startResult({ bench: 'ingest', command: 'npm run bench', runIdPrefix: 'r', config: CONFIG });

  // --- processes -----------------------------------------------------------------------------
  const publisher = forkHelper(path.join(__dirname, 'publisher.js'), 'publisher');
  const bare = forkHelper(path.join(__dirname, 'bare-subscriber.js'), 'bare subscriber');
  const { port, flows: topics, nodeRed, nodeRedLog, profile, profileDir } = await startBenchNodeRed({
    name: 'ingest',
    outDir,
    tmpPrefix: 'twinloop-bench-',
    packageName: 'twinloop-bench',
    // --expose-gc only lets the orchestrator ask for a full GC AFTER each RSS reading, to report the
    // live heap beside it (diagnosis); it does not change how V8 collects.
    exposeGc: true,
    writeFlows: (userDir) => writeFlows(userDir, runId),
  });
  result.nodeRedCommand = nodeRed.commandLine;
  const ctl = await controlClient(topics);

  const mosquittoPid = brokerPid();
  const consumers = {
    bare: {
      label: '(a) bare mqtt.js subscriber',
      pid: bare.child.pid,
      runId: `${runId}b`,
      ackTopic: `bench/${runId}b/ctl/ack`,
      reset: (phase, ackEvery) => bare.request({ cmd: 'reset', phase, ackEvery, ackTopic: `bench/${runId}b/ctl/ack` }),
      snapshot: async () => (await bare.request({ cmd: 'snapshot' })).snapshot,
    },
    ingest: nodeRedConsumer('(b) Node-RED twin-source + twin-ingest', runId),
    plain: nodeRedConsumer('(c) Node-RED mqtt in (JSON), no twin-ingest', `${runId}c`),
  };
  function nodeRedConsumer(label, consumerRunId) {
    return {
      label,
      pid: nodeRed.pid,
      runId: consumerRunId,
      ackTopic: topics.ack,
      ...countNodeCommands(ctl.command),
    };
  }

  /** Waits until the count node answers a ping (flows running, the twin-source's connection up). */
  const flowAnswers = (timeLimitMs, what) => waitForFlow({ nodeRed, nodeRedLog, pings: [() => ctl.command('ping', {}, 500)], timeLimitMs, what });
  await flowAnswers(CONFIG.startTimeLimitMs, 'after start');
  result.phases.start = { readyAfterS: round((Date.now() - started.getTime()) / 1000, 1), flow: 'minimal' };
  await bare.request({ cmd: 'subscribe', filter: `bench/${consumers.bare.runId}/+/+/+` });
  log(`Node-RED ready after ${result.phases.start.readyAfterS} s`);

  // --- idle RSS: the minimal flow, no sample yet ---------------------------------------------
  await sleep(CONFIG.settleMs);
  result.phases.idle = { flow: 'minimal', rss: await rssReading(nodeRed.pid), process: (await consumers.ingest.snapshot()).diagnostics };
  log(`idle RSS ${result.phases.idle.rss.rssMiB} MiB`);

  // Probes: one sample per path until it arrives, so subscriptions are known to be in place.
  /** Live heap of Node-RED after a forced full GC (only ever after the RSS readings of a phase). */
  async function liveHeap() {
    const reply = await ctl.command('collect', {}, 10000);
    return reply ? reply.heap : null;
  }
  result.phases.idle.liveHeapAfterGc = await liveHeap();

  // (c) needs the full flow: probed after its deploy.
  for (const key of ['bare', 'ingest']) await probe(publisher, consumers[key]);
  const clockCheck = await publisher.request({ cmd: 'clock' });
  result.notes.push(`clock check: publisher performance clock - Date.now() = ${round(clockCheck.clock - clockCheck.dateNow, 2)} ms (Date.now() has 1 ms steps)`);

  /** CPU use (% of one core) of the consumer, the publisher and the broker while the publisher sends. */
  function meterFor(consumer) {
    return cpuMeter({ consumer: consumer.pid, publisher: publisher.child.pid, broker: mosquittoPid });
  }

  function summarise(consumer, pub, snap, cpu) {
    const mean = snap.n ? snap.sumLatency / snap.n : null;
    return {
      ...deliveryFigures(consumer, pub, snap, 'rejectedByIngest'),
      latencyMs: {
        p50: round(percentile(snap, 50), 1),
        p90: round(percentile(snap, 90), 1),
        p99: round(percentile(snap, 99), 1),
        p999: round(percentile(snap, 99.9), 1),
        max: round(snap.maxLatency, 1),
        mean: round(mean, 2),
        negativeClamped: snap.negative,
      },
      cpuPercentOfOneCore: cpu,
      ...loopFigures(pub),
      ingestStatus: snap.lastStatus || undefined,
      consumerProcess: snap.diagnostics,
    };
  }

  async function pacedPhase(consumer, phase, { rate, count, timeLimitMs }) {
    await consumer.reset(phase, 0);
    const meter = meterFor(consumer);
    const pub = await publisher.request({ cmd: 'paced', runId: consumer.runId, rate, count, timeLimitMs }, timeLimitMs + 10000);
    const cpu = meter.stop();
    const snap = await settle(consumer, pub.sent);
    return summarise(consumer, pub, snap, cpu);
  }

  async function closedPhase(consumer, phase, durationMs) {
    await consumer.reset(phase, CONFIG.ackEvery);
    const meter = meterFor(consumer);
    const pub = await publisher.request({
      cmd: 'closed', runId: consumer.runId, window: CONFIG.window, durationMs, ackTopic: consumer.ackTopic, phase, stallMs: CONFIG.throughput.stallMs,
    }, durationMs + 30000);
    const cpu = meter.stop();
    const snap = await settle(consumer, pub.sent);
    return summarise(consumer, pub, snap, cpu);
  }

  // --- RSS after 10,000 distinct signals ---------------------------------------------------
  log(`rss: ${CONFIG.rss.count} samples over ${CONFIG.distinctTopics} topics at ${CONFIG.rss.rate}/s`);
  const rssPhase = await pacedPhase(consumers.ingest, 'rss', CONFIG.rss);
  await sleep(CONFIG.settleMs);
  rssPhase.rssAfter = await rssReading(nodeRed.pid);
  rssPhase.rssGrowthMiB = round(rssPhase.rssAfter.rssMiB - result.phases.idle.rss.rssMiB, 1);
  rssPhase.liveHeapAfterGc = await liveHeap();
  rssPhase.liveHeapGrowthMiB = round(rssPhase.liveHeapAfterGc.heapUsedMiB - result.phases.idle.liveHeapAfterGc.heapUsedMiB, 1);
  rssPhase.flow = 'minimal';
  result.phases.rss = rssPhase;
  log(`rss: counted ${rssPhase.counted}/${rssPhase.sent}, RSS ${rssPhase.rssAfter.rssMiB} MiB (+${rssPhase.rssGrowthMiB}), status "${rssPhase.ingestStatus}"`);

  // --- deploy the full flow: minimal + consumer (c) (Node-RED's mqtt in, mqtt-broker) -------------
  {
    const deployStarted = Date.now();
    const response = await fetch(`http://127.0.0.1:${port}/flows`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Node-RED-Deployment-Type': 'full' },
      body: JSON.stringify(fullFlow(runId)),
      signal: AbortSignal.timeout(15000),
    });
    if (!response.ok) throw new Error(`deploying the full flow failed: HTTP ${response.status} ${await response.text()}`);
    await flowAnswers(30000, 'after deploying the full flow');
    // The deploy restarted every node: probe (b) again, and (c) for the first time.
    for (const key of ['ingest', 'plain']) await probe(publisher, consumers[key]);
    result.phases.deploy = { flow: 'full', answeredAndProbedAfterS: round((Date.now() - deployStarted) / 1000, 1) };
    log(`full flow deployed (consumer (c) added), answering and probed after ${result.phases.deploy.answeredAndProbedAfterS} s`);
  }

  // --- latency at a paced 5,000 msg/s ------------------------------------------------------
  result.phases.latency = {};
  for (const key of ['ingest', 'bare']) {
    log(`latency: ${consumers[key].label}, ${CONFIG.latency.rate} msg/s x ${CONFIG.latency.count / CONFIG.latency.rate} s`);
    const phase = await pacedPhase(consumers[key], `latency-${key}`, CONFIG.latency);
    result.phases.latency[key] = phase;
    const d = phase.consumerProcess;
    log(`  counted ${phase.counted}/${phase.sent}, p50 ${phase.latencyMs.p50} ms, p99 ${phase.latencyMs.p99} ms, max ${phase.latencyMs.max} ms; consumer event-loop delay p99 ${d.eventLoopDelayMs.p99} ms, max ${d.eventLoopDelayMs.max} ms; GC max pause ${d.gc.maxPauseMs} ms`);
  }

  // --- throughput: closed loop, rounds alternating the consumers ------------------------------
  const order = ['bare', 'ingest', 'plain'];
  result.phases.throughput = { warmup: {}, rounds: [] };
  for (const key of order) {
    result.phases.throughput.warmup[key] = await closedPhase(consumers[key], `warmup-${key}`, CONFIG.throughput.warmupMs);
  }
  for (let r = 1; r <= CONFIG.throughput.rounds; r++) {
    const entry = {};
    for (const key of order) {
      entry[key] = await closedPhase(consumers[key], `throughput-${key}-${r}`, CONFIG.throughput.durationMs);
      const c = entry[key].cpuPercentOfOneCore;
      log(`throughput round ${r}: ${consumers[key].label}: ${entry[key].msgPerS} msg/s (counted ${entry[key].counted}/${entry[key].sent}; CPU % consumer ${c.consumer}, publisher ${c.publisher}, broker ${c.broker ?? '?'})`);
    }
    entry.ratioIngestToBare = round4(entry.ingest.msgPerS / entry.bare.msgPerS);
    result.phases.throughput.rounds.push(entry);
  }
  function round4(v) { return round(v, 3); }
  const best = (key) => Math.max(...result.phases.throughput.rounds.map((r) => r[key].msgPerS || 0));
  result.phases.throughput.best = { bare: best('bare'), ingest: best('ingest'), plain: best('plain') };
  result.phases.throughput.ratioIngestToBare = round4(best('ingest') / best('bare'));
  result.phases.throughput.ratioPlainToBare = round4(best('plain') / best('bare'));
  result.phases.throughput.ratioIngestToPlain = round4(best('ingest') / best('plain'));

  // --- end -----------------------------------------------------------------------------------
  result.phases.final = { flow: 'full', rss: await rssReading(nodeRed.pid, { readings: 3 }), process: (await consumers.ingest.snapshot()).diagnostics };
  result.phases.final.liveHeapAfterGc = await liveHeap();
  const dropped = ctl.sys.dropped;
  result.machine.brokerVersion = ctl.sys.version;
  result.broker = {
    version: ctl.sys.version,
    droppedCounter: dropped.length
      ? { first: dropped[0].value, last: dropped[dropped.length - 1].value, note: 'Mosquitto $SYS/broker/publish/messages/dropped: whole broker, all clients, refreshed every 10 s' }
      : 'no $SYS/broker/publish/messages/dropped published: Mosquitto publishes it only once it is non-zero',
  };

  await ctl.client.endAsync().catch(() => {});
  await Promise.all([publisher.stop(), bare.stop()]);
  const exit = await stopChild(nodeRed, { signal: 'SIGINT', graceMs: 8000 });
  result.nodeRedExit = exit;
  if (profile) result.notes.push(`CPU profiles in ${path.relative(root, profileDir)}: ${fs.readdirSync(profileDir).join(', ')}`);

  // --- verdict -------------------------------------------------------------------------------
  const p99 = result.phases.latency.ingest.latencyMs.p99;
  const rss = result.phases.rss.rssAfter;
  const ratio = result.phases.throughput.ratioIngestToBare;
  result.targets.push(
    { name: 'throughput (b) / (a)', value: ratio, display: `${round(ratio * 100, 1)} % (${best('ingest')} / ${best('bare')} msg/s)`, target: `>= ${TARGETS.ratio * 100} %`, pass: ratio >= TARGETS.ratio },
    { name: 'ingest latency p99 at 5,000 msg/s', value: p99, display: `${p99} ms (p50 ${result.phases.latency.ingest.latencyMs.p50} ms)`, target: `<= ${TARGETS.p99Ms} ms`, pass: p99 <= TARGETS.p99Ms },
    { name: 'Node-RED RSS after 10,000 signals', value: rss.rssMB, display: `${rss.rssMB} MB = ${rss.rssMiB} MiB, minimal flow (idle ${result.phases.idle.rss.rssMiB} MiB, +${result.phases.rss.rssGrowthMiB} MiB)`, target: `<= ${TARGETS.rssMB} MB`, pass: rss.rssMB <= TARGETS.rssMB },
  );
  const everyPhase = [
    ['rss', result.phases.rss],
    ['latency (b)', result.phases.latency.ingest],
    ['latency (a)', result.phases.latency.bare],
    ...result.phases.throughput.rounds.flatMap((r, i) => order.map((key) => [`throughput ${key} round ${i + 1}`, r[key]])),
  ];
  const lost = everyPhase.filter(([, p]) => p.lost !== 0 || p.rejectedByIngest !== 0);
  result.checks.push({
    name: 'no message lost or rejected in any measured phase',
    pass: lost.length === 0,
    display: lost.length ? lost.map(([name, p]) => `${name}: ${p.lost} lost, ${p.rejectedByIngest} rejected`).join('; ') : 'none lost',
  });
  result.checks.push({
    name: 'ingest status shows >= 10,000 signals after the rss phase',
    pass: signalsIn(result.phases.rss.ingestStatus) >= CONFIG.distinctTopics,
    display: `"${result.phases.rss.ingestStatus}"`,
  });
  return finish('ingest', result, tableRows(result));
}

function tableRows(result) {
  const rows = [];
  const t = result.phases.throughput;
  const lat = result.phases.latency;
  rows.push(['throughput (a) bare mqtt.js', `${t.best.bare} msg/s`, 'baseline', t.rounds.map((r) => r.bare.msgPerS).join(', ')]);
  rows.push(['throughput (b) twin-ingest', `${t.best.ingest} msg/s`, '>= 60 % of (a)', t.rounds.map((r) => r.ingest.msgPerS).join(', ')]);
  rows.push(['throughput (c) Node-RED mqtt in', `${t.best.plain} msg/s`, 'info', t.rounds.map((r) => r.plain.msgPerS).join(', ')]);
  rows.push(['ratio (b)/(a)', `${round(t.ratioIngestToBare * 100, 1)} %`, '>= 60 %', t.rounds.map((r) => `${round(r.ratioIngestToBare * 100, 1)} %`).join(', ')]);
  rows.push(['ratio (c)/(a), (b)/(c)', `${round(t.ratioPlainToBare * 100, 1)} %, ${round(t.ratioIngestToPlain * 100, 1)} %`, 'info', '']);
  const loopOf = (p) => `event loop max ${p.consumerProcess.eventLoopDelayMs.max} ms (5 ms timer), GC max ${p.consumerProcess.gc.maxPauseMs} ms`;
  rows.push(['latency (b) p50 / p99 / max', `${lat.ingest.latencyMs.p50} / ${lat.ingest.latencyMs.p99} / ${lat.ingest.latencyMs.max} ms`, 'p99 <= 20 ms', `${lat.ingest.counted}/${lat.ingest.sent} at ${lat.ingest.sendRate}/s; ${loopOf(lat.ingest)}`]);
  rows.push(['latency (a) p50 / p99 / max', `${lat.bare.latencyMs.p50} / ${lat.bare.latencyMs.p99} / ${lat.bare.latencyMs.max} ms`, 'info', `${lat.bare.counted}/${lat.bare.sent} at ${lat.bare.sendRate}/s; ${loopOf(lat.bare)}`]);
  const heap = (phase) => (phase.liveHeapAfterGc ? `live heap after a forced GC ${phase.liveHeapAfterGc.heapUsedMiB} MiB` : '');
  rows.push(['Node-RED RSS idle (minimal flow)', `${result.phases.idle.rss.rssMiB} MiB (${result.phases.idle.rss.rssMB} MB)`, 'baseline', heap(result.phases.idle)]);
  rows.push(['RSS after 10k signals (minimal flow)', `${result.phases.rss.rssAfter.rssMiB} MiB (${result.phases.rss.rssAfter.rssMB} MB)`, '<= 150 MB', `+${result.phases.rss.rssGrowthMiB} MiB over idle; ${heap(result.phases.rss)} (+${result.phases.rss.liveHeapGrowthMiB})`]);
  rows.push(['Node-RED RSS at the end (full flow)', `${result.phases.final.rss.rssMiB} MiB`, 'info', `peak (VmHWM) ${result.phases.final.rss.peakHwmMiB} MiB; ${heap(result.phases.final)}`]);
  return rows;
}

runMain('ingest', main);
