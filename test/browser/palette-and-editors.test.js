'use strict';
/**
 * In a real editor (Chromium on a Node-RED process with this package installed):
 *  - the palette holds every TwinLoop flow node under "factory twin", and no config node;
 *  - each node's edit dialog opens (dragged from the palette, double-clicked), marks a bad value with
 *    `input-error`, and a node saved with it is invalid (the red triangle on the canvas);
 *  - the config nodes' dialogs (twin-source, twin-model) open from the nodes that use them;
 *  - each node's help renders in the help sidebar.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const s = require('./support');

const CATEGORY = 'factory twin';
const FLOW_NODES = [
  { type: 'twin-ingest', field: 'maxBytes', bad: '-5' },
  { type: 'twin-state', field: 'historyLength', bad: 'lots' },
  { type: 'twin-deviation', field: 'warmup', bad: '0' },
  { type: 'twin-simulator', field: 'horizon', bad: '-1' },
  { type: 'twin-optimizer', field: 'maxEvaluations', bad: 'ten' },
  { type: 'twin-gate', field: 'passAt', bad: '150' },
];
const CONFIG_NODES = ['twin-model', 'twin-source'];

/** The first sentence of a node's help text as it appears rendered (no tags, single spaces). */
function helpOpening(type) {
  const html = fs.readFileSync(path.join(__dirname, '..', '..', 'locales', 'en-US', `${type}.html`), 'utf8');
  const first = /<p>([\s\S]*?)<\/p>/.exec(html)[1];
  return first.replace(/<[^>]+>/g, '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&').replace(/\s+/g, ' ').trim().slice(0, 60);
}

/** Drags a node from the palette onto the canvas; returns its id. */
async function dragFromPalette(page, type, at = { x: 300, y: 200 }) {
  const before = await page.evaluate((t) => RED.nodes.filterNodes({ type: t }).map((n) => n.id), type);
  await page.locator(`.red-ui-palette-node[data-palette-type="${type}"]`).dragTo(page.locator('#red-ui-workspace-chart'), { targetPosition: at });
  const id = await page.waitForFunction(({ t, ids }) => {
    const added = RED.nodes.filterNodes({ type: t }).filter((n) => !ids.includes(n.id));
    return added.length === 1 ? added[0].id : null;
  }, { t: type, ids: before }, { timeout: 10000 });
  return id.jsonValue();
}

async function openEditDialog(page, id) {
  await page.locator(`[id="${id}"] rect.red-ui-flow-node`).dblclick();
  await page.waitForSelector('#node-dialog-ok', { state: 'visible', timeout: 10000 });
  await page.waitForTimeout(300); // the tray slides in
}

/** Types a value into a dialog field and leaves it, as a user does; returns whether it is marked as an error. */
async function enter(page, selector, value) {
  const field = page.locator(selector);
  await field.fill(value);
  await field.press('Tab');
  await page.waitForTimeout(100);
  return field.evaluate((el) => el.classList.contains('input-error'));
}

async function hasError(page, selector) {
  return page.locator(selector).evaluate((el) => el.classList.contains('input-error'));
}

/** Shows a node type's help in the help sidebar; returns its title and text. */
async function showHelp(page, type) {
  await page.evaluate((t) => RED.sidebar.help.show(t), type);
  await page.waitForSelector('.red-ui-help-title', { state: 'visible' });
  return page.evaluate(() => ({ title: $('.red-ui-help-title').text().trim(), text: $('.red-ui-help').text().replace(/\s+/g, ' ').trim() }));
}

function expectedTitle(type) {
  return type.replace('-', ' '); // paletteLabel "twin gate"; config nodes have none and show their type
}

