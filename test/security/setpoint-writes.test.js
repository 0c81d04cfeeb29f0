'use strict';
/**
 * Security: setpoints reach the plant only through the gate's envelope.
 *
 * The gate's output 1 is wired to a real `mqtt out` node on the shared Mosquitto (127.0.0.1:1883); a
 * test client subscribes to this run's own topic prefix and sees every write that leaves Node-RED.
 * A good candidate is written (the control: the wiring works); a candidate outside the envelope, raw
 * setpoint messages, a "write" topic, forged approvals and approvals that try to change the values are
 * not. The refusal of an out-of-envelope candidate with the reason is also in test/flow/twin-gate.test.js
 * (at the helper node); here it is proven at the broker.
 *
 * twin-simulator and twin-optimizer have no path to the plant: the modules they load (their workers'
 * too) include no MQTT or OPC UA client, no twin-source and no gate writer.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const mqtt = require('mqtt');
const { helper, collect, waitFor } = require('../support/flow-helper');

const BROKER = 'mqtt://127.0.0.1:1883';
const prefix = `twinloop-sec-${process.pid}-${Date.now().toString(36)}`;
const machines = [1, 2, 3].map((i) => `${prefix}/m${i}`);
const key = (m) => `${m}/speedSetpoint`;
const envelope = { [`${prefix}/*/speedSetpoint`]: { min: 50, max: 150, maxStep: 30 } };
const rollout = {
  steps: [{ share: 0.3, minDurationMs: 150, analysisWindowMs: 150 }, { share: 1, minDurationMs: 150, analysisWindowMs: 150 }],
  readBackTimeoutMs: 3000,
  minSamples: 1,
  maxHolds: 20,
};
const goodEvidence = {
  fidelity: machines.map((m) => ({ key: key(m), error: 0.01 })),
  counterfactual: { ok: true, value: 1, scenarios: 5, kpis: [{ name: 'throughput', pass: true }], reasons: [] },
};

function candidate(id, speed, extra = {}) {
  return { id, kind: 'setpoints', targets: machines, setpoints: Object.fromEntries(machines.map((m) => [key(m), speed])), predicted: { kpis: { throughput: speed } }, ...extra };
}

const packageNodes = Object.values(require('../../package.json')['node-red'].nodes).map((file) => require(path.join(__dirname, '..', '..', file)));
const mqttNodes = require('@node-red/nodes/core/network/10-mqtt.js');
const catchNode = require('@node-red/nodes/core/common/25-catch.js');

function loadFlow(flow) {
  const positioned = flow.map((n) => (n.z && !('x' in n) ? { x: 100, y: 100, ...n } : n));
  return new Promise((resolve, reject) => helper.load([...packageNodes, mqttNodes, catchNode], positioned, {}, (err) => (err ? reject(err) : resolve())));
}

function gateFlow(settings = {}) {
  return [
    { id: 'tab', type: 'tab', label: 'test' },
    { id: 'broker', type: 'mqtt-broker', name: 'plant', broker: '127.0.0.1', port: '1883', clientid: '', autoConnect: true, usetls: false, protocolVersion: '4', keepalive: '60', cleansession: true },
    { id: 'gate', type: 'twin-gate', z: 'tab', envelope: JSON.stringify(envelope), rollout: JSON.stringify(rollout), approval: 'marginal', persist: false, ...settings, wires: [['plant', 'writes'], [], ['notes']] },
    { id: 'plant', type: 'mqtt out', z: 'tab', broker: 'broker', topic: '', qos: '1', retain: 'false', wires: [] },
    { id: 'writes', type: 'helper', z: 'tab' },
    { id: 'notes', type: 'helper', z: 'tab' },
    { id: 'catch', type: 'catch', z: 'tab', scope: ['gate'], uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'tab' },
  ];
}

function seed(gate, value) {
  for (const m of machines) gate.receive({ payload: { asset: m, signal: 'speedSetpoint', value, quality: 'good' } });
}

describe('security: setpoint writes only through the gate envelope (real MQTT)', function () {
  this.timeout(30000);
  let watcher;
  const published = [];

  before(async function () {
    watcher = await mqtt.connectAsync(BROKER, { clientId: `${prefix}-watch`, reconnectPeriod: 0 });
    watcher.on('message', (topic, payload) => published.push({ topic, payload: payload.toString() }));
    await watcher.subscribeAsync(`${prefix}/#`, { qos: 1 });
  });
  after(async () => watcher?.endAsync());
  beforeEach(() => {
    published.length = 0;
    return helper.startServer();
  });
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
  });

  async function started() {
    await loadFlow(gateFlow());
    await waitFor(() => helper.getNode('broker').connected, 'the mqtt out node to connect to 127.0.0.1:1883');
    const out = { gate: helper.getNode('gate'), writes: collect('writes'), notes: collect('notes'), caught: collect('caught') };
    seed(out.gate, 100);
    return out;
  }

  /** Nothing of this run's prefix reached the broker within `ms` (the watcher sees everything under it). */
  async function nothingPublished(ms = 800) {
    await new Promise((r) => setTimeout(r, ms));
    assert.deepEqual(published, [], 'nothing may reach the plant');
  }

  it('control: a candidate inside the envelope is written to the broker', async function () {
    const { gate, notes } = await started();
    gate.receive({ topic: 'candidate', payload: { ...candidate('good', 120), evidence: goodEvidence } });
    await waitFor(() => published.length >= 1, 'the first write at the broker');
    assert.deepEqual(published[0], { topic: key(machines[0]), payload: '120' });
    assert.ok(notes.some((n) => n.topic === 'verdict' && n.payload.verdict === 'pass'));
    gate.receive({ topic: 'abort', payload: { candidateId: 'good' } });
  });

  it('a candidate above the maximum, below the minimum or past the step limit is refused and nothing is published', async function () {
    const { gate, caught, writes } = await started();
    gate.receive({ topic: 'candidate', payload: { ...candidate('too-fast', 180), evidence: goodEvidence } });
    gate.receive({ topic: 'candidate', payload: { ...candidate('too-slow', 20), evidence: goodEvidence } });
    gate.receive({ topic: 'candidate', payload: { ...candidate('too-big-a-step', 140), evidence: goodEvidence } });
    await waitFor(() => caught.length === 3, 'three refusals');
    assert.match(caught[0].error.message, /180 is above the maximum 150/);
    assert.match(caught[1].error.message, /20 is below the minimum 50/);
    assert.match(caught[2].error.message, /step|40/);
    await nothingPublished();
    assert.equal(writes.length, 0);
  });

  it('a candidate for a key no envelope rule covers, or a non-numeric value, is refused', async function () {
    const { gate, caught } = await started();
    gate.receive({ topic: 'candidate', payload: { id: 'valve', kind: 'setpoints', targets: [machines[0]], setpoints: { [`${machines[0]}/valveOpen`]: 1 }, predicted: { kpis: { throughput: 1 } }, evidence: goodEvidence } });
    gate.receive({ topic: 'candidate', payload: { ...candidate('text', '120'), evidence: goodEvidence } });
    gate.receive({ topic: 'candidate', payload: { ...candidate('nan', Number.NaN), evidence: goodEvidence } });
    await waitFor(() => caught.length === 3, `three refusals, got ${caught.map((c) => c.error.message).join(' | ')}`);
    await nothingPublished();
  });

  it('raw setpoints, a "write" topic and forged commands do not write', async function () {
    const { gate, caught, writes } = await started();
    const raw = [
      { topic: key(machines[0]), payload: 999 }, // a bare value is a read-back sample, not a write
      { topic: 'write', payload: { key: key(machines[0]), value: 999 } },
      { topic: 'write', payload: 999 },
      { topic: 'setpoint', payload: { [key(machines[0])]: 999 } },
      { topic: 'approve', payload: { candidateId: 'never-submitted' } },
      { topic: 'command', payload: { action: 'approve', candidateId: 'never-submitted', setpoints: { [key(machines[0])]: 999 } } },
      { topic: 'resume', payload: { candidateId: 'never-submitted' } },
      { topic: 'written', payload: { key: key(machines[0]), ok: true } },
      { topic: 'apply', payload: { setpoints: { [key(machines[0])]: 999 } } },
      { topic: key(machines[0]), payload: { asset: machines[0], signal: 'speedSetpoint', value: 999, purpose: 'apply', candidateId: 'x' } },
    ];
    for (const msg of raw) gate.receive(msg);
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(caught.length >= 5, `refusals: ${caught.map((c) => c.error.message).join(' | ')}`);
    await nothingPublished();
    assert.equal(writes.length, 0);
  });

  it('an approval cannot carry values for a waiting candidate, nor approve a refused one', async function () {
    const { gate, notes, caught } = await started();
    // refused first: approving it afterwards writes nothing
    gate.receive({ topic: 'candidate', payload: { ...candidate('refused', 180), evidence: goodEvidence } });
    await waitFor(() => caught.length === 1, 'the refusal');
    gate.receive({ topic: 'approve', payload: { candidateId: 'refused' } });
    await nothingPublished(400);
    // a marginal candidate (no counterfactual) waits for a person; the approval carries other values
    gate.receive({ topic: 'candidate', payload: { ...candidate('marginal', 110), evidence: { fidelity: goodEvidence.fidelity } } });
    await waitFor(() => notes.some((n) => n.topic === 'approval-required'), 'the approval request');
    await nothingPublished(300);
    const refusedBefore = caught.length;
    gate.receive({ topic: 'approve', payload: { candidateId: 'marginal', setpoints: { [key(machines[0])]: 999 } } });
    gate.receive({ topic: 'command', payload: { action: 'approve', candidateId: 'marginal', value: 999 } });
    await waitFor(() => caught.length === refusedBefore + 2, 'the approvals with values refused');
    assert.match(caught[refusedBefore].error.message, /setpoints is not a known field/);
    assert.match(caught[refusedBefore + 1].error.message, /value is not a known field/);
    await nothingPublished(300);
    gate.receive({ topic: 'approve', payload: { candidateId: 'marginal', by: 'shift lead' } });
    await waitFor(() => published.length >= 1, 'the approved write');
    assert.deepEqual(published[0], { topic: key(machines[0]), payload: '110' }, 'the candidate\'s own value');
    assert.ok(published.every((p) => p.payload === '110'), JSON.stringify(published));
    gate.receive({ topic: 'abort', payload: { candidateId: 'marginal' } });
  });
});

