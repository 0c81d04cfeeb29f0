'use strict';
const assert = require('assert/strict');
const { PageHinkley, Adwin } = require('../../../dist/core/deviation');
const { ConfigError } = require('../../../dist/core/errors');
const { close, seeded } = require('./helpers');

describe('deviation: Page-Hinkley', () => {
  it('hand-computed on 0, 0, 0, 1, 1 (delta 0.1, lambda 1, alpha 1)', () => {
    const ph = new PageHinkley({ delta: 0.1, lambda: 1, alpha: 1, minSamples: 1 });
    // up sums: -0.1, -0.2, -0.3; then mean 0.25, up = -0.3 + 0.75 - 0.1 = 0.35, stat 0.65 > 0.5
    assert.deepEqual([0, 0, 0].map((x) => ph.update(x)), ['none', 'none', 'none']);
    assert.equal(ph.update(1), 'warning');
    close(ph.statistic, 0.65, 1e-12);
    // mean 0.4, up = 0.35 + 0.6 - 0.1 = 0.85, stat 1.15 > 1: drift, then it starts again
    assert.equal(ph.update(1), 'drift');
    assert.equal(ph.statistic, 0);
  });
  it('detects a downward step too (two-sided)', () => {
    const ph = new PageHinkley({ delta: 0.1, lambda: 1, alpha: 1, minSamples: 1 });
    const states = [0, 0, 0, -1, -1].map((x) => ph.update(x));
    assert.deepEqual(states, ['none', 'none', 'none', 'warning', 'drift']);
  });
  it('no drift on 10,000 seeded N(0,1) points; a 2-sigma step found within 40 samples', () => {
    const r = seeded(42);
    const ph = new PageHinkley();
    for (let i = 0; i < 10000; i++) assert.notEqual(ph.update(r.gauss()), 'drift', `false drift at ${i}`);
    let at = -1;
    for (let i = 0; i < 200 && at < 0; i++) if (ph.update(2 + r.gauss()) === 'drift') at = i;
    assert.ok(at >= 0 && at < 40, `found at ${at}`);
  });
  it('save, restore, bad options', () => {
    const ph = new PageHinkley();
    [1, 2, 3].forEach((x) => ph.update(x));
    const copy = new PageHinkley();
    copy.restore(JSON.parse(JSON.stringify(ph.toJSON())));
    assert.deepEqual(copy.toJSON(), ph.toJSON());
    assert.throws(() => new PageHinkley({ lambda: -1 }), ConfigError);
    assert.throws(() => new PageHinkley({ alpha: 1.5 }), ConfigError);
  });
});

describe('deviation: ADWIN', () => {
  it('keeps exact window mean and variance through bucket merges (hand-checked on 1..100)', () => {
    const a = new Adwin({ clock: 1000 });
    for (let i = 1; i <= 100; i++) a.update(i);
    assert.equal(a.windowLength, 100);
    close(a.windowMean, 50.5, 1e-12);
    close(a.toJSON().variance, 83325, 1e-6); // sum (i - 50.5)^2 = 100 (100^2 - 1) / 12
    assert.ok(a.buckets <= 5 * 6, `${a.buckets} buckets`);
  });
  it('cuts 0 x 100 then 1 x 100: the old part goes, drift reported', () => {
    const a = new Adwin({ clock: 1 });
    for (let i = 0; i < 100; i++) assert.equal(a.update(0), 'none');
    let at = -1;
    for (let i = 0; i < 100; i++) if (a.update(1) === 'drift' && at < 0) at = i;
    // By hand, with k ones after the zeros: diff 1, v = 100k/(100+k)^2, m = 1/100 + 1/k,
    // d = ln(2 ln(100+k) / 0.002). k = 10: eps = 0.39 + 0.62 = 1.01 (no cut); k = 11: 0.39 + 0.57 = 0.96.
    assert.equal(at, 10);
    // Buckets of 2^i samples may straddle the step, so a few zeros can stay in the window.
    assert.ok(a.windowMean > 0.85, `window mean ${a.windowMean}`);
  });
  it('no drift on 10,000 seeded N(0,1) points; a 2-sigma step found within 100 samples', () => {
    const r = seeded(42);
    const a = new Adwin();
    for (let i = 0; i < 10000; i++) assert.notEqual(a.update(r.gauss()), 'drift', `false drift at ${i}`);
    let at = -1;
    for (let i = 0; i < 300 && at < 0; i++) if (a.update(2 + r.gauss()) === 'drift') at = i;
    assert.ok(at >= 0 && at < 100, `found at ${at}`);
  });
  it('memory is bounded by maxWindow', () => {
    const a = new Adwin({ maxWindow: 1000 });
    for (let i = 0; i < 50000; i++) a.update(i % 2);
    assert.ok(a.windowLength <= 1000);
    assert.ok(a.buckets <= 5 * 11);
  });
  it('save and restore continue identically', () => {
    const r = seeded(3);
    const a = new Adwin();
    for (let i = 0; i < 500; i++) a.update(r.gauss());
    const b = new Adwin();
    b.restore(JSON.parse(JSON.stringify(a.toJSON())));
    for (let i = 0; i < 500; i++) {
      const x = (i > 200 ? 3 : 0) + r.gauss();
      assert.equal(b.update(x), a.update(x));
    }
    assert.deepEqual(b.toJSON(), a.toJSON());
  });
});
