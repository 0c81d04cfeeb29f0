'use strict';
const assert = require('assert/strict');
const { TwinState } = require('../../../dist/core/state');
const { ConfigError } = require('../../../dist/core/errors');
const { T0, fakeClock, plantModel, sample, rejects } = require('./helpers');

const TEMP = 'plant/line1/press1/temperature';

describe('twin state: update and the current value', () => {
  let clock;
  let state;
  beforeEach(() => {
    clock = fakeClock();
    state = new TwinState({ model: plantModel(), now: clock.now });
  });

  it('keeps value, unit, quality, times and latency; age is computed when read', () => {
    state.update(sample(TEMP, 42.5, clock, { sourceTime: T0 - 30 }));
    clock.advance(1234);
    const [snap] = state.get(TEMP);
    assert.deepEqual(snap, {
      key: TEMP, asset: 'plant/line1/press1', signal: 'temperature', value: 42.5, unit: 'degC', quality: 'good',
      sourceTime: T0 - 30, receivedTime: T0, latencyMs: 30, ageMs: 1264, stale: false, outOfRange: false,
    });
  });

  it('flags a value outside the model range without refusing it', () => {
    state.update(sample(TEMP, 100, clock));
    assert.equal(state.get(TEMP)[0].outOfRange, false);
    state.update(sample(TEMP, 100.5, clock));
    assert.equal(state.get(TEMP)[0].outOfRange, true);
    state.update(sample(TEMP, -0.1, clock));
    assert.equal(state.get(TEMP)[0].outOfRange, true);
  });

  it('keeps a bounded history of numbers, booleans and text, oldest first', () => {
    const small = new TwinState({ historyLength: 3, now: clock.now });
    const values = [1.5, true, 'recipe A', 4, false];
    values.forEach((v, i) => small.update(sample('m/x', v, clock, { sourceTime: T0 + i, quality: i === 3 ? 'bad' : 'good' })));
    const [snap] = small.get('m/x', { history: true });
    assert.deepEqual(snap.history, [
      { sourceTime: T0 + 2, value: 'recipe A', quality: 'good' },
      { sourceTime: T0 + 3, value: 4, quality: 'bad' },
      { sourceTime: T0 + 4, value: false, quality: 'good' },
    ]);
    assert.equal(small.get('m/x')[0].history, undefined, 'history only when asked');
  });

  it('keeps history points in order past many wraps', () => {
    const s = new TwinState({ historyLength: 7, now: clock.now });
    for (let i = 0; i < 50; i++) s.update(sample('m/x', i, clock, { sourceTime: T0 + i }));
    assert.deepEqual(s.get('m/x', { history: true })[0].history.map((p) => p.value), [43, 44, 45, 46, 47, 48, 49]);
    const none = new TwinState({ historyLength: 0, now: clock.now });
    none.update(sample('m/x', 1, clock));
    assert.deepEqual(none.get('m/x', { history: true })[0].history, []);
  });

  it('fills contract defaults for a hand-made sample', () => {
    const s = new TwinState({ now: clock.now });
    s.update({ asset: 'm', signal: 'speed', value: 3 });
    assert.deepEqual(s.get('m/speed')[0], {
      key: 'm/speed', asset: 'm', signal: 'speed', value: 3, unit: null, quality: 'good',
      sourceTime: T0, receivedTime: T0, latencyMs: 0, ageMs: 0, stale: false, outOfRange: false,
    });
  });

  it('refuses bad samples with a reason and changes nothing', () => {
    state.update(sample(TEMP, 20, clock));
    const before = JSON.stringify(state.toJSON());
    rejects(() => state.update(sample(TEMP, NaN, clock)), 'not a finite number');
    rejects(() => state.update(sample(TEMP, Infinity, clock)), 'not a finite number');
    rejects(() => state.update(sample(TEMP, { v: 1 }, clock)), 'bad value type');
    rejects(() => state.update(sample(TEMP, [1], clock)), 'bad value type');
    rejects(() => state.update(sample(TEMP, null, clock)), 'bad value type');
    rejects(() => state.update({ ...sample(TEMP, 1, clock), asset: '' }), 'missing asset');
    rejects(() => state.update({ ...sample(TEMP, 1, clock), signal: undefined }), 'missing signal');
    rejects(() => state.update({ ...sample(TEMP, 1, clock), signal: 'a/b' }), 'bad signal name');
    rejects(() => state.update({ ...sample(TEMP, 1, clock), unit: 5 }), 'bad unit');
    rejects(() => state.update({ ...sample(TEMP, 1, clock), quality: 'fine' }), 'unknown quality');
    rejects(() => state.update({ ...sample(TEMP, 1, clock), sourceTime: 'yesterday' }), 'bad time');
    rejects(() => state.update(sample('plant/line1/press1/nope', 1, clock)), 'unknown signal');
    rejects(() => state.update(null), 'bad sample');
    rejects(() => state.update([]), 'bad sample');
    assert.equal(JSON.stringify(state.toJSON()), before);
  });

  it('refuses bad options with a ConfigError', () => {
    for (const options of [{ historyLength: -1 }, { historyLength: 1.5 }, { unknownSignals: 'maybe' }, { defaultMaxAgeMs: NaN }, { now: 5 }]) {
      assert.throws(() => new TwinState(options), ConfigError);
    }
    assert.throws(() => new TwinState({ model: { assets: 'none' } }), ConfigError);
  });

  it('stops adding signals at maxSignals', () => {
    const s = new TwinState({ now: clock.now, maxSignals: 2 });
    s.update(sample('m/a', 1, clock));
    s.update(sample('m/b', 1, clock));
    rejects(() => s.update(sample('m/c', 1, clock)), 'too many signals');
    assert.equal(s.size, 2);
  });
});

