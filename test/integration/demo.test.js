'use strict';
/**
 * `npm start` for real: scripts/start.js as a child process on free ports (Node-RED, the plant's OPC UA
 * server, and an MQTT URL nobody answers on, so the embedded broker starts; the machine's broker on
 * 1883 is left alone) with a fresh user directory. The instructions are printed; every demo signal
 * arrives over MQTT; OPC UA reads a moving temperature and a write of the heater power shows up on
 * MQTT; Node-RED serves the demo tab first and its twin state holds the plant's signals; no node logs
 * an error; SIGINT stops the whole process tree with exit code 0 and frees the ports.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const mqtt = require('mqtt');
const { OPCUAClient, AttributeIds, DataType, StatusCodes, MessageSecurityMode, SecurityPolicy } = require('node-opcua-client');
const { freePort, portAnswers } = require('../../scripts/lib/ports');

const START = path.join(__dirname, '..', '..', 'scripts', 'start.js');
const ROOT_TOPIC = 'twinloop/demo/line1';
const PRESS_SIGNALS = ['speedSetpoint', 'speed', 'running', 'queue', 'throughput', 'partsMade', 'vibration', 'temperature', 'pressure'];
const DEMO_SIGNALS = [
  'oven1/temperature', 'oven1/heaterPower', 'oven1/energy',
  ...PRESS_SIGNALS.map((s) => `press1/${s}`),
  ...PRESS_SIGNALS.map((s) => `press2/${s}`),
];

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(predicate, what, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await predicate();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(200);
  }
}

/** Three different free ports (the kernel may hand out a port again once it was released). */
async function threeFreePorts() {
  const ports = new Set();
  while (ports.size < 3) ports.add(await freePort());
  return [...ports];
}

