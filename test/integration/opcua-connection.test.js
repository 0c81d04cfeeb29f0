'use strict';
/**
 * OpcuaConnection against a real node-opcua server over TCP: monitored values and status codes,
 * browse, read/write, recovery after a server restart, SignAndEncrypt with a user name, and the
 * trust list (refused certificate names thumbprint and trust path; trust on first use accepts).
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { StatusCodes } = require('node-opcua');
const { OpcuaConnection } = require('../../dist/core/source/opcua-connection');
const { CertificateError, ConnectionError, ConfigError, InputError } = require('../../dist/core/errors');
const {
  startOpcuaTestServer, spawnOpcuaTestServerProcess, findFreePort, nodeIdOf, waitForState, readingLog,
} = require('../support/opcua-test-server');

const TMP = path.join(__dirname, '..', '.tmp', 'opcua-connection');
const SERVER_PKI = path.join(TMP, 'server-pki');
const TRUSTING_PKI = path.join(TMP, 'client-trusting'); // has the server certificate in trusted/certs
const STRANGER_PKI = path.join(TMP, 'client-stranger'); // has never seen the server
const FAST_BACKOFF = { initialMs: 200, maxMs: 1000, factor: 2 };
const USERS = [{ user: 'operator', password: 'press-42' }];
const SEVERITY_MASK = 0xc0000000;

function clearFolder(folder) {
  fs.rmSync(folder, { recursive: true, force: true });
  fs.mkdirSync(folder, { recursive: true });
}

/** TwinLoop's own certificate is slow to generate: make it once, copy it into other PKI folders. */
function seedOwnCertificate(fromPki, toPki) {
  const own = path.join(toPki, 'own');
  if (!fs.existsSync(path.join(own, 'certs', 'client_certificate.pem'))) {
    fs.cpSync(path.join(fromPki, 'own'), own, { recursive: true });
  }
}

function items(...names) {
  return names.map((name) => ({ nodeId: nodeIdOf(name), samplingIntervalMs: 100, queueSize: 10 }));
}

