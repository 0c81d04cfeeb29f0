'use strict';
/**
 * The load generator of the ingest benchmark, a process of its own (forked by bench/ingest/index.js,
 * driven over IPC). It publishes JSON samples `{"value": <number>, "ts": <epoch ms>}` with QoS 0 to
 * Mosquitto on `bench/<run id>/line<k>/machine<j>/signal<i>`, cycling 10 x 10 x 100 = 10,000 topics.
 *
 *   value  the message's sequence number within the phase (0, 1, 2, ...), so a consumer can count
 *   ts     epoch milliseconds with a fractional part (performance.timeOrigin + performance.now()),
 *          taken just before the message is handed to the socket; the consumers read the same clock
 *
 * Commands (process.send from the parent, one at a time; each is answered with {id, ok, ...}):
 *   {cmd: 'paced',  runId, rate, count, timeLimitMs}
 *       `rate` messages per second, evenly spread (catching up every ~1 ms timer tick), until `count`
 *       are sent or the time limit passes.
 *   {cmd: 'closed', runId, window, durationMs, ackTopic, phase, stallMs}
 *       saturation with a closed loop: never more than `window` messages sent but not yet counted
 *       by the consumer, which publishes "<phase>:<count so far>" on `ackTopic` every N messages.
 *       Both consumers run flat out, and the broker's per-client queue (1,000 messages in
 *       Mosquitto's default configuration) can never overflow because of the publisher. If no ack
 *       arrives for `stallMs` with the window full, the window is reopened and the stall counted
 *       (messages were lost somewhere; the parent reports them from the consumer's count).
 *   {cmd: 'single', topic, payload}   one message (probes)
 *   {cmd: 'stop'}                     disconnect and exit
 */
const mqtt = require('mqtt');

const BROKER = process.env.BENCH_BROKER || 'mqtt://127.0.0.1:1883';
const LINES = 10;
const MACHINES = 10;
const SIGNALS = 100;
const TOPIC_COUNT = LINES * MACHINES * SIGNALS;

const clock = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const yieldToIo = () => new Promise((resolve) => setImmediate(resolve));

const topicCache = new Map();
function topicsOf(runId) {
  let topics = topicCache.get(runId);
  if (!topics) {
    topics = [];
    for (let i = 0; i < SIGNALS; i++) {
      for (let k = 0; k < LINES; k++) {
        for (let j = 0; j < MACHINES; j++) topics.push(`bench/${runId}/line${k}/machine${j}/signal${i}`);
      }
    }
    topicCache.set(runId, topics);
  }
  return topics;
}

const client = mqtt.connect(BROKER, {
  clientId: `twinloop-bench-pub-${process.pid}`,
  clean: true,
  keepalive: 30,
  reconnectPeriod: 0,
});
let connected = false;
client.on('connect', () => {
  connected = true;
  // No Nagle: with it, small publishes wait for the broker's delayed TCP ACK (40 ms on Linux), and
  // the latency figures of BOTH consumers showed that artefact of the load generator
  // (bare subscriber p99 27 ms with Nagle, 2 ms without, measured on this machine).
  client.stream.setNoDelay(true);
});
client.on('close', () => { connected = false; });
client.on('error', (err) => process.send?.({ event: 'error', message: err.message }));

/** Acks of the closed loop: "<phase>:<count>". */
const ackState = { topic: '', phase: '', count: 0, wake: null };
client.on('message', (topic, payload) => {
  if (topic !== ackState.topic) return;
  const text = payload.toString();
  const colon = text.lastIndexOf(':');
  if (text.slice(0, colon) !== ackState.phase) return;
  const count = Number(text.slice(colon + 1));
  if (count > ackState.count) ackState.count = count;
  const wake = ackState.wake;
  ackState.wake = null;
  if (wake) wake();
});

