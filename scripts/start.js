#!/usr/bin/env node
'use strict';
// `npm start`: the demo plant's OPC UA server plus a local Node-RED that has this package installed
// and the example flows deployed, editor at http://127.0.0.1:1880. Ctrl-C stops everything.
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { portAnswers } = require('./lib/ports');

const root = path.resolve(__dirname, '..');
const userDir = path.join(root, '.demo');
const port = Number(process.env.PORT || 1880);

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

function prepareUserDir() {
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
  if (!fs.existsSync(flowFile)) fs.writeFileSync(flowFile, JSON.stringify(exampleFlows(), null, 2));
}

/** Every example on a tab of its own, as if imported one by one. */
function exampleFlows() {
  const flows = [];
  const examples = fs.readdirSync(path.join(root, 'examples')).filter((f) => f.endsWith('.json')).sort();
  for (const file of examples) {
    const tabId = `tab.${flows.length}`;
    flows.push({ id: tabId, type: 'tab', label: file.replace(/\.json$/, ''), disabled: false, info: '' });
    for (const node of JSON.parse(fs.readFileSync(path.join(root, 'examples', file), 'utf8'))) {
      const isConfig = !('x' in node);
      flows.push(isConfig ? node : { ...node, z: tabId });
    }
  }
  return flows;
}

async function main() {
  if (!fs.existsSync(path.join(root, 'nodes', 'twin-ingest.js'))) {
    console.error('The package is not built yet: run `npm install` (or `npm run build`) first.');
    process.exit(1);
  }
  prepareUserDir();
  // Required here, not at the top: node-opcua is heavy, and bench/ requires this file for linkPackageInto.
  const { startDemoPlant } = require('./demo-plant');
  if (!(await portAnswers(1883))) {
    console.warn('No MQTT broker answers on 127.0.0.1:1883: the MQTT example will show "retry in ..." until one does.');
  }
  const plant = await startDemoPlant({ port: 4840 });
  console.log(`Demo plant OPC UA server: ${plant.endpointUrl}`);
  const nodeRed = spawn(process.execPath, [require.resolve('node-red/red.js'), '--userDir', userDir, '--port', String(port)], { stdio: 'inherit' });
  console.log(`\nTwinLoop demo: open http://127.0.0.1:${port} (Ctrl-C stops everything)\n`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    nodeRed.kill('SIGINT');
    await plant.stop().catch(() => {});
    setTimeout(() => process.exit(0), 3000).unref();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  nodeRed.on('exit', async (code) => {
    await plant.stop().catch(() => {});
    process.exit(stopping ? 0 : code ?? 1);
  });
}

module.exports = { linkPackageInto };

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