describe('OpcuaConnection (real OPC UA server over TCP)', function () {
  this.timeout(30000);
  let port;
  let testServer;
  let serverThumbprint;
  const open = [];

  function connection(overrides) {
    const c = new OpcuaConnection({
      endpointUrl: testServer.endpointUrl,
      securityMode: 'None',
      securityPolicy: 'None',
      pkiDir: TRUSTING_PKI,
      trustOnFirstUse: false,
      backoff: FAST_BACKOFF,
      ...overrides,
    });
    open.push(c);
    return c;
  }

  function startServer() {
    return startOpcuaTestServer({
      port,
      pkiDir: SERVER_PKI,
      users: USERS,
      allowAnonymous: true,
      securityModes: ['None', 'SignAndEncrypt'],
      securityPolicies: ['None', 'Basic256Sha256'],
    });
  }

  before(async function () {
    fs.mkdirSync(TMP, { recursive: true });
    port = await findFreePort();
    testServer = await startServer();
    const { crypto_utils } = require('node-opcua-client');
    const der = crypto_utils.convertPEMtoDER(fs.readFileSync(testServer.certificateFile, 'utf8'));
    serverThumbprint = crypto_utils.makeSHA1Thumbprint(der).toString('hex');
    // the technician's step: put the server certificate into the client's trust list
    fs.mkdirSync(path.join(TRUSTING_PKI, 'trusted', 'certs'), { recursive: true });
    fs.copyFileSync(testServer.certificateFile, path.join(TRUSTING_PKI, 'trusted', 'certs', 'press-line-server.pem'));
  });

  afterEach(async function () {
    await Promise.all(open.splice(0).map((c) => c.close()));
  });

  after(async function () {
    if (testServer) await testServer.stop();
  });

  it('delivers monitored values with timestamps in epoch ms', async function () {
    const c = connection();
    const log = readingLog();
    c.monitor(items('Temperature', 'Pressure', 'Running'), log.onReading);
    c.connect();
    await waitForState(c, 'connected');
    assert.equal(c.lastError, null);
    const running = await log.next((r) => r.nodeId === nodeIdOf('Running'));
    assert.equal(typeof running.value, 'boolean');

    const before = Date.now();
    testServer.setValue('Temperature', 87.25);
    const reading = await log.next((r) => r.nodeId === nodeIdOf('Temperature') && r.value === 87.25);
    assert.equal(reading.statusCode, 0);
    assert.equal(reading.statusText, 'Good');
    assert.equal(typeof reading.sourceTimestamp, 'number');
    assert.ok(reading.sourceTimestamp >= before - 1000 && reading.sourceTimestamp <= Date.now() + 1000);
    assert.equal(typeof reading.serverTimestamp, 'number');
  });

  it('passes bad and uncertain StatusCodes through as raw numbers', async function () {
    const c = connection();
    const log = readingLog();
    c.monitor(items('Pressure'), log.onReading);
    c.connect();
    await waitForState(c, 'connected');
    testServer.setValue('Pressure', 3.5, 'BadSensorFailure');
    const bad = await log.next((r) => r.statusText === 'BadSensorFailure');
    assert.equal(bad.statusCode, StatusCodes.BadSensorFailure.value);
    assert.equal((bad.statusCode & SEVERITY_MASK) >>> 0, 0x80000000, 'severity bad');

    testServer.setValue('Pressure', 3.6, 'UncertainLastUsableValue');
    const uncertain = await log.next((r) => r.statusText === 'UncertainLastUsableValue');
    assert.equal((uncertain.statusCode & SEVERITY_MASK) >>> 0, 0x40000000, 'severity uncertain');
    assert.equal(uncertain.value, 3.6);
  });

  it('applies an absolute deadband on the server', async function () {
    const c = connection();
    const log = readingLog();
    c.monitor([{ nodeId: nodeIdOf('Setpoint'), samplingIntervalMs: 50, queueSize: 1, deadband: { type: 'absolute', value: 5 } }], log.onReading);
    c.connect();
    await waitForState(c, 'connected');
    await c.write(nodeIdOf('Setpoint'), 100);
    await log.next((r) => r.value === 100);
    await c.write(nodeIdOf('Setpoint'), 103); // inside the deadband: no notification
    await c.write(nodeIdOf('Setpoint'), 110);
    await log.next((r) => r.value === 110);
    assert.ok(!log.readings.some((r) => r.value === 103), 'change of 3 stays inside the deadband of 5');
  });

  it('reports an unknown node id as a reading with a bad status, and stop() ends the readings', async function () {
    const c = connection();
    const log = readingLog();
    c.connect();
    await waitForState(c, 'connected');
    const stop = c.monitor([{ nodeId: 'ns=1;s=Line1.Press9.Nothing', samplingIntervalMs: 100, queueSize: 1 }, ...items('Temperature')], log.onReading);
    const unknown = await log.next((r) => r.nodeId === 'ns=1;s=Line1.Press9.Nothing');
    assert.equal(unknown.statusText, 'BadNodeIdUnknown');
    assert.equal(unknown.value, null);
    await log.next((r) => r.nodeId === nodeIdOf('Temperature'));

    stop();
    const count = log.readings.length;
    testServer.setValue('Temperature', 12.5);
    await new Promise((resolve) => setTimeout(resolve, 800));
    assert.equal(log.readings.length, count, 'no readings after stop()');
  });

  it('browses one level and lists all variables with data types and units', async function () {
    const c = connection();
    c.connect();
    await waitForState(c, 'connected');

    const top = await c.browse();
    const line1 = top.find((e) => e.browseName === 'Line1');
    assert.ok(line1, `Line1 in ${top.map((e) => e.browseName)}`);
    assert.equal(line1.nodeClass, 'Object');
    assert.equal(line1.path, 'Objects/Line1');
    assert.equal(line1.hasChildren, true);

    const press = await c.browse('ns=1;s=Line1.Press1');
    const byName = Object.fromEntries(press.map((e) => [e.browseName, e]));
    assert.deepEqual(Object.keys(byName).sort(), ['Pressure', 'Running', 'Setpoint', 'Temperature']);
    assert.equal(byName.Temperature.path, 'Objects/Line1/Press1/Temperature');
    assert.equal(byName.Temperature.nodeId, nodeIdOf('Temperature'));
    assert.equal(byName.Temperature.dataType, 'Double');
    assert.equal(byName.Temperature.unit, '°C');
    assert.equal(byName.Pressure.unit, 'bar');
    assert.equal(byName.Running.dataType, 'Boolean');
    assert.equal(byName.Running.unit, null);
    assert.equal(byName.Running.hasChildren, false);

    const all = await c.browseVariables();
    assert.deepEqual(all.map((e) => e.path).sort(), [
      'Objects/Line1/Press1/Pressure',
      'Objects/Line1/Press1/Running',
      'Objects/Line1/Press1/Setpoint',
      'Objects/Line1/Press1/Temperature',
    ]);
    assert.ok(all.every((e) => e.nodeClass === 'Variable'));
    assert.equal(all.find((e) => e.browseName === 'Pressure').unit, 'bar');
    assert.equal((await c.browseVariables(undefined, 2)).length, 0, 'depth 2 stops above the press variables');
    assert.equal((await c.browseVariables(undefined, 6, 2)).length, 2, 'maxResults caps the list');
  });

  it('reads and writes with the variable data type, refusing what cannot be written', async function () {
    const c = connection();
    c.connect();
    await waitForState(c, 'connected');
    await c.write(nodeIdOf('Setpoint'), 212.5);
    const setpoint = await c.read(nodeIdOf('Setpoint'));
    assert.equal(setpoint.value, 212.5);
    assert.equal(setpoint.statusCode, 0);
    await c.write(nodeIdOf('Setpoint'), '190');
    assert.equal((await c.read(nodeIdOf('Setpoint'))).value, 190);

    await assert.rejects(c.write(nodeIdOf('Setpoint'), 'hot'), (err) => err instanceof InputError);
    await assert.rejects(c.write(nodeIdOf('Temperature'), 5), (err) => err instanceof ConnectionError && err.shortReason === 'write refused' && /BadNotWritable|BadUserAccessDenied/.test(err.message));
    const missing = await c.read('ns=1;s=Line1.Press9.Nothing');
    assert.equal(missing.statusText, 'BadNodeIdUnknown');

    await c.close();
    await assert.rejects(c.read(nodeIdOf('Setpoint')), (err) => err instanceof ConnectionError && err.shortReason === 'not connected');
  });

  it('works with SignAndEncrypt / Basic256Sha256 and a user name', async function () {
    const c = connection({ securityMode: 'SignAndEncrypt', securityPolicy: 'Basic256Sha256', username: 'operator', password: 'press-42' });
    const log = readingLog();
    c.monitor(items('Temperature'), log.onReading);
    c.connect();
    await waitForState(c, 'connected', 20000);
    testServer.setValue('Temperature', 66.5);
    await log.next((r) => r.value === 66.5);
    const sessions = testServer.server.engine.currentSessionCount;
    assert.ok(sessions >= 1);
    const secured = testServer.server.getChannels().filter((ch) => ch.securityMode === 3 && /Basic256Sha256/.test(ch.securityPolicy));
    assert.ok(secured.length >= 1, 'the server sees an encrypted Basic256Sha256 channel');
  });

  it('fails with "bad credentials" and stops retrying when the password is wrong', async function () {
    const c = connection({ securityMode: 'SignAndEncrypt', securityPolicy: 'Basic256Sha256', username: 'operator', password: 'wrong' });
    c.connect();
    const failed = await waitForState(c, 'failed', 20000);
    assert.equal(failed.reason, 'bad credentials');
    assert.ok(c.lastError instanceof ConnectionError);
    assert.equal(c.lastError.shortReason, 'bad credentials');
  });

  it('refuses an untrusted server certificate, naming thumbprint and trust path, without retrying', async function () {
    seedOwnCertificate(TRUSTING_PKI, STRANGER_PKI);
    clearFolder(path.join(STRANGER_PKI, 'trusted', 'certs'));
    clearFolder(path.join(STRANGER_PKI, 'rejected'));
    const c = connection({ securityMode: 'SignAndEncrypt', securityPolicy: 'Basic256Sha256', pkiDir: STRANGER_PKI });
    const states = [];
    c.state.onState((s) => states.push(s.name));
    c.connect();
    await waitForState(c, 'failed', 20000);
    const err = c.lastError;
    assert.ok(err instanceof CertificateError, String(err));
    assert.equal(err.thumbprint, serverThumbprint);
    assert.ok(err.message.includes(serverThumbprint), err.message);
    assert.ok(err.message.includes('urn:twinloop:test:press-line-server'), err.message);
    const rejectedFile = fs.readdirSync(path.join(STRANGER_PKI, 'rejected')).find((f) => f.includes(serverThumbprint));
    assert.ok(rejectedFile, 'the refused certificate is in rejected/');
    assert.ok(err.message.includes(path.join(STRANGER_PKI, 'rejected', rejectedFile)), err.message);
    assert.ok(err.message.includes(path.join(STRANGER_PKI, 'trusted', 'certs')), err.message);
    assert.ok(err.message.includes("trust on first use"), err.message);

    await new Promise((resolve) => setTimeout(resolve, 1500)); // 7 backoff periods
    assert.equal(c.state.state.name, 'failed');
    assert.deepEqual(states, ['connecting', 'failed'], 'no retry loop on a refused certificate');

    // following the message's own advice (copy, then connect again or redeploy) connects
    fs.copyFileSync(path.join(STRANGER_PKI, 'rejected', rejectedFile), path.join(STRANGER_PKI, 'trusted', 'certs', rejectedFile));
    c.connect();
    await waitForState(c, 'connected', 20000);
    await c.close();
    const redeployed = connection({ securityMode: 'SignAndEncrypt', securityPolicy: 'Basic256Sha256', pkiDir: STRANGER_PKI });
    redeployed.connect();
    await waitForState(redeployed, 'connected', 20000);
  });

  it('accepts the same unknown server certificate with trust on first use', async function () {
    const tofuPki = path.join(TMP, 'client-tofu');
    seedOwnCertificate(TRUSTING_PKI, tofuPki);
    clearFolder(path.join(tofuPki, 'trusted', 'certs'));
    clearFolder(path.join(tofuPki, 'rejected'));
    const c = connection({ securityMode: 'SignAndEncrypt', securityPolicy: 'Basic256Sha256', pkiDir: tofuPki, trustOnFirstUse: true });
    c.connect();
    await waitForState(c, 'connected', 20000);
    const trusted = fs.readdirSync(path.join(tofuPki, 'trusted', 'certs'));
    assert.ok(trusted.some((f) => f.includes(serverThumbprint)), `server certificate now trusted: ${trusted}`);
  });

  it('keeps retrying while the server refuses our certificate (naming it); fails on security the server does not offer', async function () {
    const strictPort = await findFreePort();
    const strictServer = await startOpcuaTestServer({
      port: strictPort,
      pkiDir: path.join(TMP, 'strict-server-pki'),
      acceptUnknownClients: false,
      securityModes: ['SignAndEncrypt'],
      securityPolicies: ['Basic256Sha256'],
    });
    try {
      const tofuPki = path.join(TMP, 'client-tofu');
      seedOwnCertificate(TRUSTING_PKI, tofuPki);
      const c = connection({ endpointUrl: strictServer.endpointUrl, securityMode: 'SignAndEncrypt', securityPolicy: 'Basic256Sha256', pkiDir: tofuPki, trustOnFirstUse: true });
      c.connect();
      const state = await waitForState(c, 'reconnecting', 20000);
      assert.equal(state.reason, 'server refused our certificate', c.lastError && c.lastError.message);
      assert.ok(c.lastError.message.includes(path.join(tofuPki, 'own', 'certs', 'client_certificate.pem')), c.lastError.message);
      await c.close();

      // this server offers SignAndEncrypt only: None and Sign fail at once with a ConfigError
      for (const securityMode of ['None', 'Sign']) {
        const securityPolicy = securityMode === 'None' ? 'None' : 'Basic256Sha256';
        const wrong = connection({ endpointUrl: strictServer.endpointUrl, securityMode, securityPolicy, pkiDir: tofuPki, trustOnFirstUse: true });
        wrong.connect();
        const failed = await waitForState(wrong, 'failed', 10000);
        assert.equal(failed.reason, 'security not offered', `${securityMode}: ${wrong.lastError && wrong.lastError.message}`);
        assert.ok(wrong.lastError instanceof ConfigError);
        await wrong.close();
      }
    } finally {
      await strictServer.stop();
    }
  });

  it('rejects impossible settings with a ConfigError instead of throwing', async function () {
    const c = connection({ securityMode: 'None', securityPolicy: 'Basic256Sha256' });
    assert.doesNotThrow(() => c.connect());
    assert.equal(c.state.state.name, 'failed');
    assert.ok(c.lastError instanceof ConfigError);
    const d = connection({ securityMode: 'SignAndEncrypt', securityPolicy: 'None' });
    d.connect();
    assert.ok(d.lastError instanceof ConfigError);
    const e = connection({ endpointUrl: 'http://press-line:4840' });
    e.connect();
    assert.equal(e.lastError.shortReason, 'bad endpoint URL');
  });

  it('retries with backoff while the server is down, and closes within 5 s', async function () {
    const deadPort = await findFreePort();
    const c = connection({ endpointUrl: `opc.tcp://127.0.0.1:${deadPort}/UA/Nothing` });
    const delays = [];
    c.state.onState((s) => s.name === 'reconnecting' && delays.push(s.retryInMs));
    c.connect();
    await waitForState(c, 'reconnecting');
    assert.equal(c.lastError.shortReason, 'server unreachable');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.deepEqual(delays.slice(0, 3), [200, 400, 800]);
    const started = Date.now();
    await c.close();
    assert.ok(Date.now() - started < 5000);
    assert.equal(c.state.state.name, 'closed');
    const count = delays.length;
    await new Promise((resolve) => setTimeout(resolve, 1200));
    assert.equal(delays.length, count, 'no attempts after close');
    assert.equal(c.state.state.name, 'closed');
  });

  it('closes cleanly right after connect(), while the secured handshake is in flight', async function () {
    const c = connection({ securityMode: 'SignAndEncrypt', securityPolicy: 'Basic256Sha256', username: 'operator', password: 'press-42' });
    const states = [];
    c.state.onState((s) => states.push(s.name));
    c.connect();
    await new Promise((resolve) => setTimeout(resolve, 30));
    await c.close();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.equal(c.state.state.name, 'closed');
    assert.equal(states[states.length - 1], 'closed');
    assert.ok(!states.includes('connected') || states.indexOf('connected') < states.indexOf('closed'));
  });

  it('comes back by itself after the server is stopped and a new one starts on the same port (SignAndEncrypt)', async function () {
    const c = connection({ securityMode: 'SignAndEncrypt', securityPolicy: 'Basic256Sha256', username: 'operator', password: 'press-42' });
    const log = readingLog();
    let lastConnectingAt = 0;
    c.state.onState((s) => s.name === 'connecting' && (lastConnectingAt = s.since));
    c.monitor(items('Temperature', 'Running'), log.onReading);
    c.connect();
    await waitForState(c, 'connected');
    testServer.setValue('Temperature', 101);
    await log.next((r) => r.value === 101);

    const reconnecting = waitForState(c, 'reconnecting');
    await testServer.stop();
    testServer = null;
    await reconnecting;
    assert.ok(c.lastError instanceof ConnectionError);
    await new Promise((resolve) => setTimeout(resolve, 500)); // down for a while: attempts fail
    const restartedAt = Date.now();
    testServer = await startServer();
    const serverUp = Date.now();
    const mark = log.readings.length;
    await waitForState(c, 'connected', 15000);
    const connectedAt = Date.now();
    testServer.setValue('Temperature', 202);
    testServer.setValue('Running', true);
    await log.next((r) => r.value === 202, 8000, mark);
    await log.next((r) => r.nodeId === nodeIdOf('Running') && r.value === true, 8000, mark);
    const valuesAt = Date.now();
    console.log(`      restart recovery: server start ${serverUp - restartedAt} ms, connected ${connectedAt - serverUp} ms after the server was up ` +
      `(last attempt took ${connectedAt - lastConnectingAt} ms, the rest is backoff), values ${valuesAt - serverUp} ms after`);
  });

  it('comes back after the server process is killed (SIGKILL) and started again', async function () {
    const killPort = await findFreePort();
    const serverOptions = { port: killPort, pkiDir: path.join(TMP, 'killed-server-pki'), securityModes: ['None'], securityPolicies: ['None'] };
    let plc = await spawnOpcuaTestServerProcess(serverOptions);
    try {
      const c = connection({ endpointUrl: plc.endpointUrl });
      const log = readingLog();
      c.monitor(items('Pressure'), log.onReading);
      c.connect();
      await waitForState(c, 'connected', 15000);
      plc.setValue('Pressure', 7.5);
      await log.next((r) => r.value === 7.5);

      const reconnecting = waitForState(c, 'reconnecting');
      const killedAt = Date.now();
      await plc.kill();
      await reconnecting;
      const noticedAt = Date.now();
      plc = await spawnOpcuaTestServerProcess(serverOptions);
      const serverUp = Date.now();
      const mark = log.readings.length;
      await waitForState(c, 'connected', 15000);
      plc.setValue('Pressure', 8.25);
      await log.next((r) => r.value === 8.25, 8000, mark);
      console.log(`      after SIGKILL: loss noticed in ${noticedAt - killedAt} ms, new process up after ${serverUp - noticedAt} ms, values again ${Date.now() - serverUp} ms after that`);
    } finally {
      await plc.kill();
    }
  });
});
