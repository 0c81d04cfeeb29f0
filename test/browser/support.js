'use strict';
/**
 * What the browser tests share: one real stack for the whole run and one headless Chromium.
 *
 *  - the demo plant (scripts/demo: MQTT through an embedded broker, OPC UA over TCP),
 *  - a Node-RED process with this package (and @flowfuse/node-red-dashboard) in its user directory,
 *  - Chromium driven by playwright-core, editor pages on that Node-RED.
 *
 * The example flows name the demo's default addresses (mqtt://127.0.0.1:1883, opc.tcp://...:4840); the
 * flows are pointed at the test plant before import, as `npm start` does (scripts/start.js pointAtPlant).
 *
 * Without /usr/bin/chromium the suites skip, unless TWINLOOP_REQUIRE_BROWSER=1 (then they fail).
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { NodeRedProcess, stopAll } = require('../support/node-red-process');
const { linkPackageInto } = require('../../scripts/start');
const { portAnswers } = require('../../scripts/lib/ports');

const root = path.resolve(__dirname, '..', '..');
const CHROMIUM = process.env.TWINLOOP_CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];
const PORTS = { nodeRed: 18800, opcua: 18801, mqtt: 18802 };
const MQTT_URL = `mqtt://127.0.0.1:${PORTS.mqtt}`;
const VIEWPORT = { width: 1280, height: 800 };
const SCREENSHOTS = path.join(root, 'docs', 'images');
const EXAMPLES = path.join(root, 'examples');
// The plant's OPC UA certificate is kept between runs (making one takes seconds on a busy machine).
const PLANT_PKI = path.join(root, 'test', '.tmp', 'browser', 'plant-pki');

/** In a before() hook: skips the suite when there is no Chromium, or fails when one is required. */
function requireBrowser(ctx) {
  if (fs.existsSync(CHROMIUM)) return;
  const reason = `${CHROMIUM} is missing: browser tests skipped (install Debian's chromium, or set TWINLOOP_REQUIRE_BROWSER=1 to make this a failure)`;
  if (process.env.TWINLOOP_REQUIRE_BROWSER === '1') throw new Error(`${CHROMIUM} is missing and TWINLOOP_REQUIRE_BROWSER=1`);
  console.log(`      (skipped: ${reason})`);
  ctx.skip();
}

// ------------------------------------------------------------------------------------ the stack

let stackPromise = null;
let browserPromise = null;

function settingsText() {
  return `module.exports = {
    uiHost: '127.0.0.1',
    flowFile: 'flows.json',
    credentialSecret: false,
    logging: { console: { level: 'info' } },
    editorTheme: { tours: false },
    telemetry: { enabled: false },
    diagnostics: { enabled: false },
};\n`;
}

/** A user directory with this package and the dashboard linked in, as after two palette installs. */
function makeUserDir() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'twinloop-browser-'));
  linkPackageInto(dir, 'twinloop-browser-test');
  const dashboard = path.join(root, 'node_modules', '@flowfuse', 'node-red-dashboard');
  if (fs.existsSync(dashboard)) {
    const link = path.join(dir, 'node_modules', '@flowfuse', 'node-red-dashboard');
    fs.mkdirSync(path.dirname(link), { recursive: true });
    fs.symlinkSync(dashboard, link, 'dir');
    const pkgFile = path.join(dir, 'package.json');
    const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8'));
    pkg.dependencies['@flowfuse/node-red-dashboard'] = `file:${path.relative(dir, dashboard)}`;
    fs.writeFileSync(pkgFile, JSON.stringify(pkg, null, 2));
  }
  fs.writeFileSync(path.join(dir, 'settings.js'), settingsText());
  return dir;
}

/** The demo plant and Node-RED, started once for every browser suite of the run. */
function stack() {
  stackPromise ??= (async () => {
    for (const [name, port] of Object.entries(PORTS)) {
      if (await portAnswers(port)) throw new Error(`port ${port} (${name}) is in use: the browser tests need 18800-18802`);
    }
    const userDir = makeUserDir();
    const plantLog = [];
    const { startDemoPlant } = require('../../scripts/demo');
    // Both at once: Node-RED starts with no flows, so it does not need the plant yet.
    const red = new NodeRedProcess(userDir, PORTS.nodeRed);
    const [plant, started] = await Promise.allSettled([
      startDemoPlant({ mqttUrl: MQTT_URL, opcuaPort: PORTS.opcua, pkiDir: PLANT_PKI, log: (line) => plantLog.push(line) }),
      red.start(60000),
    ]);
    if (plant.status === 'rejected' || started.status === 'rejected') {
      if (plant.status === 'fulfilled') await plant.value.stop();
      await red.kill();
      throw plant.reason || started.reason;
    }
    return { plant: plant.value, plantLog, red, userDir };
  })();
  return stackPromise;
}

