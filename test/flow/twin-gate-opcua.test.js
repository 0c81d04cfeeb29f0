'use strict';
/**
 * twin-gate writing through an OPC UA twin-source to a real node-opcua server over TCP: each
 * write is read back from the server, a rollback writes the old value and reads it back, a write
 * the server refuses ends the rollout with the old values restored.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { helper, load, collect, statuses, waitFor } = require('../support/flow-helper');
const { startOpcuaTestServer, findFreePort, nodeIdOf } = require('../support/opcua-test-server');

const tmp = path.join(__dirname, '..', '.tmp', 'flow-gate-opcua');
const key = 'line1/press1/temperatureSetpoint';
const envelope = { [key]: { min: 150, max: 220, maxStep: 30 }, 'line1/press1/temperature': { min: 0, max: 400 } };
const rollout = { steps: [{ share: 1, minDurationMs: 300, analysisWindowMs: 300 }], readBackTimeoutMs: 5000, minSamples: 1 };
const evidence = { fidelity: [{ key, error: 0.01 }], counterfactual: { ok: true, value: 1, scenarios: 5, kpis: [{ name: 'throughput', pass: true }], reasons: [] } };

function flow(endpointUrl, nodeIds, gateSettings = {}) {
  return [
    { id: 'tab', type: 'tab', label: 'test' },
    { id: 'source', type: 'twin-source', protocol: 'opcua', endpoint: endpointUrl, securityMode: 'None', securityPolicy: 'None', trustOnFirstUse: false },
    {
      id: 'gate', type: 'twin-gate', z: 'tab', persist: false, approval: 'marginal', source: 'source', nodeIds: JSON.stringify(nodeIds),
      envelope: JSON.stringify(envelope), rollout: JSON.stringify(rollout), ...gateSettings, wires: [['writes'], ['desired'], ['notes'], []],
    },
    { id: 'writes', type: 'helper', z: 'tab' },
    { id: 'desired', type: 'helper', z: 'tab' },
    { id: 'notes', type: 'helper', z: 'tab' },
    { id: 'catch', type: 'catch', z: 'tab', scope: ['gate'], uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'tab' },
  ];
}

/** A candidate predicting the throughput the press delivers at that setpoint (setpoint / 18). */
const candidate = (id, value) => ({ topic: 'candidate', payload: { id, kind: 'setpoints', targets: ['line1/press1'], setpoints: { [key]: value }, predicted: { kpis: { throughput: value / 18 } }, evidence } });

