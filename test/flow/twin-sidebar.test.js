'use strict';
/**
 * The editor's "Twin" sidebar, runtime side (src/plugins/twin-sidebar.ts, plugin "twinloop-sidebar"):
 *  - nodes register with the twin registry on create and leave it on close (node-red-node-test-helper);
 *  - in a real Node-RED process with adminAuth: GET /twinloop/twin and its history endpoint answer 401
 *    without a token and the summary with one; the comms topic "twinloop/twin" reaches a subscribed
 *    websocket client; a redeploy leaves only the new nodes.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const bcrypt = require('bcryptjs'); // comes with node-red
const WebSocket = require('ws'); // comes with node-red
const { freePort } = require('../../scripts/lib/ports');
const { helper, load, waitFor } = require('../support/flow-helper');
const { NodeRedProcess, makeUserDir, stopAll } = require('../support/node-red-process');

const registry = require(path.join(__dirname, '..', '..', 'dist', 'nodes', 'common', 'twin-registry.js'));

const TEMP = 'line1/oven/temperature';
const POWER = 'line1/oven/power';
const QUEUE = 'line1/press/queue';

const model = {
  schemaVersion: 1,
  revision: 3,
  name: 'sidebar plant',
  relationships: [],
  assets: [{
    name: 'line1', kind: 'line', parameters: [], signals: [],
    children: [
      { name: 'oven', kind: 'machine', position: { x: 2, y: 3 }, children: [], parameters: [], signals: [{ name: 'temperature', unit: 'degC', maxAgeMs: 60000 }, { name: 'power', unit: 'kW', maxAgeMs: 60000 }] },
      { name: 'press', kind: 'machine', children: [], parameters: [], signals: [{ name: 'queue', unit: null, maxAgeMs: 200 }] },
    ],
  }],
};

/** An oven the simulator follows (the twin-simulator test's physics). */
const physics = {
  states: { T: { signal: TEMP, unit: 'degC', initial: 20 } },
  inputs: { P: { signal: POWER, unit: 'kW', value: 2 } },
  parameters: { eta: { value: 0.9 }, k: { value: 0.05, unit: 'kW/K', min: 0.01, max: 0.5 }, C: { value: 50, unit: 'kJ/K' }, T_amb: { value: 20, unit: 'degC' } },
  equations: ['dT/dt = (P*eta - k*(T - T_amb)) / C'],
};

const envelope = { 'line1/*/speedSetpoint': { min: 50, max: 150, maxStep: 30 } };
// Long windows: a started rollout stays visible (applying, waiting for its read-back) during the test.
const rollout = { steps: [{ share: 0.5, minDurationMs: 60000, analysisWindowMs: 60000 }, { share: 1, minDurationMs: 60000, analysisWindowMs: 60000 }], readBackTimeoutMs: 120000, minSamples: 1 };
const machines = ['line1/m1', 'line1/m2'];
const candidate = {
  id: 'c-sidebar',
  kind: 'setpoints',
  targets: machines,
  setpoints: Object.fromEntries(machines.map((m) => [`${m}/speedSetpoint`, 110])),
  predicted: { kpis: { throughput: 110 } },
  evidence: {
    fidelity: machines.map((m) => ({ key: `${m}/speedSetpoint`, error: 0.01 })),
    counterfactual: { ok: true, value: 1, scenarios: 5, kpis: [{ name: 'throughput', pass: true }], reasons: [] },
  },
};

/** The TwinLoop nodes of a flow; `suffix` makes new ids (a redeploy of other nodes). */
function twinNodes(suffix = '', z = 'tab') {
  return [
    { id: `state${suffix}`, type: 'twin-state', name: 'state', z, model: 'model', unknownSignals: 'add', persist: false, fidelityInterval: 0, x: 300, y: 40, wires: [[], [], []] },
    { id: `deviation${suffix}`, type: 'twin-deviation', name: 'deviation', z, persist: false, warmup: 5, x: 300, y: 100, wires: [[], [], []] },
    { id: `sim${suffix}`, type: 'twin-simulator', name: 'simulator', z, persist: false, physics: JSON.stringify(physics), line: '', horizon: 5, predictEvery: 0.3, x: 300, y: 160, wires: [[], [`deviation${suffix}`], []] },
    { id: `gate${suffix}`, type: 'twin-gate', name: 'gate', z, envelope: JSON.stringify(envelope), rollout: JSON.stringify(rollout), approval: 'marginal', persist: false, x: 300, y: 220, wires: [[], [], [], []] },
  ];
}