/** Whether any process of the process group `pgid` is still alive. */
function groupAlive(pgid) {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

describe('npm start: demo plant, Node-RED and the closed loop (scripts/start.js)', function () {
  this.timeout(120000);
  let redPort;
  let opcuaPort;
  let mqttPort;
  let demoDir;
  let child;
  let exited;
  let output = '';
  let subscriber;
  const seen = new Map(); // key -> [{value, unit, ts, quality}]

  before(async function () {
    [redPort, opcuaPort, mqttPort] = await threeFreePorts();
    demoDir = fs.mkdtempSync(path.join(os.tmpdir(), 'twinloop-demo-'));
    child = spawn(process.execPath, [START], {
      env: {
        ...process.env,
        PORT: String(redPort),
        TWINLOOP_OPCUA_PORT: String(opcuaPort),
        TWINLOOP_MQTT_URL: `mqtt://127.0.0.1:${mqttPort}`,
        TWINLOOP_DEMO_DIR: demoDir,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      // a process group of its own: the after hook can kill whatever is left, Node-RED included
      detached: true,
    });
    child.stdout.on('data', (d) => { output += d; });
    child.stderr.on('data', (d) => { output += d; });
    exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    await waitFor(() => /TwinLoop demo is running/.test(output) || child.exitCode !== null, 'the start banner', 60000);
    assert.equal(child.exitCode, null, `start.js exited early:\n${output}`);
  });

  after(async function () {
    subscriber?.end(true);
    if (child && groupAlive(child.pid)) {
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
      await Promise.race([exited, sleep(5000)]);
    }
    if (demoDir) fs.rmSync(demoDir, { recursive: true, force: true });
    if (this.currentTest?.state === 'failed' || process.env.TWINLOOP_TEST_VERBOSE) console.log(output);
  });

  afterEach(function () {
    if (this.currentTest.state === 'failed') console.log(`--- start.js output so far ---\n${output}`);
  });

  it('prints what to open: the editor, the demo tab, the broker (embedded) and the OPC UA endpoint', function () {
    assert.match(output, new RegExp(`no MQTT broker answered on mqtt://127\\.0\\.0\\.1:${mqttPort}: started an embedded broker`));
    assert.ok(output.includes(`Open http://127.0.0.1:${redPort}`), 'editor URL');
    assert.ok(output.includes('opens on the tab "00 - Demo plant closed loop"'), 'which tab');
    assert.ok(output.includes(`MQTT mqtt://127.0.0.1:${mqttPort} (embedded broker)`), 'broker');
    assert.ok(output.includes(`OPC UA opc.tcp://127.0.0.1:${opcuaPort}/UA/PressLine`), 'OPC UA endpoint');
    assert.ok(output.includes('re-optimise, approve / reject (when the gate asks), abort, audit'), 'buttons');
    assert.ok(output.includes('Ctrl-C stops everything'));
  });

  it('publishes every demo signal over MQTT as JSON {value, unit, ts, quality} within 60 s', async function () {
    subscriber = mqtt.connect(`mqtt://127.0.0.1:${mqttPort}`, { clientId: `demo-test-${process.pid}`, reconnectPeriod: 500 });
    subscriber.on('message', (topic, payload) => {
      if (!topic.startsWith(`${ROOT_TOPIC}/`) || topic.endsWith('/set')) return;
      const key = topic.slice(ROOT_TOPIC.length + 1);
      if (!seen.has(key)) seen.set(key, []);
      seen.get(key).push(JSON.parse(payload.toString()));
    });
    await new Promise((resolve, reject) => {
      subscriber.once('connect', resolve);
      subscriber.once('error', reject);
    });
    subscriber.subscribe(`${ROOT_TOPIC}/#`, { qos: 1 });
    await waitFor(() => DEMO_SIGNALS.every((k) => seen.has(k)), `every demo signal (missing: ${DEMO_SIGNALS.filter((k) => !seen.has(k)).join(', ')})`, 60000);
    const temperature = seen.get('oven1/temperature')[0];
    assert.equal(temperature.unit, 'degC');
    assert.equal(temperature.quality, 'good');
    assert.equal(typeof temperature.value, 'number');
    assert.ok(Math.abs(temperature.ts - Date.now()) < 10000, 'ts is the time of the sample (epoch ms)');
    assert.equal(typeof seen.get('press2/running')[0].value, 'boolean');
    assert.equal(seen.get('press1/vibration')[0].unit, 'mm/s');
    assert.equal(seen.get('press1/speedSetpoint')[0].unit, '%');
  });

  it('serves the signals over OPC UA: a moving temperature, and a heater power write that MQTT then reports', async function () {
    const client = OPCUAClient.create({
      endpointMustExist: false,
      securityMode: MessageSecurityMode.None,
      securityPolicy: SecurityPolicy.None,
      connectionStrategy: { maxRetry: 3, initialDelay: 200, maxDelay: 1000 },
    });
    await client.connect(`opc.tcp://127.0.0.1:${opcuaPort}/UA/PressLine`);
    try {
      const session = await client.createSession();
      const read = async (nodeId) => {
        const dv = await session.read({ nodeId, attributeId: AttributeIds.Value });
        assert.equal(dv.statusCode.value, StatusCodes.Good.value, `${nodeId}: ${dv.statusCode.toString()}`);
        return dv.value.value;
      };
      const first = await read('ns=1;s=Line1.Oven1.Temperature');
      const second = await waitFor(async () => {
        const v = await read('ns=1;s=Line1.Oven1.Temperature');
        return v !== first ? v : undefined;
      }, 'the oven temperature to change', 5000);
      for (const t of [first, second]) assert.ok(t > 100 && t < 260, `oven temperature ${t}`);
      assert.equal(typeof (await read('ns=1;s=Line1.Press1.Running')), 'boolean');
      assert.equal(typeof (await read('ns=1;s=Line1.Press2.Vibration')), 'number');

      const status = await session.write({ nodeId: 'ns=1;s=Line1.Oven1.HeaterPower', attributeId: AttributeIds.Value, value: { value: { dataType: DataType.Double, value: 6.25 } } });
      assert.equal(status.value, StatusCodes.Good.value, status.toString());
      assert.equal(await read('ns=1;s=Line1.Oven1.HeaterPower'), 6.25, 'read back over OPC UA');
      await waitFor(() => seen.get('oven1/heaterPower').some((m) => m.value === 6.25 && m.unit === 'kW'), 'heaterPower 6.25 on MQTT', 3000);
      await session.close();
    } finally {
      await client.disconnect();
    }
  });

  it('deploys the demo tab first, pointed at the configured broker, and Node-RED connects to it', async function () {
    const flows = await (await fetch(`http://127.0.0.1:${redPort}/flows`, { headers: { 'Node-RED-API-Version': 'v1' } })).json();
    assert.ok(Array.isArray(flows), 'GET /flows answers the flows');
    const tabs = flows.filter((n) => n.type === 'tab');
    assert.equal(tabs[0].label, '00 - Demo plant closed loop');
    assert.equal(flows[0].type, 'tab', 'the demo tab is the first node of the flows');
    assert.ok(tabs.length >= 13, `every example on a tab (${tabs.length})`);
    const demoIds = new Set(flows.filter((n) => n.z === tabs[0].id).map((n) => n.id));
    const source = flows.find((n) => n.type === 'twin-source' && n.id === 'demo00-source');
    assert.equal(source.broker, `mqtt://127.0.0.1:${mqttPort}`);
    const broker = flows.find((n) => n.type === 'mqtt-broker' && n.id === 'demo00-broker');
    assert.deepEqual([broker.broker, String(broker.port)], ['127.0.0.1', String(mqttPort)]);
    assert.ok(demoIds.has('demo00-gate') && demoIds.has('demo00-state') && demoIds.has('demo00-sim'));
    await waitFor(() => output.includes(`[mqtt-broker:demo plant MQTT (writes)] Connected to broker: mqtt://127.0.0.1:${mqttPort}`), 'the demo tab\'s mqtt out to connect', 10000);
  });

  it('the twin state of the demo tab holds every plant signal (GET /twinloop-demo/state)', async function () {
    let last;
    const signals = await waitFor(async () => {
      const res = await fetch(`http://127.0.0.1:${redPort}/twinloop-demo/state`);
      if (res.status !== 200) return undefined;
      last = await res.json();
      const keys = new Set(last.map((s) => s.key));
      return DEMO_SIGNALS.every((k) => keys.has(`${ROOT_TOPIC}/${k}`)) ? last : undefined;
    }, 'twin state to hold every demo signal', 30000).catch((err) => {
      throw new Error(`${err.message}; last answer: ${JSON.stringify(last)?.slice(0, 2000)}`);
    });
    const temperature = signals.find((s) => s.key === `${ROOT_TOPIC}/oven1/temperature`);
    assert.equal(temperature.unit, 'degC');
    assert.equal(temperature.quality, 'good');
    assert.equal(temperature.stale, false);
    assert.equal(typeof temperature.value, 'number');
    const power = signals.find((s) => s.key === `${ROOT_TOPIC}/oven1/heaterPower`);
    assert.equal(power.unit, 'kW');
  });

  it('closes the loop: re-optimise on the twin, the gate writes the new heater power over MQTT, the plant applies it', async function () {
    // Back to the plant's starting 8.5 kW (the OPC UA test wrote 6.25), as an operator would over MQTT.
    subscriber.publish(`${ROOT_TOPIC}/oven1/heaterPower/set`, '8.5', { qos: 1 });
    await waitFor(async () => {
      const res = await fetch(`http://127.0.0.1:${redPort}/twinloop-demo/state`);
      const power = (await res.json()).find((s) => s.key === `${ROOT_TOPIC}/oven1/heaterPower`);
      return power && power.value === 8.5;
    }, 'the twin state to see 8.5 kW', 10000);
    const writes = [];
    subscriber.on('message', (topic, payload) => {
      if (topic === `${ROOT_TOPIC}/oven1/heaterPower/set`) writes.push(Number(payload.toString()));
    });
    const pressed = await fetch(`http://127.0.0.1:${redPort}/inject/demo00-reoptimise`, { method: 'POST' });
    assert.equal(pressed.status, 200, 'the re-optimise button');
    // least power that keeps 180 degC: 20 + 0.9 P / 0.04 >= 180 -> P >= 7.11 kW
    const written = await waitFor(() => writes.find((v) => v !== 8.5), 'the gate to write a new heater power to .../heaterPower/set', 20000);
    assert.ok(written > 6.9 && written < 7.5, `written ${written} kW`);
    await waitFor(() => seen.get('oven1/heaterPower').some((m) => m.value === written), 'the plant to apply and report the written heater power', 5000);
    assert.match(output, new RegExp(`oven1/heaterPower = ${String(written).replace('.', '\\.')} \\(written over MQTT\\)`));
  });

  it('no node logged an error', function () {
    const errors = output.split('\n').filter((line) => /\[error\]/.test(line));
    assert.deepEqual(errors, []);
  });

  it('SIGINT stops Node-RED, the plant, the broker and the OPC UA server within 10 s, exit code 0, ports free', async function () {
    subscriber?.end(true);
    subscriber = undefined;
    const t0 = Date.now();
    child.kill('SIGINT');
    const result = await Promise.race([exited, sleep(10000).then(() => 'timeout')]);
    assert.notEqual(result, 'timeout', 'start.js did not exit within 10 s of SIGINT');
    assert.deepEqual(result, { code: 0, signal: null });
    await waitFor(() => !groupAlive(child.pid), 'every process of the demo (Node-RED too) to exit', Math.max(500, 10000 - (Date.now() - t0)));
    for (const port of [redPort, opcuaPort, mqttPort]) assert.equal(await portAnswers(port), false, `port ${port} still answers`);
    assert.match(output, /TwinLoop demo stopped\./);
  });
});
