'use strict';
const assert = require('assert/strict');
const { TwinState } = require('../../../dist/core/state');
const { T0, fakeClock, plantModel, sample, rejects } = require('./helpers');

describe('twin state: fidelity', () => {
  let clock;
  let state;
  beforeEach(() => {
    clock = fakeClock();
    state = new TwinState({ model: plantModel(), now: clock.now });
  });

  it('is all zero for a model nobody has sent to', () => {
    assert.deepEqual(state.fidelity(), {
      signals: 6, fresh: 0, stale: 0, missing: 6, coverage: 0, latencyMeanMs: null, latencyP95Ms: null, badQuality: 0, ratePerSecond: 0,
    });
  });

  it('counts fresh, stale, missing, bad quality; latency and rate by hand', () => {
    // 10 samples in 10 s: latencies 10, 20, ..., 100 ms, spread over press1 and press2.
    const keys = ['plant/line1/press1/temperature', 'plant/line1/press1/pressure', 'plant/line1/press2/temperature'];
    for (let i = 0; i < 10; i++) {
      clock.t = T0 + i * 1000;
      const key = keys[i % 3];
      state.update(sample(key, 1, clock, { sourceTime: clock.t - (i + 1) * 10, unit: key.endsWith('pressure') ? 'bar' : 'degC', quality: i === 8 ? 'bad' : 'good' }));
    }
    clock.t = T0 + 10_000;
    state.checkFreshness();
    // pressure last at 7 s (max 2 s): stale; press1 temperature last at 9 s, press2 at 8 s: fresh.
    const all = state.fidelity();
    assert.equal(all.signals, 6);
    assert.equal(all.fresh, 2);
    assert.equal(all.stale, 1);
    assert.equal(all.missing, 3);
    assert.equal(all.coverage, 2 / 6);
    assert.equal(all.badQuality, 1, 'the press2 temperature (sample 8) is bad now');
    assert.equal(all.latencyMeanMs, 55); // (10 + ... + 100) / 10
    assert.equal(all.latencyP95Ms, 100); // nearest rank: ceil(0.95 * 10) = 10th
    assert.equal(all.ratePerSecond, 1); // 10 samples over the 10 s the state has run

    const press2 = state.fidelity('plant/line1/press2'); // samples 2, 5, 8: 30, 60, 90 ms
    assert.deepEqual(press2, { signals: 1, fresh: 1, stale: 0, missing: 0, coverage: 1, latencyMeanMs: 60, latencyP95Ms: 90, badQuality: 1, ratePerSecond: 0.3 });
    assert.equal(state.fidelity('plant/line2').signals, 2);
    assert.equal(state.fidelity('plant/line2').ratePerSecond, 0);
  });

  it('rate and latency cover the last 60 s only', () => {
    const key = 'plant/line2/oven/door';
    for (let i = 0; i < 120; i++) {
      clock.t = T0 + i * 1000;
      state.update(sample(key, i % 2 === 0, clock, { unit: null, sourceTime: clock.t - (i < 60 ? 1000 : 10) }));
    }
    clock.t = T0 + 119_999; // window: seconds 60..119
    const f = state.fidelity(key.slice(0, key.lastIndexOf('/')));
    assert.equal(f.ratePerSecond, 1);
    assert.equal(f.latencyMeanMs, 10);
    assert.equal(f.latencyP95Ms, 10);
    clock.t = T0 + 200_000;
    const quiet = state.fidelity();
    assert.equal(quiet.ratePerSecond, 0);
    assert.equal(quiet.latencyMeanMs, null);
    assert.equal(quiet.latencyP95Ms, null);
  });

  it('refuses an unknown asset path', () => {
    rejects(() => state.fidelity('plant/line9'), 'unknown asset');
    rejects(() => state.fidelity(5), 'bad asset path');
    assert.equal(state.fidelity('').signals, 6);
  });
});

describe('twin state: fidelity by asset', () => {
  it('reports every asset that holds signals, each with its own figures, and the same as asking for it', () => {
    const clock = fakeClock();
    const state = new TwinState({ model: plantModel(), now: clock.now });
    state.update(sample('plant/line1/press1/temperature', 70, clock, { unit: 'degC' }));
    const byAsset = state.fidelityByAsset();
    const paths = Object.keys(byAsset).sort();
    assert.ok(paths.length >= 2, paths.join(', '));
    for (const path of paths) assert.deepEqual(byAsset[path], state.fidelity(path), path);
    assert.equal(byAsset['plant/line1/press1'].fresh, 1);
    assert.equal(Object.getPrototypeOf(byAsset), null);
    assert.equal(Object.keys(state.fidelityByAsset(1)).length, 1, 'the limit holds');
  });
});