describe('browser: palette, edit dialogs and help', function () {
  this.timeout(120000);
  let page;

  before(async function () {
    s.requireBrowser(this);
    page = await s.editorPage();
  });

  afterEach(async () => {
    if (page) await s.closeDialogs(page);
  });

  after(async () => {
    if (page) await s.clearWorkspace(page);
  });

  it(`shows every flow node under "${CATEGORY}" and no config node in the palette`, async () => {
    const palette = await page.evaluate((category) => {
      const container = $('.red-ui-palette-category').filter(function () { return $(this).find('.red-ui-palette-header').first().text().trim() === category; });
      return {
        categories: container.length,
        inCategory: container.find('.red-ui-palette-node').map(function () { return $(this).attr('data-palette-type'); }).get(),
        twinElsewhere: $('.red-ui-palette-node').filter(function () { return /^twin-/.test($(this).attr('data-palette-type')) && !container.has(this).length; }).map(function () { return $(this).attr('data-palette-type'); }).get(),
        labels: container.find('.red-ui-palette-node .red-ui-palette-label').map(function () { return $(this).text().replace(/\s+/g, ' ').trim(); }).get(),
      };
    }, CATEGORY);
    assert.equal(palette.categories, 1, `one palette category "${CATEGORY}"`);
    assert.deepEqual([...palette.inCategory].sort(), FLOW_NODES.map((n) => n.type).sort());
    assert.deepEqual(palette.twinElsewhere, [], 'no TwinLoop node in another category');
    for (const type of CONFIG_NODES) assert.equal(await page.locator(`.red-ui-palette-node[data-palette-type="${type}"]`).count(), 0, `${type} is not in the palette`);
    assert.deepEqual([...palette.labels].sort(), FLOW_NODES.map((n) => expectedTitle(n.type)).sort());

    // The screenshot: the palette scrolled to the category, the closed loop's nodes on the canvas.
    await s.clearWorkspace(page);
    await page.evaluate((category) => {
      const header = $('.red-ui-palette-header').filter(function () { return $(this).text().trim() === category; }).first();
      header[0].scrollIntoView({ block: 'start' });
    }, CATEGORY);
    for (const [i, { type }] of FLOW_NODES.entries()) await dragFromPalette(page, type, { x: 130 + (i % 3) * 230, y: 120 + Math.floor(i / 3) * 100 });
    await page.evaluate(() => RED.view.select({ nodes: [] }));
    await showHelp(page, 'twin-ingest');
    await s.screenshot(page, 'palette');
  });

  for (const { type, field, bad } of FLOW_NODES) {
    it(`${type}: the edit dialog opens, refuses ${field} = ${JSON.stringify(bad)}, and the help renders`, async () => {
      await s.clearWorkspace(page);
      const id = await dragFromPalette(page, type);
      assert.equal(await page.evaluate((i) => RED.nodes.node(i).valid, id), true, 'a new node with its defaults is valid');
      await openEditDialog(page, id);
      const selector = `#node-input-${field}`;
      assert.equal(await hasError(page, selector), false, `${field} is fine with its default`);

      const help = await showHelp(page, type);
      assert.equal(help.title, expectedTitle(type));
      assert.ok(help.text.includes(helpOpening(type)), `the help of ${type} starts with its description: ${help.text.slice(0, 120)}`);
      if (type === 'twin-gate') await s.screenshot(page, 'edit-dialog-twin-gate');

      assert.equal(await enter(page, selector, bad), true, `${field} = ${bad} is marked as an error`);
      if (type === 'twin-gate') {
        assert.equal(await enter(page, '#node-input-driftHold', '-3'), true, 'a negative drift hold is marked as an error');
        assert.equal(await enter(page, '#node-input-driftHold', '30'), false, 'a drift hold of 30 min is fine');
      }
      await page.click('#node-dialog-ok');
      await page.waitForSelector('#node-dialog-ok', { state: 'detached' });
      const saved = await page.evaluate((i) => ({ valid: RED.nodes.node(i).valid, value: RED.nodes.node(i)[Object.keys(RED.nodes.node(i)._def.defaults)[0]] }), id);
      assert.equal(saved.valid, false, `${type} saved with a bad ${field} is invalid`);
      await page.locator(`[id="${id}"] .red-ui-flow-node-error`).waitFor({ state: 'visible', timeout: 5000 }); // the canvas shows the invalid marker

      // Back to a good value: the node is valid again.
      await openEditDialog(page, id);
      assert.equal(await hasError(page, selector), true, 'the dialog opens with the bad value marked');
      const good = await page.evaluate(({ t, f }) => String(RED.nodes.getType(t).defaults[f].value), { t: type, f: field });
      assert.equal(await enter(page, selector, good), false);
      await page.click('#node-dialog-ok');
      await page.waitForSelector('#node-dialog-ok', { state: 'detached' });
      assert.equal(await page.evaluate((i) => RED.nodes.node(i).valid, id), true);
      await page.locator(`[id="${id}"] .red-ui-flow-node-error`).waitFor({ state: 'hidden', timeout: 5000 });
    });
  }

  it('twin-source: the config dialog opens from twin-ingest, refuses a bad broker URL and keep-alive, and the help renders', async () => {
    await s.clearWorkspace(page);
    const id = await dragFromPalette(page, 'twin-ingest');
    await openEditDialog(page, id);
    await page.click('#node-input-btn-source-add');
    await page.waitForSelector('#node-config-input-broker', { state: 'visible' });
    await page.waitForTimeout(300);
    assert.equal(await hasError(page, '#node-config-input-broker'), false, 'the default broker URL is fine');
    const help = await showHelp(page, 'twin-source');
    assert.equal(help.title, 'twin-source');
    assert.ok(help.text.includes(helpOpening('twin-source')), help.text.slice(0, 120));

    assert.equal(await enter(page, '#node-config-input-broker', 'broker.local:1883'), true, 'a URL without mqtt:// is marked');
    assert.equal(await enter(page, '#node-config-input-keepalive', '99999'), true, 'a keep-alive over 65535 s is marked');
    assert.equal(await enter(page, '#node-config-input-keepalive', '60'), false);
    await page.click('#node-config-dialog-ok');
    await page.waitForSelector('#node-config-input-broker', { state: 'detached' });
    const source = await page.evaluate(() => {
      const list = [];
      RED.nodes.eachConfig((c) => { if (c.type === 'twin-source') list.push({ id: c.id, valid: c.valid, broker: c.broker }); });
      return list;
    });
    assert.equal(source.length, 1);
    assert.equal(source[0].broker, 'broker.local:1883');
    assert.equal(source[0].valid, false, 'the source saved with a bad URL is invalid');
    assert.equal(await page.locator('#node-input-source').inputValue(), source[0].id, 'the ingest now uses the new source');
    await page.click('#node-dialog-ok');
    await page.waitForSelector('#node-dialog-ok', { state: 'detached' });
    // A node that uses an invalid config node is shown invalid too.
    assert.equal(await page.evaluate((i) => RED.nodes.node(i).valid, id), false, 'the ingest with an invalid source is invalid');
    await page.locator(`[id="${id}"] .red-ui-flow-node-error`).waitFor({ state: 'visible', timeout: 5000 });
  });

  it('twin-model: the config dialog opens from twin-state, refuses a model that is not JSON, and the help renders', async () => {
    await s.clearWorkspace(page);
    const id = await dragFromPalette(page, 'twin-state');
    await openEditDialog(page, id);
    await page.click('#node-input-btn-model-add');
    const editor = page.locator('#node-config-input-model-editor');
    await editor.waitFor({ state: 'visible' });
    await page.waitForTimeout(300);
    assert.equal(await hasError(page, '#node-config-input-model-editor'), false);
    const help = await showHelp(page, 'twin-model');
    assert.equal(help.title, 'twin-model');
    assert.ok(help.text.includes(helpOpening('twin-model')), help.text.slice(0, 120));

    // An asset name with a topic wildcard is refused with a warning.
    await page.fill('#node-config-model-asset-name', 'line#1');
    await page.click('#node-config-model-asset-add');
    await page.waitForSelector('.red-ui-notification-warning', { timeout: 5000 });
    assert.match(await page.locator('#node-config-model-summary').textContent(), /^0 assets/);
    // A good one is added to the tree and the JSON.
    await page.fill('#node-config-model-asset-name', 'line1');
    await page.click('#node-config-model-asset-add');
    assert.match(await page.locator('#node-config-model-summary').textContent(), /^1 assets, 0 signals/);

    // Text that is not a model: the editor is marked and the summary says why.
    await editor.click();
    await page.keyboard.press('Control+A');
    await page.keyboard.type('{"assets": [ oops');
    await page.waitForFunction(() => $('#node-config-input-model-editor').hasClass('input-error'), null, { timeout: 5000 });
    assert.match(await page.locator('#node-config-model-summary').textContent(), /invalid|not valid|JSON/i);
    await page.click('#node-config-dialog-ok');
    await editor.waitFor({ state: 'detached' });
    const model = await page.evaluate(() => {
      let m = null;
      RED.nodes.eachConfig((c) => { if (c.type === 'twin-model') m = { valid: c.valid, model: c.model }; });
      return m;
    });
    // The text was refused: the model saved is the last valid one (with the asset added), not the text.
    assert.equal(typeof model.model, 'object');
    assert.deepEqual(model.model.assets.map((a) => a.name), ['line1']);
    assert.equal(model.valid, true);
    await page.click('#node-dialog-cancel');
    await page.waitForSelector('#node-dialog-cancel', { state: 'detached' });
  });
});
