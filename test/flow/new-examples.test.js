'use strict';
// Examples 13 to 15 against the running demo plant (scripts/demo: the virtual line on a private
// Mosquitto and its OPC UA server on a port of its own): each deploys without an error and real
// plant data flows through it. 13 and 15 run in node-red-node-test-helper (debug nodes become helper
// nodes with the same id); 14, the operator dashboard, runs in a real Node-RED with
// @flowfuse/node-red-dashboard, driven over the dashboard's own socket.io connection as a browser would.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const http = require('node:http');
const { helper, collect, statuses, waitFor } = require('../support/flow-helper');
const { exampleFlow, errorsOf } = require('../support/example-flows');
const { PrivateMosquitto, portAnswers } = require('../support/mosquitto');
const { NodeRedProcess, makeUserDir, stopAll } = require('../support/node-red-process');
const { startDemoPlant } = require('../../scripts/demo');

// Ports of this file's range (18840-18859), the first ones free (another run of this file may hold some).
let OPCUA_PORT;
let NODE_RED_PORT;
const OPC_UA = '13 - OPC UA machine twin.json';
const DASHBOARD = '14 - Operator dashboard.json';
const LINE = '15 - MQTT line twin.json';
const tmpBase = path.join(__dirname, '..', '.tmp', 'new-examples');
let tmp; // this run's directory under tmpBase

// The helper loads the package's nodes and the core nodes these examples use.
const nodeTypes = [
  ...Object.values(require('../../package.json')['node-red'].nodes).map((file) => require(path.join(__dirname, '..', '..', file))),
  ...['common/20-inject', 'common/21-debug', 'common/25-catch', 'common/90-comment', 'function/10-function', 'function/10-switch', 'function/15-change']
    .map((f) => require(`@node-red/nodes/core/${f}.js`)),
];

function load(flow) {
  return new Promise((resolve, reject) => helper.load(nodeTypes, flow, {}, (err) => (err ? reject(err) : resolve())));
}

/** Points an example at the test's plant, as `npm start` points the examples at its own (scripts/start.js). */
function pointAt(node, broker) {
  if (node.type === 'twin-source') {
    const out = { ...node };
    if (/^mqtt:\/\/(127\.0\.0\.1|localhost):1883\/?$/.test(node.broker || '')) out.broker = broker.url;
    if (typeof node.endpoint === 'string') out.endpoint = node.endpoint.replace(/^opc\.tcp:\/\/(127\.0\.0\.1|localhost):4840(?=\/|$)/, `opc.tcp://127.0.0.1:${OPCUA_PORT}`);
    return out;
  }
  if (node.type === 'mqtt-broker' && node.broker === '127.0.0.1' && String(node.port) === '1883') return { ...node, port: String(broker.port) };
  return node;
}

