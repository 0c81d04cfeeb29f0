#!/usr/bin/env node
'use strict';
// `npm start`: the demo plant (a virtual line 1: an oven with physics, two presses with a flow of parts,
// faults on a schedule) on MQTT and OPC UA, plus a local Node-RED that has this package installed and
// the example flows deployed, the closed loop against the demo plant on the first tab.
// Editor at http://127.0.0.1:1880. Ctrl-C stops everything.
//
// Environment:
//   PORT                 Node-RED's port (1880)
//   TWINLOOP_MQTT_URL    the broker the plant publishes to and the flows use (mqtt://127.0.0.1:1883);
//                        when nothing answers there on this machine, an embedded broker is started
//   TWINLOOP_OPCUA_PORT  the plant's OPC UA server port (4840)
//   TWINLOOP_DEMO_DIR    Node-RED's user directory (.demo/ in this checkout)
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const readline = require('node:readline');
const { spawn } = require('node:child_process');
const { portAnswers } = require('./lib/ports');

const root = path.resolve(__dirname, '..');
const DEMO_EXAMPLE = '00 - Demo plant closed loop';
const DEFAULT_MQTT_URL = 'mqtt://127.0.0.1:1883';
const DEFAULT_OPCUA_PORT = 4840;
/** Bump when the way flows.json is composed changes, so that existing .demo/ directories are refreshed. */
const COMPOSE_VERSION = 2;

/**
 * Node-RED finds the package in its user directory's node_modules, as after a palette install:
 * `<dir>/node_modules/@twinloop/node-red-factory-twin` is a symlink to this checkout.
 * Exported for bench/ (which prepares a temporary user directory the same way).
 */
function linkPackageInto(dir, name = 'twinloop-demo') {
  const moduleLink = path.join(dir, 'node_modules', '@twinloop', 'node-red-factory-twin');
  fs.mkdirSync(path.dirname(moduleLink), { recursive: true });
  if (!fs.existsSync(moduleLink)) fs.symlinkSync(root, moduleLink, 'dir');
  const relativeRoot = path.relative(dir, root).split(path.sep).join('/') || '.';
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, private: true, dependencies: { '@twinloop/node-red-factory-twin': `file:${relativeRoot}` } }, null, 2));
}

function configFromEnv(env = process.env) {
  const port = Number(env.PORT || 1880);
  const opcuaPort = Number(env.TWINLOOP_OPCUA_PORT || DEFAULT_OPCUA_PORT);
  const mqttUrl = (env.TWINLOOP_MQTT_URL || DEFAULT_MQTT_URL).replace(/\/+$/, '');
  const userDir = path.resolve(env.TWINLOOP_DEMO_DIR || path.join(root, '.demo'));
  for (const [name, value] of [['PORT', port], ['TWINLOOP_OPCUA_PORT', opcuaPort]]) {
    if (!Number.isInteger(value) || value < 1 || value > 65535) throw new Error(`${name} must be a port number (1 to 65535)`);
  }
  const u = new URL(mqttUrl);
  if (u.protocol !== 'mqtt:') throw new Error(`TWINLOOP_MQTT_URL must be an mqtt:// URL, not ${mqttUrl}`);
  const mqtt = { url: mqttUrl, host: u.hostname, port: String(u.port || 1883) };
  return { port, opcuaPort, mqtt, opcuaEndpoint: `opc.tcp://127.0.0.1:${opcuaPort}/UA/PressLine`, userDir };
}

// ------------------------------------------------------------------------------------------ flows

function exampleFiles() {
  return fs.readdirSync(path.join(root, 'examples')).filter((f) => f.endsWith('.json')).sort((a, b) => {
    // the demo's closed loop first: the editor opens on the first tab
    const rank = (f) => (f.replace(/\.json$/, '') === DEMO_EXAMPLE ? 0 : 1);
    return rank(a) - rank(b) || a.localeCompare(b);
  });
}

/**
 * Points an example's connections at the demo plant: an MQTT broker on this machine's default port
 * becomes the configured broker, the OPC UA endpoint on the default port the plant's server.
 */
function pointAtPlant(node, config) {
  const isDefaultMqtt = (url) => /^mqtt:\/\/(127\.0\.0\.1|localhost):1883\/?$/.test(url || '');
  if (node.type === 'twin-source') {
    const out = { ...node };
    if (isDefaultMqtt(node.broker)) out.broker = config.mqtt.url;
    if (typeof node.endpoint === 'string') out.endpoint = node.endpoint.replace(/^opc\.tcp:\/\/(127\.0\.0\.1|localhost):4840(?=\/|$)/, `opc.tcp://127.0.0.1:${config.opcuaPort}`);
    return out;
  }
  if (node.type === 'mqtt-broker' && ['127.0.0.1', 'localhost'].includes(node.broker) && String(node.port || '1883') === '1883') {
    return { ...node, broker: config.mqtt.host, port: config.mqtt.port };
  }
  return node;
}

