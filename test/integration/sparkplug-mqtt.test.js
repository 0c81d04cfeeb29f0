'use strict';
/**
 * Real Sparkplug B traffic through the shared Mosquitto broker at 127.0.0.1:1883: an "edge node"
 * client publishes births, data and (as its MQTT will) its death; a "host" client feeds what it
 * receives into a SparkplugSession and publishes the rebirth request the session returns, as the
 * twin-ingest adapter will. A random group id per run keeps parallel runs apart.
 */
const assert = require('node:assert/strict');
const { randomBytes } = require('node:crypto');
const mqtt = require('mqtt');
const { SparkplugSession, encodeSparkplugPayload, decodeSparkplugPayload, SparkplugDataType: T } = require('../../dist/core/ingest/sparkplug');

const BROKER = 'mqtt://127.0.0.1:1883';
const group = `twinloop-it-${randomBytes(4).toString('hex')}`;
const edge = 'line3-edge';
const device = 'press1';
const nodeTopic = (type) => `spBv1.0/${group}/${type}/${edge}`;
const deviceTopic = (type) => `spBv1.0/${group}/${type}/${edge}/${device}`;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(predicate, what, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe('Sparkplug B through Mosquitto', function () {
  this.timeout(20_000);
  const session = new SparkplugSession();
  /** Everything the host received, with what the session made of it. */
  const received = [];
  const commands = [];
  const bdSeq = 7;
  let host;
  let edgeNode;

  const resultFor = async (topic, index = 0) => {
    await waitFor(() => received.filter((r) => r.topic === topic).length > index, topic);
    const entry = received.filter((r) => r.topic === topic)[index];
    if (entry.error) throw entry.error;
    return entry.result;
  };
  const brief = (result) => result.samples.map((s) => [s.asset, s.signal, s.value, s.quality]);
  const publish = (topic, payload) => edgeNode.publishAsync(topic, Buffer.from(encodeSparkplugPayload(payload)), { qos: 1 });

  before(async () => {
    host = await mqtt.connectAsync(BROKER, { clientId: `twinloop-host-${group}`, reconnectPeriod: 0, connectTimeout: 5_000 });
    host.on('message', (topic, payload) => {
      try {
        received.push({ topic, result: session.handle(topic, payload, Date.now()) });
      } catch (error) {
        received.push({ topic, error });
      }
    });
    await host.subscribeAsync(`spBv1.0/${group}/#`, { qos: 1 });
    edgeNode = await mqtt.connectAsync(BROKER, {
      clientId: `twinloop-edge-${group}`,
      reconnectPeriod: 0,
      connectTimeout: 5_000,
      // Sparkplug: the NDEATH is the will, carrying the bdSeq of this connection.
      will: { topic: nodeTopic('NDEATH'), payload: Buffer.from(encodeSparkplugPayload({ metrics: [{ name: 'bdSeq', datatype: T.Int64, value: bdSeq }] })), qos: 1, retain: false },
    });
    edgeNode.on('message', (topic, payload) => commands.push({ topic, payload }));
    await edgeNode.subscribeAsync(nodeTopic('NCMD'), { qos: 1 });
  });

  after(async () => {
    await Promise.all([host, edgeNode].filter(Boolean).map((client) => client.endAsync(true).catch(() => {})));
  });

  it('names the samples of NBIRTH and DBIRTH', async () => {
    await publish(nodeTopic('NBIRTH'), {
      timestamp: Date.now(),
      seq: 0,
      metrics: [
        { name: 'bdSeq', datatype: T.Int64, value: bdSeq },
        { name: 'Node Control/Rebirth', alias: 0, datatype: T.Boolean, value: false },
        { name: 'Line Speed', alias: 1, datatype: T.Double, value: 12.5, properties: { engUnit: 'm/min' } },
        { name: 'Shift/Good Parts', alias: 2, datatype: T.Int32, value: 1200 },
      ],
    });
    await publish(deviceTopic('DBIRTH'), {
      timestamp: Date.now(),
      seq: 1,
      metrics: [
        { name: 'Motor/Temperature', alias: 10, datatype: T.Float, value: 41.5, properties: { engUnit: 'degC', Quality: 192 } },
        { name: 'Ram Position', alias: 11, datatype: T.Int16, value: -120 },
      ],
    });
    const nbirth = await resultFor(nodeTopic('NBIRTH'));
    assert.deepEqual(brief(nbirth), [[`${group}/${edge}`, 'Line Speed', 12.5, 'good'], [`${group}/${edge}/Shift`, 'Good Parts', 1200, 'good']]);
    assert.equal(nbirth.samples[0].unit, 'm/min');
    const dbirth = await resultFor(deviceTopic('DBIRTH'));
    assert.deepEqual(brief(dbirth), [[`${group}/${edge}/${device}/Motor`, 'Temperature', 41.5, 'good'], [`${group}/${edge}/${device}`, 'Ram Position', -120, 'good']]);
    assert.equal(dbirth.samples[0].origin, deviceTopic('DBIRTH'));
  });

  it('understands NDATA and DDATA by alias alone', async () => {
    const t = Date.now();
    await publish(nodeTopic('NDATA'), { timestamp: t, seq: 2, metrics: [{ alias: 1, datatype: T.Double, value: 13.75 }] });
    await publish(deviceTopic('DDATA'), { timestamp: t, seq: 3, metrics: [{ alias: 11, datatype: T.Int16, value: -250 }, { alias: 10, datatype: T.Float, value: 44.25, timestamp: t - 100 }] });
    const ndata = await resultFor(nodeTopic('NDATA'));
    assert.deepEqual(brief(ndata), [[`${group}/${edge}`, 'Line Speed', 13.75, 'good']]);
    assert.equal(ndata.samples[0].sourceTime, t);
    const ddata = await resultFor(deviceTopic('DDATA'));
    assert.deepEqual(brief(ddata), [[`${group}/${edge}/${device}`, 'Ram Position', -250, 'good'], [`${group}/${edge}/${device}/Motor`, 'Temperature', 44.25, 'good']]);
    assert.equal(ddata.samples[1].sourceTime, t - 100);
    assert.ok(!ndata.rebirthRequest && !ddata.rebirthRequest);
  });

  it('asks for a rebirth on an unknown alias; the edge node receives it on NCMD', async () => {
    await publish(nodeTopic('NDATA'), { timestamp: Date.now(), seq: 4, metrics: [{ alias: 77, datatype: T.Int32, value: 5 }] });
    const ndata = await resultFor(nodeTopic('NDATA'), 1);
    assert.deepEqual(ndata.samples, []);
    assert.equal(ndata.skipped, 1);
    assert.ok(ndata.rebirthRequest, 'the session asks for a rebirth');
    await host.publishAsync(ndata.rebirthRequest.topic, Buffer.from(ndata.rebirthRequest.payload), { qos: 0, retain: false });
    await waitFor(() => commands.length > 0, 'the rebirth command at the edge node');
    assert.equal(commands[0].topic, nodeTopic('NCMD'));
    const command = decodeSparkplugPayload(commands[0].payload, commands[0].topic);
    assert.deepEqual(command.metrics.map((m) => [m.name, m.datatype, m.value]), [['Node Control/Rebirth', T.Boolean, true]]);
    // The host's own NCMD came back on its wildcard subscription: ignored, not an error.
    const echo = await resultFor(nodeTopic('NCMD'));
    assert.deepEqual(echo, { samples: [], skipped: 0, errors: [] });
  });

  it('reports every last value as bad when the edge node dies (its will, NDEATH)', async () => {
    edgeNode.stream.destroy(); // a broken connection, not a clean DISCONNECT: the broker sends the will
    const death = await resultFor(nodeTopic('NDEATH'));
    assert.deepEqual(brief(death).sort(), [
      [`${group}/${edge}`, 'Line Speed', 13.75, 'bad'],
      [`${group}/${edge}/Shift`, 'Good Parts', 1200, 'bad'],
      [`${group}/${edge}/${device}`, 'Ram Position', -250, 'bad'],
      [`${group}/${edge}/${device}/Motor`, 'Temperature', 44.25, 'bad'],
    ]);
  });
});
