'use strict';
/**
 * Scale-out (docs/scale-out.md): two REAL Node-RED runtimes share one plant's 20 assets through
 * Mosquitto on 127.0.0.1:1883 (MQTT 5 shared subscriptions, a unique topic prefix per run).
 *
 * Each runtime: twin-source (MQTT 5) → twin-ingest (cluster group "g", the 20 assets) → a function
 * node appending every sample it receives to a file (instance, asset, sequence number, restored?).
 * A publisher in this process sends QoS 1 numbered samples to every asset every 25 ms.
 *
 *   1. both process: disjoint asset sets that cover the plant;
 *   2. SIGINT to one: the other takes its assets over (takeover time measured); no QoS 1 sample is
 *      missing or processed twice; per asset the order holds except inside the handover overlap
 *      (counted, at most a few samples); the taken assets start from the leaver's final state;
 *   3. SIGKILL to one: the will clears its record, the other takes over from the retained states;
 *      the samples lost in that window are counted and must stay within the stated bound.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const mqtt = require('mqtt');
const { NodeRedProcess, makeUserDir, stopAll } = require('../support/node-red-process');

const BROKER = 'mqtt://127.0.0.1:1883';
const PORTS = [18921, 18922];
const ASSETS = 20;
const PERIOD_MS = 25;
/** Stated bounds (docs/scale-out.md): graceful takeover, hard-kill takeover, hard-kill loss. */
const GRACEFUL_TAKEOVER_MS = 2000;
const KILL_TAKEOVER_MS = 3000;
const KILL_LOSS_LIMIT = ASSETS * 20; // at most ~0.5 s of this plant's samples

const run = `tlso${Date.now().toString(36)}${process.pid.toString(36)}`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const assetName = (i) => `${run}/line/m${i}`;

function settingsText() {
  return `const path = require('path');
module.exports = {
  uiHost: '127.0.0.1', flowFile: 'flows.json', credentialSecret: false,
  functionGlobalContext: { fs: require('fs'), processedFile: path.join(__dirname, 'processed.jsonl') },
  logging: { console: { level: 'info' } },
};\n`;
}

function flows(instance) {
  return [
    { id: 'tab', type: 'tab', label: 'scale-out' },
    { id: 'src', type: 'twin-source', name: 'plant broker', protocol: 'mqtt', broker: BROKER, protocolVersion: '5', persistentSession: false, clientId: `${run}-${instance}-${Date.now()}`, keepalive: '5' },
    {
      id: 'ingest', type: 'twin-ingest', z: 'tab', source: 'src', topic: `${run}/+line/+machine/+signal`, qos: '1', format: 'auto',
      duplicates: 'keep', outOfOrder: 'keep', clusterGroup: 'g', clusterPrefix: `${run}/twin`, clusterAssets: `${run}/line/m{0..${ASSETS - 1}}`,
      stateInterval: '0.2', handoverTimeout: '3', x: 200, y: 60, wires: [['record']],
    },
    {
      id: 'record', type: 'function', z: 'tab', name: 'record',
      func: `const fs = global.get('fs');
// A restored asset comes as one message, a sample per signal.
const samples = msg.restored === true ? msg.payload : [msg.payload];
for (const sample of samples) fs.appendFileSync(global.get('processedFile'), JSON.stringify({ i: ${JSON.stringify(instance)}, a: sample.asset, v: sample.value, r: msg.restored === true, t: Date.now() }) + '\\n');
return null;`,
      outputs: 1, x: 420, y: 60, wires: [[]],
    },
  ];
}

function readProcessed(userDir) {
  const file = path.join(userDir, 'processed.jsonl');
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line));
}

