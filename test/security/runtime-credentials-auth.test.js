'use strict';
/**
 * Security in a real Node-RED runtime (a child process, test/support/node-red-process.js) with
 * adminAuth on and a credentialSecret:
 *
 * Credentials: three twin-sources hold secrets as Node-RED credentials:
 *   - MQTT over TLS with an encrypted client key and its passphrase (tlsKey, tlsPassphrase) and a user name and WRONG password (a private Mosquitto
 *     that wants both a client certificate and a password refuses it);
 *   - OPC UA with the right user name and password (it connects: browse works);
 *   - OPC UA with a WRONG password (the server refuses the session).
 * No password and no key appears in GET /flows, the flows file, GET /credentials (only has_password),
 * the whole captured Node-RED log (level trace, audit on; the failed logins included), any node status
 * or other message sent to the editor over comms, the browse and discover endpoints or the twin
 * sidebar. The user names appear in none of these either, except one diagnostic: the OPC UA refusal
 * ('... refused user "<name>": bad credentials', src/core/source/opcua-security.ts) in the log and the
 * debug sidebar. The secrets are in the credentials file, encrypted with the credentialSecret
 * (decrypted here to prove they were deployed at all).
 *
 * Authentication: every admin endpoint of this package answers 401 without a token or with a forged
 * one; a known user without the permission (one with only "flows.read"; a "read" user on the write
 * endpoints) is refused too (Node-RED answers 401 and audits "permission.fail"); authorised users are
 * let through. The comms websocket refuses a forged token and a user without "status.read", and sends
 * the sidebar topic only after a good one.
 * (test/flow/twin-sidebar.test.js covers the sidebar's 401/200 for admin and read users and the
 * summary over comms; not repeated here.)
 *
 * Note: twin-ingest's very first status after a deploy, before its source reports a state, is a green
 * "connected, waiting for data"; the status checks below skip each node's first status.
 */
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const bcrypt = require('bcryptjs'); // comes with node-red
const WebSocket = require('ws'); // comes with node-red
const { NodeRedProcess, makeUserDir, stopAll } = require('../support/node-red-process');
const { PrivateMosquitto } = require('../support/mosquitto');
const { startOpcuaTestServer, nodeIdOf } = require('../support/opcua-test-server');
const { testCertificates } = require('../support/test-certificates');

const RED_PORT = 18900;
const OPCUA_PORT = 18901;
const MQTT_PORT = 18902;
const TMP = path.join(__dirname, '..', '.tmp', 'security');

const rand = () => crypto.randomBytes(6).toString('hex');
const CREDENTIAL_SECRET = `cred-secret-${rand()}`;
const LOGIN_PASSWORD = `login-${rand()}`;
const MQTT_USER = `plc-user-${rand()}`;
const MQTT_RIGHT_PASSWORD = `mqtt-right-${rand()}`;
const MQTT_WRONG_PASSWORD = `mqtt-wrong-${rand()}`;
const OPC_USER = `opc-user-${rand()}`;
const OPC_PASSWORD = `opc-right-${rand()}`;
const OPC_WRONG_PASSWORD = `opc-wrong-${rand()}`;

function settings() {
  const hash = bcrypt.hashSync(LOGIN_PASSWORD, 8);
  return `module.exports = {
    uiHost: '127.0.0.1',
    flowFile: 'flows.json',
    credentialSecret: ${JSON.stringify(CREDENTIAL_SECRET)},
    logging: { console: { level: 'trace', metrics: false, audit: true } },
    editorTheme: { tours: false },
    telemetry: { enabled: false },
    adminAuth: {
        type: 'credentials',
        users: [
            { username: 'admin', password: ${JSON.stringify(hash)}, permissions: '*' },
            { username: 'viewer', password: ${JSON.stringify(hash)}, permissions: 'read' },
            { username: 'limited', password: ${JSON.stringify(hash)}, permissions: ['flows.read'] },
        ],
    },
};\n`;
}