async function browser() {
  browserPromise ??= require('playwright-core').chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  return browserPromise;
}

// Stops what the suites started once all of them have run (a root-level hook: this file is required by each suite).
after(async function () {
  this.timeout(30000);
  if (browserPromise) await (await browserPromise.catch(() => null))?.close();
  if (stackPromise) {
    const s = await stackPromise.catch(() => null);
    if (s) {
      await s.red.stop();
      await Promise.race([s.plant.stop(), new Promise((r) => setTimeout(r, 3000))]);
      fs.rmSync(s.userDir, { recursive: true, force: true });
    }
  }
  await stopAll();
});

// ------------------------------------------------------------------------------------ the editor

let pagePromise = null;

/** The editor page every suite shares (loading the editor takes seconds on a busy machine). */
function editorPage() {
  pagePromise ??= openEditor();
  return pagePromise;
}

/** A fresh editor page, loaded, with this package's nodes in the palette. */
async function openEditor() {
  const s = await stack();
  const b = await browser();
  const page = await b.newPage({ viewport: VIEWPORT });
  page.pageErrors = [];
  page.on('pageerror', (err) => page.pageErrors.push(String(err && err.stack || err)));
  await page.goto(s.red.url, { waitUntil: 'load' });
  await page.waitForFunction(() => window.RED && RED.nodes && RED.nodes.getType && RED.nodes.getType('twin-gate') &&
    RED.workspaces.active() && document.querySelectorAll('.red-ui-palette-node').length > 10 && !document.querySelector('#red-ui-loading-progress:not([style*="none"])'), null, { timeout: 30000 });
  // Let the editor settle (the palette categories and the sidebar tabs are built after the flows load).
  await page.waitForTimeout(300);
  return page;
}

/** An example flow as Node-RED nodes, pointed at the test plant (as scripts/start.js does for npm start). */
function exampleNodes(file) {
  const nodes = JSON.parse(fs.readFileSync(path.join(EXAMPLES, file), 'utf8'));
  return nodes.map((node) => pointAtPlant(node));
}

function pointAtPlant(node) {
  const isDefaultMqtt = (url) => /^mqtt:\/\/(127\.0\.0\.1|localhost):1883\/?$/.test(url || '');
  if (node.type === 'twin-source') {
    const out = { ...node };
    if (isDefaultMqtt(node.broker)) out.broker = MQTT_URL;
    if (typeof node.endpoint === 'string') out.endpoint = node.endpoint.replace(/^opc\.tcp:\/\/(127\.0\.0\.1|localhost):4840(?=\/|$)/, `opc.tcp://127.0.0.1:${PORTS.opcua}`);
    return out;
  }
  if (node.type === 'mqtt-broker' && ['127.0.0.1', 'localhost'].includes(node.broker) && String(node.port || '1883') === '1883') {
    return { ...node, port: String(PORTS.mqtt) };
  }
  return node;
}

/** Every example file, read at test time (examples added later are tested too). */
function exampleFiles() {
  return fs.readdirSync(EXAMPLES).filter((f) => f.endsWith('.json')).sort();
}

/** Cancels the edit dialogs left open (a test that failed half-way). */
async function closeDialogs(page) {
  for (let i = 0; i < 5; i++) {
    const cancel = page.locator('#node-config-dialog-cancel, #node-dialog-cancel');
    if ((await cancel.count()) === 0) return;
    await cancel.last().click({ timeout: 5000 }).catch(() => {});
    await page.waitForTimeout(400);
  }
}

/** Empties the editor: one new empty tab ("Flow 1"), every other tab and every config node removed. */
async function clearWorkspace(page) {
  await closeDialogs(page);
  await page.evaluate(() => {
    RED.view.select({ nodes: [] });
    const old = [];
    RED.nodes.eachWorkspace((ws) => old.push(ws.id));
    const ws = RED.workspaces.add(null, undefined, 0);
    old.forEach((id) => RED.workspaces.delete(RED.nodes.workspace(id)));
    ws.label = 'Flow 1';
    RED.workspaces.refresh();
    const configs = [];
    RED.nodes.eachConfig((c) => { if (c.type !== 'global-config') configs.push(c.id); });
    configs.forEach((id) => RED.nodes.remove(id));
    RED.nodes.dirty(true);
    RED.view.redraw(true);
  });
}

