'use strict';
/**
 * twin-state and twin-deviation persistence across a real Node-RED restart: a Node-RED process with the
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

function deviationFlows() {
  return [
    { id: 'tab', type: 'tab', label: 'restart' },
    { id: 'learn', type: 'inject', z: 'tab', props: [], repeat: '', once: false, x: 100, y: 40, wires: [['generate']] },
    {
      id: 'generate', type: 'function', z: 'tab', outputs: 1, x: 300, y: 40, wires: [['deviation']],
      func: "const t0 = Date.now() - 200000; return [Array.from({ length: 150 }, (_, i) => ({ topic: 'l1/oven1/temperature', payload: { asset: 'l1/oven1', signal: 'temperature', value: 80 + Math.sin(i) * 0.2, sourceTime: t0 + i * 1000 } }))];",
    },
    { id: 'deviation', type: 'twin-deviation', z: 'tab', warmup: 100, persist: true, x: 500, y: 60, wires: [['answer'], [], []] },
    { id: 'answer', type: 'switch', z: 'tab', property: 'res', propertyType: 'msg', rules: [{ t: 'nnull' }], checkall: 'true', outputs: 1, x: 650, y: 60, wires: [['response']] },
    { id: 'query', type: 'http in', z: 'tab', url: '/twin/score', method: 'get', x: 100, y: 160, wires: [['sample']] },
    { id: 'sample', type: 'change', z: 'tab', rules: [{ t: 'set', p: 'payload', pt: 'msg', to: '{"asset":"l1/oven1","signal":"temperature","value":80.1}', tot: 'json' }], x: 300, y: 160, wires: [['deviation']] },
    { id: 'response', type: 'http response', z: 'tab', x: 800, y: 160, wires: [] },
  ];
}

describe('state kept across a real Node-RED restart (localfilesystem context)', function () {
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
  afterEach(async function () {
    await stopNodeRed();
  });
  after(async function () {
    await stopNodeRed();
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  it('twin-deviation keeps what it learned through a restart', async function () {
    fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(deviationFlows()));
    fs.rmSync(path.join(userDir, 'context'), { recursive: true, force: true });
    await startNodeRed();
    const score = async () => {
      const res = await fetch(`http://127.0.0.1:${port}/twin/score`);
      assert.equal(res.status, 200);
      return res.json();
    };
    assert.equal((await fetch(`http://127.0.0.1:${port}/inject/learn`, { method: 'POST' })).status, 200);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await score()).learning, false, '150 samples later the warm-up is over');
    await stopNodeRed();
    await startNodeRed();
    assert.equal((await score()).learning, false, 'after the restart it still knows the signal');
    await stopNodeRed();
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