// ------------------------------------------------------------------------------ in the test helper

describe('twin sidebar: node registry (test helper)', function () {
  this.timeout(20000);
  beforeEach(() => helper.startServer());
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
  });

  const ids = () => registry.registered().map((e) => `${e.kind}:${e.id}`).sort();

  it('registers twin-state, twin-deviation, twin-simulator and twin-gate on create, and deregisters them on close', async function () {
    await load([{ id: 'tab', type: 'tab', label: 'test' }, { id: 'model', type: 'twin-model', name: 'm', model }, ...twinNodes()]);
    assert.deepEqual(ids(), ['deviation:deviation', 'gate:gate', 'simulator:sim', 'state:state']);
    const state = helper.getNode('state');
    state.receive({ topic: TEMP, payload: { asset: 'line1/oven', signal: 'temperature', value: 81.5, unit: 'degC', quality: 'good', sourceTime: Date.now() } });
    await waitFor(() => registry.registered().find((e) => e.id === 'state').provider().signals.some((s) => s.key === TEMP && s.value === 81.5), 'the state summary');
    const summary = registry.registered().find((e) => e.id === 'state').provider();
    assert.deepEqual(summary.model, { id: 'model', name: 'm', revision: 3 });
    assert.deepEqual(summary.assets.find((a) => a.path === 'line1/oven'), { path: 'line1/oven', name: 'oven', kind: 'machine', position: { x: 2, y: 3 } });
    const temp = summary.signals.find((s) => s.key === TEMP);
    assert.equal(temp.quality, 'good');
    assert.equal(temp.stale, false);
    assert.equal(temp.unit, 'degC');

    // A redeploy with other nodes: only those are left.
    await helper.unload();
    assert.deepEqual(ids(), [], 'nothing registered once the flow is stopped');
    await load([{ id: 'tab', type: 'tab', label: 'test' }, { id: 'model', type: 'twin-model', name: 'm', model }, ...twinNodes('2')]);
    assert.deepEqual(ids(), ['deviation:deviation2', 'gate:gate2', 'simulator:sim2', 'state:state2']);
  });
});

// ------------------------------------------------------------------------------ a real Node-RED

const password = 'twin-secret';

function settings(port) {
  const hash = bcrypt.hashSync(password, 8);
  return `module.exports = {
    uiHost: '127.0.0.1',
    uiPort: ${port},
    flowFile: 'flows.json',
    credentialSecret: false,
    logging: { console: { level: 'info' } },
    editorTheme: { tours: false },
    telemetry: { enabled: false },
    adminAuth: {
        type: 'credentials',
        users: [
            { username: 'admin', password: ${JSON.stringify(hash)}, permissions: '*' },
            { username: 'viewer', password: ${JSON.stringify(hash)}, permissions: 'read' },
        ],
    },
};\n`;
}

/** POST /feed {to: 'state'|'deviation'|'sim'|'gate', topic, payload}: one message into that node. */
function feedNodes(suffix = '') {
  const targets = ['state', 'deviation', 'sim', 'gate'];
  return [
    { id: 'feed.in', type: 'http in', z: 'tab', url: '/feed', method: 'post', x: 100, y: 300, wires: [['feed.route']] },
    {
      id: 'feed.route', type: 'function', z: 'tab', outputs: targets.length + 1, x: 300, y: 300,
      func: `const targets = ${JSON.stringify(targets)};\nconst out = new Array(targets.length + 1).fill(null);\nconst m = msg.payload;\nout[targets.indexOf(m.to)] = { topic: m.topic, payload: m.payload };\nout[targets.length] = { req: msg.req, res: msg.res, payload: 'ok' };\nreturn out;`,
      wires: [...targets.map((t) => [`${t}${suffix}`]), ['feed.out']],
    },
    { id: 'feed.out', type: 'http response', z: 'tab', x: 500, y: 300, wires: [] },
  ];
}

function flows(suffix = '') {
  return [{ id: 'tab', type: 'tab', label: 'sidebar' }, { id: 'model', type: 'twin-model', name: 'plant model', model }, ...twinNodes(suffix), ...feedNodes(suffix)];
}

