'use strict';
const assert = require('node:assert/strict');
const { randomBytes } = require('node:crypto');
const { MqttConnection, topicMatchesFilter } = require('../../dist/core/source/mqtt-connection');
const { ConfigError, ConnectionError } = require('../../dist/core/errors');
const { PrivateMosquitto, freePort } = require('../support/mosquitto');

const run = randomBytes(4).toString('hex');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(predicate, what, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe('MqttConnection', function () {
  const broker = new PrivateMosquitto();
  const open = [];

  /** A connection that afterEach closes; records every state it goes through. */
  function connection(options) {
    const conn = new MqttConnection({
      url: broker.url, clientId: '', protocolVersion: 5, keepaliveS: 60, persistentSession: false, ...options,
    });
    conn.states = [];
    conn.state.onState((state) => conn.states.push(state));
    open.push(conn);
    return conn;
  }

  async function connected(options) {
    const conn = connection(options);
    conn.connect();
    await waitFor(() => conn.state.state.name === 'connected', `${options.clientId || 'client'} connected`);
    return conn;
  }

  /** Subscribes and waits until a probe message comes back, so the broker surely has the subscription. */
  async function subscribeReady(conn, filter, probeTopic, qos, onMessage) {
    let probed = false;
    const unsubscribe = conn.subscribe(filter, qos, (topic, payload, delivery) => {
      if (topic === probeTopic && payload.toString() === 'probe') probed = true;
      else onMessage(topic, payload, delivery);
    });
    const publisher = await connected({ protocolVersion: 4 });
    await waitFor(() => {
      if (!probed) publisher.publish(probeTopic, 'probe', { qos: 0 }).catch(() => undefined);
      return probed;
    }, `probe on ${probeTopic}`);
    await publisher.close();
    return unsubscribe;
  }

  before(async () => broker.start());
  afterEach(async () => {
    await Promise.all(open.splice(0).map((conn) => conn.close()));
  });
  after(async () => broker.dispose());

  describe('topicMatchesFilter', () => {
    const cases = [
      ['line1/press/temp', 'line1/press/temp', true],
      ['line1/press/temp', 'line1/press/tempx', false],
      ['line1/+/temp', 'line1/press/temp', true],
      ['line1/+/temp', 'line1/press/oven/temp', false],
      ['line1/+', 'line1/', true], // an empty level is still a level
      ['line1/+', 'line1', false],
      ['+/+', 'a/b', true],
      ['line1/#', 'line1', true], // # includes the parent level
      ['line1/#', 'line1/press/oven/temp', true],
      ['line1/#', 'line2/press', false],
      ['#', 'anything/at/all', true],
      ['#', '$SYS/broker/uptime', false],
      ['+/broker/uptime', '$SYS/broker/uptime', false],
      ['$SYS/#', '$SYS/broker/uptime', true],
      ['$SYS/+/uptime', '$SYS/broker/uptime', true],
      ['$share/grp/line1/#', 'line1/press', true],
      ['$share/grp/line1/+/temp', 'line1/press/temp', true],
      ['$share/grp/line1/+/temp', 'grp/line1/press/temp', false],
      ['$share/grp/#', '$SYS/broker', false],
    ];
    for (const [filter, topic, expected] of cases) {
      it(`${filter} ${expected ? 'matches' : 'does not match'} ${topic}`, () => {
        assert.equal(topicMatchesFilter(filter, topic), expected);
      });
    }
  });

  describe('configuration', () => {
    for (const url of ['not a url', 'http://127.0.0.1:1883', 'tcp://127.0.0.1:1883', '', 'mqtt://']) {
      it(`refuses the broker URL ${JSON.stringify(url)} with a ConfigError`, () => {
        assert.throws(() => connection({ url }), (err) => err instanceof ConfigError && err.shortReason === 'bad broker url');
      });
    }
    it('accepts mqtt, mqtts, ws and wss URLs and refuses a bad topic filter', () => {
      for (const url of ['mqtt://h:1883', 'mqtts://h:8883', 'ws://h/mqtt', 'wss://h/mqtt']) connection({ url });
      const conn = connection({});
      for (const filter of ['', 'a/#/b', 'a/b+', '$share//x', '$share/g/']) {
        assert.throws(() => conn.subscribe(filter, 0, () => undefined), ConfigError, filter);
      }
    });
  });

  it('an unreachable port gives reconnecting with a growing delay, and nothing happens after close()', async () => {
    const port = await freePort();
    const conn = connection({ url: `mqtt://127.0.0.1:${port}`, backoff: { initialMs: 50, maxMs: 400, factor: 2 } });
    conn.connect();
    await waitFor(() => conn.states.filter((s) => s.name === 'reconnecting').length >= 4, 'four reconnect waits');
    const waits = conn.states.filter((s) => s.name === 'reconnecting');
    assert.equal(conn.states[0].name, 'connecting');
    assert.deepEqual(waits.slice(0, 4).map((s) => s.retryInMs), [50, 100, 200, 400]);
    assert.ok(waits.every((s) => s.reason === 'broker unreachable'), JSON.stringify(waits));

    const client = conn.client;
    let attemptsAfterClose = 0;
    client.on('reconnect', () => attemptsAfterClose++);
    const waitingPublish = conn.publish(`twinloop/${run}/never`, 'x', { qos: 1 }); // queued while offline
    await conn.close();
    await assert.rejects(waitingPublish, (err) => err instanceof ConnectionError && err.shortReason === 'connection closed');
    const statesAtClose = conn.states.length;
    await sleep(900); // more than twice the longest backoff
    assert.equal(conn.state.state.name, 'closed');
    assert.equal(conn.states.length, statesAtClose);
    assert.equal(attemptsAfterClose, 0);
    assert.equal(client.disconnected, true);
    assert.equal(client.connected, false);
    conn.connect(); // a closed connection stays closed
    await assert.rejects(conn.publish('x', 'y'), ConnectionError);
    assert.equal(conn.state.state.name, 'closed');
  });

  it('two connections fighting over one client id back off further and further instead of flapping', async () => {
    const options = { clientId: `tl_${run}_twin`, protocolVersion: 4, backoff: { initialMs: 50, maxMs: 400, factor: 2 } };
    const first = await connected(options);
    const second = connection(options);
    second.connect();
    await waitFor(() => first.states.filter((s) => s.name === 'reconnecting').length >= 3, 'three take-overs');
    const waits = first.states.filter((s) => s.name === 'reconnecting');
    assert.deepEqual(waits.slice(0, 3).map((s) => s.retryInMs), [50, 100, 200]);
    assert.ok(waits.every((s) => s.reason === 'connection lost'));
  });

  for (const protocolVersion of [4, 5]) {
    it(`MQTT ${protocolVersion === 5 ? '5' : '3.1.1'}: QoS 1 messages queued while a persistent subscriber was closed arrive in order after a new connection subscribes`, async () => {
      const clientId = `tl_${run}_queued_v${protocolVersion}`;
      const base = `twinloop/${run}/v${protocolVersion}/line1`;
      const first = await connected({ clientId, protocolVersion, persistentSession: true });
      await subscribeReady(first, `${base}/#`, `${base}/probe`, 1, () => undefined);
      await first.close();

      const publisher = await connected({ protocolVersion: 4 });
      const sent = Array.from({ length: 25 }, (_, i) => `count=${i}`);
      for (const payload of sent) await publisher.publish(`${base}/press/count`, payload, { qos: 1 });

      const second = await connected({ clientId, protocolVersion, persistentSession: true });
      // The broker sends the queue right after CONNACK: give it time to arrive before subscribe().
      await waitFor(() => second.held.length === sent.length, 'queued messages held');
      const received = [];
      second.subscribe(`${base}/#`, 1, (topic, payload, delivery) => received.push({ topic, text: payload.toString(), delivery }));
      assert.equal(received.length, 0, 'held messages are handed over after subscribe() returns');
      await waitFor(() => received.length === sent.length, 'all queued messages');
      assert.deepEqual(received.map((m) => m.text), sent);
      assert.ok(received.every((m) => m.topic === `${base}/press/count` && m.delivery.qos === 1));
      assert.equal(second.held.length, 0);
    });
  }

  it('a subscriber leaving in the same tick as close() keeps the persistent subscription: QoS 1 messages in flight then arrive at the next connection', async function () {
    this.timeout(30000);
    const clientId = `tl_${run}_inflight`;
    const topic = `twinloop/${run}/inflight/count`;
    const first = await connected({ clientId, persistentSession: true });
    const seen = new Set();
    const unsubscribe = await subscribeReady(first, `twinloop/${run}/inflight/+`, `twinloop/${run}/inflight/probe`, 1, (_t, payload) => seen.add(Number(payload)));
    const publisher = await connected({ protocolVersion: 4 });
    const total = 3000;
    // One after the other, so the close surely falls in the middle of the stream.
    const published = (async () => {
      for (let i = 0; i < total; i++) await publisher.publish(topic, String(i), { qos: 1 });
    })();
    await waitFor(() => seen.size >= 300, 'the first messages');
    // As Node-RED stops a flow: the user node closes, then its config node, in one go.
    unsubscribe();
    const closed = first.close();
    const seenByFirst = seen.size;
    await closed;
    await published;
    const second = await connected({ clientId, persistentSession: true });
    second.subscribe(`twinloop/${run}/inflight/+`, 1, (_t, payload) => seen.add(Number(payload)));
    await waitFor(() => seen.size === total, `all ${total} messages (${seen.size} so far)`, 15000);
    assert.ok(seenByFirst < total, 'the close happened while messages were flowing');
  });

  it('a drained subscriber also gets what the broker had queued beyond its in-flight window (sent after the UNSUBACK), until it ends the drain', async function () {
    this.timeout(30000);
    const topic = `twinloop/${run}/late/count`;
    const conn = await connected({ clientId: `tl_${run}_late` });
    const seen = [];
    let unsubacked = false;
    let afterUnsuback = 0;
    const unsubscribe = await subscribeReady(conn, `twinloop/${run}/late/+`, `twinloop/${run}/late/probe`, 1, (_t, payload) => {
      seen.push(Number(payload));
      if (unsubacked) afterUnsuback++;
    });
    // Another process publishes 300 QoS 1 messages while this one is busy: the broker sends 20 (its
    // in-flight window) and queues the rest for us.
    const script = `const mqtt = require('mqtt'); (async () => { const p = await mqtt.connectAsync(${JSON.stringify(broker.url)}); console.log('ready'); process.stdin.once('data', async () => { for (let i = 0; i < 300; i++) await p.publishAsync(${JSON.stringify(topic)}, String(i), { qos: 1 }); await p.endAsync(); process.exit(0); }); })();`;
    const child = require('node:child_process').spawn(process.execPath, ['-e', script], { cwd: require('node:path').join(__dirname, '..', '..'), stdio: ['pipe', 'pipe', 'inherit'] });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    await new Promise((resolve) => child.stdout.once('data', resolve));
    child.stdin.write('go\n');
    const busyUntil = Date.now() + 1500;
    while (Date.now() < busyUntil) { /* a member lagging behind */ }
    await unsubscribe(true);
    unsubacked = true;
    await exited;
    await waitFor(() => seen.length === 300, `all 300 (${seen.length} so far)`);
    assert.deepEqual(seen, Array.from({ length: 300 }, (_, i) => i), 'all of them, in order');
    assert.ok(afterUnsuback > 0, 'some arrived after the UNSUBACK (the case this is about)');
    unsubscribe(); // ends the drain
    const publisher = await connected({ protocolVersion: 4 });
    await publisher.publish(topic, '999', { qos: 1 });
    await sleep(300);
    assert.equal(seen.length, 300, 'nothing after the drain ended');
  });

  it('a subscriber leaving an open connection is unsubscribed at the broker: nothing more is queued for the session', async () => {
    const clientId = `tl_${run}_left`;
    const topic = `twinloop/${run}/left/count`;
    const first = await connected({ clientId, persistentSession: true });
    const unsubscribe = await subscribeReady(first, `twinloop/${run}/left/+`, `twinloop/${run}/left/probe`, 1, () => undefined);
    unsubscribe();
    await sleep(300);
    await first.close();
    const publisher = await connected({ protocolVersion: 4 });
    await publisher.publish(topic, 'after', { qos: 1 });
    const second = await connected({ clientId, persistentSession: true });
    await sleep(500);
    assert.equal(second.held.length, 0, 'the broker queued nothing for the dropped subscription');
  });

  it('holds at most 10,000 unclaimed messages, dropping the oldest', async function () {
    this.timeout(30_000);
    const clientId = `tl_${run}_hold_limit`;
    const base = `twinloop/${run}/hold`;
    const first = await connected({ clientId, protocolVersion: 5, persistentSession: true });
    await subscribeReady(first, `${base}/#`, `${base}/probe`, 1, () => undefined);
    await first.close();
    const publisher = await connected({ protocolVersion: 4 });
    const total = 10_050;
    await Promise.all(Array.from({ length: total }, (_, i) => publisher.publish(`${base}/counter`, String(i), { qos: 1 })));

    const second = connection({ clientId, protocolVersion: 5, persistentSession: true });
    second.connect();
    let arrived = 0;
    second.client.on('message', () => arrived++);
    await waitFor(() => arrived === total, 'the whole queue', 15_000);
    assert.equal(second.held.length, 10_000);
    const got = [];
    second.subscribe(`${base}/#`, 1, (_t, payload) => got.push(Number(payload.toString())));
    await waitFor(() => got.length === 10_000, 'held messages');
    assert.equal(got[0], total - 10_000);
    assert.ok(got.every((n, i) => n === total - 10_000 + i), 'in order, without gaps');
  });

  it('comes back after a broker restart: queued and new messages arrive without subscribing again', async function () {
    this.timeout(20_000);
    const base = `twinloop/${run}/restart`;
    const persistent = await connected({
      clientId: `tl_${run}_restart_persistent`, persistentSession: true, backoff: { initialMs: 2500, maxMs: 5000, factor: 2 },
    });
    const clean = await connected({ clientId: `tl_${run}_restart_clean`, protocolVersion: 4, backoff: { initialMs: 100, maxMs: 400, factor: 2 } });
    const persistentGot = [];
    const cleanGot = [];
    await subscribeReady(persistent, `${base}/#`, `${base}/probe`, 1, (_t, payload) => persistentGot.push(payload.toString()));
    await subscribeReady(clean, `${base}/#`, `${base}/probe`, 1, (_t, payload) => cleanGot.push(payload.toString()));

    await broker.restart();
    // Published while the persistent subscriber still waits out its 2.5 s backoff: the broker queues them.
    const publisher = await connected({ protocolVersion: 4 });
    const queued = ['q0', 'q1', 'q2', 'q3', 'q4'];
    for (const payload of queued) await publisher.publish(`${base}/oven/temp`, payload, { qos: 1 });
    assert.equal(persistent.state.state.name, 'reconnecting', 'the queue test needs the subscriber still offline');

    await waitFor(() => persistent.state.state.name === 'connected' && clean.state.state.name === 'connected', 'both back');
    await waitFor(() => persistentGot.length === queued.length, 'queued messages');
    assert.deepEqual(persistentGot, queued);
    for (const conn of [persistent, clean]) {
      const names = conn.states.map((s) => s.name);
      const lost = names.indexOf('reconnecting', names.indexOf('connected'));
      assert.ok(lost > 0 && names.indexOf('connected', lost) > lost, names.join(' > '));
      assert.equal(conn.states[lost].reason, 'connection lost');
    }

    const live = ['l0', 'l1', 'l2'];
    for (const payload of live) await publisher.publish(`${base}/oven/temp`, payload, { qos: 1 });
    await waitFor(() => persistentGot.length === queued.length + live.length && cleanGot.length === live.length, 'live messages');
    assert.deepEqual(persistentGot, [...queued, ...live]);
    assert.deepEqual(cleanGot, live, 'a clean session is subscribed again after the restart');
  });

  describe('shared subscriptions and dispatch', () => {
    it('MQTT 5: overlapping filters each get a message once; the same filter twice is one subscription at the highest QoS', async () => {
      const base = `twinloop/${run}/dispatch5`;
      const conn = await connected({ protocolVersion: 5 });
      const line = [];
      const temps = [];
      const again = [];
      const offLine = await subscribeReady(conn, `${base}/line1/#`, `${base}/line1/probe`, 0, (t, p, d) => line.push([t, p.toString(), d.qos]));
      const offTemps = conn.subscribe(`${base}/line1/+/temp`, 1, (t, p, d) => temps.push([t, p.toString(), d.qos]));
      const offAgain = conn.subscribe(`${base}/line1/#`, 1, (t, p, d) => again.push([t, p.toString(), d.qos]));
      assert.equal(conn.subscriptions.size, 2);
      assert.equal(conn.subscriptions.get(`${base}/line1/#`).qos, 1);
      await sleep(100); // let the SUBACKs of the second and third subscribe() arrive

      const publisher = await connected({ protocolVersion: 4 });
      await publisher.publish(`${base}/line1/oven/temp`, '180', { qos: 1 });
      await publisher.publish(`${base}/line1/oven/power`, '12', { qos: 1 });
      await waitFor(() => line.length >= 2 && temps.length >= 1 && again.length >= 2, 'first messages');
      await sleep(200); // duplicates, if any, would arrive now
      const both = [[`${base}/line1/oven/temp`, '180', 1], [`${base}/line1/oven/power`, '12', 1]];
      assert.deepEqual(line, both, 'delivered at the raised QoS 1, once');
      assert.deepEqual(again, both);
      assert.deepEqual(temps, [[`${base}/line1/oven/temp`, '180', 1]]);

      offLine();
      offLine(); // unsubscribing twice changes nothing
      await publisher.publish(`${base}/line1/oven/temp`, '181', { qos: 1 });
      await waitFor(() => again.length === 3 && temps.length === 2, 'second temp');
      offAgain();
      offTemps();
      assert.equal(conn.subscriptions.size, 0);
      await sleep(100);
      await publisher.publish(`${base}/line1/oven/temp`, '182', { qos: 1 });
      await sleep(300);
      assert.equal(line.length, 2, 'unsubscribed handler got nothing more');
      assert.equal(again.length, 3);
      assert.equal(temps.length, 2);
      assert.equal(conn.held.length, 0, "the broker subscription is gone, so the broker sent nothing to hold");
    });

    it('MQTT 3.1.1: overlapping filters both get the message (Mosquitto sends one copy)', async () => {
      const base = `twinloop/${run}/dispatch4`;
      const conn = await connected({ protocolVersion: 4 });
      const line = [];
      const temps = [];
      await subscribeReady(conn, `${base}/line1/#`, `${base}/line1/probe`, 1, (t, p) => line.push(p.toString()));
      conn.subscribe(`${base}/line1/+/temp`, 1, (t, p) => temps.push(p.toString()));
      await sleep(100);
      const publisher = await connected({ protocolVersion: 4 });
      await publisher.publish(`${base}/line1/oven/power`, '12', { qos: 1 });
      await publisher.publish(`${base}/line1/oven/temp`, '180', { qos: 1 });
      await waitFor(() => line.length >= 2 && temps.length >= 1, 'overlapping messages');
      await sleep(200); // duplicates, if any, would arrive now
      // 3.1.1 has no subscription identifiers: the one copy Mosquitto sends goes to both handlers.
      assert.deepEqual(line, ['12', '180']);
      assert.deepEqual(temps, ['180']);
    });

    for (const protocolVersion of [4, 5]) {
      it(`MQTT ${protocolVersion === 5 ? '5' : '3.1.1'}: a $share filter is subscribed in full and dispatched on the topic part`, async () => {
        const base = `twinloop/${run}/share${protocolVersion}`;
        const conn = await connected({ protocolVersion });
        const got = [];
        await subscribeReady(conn, `$share/twin/${base}/#`, `${base}/probe`, 1, (t, p) => got.push([t, p.toString()]));
        const publisher = await connected({ protocolVersion: 4 });
        await publisher.publish(`${base}/press/state`, 'RUNNING', { qos: 1 });
        await waitFor(() => got.length === 1, 'shared message');
        assert.deepEqual(got, [[`${base}/press/state`, 'RUNNING']]);
      });
    }
  });

  describe('bad credentials', () => {
    const secured = new PrivateMosquitto({ users: { plc: 'right-password' } });
    before(async () => secured.start());
    after(async () => secured.dispose());

    for (const protocolVersion of [4, 5]) {
      it(`MQTT ${protocolVersion === 5 ? '5' : '3.1.1'}: a wrong password fails once with "bad credentials" and does not retry`, async () => {
        const conn = connection({
          url: secured.url, protocolVersion, username: 'plc', password: 'wrong', backoff: { initialMs: 50, maxMs: 100, factor: 2 },
        });
        conn.connect();
        await waitFor(() => conn.state.state.name === 'failed', 'failed');
        await sleep(400); // several backoff periods: a retry loop would show here
        assert.deepEqual(conn.states.map((s) => s.name), ['connecting', 'failed']);
        assert.equal(conn.state.state.reason, 'bad credentials');
        await assert.rejects(conn.publish('x', 'y'), (err) => err instanceof ConnectionError && err.shortReason === 'not connected');

        const good = connection({ url: secured.url, protocolVersion, username: 'plc', password: 'right-password' });
        good.connect();
        await waitFor(() => good.state.state.name === 'connected', 'connected with the right password');
      });
    }
  });

  it('close() is idempotent and ends a connected client cleanly', async () => {
    const conn = await connected({ protocolVersion: 5, backoff: { initialMs: 50, maxMs: 100, factor: 2 } });
    const client = conn.client;
    const first = conn.close();
    assert.equal(conn.close(), first, 'a second close() returns the same promise');
    const started = Date.now();
    await first;
    assert.ok(Date.now() - started < 5_000);
    assert.equal(client.disconnected, true);
    assert.equal(client.connected, false);
    await sleep(300);
    assert.deepEqual(conn.states.map((s) => s.name), ['connecting', 'connected', 'closed']);
  });

  it('smoke: the shared broker on 127.0.0.1:1883 carries a message subscribed before connect()', async () => {
    const topic = `twinloop/${run}/smoke`;
    const conn = connection({ url: 'mqtt://127.0.0.1:1883', protocolVersion: 4 });
    const got = [];
    conn.subscribe(topic, 1, (t, p) => got.push(p.toString()));
    conn.connect();
    await waitFor(() => conn.state.state.name === 'connected', 'connected to the shared broker');
    await sleep(100);
    await conn.publish(topic, 'hello', { qos: 1 });
    await waitFor(() => got.length === 1, 'smoke message');
    assert.deepEqual(got, ['hello']);
  });
});
