'use strict';
/** Shared fixtures of the state tests: a steppable clock, a small plant model, samples. */
const assert = require('assert/strict');
const { InputError } = require('../../../dist/core/errors');

const T0 = 1_700_000_000_000; // a whole second, so rate windows start on a slot boundary

function fakeClock(start = T0) {
  const clock = { t: start, now: () => clock.t, advance: (ms) => { clock.t += ms; return clock.t; } };
  return clock;
}

/** plant/line1/press1 {temperature 0..100 degC max 5 s, pressure bar max 2 s, recipe (configuration)},
 *  plant/line1/press2 {temperature}, plant/line2/oven {temperature, door (no max age)}. */
function plantModel(overrides = {}) {
  const signal = (name, unit, extra = {}) => ({ name, unit, ...extra });
  const asset = (name, kind, signals = [], children = []) => ({ name, kind, signals, children, parameters: [] });
  return {
    schemaVersion: 1,
    revision: 1,
    name: 'test plant',
    relationships: [],
    assets: [
      asset('plant', 'plant', [], [
        asset('line1', 'line', [], [
          asset('press1', 'machine', [
            signal('temperature', 'degC', { range: { min: 0, max: 100 }, maxAgeMs: 5000, ...overrides.temperature }),
            signal('pressure', 'bar', { maxAgeMs: 2000 }),
            signal('recipe', null, { configuration: true }),
          ]),
          asset('press2', 'machine', [signal('temperature', 'degC', { maxAgeMs: 5000 })]),
        ]),
        asset('line2', 'line', [], [asset('oven', 'machine', [signal('temperature', 'degC', { maxAgeMs: 10000 }), signal('door', null)])]),
      ]),
    ],
  };
}

/** A TwinSample as twin-ingest emits it; `key` is "<asset>/<signal>". */
function sample(key, value, clock, extra = {}) {
  const cut = key.lastIndexOf('/');
  const receivedTime = clock.now();
  const sourceTime = extra.sourceTime ?? receivedTime;
  return {
    asset: key.slice(0, cut),
    signal: key.slice(cut + 1),
    value,
    unit: 'unit' in extra ? extra.unit : 'degC',
    quality: extra.quality ?? 'good',
    sourceTime,
    receivedTime,
    latencyMs: Math.max(0, receivedTime - sourceTime),
  };
}

function rejects(fn, reason) {
  assert.throws(fn, (err) => {
    assert.ok(err instanceof InputError, `expected InputError, got ${err && err.name}: ${err && err.message}`);
    if (reason) assert.equal(err.shortReason, reason);
    return true;
  });
}

module.exports = { T0, fakeClock, plantModel, sample, rejects };
