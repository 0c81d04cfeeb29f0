'use strict';
/**
 * Security: OPC UA server certificates are enforced by the deployed twin-source (trust on first use off).
 *
 * Already proven elsewhere, not repeated: the core OpcuaConnection refuses an untrusted server certificate
 * naming thumbprint and paths, does not retry, and connects once it is trusted
 * (test/integration/opcua-connection.test.js); twin-ingest shows a red certificate status and logs where to
 * copy it (test/flow/twin-ingest-opcua.test.js); every security policy works with a trusted certificate
 * (test/integration/opcua-security-policies.test.js); MQTT over TLS refuses a broker not signed by the
 * configured CA (test/flow/twin-source-tls.test.js).
 *
 * Here, through the nodes: an untrusted server is refused with a red "certificate" status and no data
 * flows; the technician's step (copy the rejected certificate into trusted/certs, redeploy) connects and
 * data flows; then an impostor server with another certificate on the very same endpoint is refused
 * although the endpoint was trusted before: trust belongs to the certificate, not to the address.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { helper, load, collect, statuses, waitFor } = require('../support/flow-helper');
const { startOpcuaTestServer, nodeIdOf } = require('../support/opcua-test-server');

const PORT = 18903;
const TMP = path.join(__dirname, '..', '.tmp', 'security', 'opcua-trust');
const USER_DIR = path.join(TMP, 'userdir');
const PKI = path.join(USER_DIR, 'twinloop-pki');

function flow(endpointUrl) {
  return [
    { id: 'tab', type: 'tab', label: 'test' },
    { id: 'source', type: 'twin-source', protocol: 'opcua', endpoint: endpointUrl, securityMode: 'SignAndEncrypt', securityPolicy: 'Basic256Sha256', trustOnFirstUse: false },
    { id: 'ingest', type: 'twin-ingest', z: 'tab', source: 'source', items: [{ nodeId: nodeIdOf('Temperature'), topic: 'line1/press1/temperature', samplingInterval: '100', queueSize: '10' }], wires: [['out']] },
    { id: 'out', type: 'helper', z: 'tab' },
  ];
}

const serverOptions = (pki) => ({ port: PORT, pkiDir: path.join(TMP, pki), securityModes: ['SignAndEncrypt'], securityPolicies: ['Basic256Sha256'] });

describe('security: OPC UA server certificates enforced by twin-source', function () {
  this.timeout(90000);
  let server;

  before(function () {
    fs.rmSync(USER_DIR, { recursive: true, force: true });
    fs.mkdirSync(USER_DIR, { recursive: true });
  });
  beforeEach(async function () {
    helper.settings({ userDir: USER_DIR });
    await helper.startServer();
  });
  afterEach(async function () {
    await helper.unload();
    await helper.stopServer();
  });
  after(async function () {
    await server?.stop();
    helper.settings({});
  });

  async function refused(what) {
    const out = collect('out');
    const seen = statuses('ingest');
    await waitFor(() => seen.some((s) => s.fill === 'red' && /certificate/.test(s.text)), `a red certificate status (${what}), saw ${JSON.stringify(seen)}`, 30000);
    const source = helper.getNode('source');
    assert.equal(source.opcua.state.state.name, 'failed');
    assert.equal(source.opcua.lastError.name, 'CertificateError');
    server.setValue('Temperature', 55.5);
    await new Promise((r) => setTimeout(r, 700));
    assert.equal(out.length, 0, 'no data from an untrusted server');
    return source.opcua.lastError;
  }

  it('refuses an untrusted server, connects once its certificate is trusted, refuses an impostor on the same endpoint', async function () {
    server = await startOpcuaTestServer(serverOptions('server-pki'));

    // 1. untrusted: refused, with a red status, nothing flows
    await load(flow(server.endpointUrl));
    const error = await refused('untrusted');
    const rejected = fs.readdirSync(path.join(PKI, 'rejected')).filter((f) => f.includes(error.thumbprint));
    assert.equal(rejected.length, 1, 'the refused certificate waits in rejected/');
    assert.deepEqual(fs.readdirSync(path.join(PKI, 'trusted', 'certs')), [], 'nothing was trusted by itself');

    // 2. the technician trusts it and redeploys: connected, data flows
    await helper.unload();
    fs.copyFileSync(path.join(PKI, 'rejected', rejected[0]), path.join(PKI, 'trusted', 'certs', rejected[0]));
    await load(flow(server.endpointUrl));
    const out = collect('out');
    const seen = statuses('ingest');
    await waitFor(() => helper.getNode('source').opcua.state.state.name === 'connected', 'a connection to the trusted server', 30000);
    await waitFor(() => seen.some((s) => s.fill === 'green' && /connected/.test(s.text)), 'a green status');
    const value = 40 + Math.random();
    server.setValue('Temperature', value);
    await waitFor(() => out.some((m) => m.payload.value === value), 'data from the trusted server', 15000);
    await helper.unload();

    // 3. an impostor with another certificate takes over the endpoint: refused
    await server.stop();
    server = await startOpcuaTestServer(serverOptions('impostor-pki'));
    await load(flow(server.endpointUrl));
    const impostor = await refused('an impostor');
    assert.notEqual(impostor.thumbprint, error.thumbprint, 'another certificate');
    assert.match(impostor.message, /not trusted/);
  });
});