describe('twin sidebar: admin endpoints, auth and comms (real Node-RED)', function () {
  this.timeout(120000);
  let red;
  let userDir;
  let token;
  let viewerToken;

  const url = (p) => `${red.url}${p}`;
  const authed = (t = token) => ({ Authorization: `Bearer ${t}` });

  async function login(username, scope = '*') {
    const res = await fetch(url('/auth/token'), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ client_id: 'node-red-admin', grant_type: 'password', scope, username, password }),
    });
    assert.equal(res.status, 200, `login ${username}: ${res.status}`);
    return (await res.json()).access_token;
  }

  async function deploy(flowList) {
    const res = await fetch(url('/flows'), { method: 'POST', headers: { ...authed(), 'Content-Type': 'application/json', 'Node-RED-Deployment-Type': 'full' }, body: JSON.stringify(flowList) });
    assert.ok(res.status === 200 || res.status === 204, `deploy: ${res.status} ${await res.text()}`);
  }

  async function feed(to, topic, payload) {
    const res = await fetch(url('/feed'), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ to, topic, payload }) });
    assert.equal(res.status, 200, `feed ${to}: ${res.status}`);
  }

  async function summary() {
    const res = await fetch(url('/twinloop/twin'), { headers: authed() });
    assert.equal(res.status, 200);
    return res.json();
  }

  /** Polls the summary until `check` holds (returns it), failing with the last one seen. */
  async function summaryUntil(check, what, timeoutMs = 15000) {
    const deadline = Date.now() + timeoutMs;
    let last;
    while (Date.now() < deadline) {
      last = await summary();
      if (check(last)) return last;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`timed out waiting for ${what}; last summary: ${JSON.stringify(last).slice(0, 2000)}`);
  }

  const sample = (asset, signal, value, extra = {}) => ({ asset, signal, value, unit: null, quality: 'good', sourceTime: Date.now(), ...extra });

  before(async function () {
    const port = await freePort();
    userDir = makeUserDir('twinloop-sidebar-', settings(port));
    red = new NodeRedProcess(userDir, port);
    await red.start();
    token = await login('admin');
    viewerToken = await login('viewer', 'read');
    await deploy(flows());
  });

  after(async () => {
    await red?.stop();
    await stopAll();
    if (userDir) fs.rmSync(userDir, { recursive: true, force: true });
  });

  it('loads the plugin: the editor gets its sidebar html', async function () {
    const res = await fetch(url('/plugins'), { headers: { ...authed(), Accept: 'text/html' } });
    assert.equal(res.status, 200);
    const html = await res.text();
    assert.match(html, /RED\.plugins\.registerPlugin\('twinloop-sidebar'/);
    assert.match(html, /RED\.sidebar\.addTab\(/);
    assert.doesNotMatch(html, /<script[^>]+src=["']https?:/, 'no external script');
    const list = await (await fetch(url('/plugins'), { headers: { ...authed(), Accept: 'application/json' } })).json();
    const plugin = list.find((p) => p.id === '@twinloop/node-red-factory-twin/twinloop-sidebar');
    assert.ok(plugin, JSON.stringify(list));
    assert.equal(plugin.err, undefined, `plugin error: ${plugin.err}`);
    assert.equal(plugin.enabled, true);
  });

  it('refuses the endpoints without a token (401) and answers with one', async function () {
    for (const p of ['/twinloop/twin', `/twinloop/twin/history?key=${encodeURIComponent(TEMP)}`, `/twinloop/twin/history/${encodeURIComponent(TEMP)}`]) {
      assert.equal((await fetch(url(p))).status, 401, `${p} without a token`);
      assert.equal((await fetch(url(p), { headers: authed('not-a-token') })).status, 401, `${p} with a wrong token`);
      assert.equal((await fetch(url(p), { headers: authed() })).status, 200, `${p} as admin`);
      assert.equal((await fetch(url(p), { headers: authed(viewerToken) })).status, 200, `${p} as a read-only user`);
    }
  });

  it('returns the signals with freshness, deviation, the simulated values and the gate state', async function () {
    // Samples: the oven into state, simulator and deviation; a queue that goes stale; a bad-quality one.
    for (let i = 0; i < 8; i++) {
      const t = Date.now();
      await feed('deviation', TEMP, sample('line1/oven', 'temperature', 60 + (i % 2) * 0.1, { sourceTime: t }));
    }
    await feed('state', QUEUE, sample('line1/press', 'queue', 4));
    await feed('state', 'line1/press/door', sample('line1/press', 'door', 1, { quality: 'bad' }));
    await feed('state', TEMP, sample('line1/oven', 'temperature', 61.25, { unit: 'degC' }));
    await feed('state', POWER, sample('line1/oven', 'power', 2, { unit: 'kW' }));
    await feed('sim', TEMP, sample('line1/oven', 'temperature', 61.25));
    await feed('sim', POWER, sample('line1/oven', 'power', 2));
    // The gate sees the present settings, then gets a candidate: a rollout starts.
    for (const m of machines) await feed('gate', `${m}/speedSetpoint`, sample(m, 'speedSetpoint', 100));
    await feed('gate', 'candidate', candidate);

    const s = await summaryUntil(
      (x) => x.signals.some((g) => g.key === TEMP && g.simulated !== null && g.severity !== null) && x.signals.some((g) => g.key === QUEUE && g.freshness === 'stale') && x.gates[0]?.rollouts.length === 1,
      'state, deviation, simulation and a rollout',
    );
    assert.equal(s.format, 'twinloop-twin');
    assert.deepEqual(s.nodes.map((n) => `${n.kind}:${n.id}`).sort(), ['deviation:deviation', 'gate:gate', 'simulator:sim', 'state:state']);
    assert.deepEqual(s.nodes.filter((n) => n.error), [], 'every node answered');
    const temp = s.signals.find((g) => g.key === TEMP);
    assert.equal(temp.value, 61.25);
    assert.equal(temp.unit, 'degC');
    assert.equal(temp.quality, 'good');
    assert.equal(temp.freshness, 'fresh');
    assert.equal(temp.stale, false);
    assert.ok(temp.ageMs >= 0 && temp.ageMs < 60000, `age ${temp.ageMs}`);
    assert.equal(typeof temp.score, 'number');
    assert.ok(['ok', 'warning', 'alarm'].includes(temp.severity));
    assert.equal(temp.driftState, 'none');
    assert.equal(typeof temp.simulated, 'number');
    assert.ok(temp.simulatedTime > temp.sourceTime, 'a prediction is due one horizon after the newest sample');
    assert.deepEqual(temp.from, { state: 'state', deviation: 'deviation', simulator: 'sim' });
    assert.equal(s.signals.find((g) => g.key === QUEUE).freshness, 'stale');
    assert.equal(s.signals.find((g) => g.key === 'line1/press/door').freshness, 'bad');
    assert.ok(s.totals.fresh >= 2 && s.totals.stale >= 1 && s.totals.bad === 1, JSON.stringify(s.totals));
    // The model: its assets (with floor-plan positions) and revision.
    assert.deepEqual(s.models, [{ id: 'model', name: 'plant model', revision: 3, states: ['state'] }]);
    assert.deepEqual(s.assets.find((a) => a.path === 'line1/oven'), { path: 'line1/oven', name: 'oven', kind: 'machine', position: { x: 2, y: 3 }, model: 'model' });
    assert.equal(s.assets.find((a) => a.path === 'line1/press').position, null);
    // The gate: the running rollout, its step and share, and the verdict.
    const gate = s.gates[0];
    assert.equal(gate.id, 'gate');
    const r = gate.rollouts[0];
    assert.equal(r.candidateId, 'c-sidebar');
    assert.ok(['applying', 'verifying', 'observing'].includes(r.state), r.state);
    assert.deepEqual([r.step.index, r.step.of, r.step.share], [0, 2, 0.5]);
    assert.equal(r.trust.verdict, 'pass');
    assert.deepEqual(gate.lastVerdict && [gate.lastVerdict.candidateId, gate.lastVerdict.verdict], ['c-sidebar', 'pass']);
    assert.equal(s.totals.rollouts, 1);

    // The chart's history: actual and simulated points of the oven temperature.
    const history = await (await fetch(url(`/twinloop/twin/history?key=${encodeURIComponent(TEMP)}`), { headers: authed() })).json();
    assert.equal(history.key, TEMP);
    assert.equal(history.known, true);
    assert.ok(history.actual.some((p) => p.v === 61.25), JSON.stringify(history.actual));
    assert.ok(history.simulated.length >= 1 && history.simulated.every((p) => typeof p.t === 'number' && typeof p.v === 'number'));
    const same = await (await fetch(url(`/twinloop/twin/history/${encodeURIComponent(TEMP)}`), { headers: authed() })).json();
    assert.equal(same.key, TEMP);
    assert.equal((await fetch(url('/twinloop/twin/history'), { headers: authed() })).status, 400, 'no key');
  });

  it('publishes the summary on comms topic twinloop/twin to an authenticated subscriber within 3 s', async function () {
    const wsUrl = `${red.url.replace(/^http/, 'ws')}/comms`;
    // Without a token the connection is refused the summary.
    const refused = await commsMessages(wsUrl, null, 1500);
    assert.ok(refused.authFailed || !refused.summaries.length, 'no summary without auth');
    const started = Date.now();
    const got = await commsMessages(wsUrl, token, 3000, (m) => m.length >= 1);
    assert.ok(got.summaries.length >= 1, `no summary within 3 s (${JSON.stringify(got.other).slice(0, 500)})`);
    assert.ok(Date.now() - started < 3500);
    const s = got.summaries[0];
    assert.equal(s.format, 'twinloop-twin');
    assert.ok(s.signals.some((g) => g.key === TEMP));
    // The comms summary carries exactly the endpoint's fields.
    const fromEndpoint = await summary();
    assert.deepEqual(Object.keys(s).sort(), Object.keys(fromEndpoint).sort());
    assert.deepEqual(Object.keys(s.signals[0]).sort(), Object.keys(fromEndpoint.signals[0]).sort());
  });

  it('after a redeploy holds only the new nodes (no leak)', async function () {
    await deploy(flows('.v2'));
    const s = await summaryUntil((x) => x.nodes.length === 4 && x.nodes.every((n) => n.id.endsWith('.v2')), 'only the new nodes');
    assert.deepEqual(s.nodes.map((n) => n.id).sort(), ['deviation.v2', 'gate.v2', 'sim.v2', 'state.v2']);
    // The same ids deployed again (a full redeploy re-creates every node): still four entries.
    await deploy(flows('.v2'));
    await new Promise((r) => setTimeout(r, 300));
    const again = await summary();
    assert.deepEqual(again.nodes.map((n) => n.id).sort(), ['deviation.v2', 'gate.v2', 'sim.v2', 'state.v2']);
    // No TwinLoop node at all: an empty summary, also told to the editors over comms.
    const heard = commsMessages(`${red.url.replace(/^http/, 'ws')}/comms`, token, 5000, (m) => m.some((x) => x.nodes.length === 0));
    await new Promise((r) => setTimeout(r, 300));
    await deploy([{ id: 'tab', type: 'tab', label: 'empty' }]);
    const empty = await summaryUntil((x) => x.nodes.length === 0, 'no nodes');
    assert.deepEqual(empty.signals, []);
    assert.deepEqual(empty.gates, []);
    const told = await heard;
    assert.ok(told.summaries.some((x) => x.nodes.length === 0 && x.signals.length === 0), 'the empty summary over comms');
  });
});

/**
 * Connects to /comms like the editor does ({auth: token} first, then {subscribe: topic}) and
 * collects what arrives on "twinloop/twin" for up to `ms` (or until `enough(summaries)`).
 */
function commsMessages(wsUrl, accessToken, ms, enough = () => false) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl);
    const result = { summaries: [], other: [], authFailed: false };
    const finish = () => {
      clearTimeout(timer);
      ws.removeAllListeners();
      ws.on('error', () => {});
      ws.terminate();
      resolve(result);
    };
    const timer = setTimeout(finish, ms);
    ws.on('open', () => {
      if (accessToken) ws.send(JSON.stringify({ auth: accessToken }));
      else ws.send(JSON.stringify({ subscribe: 'twinloop/twin' }));
    });
    ws.on('message', (data) => {
      let parsed;
      try {
        parsed = JSON.parse(String(data));
      } catch {
        return;
      }
      for (const m of Array.isArray(parsed) ? parsed : [parsed]) {
        if (m.auth === 'ok') ws.send(JSON.stringify({ subscribe: 'twinloop/twin' }));
        else if (m.auth === 'fail') result.authFailed = true;
        else if (m.topic === 'twinloop/twin') result.summaries.push(m.data);
        else result.other.push(m);
      }
      if (enough(result.summaries)) finish();
    });
    ws.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}