describe('examples 13 to 15 against the running demo plant', function () {
  this.timeout(180000);
  let broker;
  let plant;
  const plantLog = [];

  before(async function () {
    fs.mkdirSync(tmpBase, { recursive: true });
    tmp = fs.mkdtempSync(path.join(tmpBase, 'run-'));
    [OPCUA_PORT, NODE_RED_PORT] = await freePortsInRange(18840, 18859, 2);
    broker = new PrivateMosquitto();
    await broker.start();
    plant = await startDemoPlant({ mqttUrl: broker.url, opcuaPort: OPCUA_PORT, pkiDir: path.join(tmp, 'plant-pki'), log: (line) => plantLog.push(line) });
  });

  after(async function () {
    await stopAll();
    await plant?.stop();
    await broker?.dispose();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  /** The example as the helper loads it, pointed at this plant. */
  const testFlow = (file) => exampleFlow(file).map((n) => pointAt(n, broker));

  /** Loads the flow and checks that every node started and none reported an error. */
  async function deploy(flow) {
    await load(flow);
    await new Promise((r) => setTimeout(r, 100));
    for (const n of flow.filter((x) => x.type !== 'tab')) {
      assert.ok(helper.getNode(n.id), `node ${n.id} (${n.type}) did not start`);
      assert.deepEqual(errorsOf(n.id), [], `${n.id} reported an error on deploy`);
    }
  }

  /** No node reported an error or showed a red status since the deploy. */
  function healthy(flow) {
    for (const n of flow.filter((x) => x.type !== 'tab' && x.type !== 'helper')) {
      assert.deepEqual(errorsOf(n.id), [], `${n.id} reported an error`);
      const node = helper.getNode(n.id);
      if (!node.status?.getCalls) continue;
      const red = node.status.getCalls().filter((call) => call.thisValue === node && call.args[0]?.fill === 'red').map((call) => call.args[0].text);
      assert.deepEqual(red, [], `${n.id} showed a red status`);
    }
  }

  describe(OPC_UA, function () {
    beforeEach(async function () {
      helper.settings({ userDir: path.join(tmp, 'userdir-13') });
      await helper.startServer();
    });
    afterEach(async function () {
      await helper.unload();
      await helper.stopServer();
      helper.settings({}); // the next files start from the default settings, not this run's directory
    });

    it('follows the oven over OPC UA: twin state holds its signals, the physics twin predicts each temperature within a degree, predict answers a curve', async function () {
      const flow = testFlow(OPC_UA);
      const source = flow.find((n) => n.type === 'twin-source');
      assert.equal(source.endpoint, `opc.tcp://127.0.0.1:${OPCUA_PORT}/UA/PressLine`);
      await deploy(flow);
      const samples = collect('ex13-samples');
      const pairs = collect('ex13-pairs');
      const answers = collect('ex13-answers');
      const stateAnswers = collect('ex13-state-answers');
      const stateStatus = statuses('ex13-state');

      await waitFor(() => ['temperature', 'heaterPower', 'energy'].every((s) => samples.some((m) => m.payload.signal === s)), 'the oven\'s three signals over OPC UA', 30000);
      const t = samples.find((m) => m.payload.signal === 'temperature').payload;
      assert.equal(t.asset, 'line1/oven1');
      assert.equal(t.unit, 'degC');
      assert.equal(t.quality, 'good');
      assert.ok(Math.abs(t.value - plant.plant.value('oven1/temperature')) < 5, `${t.value} °C is what the plant measures (${plant.plant.value('oven1/temperature')})`);
      assert.equal(samples.find((m) => m.payload.signal === 'heaterPower').payload.value, plant.plant.value('oven1/heaterPower'));

      // The twin's prediction for a moment meets the plant's temperature of that moment.
      await waitFor(() => pairs.filter((m) => m.payload.predicted !== null).length >= 5, 'five temperatures scored against the twin', 30000);
      const compared = pairs.filter((m) => m.payload.predicted !== null);
      for (const m of compared) assert.ok(Math.abs(m.payload.residual) < 1, `residual ${m.payload.residual} °C (actual ${m.payload.actual}, twin ${m.payload.predicted})`);

      press('ex13-predict');
      await waitFor(() => answers.some((m) => m.topic === 'predict'), 'the 5-minute prediction');
      const curve = answers.find((m) => m.topic === 'predict').payload;
      const series = curve.signals['line1/oven1/temperature'];
      assert.ok(series && series.v.length >= 10, `a temperature curve: ${JSON.stringify(curve.signals).slice(0, 200)}`);
      assert.ok(series.v.every((v) => v > 150 && v < 260), 'the oven stays near its steady state at today\'s power');

      press('ex13-get');
      await waitFor(() => stateAnswers.some((m) => m.topic === 'get'), 'the state\'s answer to get');
      const keys = stateAnswers.find((m) => m.topic === 'get').payload.map((s) => s.key).sort();
      assert.deepEqual(keys, ['line1/oven1/energy', 'line1/oven1/heaterPower', 'line1/oven1/temperature']);
      assert.ok(stateStatus.some((s) => s.fill === 'green' && /^3 signals/.test(s.text)), JSON.stringify(stateStatus.slice(-3)));
      healthy(flow);
    });
  });

  describe(LINE, function () {
    beforeEach(() => helper.startServer());
    afterEach(async function () {
      await helper.unload();
      await helper.stopServer();
    });

    it('scores both presses from MQTT, forecasts the next minute from the line as it is now, and compares the forecast with the minute that followed', async function () {
      const flow = testFlow(LINE);
      assert.equal(flow.find((n) => n.type === 'twin-source').broker, broker.url);
      // The forecast repeats every 10 s as the example ships (the test helper's flow turns repeats off).
      Object.assign(flow.find((n) => n.id === 'ex15-forecast'), { repeat: '10', once: true, onceDelay: '2' });
      await deploy(flow);
      const scores = collect('ex15-scores');
      const answers = collect('ex15-answers');
      const comparisons = collect('ex15-comparison');
      const simStatus = statuses('ex15-sim');

      await waitFor(() => ['press1', 'press2'].every((p) => ['vibration', 'pressure', 'throughput'].every((s) => scores.some((m) => m.payload.asset === `twinloop/demo/line1/${p}` && m.payload.signal === s))), 'scores of both presses\' vibration, pressure and throughput', 20000);
      const vibration = scores.find((m) => m.payload.signal === 'vibration' && m.payload.asset.endsWith('press1')).payload;
      assert.ok(vibration.value > 0 && vibration.value < 8, `press1 vibration ${vibration.value} mm/s`);

      await waitFor(() => answers.some((m) => m.payload.label === 'next minute'), 'the first forecast', 20000);
      const forecast = answers.find((m) => m.payload.label === 'next minute').payload.line;
      assert.equal(forecast.startedFromNow, true, 'the run started from the line as it is now');
      assert.equal(forecast.replications, 10);
      const perMinute = 60 * forecast.kpis.throughput.mean;
      assert.ok(perMinute > 10 && perMinute < 45, `forecast ${perMinute} parts/min (blanks arrive at 30 a minute)`);
      assert.ok(simStatus.some((s) => s.fill === 'green'), `the line twin synchronised: ${JSON.stringify(simStatus.slice(-3))}`);

      press('ex15-faster');
      await waitFor(() => answers.some((m) => m.payload.label === 'both presses at 120 %'), 'the what-if answer');
      const faster = answers.find((m) => m.payload.label === 'both presses at 120 %').payload;
      assert.equal(faster.settings['line.Press1.processing.mean'], 1.333);
      assert.equal(faster.settings['line.Press2.processing.mean'], 1.333);
      assert.ok(faster.line.kpis['Press1.working'].mean < forecast.kpis['Press1.working'].mean, 'a faster press1 works a smaller share of the minute');

      await waitFor(() => comparisons.length >= 1, 'a forecast compared with the minute that followed', 80000);
      const c = comparisons[0].payload;
      for (const k of ['forecast', 'low', 'high', 'actual', 'error']) assert.ok(Number.isFinite(c[k]), `${k}: ${JSON.stringify(c)}`);
      assert.ok(c.low <= c.forecast && c.forecast <= c.high, JSON.stringify(c));
      assert.ok(Math.abs(c.error) < 20, `forecast ${c.forecast}, actual ${c.actual} parts/min`);
      assert.ok(scores.some((m) => m.payload.asset.endsWith('press2') && m.payload.signal === 'throughput' && m.payload.value === c.actual), `${c.actual} parts/min is a throughput press2 reported`);
      healthy(flow);
    });
  });

  describe(`${DASHBOARD} (a real Node-RED with @flowfuse/node-red-dashboard)`, function () {
    let red;
    let userDir;
    let client;

    before(async function () {
      userDir = makeUserDir('twinloop-ex14-', `module.exports = {
    uiHost: '127.0.0.1',
    flowFile: 'flows.json',
    credentialSecret: false,
    logging: { console: { level: 'info' } },
    editorTheme: { tours: false },
    telemetry: { enabled: false },
};\n`);
      // The dashboard installed in the user directory, as the palette manager would put it.
      const dashboard = path.dirname(require.resolve('@flowfuse/node-red-dashboard/package.json'));
      fs.mkdirSync(path.join(userDir, 'node_modules', '@flowfuse'), { recursive: true });
      fs.symlinkSync(dashboard, path.join(userDir, 'node_modules', '@flowfuse', 'node-red-dashboard'), 'dir');
      const nodes = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'examples', DASHBOARD), 'utf8'));
      const flows = [{ id: 'ex14-tab', type: 'tab', label: '14 - Operator dashboard' }, ...nodes.map((n) => pointAt('x' in n ? { ...n, z: 'ex14-tab' } : n, broker))];
      fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(flows));
      red = new NodeRedProcess(userDir, NODE_RED_PORT);
      await red.start(60000);
    });

    after(async function () {
      client?.close();
      await red?.stop();
      if (this.currentTest?.state === 'failed' || process.env.TWINLOOP_TEST_VERBOSE) console.log(red?.log);
      if (userDir) fs.rmSync(userDir, { recursive: true, force: true });
    });

    it('deploys with every node type known and no error; the dashboard page is served', async function () {
      assert.doesNotMatch(red.log, /Waiting for missing types/);
      assert.match(red.log, /Node-RED Dashboard 2\.0 \(v1\.\d+\.\d+\) started at \/dashboard/);
      assert.doesNotMatch(red.log, /\[error\]/, red.log);
      const page = await fetch(`${red.url}/dashboard/oven1`);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /<div id="app">/);
    });

    it('charts the plant\'s and the twin\'s temperature, and Approve / Reject reach the gate: a rejected candidate writes nothing, an approved one reaches the plant', async function () {
      client = new DashboardClient(red.url);
      await client.open();
      const chart = client.inputs('ex14-chart');
      const gaugeIn = client.inputs('ex14-trust');
      const verdict = client.inputs('ex14-verdict');
      const rollout = client.inputs('ex14-rollout');
      const residual = client.inputs('ex14-residual-text');

      await waitFor(() => ['plant', 'twin'].every((s) => chart.filter((m) => m.topic === s).length >= 3), 'plant and twin series on the chart', 30000);
      for (const m of chart) {
        assert.ok(m.payload > 150 && m.payload < 260, `${m.topic} ${m.payload} °C`);
        assert.ok(Math.abs(m.time - Date.now()) < 60000, 'plotted at the time it is for');
      }
      const plantTemperature = chart.filter((m) => m.topic === 'plant').at(-1).payload;
      assert.ok(Math.abs(plantTemperature - plant.plant.value('oven1/temperature')) < 3, `${plantTemperature} °C is what the plant reports`);
      await waitFor(() => residual.length > 0, 'twin − plant');
      assert.match(residual.at(-1).payload, /^-?\d+\.\d\d °C/);

      // Approve with nothing waiting: the gate refuses the command, the catch node shows why.
      client.click('ex14-approve');
      await waitFor(() => rollout.some((m) => /^not taken: .*no rollout is running, so "approve" does nothing/.test(m.payload)), 'the refusal on the dashboard', 10000);
      assert.equal(rollout.length, 1, JSON.stringify(rollout));

      const before = plant.plant.value('oven1/heaterPower');
      const waiting = () => rollout.filter((m) => /^waiting for Approve or Reject/.test(m.payload)).length;

      // Re-optimise, then Reject: the gate scored it (gauge, verdict) and wrote nothing.
      client.click('ex14-reoptimise');
      await waitFor(() => waiting() === 1, 'the gate to ask the operator', 60000);
      assert.equal(gaugeIn.length, 1);
      const score = gaugeIn[0].payload;
      assert.ok(typeof score === 'number' && score >= 60 && score <= 100, `trust score ${score}`);
      assert.match(verdict[0].payload, new RegExp(`^(pass|marginal) \\(${score}, weakest: \\w+ \\d+ %\\)$`));
      client.click('ex14-reject');
      await waitFor(() => rollout.some((m) => /rejected by dashboard operator/.test(m.payload)), 'the rejection', 10000);
      assert.equal(plant.plant.value('oven1/heaterPower'), before, 'a rejected candidate writes nothing');

      // Re-optimise, then Approve: the new heater power is written to the plant over MQTT.
      client.click('ex14-reoptimise');
      await waitFor(() => waiting() === 2, 'the gate to ask again', 60000);
      client.click('ex14-approve');
      await waitFor(() => plant.plant.value('oven1/heaterPower') !== before, 'the approved heater power at the plant', 20000);
      const applied = plant.plant.value('oven1/heaterPower');
      assert.ok(applied >= 2 && applied < before && before - applied <= 3, `${before} kW -> ${applied} kW (less power, one step of at most 3 kW)`);
      assert.ok(plantLog.some((line) => line === `oven1/heaterPower = ${applied} (written over MQTT)`), plantLog.join('\n'));
      await waitFor(() => rollout.some((m) => /step 1 of 1 \(100 %, 1 of 1 targets\)/.test(m.payload)), 'the step on the dashboard', 10000);
      // The refused approve went to the catch node: Node-RED logs no error for it.
      assert.doesNotMatch(red.log, /\[error\]/, 'no node logged an error');
    });
  });
});

