'use strict';
const assert = require('assert/strict');
const { Normaliser, defaultNormaliserOptions } = require('../../../dist/core/ingest/normaliser');
const { InputError, ConfigError } = require('../../../dist/core/errors');

const T0 = Date.UTC(2024, 4, 1, 10, 0, 0); // source time of the first sample
const RECEIVED = T0 + 250;

function raw(extra = {}) {
  return { origin: 'plant/line1/press1/temperature', asset: 'plant/line1/press1', signal: 'temperature', value: 21.5, sourceTime: T0, receivedTime: RECEIVED, ...extra };
}

function rejects(normaliser, sample, reason) {
  assert.throws(() => normaliser.normalise(sample), (err) => {
    assert.ok(err instanceof InputError, `expected InputError, got ${err && err.name}: ${err && err.message}`);
    assert.equal(err.shortReason, reason);
    return true;
  });
}

describe('ingest Normaliser: values, units and times', () => {
  it('builds a TwinSample with canonical unit, quality and latency', () => {
    const n = new Normaliser();
    assert.deepEqual(n.normalise(raw({ value: '21.5 °C', quality: 'GOOD' })), {
      asset: 'plant/line1/press1', signal: 'temperature', value: 21.5, unit: 'degC', quality: 'good',
      sourceTime: T0, receivedTime: RECEIVED, latencyMs: 250,
    });
    const s = n.normalise(raw({ signal: 'state', value: 'ON', quality: 0x80340000, sourceTime: undefined }));
    assert.deepEqual([s.value, s.unit, s.quality, s.sourceTime, s.latencyMs], [true, null, 'bad', RECEIVED, 0]);
  });

  it('converts to a rule unit, assuming it when the source states none', () => {
    const n = new Normaliser({ signals: [{ match: '+/+/+/temperature', unit: '°C' }, { match: '#', unit: 'bar' }] });
    assert.equal(n.normalise(raw({ value: 212, unit: 'degF' })).value, 100);
    const plain = n.normalise(raw({ signal: 'temperature', asset: 'plant/line1/press2', value: 55 }));
    assert.deepEqual([plain.value, plain.unit], [55, 'degC']);
    const p = n.normalise(raw({ signal: 'pressure', value: '1234 mbar' }));
    assert.deepEqual([p.value, p.unit], [1.234, 'bar'], 'the first matching rule wins, then "#"');
    rejects(n, raw({ signal: 'pressure2', value: 3, unit: 'degC' }), 'wrong unit');
    rejects(n, raw({ signal: 'pressure3', value: 3, unit: 'wibble' }), 'unknown unit');
  });

  it('scales raw counts before converting units', () => {
    const n = new Normaliser({ signals: [
      { match: 'plant/line1/press1/pressure', unit: 'bar', scale: { rawLow: 0, rawHigh: 27648, low: 0, high: 10000 } },
      { match: '+/+/+/current', scale: { rawLow: 4, rawHigh: 20, low: 0, high: 100 } },
    ] });
    // 13824 counts -> 5000 (stated mbar) -> 5 bar
    assert.equal(n.normalise(raw({ signal: 'pressure', value: 13824, unit: 'mbar' })).value, 5);
    const c = n.normalise(raw({ signal: 'current', value: 12 }));
    assert.deepEqual([c.value, c.unit], [50, null]);
    rejects(n, raw({ signal: 'current', value: true, sourceTime: T0 + 1 }), 'not a number');
  });

  it('keeps the source unit by its canonical name without a rule, refusing unknown ones', () => {
    const n = new Normaliser();
    assert.equal(n.normalise(raw({ value: 6, unit: 'm³/h' })).unit, 'm^3/h');
    assert.equal(n.normalise(raw({ signal: 'load', value: '85%' })).unit, 'percent');
    rejects(n, raw({ signal: 'count', value: 3, unit: 'pcs' }), 'unknown unit');
    rejects(n, raw({ signal: 'x', value: '3 °C', unit: 'bar' }), 'unit conflict');
    rejects(n, raw({ signal: 'y', value: 3, unit: 42 }), 'bad unit');
  });

  it('handles text values only when enabled', () => {
    rejects(new Normaliser(), raw({ value: 'Running' }), 'not a number');
    const s = new Normaliser({ textValues: true }).normalise(raw({ value: ' Running ' }));
    assert.deepEqual([s.value, s.unit], ['Running', null]);
  });

  it('reads source times and clamps negative latency', () => {
    const n = new Normaliser();
    assert.equal(n.normalise(raw({ sourceTime: '2024-05-01T10:00:00Z' })).sourceTime, T0);
    const ahead = n.normalise(raw({ signal: 's2', sourceTime: (RECEIVED + 5000) / 1000 }));
    assert.deepEqual([ahead.sourceTime, ahead.latencyMs], [RECEIVED + 5000, 0]);
    rejects(n, raw({ signal: 's3', sourceTime: RECEIVED + 2 * 86_400_000 }), 'bad timestamp');
    rejects(n, raw({ signal: 's3', sourceTime: 'soon' }), 'bad timestamp');
  });

  it('outputs +0 for -0 and numbers for safe bigints', () => {
    const n = new Normaliser();
    assert.ok(Object.is(n.normalise(raw({ value: -0 })).value, 0));
    assert.equal(n.normalise(raw({ signal: 'count', value: 12n })).value, 12);
  });
});

