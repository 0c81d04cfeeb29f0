'use strict';
/** The stuck-sensor check (src/core/deviation/stuck.ts) and its wiring into SignalDetector. Hand-built sequences only. */
const assert = require('assert/strict');
const { StuckCheck, SignalDetector } = require('../../../dist/core/deviation');
const { ConfigError } = require('../../../dist/core/errors');
const { rejects } = require('./helpers');

/** Feeds values with one tolerance; returns the stuck answers. */
function feed(check, values, tolerance = 0.01, learn = true) {
  return values.map((v) => check.update(v, tolerance, learn));
}
/** n moving values (each differs from the last by 1). */
const moving = (n, from = 0) => Array.from({ length: n }, (_, i) => from + (i % 2));
const repeat = (v, n) => Array.from({ length: n }, () => v);

describe('deviation: stuck check', () => {
  it('identical repeats after the signal was seen moving: stuck from run = minRun on', () => {
    const c = new StuckCheck({ minRun: 5, minMoves: 3 });
    assert.deepEqual(feed(c, moving(6)), repeat(false, 6)); // 5 moves
    // the last moving value (1) is the anchor; repeats count from 1
    const out = feed(c, repeat(1, 7));
    assert.deepEqual(out, [false, false, false, false, true, true, true]);
    assert.equal(c.runLength, 7);
    assert.equal(c.stuck, true);
    // a move ends it
    assert.equal(c.update(2, 0.01), false);
    assert.equal(c.runLength, 0);
  });
  it('near-identical values count within the tolerance of the anchor; a slow creep does not', () => {
    const c = new StuckCheck({ minRun: 4, minMoves: 1 });
    feed(c, moving(4));
    assert.deepEqual(feed(c, [1.005, 0.995, 1.009, 0.991]), [false, false, false, true]);
    const d = new StuckCheck({ minRun: 4, minMoves: 1 });
    feed(d, moving(4));
    // each step is within the tolerance of the last value, but the run is measured from its anchor
    assert.deepEqual(feed(d, [1.006, 1.012, 1.018, 1.024, 1.03]), repeat(false, 5));
    assert.ok(d.runLength < 4);
  });
  it('a signal that never moved is never stuck (minMoves)', () => {
    // runFactor 0: the still stretches below would otherwise be learned as normal runs (see the next test)
    const c = new StuckCheck({ minRun: 3, minMoves: 2, runFactor: 0 });
    assert.deepEqual(feed(c, repeat(7, 50)), repeat(false, 50));
    feed(c, [8]); // one move
    assert.deepEqual(feed(c, repeat(8, 10)), repeat(false, 10));
    feed(c, [9]); // two moves
    assert.deepEqual(feed(c, repeat(9, 3)), [false, false, true]);
  });
  it('learns the longest normal run: a quantised sensor needs runFactor x that', () => {
    const c = new StuckCheck({ minRun: 5, minMoves: 1, runFactor: 3 });
    // runs of 4 repeats between moves
    for (let k = 0; k < 5; k++) feed(c, repeat(k % 2, 5));
    assert.equal(c.longestRun, 4);
    assert.equal(c.limit, 12);
    const out = feed(c, repeat(1, 13)); // the first 1 is a move and the anchor; 12 repeats follow
    assert.equal(out.indexOf(true), 12);
    // still stretches before minMoves was reached are learned too: they ended while learning, unflagged
    const d = new StuckCheck({ minRun: 3, minMoves: 5 });
    feed(d, [...repeat(4, 21), 5]);
    assert.equal(d.longestRun, 20);
    assert.equal(d.limit, 60);
  });
  it('a flagged run, a run seen while not learning and a run cut by restart teach nothing', () => {
    const c = new StuckCheck({ minRun: 3, minMoves: 1, runFactor: 1 });
    feed(c, moving(3));
    feed(c, repeat(1, 10)); // flagged at 3
    feed(c, [5]);
    assert.equal(c.longestRun, 0, 'a flagged run is not normal');
    feed(c, [5, 5], 0.01, false); // not learning
    feed(c, [6]);
    assert.equal(c.longestRun, 0, 'a run seen while frozen is not learned');
    feed(c, [6, 6]);
    c.restart(6); // a gap
    feed(c, [7]);
    assert.equal(c.longestRun, 0, 'a run cut by a gap is not learned');
    feed(c, [7, 7]);
    feed(c, [8]);
    assert.equal(c.longestRun, 2);
    // moves are learned only while learning
    const d = new StuckCheck({ minRun: 2, minMoves: 3 });
    feed(d, moving(10), 0.01, false);
    assert.deepEqual(feed(d, repeat(1, 5), 0.01, false), repeat(false, 5));
  });
  it('saves and restores; refuses a bad save and bad options', () => {
    const c = new StuckCheck({ minRun: 4, minMoves: 1 });
    feed(c, [...moving(5), 1, 1, 1, 0, 0]);
    const copy = new StuckCheck({ minRun: 4, minMoves: 1 });
    copy.restore(JSON.parse(JSON.stringify(c.toJSON())));
    assert.deepEqual(copy.toJSON(), c.toJSON());
    assert.deepEqual(feed(copy, repeat(0, 4)), feed(c, repeat(0, 4)));
    assert.deepEqual(new StuckCheck().toJSON(), { anchor: null, run: 0, longest: 0, moves: 0, learnable: true });
    rejects(() => copy.restore({ anchor: 1, run: -1, longest: 0, moves: 0, learnable: true }), 'bad saved state');
    rejects(() => copy.restore(null), 'bad saved state');
    assert.throws(() => new StuckCheck({ minRun: 0 }), ConfigError);
    assert.throws(() => new StuckCheck({ relTolerance: -1 }), ConfigError);
    assert.throws(() => new StuckCheck({ minMoves: 1.5 }), ConfigError);
  });
});

