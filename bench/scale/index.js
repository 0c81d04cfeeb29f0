#!/usr/bin/env node
'use strict';
/**
 * Scale-out benchmark (run by `npm run bench`, or alone: `node bench/scale/index.js` after `npm run build`).
 *
 * 100,000 simulated signals (2,000 assets × 50 signals, `bench/<run>/a<i>/s<j>`) shared by two real
 * Node-RED runtimes, each twin-source (MQTT 5) → twin-ingest (cluster group, the 2,000 assets,
 * QoS 0) → a count function node, against the Mosquitto at 127.0.0.1:1883. Baseline in the same run:
 * a bare mqtt.js subscriber (bench/scale/bare.js) receiving the same messages.
 *
 * Phases:
 *   start      both runtimes up; probe rounds (one sample per asset) until the two counts add up
 *              to every asset (the split is in place)
 *   paced      every signal once (100,000 messages) at BENCH_SCALE_RATE msg/s (default 4,000):
 *              per instance counted, msg/s over its arrival span, lost; the bare subscriber's figures
 *   memory     VmRSS of each runtime after the 100,000 signals
 *   takeover   2,000 msg/s for 8 s; SIGINT to the second runtime after 2 s: time until it exited
 *              (the handover is done before its connection closes), time until the survivor saw
 *              every asset of the leaver, samples lost (published minus counted by both)
 * Results: a table, bench/out/scale.json; exit code 1 when a target is missed.
 */
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const mqtt = require('mqtt');
const { linkPackageInto } = require('../../scripts/start');
const { forkHelper, spawnNodeRed, stopChild, freePort, memoryOf, installCleanup } = require('../lib/processes');
const { outDir, BROKER, sleep, round, startResult, finish, runMain } = require('../lib/bench-run');

const root = path.resolve(__dirname, '..', '..');
const ASSETS = 2000;
const SIGNALS = 50;
const CONFIG = {
  assets: ASSETS,
  signalsPerAsset: SIGNALS,
  signals: ASSETS * SIGNALS,
  qos: 0,
  paced: { rate: Number(process.env.BENCH_SCALE_RATE) || 4000, count: ASSETS * SIGNALS },
  takeover: { rate: 2000, durationMs: 8000, stopAfterMs: 2000 },
  stateIntervalS: 5,
  handoverTimeoutS: 5,
};
const TARGETS = { ratio: 0.9, takeoverMs: 2000, rssMB: 300 };
const log = (...args) => console.log('[scale]', ...args);

function flows(runId, instance) {
  return [
    { id: 'tab', type: 'tab', label: 'scale' },
    { id: 'src', type: 'twin-source', protocol: 'mqtt', broker: BROKER, protocolVersion: '5', persistentSession: false, clientId: `twinloop-bench-scale-${instance}-${runId}`, keepalive: '30' },
    {
      id: 'ingest', type: 'twin-ingest', z: 'tab', source: 'src', topic: `bench/${runId}/+/+`, qos: '0', format: 'auto',
      duplicates: 'keep', outOfOrder: 'keep', clusterGroup: `scale${runId}`, clusterPrefix: `bench/${runId}/twin`,
      clusterAssets: `bench/${runId}/a{0..${ASSETS - 1}}`, stateInterval: String(CONFIG.stateIntervalS), handoverTimeout: String(CONFIG.handoverTimeoutS),
      x: 200, y: 60, wires: [['count']],
    },
    {
      id: 'count', type: 'function', z: 'tab', name: 'count', outputs: 1, x: 400, y: 60, wires: [[]],
      func: `const c = global.get('c');
const now = Date.now();
if (msg.restored) { c.restored += msg.payload.length; c.restoredMessages++; c.lastRestoredAt = now; return null; }
if (c.n === 0) c.firstAt = now;
c.lastAt = now;
c.n++;
if (!c.seen.has(msg.payload.asset)) c.seen.set(msg.payload.asset, now);
return null;`,
      initialize: `global.set('c', { n: 0, firstAt: 0, lastAt: 0, seen: new Map(), restored: 0, restoredMessages: 0, lastRestoredAt: 0 });`,
    },
    { id: 'http', type: 'http in', z: 'tab', url: '/count', method: 'get', x: 200, y: 160, wires: [['answer']] },
    {
      id: 'answer', type: 'function', z: 'tab', outputs: 1, x: 400, y: 160, wires: [['reply']],
      func: `const c = global.get('c');
const since = Number(msg.req.query.since || 0);
const seenAfter = [];
for (const [asset, at] of c.seen) if (at >= since) seenAfter.push(at);
msg.payload = { n: c.n, firstAt: c.firstAt, lastAt: c.lastAt, assets: c.seen.size, seenAfter, restored: c.restored, restoredMessages: c.restoredMessages, lastRestoredAt: c.lastRestoredAt };
if (msg.req.query.reset) global.set('c', { n: 0, firstAt: 0, lastAt: 0, seen: new Map(), restored: 0, restoredMessages: 0, lastRestoredAt: 0 });
return msg;`,
    },
    { id: 'reply', type: 'http response', z: 'tab', x: 600, y: 160, wires: [] },
  ];
}

