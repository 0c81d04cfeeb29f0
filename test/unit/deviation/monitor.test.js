'use strict';
const assert = require('node:assert/strict');
const { DeviationMonitor } = require('../../../dist/core/deviation/deviation-monitor');
const { InputError } = require('../../../dist/core/errors');
const { seeded } = require('./helpers');

const T0 = 1_800_000_000_000;
const at = (i) => T0 + i * 1000;
const sample = (key, value, i) => ({ key, asset: key.split('/').slice(0, -1).join('/'), signal: key.split('/').pop(), value, time: at(i) });

/** A noisy signal around 50 with its noise-free twin value. */
function stream(n, seed = 1) {
  const random = seeded(seed);
  const noise = () => random.gauss();
  return Array.from({ length: n }, (_, i) => ({ truth: 50 + Math.sin(i / 50), value: 50 + Math.sin(i / 50) + 0.2 * noise() }));
}

describe('deviation monitor', () => {
  it('uses the twin prediction when its time matches, the learned expectation otherwise', () => {
    const monitor = new DeviationMonitor({ matchToleranceMs: 500 });
    monitor.predict('l1/p1/t', 42, at(1));
    const matched = monitor.score(sample('l1/p1/t', 43, 1)).output;
    assert.equal(matched.expectedFrom, 'twin');
    assert.equal(matched.expected, 42);
    assert.equal(matched.residual, 1);
    monitor.predict('l1/p1/t', 42, at(1));
    const late = monitor.score(sample('l1/p1/t', 43, 3)).output;
    assert.equal(late.expectedFrom, 'learned', 'a prediction 2 s away is not used with a 0.5 s tolerance');
    assert.deepEqual(late.attribution, { t: 1 });
  });

  it('keeps every prediction of a twin that looks several samples ahead until its sample arrives', () => {
    const monitor = new DeviationMonitor({ matchToleranceMs: 400 });
    // A prediction each second for 10 s ahead: ten are pending when the first sample they concern arrives.
    for (let s = 0; s < 10; s++) monitor.predict('l1/oven/t', 100 + s, at(s + 10));
    monitor.predict('l1/oven/t', 999, at(30)); // far ahead: waits
    for (let s = 10; s < 20; s++) {
      const out = monitor.score(sample('l1/oven/t', 100.5 + (s - 10), s)).output;
      assert.equal(out.expectedFrom, 'twin', `sample at ${s} s`);
      assert.equal(out.expected, 100 + (s - 10));
    }
    monitor.predict('l1/oven/t', 5, at(25));
    monitor.predict('l1/oven/t', 6, at(25)); // a newer prediction for the same time replaces it
    assert.equal(monitor.score(sample('l1/oven/t', 6, 25.2)).output.expected, 6);
    assert.equal(monitor.score(sample('l1/oven/t', 1, 28)).output.expectedFrom, 'learned');
    assert.equal(monitor.score(sample('l1/oven/t', 999, 30.1)).output.expected, 999);
  });

  it('raises anomaly-start and anomaly-end once each around a fault, and one output per sample', () => {
    const monitor = new DeviationMonitor({ detector: { warmupSamples: 100 } });
    const data = stream(700);
    const events = [];
    let outputs = 0;
    data.forEach(({ truth, value }, i) => {
      const faulty = i >= 400 && i < 450 ? value + 3 : value; // +15 sigma for 50 s
      monitor.predict('l1/p1/t', truth, at(i));
      const { output, events: e } = monitor.score(sample('l1/p1/t', faulty, i));
      outputs += output ? 1 : 0;
      events.push(...e.map((event) => ({ ...event, i })));
    });
    assert.equal(outputs, 700);
    const starts = events.filter((e) => e.type === 'anomaly-start');
    const ends = events.filter((e) => e.type === 'anomaly-end');
    assert.equal(starts.length, 1, JSON.stringify(events));
    assert.ok(starts[0].i >= 400 && starts[0].i < 410, `started at ${starts[0].i}`);
    assert.equal(ends.length, 1);
    assert.ok(ends[0].i >= 450, `ended at ${ends[0].i}`);
    assert.equal(ends[0].durationMs, (ends[0].i - starts[0].i) * 1000);
  });

  it('refuses bad values and times without creating or changing a detector', () => {
    const monitor = new DeviationMonitor();
    for (const value of [Number.NaN, Infinity, '5', null, {}]) {
      assert.throws(() => monitor.score({ ...sample('a/b', 1, 1), value }), InputError);
    }
    assert.throws(() => monitor.score({ ...sample('a/b', 1, 1), time: Number.NaN }), InputError);
    assert.equal(monitor.size, 0);
    assert.throws(() => monitor.predict('a/b', Number.NaN, at(1)), InputError);
    monitor.score(sample('a/b', 1, 1));
    const before = JSON.stringify(monitor.toJSON());
    assert.throws(() => monitor.score(sample('a/b', 2, 0)), InputError, 'time went back');
    assert.equal(JSON.stringify(monitor.toJSON()), before);
  });

  it('continues exactly where it stopped after toJSON and fromJSON, and skips a bad saved signal', () => {
    const data = stream(300, 7);
    const original = new DeviationMonitor();
    data.slice(0, 200).forEach(({ value }, i) => original.score(sample('a/b', value, i)));
    const saved = JSON.parse(JSON.stringify(original.toJSON()));
    saved.signals.push({ key: 'broken', detector: { format: 'nonsense' } });
    const { monitor: restored, skipped } = DeviationMonitor.fromJSON(saved);
    assert.equal(skipped, 1);
    data.slice(200).forEach(({ value }, j) => {
      const i = 200 + j;
      assert.deepEqual(restored.score(sample('a/b', value, i)).output, original.score(sample('a/b', value, i)).output);
    });
    assert.throws(() => DeviationMonitor.fromJSON({ format: 'x' }), InputError);
  });

  it('freezes and resumes learning for every signal, and resets one or all', () => {
    const monitor = new DeviationMonitor();
    monitor.score(sample('a/b', 1, 1));
    monitor.freeze();
    monitor.score(sample('a/c', 1, 1));
    assert.deepEqual(monitor.toJSON().signals.map((s) => s.detector.frozen), [true, true], 'also a signal first seen while frozen');
    monitor.resume();
    assert.deepEqual(monitor.toJSON().signals.map((s) => s.detector.frozen), [false, false]);
    monitor.reset('a/b');
    assert.equal(monitor.size, 1);
    monitor.reset();
    assert.equal(monitor.size, 0);
  });

  it('bounds the number of signals it watches', () => {
    const monitor = new DeviationMonitor({ maxSignals: 2 });
    monitor.score(sample('a/x', 1, 1));
    monitor.score(sample('a/y', 1, 1));
    assert.throws(() => monitor.score(sample('a/z', 1, 1)), (err) => err instanceof InputError && err.shortReason === 'too many signals');
    assert.deepEqual(monitor.severities(), { ok: 2, warning: 0, alarm: 0 });
  });
});
