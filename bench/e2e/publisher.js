'use strict';
/**
 * The load generator of the end-to-end benchmark, a process of its own (forked by bench/e2e/index.js,
 * driven over IPC; the ingest benchmark's publisher.js, with plant-like values, a choice of QoS and
 * a configurable number of signals). It publishes JSON samples `{"value": <v>, "ts": <epoch ms>}` to
 * Mosquitto on `bench/<prefix>/line<k>/machine<j>/signal<i>`, cycling the signals in order
 * (signal 0 of every machine, then signal 1, ...; SIGNALS_PER_MACHINE x MACHINES x LINES topics).
 *
 *   value  a noisy sine per signal, 50 + 5 sin(2 pi n / 60 + phase) + N(0, 0.5^2), n the signal's own
 *          sample number, with two decimals, plus the send time hidden below the third decimal
 *          (bench/e2e/stamp.js): the end of the chain reads the latency from it
 *   ts     the same send time, epoch ms with a fractional part (performance.timeOrigin +
 *          performance.now()), taken just before the message is handed to the socket
 *
 * Commands (process.send from the parent, one at a time; each is answered with {id, ok, ...}):
 *   {cmd: 'paced',  prefix, rate, count, qos, timeLimitMs}
 *       `rate` messages per second, evenly spread (catching up every ~1 ms timer tick, at most
 *       1,000 a tick), until `count` are sent or the time limit passes.
 *   {cmd: 'closed', prefix, window, durationMs, count, qos, ackTopic, phase, stallMs}
 *       saturation with a closed loop: never more than `window` messages sent but not yet counted
 *       by the consumer, which publishes "<phase>:<count so far>" on `ackTopic` every N messages
 *       (see bench/ingest/publisher.js); stops after `durationMs` or `count` messages.
 *   {cmd: 'single', prefix, qos}      one sample on signal 0 (probes)
 *   {cmd: 'clock'}                    this process's clock and Date.now()
 *   {cmd: 'halt'}                     (not queued, not answered) ends the running paced command early
 *   {cmd: 'stop'}                     disconnect and exit
 * The signal counters (n above) carry on across commands, so every signal's series stays one sine.
 */
const mqtt = require('mqtt');
const { encode, twoDecimals } = require('./stamp');

const BROKER = process.env.BENCH_BROKER || 'mqtt://127.0.0.1:1883';
const { LINES, MACHINES, SIGNALS_PER_MACHINE, SIGNAL_COUNT } = require('./signals');

const clock = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const yieldToIo = () => new Promise((resolve) => setImmediate(resolve));

const topicCache = new Map();
function topicsOf(prefix) {
  let topics = topicCache.get(prefix);
  if (!topics) {
    topics = [];
    for (let i = 0; i < SIGNALS_PER_MACHINE; i++) {
      for (let k = 0; k < LINES; k++) {
        for (let j = 0; j < MACHINES; j++) topics.push(`bench/${prefix}/line${k}/machine${j}/signal${i}`);
      }
    }
    topicCache.set(prefix, topics);
  }
  return topics;
}

// Per signal: its phase and how many samples it has had (seeded, the same in every run).
let seed = 12345;
function uniform() {
  // xorshift32
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 4294967296;
}
function normal() {
  // Box-Muller
  const u = uniform() || 1e-12;
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
}
const phases = Float64Array.from({ length: SIGNAL_COUNT }, () => uniform() * 2 * Math.PI);
const samplesOf = new Float64Array(SIGNAL_COUNT);
let nextSignal = 0;

