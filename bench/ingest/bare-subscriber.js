'use strict';
/**
 * Consumer (a) of the ingest benchmark, the baseline: a bare mqtt.js subscriber in a process of its
 * own that parses each JSON payload and counts it with the same counter as the Node-RED flow.
 * Forked by bench/ingest/index.js and driven over IPC:
 *   {cmd: 'subscribe', filter}          subscribe with QoS 0
 *   {cmd: 'reset', phase, ackEvery, ackTopic}
 *   {cmd: 'snapshot'}
 *   {cmd: 'stop'}
 * Acks of the publisher's closed loop ("<phase>:<count>") go out on the same MQTT connection, as
 * the flow's go out through the twin-source's connection.
 */
const mqtt = require('mqtt');
const { makeCounter } = require('./counter');
const { createDiagnostics } = require('./diagnostics');

const BROKER = process.env.BENCH_BROKER || 'mqtt://127.0.0.1:1883';
const counter = makeCounter(() => performance.timeOrigin + performance.now());
const diagnostics = createDiagnostics();
let ackTopic = '';
let malformed = 0;

const client = mqtt.connect(BROKER, {
  clientId: `twinloop-bench-bare-${process.pid}`,
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
  if (sample === null || typeof sample.value !== 'number' || typeof sample.ts !== 'number') {
    malformed++;
    return;
  }
  if (counter.sample(sample.ts)) client.publish(ackTopic, counter.ack(), { qos: 0 });
});

const connected = new Promise((resolve, reject) => {
  client.once('connect', resolve);
  setTimeout(() => reject(new Error(`bare subscriber cannot reach the broker at ${BROKER}`)), 10000).unref();
});

async function handle(command) {
  await connected;
  switch (command.cmd) {
    case 'subscribe':
      await client.subscribeAsync(command.filter, { qos: 0 });
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