async function waitFor(predicate, ms, what) {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms: ${what}`);
    await sleep(50);
  }
}

/** Publishes {value: seq, ts} with QoS 1 to <asset>/seq for every asset every PERIOD_MS; remembers when each left. */
class Publisher {
  constructor(client) {
    this.client = client;
    this.seq = 0;
    this.sentAt = new Map(); // seq → [asset, time]
    this.running = false;
  }
  start() {
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        const started = Date.now();
        const acks = [];
        for (let i = 0; i < ASSETS; i++) {
          const seq = ++this.seq;
          this.sentAt.set(seq, [assetName(i), Date.now()]);
          acks.push(this.client.publishAsync(`${assetName(i)}/seq`, JSON.stringify({ value: seq, ts: Date.now() }), { qos: 1 }));
        }
        await Promise.all(acks);
        await sleep(Math.max(1, PERIOD_MS - (Date.now() - started)));
      }
    })();
  }
  async stop() {
    this.running = false;
    await this.loop;
  }
}

/** Per asset: how many samples came after a newer one of the same asset within one instance. */
function orderInversions(records) {
  let inversions = 0;
  const last = new Map();
  for (const r of records) {
    const key = `${r.i}|${r.a}`;
    if ((last.get(key) ?? 0) > r.v) inversions++;
    else last.set(key, r.v);
  }
  return inversions;
}

describe('scale-out: two Node-RED runtimes share a plant through Mosquitto', function () {
  this.timeout(120000);
  const dirs = [];
  const reds = [];
  let publisher;
  let client;
  const figures = {};

  function startRed(k, instance) {
    const red = new NodeRedProcess(dirs[k], PORTS[k]);
    fs.writeFileSync(path.join(dirs[k], 'flows.json'), JSON.stringify(flows(instance)));
    reds[k] = red;
    return red.start();
  }
  const all = () => [...readProcessed(dirs[0]), ...readProcessed(dirs[1])];
  /** Assets each instance processed (not restored) after `since`. */
  function recentOwners(since) {
    const owners = new Map();
    for (const r of all()) if (!r.r && r.t >= since) owners.set(r.a, new Set([...(owners.get(r.a) ?? []), r.i]));
    return owners;
  }

  before(async () => {
    for (const k of [0, 1]) dirs.push(makeUserDir(`twinloop-scale-${k}-`, settingsText()));
    client = await mqtt.connectAsync(BROKER, { clientId: `${run}-pub`, protocolVersion: 5 });
    publisher = new Publisher(client);
  });

  after(async () => {
    if (publisher?.running) await publisher.stop();
    await stopAll();
    // Clear this run's retained messages (states, member records).
    const cleaner = await mqtt.connectAsync(BROKER, { clientId: `${run}-clean` });
    const retained = [];
    cleaner.on('message', (topic, payload, packet) => { if (packet.retain && payload.length) retained.push(topic); });
    await cleaner.subscribeAsync(`${run}/#`);
    await sleep(300);
    for (const topic of retained) await cleaner.publishAsync(topic, '', { retain: true, qos: 1 });
    await cleaner.endAsync();
    await client?.endAsync();
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
    if (Object.keys(figures).length) console.log(`      scale-out figures: ${JSON.stringify(figures)}`);
  });

  it('both instances process disjoint asset sets covering the plant', async () => {
    await startRed(0, 'A');
    publisher.start();
    await waitFor(() => recentOwners(0).size === ASSETS, 15000, 'A processes every asset');
    await startRed(1, 'B');
    let owners;
    await waitFor(() => {
      const since = Date.now() - 400;
      owners = recentOwners(since);
      const byB = [...owners.values()].filter((s) => s.has('B')).length;
      return owners.size === ASSETS && byB > 0 && [...owners.values()].every((s) => s.size === 1);
    }, 15000, 'A and B split the assets');
    const byA = [...owners].filter(([, s]) => s.has('A')).map(([a]) => a);
    const byB = [...owners].filter(([, s]) => s.has('B')).map(([a]) => a);
    assert.equal(byA.length + byB.length, ASSETS);
    assert.ok(byA.length >= 3 && byB.length >= 3, `A ${byA.length}, B ${byB.length}`);
    figures.split = { A: byA.length, B: byB.length };
  });

  it('SIGINT to one: the other takes its assets over, no QoS 1 sample lost or repeated', async () => {
    const before = recentOwners(Date.now() - 400);
    const moved = [...before].filter(([, s]) => s.has('B')).map(([a]) => a);
    const stoppedAt = Date.now();
    await reds[1].stop();
    const exitedAt = Date.now();
    await waitFor(() => {
      const owners = recentOwners(exitedAt + 200);
      return moved.every((a) => owners.get(a)?.has('A'));
    }, 10000, 'A processes the moved assets');
    await sleep(500);
    await publisher.stop();
    await sleep(1500);
    const records = all();
    const live = records.filter((r) => !r.r);
    const counts = new Map();
    for (const r of live) counts.set(r.v, (counts.get(r.v) ?? 0) + 1);
    const firstSeq = Math.min(...live.map((r) => r.v));
    const missing = [];
    for (let n = firstSeq; n <= publisher.seq; n++) if (!counts.has(n)) missing.push(n);
    const repeated = [...counts].filter(([, c]) => c > 1).map(([v]) => v);
    // Takeover time: from SIGINT to A's first processed sample of each moved asset (the slowest).
    const takeover = Math.max(...moved.map((a) => {
      const first = live.find((r) => r.i === 'A' && r.a === a && r.t >= stoppedAt);
      return first ? first.t - stoppedAt : Infinity;
    }));
    // The samples of moved assets that reached the broker after SIGINT and before A had them.
    const restoredByA = records.filter((r) => r.r && r.i === 'A' && r.t >= stoppedAt);
    figures.graceful = { takeoverMs: takeover, stopMs: exitedAt - stoppedAt, missing: missing.length, repeated: repeated.length, inversions: orderInversions(live), sent: publisher.seq - firstSeq + 1 };
    if (process.env.SCALE_DEBUG) {
      console.log(missing.map((n) => { const [a, t] = publisher.sentAt.get(n); return `${n} ${a.slice(-3)} ${t - stoppedAt}`; }).join('\n'));
      for (const a of moved) {
        const lastByB = live.filter((r) => r.i === 'B' && r.a === a).pop();
        const restore = restoredByA.find((r) => r.a === a);
        const firstA = live.find((r) => r.i === 'A' && r.a === a && r.t >= stoppedAt);
        console.log(a.slice(-3), 'lastB', lastByB?.v, lastByB?.t - stoppedAt, 'restore', restore?.v, restore?.t - stoppedAt, 'firstA', firstA?.v, firstA?.t - stoppedAt);
      }
      console.log(reds[1].log.slice(-3000));
    }
    // Node-RED drops messages still travelling to nodes it has stopped: samples B's ingest delivered in
    // its last event-loop turn before SIGINT can miss the recorder although B processed them (they are
    // in the state B handed over). Those are counted apart; any other missing sample fails.
    const restoredValue = new Map(moved.map((a) => [a, restoredByA.find((r) => r.a === a)?.v ?? -1]));
    const lastRecordedByB = new Map(moved.map((a) => [a, Math.max(...live.filter((r) => r.i === 'B' && r.a === a).map((r) => r.v))]));
    const inTransitAtStop = missing.filter((n) => {
      const asset = publisher.sentAt.get(n)[0];
      return restoredValue.has(asset) && n > lastRecordedByB.get(asset) && n <= restoredValue.get(asset);
    });
    figures.graceful.droppedByStoppingFlow = inTransitAtStop.length;
    const lost = missing.filter((n) => !inTransitAtStop.includes(n));
    assert.deepEqual(lost.slice(0, 20), [], `${lost.length} QoS 1 samples missing`);
    assert.ok(inTransitAtStop.length <= moved.length, `${inTransitAtStop.length} samples dropped by the stopping flow (at most one round)`);
    assert.deepEqual(repeated.slice(0, 20), [], `${repeated.length} samples processed twice`);
    assert.ok(takeover <= GRACEFUL_TAKEOVER_MS, `takeover ${takeover} ms`);
    assert.ok(figures.graceful.inversions <= moved.length * 4, `${figures.graceful.inversions} order inversions`);
    // A restored every moved asset from B's state: the value B processed last for it.
    for (const a of moved) {
      const restore = restoredByA.find((r) => r.a === a);
      assert.ok(restore, `A restored ${a}`);
      // B's last processed sample: the last one recorded, or one its stopping flow dropped (see above).
      const lastByB = Math.max(lastRecordedByB.get(a), ...inTransitAtStop.filter((n) => publisher.sentAt.get(n)[0] === a));
      assert.equal(restore.v, lastByB, `${a}: restored from B's last sample`);
    }
  });

  it('SIGKILL to one: the will clears it, the other takes over from the retained states; the loss is bounded', async () => {
    for (const file of dirs.map((d) => path.join(d, 'processed.jsonl'))) fs.rmSync(file, { force: true });
    publisher = new Publisher(client);
    publisher.seq = 10_000_000;
    publisher.start();
    await startRed(1, 'B');
    let moved;
    await waitFor(() => {
      const owners = recentOwners(Date.now() - 400);
      moved = [...owners].filter(([, s]) => s.has('B')).map(([a]) => a);
      return owners.size === ASSETS && moved.length > 0 && [...owners.values()].every((s) => s.size === 1);
    }, 15000, 'A and B split the assets again');
    await sleep(500);
    const killedAt = Date.now();
    await reds[1].kill();
    await waitFor(() => {
      const owners = recentOwners(killedAt + 100);
      return moved.every((a) => owners.get(a)?.has('A'));
    }, 10000, 'A processes the killed instance\'s assets');
    await sleep(500);
    await publisher.stop();
    await sleep(1500);
    const records = all();
    const live = records.filter((r) => !r.r);
    const seen = new Set(live.map((r) => r.v));
    const firstSeq = Math.min(...live.map((r) => r.v));
    const missing = [];
    for (let n = firstSeq; n <= publisher.seq; n++) if (!seen.has(n)) missing.push(n);
    const movedSet = new Set(moved);
    const missingOfOthers = missing.filter((n) => !movedSet.has(publisher.sentAt.get(n)[0]));
    const takeover = Math.max(...moved.map((a) => {
      const first = live.find((r) => r.i === 'A' && r.a === a && r.t >= killedAt);
      return first ? first.t - killedAt : Infinity;
    }));
    const restored = records.filter((r) => r.r && r.i === 'A' && r.t >= killedAt).map((r) => r.a);
    const lossWindow = missing.length ? publisher.sentAt.get(missing[missing.length - 1])[1] - publisher.sentAt.get(missing[0])[1] : 0;
    figures.kill = { takeoverMs: takeover, lost: missing.length, lostWindowMs: lossWindow, restoredAssets: new Set(restored).size, movedAssets: moved.length };
    assert.deepEqual(missingOfOthers, [], 'the surviving instance\'s own assets lose nothing');
    assert.ok(takeover <= KILL_TAKEOVER_MS, `takeover ${takeover} ms`);
    assert.ok(missing.length <= KILL_LOSS_LIMIT, `${missing.length} samples lost`);
    for (const a of moved) assert.ok(restored.includes(a), `A restored ${a} from its retained state`);
  });
});