/**
 * Imports nodes through the editor onto a tab of their own named `label` (config nodes, those without
 * x, stay global, as when an example is imported); returns the tab id and the ids of its nodes.
 * `generateIds`: new ids, as when the same flow is imported a second time.
 */
async function importFlow(page, nodes, label, { generateIds = false } = {}) {
  return page.evaluate(({ list, name, newIds }) => {
    let tab = { id: RED.nodes.id(), type: 'tab', label: name, disabled: false, info: '' };
    RED.view.importNodes([tab, ...list.map((n) => ('x' in n ? { ...n, z: tab.id } : n))], { generateIds: newIds, notify: false });
    if (newIds) RED.nodes.eachWorkspace((ws) => { if (ws.label === name) tab = ws; });
    RED.workspaces.show(tab.id);
    // The empty tab clearWorkspace() left goes: the example's tab is the only one.
    const empty = [];
    RED.nodes.eachWorkspace((ws) => { if (ws.id !== tab.id && RED.nodes.filterNodes({ z: ws.id }).length === 0) empty.push(ws); });
    empty.forEach((ws) => RED.workspaces.delete(ws));
    const ids = [];
    RED.nodes.eachNode((n) => { if (n.z === tab.id) ids.push(n.id); });
    return { workspace: tab.id, ids };
  }, { list: nodes, name: label, newIds: generateIds });
}

/** Zooms the canvas out until the whole active flow fits (at most 1). */
async function zoomToFit(page) {
  await page.evaluate(() => {
    const ws = RED.workspaces.active();
    let maxX = 0;
    let maxY = 0;
    RED.nodes.eachNode((n) => { if (n.z === ws) { maxX = Math.max(maxX, n.x + (n.w || 120) / 2); maxY = Math.max(maxY, n.y + 20); } });
    const chart = $('#red-ui-workspace-chart');
    const need = Math.min(1, chart.width() / (maxX + 40), chart.height() / (maxY + 30));
    for (let i = 0; i < 20 && RED.view.scale() > need + 1e-6; i++) RED.actions.invoke('core:zoom-out');
    chart.scrollLeft(0).scrollTop(0);
  });
}

/** Presses Deploy; resolves with the text of the notification that follows (or throws). */
async function deploy(page) {
  await page.evaluate(() => $('.red-ui-notification').remove());
  await page.click('#red-ui-header-button-deploy');
  const note = await page.waitForSelector('.red-ui-notification', { timeout: 20000 });
  const cls = await note.getAttribute('class');
  const text = (await note.textContent()).trim();
  return { success: /red-ui-notification-success/.test(cls) && /Successfully deployed/.test(text), cls, text };
}

/** Nodes the editor marks as invalid or of an unknown type. */
function problemNodes(page) {
  return page.evaluate(() => {
    const out = [];
    const check = (n) => {
      const def = RED.nodes.getType(n.type);
      if (!def) out.push(`${n.type} ${n.id}: unknown type`);
      else if (n.valid === false) out.push(`${n.type} ${n.id} (${n.name || ''}): invalid ${(n.validationErrors || []).join(', ')}`);
    };
    RED.nodes.eachNode(check);
    RED.nodes.eachConfig((c) => { if (c.type !== 'global-config' && c.type !== 'unknown') check(c); });
    return out;
  });
}

/** Error lines of the Node-RED log (node errors and flow start failures) from `from` on. */
function logErrors(text) {
  return text.split('\n').filter((l) => /\[error\]|Waiting for missing types|Error stopping node|Failed to start/i.test(l));
}

/** Saves a PNG screenshot under docs/images/ (the same name every run). */
async function screenshot(page, name, options = {}) {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.mouse.move(VIEWPORT.width - 2, VIEWPORT.height - 2);
  await page.evaluate(() => $('.red-ui-notification-success').remove()); // "Successfully deployed" fades anyway
  await page.screenshot({ path: file, ...options });
  return file;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

module.exports = {
  CHROMIUM, PORTS, MQTT_URL, VIEWPORT, SCREENSHOTS, EXAMPLES,
  requireBrowser, stack, browser, editorPage, openEditor, closeDialogs, exampleNodes, exampleFiles, pointAtPlant, clearWorkspace, importFlow, zoomToFit, deploy, problemNodes, logErrors, screenshot, sleep,
};
