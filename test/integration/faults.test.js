'use strict';
/**
 * Faults, each against a REAL Node-RED process running this package (test/support/node-red-process):
 *
 *  1. the MQTT broker restarted (SIGTERM, down 2 s, started again on the same port),
 *  2. the MQTT broker paused (SIGSTOP longer than the keep-alive, then SIGCONT: a network stall),
 *  3. Node-RED redeployed (full) and restarted (SIGINT, then SIGKILL) while samples flow,
 *  4. the OPC UA server stopped (shut down at once, dropping its clients) and started again on the same port,
 *  5. the persistence directories (context store, gate journal) replaced by plain files.
 *
 * MQTT: a private Mosquitto (test/support/mosquitto.js: own port, own persistence directory, so
 * queued QoS 1 messages of persistent sessions survive its restart). A publisher in this process
 * sends numbered QoS 1 samples {value: n, ts} every 20 ms; twin-source (fixed client id, persistent
 * session, keep-alive 2 s) -> twin-ingest (QoS 1) -> twin-state -> a function that appends
 * "n time pid signal" to samples.log synchronously (so the record survives a SIGKILL of Node-RED). A status node on
 * ingest and state appends every status shown to statuses.jsonl (a status node misses what is shown
 * while the flows start, so "connected" at start is read from Node-RED's /comms websocket). The
 * figures (sent, received, missing, duplicated, time to reconnect, statuses in order) are printed
 * for RELIABILITY.md.
 *
 *   npx mocha --no-config --exit --timeout 30000 test/integration/faults.test.js [-g <fault>]
 *
 * Ports 18860-18866.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const mqtt = require('mqtt');
const WebSocket = require('ws');
const { PrivateMosquitto } = require('../support/mosquitto');
const { NodeRedProcess, makeUserDir, stopAll } = require('../support/node-red-process');
const { startOpcuaTestServer, nodeIdOf } = require('../support/opcua-test-server');

const PORTS = { brokerA: 18860, redA: 18861, brokerB: 18862, redB: 18863, opcua: 18864, redC: 18865, redD: 18866 };
const PUBLISH_EVERY_MS = 20;
const KEEPALIVE_S = 2;
const COUNTER_TOPIC = 'fault/line1/press1/counter';
// Client ids unique to this run: a second run of this file at the same time must not share sessions with it.
const RUN = `${process.pid}`;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(fn, what, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

function settingsText(extraGlobals = '') {
  return `const path = require('path');
module.exports = {
  uiHost: '127.0.0.1', flowFile: 'flows.json', credentialSecret: false,
  contextStorage: { default: { module: 'localfilesystem', config: { flushInterval: 1 } } },
  functionGlobalContext: {
    fs: require('fs'),
    pid: process.pid,
    samplesFile: path.join(__dirname, 'samples.log'),
    statusFile: path.join(__dirname, 'statuses.jsonl'),
    eventsFile: path.join(__dirname, 'events.jsonl'),${extraGlobals}
  },
  logging: { console: { level: 'info' } },
};\n`;
}

/** Lines a function node appends: "<value> <receivedAt>" per sample, JSON per status and event. */
const RECORD_SAMPLE = "global.get('fs').appendFileSync(global.get('samplesFile'), msg.payload.value + ' ' + Date.now() + ' ' + global.get('pid') + ' ' + msg.payload.signal + '\\n'); return null;";
const RECORD_STATUS = "global.get('fs').appendFileSync(global.get('statusFile'), JSON.stringify({ t: Date.now(), node: msg.status.source.id, fill: msg.status.fill, shape: msg.status.shape, text: msg.status.text }) + '\\n'); return null;";
const RECORD_EVENT = "global.get('fs').appendFileSync(global.get('eventsFile'), JSON.stringify({ t: Date.now(), topic: msg.topic, key: msg.payload && msg.payload.key }) + '\\n'); return null;";

/** [source ->] ingest -> state -> record, statuses and state events recorded, GET /twin/state answers the state. */
function twinFlow(source, ingest, stateExtra = {}) {
  const fn = (id, func, y) => ({ id, type: 'function', z: 'tab', name: id, func, outputs: 1, x: 700, y, wires: [[]] });
  return [
    { id: 'tab', type: 'tab', label: 'faults' },
    ...(source ? [source] : []),
    { id: 'ingest', type: 'twin-ingest', z: 'tab', source: source ? source.id : '', x: 150, y: 60, wires: [['state']], ...ingest },
    { id: 'state', type: 'twin-state', z: 'tab', name: 'state', persist: true, fidelityInterval: 0, missingGrace: 3600, x: 400, y: 60, wires: [['record-sample'], ['record-event'], ['response']], ...stateExtra },
    fn('record-sample', RECORD_SAMPLE, 40),
    fn('record-event', RECORD_EVENT, 80),
    { id: 'status', type: 'status', z: 'tab', scope: ['ingest', 'state'], x: 150, y: 200, wires: [['record-status']] },
    fn('record-status', RECORD_STATUS, 200),
    { id: 'query', type: 'http in', z: 'tab', url: '/twin/state', method: 'get', x: 150, y: 260, wires: [['ask']] },
    { id: 'ask', type: 'change', z: 'tab', rules: [{ t: 'set', p: 'topic', pt: 'msg', to: 'get', tot: 'str' }, { t: 'set', p: 'payload', pt: 'msg', to: '**', tot: 'str' }], x: 300, y: 260, wires: [['state']] },
    { id: 'response', type: 'http response', z: 'tab', x: 700, y: 260, wires: [] },
    { id: 'query-history', type: 'http in', z: 'tab', url: '/twin/history', method: 'get', x: 150, y: 300, wires: [['ask-history']] },
    { id: 'ask-history', type: 'change', z: 'tab', rules: [{ t: 'set', p: 'topic', pt: 'msg', to: 'get', tot: 'str' }, { t: 'set', p: 'payload', pt: 'msg', to: '**', tot: 'str' }, { t: 'set', p: 'history', pt: 'msg', to: 'true', tot: 'bool' }], x: 300, y: 300, wires: [['state']] },
  ];
}