const client = mqtt.connect(BROKER, {
  clientId: `twinloop-bench-e2e-pub-${process.pid}`,
  clean: true,
  keepalive: 30,
  reconnectPeriod: 0,
});
let connected = false;
client.on('connect', () => {
  connected = true;
  // No Nagle (see bench/ingest/publisher.js: with it, every consumer's p99 showed the broker's 40 ms delayed ACK).
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

/** Publishes the next signal's next sample; `onWritten` when the socket took it (QoS 0) or the broker acked it (QoS 1). */
function publishSample(topics, qos, onWritten) {
  const s = nextSignal;
  nextSignal = (nextSignal + 1) % SIGNAL_COUNT;
  const n = samplesOf[s]++;
  const base = twoDecimals(50 + 5 * Math.sin((2 * Math.PI * n) / 60 + phases[s]) + 0.5 * normal());
  const t = Number(clock().toFixed(3));
  client.publish(topics[s], `{"value":${encode(base, t)},"ts":${t}}`, { qos }, onWritten);
}

/**
 * QoS 1 publishes the broker has not acked yet. The pacing does not wait for acks (that would tie
 * the rate to the round trip); it waits only when more than MAX_UNACKED are outstanding, and a
 * command ends once every ack is in.
 */
const MAX_UNACKED = 5000;
const unacked = { n: 0, waiters: [], error: null };
function acked(err) {
  unacked.n--;
  if (err && !unacked.error) unacked.error = err;
  if (unacked.waiters.length && unacked.n <= MAX_UNACKED / 2) for (const w of unacked.waiters.splice(0)) w();
}
async function ackedUpTo(limit) {
  while (unacked.n > limit) await new Promise((resolve) => { unacked.waiters.push(resolve); setTimeout(resolve, 50); });
  if (unacked.error) { const err = unacked.error; unacked.error = null; throw err; }
}

/** Publishes `n` samples; resolves once the socket has taken the last (QoS 1: once few enough acks are outstanding). */
function publishBatch(topics, qos, n) {
  if (qos > 0) {
    for (let i = 0; i < n; i++) {
      unacked.n++;
      publishSample(topics, qos, acked);
    }
    return ackedUpTo(MAX_UNACKED);
  }
  return new Promise((resolve, reject) => {
    for (let i = 0; i < n - 1; i++) publishSample(topics, qos);
    publishSample(topics, qos, (err) => (err ? reject(err) : resolve()));
  });
}

async function paced({ prefix, rate, count, qos = 0, timeLimitMs }) {
  const topics = topicsOf(prefix);
  const started = clock();
  const deadline = started + timeLimitMs;
  let sent = 0;
  let maxBurst = 0;
  let lateTicks = 0; // ticks that had more than 2 ms of sending to catch up
  halted = false;
  while (sent < count) {
    const now = clock();
    if (now > deadline || halted) break;
    const due = Math.min(count, Math.floor(((now - started) * rate) / 1000) + 1);
    const n = Math.min(due - sent, 1000);
    if (n > 0) {
      if (n > (2 * rate) / 1000 + 1) lateTicks++;
      await publishBatch(topics, qos, n);
      sent += n;
      if (n > maxBurst) maxBurst = n;
    }
    if (sent < count) await sleep(1);
  }
  const ended = clock();
  await ackedUpTo(0);
  return { sent, qos, halted: halted || undefined, acksInMs: clock() - ended, startedAt: started, endedAt: ended, sendSeconds: (ended - started) / 1000, achievedRate: sent / ((ended - started) / 1000), maxBurst, lateTicks, timedOut: sent < count };
}

async function closed({ prefix, window, durationMs, count = Infinity, qos = 0, ackTopic, phase, stallMs = 1000 }) {
  const topics = topicsOf(prefix);
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
  while (clock() < end && sent < count) {
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
    const n = Math.min(room, 100, count - sent);
    await publishBatch(topics, qos, n);
    sent += n;
    await yieldToIo(); // let acks in
  }
  const ended = clock();
  await client.unsubscribeAsync(ackTopic).catch(() => {});
  ackState.topic = '';
  return { sent, qos, startedAt: started, endedAt: ended, sendSeconds: (ended - started) / 1000, achievedRate: sent / ((ended - started) / 1000), stalls, windowWaits: waits, lastAck: ackState.count };
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
    case 'single': {
      const topics = topicsOf(command.prefix);
      const saved = nextSignal;
      nextSignal = 0;
      await publishBatch(topics, command.qos ?? 0, 1);
      await ackedUpTo(0);
      nextSignal = saved;
      return {};
    }
    case 'clock':
      return { clock: clock(), dateNow: Date.now(), signals: SIGNAL_COUNT };
    default:
      throw new Error(`unknown command ${command.cmd}`);
  }
}

let halted = false;
let queue = Promise.resolve();
process.on('message', (command) => {
  if (command.cmd === 'halt') {
    // Out of turn: ends the paced command that is running now (a soak the consumer cannot follow).
    halted = true;
    return;
  }
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
