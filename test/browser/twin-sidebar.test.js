'use strict';
/**
 * The editor's Twin sidebar (plugins/twin-sidebar.html) with live data: examples/00 deployed from the
 * editor against the running demo plant; the tree lists the plant's signals with their freshness, the
 * chart draws the actual and the simulated oven temperature, the layout view colours the assets.
 */
const assert = require('node:assert/strict');
const s = require('./support');

const DEMO_EXAMPLE = '00 - Demo plant closed loop.json';
const LINE = 'twinloop/demo/line1';
const OVEN_TEMPERATURE = `${LINE}/oven1/temperature`;
const ASSETS = ['oven1', 'press1', 'press2'].map((a) => `${LINE}/${a}`);

/** Drags the sidebar's edge to x; returns where it was. */
async function dragSeparatorTo(page, x) {
  const box = await page.locator('#red-ui-sidebar-separator').boundingBox();
  const y = box.y + box.height / 2;
  await page.mouse.move(box.x + box.width / 2, y);
  await page.mouse.down();
  await page.mouse.move(x, y, { steps: 8 });
  await page.mouse.up();
  return box.x + box.width / 2;
}

describe('browser: the Twin sidebar with the demo plant', function () {
  this.timeout(90000);
  let page;
  let stack;
  let separatorX;
  let deployedAt;

  before(async function () {
    s.requireBrowser(this);
    stack = await s.stack();
    page = await s.editorPage();
    await s.clearWorkspace(page);
    // New ids: a twin-source of its own, so no persistent MQTT session of an earlier deploy (whose backlog holds what
    // other examples published on the demo topics) is resumed.
    await s.importFlow(page, s.exampleNodes(DEMO_EXAMPLE), DEMO_EXAMPLE.replace(/\.json$/, ''), { generateIds: true });
    deployedAt = Date.now();
    const result = await s.deploy(page);
    assert.ok(result.success, result.text);
    await page.evaluate(() => RED.sidebar.show('twinloop-twin'));
    // A wider sidebar, as a user drags it, so the tree and the chart are readable.
    separatorX = await dragSeparatorTo(page, 680);
  });

  after(async () => {
    if (!page) return;
    if (separatorX !== undefined) await dragSeparatorTo(page, separatorX).catch(() => {});
    await page.evaluate(() => RED.sidebar.show('info')).catch(() => {});
  });

  it('lists the plant signals in the tree, fresh, with values and units', async () => {
    assert.equal(await page.locator('#red-ui-tab-twinloop-twin').count(), 1, 'the sidebar has the Twin tab');
    // The plant publishes every signal each second: soon after the deploy they are all fresh.
    await page.waitForFunction((keys) => keys.every((k) => $(`.twinloop-signal[data-key="${k}"]`).attr('data-freshness') === 'fresh') &&
      $('#twinloop-tree .twinloop-signal[data-freshness="fresh"]').length >= 18,
    [OVEN_TEMPERATURE, `${LINE}/press1/speed`, `${LINE}/press2/queue`], { timeout: 30000 }).catch(() => {});
    const rows = await page.evaluate(() => $('#twinloop-tree .twinloop-signal').map(function () {
      return { key: $(this).attr('data-key'), freshness: $(this).attr('data-freshness'), value: $(this).find('.twinloop-value').text(), unit: $(this).find('.twinloop-unit').text(), title: $(this).attr('title') };
    }).get());
    // The demo plant publishes 3 oven and 9 + 9 press signals; the model knows them all.
    assert.ok(rows.length >= 21, `${rows.length} signals in the tree`);
    const fresh = rows.filter((r) => r.freshness === 'fresh');
    assert.ok(fresh.length >= 18, `${fresh.length} of ${rows.length} signals fresh:\n${rows.map((r) => r.title.replace(/\n/g, ' | ')).join('\n')}`);
    const oven = rows.find((r) => r.key === OVEN_TEMPERATURE);
    assert.match(oven.value, /^-?\d+(\.\d+)?$/);
    assert.ok(Number(oven.value) > 10 && Number(oven.value) < 300, `oven temperature ${oven.value}`);
    assert.equal(oven.unit, 'degC');
    // Freshness is live: the age in the row's tooltip stays small while the plant publishes every second.
    const title = await page.locator(`.twinloop-signal[data-key="${OVEN_TEMPERATURE}"]`).getAttribute('title');
    assert.match(title, /fresh, \d+ (ms|s) old/);
    // The gate's row comes with the next summary (every second) after the deploy.
    await page.waitForFunction(() => $('#twinloop-gates .twinloop-gate').length >= 1, null, { timeout: 15000 }).catch(() => {});
    assert.equal(await page.locator('#twinloop-gates .twinloop-gate').count(), 1, 'the trust gate is listed');
  });

  it('charts the actual and the simulated oven temperature', async () => {
    // Points the editor gathered before (an earlier deploy) go: no signal, then the oven temperature from the tree.
    await page.selectOption('#twinloop-chart-signal', '');
    await page.locator(`.twinloop-signal[data-key="${OVEN_TEMPERATURE}"]`).click();
    await page.waitForFunction((key) => {
      const svg = document.getElementById('twinloop-chart-svg');
      const count = (cls) => Number((svg && svg.querySelector(`polyline.${cls}`) || { getAttribute: () => 0 }).getAttribute('data-count'));
      return svg && svg.getAttribute('data-key') === key && count('twinloop-line-actual') >= 5 && count('twinloop-line-simulated') >= 4;
    }, OVEN_TEMPERATURE, { timeout: 30000 });
    const lines = await page.evaluate(() => ['actual', 'simulated'].map((k) => {
      const el = document.querySelector(`#twinloop-chart-svg polyline.twinloop-line-${k}`);
      const points = el.getAttribute('points').trim().split(/\s+/).map((p) => p.split(',').map(Number));
      const box = el.getBBox();
      return { points, height: box.height, width: box.width };
    }));
    // The chart keeps what it drew before this deploy too; the points since the deploy are enough for both lines.
    const since = (points) => points.filter((p) => p.t >= deployedAt);
    let history;
    for (let tries = 0; tries < 40; tries++) {
      history = await page.evaluate((key) => $.getJSON('twinloop/twin/history', { key }), OVEN_TEMPERATURE);
      if (since(history.actual).length >= 3 && since(history.simulated).length >= 3) break;
      await s.sleep(500);
    }
    assert.ok(since(history.actual).length >= 3, `${since(history.actual).length} actual points since the deploy`);
    assert.ok(since(history.simulated).length >= 3, `${since(history.simulated).length} simulated points since the deploy`);
    for (const p of since(history.simulated)) assert.ok(Math.abs(p.v - since(history.actual)[0].v) < 50, `a simulated oven temperature ${p.v} near the measured one`);
    for (const line of lines) {
      assert.ok(line.points.every(([x, y]) => Number.isFinite(x) && Number.isFinite(y)), 'every point is a number');
      assert.ok(line.width > 20, `the line spans time (${line.width} px)`);
    }
    await page.evaluate(() => document.getElementById('twinloop-chart').scrollIntoView({ block: 'end' }));
    await s.screenshot(page, 'twin-sidebar');
  });

  it('colours the assets in the layout view', async () => {
    await page.click('#twinloop-view-layout');
    await page.waitForFunction((paths) => paths.every((p) => {
      const g = document.querySelector(`#twinloop-layout-svg g.twinloop-asset[data-path="${p}"]`);
      return g && g.getAttribute('data-heat') !== '';
    }), ASSETS, { timeout: 20000 });
    const assets = await page.evaluate(() => [...document.querySelectorAll('#twinloop-layout-svg g.twinloop-asset')].map((g) => ({
      path: g.getAttribute('data-path'), heat: g.getAttribute('data-heat'), fill: g.querySelector('rect').getAttribute('fill'), text: g.querySelector('.twinloop-asset-metric').textContent,
    })));
    for (const path of ASSETS) {
      const a = assets.find((x) => x.path === path);
      assert.ok(a, `${path} on the plan`);
      assert.notEqual(a.fill, '#d6d6d6', `${path} is coloured, not "no data"`);
      assert.match(a.text, /^\d+\/\d+ fresh$/);
      assert.ok(Number(a.heat) >= 0 && Number(a.heat) <= 1);
    }
    // Most signals fresh: the plan is on the green side.
    assert.ok(assets.filter((a) => ASSETS.includes(a.path)).every((a) => Number(a.heat) < 0.5), JSON.stringify(assets));
    await s.screenshot(page, 'twin-layout');
    await page.click('#twinloop-view-twin');
  });
});
