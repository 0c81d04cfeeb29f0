'use strict';
const assert = require('assert/strict');
const { TwinState } = require('../../../dist/core/state');
const { T0, fakeClock, plantModel, sample } = require('./helpers');

const TEMP = 'plant/line1/press1/temperature'; // max age 5 s
const PRESSURE = 'plant/line1/press1/pressure'; // max age 2 s
const DOOR = 'plant/line2/oven/door'; // no max age

describe('twin state: freshness', () => {
  let clock;
  let state;
  beforeEach(() => {
    clock = fakeClock();
    state = new TwinState({ model: plantModel(), now: clock.now });
  });

  it('has no deadline before any sample, and none for a signal without max age', () => {
    assert.equal(state.nextDeadline(), undefined);
    state.update(sample(DOOR, true, clock, { unit: null }));
    assert.equal(state.nextDeadline(), undefined);
    clock.advance(1e9);
    assert.deepEqual(state.checkFreshness(), []);
    assert.equal(state.get(DOOR)[0].stale, false);
  });

  it('turns a signal stale exactly at sourceTime + maxAgeMs, with its age', () => {
    state.update(sample(TEMP, 20, clock, { sourceTime: T0 - 1000 }));
    assert.equal(state.nextDeadline(), T0 + 4000);
    clock.advance(3999);
    assert.deepEqual(state.checkFreshness(), []);
    assert.equal(state.get(TEMP)[0].stale, false);
    assert.equal(state.get(TEMP)[0].ageMs, 4999);
    clock.advance(1);
    assert.deepEqual(state.checkFreshness(), [{ type: 'stale', key: TEMP, ageMs: 5000 }]);
    assert.equal(state.get(TEMP)[0].stale, true);
    assert.equal(state.nextDeadline(), undefined);
    clock.advance(10_000);
    assert.deepEqual(state.checkFreshness(), [], 'stale is reported once');
    assert.equal(state.get(TEMP)[0].ageMs, 15_000);
  });

  it('reports the age a late check finds', () => {
    state.update(sample(PRESSURE, 1, clock, { unit: 'bar' }));
    clock.advance(2750);
    assert.deepEqual(state.checkFreshness(), [{ type: 'stale', key: PRESSURE, ageMs: 2750 }]);
  });

  it('a new sample moves the deadline; the earliest of all signals comes first', () => {
    state.update(sample(TEMP, 20, clock));
    clock.advance(1000);
    state.update(sample(PRESSURE, 1, clock, { unit: 'bar' })); // deadline T0 + 3000
    assert.equal(state.nextDeadline(), T0 + 3000);
    clock.advance(1500);
    state.update(sample(PRESSURE, 1.1, clock, { unit: 'bar' })); // deadline T0 + 4500
    assert.equal(state.nextDeadline(), T0 + 4500);
    clock.advance(1000);
    state.update(sample(PRESSURE, 1.2, clock, { unit: 'bar' })); // deadline T0 + 5500, temperature T0 + 5000
    assert.equal(state.nextDeadline(), T0 + 5000);
    clock.t = T0 + 5000;
    assert.deepEqual(state.checkFreshness(), [{ type: 'stale', key: TEMP, ageMs: 5000 }]);
    assert.equal(state.nextDeadline(), T0 + 5500);
    clock.t = T0 + 5500;
    assert.deepEqual(state.checkFreshness(), [{ type: 'stale', key: PRESSURE, ageMs: 2000 }]);
    assert.equal(state.nextDeadline(), undefined);
  });

  it('a stale signal that gets a sample emits fresh, once', () => {
    state.update(sample(PRESSURE, 1, clock, { unit: 'bar' }));
    clock.advance(2000);
    assert.equal(state.checkFreshness().length, 1);
    assert.deepEqual(state.update(sample(PRESSURE, 2, clock, { unit: 'bar' })).events, [{ type: 'fresh', key: PRESSURE }]);
    assert.deepEqual(state.update(sample(PRESSURE, 3, clock, { unit: 'bar' })).events, []);
    assert.equal(state.nextDeadline(), T0 + 4000);
    assert.equal(state.get(PRESSURE)[0].stale, false);
  });

  it('a sample that is already too old is stale at once (and is not a fresh event)', () => {
    assert.deepEqual(state.update(sample(PRESSURE, 1, clock, { unit: 'bar', sourceTime: T0 - 2500 })).events,
      [{ type: 'stale', key: PRESSURE, ageMs: 2500 }]);
    assert.deepEqual(state.update(sample(PRESSURE, 1, clock, { unit: 'bar', sourceTime: T0 - 2100 })).events, []);
    assert.equal(state.nextDeadline(), undefined);
    assert.deepEqual(state.checkFreshness(), []);
  });

  it('an older sample (kept out of order) brings the deadline earlier', () => {
    state.update(sample(TEMP, 20, clock));
    state.update(sample(TEMP, 19, clock, { sourceTime: T0 - 3000 }));
    assert.equal(state.nextDeadline(), T0 + 2000);
    clock.t = T0 + 2000;
    assert.deepEqual(state.checkFreshness(), [{ type: 'stale', key: TEMP, ageMs: 5000 }]);
  });

  it('a read is never staler than the clock, even before checkFreshness runs', () => {
    state.update(sample(PRESSURE, 1, clock, { unit: 'bar' }));
    clock.advance(2000);
    assert.equal(state.get(PRESSURE)[0].stale, true);
    assert.equal(state.fidelity().stale, 1);
  });

  it('uses defaultMaxAgeMs for signals without their own limit', () => {
    const s = new TwinState({ now: clock.now, defaultMaxAgeMs: 100 });
    s.update(sample('m/a', 1, clock));
    assert.equal(s.nextDeadline(), T0 + 100);
  });

  it('handles 10,000 signals with one deadline structure', () => {
    const s = new TwinState({ now: clock.now, defaultMaxAgeMs: 60_000, historyLength: 1 });
    for (let i = 0; i < 10_000; i++) {
      clock.t = T0 + i;
      s.update(sample(`plant/m${i % 100}/s${i}`, i, clock));
    }
    // Refresh every even signal 10 s later: the odd ones go stale first, in order.
    for (let i = 0; i < 10_000; i += 2) {
      clock.t = T0 + 10_000 + i;
      s.update(sample(`plant/m${i % 100}/s${i}`, i, clock));
    }
    assert.equal(s.nextDeadline(), T0 + 60_001);
    clock.t = T0 + 60_000 + 9_999;
    const events = s.checkFreshness();
    assert.equal(events.length, 5000);
    assert.ok(events.every((e, n) => e.key.endsWith(`/s${2 * n + 1}`)));
    assert.equal(s.nextDeadline(), T0 + 70_000);
    clock.t = T0 + 80_000;
    assert.equal(s.checkFreshness().length, 5000);
    assert.equal(s.fidelity().stale, 10_000);
  });
});
