'use strict';
const assert = require('assert/strict');
const { TwinState } = require('../../../dist/core/state');
const { T0, fakeClock, plantModel, sample, rejects } = require('./helpers');

const TEMP = 'plant/line1/press1/temperature';
const RECIPE = 'plant/line1/press1/recipe';
const config = (change, key, detail) => ({ type: 'configuration', change, key, asset: key.slice(0, key.lastIndexOf('/')), detail });

describe('twin state: watchdog', () => {
  let clock;
  beforeEach(() => {
    clock = fakeClock();
  });

  it('unknown signal with policy ignore: reported once, not kept', () => {
    const state = new TwinState({ model: plantModel(), now: clock.now, unknownSignals: 'ignore' });
    const key = 'plant/line1/press1/vibration';
    assert.deepEqual(state.update(sample(key, 1, clock)).events, [config('unknown-signal', key, 'ignored: not in the model')]);
    assert.deepEqual(state.update(sample(key, 2, clock)).events, []);
    assert.deepEqual(state.get(key), []);
    assert.equal(state.size, 6);
  });

  it('unknown signal with policy add: reported once as added, then kept like any signal', () => {
    const state = new TwinState({ model: plantModel(), now: clock.now, unknownSignals: 'add' });
    const key = 'plant/line3/robot/torque';
    assert.deepEqual(state.update(sample(key, 1, clock)).events, [config('unknown-signal', key, 'added: not in the model')]);
    assert.deepEqual(state.update(sample(key, 2, clock)).events, []);
    assert.equal(state.get(key)[0].value, 2);
    assert.equal(state.fidelity('plant/line3').signals, 1);
  });

  it('unknown signal with policy error: refused', () => {
    const state = new TwinState({ model: plantModel(), now: clock.now });
    rejects(() => state.update(sample('plant/x/y', 1, clock)), 'unknown signal');
    assert.equal(state.size, 6);
  });

  it('without a model every signal is added silently', () => {
    const state = new TwinState({ now: clock.now, unknownSignals: 'error' });
    assert.deepEqual(state.update(sample('a/b', 1, clock)).events, []);
    assert.equal(state.size, 1);
  });

  it('missing signals: model signals silent for the grace period, each once', () => {
    const state = new TwinState({ model: plantModel(), now: clock.now });
    state.update(sample(TEMP, 20, clock));
    clock.advance(29_999);
    assert.deepEqual(state.missingSignals(30_000), []);
    clock.advance(1);
    const events = state.missingSignals(30_000);
    assert.deepEqual(events.map((e) => e.key).sort(), [
      'plant/line1/press1/pressure', RECIPE, 'plant/line1/press2/temperature', 'plant/line2/oven/door', 'plant/line2/oven/temperature',
    ].sort());
    assert.deepEqual(events[0], config('missing-signal', events[0].key, 'no sample within 30000 ms'));
    assert.deepEqual(state.missingSignals(30_000), []);
    assert.throws(() => state.missingSignals(-5), (err) => err.code === 'CONFIG');
  });

  it('unit changed: against the model unit, then between samples', () => {
    const state = new TwinState({ model: plantModel(), now: clock.now });
    assert.deepEqual(state.update(sample(TEMP, 20, clock)).events, []);
    assert.deepEqual(state.update(sample(TEMP, 68, clock, { unit: 'degF' })).events, [config('unit-changed', TEMP, 'degC -> degF')]);
    assert.deepEqual(state.update(sample(TEMP, 69, clock, { unit: 'degF' })).events, []);
    assert.deepEqual(state.update(sample(TEMP, 20, clock, { unit: null })).events, [config('unit-changed', TEMP, 'degF -> no unit')]);
    const free = new TwinState({ now: clock.now });
    assert.deepEqual(free.update(sample('m/t', 20, clock, { unit: 'K' })).events, []);
    assert.deepEqual(free.update(sample('m/t', 20, clock, { unit: 'degC' })).events, [config('unit-changed', 'm/t', 'K -> degC')]);
  });

  it('configuration value changed: recipe, tool, mode', () => {
    const state = new TwinState({ model: plantModel(), now: clock.now });
    const recipe = (v) => sample(RECIPE, v, clock, { unit: null });
    assert.deepEqual(state.update(recipe('A-100')).events, [], 'the first value is no change');
    assert.deepEqual(state.update(recipe('A-100')).events, []);
    assert.deepEqual(state.update(recipe('B-200')).events, [config('configuration-value', RECIPE, 'A-100 -> B-200')]);
    assert.deepEqual(state.update(sample(TEMP, 20, clock)).events, []);
    assert.deepEqual(state.update(sample(TEMP, 21, clock)).events, [], 'ordinary signals change freely');
  });
});