describe('ingest Normaliser: policies', () => {
  it('drops exact duplicates by default and keeps them on request', () => {
    const n = new Normaliser();
    assert.ok(n.normalise(raw()));
    assert.equal(n.normalise(raw()), null);
    assert.ok(n.normalise(raw({ quality: 'bad' })), 'a quality change is not a duplicate');
    assert.ok(n.normalise(raw({ quality: 'bad', value: 22 })), 'same time, new value');
    assert.equal(n.stats().duplicates, 1);
    const keep = new Normaliser({ duplicates: 'keep' });
    assert.ok(keep.normalise(raw()));
    assert.ok(keep.normalise(raw()));
    assert.equal(keep.stats().duplicates, 0);
  });

  it('drops samples older than the last accepted one by default', () => {
    const n = new Normaliser();
    assert.ok(n.normalise(raw({ sourceTime: T0 + 1000 })));
    assert.equal(n.normalise(raw({ sourceTime: T0, value: 30 })), null);
    assert.ok(n.normalise(raw({ sourceTime: T0 + 1000, value: 30 })), 'same time is not out of order');
    assert.equal(n.stats().outOfOrder, 1);
    const keep = new Normaliser({ outOfOrder: 'keep' });
    assert.ok(keep.normalise(raw({ sourceTime: T0 + 1000 })));
    assert.equal(keep.normalise(raw({ sourceTime: T0, value: 30 })).value, 30);
  });

  it('applies the deadband against the last accepted value unless quality changes', () => {
    const n = new Normaliser({ deadband: 0.5, signals: [{ match: '+/+/+/pressure', deadband: 0 }] });
    const at = (i, extra) => n.normalise(raw({ sourceTime: T0 + i * 1000, ...extra }));
    assert.equal(at(0, { value: 10 }).value, 10);
    assert.equal(at(1, { value: 10.3 }), null);
    assert.equal(at(2, { value: 9.6 }), null);
    assert.equal(at(3, { value: 10.4 }), null);
    assert.equal(at(4, { value: 10.5 }).value, 10.5, 'a change of exactly the deadband passes');
    assert.equal(at(5, { value: 10.6 }), null);
    assert.equal(at(6, { value: 10.6, quality: 'uncertain' }).quality, 'uncertain');
    assert.equal(at(7, { value: 'on' }).value, true, 'non-numeric values are never deadbanded');
    assert.equal(n.stats().deadbanded, 4);
    // The rule's deadband 0 switches it off for pressure.
    assert.ok(n.normalise(raw({ signal: 'pressure', value: 1 })));
    assert.ok(n.normalise(raw({ signal: 'pressure', value: 1.01, sourceTime: T0 + 1 })));
  });

  it('repeats the last value for bad quality without a usable value', () => {
    const n = new Normaliser({ signals: [{ match: '#', unit: 'degC' }] });
    rejects(n, raw({ value: null, quality: 'bad' }), 'no value');
    n.normalise(raw({ value: 212, unit: 'degF' }));
    for (const [i, value] of [[1, null], [2, undefined], [3, NaN], [4, 'Err#42']].entries()) {
      const s = n.normalise(raw({ value, quality: 'bad', sourceTime: T0 + 1000 * (i + 1) }));
      assert.deepEqual([s.value, s.unit, s.quality, s.sourceTime], [100, 'degC', 'bad', T0 + 1000 * (i + 1)]);
    }
    rejects(n, raw({ value: null, quality: 'good', sourceTime: T0 + 9000 }), 'no value');
    rejects(n, raw({ value: NaN, quality: 'uncertain', sourceTime: T0 + 9000 }), 'not finite');
  });

  it('refuses new signals beyond maxSignals until forgotten', () => {
    const n = new Normaliser({ maxSignals: 2 });
    n.normalise(raw({ asset: 'a', signal: 's1' }));
    n.normalise(raw({ asset: 'b', signal: 's1' }));
    rejects(n, raw({ asset: 'c', signal: 's1' }), 'too many signals');
    assert.ok(n.normalise(raw({ asset: 'a', signal: 's1', sourceTime: T0 + 1 })), 'known signals still pass');
    n.forget('a');
    assert.equal(n.stats().signals, 1);
    assert.ok(n.normalise(raw({ asset: 'c', signal: 's1' })));
    n.forget();
    assert.equal(n.stats().signals, 0);
    assert.ok(n.normalise(raw({ asset: 'b', signal: 's1' })), 'after forget() an old sample is new again');
  });

  it('counts everything in stats()', () => {
    const n = new Normaliser();
    n.normalise(raw());
    n.normalise(raw());
    assert.throws(() => n.normalise(raw({ value: 'x' })));
    assert.deepEqual(n.stats(), { accepted: 1, duplicates: 1, outOfOrder: 0, deadbanded: 0, rejected: 1, signals: 1 });
  });
});