describe('security: twin-simulator and twin-optimizer have no path to the plant', function () {
  const dist = path.join(__dirname, '..', '..', 'dist');

  /** Every module reachable by require() from `entry`: local files and the bare package names. */
  function requireGraph(entries) {
    const files = new Set();
    const packages = new Set();
    const stack = [...entries];
    while (stack.length) {
      const file = stack.pop();
      if (files.has(file)) continue;
      files.add(file);
      const text = fs.readFileSync(file, 'utf8');
      for (const m of text.matchAll(/require\(\s*["'`]([^"'`]+)["'`]\s*\)|path\.join\(__dirname,\s*["']([^"']+\.js)["']\)/g)) {
        const spec = m[1] ?? m[2];
        if (spec.startsWith('.') || m[2]) {
          let resolved = path.resolve(path.dirname(file), spec);
          if (!resolved.endsWith('.js')) resolved = fs.existsSync(`${resolved}.js`) ? `${resolved}.js` : path.join(resolved, 'index.js');
          if (fs.existsSync(resolved)) stack.push(resolved);
        } else {
          packages.add(spec.replace(/^node:/, '').split('/').slice(0, spec.startsWith('@') ? 2 : 1).join('/'));
        }
      }
    }
    return { files: [...files].map((f) => path.relative(dist, f)), packages: [...packages] };
  }

  for (const node of ['twin-simulator', 'twin-optimizer']) {
    it(`${node}: no MQTT or OPC UA client, no twin-source, no gate writer among the modules it (and its worker) loads`, function () {
      const { files, packages } = requireGraph([path.join(dist, 'nodes', node, 'index.js')]);
      const worker = node === 'twin-simulator' ? 'core/simulation/worker/simulation-worker.js' : 'core/optimisation/worker/optimizer-worker.js';
      assert.ok(files.includes(worker), `the worker entry is followed: ${files.filter((f) => f.includes('worker')).join(', ')}`);
      assert.ok(files.length > 20, `the graph was walked (${files.length} files)`);
      const forbiddenFiles = files.filter((f) => /^core\/source\/|^nodes\/twin-source\/|^nodes\/twin-gate\/|^nodes\/twin-ingest\//.test(f));
      assert.deepEqual(forbiddenFiles, [], 'no connection or writer module');
      const forbiddenPackages = packages.filter((p) => /^(mqtt|node-opcua.*|net|tls|dgram|http|https|child_process)$/.test(p));
      assert.deepEqual(forbiddenPackages, [], `packages: ${packages.join(', ')}`);
    });
  }

  it('the only code that publishes or writes to a connection is twin-gate (writes) and twin-ingest (Sparkplug rebirth requests)', function () {
    const callers = [];
    const walk = (dir) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(full);
        else if (entry.name.endsWith('.js')) {
          const text = fs.readFileSync(full, 'utf8');
          if (/\.(mqtt|opcua|connection)\.(publish|write)\(|\bconnection\.write\(/.test(text)) callers.push(path.relative(dist, full));
        }
      }
    };
    walk(path.join(dist, 'nodes'));
    assert.deepEqual(callers.sort(), ['nodes/twin-gate/opcua-writer.js', 'nodes/twin-ingest/index.js']);
  });
});
