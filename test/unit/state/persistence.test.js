'use strict';
const assert = require('assert/strict');
const { TwinState } = require('../../../dist/core/state');
const { T0, fakeClock, plantModel, sample, rejects } = require('./helpers');

const TEMP = 'plant/line1/press1/temperature';
const PRESSURE = 'plant/line1/press1/pressure';
const OVEN = 'plant/line2/oven/temperature';

function filled(clock, options = {}) {
  const state = new TwinState({ model: plantModel(), now: clock.now, ...options });
  for (let i = 0; i < 5; i++) {
    clock.t = T0 + i * 100;
    state.update(sample(TEMP, 20 + i, clock, { sourceTime: clock.t - 5 }));
    state.update(sample(PRESSURE, i % 2 === 0, clock, { unit: 'bar', quality: i === 4 ? 'uncertain' : 'good' }));
  }
  state.update(sample('plant/line1/press1/recipe', 'A-100', clock, { unit: null }));
  state.setDesired(TEMP, 25, T0 + 50, 0.1);
  state.setDesired(OVEN, 180, T0 + 60);
  return state;
}

describe('twin state: model changes and persistence', () => {
  let clock;
  beforeEach(() => {
    clock = fakeClock();
  });

  it('round trip through JSON text keeps values, histories and desired values', () => {
    const state = filled(clock);
    const text = JSON.stringify(state.toJSON());
    const saved = JSON.parse(text);
    assert.equal(saved.format, 'twinloop-state');
    assert.equal(saved.version, 1);
    const restored = TwinState.fromJSON(saved, { model: plantModel(), now: clock.now });
    assert.equal(restored.skippedOnRestore, 0);
    assert.deepEqual(restored.get('**', { history: true }), state.get('**', { history: true }));
    assert.deepEqual(restored.toJSON(), state.toJSON());
    assert.equal(restored.nextDeadline(), state.nextDeadline());
  });

  it('a restart after some time finds stale signals stale and keeps the deadline of fresh ones', () => {
    const saved = JSON.parse(JSON.stringify(filled(clock).toJSON()));
    clock.t = T0 + 3000;
    const restored = TwinState.fromJSON(saved, { model: plantModel(), now: clock.now });
    assert.equal(restored.get(PRESSURE)[0].stale, true);
    assert.equal(restored.get(TEMP)[0].stale, false);
    assert.equal(restored.nextDeadline(), T0 + 400 - 5 + 5000);
  });

  it('a restart with a changed model keeps what still matches', () => {
    const saved = JSON.parse(JSON.stringify(filled(clock).toJSON()));
    const model = plantModel({ temperature: { maxAgeMs: 100, range: { min: 30 } } });
    model.assets[0].children[0].children[0].signals = model.assets[0].children[0].children[0].signals.filter((s) => s.name !== 'pressure');
    clock.t = T0 + 500;
    const restored = TwinState.fromJSON(saved, { model, now: clock.now });
    assert.deepEqual(restored.get(PRESSURE), [], 'removed from the model');
    const [temp] = restored.get(TEMP, { history: true });
    assert.equal(temp.value, 24);
    assert.equal(temp.history.length, 5);
    assert.equal(temp.desired, 25);
    assert.equal(temp.outOfRange, true, 'new range applies');
    assert.equal(temp.stale, true, 'new max age applies (age 105 ms > 100 ms)');
    assert.equal(restored.get(OVEN)[0].desired, 180);
    // With policy add, the signal the model lost is kept as an added one.
    const kept = TwinState.fromJSON(saved, { model, now: clock.now, unknownSignals: 'add' });
    assert.equal(kept.get(PRESSURE)[0].value, true);
    assert.deepEqual(kept.update(sample(PRESSURE, false, clock, { unit: 'bar' })).events, [], 'not reported as unknown again');
  });

  it('setModel keeps matching state, drops removed signals, applies new limits', () => {
    const state = filled(clock);
    clock.t = T0 + 1000;
    const model = plantModel({ temperature: { maxAgeMs: 500, unit: 'K' } });
    model.assets[0].children.pop(); // line2 goes
    model.assets[0].children[0].children[1].signals.push({ name: 'speed', unit: 'Hz' });
    const events = state.setModel(model);
    assert.deepEqual(events, [{ type: 'stale', key: TEMP, ageMs: 605 }]);
    assert.deepEqual(state.get('plant/line2/**'), []);
    assert.throws(() => state.fidelity('plant/line2'), (err) => err.shortReason === 'unknown asset');
    assert.equal(state.get(TEMP, { history: true })[0].history.length, 5);
    assert.equal(state.get('plant/line1/press2/speed')[0].value, null);
    assert.deepEqual(state.update(sample(TEMP, 300, clock)).events.map((e) => e.change || e.type), ['unit-changed', 'fresh']);
    // A longer limit makes a stale signal fresh again.
    clock.t = T0 + 5000;
    assert.deepEqual(state.checkFreshness().map((e) => e.key).sort(), [PRESSURE, TEMP]);
    const relaxed = plantModel({ temperature: { maxAgeMs: 60_000 } });
    assert.deepEqual(state.setModel(relaxed), [{ type: 'fresh', key: TEMP }]);
    assert.equal(state.nextDeadline(), T0 + 1000 + 60_000);
  });

  it('setModel with policy add drops removed model signals but keeps added unknown ones', () => {
    const state = new TwinState({ model: plantModel(), now: clock.now, unknownSignals: 'add' });
    state.update(sample('plant/line9/robot/torque', 1, clock));
    state.update(sample(TEMP, 1, clock));
    const model = plantModel();
    model.assets[0].children[0].children.shift(); // press1 goes
    state.setModel(model);
    assert.deepEqual(state.get(TEMP), []);
    assert.equal(state.get('plant/line9/robot/torque')[0].value, 1);
    assert.equal(state.size, 4);
  });

  it('setModel refuses a broken model and changes nothing', () => {
    const state = filled(clock);
    const before = JSON.stringify(state.toJSON());
    for (const bad of [null, {}, { assets: [{ name: 'a/b' }] }, { assets: [{ name: 'a', signals: [{ name: 'x' }, { name: 'x' }] }] }]) {
      assert.throws(() => state.setModel(bad), (err) => err.code === 'CONFIG');
    }
    assert.equal(JSON.stringify(state.toJSON()), before);
  });

  it('garbage as a whole is a bad saved state', () => {
    for (const bad of [null, 5, 'text', [], {}, { format: 'twinloop-state', version: 2, signals: [] }, { format: 'twinloop-state', version: 1, signals: {} }]) {
      rejects(() => TwinState.fromJSON(bad, { now: clock.now }), 'bad saved state');
    }
  });

  it('partial garbage skips the bad signal and keeps the rest', () => {
    const saved = JSON.parse(JSON.stringify(filled(clock).toJSON()));
    const good = saved.signals.length;
    saved.signals.push(
      null,
      { key: 'm/x', asset: 'm', signal: 'x', value: {}, unit: null, quality: 'good', sourceTime: 1, receivedTime: 1, latencyMs: 0 },
      { key: 'm/y', asset: 'm', signal: 'y', value: 1, unit: null, quality: 'fine', sourceTime: 1, receivedTime: 1, latencyMs: 0 },
      { key: 'wrong', asset: 'm', signal: 'z', value: 1 },
      { key: 'm/h', asset: 'm', signal: 'h', history: { sourceTime: [1, 2], value: [1], quality: ['good'] } },
      { key: 'm/d', asset: 'm', signal: 'd', desired: 5 },
      JSON.parse('{"key":"m/__proto__","asset":"m","signal":"__proto__","value":1,"unit":null,"quality":"good","sourceTime":1,"receivedTime":1,"latencyMs":0,"__proto__":{"polluted":1}}'),
      saved.signals[0],
    );
    const restored = TwinState.fromJSON(saved, { now: clock.now });
    assert.equal(restored.skippedOnRestore, 7);
    assert.equal(restored.size, good + 1);
    assert.equal(restored.get('m/__proto__')[0].value, 1);
    assert.equal(({}).polluted, undefined);
  });
});