describe('twin state: desired vs reported', () => {
  let clock;
  let state;
  beforeEach(() => {
    clock = fakeClock();
    state = new TwinState({ model: plantModel(), now: clock.now });
  });

  it('reports desired, desiredAt, sinceWriteMs and mismatch', () => {
    state.setDesired(TEMP, 50, T0);
    clock.advance(400);
    let [snap] = state.get(TEMP);
    assert.equal(snap.desired, 50);
    assert.equal(snap.desiredAt, T0);
    assert.equal(snap.sinceWriteMs, 400);
    assert.equal(snap.mismatch, true, 'nothing reported yet');
    state.update(sample(TEMP, 49, clock));
    assert.equal(state.get(TEMP)[0].mismatch, true);
    state.update(sample(TEMP, 50 * (1 + 5e-7), clock));
    assert.equal(state.get(TEMP)[0].mismatch, false, 'within the relative tolerance 1e-6');
    state.update(sample(TEMP, 50 * (1 + 2e-6), clock));
    assert.equal(state.get(TEMP)[0].mismatch, true);
    [snap] = state.get('plant/line1/press1/pressure');
    assert.equal(snap.desired, undefined);
    assert.equal('mismatch' in snap, false);
  });

  it('uses an absolute tolerance per signal, and exact equality for text and booleans', () => {
    state.setDesired(TEMP, 50, T0, 0.5);
    state.update(sample(TEMP, 50.4, clock));
    assert.equal(state.get(TEMP)[0].mismatch, false);
    state.update(sample(TEMP, 50.6, clock));
    assert.equal(state.get(TEMP)[0].mismatch, true);
    const recipe = 'plant/line1/press1/recipe';
    state.setDesired(recipe, 'B', T0);
    state.update(sample(recipe, 'A', clock, { unit: null }));
    assert.equal(state.get(recipe)[0].mismatch, true);
    state.update(sample(recipe, 'B', clock, { unit: null }));
    assert.equal(state.get(recipe)[0].mismatch, false);
    assert.equal(state.clearDesired(recipe), true);
    assert.equal(state.get(recipe)[0].desired, undefined);
  });

  it('refuses bad desired values and unknown keys', () => {
    rejects(() => state.setDesired(TEMP, NaN, T0), 'not a finite number');
    rejects(() => state.setDesired(TEMP, 1, 'now'), 'bad time');
    rejects(() => state.setDesired(TEMP, 1, T0, -1), 'bad tolerance');
    rejects(() => state.setDesired('plant/nope/x', 1, T0), 'unknown signal');
    rejects(() => state.setDesired(42, 1, T0), 'bad key');
    assert.equal(state.get(TEMP)[0].desired, undefined);
    const free = new TwinState({ now: clock.now });
    free.setDesired('m/speed', 3, T0);
    assert.equal(free.get('m/speed')[0].mismatch, true);
  });
});
