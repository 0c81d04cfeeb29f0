'use strict';
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const mqtt = require('mqtt');
const { helper, load, collect, statuses, waitFor } = require('../support/flow-helper');
const { encodeSparkplugPayload } = require('../../dist/core/ingest/sparkplug');

const brokerUrl = 'mqtt://127.0.0.1:1883';

function flow(run, ingestSettings, sourceSettings = {}) {
  return [
    { id: 'tab', type: 'tab', label: 'test' },
    { id: 'source', type: 'twin-source', protocol: 'mqtt', broker: brokerUrl, clientId: `twinloop-flowtest-${run}`, protocolVersion: '4', persistentSession: false, ...sourceSettings },
    { id: 'ingest', type: 'twin-ingest', z: 'tab', source: 'source', qos: '1', ...ingestSettings, wires: [['out']] },
    { id: 'out', type: 'helper', z: 'tab' },
    { id: 'catch', type: 'catch', z: 'tab', scope: ['ingest'], uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'tab' },
  ];
}

function publisher() {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(brokerUrl, { clientId: `twinloop-flowtest-pub-${crypto.randomUUID()}` });
    client.once('connect', () => resolve(client));
    client.once('error', reject);
  });
}

describe('twin-ingest through an MQTT twin-source (Mosquitto at 127.0.0.1:1883)', function () {
  let run;
  let plant;
  beforeEach(async function () {
    run = crypto.randomBytes(4).toString('hex');
    await helper.startServer();
    plant = await publisher();
  });
  afterEach(async function () {
    await helper.unload();
    await helper.stopServer();
    await plant.endAsync();
  });

  it('subscribes with a named-level template and names assets and signals from it', async function () {
    await load(flow(run, { topic: `twinloop-test/${run}/+line/+machine/+signal`, signals: [{ match: '+/+/+/+/temperature', unit: 'degC' }] }));
    const seen = statuses('ingest');
    const out = collect('out');
    const source = helper.getNode('source');
    await waitFor(() => source.mqtt.state.state.name === 'connected', 'the source to connect');
    await waitFor(() => seen.some((s) => s.fill === 'green'), 'a green status');
    await plant.publishAsync(`twinloop-test/${run}/line1/press1/temperature`, '212 °F', { qos: 1 });
    await plant.publishAsync(`twinloop-test/${run}/line1/press1/pressure`, JSON.stringify({ value: 5.5, unit: 'bar', quality: 'good' }), { qos: 1 });
    await waitFor(() => out.length === 2, 'two samples');
    const temperature = out.find((m) => m.payload.signal === 'temperature');
    assert.equal(temperature.topic, `twinloop-test/${run}/line1/press1/temperature`);
    assert.equal(temperature.payload.asset, `twinloop-test/${run}/line1/press1`);
    assert.ok(Math.abs(temperature.payload.value - 100) < 1e-9);
    assert.equal(out.find((m) => m.payload.signal === 'pressure').payload.value, 5.5);
    await waitFor(() => seen.some((s) => s.fill === 'green' && /connected, 2 signals/.test(s.text)), 'status "connected, 2 signals"');
  });

  it('reports bad payloads from the broker to Catch nodes and keeps the good ones after them', async function () {
    await load(flow(run, { topic: `twinloop-test/${run}/#` }));
    const out = collect('out');
    const caught = collect('caught');
    await waitFor(() => helper.getNode('source').mqtt.state.state.name === 'connected', 'the source to connect');
    await new Promise((r) => setTimeout(r, 100));
    await plant.publishAsync(`twinloop-test/${run}/m/bad`, 'Infinity', { qos: 1 });
    await plant.publishAsync(`twinloop-test/${run}/m/bad`, Buffer.from([0xff, 0x00, 0xfe]), { qos: 1 });
    await plant.publishAsync(`twinloop-test/${run}/m/good`, '7', { qos: 1 });
    await waitFor(() => out.length === 1 && caught.length === 2, 'one sample and two refusals');
    assert.equal(out[0].payload.value, 7);
    assert.match(caught[0].error.message, new RegExp(`twinloop-test/${run}/m/bad`));
  });

  it('decodes Sparkplug B and asks an unknown edge node for a rebirth', async function () {
    const group = `tl${run}`;
    await load(flow(run, { topic: `spBv1.0/${group}/#`, format: 'sparkplug' }));
    const out = collect('out');
    await waitFor(() => helper.getNode('source').mqtt.state.state.name === 'connected', 'the source to connect');
    const commands = [];
    await plant.subscribeAsync(`spBv1.0/${group}/NCMD/#`, { qos: 0 });
    plant.on('message', (topic) => commands.push(topic));
    await new Promise((r) => setTimeout(r, 100));
    // Data from a node never born: no samples, a rebirth request.
    await plant.publishAsync(`spBv1.0/${group}/NDATA/edge1`, Buffer.from(encodeSparkplugPayload({ timestamp: Date.now(), seq: 1, metrics: [{ alias: 7, datatype: 10, value: 1.5 }] })));
    await waitFor(() => commands.length === 1, 'a rebirth command on NCMD');
    assert.equal(commands[0], `spBv1.0/${group}/NCMD/edge1`);
    const birth = { timestamp: Date.now(), seq: 0, metrics: [{ name: 'Press/Temperature', alias: 7, datatype: 10, value: 61.5 }, { name: 'bdSeq', datatype: 8, value: 0 }] };
    await plant.publishAsync(`spBv1.0/${group}/NBIRTH/edge1`, Buffer.from(encodeSparkplugPayload(birth)));
    await plant.publishAsync(`spBv1.0/${group}/NDATA/edge1`, Buffer.from(encodeSparkplugPayload({ timestamp: Date.now() + 1, seq: 1, metrics: [{ alias: 7, datatype: 10, value: 62.25 }] })));
    await waitFor(() => out.filter((m) => m.payload.signal === 'Temperature').length === 2, 'birth and data samples');
    const temperatures = out.filter((m) => m.payload.signal === 'Temperature');
    assert.equal(temperatures[0].payload.asset, `${group}/edge1/Press`);
    assert.deepEqual(temperatures.map((m) => m.payload.value), [61.5, 62.25]);
  });

  it('receives the QoS 1 samples published while the flow was stopped (persistent session)', async function () {
    const persistent = { clientId: `twinloop-flowtest-persist-${run}`, persistentSession: true };
    const ingest = { topic: `twinloop-test/${run}/+machine/+signal`, qos: '1' };
    await load(flow(run, ingest, persistent));
    await waitFor(() => helper.getNode('source').mqtt.state.state.name === 'connected', 'the first connection');
    await new Promise((r) => setTimeout(r, 200));
    await helper.unload();
    for (let i = 0; i < 20; i += 1) await plant.publishAsync(`twinloop-test/${run}/press1/count`, String(i), { qos: 1 });
    await load(flow(run, ingest, persistent));
    const out = collect('out');
    await waitFor(() => out.length === 20, 'the 20 queued samples', 15000);
    assert.deepEqual(out.map((m) => m.payload.value), Array.from({ length: 20 }, (_, i) => i), 'all of them, in order');
  });

  it('shows the connection truthfully and closes it on redeploy without leaving a second one', async function () {
    await load(flow(run, { topic: `twinloop-test/${run}/#` }, { broker: 'mqtt://127.0.0.1:1' }));
    const seen = statuses('ingest');
    await waitFor(() => seen.some((s) => s.fill === 'yellow' && /retry in \d+ s/.test(s.text)), 'a yellow "retry in N s" status');
    assert.ok(!seen.some((s) => s.fill === 'green'), `never green while the broker is unreachable: ${JSON.stringify(seen)}`);
    const firstConnection = helper.getNode('source').mqtt;
    await helper.unload();
    assert.equal(firstConnection.state.state.name, 'closed', 'the old connection is closed by the redeploy');
    await load(flow(run, { topic: `twinloop-test/${run}/#` }));
    await waitFor(() => helper.getNode('source').mqtt.state.state.name === 'connected', 'the new source to connect');
    assert.equal(firstConnection.state.state.name, 'closed', 'and stays closed');
  });

  it('refuses a broker URL that cannot work with a red status instead of connecting', async function () {
    await load(flow(run, { topic: 'x/#' }, { broker: 'http://not-mqtt' }));
    const source = helper.getNode('source');
    assert.equal(source.configError.code, 'CONFIG');
    assert.equal(source.mqtt, undefined, 'no connection is attempted');
    const seen = statuses('ingest');
    await waitFor(() => seen.some((s) => s.fill === 'red' && s.shape === 'ring' && s.text === source.configError.shortReason), 'a red status with the reason');
  });
});
