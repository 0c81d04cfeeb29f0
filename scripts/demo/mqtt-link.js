'use strict';
/**
 * The demo plant on MQTT. Each second every signal goes out as JSON on
 * `twinloop/demo/line1/<asset>/<signal>`: {"value": v, "unit": "...", "ts": epoch ms, "quality": "good"}
 * (no "unit" for counts and booleans; QoS 1 for the parts counters, QoS 0 for the rest). Writes arrive on
 * `twinloop/demo/line1/<asset>/<signal>/set` (a number, numeric text, or JSON {"value": n}); the applied
 * value is published at once so the writer can read it back.
 *
 * When nothing answers on the broker URL and the URL names this machine, an embedded broker (aedes)
 * is started on that port, on 127.0.0.1 only.
 */
const net = require('node:net');
const mqtt = require('mqtt');
const { signalList } = require('./plant');

const TOPIC_ROOT = 'twinloop/demo/line1';
const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/** host and port of an mqtt:// URL (default port 1883). */
function brokerAddress(url) {
  const u = new URL(url);
  if (u.protocol !== 'mqtt:') throw new Error(`TWINLOOP_MQTT_URL must be an mqtt:// URL (got ${url})`);
  return { host: u.hostname, port: Number(u.port || 1883) };
}

/** Whether something accepts TCP connections on host:port (false after timeoutMs). */
function answers(host, port, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: host.replace(/^\[|\]$/g, ''), port });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

/** An aedes broker on 127.0.0.1:port; stop() closes it and every client connection. */
async function startEmbeddedBroker(port) {
  const { Aedes } = await import('aedes');
  const aedes = await Aedes.createBroker();
  const sockets = new Set();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    aedes.handle(socket);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    async stop() {
      const closed = new Promise((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => aedes.close(() => resolve()));
      await closed;
    },
  };
}

function encode(spec, value, ts) {
  const v = spec.bool ? value === true : Number(value.toFixed(spec.digits ?? 3));
  const body = { value: v };
  if (spec.unit) body.unit = spec.unit;
  body.ts = ts;
  body.quality = 'good';
  return JSON.stringify(body);
}

function decodeWrite(buffer) {
  const text = buffer.toString('utf8').trim();
  try {
    const parsed = JSON.parse(text);
    if (parsed !== null && typeof parsed === 'object' && 'value' in parsed) return parsed.value;
    return parsed;
  } catch {
    return text;
  }
}

/**
 * Connects the plant to the broker (embedding one when needed).
 * @param {object} options
 * @param {import('./plant').VirtualPlant} options.plant
 * @param {string} options.url
 * @param {(line: string) => void} options.log
 * @param {(key: string, result: object, origin: string) => void} options.onWrite
 */
async function startMqttLink({ plant, url, log, onWrite }) {
  const { host, port } = brokerAddress(url);
  let broker;
  if (!(await answers(host, port))) {
    if (!LOCAL_HOSTS.has(host)) {
      log(`no MQTT broker answers on ${url}; it is not on this machine, so no embedded broker is started: the plant keeps retrying`);
    } else {
      broker = await startEmbeddedBroker(port);
      log(`no MQTT broker answered on ${url}: started an embedded broker (aedes) on 127.0.0.1:${port}`);
    }
  }
  const signals = signalList();
  const client = mqtt.connect(url, { clientId: `twinloop-demo-plant-${process.pid}`, clean: true, reconnectPeriod: 2000, connectTimeout: 5000 });
  let connectedOnce = false;
  client.on('connect', () => {
    if (!connectedOnce) log(`publishing on ${url} under ${TOPIC_ROOT}/<asset>/<signal>, writes on .../<signal>/set`);
    connectedOnce = true;
    client.subscribe(`${TOPIC_ROOT}/+/+/set`, { qos: 1 });
  });
  let lastError = '';
  client.on('error', (err) => {
    if (err.message !== lastError) log(`MQTT: ${err.message}`);
    lastError = err.message;
  });
  client.on('message', (topic, payload) => {
    const m = topic.slice(TOPIC_ROOT.length + 1).match(/^([^/]+)\/([^/]+)\/set$/);
    if (!topic.startsWith(`${TOPIC_ROOT}/`) || !m) return;
    const key = `${m[1]}/${m[2]}`;
    const result = plant.write(key, decodeWrite(payload));
    onWrite(key, result, 'MQTT');
  });

  const publish = (s, ts) => {
    if (!client.connected) return;
    const value = plant.value(s.key);
    if (value === undefined) return;
    client.publish(`${TOPIC_ROOT}/${s.key}`, encode(s, value, ts), { qos: s.counter ? 1 : 0 });
  };

  return {
    url,
    embedded: broker !== undefined,
    /** Publishes every signal (after plant.measure()). */
    publishAll(ts = Date.now()) {
      for (const s of signals) publish(s, ts);
    },
    /** Publishes one signal now (a setpoint just written). */
    publishKey(key, ts = Date.now()) {
      const s = signals.find((x) => x.key === key);
      if (s) publish(s, ts);
    },
    async stop() {
      await new Promise((resolve) => client.end(true, {}, () => resolve()));
      if (broker) await broker.stop();
    },
  };
}

module.exports = { startMqttLink, brokerAddress, answers, TOPIC_ROOT };
