'use strict';
// The example flows (examples/*.json) as tests load them: on a tab, debug nodes as helper nodes with
// the same id, no persistence, no repeating injects; deployed with a check that every node started
// without an error.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { helper, load } = require('./flow-helper');

const examples = path.join(__dirname, '..', '..', 'examples');

/** An example as a test flow. */
function exampleFlow(file) {
  const flow = JSON.parse(fs.readFileSync(path.join(examples, file), 'utf8'));
  return [
    { id: 'tab', type: 'tab', label: file },
    ...flow.map((n) => {
      if (n.type === 'debug') return { id: n.id, type: 'helper', z: 'tab', x: n.x, y: n.y, wires: [] };
      const node = { ...n, z: 'tab' };
      if (n.type === 'twin-simulator' || n.type === 'twin-deviation') node.persist = false;
      if (n.type === 'inject') Object.assign(node, { repeat: '', once: false });
      return node;
    }),
  ];
}

/** What a node reported with node.error so far. */
function errorsOf(id) {
  const node = helper.getNode(id);
  return node.error.getCalls().filter((c) => c.thisValue === node).map((c) => String(c.args[0]));
}

/** Loads the example (after `change`, for extra helper nodes) and checks that every node deployed without an error. */
async function deploy(file, change = () => {}) {
  const flow = exampleFlow(file);
  change(flow);
  await load(flow);
  await new Promise((r) => setTimeout(r, 50));
  for (const n of flow.filter((x) => x.type !== 'tab')) {
    assert.ok(helper.getNode(n.id), `${file}: node ${n.id} (${n.type}) did not start`);
    assert.deepEqual(errorsOf(n.id), [], `${file}: ${n.id} reported an error on deploy`);
  }
  return flow;
}

/** Presses an inject node's button. */
const press = (id) => helper.getNode(id).receive({});

module.exports = { exampleFlow, errorsOf, deploy, press };
