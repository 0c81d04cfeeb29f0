'use strict';
/**
 * The baseline of the end-to-end benchmark: a bare mqtt.js subscriber in a process of its own that
 * receives the same stream as the Node-RED flow (same topics, same subscription QoS), parses each
 * JSON payload, reads the send time from the value exactly as the flow's count node does
 * (bench/e2e/stamp.js) and counts it with the same counter (bench/ingest/counter.js).
 * Forked by bench/e2e/index.js and driven over IPC:
 *   {cmd: 'subscribe', filter, qos}     {cmd: 'unsubscribe', filter}
 *   {cmd: 'reset', phase, ackEvery, ackTopic}
 *   {cmd: 'snapshot'}
 *   {cmd: 'stop'}
 * Acks of the publisher's closed loop ("<phase>:<count>") go out on the same MQTT connection.
 */
const mqtt = require('mqtt');
const { makeCounter } = require('../ingest/counter');
const { createDiagnostics } = require('../ingest/diagnostics');
const { sendTimeOf } = require('./stamp');

const BROKER = process.env.BENCH_BROKER || 'mqtt://127.0.0.1:1883';
const clock = () => performance.timeOrigin + performance.now();
const counter = makeCounter(clock);
const diagnostics = createDiagnostics();
let ackTopic = '';
let malformed = 0;

const client = mqtt.connect(BROKER, {
  clientId: `twinloop-bench-e2e-bare-${process.pid}`,
  clean: true,
  keepalive: 30,
  reconnectPeriod: 0,
});
client.on('error', (err) => process.send?.({ event: 'error', message: err.message }));
client.on('message', (topic, payload) => {
  let sample;
  try {
    sample = JSON.parse(payload);
  } catch {
    malformed++;
    return;
  }
  const sent = sample === null ? NaN : sendTimeOf(sample.value, clock());
  if (Number.isNaN(sent)) {
    malformed++;
    return;
  }
  if (counter.sample(sent)) client.publish(ackTopic, counter.ack(), { qos: 0 });
});

const connected = new Promise((resolve, reject) => {
  client.once('connect', resolve);
  setTimeout(() => reject(new Error(`bare subscriber cannot reach the broker at ${BROKER}`)), 10000).unref();
});

async function handle(command) {
  await connected;
  switch (command.cmd) {
    case 'subscribe':
      await client.subscribeAsync(command.filter, { qos: command.qos ?? 0 });
      return {};
    case 'unsubscribe':
      await client.unsubscribeAsync(command.filter);
      return {};
    case 'reset':
      ackTopic = command.ackTopic || '';
      malformed = 0;
      counter.reset(command.phase, command.ackEvery);
      diagnostics.reset();
      return {};
    case 'snapshot':
      return { snapshot: { ...counter.snapshot(), malformed, diagnostics: diagnostics.snapshot() } };
    default:
      throw new Error(`unknown command ${command.cmd}`);
  }
}

process.on('message', (command) => {
  if (command.cmd === 'stop') {
    client.end(true, () => process.exit(0));
    setTimeout(() => process.exit(0), 1000).unref();
    return;
  }
  handle(command).then(
    (result) => process.send({ id: command.id, ok: true, ...result }),
    (err) => process.send({ id: command.id, ok: false, error: err.message }),
  );
});
process.on('disconnect', () => process.exit(0));
