'use strict';
/**
 * Every example flow (examples/*.json, read at test time) imported through the editor and deployed on a
 * real Node-RED with this package, against the running demo plant: no node invalid or of an unknown
 * type, the deploy notification is a success, the runtime has the nodes (GET /flows), and in the
 * seconds after the deploy neither the Node-RED log nor the debug sidebar shows a node error and no
 * node shows a red status.
 */
const assert = require('node:assert/strict');
const s = require('./support');

const DEMO_EXAMPLE = '00 - Demo plant closed loop.json';
const SETTLE_MS = 2500;
// A red ring that counts refused input ("6 rejected: not a number") is the status vocabulary for input a node
// refuses and carries on after (ARCHITECTURE.md): some examples send bad input on purpose.
const REFUSED_INPUT = /\brejected\b/;

describe('browser: every example deploys from the editor', function () {
  this.timeout(60000);
  let page;
  let stack;

  before(async function () {
    s.requireBrowser(this);
    stack = await s.stack();
    page = await s.editorPage();
  });

  after(async () => {
    if (page) await page.evaluate(() => RED.sidebar.show('info')).catch(() => {});
  });

  const files = s.exampleFiles();
  it('finds the examples', () => {
    assert.ok(files.length >= 13, `examples/ holds ${files.length} flows`);
    assert.ok(files.includes(DEMO_EXAMPLE));
  });

  it('the checks see an invalid node and a node error (a control flow)', async () => {
    const control = [
      { id: 'control-inject', type: 'inject', name: 'once', props: [], repeat: '', once: true, onceDelay: 0.1, topic: '', x: 120, y: 60, wires: [['control-fail']] },
      { id: 'control-fail', type: 'function', name: 'fails', func: "node.error('control flow failure', msg); return null;", outputs: 1, x: 300, y: 60, wires: [[]] },
      { id: 'control-gate', type: 'twin-gate', name: 'bad thresholds', passAt: 150, x: 300, y: 120, wires: [[], [], [], []] },
    ];
    await s.clearWorkspace(page);
    await s.importFlow(page, control, 'control');
    assert.deepEqual((await s.problemNodes(page)).map((p) => p.split(' ')[0]), ['twin-gate']);
    await page.evaluate(() => {
      RED.sidebar.show('debug');
      RED.actions.invoke('core:clear-debug-messages');
    });
    const logFrom = stack.red.log.length;
    const warned = await s.deploy(page);
    assert.equal(warned.success, false);
    assert.match(warned.text, /not properly configured/);
    await page.click('#red-ui-deploy-dialog-confirm-deploy-deploy');
    await page.waitForSelector('.red-ui-notification-success');
    await page.waitForFunction(() => $('#red-ui-sidebar-content .red-ui-debug-msg-level-20').text().includes('control flow failure'), null, { timeout: 10000 });
    await s.sleep(500);
    assert.ok(s.logErrors(stack.red.log.slice(logFrom)).some((l) => l.includes('control flow failure')), 'the node error is in the log');
  });

  for (const file of files) {
    it(`${file} deploys without errors`, async () => {
      const nodes = s.exampleNodes(file);
      await s.clearWorkspace(page);
      const { ids } = await s.importFlow(page, nodes, file.replace(/\.json$/, ''));
      assert.equal(ids.length, nodes.filter((n) => 'x' in n).length, 'every flow node imported onto the tab');
      assert.deepEqual(await s.problemNodes(page), [], 'no node invalid or of an unknown type after the import');

      await page.evaluate(() => {
        RED.sidebar.show('debug');
        RED.actions.invoke('core:clear-debug-messages');
      });
      const logFrom = stack.red.log.length;
      const result = await s.deploy(page);
      assert.ok(result.success, `deploy notification: ${result.text} (${result.cls})`);

      // The runtime holds the example: every node of it is in the deployed flows.
      const deployed = await (await fetch(`${stack.red.url}/flows`, { headers: { 'Node-RED-API-Version': 'v2' } })).json();
      const deployedIds = new Set(deployed.flows.map((n) => n.id));
      assert.deepEqual(nodes.map((n) => n.id).filter((id) => !deployedIds.has(id)), [], 'nodes missing from GET /flows');

      await s.sleep(SETTLE_MS);
      const errors = s.logErrors(stack.red.log.slice(logFrom));
      assert.deepEqual(errors, [], `Node-RED log after deploying ${file}`);
      const sidebar = await page.evaluate((refusedSource) => ({
        errors: $('#red-ui-sidebar-content .red-ui-debug-msg-level-20').map(function () { return $(this).text().replace(/\s+/g, ' ').slice(0, 300); }).get(),
        red: (() => {
          const refused = new RegExp(refusedSource);
          const out = [];
          RED.nodes.eachNode((n) => { if (n.z === RED.workspaces.active() && n.status && n.status.fill === 'red' && !refused.test(n.status.text)) out.push(`${n.type} ${n.name || n.id}: ${n.status.text}`); });
          return out;
        })(),
      }), REFUSED_INPUT.source);
      assert.deepEqual(sidebar.errors, [], 'error messages in the debug sidebar');
      assert.deepEqual(sidebar.red, [], 'nodes with a red status (other than refused input)');
      assert.deepEqual(await s.problemNodes(page), [], 'no node invalid after the deploy');

      if (file === DEMO_EXAMPLE) {
        // The screenshot: the closed loop on the canvas, its nodes' statuses live (the sidebar hidden).
        await page.waitForFunction(() => RED.nodes.filterNodes({ type: 'twin-state' }).some((n) => n.status && n.status.fill === 'green'), null, { timeout: 15000 });
        await page.evaluate(() => RED.actions.invoke('core:toggle-sidebar', false));
        await s.zoomToFit(page);
        await page.evaluate(() => RED.view.select({ nodes: [] }));
        await s.sleep(300);
        await s.screenshot(page, 'closed-loop-flow');
        await page.evaluate(() => {
          RED.actions.invoke('core:toggle-sidebar', true);
          RED.actions.invoke('core:zoom-reset');
        });
      }
    });
  }
});