describe('twin-gate writing through an OPC UA twin-source (node-opcua server over TCP)', function () {
  this.timeout(60000);
  let server;
  let plant;
  before(async function () {
    fs.mkdirSync(tmp, { recursive: true });
    server = await startOpcuaTestServer({ port: await findFreePort(), pkiDir: path.join(tmp, 'server-pki') });
  });
  after(async function () {
    await server?.stop();
  });
  beforeEach(async function () {
    server.setValue('Setpoint', 180);
    helper.settings({ userDir: path.join(tmp, 'userdir') });
    await helper.startServer();
  });
  afterEach(async function () {
    clearInterval(plant);
    await helper.unload();
    await helper.stopServer();
  });

  /** The press reports its throughput every 20 ms: `factor` x (setpoint / 18) parts per minute. */
  function runPlant(gate, factor) {
    plant = setInterval(() => {
      const setpoint = server.variables.Setpoint.readValue().value.value;
      gate.receive({ topic: 'realised', payload: { target: 'line1/press1', kpis: { throughput: (setpoint / 18) * factor } } });
    }, 20);
  }
  const serverSetpoint = () => server.variables.Setpoint.readValue().value.value;

  async function connected() {
    await waitFor(() => helper.getNode('source').opcua.state.state.name === 'connected', 'the source to connect', 20000);
  }

  it('writes the setpoint to the server, reads it back, and completes, with nothing on output 1', async function () {
    await load(flow(server.endpointUrl, { [key]: nodeIdOf('Setpoint') }));
    const [writes, desired, notes, caught] = ['writes', 'desired', 'notes', 'caught'].map(collect);
    const gate = helper.getNode('gate');
    await connected();
    gate.receive({ payload: { key, value: 180, quality: 'good' } });
    runPlant(gate, 1);
    gate.receive(candidate('opc-1', 195));
    await waitFor(() => notes.some((n) => ['completed', 'rolled-back', 'failed'].includes(n.topic)) || caught.length > 0, 'the end', 20000);
    assert.equal(caught.length, 0, caught[0] && caught[0].error.message);
    assert.ok(notes.some((n) => n.topic === 'completed'), notes.map((n) => n.topic).join(' '));
    assert.equal(writes.length, 0, 'OPC UA keys do not go to output 1');
    assert.equal(serverSetpoint(), 195);
    assert.equal(desired[0].payload.key, key);
    gate.receive({ topic: 'audit', payload: { candidateId: 'opc-1' } });
    await waitFor(() => notes.some((n) => n.topic === 'audit'), 'audit');
    const entries = notes.find((n) => n.topic === 'audit').payload;
    const readBack = entries.find((e) => e.type === 'read-back');
    assert.equal(readBack.detail.key, key);
    assert.equal(readBack.detail.ok, true);
  });

  it('rolls back over OPC UA when reality departs: the old value is written and read back from the server', async function () {
    await load(flow(server.endpointUrl, { [key]: nodeIdOf('Setpoint') }));
    const [notes, caught] = ['notes', 'caught'].map(collect);
    const gate = helper.getNode('gate');
    await connected();
    gate.receive({ payload: { key, value: 180, quality: 'good' } });
    runPlant(gate, 0.5); // the press delivers half of what was predicted
    gate.receive(candidate('opc-2', 200));
    await waitFor(() => serverSetpoint() === 200, 'the new setpoint on the server', 10000);
    await waitFor(() => notes.some((n) => ['rolled-back', 'failed', 'completed'].includes(n.topic)), 'the end', 20000);
    assert.equal(caught.length, 0, caught[0] && caught[0].error.message);
    assert.ok(notes.some((n) => n.topic === 'rolled-back'), notes.map((n) => n.topic).join(' '));
    assert.equal(serverSetpoint(), 180, 'the old setpoint is back on the server');
    gate.receive({ topic: 'audit', payload: { candidateId: 'opc-2', type: 'read-back' } });
    await waitFor(() => notes.some((n) => n.topic === 'audit'), 'audit');
    const readBacks = notes.find((n) => n.topic === 'audit').payload.map((e) => [e.detail.value, e.detail.ok]);
    assert.deepEqual(readBacks, [[200, true], [180, true]]);
  });

  it('ends a rollout whose write the server refuses, without leaving the setpoint unknown', async function () {
    // A mapping to a read-only variable: the server refuses the write (BadNotWritable).
    await load(flow(server.endpointUrl, { [key]: nodeIdOf('Temperature') }));
    const [notes, caught] = ['notes', 'caught'].map(collect);
    const gate = helper.getNode('gate');
    await connected();
    gate.receive({ payload: { key, value: 180, quality: 'good' } });
    gate.receive(candidate('opc-3', 190));
    await waitFor(() => notes.some((n) => ['rolled-back', 'failed', 'completed', 'rejected'].includes(n.topic)), 'the end', 20000);
    assert.equal(caught.length, 0, caught[0] && caught[0].error.message);
    gate.receive({ topic: 'audit', payload: { candidateId: 'opc-3' } });
    await waitFor(() => notes.some((n) => n.topic === 'audit'), 'audit');
    const entries = notes.find((n) => n.topic === 'audit').payload;
    const written = entries.find((e) => e.type === 'written' || (e.type === 'write-failed'));
    assert.ok(written, entries.map((e) => e.type).join(' '));
    assert.match(JSON.stringify(written.detail), /BadNotWritable|refused/);
    assert.ok(!notes.some((n) => n.topic === 'completed'));
    assert.equal(serverSetpoint(), 180, 'the setpoint is where it was');
  });

  it('refuses a bad OPC UA configuration at deploy with a red status', async function () {
    await load(flow(server.endpointUrl, { [key]: 'not a node id' }));
    const seen = statuses('gate');
    await waitFor(() => seen.some((s) => s.fill === 'red'), 'a red status');
    assert.match(seen.find((s) => s.fill === 'red').text, /node id/);
  });
});