describe('ingest Normaliser: garbage', () => {
  afterEach(() => assert.equal(({}).polluted, undefined, 'Object.prototype must never be polluted'));

  it('refuses garbage with InputError only', () => {
    const n = new Normaliser();
    const cases = [
      [null, 'bad sample'], [42, 'bad sample'], [raw({ signal: '' }), 'no signal name'], [raw({ signal: 5 }), 'no signal name'],
      [raw({ asset: undefined }), 'no signal name'], [raw({ receivedTime: NaN }), 'bad receive time'],
      [raw({ receivedTime: '2024' }), 'bad receive time'], [raw({ value: NaN }), 'not finite'],
      [raw({ value: Infinity }), 'not finite'], [raw({ value: '-Infinity' }), 'not finite'],
      [raw({ value: { nested: { value: 1 } } }), 'object, not a value'], [raw({ value: [1, 2] }), 'object, not a value'],
      [raw({ value: Buffer.from('1') }), 'wrong type'], [raw({ value: Symbol('v') }), 'wrong type'],
      [raw({ value: () => 1 }), 'wrong type'], [raw({ value: 'x'.repeat(1_000_000) }), 'not a number'],
      [raw({ signal: 'x'.repeat(2000) }), 'name too long'],
      [raw({ sourceTime: new Date(8.64e15) }), 'bad timestamp'], [raw({ sourceTime: { value: new Date() } }), 'bad timestamp'],
    ];
    for (const [sample, reason] of cases) rejects(n, sample, reason);
    const throwing = { get asset() { throw new Error('boom'); }, signal: 's', receivedTime: 1 };
    rejects(n, throwing, 'bad sample');
    assert.equal(n.stats().accepted, 0);
    assert.equal(n.stats().signals, 0);
  });

  it('refuses values that overflow when scaled or converted', () => {
    const n = new Normaliser({ signals: [{ match: '+/+/+/pressure', unit: 'mbar' }, { match: '#', scale: { rawLow: 0, rawHigh: 1e-300, low: 0, high: 1e300 } }] });
    rejects(n, raw({ signal: 'pressure', value: 1e308, unit: 'bar' }), 'not finite');
    rejects(n, raw({ signal: 'counts', value: 1e10 }), 'not finite');
    assert.equal(n.stats().signals, 0);
  });

  it('treats prototype names as ordinary signal names', () => {
    const n = new Normaliser();
    const s = n.normalise(raw({ asset: '__proto__', signal: 'polluted', value: 1 }));
    assert.equal(s.asset, '__proto__');
    assert.ok(n.normalise(raw({ asset: 'constructor', signal: 'prototype', value: 2 })));
    assert.equal(n.stats().signals, 2);
  });

  it('is unaffected by refused samples: the next good sample is identical', () => {
    const options = { deadband: 0.2, signals: [{ match: '#', unit: 'degC' }] };
    const clean = new Normaliser(options);
    const dirty = new Normaliser(options);
    const good = [raw({ value: 20 }), raw({ value: 20.1, sourceTime: T0 + 1000 }), raw({ value: 68, unit: 'degF', sourceTime: T0 + 2000 }),
      raw({ value: 21, sourceTime: T0 + 3000 })];
    const garbage = [raw({ value: NaN, sourceTime: T0 + 5000 }), raw({ value: 'junk', sourceTime: T0 + 5000 }),
      raw({ value: 50, unit: 'bar', sourceTime: T0 + 5000 }), raw({ value: 50, sourceTime: 'later' }),
      raw({ value: { __proto__: null }, sourceTime: T0 + 5000 }), raw({ value: 99, unit: 'wibble', sourceTime: T0 + 9000 }),
      raw({ value: 99, sourceTime: RECEIVED + 3 * 86_400_000 })];
    for (const sample of good) {
      const expected = clean.normalise(sample);
      for (const bad of garbage) assert.throws(() => dirty.normalise(bad), InputError);
      assert.deepEqual(dirty.normalise(sample), expected);
    }
    assert.deepEqual({ ...dirty.stats(), rejected: 0 }, clean.stats());
    assert.equal(dirty.stats().rejected, garbage.length * good.length);
  });
});

