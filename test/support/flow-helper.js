'use strict';
// Shared set-up for flow tests: node-red-node-test-helper with our built nodes and the core
// catch node, plus small waiting helpers that fail with a clear message instead of hanging.
const helper = require('node-red-node-test-helper');
const path = require('node:path');
const catchNode = require('@node-red/nodes/core/common/25-catch.js');
const functionNode = require('@node-red/nodes/core/function/10-function.js');
// Core nodes the example flows use (examples/*.json): inject buttons, debug, comments, change.
const injectNode = require('@node-red/nodes/core/common/20-inject.js');
const debugNode = require('@node-red/nodes/core/common/21-debug.js');
const commentNode = require('@node-red/nodes/core/common/90-comment.js');
const changeNode = require('@node-red/nodes/core/function/15-change.js');
const packageNodes = Object.values(require('../../package.json')['node-red'].nodes).map((file) => require(path.join(__dirname, '..', '..', file)));

helper.init(require.resolve('node-red'));

const allNodes = [...packageNodes, catchNode, functionNode, injectNode, debugNode, commentNode, changeNode];

/** Loads a flow; nodes on a tab get a position, which is how Node-RED tells them from config nodes. */
function load(flow, credentials = {}) {
  const positioned = flow.map((node) => (node.z && !('x' in node) ? { x: 100, y: 100, ...node } : node));
  return new Promise((resolve, reject) => {
    helper.load(allNodes, positioned, credentials, (err) => (err ? reject(err) : resolve()));
  });
}

/** Collects every message a helper node receives. */
function collect(nodeId) {
  const node = helper.getNode(nodeId);
  if (!node) throw new Error(`no node ${nodeId} in the flow`);
  const messages = [];
  node.on('input', (msg) => messages.push(msg));
  return messages;
}

/** Every status a node has set, in order: those set so far, and later ones as they come. */
function statuses(nodeId) {
  const node = helper.getNode(nodeId);
  const seen = node.status.getCalls().filter((call) => call.thisValue === node).map((call) => call.args[0]);
  node.on('call:status', (call) => seen.push(call.args[0]));
  return seen;
}

async function waitFor(predicate, what, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (predicate()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

module.exports = { helper, load, collect, statuses, waitFor };
