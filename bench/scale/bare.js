'use strict';
/**
 * The baseline of the scale benchmark: a bare mqtt.js subscriber (MQTT 5, QoS 0) in a process of its
 * own that parses each JSON payload and counts it, as the Node-RED flow's count node does.
 * IPC: {cmd: 'subscribe', filter} · {cmd: 'reset'} · {cmd: 'snapshot'} → {n, firstAt, lastAt, malformed}.
 */
const mqtt = require('mqtt');

const BROKER = process.env.BENCH_BROKER || 'mqtt://127.0.0.1:1883';
const s = { n: 0, firstAt: 0, lastAt: 0, malformed: 0 };
const client = mqtt.connect(BROKER, { clientId: `twinloop-bench-scale-bare-${process.pid}`, protocolVersion: 5, clean: true, reconnectPeriod: 0 });
client.on('message', (_topic, payload) => {
  let sample;
  try { sample = JSON.parse(payload); } catch { s.malformed++; return; }
  if (typeof sample?.value !== 'number') { s.malformed++; return; }
  const now = Date.now();
  if (s.n === 0) s.firstAt = now;
  s.lastAt = now;
  s.n++;
});
const connected = new Promise((resolve) => client.once('connect', resolve));
process.on('message', async (command) => {
  await connected;
  if (command.cmd === 'subscribe') await client.subscribeAsync(command.filter, { qos: 0 });
  if (command.cmd === 'reset') Object.assign(s, { n: 0, firstAt: 0, lastAt: 0, malformed: 0 });
  if (command.cmd === 'stop') { client.end(true); process.exit(0); }
  process.send({ id: command.id, ok: true, snapshot: { ...s } });
});
process.on('disconnect', () => process.exit(0));