describe('ingest Normaliser: configuration', () => {
  it('has the documented defaults', () => {
    assert.deepEqual({ ...defaultNormaliserOptions }, { signals: [], deadband: 0, duplicates: 'drop', outOfOrder: 'drop', textValues: false, maxSignals: 100000 });
  });

  it('refuses bad options with ConfigError', () => {
    const bad = [{ deadband: -1 }, { deadband: NaN }, { duplicates: 'maybe' }, { outOfOrder: true }, { maxSignals: 0 },
      { maxSignals: 1.5 }, { signals: 'x' }, { signals: [null] }, { signals: [{ match: 'a/#/b' }] }, { signals: [{}] },
      { signals: [{ match: '#', unit: 'wibble' }] }, { signals: [{ match: '#', unit: 5 }] },
      { signals: [{ match: '#', scale: { rawLow: 1, rawHigh: 1, low: 0, high: 1 } }] },
      { signals: [{ match: '#', scale: { rawLow: 0, rawHigh: 1, low: 0 } }] }, { signals: [{ match: '#', deadband: -2 }] }];
    for (const options of bad) assert.throws(() => new Normaliser(options), ConfigError, JSON.stringify(options));
  });
});

describe('ingest Normaliser: a long stream', () => {
  // Speed is measured in bench/, not here: this checks the bookkeeping over 200,000 samples.
  it('accounts for every one of 200,000 samples over 1,000 signals with rules, units and deadband', function () {
    const n = new Normaliser({ deadband: 0.01, signals: [{ match: '+/+/+/temperature', unit: 'degC' }, { match: '+/+/+/pressure', unit: 'bar' }] });
    const signals = 1000;
    const samples = [];
    for (let i = 0; i < signals; i++) {
      samples.push({ origin: 'o', asset: `plant/line${i % 10}/m${i}`, signal: i % 2 ? 'temperature' : 'pressure', value: 0, unit: i % 2 ? 'degF' : 'mbar', quality: 'good', sourceTime: 0, receivedTime: 0 });
    }
    const total = 200_000;
    let emitted = 0;
    for (let k = 0; k < total; k++) {
      const s = samples[k % signals];
      s.value = 900 + (k % 97);
      s.sourceTime = T0 + k;
      s.receivedTime = T0 + k + 5;
      if (n.normalise(s) !== null) emitted++;
    }
    assert.equal(n.stats().signals, signals);
    assert.equal(emitted + n.stats().deadbanded, total);
    // Each signal's value moves by 30 raw units per visit: always beyond the deadband.
    assert.equal(emitted, total);
  });
});