/** `count` ports of first..last that nothing answers on now. */
async function freePortsInRange(first, last, count) {
  const ports = [];
  for (let port = first; port <= last && ports.length < count; port++) if (!(await portAnswers(port))) ports.push(port);
  if (ports.length < count) throw new Error(`fewer than ${count} free ports in ${first}-${last}`);
  return ports;
}

/**
 * The dashboard's socket.io connection as a browser opens it (Engine.IO 4, long-polling: the
 * dashboard refuses direct WebSocket connections): messages to widgets arrive as `msg-input:<id>`
 * events; a click is a `widget-action` event with the widget's id.
 */
class DashboardClient {
  constructor(url) {
    this.url = `${url}/dashboard/socket.io/?EIO=4&transport=polling`;
    this.sid = null;
    this.events = new Map();
    this.closed = false;
  }

  request(method, query, body) {
    return new Promise((resolve, reject) => {
      const req = http.request(`${this.url}${query}`, { method, headers: body === undefined ? {} : { 'content-type': 'text/plain;charset=UTF-8' } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => { text += d; });
        res.on('end', () => (res.statusCode === 200 ? resolve(text) : reject(new Error(`${method} ${query}: HTTP ${res.statusCode} ${text}`))));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  async open() {
    const handshake = await this.request('GET', `&t=${Date.now()}`);
    assert.match(handshake, /^0\{/, `Engine.IO handshake: ${handshake}`);
    this.sid = JSON.parse(handshake.slice(1)).sid;
    await this.send('40');
    this.polling = this.poll();
    await waitFor(() => this.connected, 'the socket.io connection', 5000);
  }

  send(packet) {
    return this.request('POST', `&sid=${this.sid}`, packet);
  }

  async poll() {
    while (!this.closed) {
      let text;
      try {
        text = await this.request('GET', `&sid=${this.sid}&t=${Date.now()}`);
      } catch (err) {
        if (this.closed) return;
        throw err;
      }
      for (const packet of text.split('\x1e')) {
        if (packet === '2') await this.send('3');
        else if (packet.startsWith('40')) this.connected = true;
        else if (packet.startsWith('42')) {
          const [name, ...args] = JSON.parse(packet.slice(2));
          if (!this.events.has(name)) this.events.set(name, []);
          this.events.get(name).push(args[0]);
        } else if (packet === '1') this.closed = true;
      }
    }
  }

  /** Every message the widget receives from now on (the array fills as they come). */
  inputs(id) {
    const name = `msg-input:${id}`;
    if (!this.events.has(name)) this.events.set(name, []);
    return this.events.get(name);
  }

  click(id) {
    this.send(`42${JSON.stringify(['widget-action', id, { _event: { type: 'click' } }])}`).catch(() => {});
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    this.send('1').catch(() => {});
  }
}

/** Presses an inject node's button. */
function press(id) {
  helper.getNode(id).receive({});
}