async function startRuntime(runId, instance) {
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), `twinloop-bench-scale-${instance}-`));
  process.on('exit', () => fs.rmSync(userDir, { recursive: true, force: true }));
  linkPackageInto(userDir, 'twinloop-bench-scale');
  const port = await freePort();
  const settingsFile = path.join(userDir, 'settings.js');
  fs.writeFileSync(settingsFile, `module.exports = { uiHost: '127.0.0.1', uiPort: ${port}, flowFile: 'flows.json', credentialSecret: false,
  logging: { console: { level: 'info' } }, telemetry: { enabled: false } };\n`);
  fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(flows(runId, instance)));
  const logFile = path.join(outDir, `scale-node-red-${instance}.log`);
  const child = spawnNodeRed({ redJs: require.resolve('node-red/red.js'), userDir, port, settingsFile, logFile });
  log(`Node-RED ${instance}: pid ${child.pid}, port ${port}, log ${path.relative(root, logFile)}`);
  // No keep-alive: an open HTTP connection would hold Node-RED's SIGINT stop for seconds.
  const count = (query = '') => new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: `/count${query}`, agent: false, timeout: 30000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => { body += chunk; });
      res.on('end', () => { try { resolve(JSON.parse(body)); } catch (err) { reject(err); } });
    });
    req.on('timeout', () => req.destroy(new Error('count: no answer in 30 s')));
    req.on('error', reject);
  });
  const deadline = Date.now() + 60000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`Node-RED ${instance} exited; see ${logFile}`);
    try {
      await count();
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`Node-RED ${instance} did not answer within 60 s`);
      await sleep(250);
    }
  }
  return { instance, child, port, count };
}

/** Paced QoS 0 publisher: `rate` msg/s, topics cycling over every signal; value = sequence number. */
async function publishPaced(client, runId, { rate, count, durationMs }, onTick) {
  const total = count ?? Math.round((rate * durationMs) / 1000);
  const started = Date.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((Date.now() - started) * rate) / 1000) + 1);
    for (; sent < due; sent++) {
      const k = sent % CONFIG.signals;
      client.publish(`bench/${runId}/a${k % ASSETS}/s${Math.floor(k / ASSETS)}`, `{"value":${sent},"ts":${Date.now()}}`, { qos: 0 });
    }
    onTick?.(Date.now() - started);
    await sleep(1);
  }
  await client.publishAsync(`bench/${runId}/flush`, '', { qos: 1 }); // everything before it is on the broker
  return { sent, seconds: (Date.now() - started) / 1000 };
}

async function settle(read, expected, ms = 60000) {
  const deadline = Date.now() + ms;
  let last = -1;
  let quietSince = Date.now();
  for (;;) {
    const n = await read();
    if (n >= expected || Date.now() > deadline) return n;
    if (n !== last) { last = n; quietSince = Date.now(); } else if (Date.now() - quietSince > 3000) return n;
    await sleep(200);
  }
}

