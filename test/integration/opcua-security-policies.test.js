'use strict';
/**
 * Every security mode and policy twin-source offers, against a real node-opcua server that offers
 * them all: a monitored value arrives, and the server itself sees the channel with that mode and policy.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { MessageSecurityMode } = require('node-opcua');
const { OpcuaConnection } = require('../../dist/core/source/opcua-connection');
const { startOpcuaTestServer, findFreePort, nodeIdOf, waitForState, readingLog } = require('../support/opcua-test-server');

const TMP = path.join(__dirname, '..', '.tmp', 'opcua-policies');
const CLIENT_PKI = path.join(TMP, 'client');

const combinations = [
  ['Sign', 'Basic256Sha256'],
  ['Sign', 'Aes128_Sha256_RsaOaep'],
  ['SignAndEncrypt', 'Aes128_Sha256_RsaOaep'],
  ['Sign', 'Aes256_Sha256_RsaPss'],
  ['SignAndEncrypt', 'Aes256_Sha256_RsaPss'],
];

describe('OpcuaConnection with every offered security mode and policy', function () {
  this.timeout(30000);
  let server;
  const open = [];

  before(async function () {
    fs.mkdirSync(TMP, { recursive: true });
    server = await startOpcuaTestServer({
      port: await findFreePort(),
      pkiDir: path.join(TMP, 'server'),
      users: [{ user: 'operator', password: 'press-42' }],
      allowAnonymous: false,
    });
    // The technician's step: the server certificate goes into TwinLoop's trust list.
    fs.mkdirSync(path.join(CLIENT_PKI, 'trusted', 'certs'), { recursive: true });
    fs.copyFileSync(server.certificateFile, path.join(CLIENT_PKI, 'trusted', 'certs', 'press-line.pem'));
  });
  afterEach(async () => Promise.all(open.splice(0).map((c) => c.close())));
  after(async () => server?.stop());

  for (const [securityMode, securityPolicy] of combinations) {
    it(`${securityMode} with ${securityPolicy} and a user name`, async function () {
      const connection = new OpcuaConnection({
        endpointUrl: server.endpointUrl, securityMode, securityPolicy, username: 'operator', password: 'press-42',
        pkiDir: CLIENT_PKI, trustOnFirstUse: false, backoff: { initialMs: 200, maxMs: 1000, factor: 2 },
      });
      open.push(connection);
      const log = readingLog();
      connection.monitor([{ nodeId: nodeIdOf('Pressure'), samplingIntervalMs: 100, queueSize: 10 }], log.onReading);
      connection.connect();
      await waitForState(connection, 'connected', 20000);
      const value = 5 + Math.random();
      server.setValue('Pressure', value);
      await log.next((r) => r.value === value);
      const channels = server.server.getChannels().filter((ch) => ch.securityMode === MessageSecurityMode[securityMode] && ch.securityPolicy.endsWith(`#${securityPolicy}`));
      assert.equal(channels.length, 1, `the server sees one ${securityMode}/${securityPolicy} channel: ${server.server.getChannels().map((ch) => `${ch.securityMode} ${ch.securityPolicy}`).join(', ')}`);
    });
  }
});