describe('deviation: signal detector with the stuck check', () => {
  /** A hand-built moving signal: 10 + a fixed pattern of steps (sigma about 0.3). */
  const pattern = [0, 0.4, -0.3, 0.2, -0.5, 0.1, 0.3, -0.2, -0.1, 0.5];
  const signal = (n) => Array.from({ length: n }, (_, i) => 10 + pattern[i % pattern.length]);
  const run = (d, values, t0, expected) => values.map((value, i) => d.score(expected === undefined ? { value, time: t0 + i } : { value, time: t0 + i, expected }));

  it('a frozen value raises at least warning and isAnomaly after minRun; moving again clears it', () => {
    for (const expected of [undefined, 10]) {
      const d = new SignalDetector({ warmupSamples: 20, stuck: { minRun: 10 } });
      const normal = run(d, signal(200), 0, expected);
      assert.ok(normal.every((r) => !r.stuck), 'no stuck while moving');
      const frozen = run(d, repeat(10.1, 15), 200, expected); // anchor 10.1 (the first frozen sample, differs from the last)
      assert.deepEqual(frozen.map((r) => r.stuck), [...repeat(false, 10), ...repeat(true, 5)]);
      for (const r of frozen.slice(10)) {
        assert.notEqual(r.severity, 'ok');
        assert.equal(r.isAnomaly, true);
      }
      const after = run(d, signal(5), 215, expected);
      assert.equal(after[0].stuck, false);
    }
  });
  it('a constant signal (never moved) is not stuck; nor is anything during warm-up', () => {
    const d = new SignalDetector({ warmupSamples: 20, stuck: { minRun: 5 } });
    assert.ok(run(d, repeat(3, 300), 0).every((r) => !r.stuck && r.severity === 'ok'));
    const e = new SignalDetector({ warmupSamples: 100, stuck: { minRun: 5, minMoves: 2 } });
    const out = run(e, [...signal(20), ...repeat(7, 30)], 0);
    assert.ok(out.every((r) => r.learning && !r.stuck));
  });
  it('toJSON carries the stuck state; a state saved without it still loads and continues', () => {
    const d = new SignalDetector({ warmupSamples: 20, stuck: { minRun: 10 } });
    run(d, [...signal(200), ...repeat(10.1, 5)], 0);
    const saved = JSON.parse(JSON.stringify(d.toJSON()));
    assert.ok(saved.stuck && saved.stuck.run === 4);
    const copy = SignalDetector.fromJSON(saved, { warmupSamples: 20, stuck: { minRun: 10 } });
    assert.deepEqual(run(copy, repeat(10.1, 10), 205), run(d, repeat(10.1, 10), 205));

    const old = JSON.parse(JSON.stringify(d.toJSON()));
    delete old.stuck; // as saved before the stuck check existed
    const loaded = SignalDetector.fromJSON(old, { warmupSamples: 20, stuck: { minRun: 10 } });
    assert.deepEqual(loaded.toJSON().stuck, { anchor: null, run: 0, longest: 0, moves: 0, learnable: true });
    // a fresh check: it must see the signal move minMoves (10) times before it can flag
    const more = run(loaded, [...signal(30), ...repeat(10.1, 12)], 215);
    assert.equal(more.at(-1).stuck, true);
    assert.equal(more.slice(0, 30).some((r) => r.stuck), false);
  });
});
