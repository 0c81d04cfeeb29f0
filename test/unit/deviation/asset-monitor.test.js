'use strict';
const assert = require('node:assert/strict');
const { AssetMonitor } = require('../../../dist/core/deviation/asset-monitor');
const { DeviationMonitor } = require('../../../dist/core/deviation/deviation-monitor');
const { InputError } = require('../../../dist/core/errors');
const { seeded } = require('./helpers');

/** A press: motor current and temperature follow the load; vibration is its own noise. */
function pressRow(random, load) {
  return { current: 10 + 2 * load + 0.1 * random.gauss(), temperature: 60 + 5 * load + 0.3 * random.gauss(), vibration: 2 + 0.2 * random.gauss() };
}

function feed(monitor, asset, row) {
  let last;
  for (const [signal, value] of Object.entries(row)) last = monitor.observe(asset, signal, value) ?? last;
  return last;
}

describe('asset monitor (signals of one asset combined)', () => {
  it('learns a normal window, stays quiet on normal rows, and blames the signals whose relation broke', () => {
    const random = seeded(3);
    const monitor = new AssetMonitor({ discoverSamples: 30, learnRows: 300 });
    let scored;
    for (let i = 0; i < 400; i += 1) scored = feed(monitor, 'line1/press1', pressRow(random, Math.sin(i / 20)));
    assert.ok(scored, 'scoring after discovery and the normal window');
    let starts = 0;
    let anomalous = false;
    for (let i = 400; i < 4400; i += 1) {
      const result = feed(monitor, 'line1/press1', pressRow(random, Math.sin(i / 20)));
      if (result.isAnomaly && !anomalous) starts += 1;
      anomalous = result.isAnomaly;
    }
    assert.ok(starts <= 2, `${starts} anomaly starts on 4,000 normal rows`);
    // The temperature no longer follows the load (a cooling fault): each value alone is plausible.
    let blamed;
    for (let i = 4400; i < 4430; i += 1) {
      const load = Math.sin(i / 20);
      const row = pressRow(random, load);
      row.temperature = 60 - 5 * load + 0.3 * random.gauss();
      const result = feed(monitor, 'line1/press1', row);
      if (result.isAnomaly) blamed = result.attribution;
    }
    assert.ok(blamed, 'the broken pattern is an asset anomaly');
    // Current and temperature no longer agree: the residual lies between the two, and vibration is not to blame.
    assert.ok(blamed.current + blamed.temperature > 0.8, JSON.stringify(blamed));
    assert.ok(blamed.vibration < Math.min(blamed.current, blamed.temperature) / 2, JSON.stringify(blamed));
    assert.ok(Math.abs(Object.values(blamed).reduce((s, v) => s + v, 0) - 1) < 1e-9);
  });

  it('never models an asset of one signal, refuses non-finite values, and restores what it saved', () => {
    const random = seeded(4);
    const monitor = new AssetMonitor({ discoverSamples: 10, learnRows: 50 });
    for (let i = 0; i < 200; i += 1) assert.equal(monitor.observe('a/lonely', 'x', random()), undefined);
    assert.throws(() => monitor.observe('a/b', 'x', Number.NaN), InputError);
    for (let i = 0; i < 200; i += 1) feed(monitor, 'line1/press1', pressRow(random, Math.sin(i / 20)));
    const restored = new AssetMonitor({ discoverSamples: 10, learnRows: 50 });
    assert.equal(restored.restore(JSON.parse(JSON.stringify(monitor.toJSON())).concat([{ asset: 'bad', model: { kind: 'nonsense' } }])), 1);
    const row = pressRow(random, 0.3);
    feed(monitor, 'line1/press1', row);
    const again = feed(restored, 'line1/press1', row);
    assert.ok(again && typeof again.t2 === 'number', 'the restored asset scores once its row is complete');
  });

  it('gives twin-deviation outputs the asset attribution and asset anomaly events', () => {
    const random = seeded(5);
    const monitor = new DeviationMonitor({ assets: { discoverSamples: 30, learnRows: 300 } });
    const t0 = 1_800_000_000_000;
    const events = [];
    let last;
    let i = 0;
    const step = (row) => {
      for (const [signal, value] of Object.entries(row)) {
        const { output, events: e } = monitor.score({ key: `l1/p1/${signal}`, asset: 'l1/p1', signal, value, time: t0 + i * 1000 });
        events.push(...e);
        last = output;
      }
      i += 1;
    };
    for (; i < 500;) step(pressRow(random, Math.sin(i / 20)));
    assert.ok(last.assetDeviation, 'the asset is modelled');
    assert.equal(Object.keys(last.attribution).length, 3);
    for (let k = 0; k < 30; k += 1) {
      const load = Math.sin(i / 20);
      step({ ...pressRow(random, load), temperature: 60 - 5 * load });
    }
    assert.ok(events.some((e) => e.type === 'asset-anomaly-start' && e.asset === 'l1/p1'), JSON.stringify(events.map((e) => e.type)));
  });
});
