'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { helper, load, collect, statuses, waitFor } = require('../support/flow-helper');
const { startOpcuaTestServer, findFreePort, nodeIdOf } = require('../support/opcua-test-server');

const tmp = path.join(__dirname, '..', '.tmp', 'flow-opcua');

function flow(endpointUrl, sourceSettings = {}) {
  return [
    { id: 'tab', type: 'tab', label: 'test' },
    { id: 'source', type: 'twin-source', protocol: 'opcua', endpoint: endpointUrl, securityMode: 'None', securityPolicy: 'None', trustOnFirstUse: false, ...sourceSettings },
    {
      id: 'ingest', type: 'twin-ingest', z: 'tab', source: 'source',
      items: [
        { nodeId: nodeIdOf('Temperature'), topic: 'line1/press1/temperature', unit: 'degC', samplingInterval: '100', queueSize: '10' },
        { nodeId: nodeIdOf('Running'), topic: 'line1/press1/running', samplingInterval: '100', queueSize: '10' },
      ],
      wires: [['out']],
    },
    { id: 'out', type: 'helper', z: 'tab' },
  ];
}

describe('twin-ingest through an OPC UA twin-source (node-opcua server over TCP)', function () {
  this.timeout(60000);
  let server;
  before(async function () {
    fs.mkdirSync(tmp, { recursive: true });
    server = await startOpcuaTestServer({ port: await findFreePort(), pkiDir: path.join(tmp, 'server-pki') });
  });
  after(async function () {
    await server?.stop();
  });
  beforeEach(async function () {
    helper.settings({ userDir: path.join(tmp, 'userdir') });
    await helper.startServer();
  });
  afterEach(async function () {
    await helper.unload();
    await helper.stopServer();
  });

  it('monitors items and turns values and StatusCodes into samples', async function () {
    await load(flow(server.endpointUrl));
    const out = collect('out');
    const seen = statuses('ingest');
    await waitFor(() => helper.getNode('source').opcua.state.state.name === 'connected', 'the source to connect', 20000);
    await waitFor(() => out.some((m) => m.payload.signal === 'temperature'), 'a first temperature', 10000);
    server.setValue('Temperature', 81.25);
    await waitFor(() => out.some((m) => m.payload.value === 81.25), 'the new temperature', 10000);
    const sample = out.find((m) => m.payload.value === 81.25).payload;
    assert.equal(sample.asset, 'line1/press1');
    assert.equal(sample.unit, 'degC');
    assert.equal(sample.quality, 'good');
    assert.ok(sample.sourceTime <= sample.receivedTime && sample.receivedTime - sample.sourceTime < 5000);

    server.setValue('Temperature', 82.5, 'BadSensorFailure');
    await waitFor(() => out.some((m) => m.payload.value === 82.5 && m.payload.quality === 'bad'), 'a bad-quality sample', 10000);
    server.setValue('Running', false, 'UncertainLastUsableValue');
    await waitFor(() => out.some((m) => m.payload.signal === 'running' && m.payload.value === false && m.payload.quality === 'uncertain'), 'an uncertain boolean', 10000);
    await waitFor(() => seen.some((s) => s.fill === 'green' && /connected, 2 signals/.test(s.text)), 'status "connected, 2 signals"');
  });

  it('lists the server variables for the editor through the browse endpoint', async function () {
    await load(flow(server.endpointUrl));
    await waitFor(() => helper.getNode('source').opcua.state.state.name === 'connected', 'the source to connect', 20000);
    const res = await helper.request().get('/twinloop/sources/source/browse').expect(200);
    const temperature = res.body.variables.find((v) => v.nodeId === nodeIdOf('Temperature'));
    assert.ok(temperature, `Temperature listed among ${res.body.variables.map((v) => v.path).join(', ')}`);
    assert.match(temperature.path, /Line1\/Press1\/Temperature$/);
    await helper.request().get('/twinloop/sources/nope/browse').expect(404);
  });

  it('refuses an untrusted server certificate with a red status that says so', async function () {
    await load(flow(server.endpointUrl, { securityMode: 'SignAndEncrypt', securityPolicy: 'Basic256Sha256' }));
    const seen = statuses('ingest');
    await waitFor(() => seen.some((s) => s.fill === 'red' && /certificate/.test(s.text)), 'a red certificate status', 30000);
    assert.equal(helper.getNode('source').opcua.state.state.name, 'failed');
    // The log tells the technician which certificate and where to copy it.
    const logged = helper.log().args.map((args) => args[0]).filter((entry) => entry.level === helper.log().ERROR && entry.id === 'source');
    assert.ok(logged.some((entry) => /trusted[\\/]certs/.test(entry.msg) && /[0-9a-f]{2}(:?[0-9a-f]{2}){19}/i.test(entry.msg)), `log: ${JSON.stringify(logged)}`);
  });
});
