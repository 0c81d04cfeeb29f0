'use strict';
const assert = require('node:assert/strict');
const path = require('node:path');
const mqtt = require('mqtt');
const { helper, load, collect, statuses, waitFor } = require('../support/flow-helper');
const { PrivateMosquitto } = require('../support/mosquitto');
const { testCertificates } = require('../support/test-certificates');

const certificates = testCertificates(path.join(__dirname, '..', '.tmp', 'tls'));

function flow(broker, tls, credentials) {
  return {
    flow: [
      { id: 'tab', type: 'tab', label: 'test' },
      { id: 'source', type: 'twin-source', protocol: 'mqtt', broker, persistentSession: false, useTls: true, verifyServer: true, ...tls },
      { id: 'ingest', type: 'twin-ingest', z: 'tab', source: 'source', topic: 'tls/+machine/+signal', wires: [['out']] },
      { id: 'out', type: 'helper', z: 'tab' },
    ],
    credentials: { source: credentials },
  };
}

describe('twin-source over MQTT with TLS (a private Mosquitto requiring client certificates)', function () {
  let broker;
  before(async function () {
    broker = new PrivateMosquitto({
      tls: { cafile: certificates.files.ca, certfile: certificates.files.serverCert, keyfile: certificates.files.serverKey, requireCertificate: true },
    });
    await broker.start();
  });
  after(async () => broker?.dispose());
  beforeEach(() => helper.startServer());
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
  });

  /** Deploys a source with these key credentials, waits for the TLS connection, and checks a sample arrives. */
  async function ingestsOverTls(keyCredentials, value) {
    const { flow: nodes, credentials } = flow(broker.url, { tlsCa: certificates.ca, tlsCert: certificates.clientCert }, keyCredentials);
    await load(nodes, credentials);
    const out = collect('out');
    await waitFor(() => helper.getNode('source').mqtt.state.state.name === 'connected', 'a TLS connection');
    const plant = await mqtt.connectAsync(broker.url, { ca: certificates.ca, cert: certificates.clientCert, key: certificates.clientKey });
    await plant.publishAsync('tls/press1/temperature', String(value), { qos: 1 });
    await waitFor(() => out.length === 1, 'a sample over TLS');
    assert.equal(out[0].payload.value, value);
    await plant.endAsync();
  }

  it('connects with the CA, a client certificate and its key (kept as a credential), and ingests', async function () {
    await ingestsOverTls({ tlsKey: certificates.clientKey }, 21.5);
  });

  it('connects with an encrypted client key and its passphrase (both credentials)', async function () {
    assert.match(certificates.encryptedClientKey, /ENCRYPTED PRIVATE KEY/);
    await ingestsOverTls({ tlsKey: certificates.encryptedClientKey, tlsPassphrase: certificates.keyPassphrase }, 22.5);
  });

  for (const [what, key, passphrase, reason] of [
    ['an encrypted key without its passphrase', 'encrypted', '', 'key passphrase missing'],
    ['an encrypted key with a wrong passphrase', 'encrypted', 'not-the-passphrase', 'wrong key passphrase'],
    ['a key that is not PEM at all', 'garbage', '', 'bad client key'],
  ]) {
    it(`${what}: red "${reason}" at deploy, no connection attempt, the passphrase in no message`, async function () {
      const keyText = key === 'encrypted' ? certificates.encryptedClientKey : '-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n';
      const { flow: nodes, credentials } = flow(broker.url, { tlsCa: certificates.ca, tlsCert: certificates.clientCert }, { tlsKey: keyText, tlsPassphrase: passphrase });
      await load(nodes, credentials);
      const seen = statuses('ingest');
      const source = helper.getNode('source');
      await waitFor(() => seen.some((s) => s.fill === 'red' && s.text.includes(reason)), `red "${reason}", saw ${JSON.stringify(seen)}`);
      assert.equal(source.mqtt, undefined, 'no MQTT connection is made');
      assert.equal(source.configError.shortReason, reason);
      for (const text of [source.configError.message, ...seen.map((s) => s.text)]) {
        if (passphrase) assert.ok(!text.includes(passphrase), text);
        assert.ok(!text.includes('BEGIN'), text);
      }
    });
  }

  it('refuses a server whose certificate is not signed by the configured CA, with a red status', async function () {
    const { flow: nodes, credentials } = flow(broker.url, { tlsCa: certificates.otherCa, tlsCert: certificates.clientCert }, { tlsKey: certificates.clientKey });
    await load(nodes, credentials);
    const seen = statuses('ingest');
    await waitFor(() => helper.getNode('source').mqtt.state.state.name === 'failed', 'the source to fail');
    await waitFor(() => seen.some((s) => s.fill === 'red'), `a red status, saw ${JSON.stringify(seen)}`);
  });

  it('does not connect without the client certificate the broker requires', async function () {
    const { flow: nodes, credentials } = flow(broker.url, { tlsCa: certificates.ca }, {});
    await load(nodes, credentials);
    const source = helper.getNode('source');
    await waitFor(() => ['failed', 'reconnecting'].includes(source.mqtt.state.state.name), 'a refused connection');
    await new Promise((r) => setTimeout(r, 500));
    assert.notEqual(source.mqtt.state.state.name, 'connected');
  });
});
