'use strict';
/**
 * ClusterMember against the real Mosquitto on 127.0.0.1:1883 (unique prefix per run): two members
 * on two MqttConnections share 20 assets; a publisher sends numbered QoS 1 samples throughout a
 * join, a graceful leave and a kill (connection destroyed: the will fires). Every sample must be
 * processed exactly once in the graceful cases.
 */
const assert = require('node:assert/strict');
const mqtt = require('mqtt');
const { MqttConnection } = require('../../../dist/core/source/mqtt-connection');
const { ClusterMember, assetFilter, decodeAssetState } = require('../../../dist/core/cluster');

const BROKER = 'mqtt://127.0.0.1:1883';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const run = `tlc${Date.now().toString(36)}${process.pid.toString(36)}`;
const assets = Array.from({ length: 20 }, (_, i) => `${run}/line/m${i}`);

async function waitFor(predicate, ms, what) {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await sleep(10);
  }
}

function startMember(id, processed, restored) {
  const connection = new MqttConnection({ url: BROKER, clientId: `${run}-${id}`, protocolVersion: 5, keepaliveS: 5, persistentSession: false });
  const member = new ClusterMember(connection, {
    prefix: `${run}/twin`, group: 'g', memberId: id, assets, filterOf: (a) => assetFilter(`${run}/+/+/+`, a),
    assetLevels: 3, qos: 1, stateIntervalMs: 100, handoverTimeoutMs: 3000,
  }, {
    onSample: (asset, topic, payload) => {
      const seq = Number(payload.toString());
      processed.push({ by: id, asset, seq });
      member.observe({ asset, signal: 'seq', value: seq, unit: null, quality: 'good', sourceTime: seq, receivedTime: Date.now(), latencyMs: 0 });
    },
    onRestore: (asset, state) => restored.push({ by: id, asset, seq: state.signals.get('seq').value }),
    onProblem: (err) => { throw err; },
  });
  connection.setWill(member.will);
  connection.connect();
  return { connection, member, started: waitFor(() => connection.state.state.name === 'connected', 5000, 'connect').then(() => member.start()) };
}

describe('cluster: members sharing assets through Mosquitto', function () {
  this.timeout(30000);
  let publisher;
  const members = [];
  before(async () => {
    publisher = await mqtt.connectAsync(BROKER, { clientId: `${run}-pub`, protocolVersion: 5 });
  });
  after(async () => {
    for (const m of members) m.member.dispose();
    await Promise.all(members.map((m) => m.connection.close()));
    // Clear the retained state and member messages of this run.
    const cleaner = await mqtt.connectAsync(BROKER, { clientId: `${run}-clean` });
    const retained = [];
    cleaner.on('message', (topic, payload, packet) => { if (packet.retain && payload.length) retained.push(topic); });
    await cleaner.subscribeAsync(`${run}/#`);
    await sleep(300);
    for (const topic of retained) await cleaner.publishAsync(topic, '', { retain: true, qos: 1 });
    await cleaner.endAsync();
    await publisher.endAsync();
  });

  it('splits the assets on join, hands them over on leave without losing or repeating a QoS 1 sample', async () => {
    const processed = [];
    const restored = [];
    const a = startMember('a', processed, restored);
    members.push(a);
    await a.started;
    await waitFor(() => a.member.ownedAssets().length === 20, 10000, 'a owns all');
    let seq = 0;
    let publishing = true;
    const pump = (async () => {
      while (publishing) {
        const batch = [];
        for (const asset of assets) batch.push(publisher.publishAsync(`${asset}/seq`, String(++seq), { qos: 1 }));
        await Promise.all(batch);
        await sleep(5);
      }
    })();
    await sleep(300);
    const b = startMember('b', processed, restored);
    members.push(b);
    await b.started;
    await waitFor(() => a.member.ownedAssets().length + b.member.ownedAssets().length === 20 && b.member.ownedAssets().length > 0 && b.member.summary().waiting === 0, 15000, 'split');
    const ownedByA = new Set(a.member.ownedAssets());
    const ownedByB = new Set(b.member.ownedAssets());
    assert.equal([...ownedByA].filter((x) => ownedByB.has(x)).length, 0, 'disjoint');
    assert.ok(ownedByA.size >= 4 && ownedByB.size >= 4, `${ownedByA.size}/${ownedByB.size}`);
    await sleep(400);
    const leaveStarted = Date.now();
    await a.member.leave();
    const leaveMs = Date.now() - leaveStarted;
    await waitFor(() => b.member.ownedAssets().length === 20, 10000, 'b owns all');
    await sleep(300);
    publishing = false;
    await pump;
    await waitFor(() => processed.length >= seq, 10000, `all ${seq} processed (${processed.length})`).catch(() => undefined);
    const seen = new Map();
    for (const p of processed) seen.set(p.seq, (seen.get(p.seq) ?? 0) + 1);
    const missing = [];
    for (let n = 1; n <= seq; n++) if (!seen.has(n)) missing.push(n);
    const repeated = [...seen].filter(([, count]) => count > 1);
    assert.deepEqual(missing, [], 'no QoS 1 sample lost');
    assert.deepEqual(repeated, [], 'no sample processed twice');
    // b restored every asset it took from a from a's final state: a's last processed sample.
    for (const asset of ownedByA) {
      const lastByA = Math.max(...processed.filter((p) => p.by === 'a' && p.asset === asset).map((p) => p.seq));
      const restore = restored.filter((r) => r.by === 'b' && r.asset === asset).pop();
      assert.ok(restore, `b restored ${asset}`);
      assert.equal(restore.seq, lastByA, `${asset}: restored a's last sample`);
    }
    assert.ok(leaveMs < 2000, `graceful leave took ${leaveMs} ms`);
    // The retained states now come from b, and say what b processed last.
    const reader = await mqtt.connectAsync(BROKER, { clientId: `${run}-reader` });
    const states = new Map();
    reader.on('message', (topic, payload) => { if (payload.length) states.set(topic, decodeAssetState('x', payload)); });
    await reader.subscribeAsync(`${run}/twin/+/+/+/state`);
    await sleep(400);
    await reader.endAsync();
    assert.equal(states.size, 20);
    for (const [topic, state] of states) {
      const asset = topic.slice(`${run}/twin/`.length, -'/state'.length);
      const last = Math.max(...processed.filter((p) => p.asset === asset).map((p) => p.seq));
      assert.equal(state.signals.get('seq').value, last, topic);
    }
  });
});