function mqttSource(brokerUrl) {
  return { id: 'src', type: 'twin-source', name: 'broker', protocol: 'mqtt', configVersion: 1, broker: brokerUrl, clientId: `twinloop-fault-subscriber-${RUN}`, protocolVersion: 4, keepalive: KEEPALIVE_S, persistentSession: true };
}
const mqttIngest = { topic: 'fault/+line/+machine/+signal', qos: 1 };

/** Our own Mosquitto on `port`; fails if the port belongs to another process (its mosquitto exits). */
async function startBroker(port, extraConfig = '') {
  const broker = new PrivateMosquitto();
  broker.writeConfig(port);
  if (extraConfig) fs.appendFileSync(path.join(broker.dir, 'mosquitto.conf'), extraConfig);
  await broker.start();
  await sleep(300);
  if (!broker.process) throw new Error(`mosquitto on port ${port} exited (port in use?):\n${broker.log}`);
  return broker;
}

/** What the user directory recorded. */
function records(userDir) {
  const read = (name) => (fs.existsSync(path.join(userDir, name)) ? fs.readFileSync(path.join(userDir, name), 'utf8').split('\n').filter(Boolean) : []);
  return {
    samples: read('samples.log').map((l) => l.split(' ')).map(([value, t, pid, signal]) => ({ value: Number(value), t: Number(t), pid: Number(pid), signal })),
    statuses: read('statuses.jsonl').map((l) => JSON.parse(l)),
    events: read('events.jsonl').map((l) => JSON.parse(l)),
  };
}

/** A publisher of numbered QoS 1 samples {value: n, ts}; `acked` holds every n the broker acknowledged. */
function startPublisher(url, topic, clientId) {
  const client = mqtt.connect(url, { clientId, clean: false, reconnectPeriod: 200, keepalive: 30, connectTimeout: 5000 });
  client.on('error', () => undefined); // refused connections while the broker is down: it retries
  const publisher = { sent: 0, acked: new Set(), timer: undefined, client };
  publisher.publishOne = (value) => {
    client.publish(topic, JSON.stringify({ value, ts: Date.now() }), { qos: 1 }, (err) => { if (!err) publisher.acked.add(value); });
  };
  publisher.timer = setInterval(() => publisher.publishOne(++publisher.sent), PUBLISH_EVERY_MS);
  publisher.stop = () => clearInterval(publisher.timer);
  publisher.end = () => new Promise((resolve) => client.end(false, {}, resolve));
  return publisher;
}

/** sent / acknowledged / received / missing / duplicated of the numbered samples 1..sent. */
function tally(publisher, samples, first = 1) {
  const counts = new Map();
  for (const s of samples) if (s.value >= first) counts.set(s.value, (counts.get(s.value) ?? 0) + 1);
  const missing = [];
  for (let n = first; n <= publisher.sent; n++) if (!counts.has(n)) missing.push(n);
  let duplicated = 0;
  const twice = [];
  for (const [n, c] of counts) {
    duplicated += c - 1;
    if (c > 1) twice.push(n);
  }
  const acked = [...publisher.acked].filter((n) => n >= first).length;
  return { sent: publisher.sent - first + 1, acked, received: counts.size, missing, duplicated, twice: ranges(twice) };
}

/** 1,2,3,7 -> "1-3, 7" */
function ranges(numbers) {
  const sorted = [...numbers].sort((a, b) => a - b);
  const parts = [];
  for (let i = 0; i < sorted.length; i++) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j;
  }
  return parts.join(', ');
}

/** Stops publishing, waits until the broker acknowledged them all and Node-RED received them all. */
async function drain(publisher, userDir, timeoutMs = 20000) {
  publisher.stop();
  await waitFor(() => publisher.acked.size === publisher.sent, `the broker acknowledging all ${publisher.sent} samples (${publisher.acked.size} so far)`, timeoutMs);
  try {
    await waitFor(() => new Set(records(userDir).samples.map((s) => s.value)).size >= publisher.sent, 'every sample at twin-state', timeoutMs);
  } catch {
    // the assertion on `missing` below names them
  }
}