/** Publishes one sample; resolves at once unless the socket wants us to wait for 'drain'. */
function publishSample(topics, seq, onWritten) {
  const payload = `{"value":${seq},"ts":${clock().toFixed(3)}}`;
  client.publish(topics[seq % TOPIC_COUNT], payload, { qos: 0 }, onWritten);
}

/** Publishes `n` samples from `seq`; resolves once the socket has taken them (or drained). */
function publishBatch(topics, seq, n) {
  return new Promise((resolve, reject) => {
    for (let i = 0; i < n - 1; i++) publishSample(topics, seq + i);
    publishSample(topics, seq + n - 1, (err) => (err ? reject(err) : resolve()));
  });
}

async function paced({ runId, rate, count, timeLimitMs }) {
  const topics = topicsOf(runId);
  const started = clock();
  const deadline = started + timeLimitMs;
  let sent = 0;
  let maxBurst = 0;
  while (sent < count) {
    const now = clock();
    if (now > deadline) break;
    const due = Math.min(count, Math.floor(((now - started) * rate) / 1000) + 1);
    const n = Math.min(due - sent, 1000);
    if (n > 0) {
      await publishBatch(topics, sent, n);
      sent += n;
      if (n > maxBurst) maxBurst = n;
    }
    if (sent < count) await sleep(1);
  }
  const ended = clock();
  return { sent, startedAt: started, endedAt: ended, sendSeconds: (ended - started) / 1000, achievedRate: sent / ((ended - started) / 1000), maxBurst, timedOut: sent < count };
}

async function closed({ runId, window, durationMs, ackTopic, phase, stallMs = 1000 }) {
  const topics = topicsOf(runId);
  ackState.topic = ackTopic;
  ackState.phase = phase;
  ackState.count = 0;
  await client.subscribeAsync(ackTopic, { qos: 0 });
  const started = clock();
  const end = started + durationMs;
  let sent = 0;
  let base = 0; // acks are counted from here after a stall reopened the window
  let stalls = 0;
  let waits = 0;
  while (clock() < end) {
    const room = window - (sent - (base + ackState.count));
    if (room <= 0) {
      waits++;
      const acked = await new Promise((resolve) => {
        const timer = setTimeout(() => { ackState.wake = null; resolve(false); }, stallMs);
        ackState.wake = () => { clearTimeout(timer); resolve(true); };
      });
      if (!acked) {
        stalls++;
        base = sent - ackState.count;
      }
      continue;
    }
    const n = Math.min(room, 100);
    await publishBatch(topics, sent, n);
    sent += n;
    await yieldToIo(); // let acks in
  }
  const ended = clock();
  await client.unsubscribeAsync(ackTopic).catch(() => {});
  ackState.topic = '';
  return { sent, startedAt: started, endedAt: ended, sendSeconds: (ended - started) / 1000, achievedRate: sent / ((ended - started) / 1000), stalls, windowWaits: waits, lastAck: ackState.count };
}

async function handle(command) {
  if (!connected) {
    const until = Date.now() + 10000;
    while (!connected && Date.now() < until) await sleep(50);
    if (!connected) throw new Error(`publisher cannot reach the broker at ${BROKER}`);
  }
  switch (command.cmd) {
    case 'paced': return paced(command);
    case 'closed': return closed(command);
    case 'single':
      await client.publishAsync(command.topic, command.payload, { qos: 0 });
      return {};
    case 'clock':
      return { clock: clock(), dateNow: Date.now() };
    default:
      throw new Error(`unknown command ${command.cmd}`);
  }
}

let queue = Promise.resolve();
process.on('message', (command) => {
  if (command.cmd === 'stop') {
    client.end(true, () => process.exit(0));
    setTimeout(() => process.exit(0), 1000).unref();
    return;
  }
  queue = queue.then(() => handle(command)).then(
    (result) => process.send({ id: command.id, ok: true, ...result }),
    (err) => process.send({ id: command.id, ok: false, error: err.message }),
  );
});
// The parent going away (crash, Ctrl-C) must not leave a publisher behind.
process.on('disconnect', () => process.exit(0));