/** Node-RED's credential file format: {"$": hex(iv) + base64(aes-256-ctr(JSON))}, key sha256(secret). */
function decryptCredentials(text, secret) {
  const { $: blob } = JSON.parse(text);
  const key = crypto.createHash('sha256').update(secret).digest();
  const decipher = crypto.createDecipheriv('aes-256-ctr', key, Buffer.from(blob.substring(0, 32), 'hex'));
  return JSON.parse(decipher.update(blob.substring(32), 'base64', 'utf8') + decipher.final('utf8'));
}

describe('security: credentials and admin authentication in a real Node-RED', function () {
  this.timeout(120000);
  let red;
  let userDir;
  let broker;
  let opcua;
  let certificates;
  let tokens;
  let secrets;
  let comms;

  const url = (p) => `${red.url}${p}`;
  const bearer = (t) => ({ Authorization: `Bearer ${t}` });

  async function login(username, scope) {
    const res = await fetch(url('/auth/token'), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ client_id: 'node-red-admin', grant_type: 'password', scope, username, password: LOGIN_PASSWORD }),
    });
    assert.equal(res.status, 200, `login ${username}: ${res.status}`);
    return (await res.json()).access_token;
  }

  const secret = ([name]) => !/user name/.test(name);
  const userName = ([name]) => /user name/.test(name);
  /** Which of the secrets (all, or those `which` picks) `text` contains, for a readable failure. */
  function leaks(text, what, which = () => true) {
    const found = secrets.filter(which).filter(([, s]) => text.includes(s)).map(([name]) => name);
    return found.length ? `${what} leaks ${found.join(', ')}` : '';
  }

  const flows = () => [
    { id: 'tab', type: 'tab', label: 'credentials' },
    {
      id: 'src.mqtt', type: 'twin-source', name: 'plc mqtt', protocol: 'mqtt', broker: `mqtts://127.0.0.1:${MQTT_PORT}`, persistentSession: false,
      useTls: true, verifyServer: true, tlsCa: certificates.ca, tlsCert: certificates.clientCert,
      credentials: { username: MQTT_USER, password: MQTT_WRONG_PASSWORD, tlsKey: certificates.encryptedClientKey, tlsPassphrase: certificates.keyPassphrase },
    },
    {
      id: 'src.opc', type: 'twin-source', name: 'press opc', protocol: 'opcua', endpoint: opcua.endpointUrl, securityMode: 'SignAndEncrypt', securityPolicy: 'Basic256Sha256', trustOnFirstUse: true,
      credentials: { username: OPC_USER, password: OPC_PASSWORD },
    },
    {
      id: 'src.opcbad', type: 'twin-source', name: 'press opc wrong', protocol: 'opcua', endpoint: opcua.endpointUrl, securityMode: 'SignAndEncrypt', securityPolicy: 'Basic256Sha256', trustOnFirstUse: true,
      credentials: { username: OPC_USER, password: OPC_WRONG_PASSWORD },
    },
    { id: 'in.mqtt', type: 'twin-ingest', z: 'tab', source: 'src.mqtt', topic: 'sec/+machine/+signal', x: 200, y: 40, wires: [[]] },
    { id: 'in.opc', type: 'twin-ingest', z: 'tab', source: 'src.opc', items: [{ nodeId: nodeIdOf('Temperature'), topic: 'line1/press1/temperature', samplingInterval: '100', queueSize: '10' }], x: 200, y: 100, wires: [[]] },
    { id: 'in.opcbad', type: 'twin-ingest', z: 'tab', source: 'src.opcbad', items: [{ nodeId: nodeIdOf('Pressure'), topic: 'line1/press1/pressure', samplingInterval: '100', queueSize: '10' }], x: 200, y: 160, wires: [[]] },
    { id: 'state', type: 'twin-state', z: 'tab', unknownSignals: 'add', persist: false, x: 400, y: 100, wires: [[], [], []] },
  ];

  before(async function () {
    fs.mkdirSync(TMP, { recursive: true });
    certificates = testCertificates(path.join(TMP, 'tls'));
    broker = new PrivateMosquitto({
      users: { [MQTT_USER]: MQTT_RIGHT_PASSWORD },
      tls: { cafile: path.join(TMP, 'tls', 'ca.pem'), certfile: path.join(TMP, 'tls', 'server.pem'), keyfile: path.join(TMP, 'tls', 'server.key'), requireCertificate: true },
    });
    broker.writeConfig(MQTT_PORT);
    await broker.start();
    opcua = await startOpcuaTestServer({
      port: OPCUA_PORT, pkiDir: path.join(TMP, 'opcua-server-pki'), users: [{ user: OPC_USER, password: OPC_PASSWORD }], allowAnonymous: false,
      securityModes: ['SignAndEncrypt'], securityPolicies: ['Basic256Sha256'],
    });
    // the private key's body lines are secret too (the PEM header is not)
    const keyLines = certificates.encryptedClientKey.split('\n').filter((l) => l.length > 40 && !l.startsWith('-----'));
    secrets = [
      ['the MQTT user name', MQTT_USER], ['the wrong MQTT password', MQTT_WRONG_PASSWORD], ['the OPC UA user name', OPC_USER],
      ['the OPC UA password', OPC_PASSWORD], ['the wrong OPC UA password', OPC_WRONG_PASSWORD], ['the TLS client key', keyLines[0]], ['the TLS client key (end)', keyLines[keyLines.length - 1]],
      ['the TLS key passphrase', certificates.keyPassphrase],
      ['the credentialSecret', CREDENTIAL_SECRET],
    ];

    userDir = makeUserDir('twinloop-security-', settings());
    red = new NodeRedProcess(userDir, RED_PORT);
    await red.start(60000);
    tokens = { admin: await login('admin', '*'), viewer: await login('viewer', 'read'), limited: await login('limited', 'flows.read') };

    // status messages as the editor sees them, from before the deploy
    comms = await openComms(red.url, tokens.admin, ['status/#', 'twinloop/twin']);
    const res = await fetch(url('/flows'), { method: 'POST', headers: { ...bearer(tokens.admin), 'Content-Type': 'application/json', 'Node-RED-Deployment-Type': 'full' }, body: JSON.stringify(flows()) });
    assert.ok(res.status === 200 || res.status === 204, `deploy: ${res.status} ${await res.text()}`);
    // Wait for the outcomes: the good OPC UA source connected, both wrong passwords refused.
    const deadline = Date.now() + 45000;
    const last = (id) => statusesSinceConnecting(comms, id).at(-1) ?? '';
    while (Date.now() < deadline) {
      if (/^green:connected/.test(last('in.opc')) && last('in.opcbad') === 'red:bad credentials' && last('in.mqtt') === 'red:bad credentials') break;
      await new Promise((r) => setTimeout(r, 200));
    }
  });

  after(async function () {
    comms?.close();
    await red?.stop();
    await stopAll();
    await opcua?.stop();
    await broker?.dispose();
    if (userDir) fs.rmSync(userDir, { recursive: true, force: true });
  });

  describe('credentials', function () {
    it('the sources connected or were refused as expected (the failed logins happened)', function () {
      // after the first status (see the note on twin-ingest's first status in the header)
      const of = (id) => statusesSinceConnecting(comms, id);
      assert.ok(of('in.opc').some((s) => /^green:.*connected/.test(s)), `in.opc: ${of('in.opc').join(' | ')}`);
      assert.equal(of('in.opcbad').at(-1), 'red:bad credentials', `in.opcbad: ${of('in.opcbad').join(' | ')}`);
      assert.equal(of('in.mqtt').at(-1), 'red:bad credentials', `in.mqtt: ${of('in.mqtt').join(' | ')}`);
      assert.ok(!of('in.mqtt').some((s) => /^green:/.test(s)), `the wrong MQTT password never connects: ${of('in.mqtt').join(' | ')}`);
      assert.match(red.log, /\[error\] \[twin-source:plc mqtt\] connection failed: bad credentials/);
      assert.match(red.log, /\[error\] \[twin-source:press opc wrong\] connection failed: .*bad credentials/);
    });

    it('GET /flows (the export) holds none of them, for admin and read-only users', async function () {
      for (const who of ['admin', 'viewer']) {
        const res = await fetch(url('/flows'), { headers: { ...bearer(tokens[who]), 'Node-RED-API-Version': 'v2' } });
        assert.equal(res.status, 200);
        const text = await res.text();
        assert.ok(text.includes('src.mqtt') && text.includes('BEGIN CERTIFICATE'), 'the export has the sources (and the public certificates)');
        assert.equal(leaks(text, `GET /flows as ${who}`), '');
        const parsed = JSON.parse(text);
        assert.ok(parsed.flows.every((n) => n.credentials === undefined), 'no credentials property in the export');
      }
    });

    it('the flows file holds none of them; the credentials file holds them, encrypted with credentialSecret', function () {
      const flowsText = fs.readFileSync(path.join(userDir, 'flows.json'), 'utf8');
      assert.ok(flowsText.includes('src.opcbad'));
      assert.equal(leaks(flowsText, 'flows.json'), '');
      const credText = fs.readFileSync(path.join(userDir, 'flows_cred.json'), 'utf8');
      assert.equal(leaks(credText, 'flows_cred.json'), '', 'encrypted');
      assert.deepEqual(Object.keys(JSON.parse(credText)), ['$']);
      const decrypted = decryptCredentials(credText, CREDENTIAL_SECRET);
      assert.deepEqual(decrypted['src.mqtt'], { username: MQTT_USER, password: MQTT_WRONG_PASSWORD, tlsKey: certificates.encryptedClientKey, tlsPassphrase: certificates.keyPassphrase });
      assert.deepEqual(decrypted['src.opc'], { username: OPC_USER, password: OPC_PASSWORD });
      assert.throws(() => decryptCredentials(credText, 'another secret'), 'another secret does not open it');
      // no other file in the user directory (context, PKI, journals) holds a secret
      const offenders = [];
      const walk = (dir) => {
        for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
          const full = path.join(dir, e.name);
          if (e.isSymbolicLink() || e.name === 'node_modules') continue;
          if (e.isDirectory()) walk(full);
          else if (!['settings.js', '.config.users.json', '.config.runtime.json'].includes(e.name) && fs.statSync(full).size < 5e6) {
            const l = leaks(fs.readFileSync(full, 'latin1'), path.relative(userDir, full));
            if (l) offenders.push(l);
          }
        }
      };
      walk(userDir);
      assert.deepEqual(offenders, []);
    });

    it('GET /credentials/twin-source/:id tells only that a password is set', async function () {
      for (const id of ['src.mqtt', 'src.opc']) {
        const res = await fetch(url(`/credentials/twin-source/${id}`), { headers: bearer(tokens.admin) });
        assert.equal(res.status, 200);
        const body = await res.json();
        assert.equal(body.has_password, true, JSON.stringify(body));
        assert.equal(body.password, undefined);
        assert.equal(body.tlsKey, undefined);
        assert.equal(body.tlsPassphrase, undefined);
        const text = JSON.stringify(body);
        assert.equal(leaks(text, `GET /credentials/twin-source/${id}`, secret), '');
      }
      assert.equal((await fetch(url('/credentials/twin-source/src.opc'))).status, 401, 'not without a token');
    });

    it('the whole Node-RED log (trace level, audit on, failed logins included) holds no password and no key', function () {
      assert.match(red.log, /Started flows/);
      assert.ok(red.log.length > 2000, `a real log (${red.log.length} characters)`);
      assert.equal(leaks(red.log, 'the Node-RED log', secret), '');
      // The one place a user name shows: the OPC UA refusal names the refused user (a diagnostic).
      const withUser = red.log.split('\n').filter((line) => leaks(line, '', userName));
      assert.ok(withUser.every((line) => line.includes(`refused user "${OPC_USER}": bad credentials`)), withUser.join('\n'));
    });

    it('no node status sent to the editors holds any of them (user names included)', function () {
      assert.ok(comms.statuses.length >= 3, `statuses seen: ${comms.statuses.length}`);
      assert.equal(leaks(JSON.stringify(comms.statuses), 'the node statuses'), '');
      // the debug sidebar gets the node errors: the same refusal line as the log, nothing more
      assert.equal(leaks(JSON.stringify(comms.other), 'other comms messages', secret), '');
    });

    it('the browse and discover endpoints and the sidebar hold none of them', async function () {
      const browse = await fetch(url('/twinloop/sources/src.opc/browse'), { headers: bearer(tokens.admin) });
      const browseText = await browse.text();
      assert.equal(browse.status, 200, browseText.slice(0, 300));
      assert.ok(browseText.includes(nodeIdOf('Temperature')), 'a real answer');
      const answers = [browseText];
      for (const p of ['/twinloop/sources/src.opcbad/browse', '/twinloop/sources/src.mqtt/browse', '/twinloop/models/discover/opcua/src.opc', '/twinloop/models/discover/opcua/src.opcbad', '/twinloop/twin']) {
        const res = await fetch(url(p), { headers: bearer(tokens.admin) });
        answers.push(`${p} ${res.status} ${await res.text()}`);
      }
      assert.equal(leaks(answers.join('\n'), 'the admin endpoints'), '');
    });
  });

  describe('admin authentication', function () {
    const endpoints = [
      { method: 'GET', path: '/twinloop/twin', permission: 'read' },
      { method: 'GET', path: '/twinloop/twin/history?key=line1%2Fpress1%2Ftemperature', permission: 'read' },
      { method: 'GET', path: '/twinloop/twin/history/line1%2Fpress1%2Ftemperature', permission: 'read' },
      { method: 'GET', path: '/twinloop/sources/src.opc/browse', permission: 'read' },
      { method: 'GET', path: '/twinloop/models/discover/opcua/src.opc', permission: 'read' },
      { method: 'GET', path: '/twinloop/states/state/learn', permission: 'read' },
      { method: 'POST', path: '/twinloop/models/validate', permission: 'write', body: { model: { schemaVersion: 1, assets: [] } } },
      { method: 'POST', path: '/twinloop/states/state/learn', permission: 'write', body: { action: 'start' } },
    ];
    const call = (e, token) => fetch(url(e.path), {
      method: e.method,
      headers: { ...(token ? bearer(token) : {}), ...(e.body ? { 'Content-Type': 'application/json' } : {}) },
      body: e.body ? JSON.stringify(e.body) : undefined,
    });

    it('every endpoint of the package answers 401 without a token and with a wrong one', async function () {
      for (const e of endpoints) {
        assert.equal((await call(e)).status, 401, `${e.method} ${e.path} without a token`);
        assert.equal((await call(e, 'forged-token')).status, 401, `${e.method} ${e.path} with a forged token`);
      }
    });

    it('a user without the permission is refused; a read user reads but does not write; admin is let through', async function () {
      // Node-RED answers a valid token without the permission with 401 too, and audits "permission.fail".
      const failuresBefore = (red.log.match(/"event":"permission.fail"/g) || []).length;
      let refusals = 0;
      for (const e of endpoints) {
        assert.equal((await call(e, tokens.limited)).status, 401, `${e.method} ${e.path} as a "flows.read" user`);
        refusals += 1;
        const asViewer = (await call(e, tokens.viewer)).status;
        if (e.permission === 'write') {
          assert.equal(asViewer, 401, `${e.method} ${e.path} as a read user`);
          refusals += 1;
        } else assert.ok(![401, 403].includes(asViewer), `${e.method} ${e.path} as a read user: ${asViewer}`);
        const asAdmin = (await call(e, tokens.admin)).status;
        assert.ok(![401, 403].includes(asAdmin), `${e.method} ${e.path} as admin: ${asAdmin}`);
      }
      await new Promise((r) => setTimeout(r, 200));
      const failures = (red.log.match(/"event":"permission.fail"/g) || []).length - failuresBefore;
      assert.equal(failures, refusals, 'each refusal of a known user is a permission failure, not a bad token');
      assert.match(red.log, /"event":"permission.fail","permissions":"twinloop.read"/);
      assert.match(red.log, /"event":"permission.fail","permissions":"twin-model.write"/);
    });

    it('the comms websocket refuses a forged token and a user without status.read; the sidebar topic needs a good one', async function () {
      const forged = await openComms(red.url, 'forged-token', ['twinloop/twin'], 1500);
      forged.close();
      assert.equal(forged.authFailed, true, 'a forged token is refused');
      assert.equal(forged.summaries.length, 0);
      const limited = await openComms(red.url, tokens.limited, ['twinloop/twin'], 1500);
      limited.close();
      assert.equal(limited.authFailed, true, 'a user without status.read is refused');
      assert.equal(limited.summaries.length, 0);
      const none = await openComms(red.url, null, ['twinloop/twin', 'status/#'], 1500);
      none.close();
      assert.equal(none.summaries.length + none.statuses.length, 0, 'nothing without a token');
      const viewer = await openComms(red.url, tokens.viewer, ['twinloop/twin'], 3000, (c) => c.summaries.length > 0);
      viewer.close();
      assert.equal(viewer.authFailed, false);
      assert.ok(viewer.summaries.length > 0, 'a read user gets the summary');
    });
  });
});