async function main() {
  installCleanup();
  if (!fs.existsSync(path.join(root, 'dist', 'core', 'cluster', 'member.js'))) throw new Error('The package is not built: run `npm run build` first.');
  fs.mkdirSync(outDir, { recursive: true });
  const { runId, result } = startResult({ bench: 'scale', command: 'npm run bench -- scale', runIdPrefix: 's', config: CONFIG });
  const publisher = await mqtt.connectAsync(BROKER, { clientId: `twinloop-bench-scale-pub-${process.pid}`, protocolVersion: 5 });
  publisher.stream.setNoDelay(true);
  const bare = forkHelper(path.join(__dirname, 'bare.js'), 'bare subscriber');
  await bare.request({ cmd: 'subscribe', filter: `bench/${runId}/+/+` });

  // --- start: two runtimes, the split in place --------------------------------------------
  const a = await startRuntime(runId, 'A');
  await sleep(1500);
  const b = await startRuntime(runId, 'B');
  await sleep(3000);
  let probeRounds = 0;
  for (;;) {
    probeRounds++;
    await a.count('?reset=1');
    await b.count('?reset=1');
    for (let i = 0; i < ASSETS; i++) publisher.publish(`bench/${runId}/a${i}/probe`, '{"value":0}', { qos: 0 });
    await sleep(1500);
    const [ca, cb] = [await a.count(), await b.count()];
    if (ca.assets + cb.assets === ASSETS && ca.assets > 0 && cb.assets > 0) {
      result.phases.start = { probeRounds, assetsA: ca.assets, assetsB: cb.assets };
      break;
    }
    if (probeRounds >= 10) throw new Error(`the two runtimes did not split the assets: A ${ca.assets}, B ${cb.assets}`);
  }
  log(`split: A ${result.phases.start.assetsA} assets, B ${result.phases.start.assetsB}`);

  // --- paced: 100,000 signals twice ----------------------------------------------------------
  await a.count('?reset=1');
  await b.count('?reset=1');
  await bare.request({ cmd: 'reset' });
  const pub = await publishPaced(publisher, runId, CONFIG.paced);
  const total = await settle(async () => (await a.count()).n + (await b.count()).n, pub.sent);
  const bareN = await settle(async () => (await bare.request({ cmd: 'snapshot' })).snapshot.n, pub.sent);
  const [ca, cb] = [await a.count(), await b.count()];
  const bareSnap = (await bare.request({ cmd: 'snapshot' })).snapshot;
  const rateOf = (c) => (c.lastAt > c.firstAt ? (c.n - 1) / ((c.lastAt - c.firstAt) / 1000) : null);
  const clusterSpan = (Math.max(ca.lastAt, cb.lastAt) - Math.min(ca.firstAt, cb.firstAt)) / 1000;
  result.phases.paced = {
    sent: pub.sent, sendRate: round(pub.sent / pub.seconds),
    instanceA: { counted: ca.n, msgPerS: round(rateOf(ca)), signals: ca.assets * SIGNALS },
    instanceB: { counted: cb.n, msgPerS: round(rateOf(cb)), signals: cb.assets * SIGNALS },
    cluster: { counted: total, lost: pub.sent - total, msgPerS: round((total - 1) / clusterSpan), drainAfterLastSendS: round((Math.max(ca.lastAt, cb.lastAt) - Math.min(ca.firstAt, cb.firstAt)) / 1000 - pub.seconds, 2) },
    bare: { counted: bareN, lost: pub.sent - bareN, msgPerS: round(rateOf(bareSnap)) },
  };
  const ratio = result.phases.paced.cluster.msgPerS / result.phases.paced.bare.msgPerS;
  log(`paced: sent ${pub.sent} at ${result.phases.paced.sendRate}/s; A ${ca.n} (${round(rateOf(ca))}/s), B ${cb.n} (${round(rateOf(cb))}/s), bare ${bareN}`);

  // --- memory ------------------------------------------------------------------------------
  result.phases.memory = { rssMiBA: round(memoryOf(a.child.pid).rssMB, 1), rssMiBB: round(memoryOf(b.child.pid).rssMB, 1) };

  // --- takeover: SIGINT to B while publishing -----------------------------------------------
  await a.count('?reset=1');
  const bBefore = await b.count('?reset=1');
  let stopAt = 0;
  let stopped;
  let bCountAtStop = 0;
  const pubTakeover = await publishPaced(publisher, runId, CONFIG.takeover, (elapsed) => {
    if (!stopped && elapsed >= CONFIG.takeover.stopAfterMs) {
      stopAt = Date.now();
      stopped = b.count().then((c) => { bCountAtStop = c.n; }).catch(() => undefined)
        .then(() => stopChild(b.child, { signal: 'SIGINT', graceMs: 15000 })).then(() => Date.now());
    }
  });
  const exitedAt = await stopped;
  const aN = await settle(async () => (await a.count()).n, pubTakeover.sent);
  const aAfter = await a.count(`?since=${stopAt}`);
  // The survivor's first sample of each asset it did not have before the stop.
  const takeoverMs = aAfter.seenAfter.length ? Math.max(...aAfter.seenAfter) - stopAt : null;
  result.phases.takeover = {
    sent: pubTakeover.sent, countedA: aN, countedBBeforeStop: bCountAtStop, stopToExitMs: exitedAt - stopAt,
    takeoverMs, assetsTakenOver: aAfter.seenAfter.length, assetsOfB: bBefore.assets,
    restoredSamples: aAfter.restored, restoredMessages: aAfter.restoredMessages, lastRestoredAfterMs: aAfter.lastRestoredAt ? aAfter.lastRestoredAt - stopAt : null,
    lostAtMost: pubTakeover.sent - aN - bCountAtStop,
    note: 'B counted up to the SIGINT (read just before it); what B processed between that read and the SIGINT is counted as lost here, so this is an upper bound',
  };
  log(`takeover: B exited ${exitedAt - stopAt} ms after SIGINT, A saw all ${aAfter.seenAfter.length} moved assets ${takeoverMs} ms after it`);

  result.targets.push(
    { name: 'cluster vs bare subscriber, msg/s', display: round(ratio, 2), target: `>= ${TARGETS.ratio}`, pass: ratio >= TARGETS.ratio },
    { name: 'takeover after SIGINT, ms', display: takeoverMs, target: `<= ${TARGETS.takeoverMs}`, pass: takeoverMs !== null && takeoverMs <= TARGETS.takeoverMs },
    { name: 'RSS per runtime, MiB', display: `${result.phases.memory.rssMiBA} / ${result.phases.memory.rssMiBB}`, target: `<= ${TARGETS.rssMB}`, pass: Math.max(result.phases.memory.rssMiBA, result.phases.memory.rssMiBB) <= TARGETS.rssMB },
  );
  result.checks.push(
    { name: 'paced phase: nothing lost by the cluster', display: result.phases.paced.cluster.lost, pass: result.phases.paced.cluster.lost === 0 },
    { name: 'the leaver\'s assets all reached the survivor', display: `${aAfter.seenAfter.length} of ${bBefore.assets}`, pass: aAfter.seenAfter.length === bBefore.assets },
  );

  await stopChild(a.child, { signal: 'SIGINT', graceMs: 15000 });
  await bare.request({ cmd: 'stop' }).catch(() => undefined);
  // Retained states and member records of this run.
  const retained = [];
  const cleaner = await mqtt.connectAsync(BROKER, { clientId: `twinloop-bench-scale-clean-${process.pid}` });
  cleaner.on('message', (topic, payload, packet) => { if (packet.retain && payload.length) retained.push(topic); });
  await cleaner.subscribeAsync(`bench/${runId}/twin/#`);
  await sleep(1000);
  for (const topic of retained) cleaner.publish(topic, '', { retain: true, qos: 0 });
  await cleaner.publishAsync(`bench/${runId}/done`, '', { qos: 1 });
  await cleaner.endAsync();
  await publisher.endAsync();
  result.notes.push(`retained messages cleared: ${retained.length}`);

  const p = result.phases;
  return finish('scale', result, [
    ['signals', CONFIG.signals, '', `${ASSETS} assets x ${SIGNALS}`],
    ['paced send rate', p.paced.sendRate, '', `${p.paced.sent} messages`],
    ['instance A msg/s', p.paced.instanceA.msgPerS, '', `${p.paced.instanceA.counted} counted, ${p.paced.instanceA.signals} signals`],
    ['instance B msg/s', p.paced.instanceB.msgPerS, '', `${p.paced.instanceB.counted} counted, ${p.paced.instanceB.signals} signals`],
    ['cluster msg/s', p.paced.cluster.msgPerS, '', `lost ${p.paced.cluster.lost}`],
    ['bare subscriber msg/s', p.paced.bare.msgPerS, '', `lost ${p.paced.bare.lost}`],
    ['ratio cluster / bare', round(ratio, 2), `>= ${TARGETS.ratio}`, ''],
    ['RSS A / B, MiB', `${p.memory.rssMiBA} / ${p.memory.rssMiBB}`, `<= ${TARGETS.rssMB}`, 'after 100,000 signals'],
    ['SIGINT to exit, ms', p.takeover.stopToExitMs, '', 'handover included'],
    ['takeover, ms', p.takeover.takeoverMs, `<= ${TARGETS.takeoverMs}`, `${p.takeover.assetsTakenOver} assets`],
    ['restored samples, last at ms', p.takeover.lastRestoredAfterMs, '', `${p.takeover.restoredSamples} restored samples in ${p.takeover.restoredMessages} messages (one per asset)`],
    ['lost in takeover (upper bound)', p.takeover.lostAtMost, '', `of ${p.takeover.sent}`],
  ]);
}

runMain('scale', main);