const statusLine = (s) => `${s.node}: ${s.fill}/${s.shape} "${s.text}"`;
/** Statuses of one node in order, consecutive repeats of the same text shown once. */
function statusStory(statuses, node, from, to = Infinity) {
  const story = [];
  for (const s of statuses) {
    if (s.node !== node || s.t < from || s.t > to) continue;
    const last = story[story.length - 1];
    if (!last || last.text !== s.text || last.fill !== s.fill) story.push(s);
  }
  return story;
}
const printStory = (story, origin) => story.map((s) => `+${s.t - origin} ms ${s.fill}/${s.shape} "${s.text}"`).join(' -> ');

/** The values twin-state holds in the history of one signal (persisted with the state, so across restarts). */
async function historyValues(red, key) {
  const res = await fetch(`${red.url}/twin/history`);
  assert.equal(res.status, 200);
  const signal = (await res.json()).find((s) => s.key === key);
  return new Set((signal?.history ?? []).map((p) => p.value));
}

async function getState(red) {
  const res = await fetch(`${red.url}/twin/state`);
  assert.equal(res.status, 200);
  return Object.fromEntries((await res.json()).map((s) => [s.key, s]));
}

/**
 * The status a node shows now, as the editor gets it (Node-RED's /comms websocket sends the last
 * status of every node on subscribe). A status node misses what a node shows while the flows start.
 */
