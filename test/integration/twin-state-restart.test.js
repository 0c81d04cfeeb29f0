'use strict';
/**
 * twin-state persistence across a real Node-RED restart: a Node-RED process with the
 * localfilesystem context store (the settings line the README shows), samples in, a clean stop,
 * a start with a changed model, and a query over HTTP: what still matches the model is kept.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { freePort } = require('../../scripts/lib/ports');
const { linkPackageInto } = require('../../scripts/start');

function model(signals, revision) {
  return {
    schemaVersion: 1, revision, name: 'restart test', relationships: [],
    assets: [{ name: 'line1', kind: 'line', parameters: [], signals: [], children: [{ name: 'press1', kind: 'machine', children: [], parameters: [], signals }] }],
  };
}

function flows(twinModel) {
  const inject = (id, topic, payload, y) => ({ id, type: 'inject', z: 'tab', props: [{ p: 'payload' }, { p: 'topic', vt: 'str' }], topic, payload, payloadType: 'num', repeat: '', once: false, x: 100, y, wires: [['ingest']] });
  return [
    { id: 'tab', type: 'tab', label: 'restart' },
    inject('inj.temperature', 'line1/press1/temperature', '77.5', 40),
    inject('inj.pressure', 'line1/press1/pressure', '6.25', 80),
    { id: 'ingest', type: 'twin-ingest', z: 'tab', x: 300, y: 60, wires: [['state']] },
    { id: 'model', type: 'twin-model', name: 'm', model: twinModel },
    { id: 'state', type: 'twin-state', z: 'tab', model: 'model', unknownSignals: 'error', persist: true, fidelityInterval: 0, x: 500, y: 60, wires: [[], [], ['response']] },
    { id: 'query', type: 'http in', z: 'tab', url: '/twin/state', method: 'get', x: 100, y: 160, wires: [['ask']] },
    { id: 'ask', type: 'change', z: 'tab', rules: [{ t: 'set', p: 'topic', pt: 'msg', to: 'get', tot: 'str' }, { t: 'set', p: 'payload', pt: 'msg', to: '**', tot: 'str' }], x: 300, y: 160, wires: [['state']] },
    { id: 'response', type: 'http response', z: 'tab', x: 700, y: 160, wires: [] },
  ];
}

describe('twin-state across a real Node-RED restart (localfilesystem context)', function () {
  this.timeout(90000);
  let userDir;
  let port;
  let nodeRed;

  async function startNodeRed() {
    nodeRed = spawn(process.execPath, [require.resolve('node-red/red.js'), '--userDir', userDir, '--port', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    nodeRed.stdout.on('data', (d) => { log += d; });
    nodeRed.stderr.on('data', (d) => { log += d; });
    const deadline = Date.now() + 30000;
    while (Date.now() < deadline) {
      if (/Started flows/.test(log)) return;
      if (nodeRed.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`Node-RED did not start:\n${log}`);
  }

  async function stopNodeRed() {
    if (!nodeRed || nodeRed.exitCode !== null) return;
    const exited = new Promise((resolve) => nodeRed.once('exit', resolve));
    nodeRed.kill('SIGINT');
    const killer = setTimeout(() => nodeRed.kill('SIGKILL'), 15000);
    await exited;
    clearTimeout(killer);
  }

  async function query() {
    const res = await fetch(`http://127.0.0.1:${port}/twin/state`);
    assert.equal(res.status, 200);
    return Object.fromEntries((await res.json()).map((s) => [s.key, s.value]));
  }

  before(async function () {
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'twinloop-restart-'));
    port = await freePort();
    linkPackageInto(userDir, 'twinloop-restart-test');
    fs.writeFileSync(path.join(userDir, 'settings.js'), `module.exports = {
      uiHost: '127.0.0.1', flowFile: 'flows.json', credentialSecret: false,
      contextStorage: { default: { module: 'localfilesystem' } },
      logging: { console: { level: 'info' } },
    };\n`);
  });
  after(async function () {
    await stopNodeRed();
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  it('keeps the state through a restart, and keeps only what still matches a changed model', async function () {
    const first = model([{ name: 'temperature', unit: 'degC', maxAgeMs: 600000 }, { name: 'pressure', unit: 'bar', maxAgeMs: 600000 }], 1);
    fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(flows(first)));
    await startNodeRed();
    for (const id of ['inj.temperature', 'inj.pressure']) {
      const res = await fetch(`http://127.0.0.1:${port}/inject/${id}`, { method: 'POST' });
      assert.equal(res.status, 200);
    }
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(await query(), { 'line1/press1/temperature': 77.5, 'line1/press1/pressure': 6.25 });
    await stopNodeRed();

    // Same model: everything is back without a single new sample.
    await startNodeRed();
    assert.deepEqual(await query(), { 'line1/press1/temperature': 77.5, 'line1/press1/pressure': 6.25 });
    await stopNodeRed();

    // Changed model (pressure removed, speed added): temperature kept, pressure gone, speed known but empty.
    const second = model([{ name: 'temperature', unit: 'degC', maxAgeMs: 600000 }, { name: 'speed', unit: 'Hz', maxAgeMs: 600000 }], 2);
    fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(flows(second)));
    await startNodeRed();
    assert.deepEqual(await query(), { 'line1/press1/temperature': 77.5, 'line1/press1/speed': null });
  });
});