/** An example that plays a plant of its own on the demo plant's topics would mix its data into the demo. */
function clashesWithPlant(nodes) {
  const publishes = nodes.some((n) => n.type === 'mqtt out');
  const demoTopics = nodes.some((n) => n.type === 'function' && /twinloop\/demo\/line1\//.test(n.func || ''));
  return publishes && demoTopics;
}

/**
 * Examples built on an optional node set (the operator dashboard on @flowfuse/node-red-dashboard) are
 * left out when it is not installed: one unknown type would stop Node-RED from starting any flow.
 */
const OPTIONAL_NODE_SETS = [{ prefix: 'ui-', module: '@flowfuse/node-red-dashboard' }];
function missingNodeSet(nodes) {
  for (const set of OPTIONAL_NODE_SETS) {
    if (!nodes.some((n) => typeof n.type === 'string' && n.type.startsWith(set.prefix))) continue;
    try {
      require.resolve(`${set.module}/package.json`, { paths: [root] });
    } catch {
      return set.module;
    }
  }
  return null;
}

/** The demo's closed loop first, then every example on a tab of its own, as if imported one by one. */
function exampleFlows(config) {
  const flows = [];
  exampleFiles().forEach((file, i) => {
    const label = file.replace(/\.json$/, '');
    const nodes = JSON.parse(fs.readFileSync(path.join(root, 'examples', file), 'utf8'));
    const missing = missingNodeSet(nodes);
    if (missing) {
      console.log(`Example "${label}" is left out: it needs ${missing} (Menu → Manage palette → Install).`);
      return;
    }
    const tabId = `tab.${String(i).padStart(2, '0')}`;
    const clash = label !== DEMO_EXAMPLE && clashesWithPlant(nodes);
    flows.push({
      id: tabId,
      type: 'tab',
      label,
      disabled: clash,
      info: clash ? `Disabled by \`npm start\`: this example publishes a simulated machine of its own on the demo plant's topics (twinloop/demo/line1/...), which would mix into the demo. Enable the tab (and disable *${DEMO_EXAMPLE}*) to try it.` : '',
    });
    for (const node of nodes) {
      const isConfig = !('x' in node);
      flows.push(pointAtPlant(isConfig ? node : { ...node, z: tabId }, config));
    }
  });
  return flows;
}

/** What flows.json was composed from: the example files and where they point. */
function flowsHash(config) {
  const hash = crypto.createHash('sha256');
  hash.update(JSON.stringify({ COMPOSE_VERSION, mqtt: config.mqtt.url, opcuaPort: config.opcuaPort }));
  for (const file of exampleFiles()) {
    hash.update(`\n${file}\n`);
    hash.update(fs.readFileSync(path.join(root, 'examples', file)));
  }
  return hash.digest('hex');
}

function prepareUserDir(config) {
  const { userDir, port } = config;
  fs.mkdirSync(userDir, { recursive: true });
  linkPackageInto(userDir);
  fs.writeFileSync(path.join(userDir, 'settings.js'), `module.exports = {
    uiHost: '127.0.0.1',
    uiPort: ${port},
    flowFile: 'flows.json',
    credentialSecret: false,
    logging: { console: { level: 'info' } },
    contextStorage: { default: { module: 'localfilesystem' } },
    // The demo opens straight onto the flows: no welcome tour, no update-notification prompt.
    editorTheme: { tours: false },
    telemetry: { enabled: false },
};\n`);
  const flowFile = path.join(userDir, 'flows.json');
  const hashFile = path.join(userDir, 'examples.sha256');
  const hash = flowsHash(config);
  const before = fs.existsSync(hashFile) ? fs.readFileSync(hashFile, 'utf8').trim() : '';
  if (fs.existsSync(flowFile) && before === hash) return;
  if (fs.existsSync(flowFile)) {
    fs.copyFileSync(flowFile, `${flowFile}.bak`);
    console.log(`The examples (or the broker / OPC UA endpoint) changed since the last start: ${flowFile} is written afresh; the previous flows are in flows.json.bak.`);
  }
  fs.writeFileSync(flowFile, JSON.stringify(exampleFlows(config), null, 2));
  fs.writeFileSync(hashFile, `${hash}\n`);
}

// ------------------------------------------------------------------------------------------- run

function banner(config, plant) {
  const { port, mqtt } = config;
  const editor = `http://127.0.0.1:${port}`;
  const lines = [
    '',
    '=====================================================================================',
    ` TwinLoop demo is running. Open ${editor}`,
    '=====================================================================================',
    ` Editor       ${editor}  opens on the tab "${DEMO_EXAMPLE}";`,
    '              open the debug sidebar (the bug icon, top right) to watch the loop.',
    ` Demo plant   MQTT ${mqtt.url}${plant.mqtt.embedded ? ' (embedded broker)' : ''}`,
    '                topics twinloop/demo/line1/<asset>/<signal>, writes on .../<signal>/set',
    `              OPC UA ${plant.endpointUrl}`,
    '                node ids ns=1;s=Line1.<Asset>.<Signal>, e.g. ns=1;s=Line1.Oven1.Temperature',
    '              assets oven1 (temperature, heaterPower, energy), press1 and press2 (speed,',
    '                speedSetpoint, queue, throughput, running, vibration, partsMade, temperature, pressure)',
    ` Twin state   ${editor}/twinloop-demo/state  (what the twin knows, as JSON)`,
    '',
    ' What happens: about 40 s after the start the flow re-optimises the oven heater power on the',
    ' twin by itself (least power that keeps the oven at 180 degC); the trust gate scores the',
    ' candidate and rolls it out over MQTT: watch "gate notes" and "writes to the plant".',
    ' Buttons on the tab: re-optimise, approve / reject (when the gate asks), abort, audit.',
    ' Faults every 3 min: press1 tool wear 0:20-1:20, press2 breakdown 1:25-1:55, oven1 insulation',
    ' drift from 1:50 (heat loss +30 % over a minute), maintenance at 3:00. The plant logs each here.',
    '',
    ' Ctrl-C stops everything.',
    '=====================================================================================',
    '',
  ];
  return lines.join('\n');
}

async function main() {
  if (!fs.existsSync(path.join(root, 'nodes', 'twin-ingest.js'))) {
    console.error('The package is not built yet: run `npm install` (or `npm run build`) first.');
    process.exit(1);
  }
  let config;
  try {
    config = configFromEnv();
  } catch (err) {
    console.error(err.message);
    process.exit(1);
  }
  if (await portAnswers(config.port)) {
    console.error(`Port ${config.port} is already in use (another Node-RED, or an earlier \`npm start\` still running?).\nStop it, or start the demo on another port: PORT=1881 npm start`);
    process.exit(1);
  }
  if (await portAnswers(config.opcuaPort)) {
    console.error(`Port ${config.opcuaPort} (the demo plant's OPC UA server) is already in use.\nStop what listens there, or choose another: TWINLOOP_OPCUA_PORT=4841 npm start`);
    process.exit(1);
  }
  prepareUserDir(config);

  // Required here, not at the top: node-opcua is heavy, and bench/ and the tests require this file for linkPackageInto.
  const { startDemoPlant } = require('./demo');
  let plant;
  try {
    plant = await startDemoPlant({ mqttUrl: config.mqtt.url, opcuaPort: config.opcuaPort, pkiDir: path.join(config.userDir, 'plant-pki') });
  } catch (err) {
    console.error(`The demo plant did not start: ${err.message}`);
    process.exit(1);
  }
  console.log(`[plant] OPC UA server: ${plant.endpointUrl}`);

  const nodeRed = spawn(process.execPath, [require.resolve('node-red/red.js'), '--userDir', config.userDir, '--port', String(config.port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let announced = false;
  const relay = (stream, out) => {
    readline.createInterface({ input: stream }).on('line', (line) => {
      out.write(`${line}\n`);
      if (!announced && /Started flows/.test(line)) {
        announced = true;
        console.log(banner(config, plant));
      }
      if (/EADDRINUSE/.test(line)) console.error(`Port ${config.port} is in use: start the demo on another one, e.g. PORT=1881 npm start`);
    });
  };
  relay(nodeRed.stdout, process.stdout);
  relay(nodeRed.stderr, process.stderr);
  const nodeRedExited = new Promise((resolve) => nodeRed.once('exit', (code, signal) => resolve({ code, signal })));

  let stopping = false;
  const stop = async (why) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${why}: stopping Node-RED and the demo plant ...`);
    // Node-RED closes its nodes (and with them their connections to the plant) before the plant goes.
    if (nodeRed.exitCode === null && nodeRed.signalCode === null) nodeRed.kill('SIGINT');
    const killer = setTimeout(() => nodeRed.kill('SIGKILL'), 6000);
    await nodeRedExited;
    clearTimeout(killer);
    await Promise.race([plant.stop(), new Promise((resolve) => setTimeout(resolve, 2500))]);
    console.log('TwinLoop demo stopped.');
    process.exit(0);
  };
  process.on('SIGINT', () => stop('Ctrl-C'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  nodeRedExited.then(async ({ code, signal }) => {
    if (stopping) return;
    stopping = true;
    console.error(`Node-RED exited (${signal || `code ${code}`}); stopping the demo plant.`);
    await Promise.race([plant.stop(), new Promise((resolve) => setTimeout(resolve, 2500))]);
    process.exit(code || 1);
  });
}

module.exports = { linkPackageInto };

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