function shownStatus(red, nodeId) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${red.port}/comms`);
    let status;
    const timer = setTimeout(() => { ws.close(); resolve(status); }, 300);
    ws.on('open', () => ws.send(JSON.stringify({ subscribe: `status/${nodeId}` })));
    ws.on('message', (data) => {
      for (const m of JSON.parse(data.toString())) if (m.topic === `status/${nodeId}`) status = m.data;
    });
    ws.on('error', (err) => { clearTimeout(timer); reject(err); });
  });
}

/** Waits for twin-ingest to show green (connected); on failure shows what Node-RED said. */
async function connected(red) {
  let last;
  try {
    await waitFor(async () => (last = await shownStatus(red, 'ingest'))?.fill === 'green', 'twin-ingest connected');
  } catch (err) {
    err.message += `\nstatus: ${JSON.stringify(last)}\nNode-RED log:\n${red.log.slice(-3000)}`;
    throw err;
  }
}

describe('faults: a real Node-RED through broker, server and runtime failures', function () {
  this.timeout(90000);
  const dirs = [];
  const brokers = [];
  const opcuaServers = [];
  let publishers = [];

  afterEach(async function () {
    for (const p of publishers) {
      p.stop();
      p.client.end(true);
    }
    publishers = [];
  });

  after(async function () {
    await stopAll();
    for (const b of brokers) await b.dispose();
    for (const s of opcuaServers) await s.stop();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  describe('the MQTT broker restarted or paused', function () {
    let broker;
    let red;
    let userDir;

    before(async function () {
      broker = await startBroker(PORTS.brokerA);
      brokers.push(broker);
      userDir = makeUserDir('twinloop-fault-broker-', settingsText());
      dirs.push(userDir);
      fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(twinFlow(mqttSource(broker.url), mqttIngest)));
      red = new NodeRedProcess(userDir, PORTS.redA);
      await red.start();
      await connected(red);
    });

    afterEach(function () {
      if (this.currentTest.state === 'failed') console.log(`      Node-RED log (last 3000 chars):\n${red.log.slice(-3000)}\n      mosquitto: ${broker.log.slice(-1000)}`);
    });

    after(async function () {
      await red.stop();
    });

    it('Mosquitto restarted (SIGTERM, down 2 s, same port): every QoS 1 sample arrives, the status says reconnecting meanwhile', async function () {
      const firstSample = records(userDir).samples.length;
      const publisher = startPublisher(broker.url, COUNTER_TOPIC, `fault-publisher-restart-${RUN}`);
      publishers.push(publisher);
      await waitFor(() => records(userDir).samples.length > firstSample + 50, 'samples flowing');
      const stoppedAt = Date.now();
      await broker.stop();
      await sleep(2000);
      const startedAt = Date.now();
      await broker.start();
      const brokerUpAt = Date.now();
      await sleep(2000);
      await drain(publisher, userDir);
      const { samples, statuses } = records(userDir);
      const ours = samples.slice(firstSample);
      const t = tally(publisher, ours);
      const story = statusStory(statuses, 'ingest', stoppedAt - 10, Date.now());
      const backGreen = story.find((s) => s.t >= startedAt && s.fill === 'green');
      const firstAfter = ours.find((s) => s.t >= brokerUpAt);
      console.log(`      [broker restart] sent ${t.sent}, acknowledged ${t.acked}, received ${t.received}, missing ${t.missing.length}, duplicated ${t.duplicated}; `
        + `broker down ${startedAt - stoppedAt} ms; ingest green again ${backGreen ? backGreen.t - brokerUpAt : '?'} ms and first sample ${firstAfter ? firstAfter.t - brokerUpAt : '?'} ms after the broker was up`);
      console.log(`      [broker restart] ingest statuses: ${printStory(story, stoppedAt)}`);
      assert.deepEqual(t.missing, [], 'QoS 1 samples missing at twin-state');
      assert.equal(t.acked, t.sent);
      const outage = story.filter((s) => s.t >= stoppedAt && s.t < (backGreen ? backGreen.t : Infinity));
      assert.ok(outage.length > 0, 'a status during the outage');
      for (const s of outage) assert.ok(s.fill === 'yellow' && s.shape === 'ring' && /retry in \d+ s|connecting/.test(s.text), `truthful outage status: ${statusLine(s)}`);
      assert.ok(outage.some((s) => /connection lost/.test(s.text)), 'the outage says the connection was lost');
      assert.ok(backGreen, 'green again after the broker came back');
    });

    it('Mosquitto paused (SIGSTOP 8 s, keep-alive 2 s, SIGCONT): every QoS 1 sample arrives, the status turns to reconnecting within the keep-alive', async function () {
      const firstSample = records(userDir).samples.length;
      const publisher = startPublisher(broker.url, COUNTER_TOPIC, `fault-publisher-pause-${RUN}`);
      publishers.push(publisher);
      await waitFor(() => records(userDir).samples.length > firstSample + 50, 'samples flowing');
      const pausedAt = Date.now();
      broker.process.kill('SIGSTOP');
      let resumedAt;
      try {
        await sleep(8000);
      } finally {
        resumedAt = Date.now();
        broker.process.kill('SIGCONT');
      }
      await sleep(1500);
      await drain(publisher, userDir, 40000);
      const { samples, statuses } = records(userDir);
      const ours = samples.slice(firstSample);
      const t = tally(publisher, ours);
      const story = statusStory(statuses, 'ingest', pausedAt - 10, Date.now());
      const noticed = story.find((s) => s.t >= pausedAt && s.fill !== 'green');
      const backGreen = noticed && story.find((s) => s.t > noticed.t && s.fill === 'green');
      const firstAfter = ours.find((s) => s.t >= resumedAt);
      console.log(`      [broker paused] sent ${t.sent}, acknowledged ${t.acked}, received ${t.received}, missing ${t.missing.length}, duplicated ${t.duplicated}; `
        + `stall noticed after ${noticed ? noticed.t - pausedAt : '?'} ms (keep-alive ${KEEPALIVE_S} s); after SIGCONT: first sample ${firstAfter ? firstAfter.t - resumedAt : '?'} ms, green ${backGreen ? backGreen.t - resumedAt : '?'} ms`);
      console.log(`      [broker paused] ingest statuses: ${printStory(story, pausedAt)}`);
      assert.deepEqual(t.missing, [], 'QoS 1 samples missing at twin-state');
      assert.ok(noticed, 'the stall shows in the status');
      assert.ok(noticed.t - pausedAt <= KEEPALIVE_S * 1000 * 2 + 1000, `noticed within twice the keep-alive, took ${noticed.t - pausedAt} ms`);
      assert.ok(noticed.fill === 'yellow' && noticed.shape === 'ring', statusLine(noticed));
      assert.ok(backGreen, 'green again after SIGCONT');
      const outage = story.filter((s) => s.t >= noticed.t && s.t < backGreen.t);
      for (const s of outage) assert.ok(s.fill === 'yellow' && s.shape === 'ring', `truthful stall status: ${statusLine(s)}`);
    });
  });

  describe('Node-RED redeployed and restarted while QoS 1 samples flow', function () {
    let broker;
    let red;
    let userDir;

    before(async function () {
      // Connects, take-overs and disconnects in broker.log, to explain a failure.
      broker = await startBroker(PORTS.brokerB, 'log_type notice\nlog_type information\nconnection_messages true\nlog_timestamp_format %H:%M:%S\n');
      brokers.push(broker);
      userDir = makeUserDir('twinloop-fault-redeploy-', settingsText());
      dirs.push(userDir);
      // A history long enough for the whole run: it tells what reached twin-state even where the record
      // node behind it missed a message (Node-RED drops what a node sends while its flow stops).
      fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(twinFlow(mqttSource(broker.url), mqttIngest, { historyLength: 5000 })));
      red = new NodeRedProcess(userDir, PORTS.redB);
      await red.start();
      await connected(red);
    });

    afterEach(function () {
      if (this.currentTest.state === 'failed') {
        console.log(`      Node-RED log (last 3000 chars):\n${red.log.slice(-3000)}`);
        console.log(`      mosquitto log:\n${broker.log.split('\n').filter((l) => !/should not be run as root/.test(l)).join('\n').slice(-4000)}`);
        const pids = {};
        for (const s of records(userDir).samples) pids[s.pid] = (pids[s.pid] ?? 0) + 1;
        console.log(`      samples recorded per Node-RED process id: ${JSON.stringify(pids)}`);
      }
    });

    after(async function () {
      await red.stop();
    });

    it('full redeploy, SIGINT and SIGKILL: QoS 1 samples arrive (the broker queues them meanwhile; a SIGKILL may lose those in flight), the twin state is restored', async function () {
      this.timeout(120000);
      const publisher = startPublisher(broker.url, COUNTER_TOPIC, `fault-publisher-redeploy-${RUN}`);
      publishers.push(publisher);
      // A signal sent once, at the start: only persistence can bring it back after a restart.
      const once = mqtt.connect(broker.url, { clientId: `fault-once-${RUN}` });
      await new Promise((resolve, reject) => once.once('connect', resolve).once('error', reject));
      await once.publishAsync('fault/line1/press1/mode', JSON.stringify({ value: 3 }), { qos: 1 });
      await once.endAsync();
      await waitFor(() => records(userDir).samples.length > 50, 'samples flowing');
      const first = await getState(red);
      assert.equal(first['fault/line1/press1/mode']?.value, 3, JSON.stringify(first));
      const figures = [];
      const measure = async (label, fault) => {
        const before = publisher.sent;
        const at = Date.now();
        const detail = await fault();
        const upAt = Date.now();
        const after = publisher.sent;
        const upSample = await waitFor(() => records(userDir).samples.find((s) => s.t >= upAt), `samples after the ${label}`);
        await sleep(1000);
        figures.push({ label, first: before + 1, last: after, downMs: upAt - at, firstSampleMs: upSample.t - upAt, detail });
      };

      // 1. Full deploy of modified flows (twin-state renamed): every node is stopped and started again.
      await measure('full redeploy', async () => {
        const current = await (await fetch(`${red.url}/flows`, { headers: { 'Node-RED-API-Version': 'v2' } })).json();
        const changed = current.flows.map((n) => (n.id === 'state' ? { ...n, name: 'state after redeploy' } : n));
        const res = await fetch(`${red.url}/flows`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'Node-RED-API-Version': 'v2', 'Node-RED-Deployment-Type': 'full' },
          body: JSON.stringify({ flows: changed, rev: current.rev }),
        });
        assert.equal(res.status, 200, await res.text());
        await waitFor(() => /Started flows[\s\S]*Started flows/.test(red.log), 'the flows restarted');
        return '';
      });
      assert.equal((await getState(red))['fault/line1/press1/mode'].value, 3, 'state kept through the redeploy');

      // 2. Clean stop (SIGINT) for 2 s while the publisher goes on, then start.
      await measure('SIGINT restart', async () => {
        await red.stop();
        await sleep(2000);
        await red.start();
        return `Node-RED up ${red.startedAt - red.spawnedAt} ms after spawn`;
      });
      assert.equal((await getState(red))['fault/line1/press1/mode'].value, 3, 'state restored after SIGINT');

      // 3. Hard kill (SIGKILL) once the state is on disk (twin-state saves every 10 s, the store flushes every 1 s).
      const contextFile = path.join(userDir, 'context', 'tab', 'state.json');
      await waitFor(() => fs.existsSync(contextFile) && /fault\/line1\/press1\/counter/.test(fs.readFileSync(contextFile, 'utf8')) && /fault\/line1\/press1\/mode/.test(fs.readFileSync(contextFile, 'utf8')), 'twin-state saved on disk', 20000);
      await measure('SIGKILL restart', async () => {
        await red.kill();
        await sleep(2000);
        await red.start();
        return `Node-RED up ${red.startedAt - red.spawnedAt} ms after spawn`;
      });
      const restored = await getState(red);
      assert.equal(restored['fault/line1/press1/mode'].value, 3, 'state restored after SIGKILL');

      publisher.stop();
      const counterKey = 'fault/line1/press1/counter';
      const atState = async () => {
        const seen = await historyValues(red, counterKey);
        for (const s of records(userDir).samples) if (s.signal === 'counter') seen.add(s.value);
        return seen;
      };
      await waitFor(async () => publisher.acked.size === publisher.sent && (await atState()).size >= publisher.sent, 'every sample acknowledged and at twin-state', 30000).catch(() => undefined);
      const { statuses } = records(userDir);
      const samples = records(userDir).samples.filter((s) => s.signal === 'counter');
      const inHistory = await historyValues(red, counterKey);
      // Received at twin-state: recorded behind it, or kept in its (persisted) history.
      const t = tally(publisher, [...samples, ...[...inHistory].filter((n) => !samples.some((s) => s.value === n)).map((value) => ({ value }))]);
      const notRecorded = tally(publisher, samples).missing.filter((n) => inHistory.has(n));
      for (const f of figures) {
        const lost = t.missing.filter((n) => n >= f.first - 20 && n <= f.last + 20);
        console.log(`      [${f.label}] samples ${f.first}-${f.last} sent meanwhile, Node-RED away ${f.downMs} ms, first sample ${f.firstSampleMs} ms after it was back; missing around it: ${lost.length ? lost.join(', ') : 'none'}${f.detail ? `; ${f.detail}` : ''}`);
      }
      console.log(`      [Node-RED redeploy + SIGINT + SIGKILL] sent ${t.sent}, acknowledged ${t.acked}, received at twin-state ${t.received}, missing ${t.missing.length}${t.missing.length ? ` (${ranges(t.missing)})` : ''}, duplicated ${t.duplicated}${t.duplicated ? ` (${t.twice})` : ''}; in twin-state's history but not passed on to the record node ${notRecorded.length ? ranges(notRecorded) : 'none'}`);
      const twice = new Set(samples.filter((x, i) => samples.findIndex((y) => y.value === x.value) !== i).map((x) => x.value));
      if (twice.size) console.log(`      received twice: ${samples.filter((x) => twice.has(x.value)).slice(0, 10).map((x) => `${x.value} at +${x.t - samples[0].t} ms (pid ${x.pid})`).join(', ')}`);
      console.log(`      ingest statuses: ${statusStory(statuses, 'ingest', 0).map((s) => `${s.fill}/${s.shape} "${s.text}"`).join(' -> ')}`);
      // mqtt.js acknowledges a QoS 1 message as soon as twin-source has it, before the flow has passed it on:
      // a SIGKILL may lose the few samples inside Node-RED at that moment (0 or 1 in our runs), never others.
      const kill = figures.find((f) => f.label === 'SIGKILL restart');
      const lostToKill = t.missing.filter((n) => n >= kill.first - 25 && n <= kill.first + 2);
      assert.ok(lostToKill.length <= 5, `at most a few samples lost to the SIGKILL, lost ${lostToKill.length}`);
      assert.deepEqual(t.missing.filter((n) => !lostToKill.includes(n)), [], 'QoS 1 samples missing at twin-state (other than in flight at the SIGKILL)');
      assert.equal(restored['fault/line1/press1/counter'].value >= 1, true);
    });
  });

  describe('the OPC UA server restarted', function () {
    let red;
    let userDir;
    let plc;
    // Kept between runs: the server certificate is made once (slow on a busy machine) and reused.
    const serverOptions = () => ({ port: PORTS.opcua, pkiDir: path.join(__dirname, '..', '.tmp', 'faults', 'opcua-server-pki'), securityModes: ['None'], securityPolicies: ['None'] });

    before(async function () {
      userDir = makeUserDir('twinloop-fault-opcua-', settingsText());
      dirs.push(userDir);
      plc = await startOpcuaTestServer(serverOptions());
      opcuaServers.push(plc);
      const source = { id: 'src', type: 'twin-source', name: 'plc', protocol: 'opcua', configVersion: 1, endpoint: plc.endpointUrl, securityMode: 'None', securityPolicy: 'None', trustOnFirstUse: false };
      const ingest = { items: [{ nodeId: nodeIdOf('Temperature'), topic: 'line1/press1/temperature', unit: 'degC', samplingInterval: 100 }] };
      fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(twinFlow(source, ingest, { defaultMaxAge: 1 })));
      red = new NodeRedProcess(userDir, PORTS.redC);
      await red.start();
    });

    afterEach(function () {
      if (this.currentTest.state === 'failed') console.log(`      Node-RED log (last 3000 chars):\n${red.log.slice(-3000)}`);
    });

    after(async function () {
      await red?.stop();
      await plc?.stop();
    });

    it('status shows the outage, the last good value is kept and marked stale, values flow again after the restart', async function () {
      let value = 100;
      let ticker = setInterval(() => plc.setValue('Temperature', ++value), 100);
      try {
        await waitFor(() => records(userDir).samples.filter((s) => s.value > 100).length > 5, 'values flowing');
        clearInterval(ticker);
        await sleep(300);
        const lastGood = value;
        const killedAt = Date.now();
        await plc.stop();
        await waitFor(() => records(userDir).events.some((e) => e.t >= killedAt && e.topic === 'stale'), 'the stale event', 10000);
        const during = (await getState(red))['line1/press1/temperature'];
        await sleep(1000);
        const spawnAt = Date.now();
        plc = await startOpcuaTestServer(serverOptions());
        opcuaServers.push(plc);
        const serverUpAt = Date.now();
        value = 500;
        ticker = setInterval(() => plc.setValue('Temperature', ++value), 100);
        const firstAfter = await waitFor(() => records(userDir).samples.find((s) => s.value > 500), 'values after the restart', 20000);
        await waitFor(() => records(userDir).events.some((e) => e.t >= serverUpAt && e.topic === 'fresh'), 'the fresh event', 5000);
        await sleep(500);
        const { samples, statuses, events } = records(userDir);
        const ingestStory = statusStory(statuses, 'ingest', killedAt - 10);
        const stateStory = statusStory(statuses, 'state', killedAt - 10);
        const noticed = ingestStory.find((s) => s.fill !== 'green');
        const green = ingestStory.find((s) => s.t >= serverUpAt && s.fill === 'green');
        const outageValues = samples.filter((s) => s.t > killedAt && s.t < firstAfter.t);
        console.log(`      [OPC UA restart] loss noticed ${noticed ? noticed.t - killedAt : '?'} ms after the kill; last good ${lastGood} kept (quality ${during.quality}, stale ${during.stale}); server started in ${serverUpAt - spawnAt} ms; `
          + `first new value ${firstAfter.t - serverUpAt} ms and green ${green ? green.t - serverUpAt : '?'} ms after the server was up; values recorded during the outage: ${outageValues.length}`);
        console.log(`      [OPC UA restart] ingest statuses: ${printStory(ingestStory, killedAt)}`);
        console.log(`      [OPC UA restart] state statuses: ${printStory(stateStory, killedAt)}; events: ${events.filter((e) => e.t >= killedAt).map((e) => `+${e.t - killedAt} ms ${e.topic}`).join(', ')}`);
        assert.equal(during.value, lastGood, 'the last good value is kept');
        assert.equal(during.stale, true, 'and marked stale');
        assert.ok(noticed && noticed.fill === 'yellow' && noticed.shape === 'ring', `ingest shows the outage: ${noticed && statusLine(noticed)}`);
        assert.ok(stateStory.some((s) => s.fill === 'yellow' && /stale/.test(s.text)), 'twin-state says a signal is stale');
        assert.ok(green, 'ingest green again');
        assert.deepEqual(outageValues, [], 'nothing is made up during the outage');
        assert.equal((await getState(red))['line1/press1/temperature'].stale, false);
      } finally {
        clearInterval(ticker);
      }
    });
  });

  describe('the persistence directories unwritable', function () {
    let red;
    let userDir;
    const machines = ['line1/m1', 'line1/m2'];
    const keys = machines.map((m) => `${m}/speedSetpoint`);

    /** Samples from an inject every 100 ms, and a twin-gate whose writes go to plant.json. */
    function flows() {
      const base = twinFlow(null, {});
      const fn = (id, func, outputs, wires, y) => ({ id, type: 'function', z: 'tab', name: id, func, outputs, x: 400, y, wires });
      const plant = "const fs = global.get('fs'); const file = global.get('plantFile'); const plant = () => JSON.parse(fs.readFileSync(file, 'utf8'));\n";
      const rollout = { steps: [{ share: 0.5, minDurationMs: 500, analysisWindowMs: 500 }, { share: 1, minDurationMs: 500, analysisWindowMs: 500 }], readBackTimeoutMs: 5000, minSamples: 2, maxHolds: 5 };
      return [
        ...base,
        { id: 'tick', type: 'inject', z: 'tab', props: [{ p: 'topic', vt: 'str' }], topic: 'line1/press1/counter', repeat: '0.1', once: true, onceDelay: 0.1, x: 100, y: 400, wires: [['count']] },
        fn('count', "const n = (context.get('n') || 0) + 1; context.set('n', n); msg.payload = n; return msg;", 1, [['ingest']], 400),
        { id: 'gate', type: 'twin-gate', z: 'tab', name: 'gate', envelope: JSON.stringify({ 'line1/*/speedSetpoint': { min: 50, max: 150, maxStep: 30 } }), rollout: JSON.stringify(rollout), approval: 'marginal', persist: true, store: '', x: 700, y: 500, wires: [['plant-write'], [], ['notes']] },
        fn('plant-write', `${plant}const state = plant(); state[msg.topic] = msg.payload; fs.writeFileSync(file, JSON.stringify(state)); return { topic: msg.topic, payload: msg.payload };`, 1, [['gate']], 500),
        fn('notes', `${plant}if (msg.topic === 'read-back') { const s = plant(); return [msg.payload.keys.map((k) => ({ topic: k, payload: s[k] }))]; } return null;`, 1, [['gate']], 540),
        { id: 'kpi-tick', type: 'inject', z: 'tab', props: [], repeat: '0.1', once: true, onceDelay: 0.1, x: 100, y: 580, wires: [['kpis']] },
        fn('kpis', `${plant}const s = plant(); return [${JSON.stringify(machines)}.map((m) => ({ topic: 'realised', payload: { target: m, kpis: { throughput: s[m + '/speedSetpoint'] } } }))];`, 1, [['gate']], 580),
        { id: 'in.candidate', type: 'http in', z: 'tab', url: '/gate/candidate', method: 'post', x: 100, y: 620, wires: [['to-gate']] },
        fn('to-gate', `${plant}const s = plant(); return [[...Object.keys(s).map((k) => ({ topic: k, payload: s[k] })), { topic: 'candidate', payload: msg.payload }], { ...msg, payload: { ok: true } }];`, 2, [['gate'], ['response']], 620),
        { id: 'gate-status', type: 'status', z: 'tab', scope: ['gate'], x: 150, y: 680, wires: [['record-status']] },
      ];
    }

    function candidate(id) {
      const evidence = { fidelity: keys.map((key) => ({ key, error: 0.01 })), counterfactual: { ok: true, value: 1, scenarios: 5, kpis: [{ name: 'throughput', pass: true }], reasons: [] } };
      return { id, kind: 'setpoints', targets: machines, setpoints: Object.fromEntries(keys.map((k) => [k, 120])), predicted: { kpis: { throughput: 120 } }, evidence };
    }

    before(async function () {
      userDir = makeUserDir('twinloop-fault-persist-', settingsText("\n    plantFile: path.join(__dirname, 'plant.json'),"));
      dirs.push(userDir);
      fs.writeFileSync(path.join(userDir, 'plant.json'), JSON.stringify(Object.fromEntries(keys.map((k) => [k, 100]))));
      fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(flows()));
      red = new NodeRedProcess(userDir, PORTS.redD);
      await red.start();
    });

    afterEach(function () {
      if (this.currentTest.state === 'failed') console.log(`      Node-RED log (last 3000 chars):\n${red.log.slice(-3000)}`);
    });

    after(async function () {
      await red.stop();
    });

    it('context store and gate journal replaced by plain files: the nodes keep running, the gate and twin-state say so, samples and writes go on', async function () {
      this.timeout(90000);
      await waitFor(() => records(userDir).samples.length > 10, 'samples flowing');
      await waitFor(() => fs.existsSync(path.join(userDir, 'context')), 'the context directory');
      // The disk goes away under Node-RED: each directory becomes a plain file (root ignores chmod).
      const brokenAt = Date.now();
      fs.renameSync(path.join(userDir, 'context'), path.join(userDir, 'context.moved'));
      fs.writeFileSync(path.join(userDir, 'context'), 'not a directory\n');
      fs.rmSync(path.join(userDir, 'twinloop'), { recursive: true, force: true });
      fs.writeFileSync(path.join(userDir, 'twinloop'), 'not a directory\n');
      const logMark = red.log.length;

      const res = await fetch(`${red.url}/gate/candidate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(candidate('c-unwritable')) });
      assert.equal(res.status, 200);
      // The plant's function node rewrites plant.json in place: a read may catch it empty.
      const plant = () => {
        try {
          return JSON.parse(fs.readFileSync(path.join(userDir, 'plant.json'), 'utf8'));
        } catch {
          return {};
        }
      };
      await waitFor(() => Object.values(plant()).length === keys.length && Object.values(plant()).every((v) => v === 120), 'every setpoint written to the plant', 20000);
      const samplesBefore = records(userDir).samples.length;
      await sleep(14000); // past twin-state's 10 s save, the store's 1 s flush and twin-state's look at the file 2 s later
      const { samples, statuses } = records(userDir);
      const log = red.log.slice(logMark);
      const gateStory = statusStory(statuses, 'gate', brokenAt);
      const stateStory = statusStory(statuses, 'state', brokenAt);
      const journalErrors = log.split('\n').filter((l) => /journal cannot be written/.test(l));
      const contextErrors = log.split('\n').filter((l) => /Error writing context/.test(l));
      console.log(`      [persistence unwritable] samples after the break: ${samples.length - samplesBefore} in 14 s; gate journal errors logged: ${journalErrors.length}, context write errors logged: ${contextErrors.length}`);
      console.log(`      [persistence unwritable] first journal error: ${journalErrors[0] ?? '-'}`);
      console.log(`      [persistence unwritable] first context error: ${contextErrors[0] ?? '-'}`);
      console.log(`      [persistence unwritable] gate statuses: ${printStory(gateStory, brokenAt)}`);
      console.log(`      [persistence unwritable] state statuses: ${printStory(stateStory, brokenAt)}`);
      assert.ok(red.alive, 'Node-RED still running');
      assert.ok(samples.length - samplesBefore > 50, 'samples keep flowing');
      assert.ok(journalErrors.length > 0, 'the gate logs that its journal cannot be written');
      assert.ok(gateStory.some((s) => s.fill === 'red' && /journal not writable/.test(s.text)), 'the gate status says the journal is not writable');
      assert.ok(contextErrors.length > 0, 'the context store logs its write errors');
      const notSaved = stateStory.find((s) => /not saved/.test(s.text));
      assert.ok(notSaved && notSaved.fill === 'yellow', `twin-state says its state is not saved: ${printStory(stateStory, brokenAt)}`);
      assert.match(log, /state is not reaching the context store/, 'and logs it');
      assert.doesNotMatch(log, /uncaught|TypeError|RangeError/i);

      // The disk comes back: the next save lands and the status says so.
      const repairedAt = Date.now();
      fs.rmSync(path.join(userDir, 'context'));
      fs.renameSync(path.join(userDir, 'context.moved'), path.join(userDir, 'context'));
      const savedAgain = await waitFor(() => statusStory(records(userDir).statuses, 'state', repairedAt).find((s) => s.fill === 'green'), 'twin-state green again', 20000);
      console.log(`      [persistence unwritable] twin-state "not saved" ${notSaved.t - brokenAt} ms after the break, green ${savedAgain.t - repairedAt} ms after the repair`);
      assert.match(red.log.slice(logMark), /the state is saved again/);
      // A clean stop still works (the store's last flush fails and is logged).
      const stopAt = Date.now();
      await red.stop();
      assert.ok(Date.now() - stopAt < 14000, 'stopped by SIGINT, not killed');
    });
  });
});