/** "fill:text" of the statuses of node `id` after its first one (see the note in the header). */
function statusesSinceConnecting(comms, id) {
  return comms.statuses.filter((s) => s.id === id).map((s) => `${s.fill}:${s.text}`).slice(1);
}

/**
 * A comms websocket as the editor opens it: {auth: token} first (when given), then the subscriptions.
 * Resolves after `ms` (or when `enough(result)`), with the connection kept open while `ms` is 0.
 */
function openComms(baseUrl, token, topics, ms = 0, enough = () => false) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/comms`);
    const result = {
      statuses: [], summaries: [], other: [], authFailed: false,
      close: () => {
        ws.removeAllListeners();
        ws.on('error', () => {});
        ws.terminate();
      },
    };
    const subscribe = () => topics.forEach((t) => ws.send(JSON.stringify({ subscribe: t })));
    let timer;
    ws.on('open', () => {
      if (token) ws.send(JSON.stringify({ auth: token }));
      else subscribe();
      if (ms === 0) resolve(result);
      else timer = setTimeout(() => resolve(result), ms);
    });
    ws.on('message', (data) => {
      let parsed;
      try {
        parsed = JSON.parse(String(data));
      } catch {
        return;
      }
      for (const m of Array.isArray(parsed) ? parsed : [parsed]) {
        if (m.auth === 'ok') subscribe();
        else if (m.auth === 'fail') result.authFailed = true;
        else if (typeof m.topic === 'string' && m.topic.startsWith('status/')) result.statuses.push({ id: m.topic.slice(7), ...(m.data || {}) });
        else if (m.topic === 'twinloop/twin') result.summaries.push(m.data);
        else result.other.push(m);
      }
      if (ms > 0 && enough(result)) {
        clearTimeout(timer);
        resolve(result);
      }
    });
    ws.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}
