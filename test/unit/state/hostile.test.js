'use strict';
const assert = require('assert/strict');
const { TwinState } = require('../../../dist/core/state');
const { InputError } = require('../../../dist/core/errors');
const { T0, fakeClock, plantModel, sample } = require('./helpers');

/** Seeded PRNG so a failure can be replayed. */
const prng = require('../../../scripts/lib/seeded-random').seeded;

const GOOD = 'plant/line1/press1/temperature';
const nasty = [NaN, Infinity, -Infinity, undefined, null, {}, [], [1], { valueOf: () => 1 }, () => 1, Symbol('s'), 10n,
  '__proto__', 'constructor', 'prototype', '', '/', 'a//b', 'x'.repeat(20_000), -0, 1e308, true, 'text', 0, new Date(0)];

describe('twin state: hostile input', () => {
  afterEach(() => {
    assert.equal(({}).polluted, undefined, 'Object.prototype must never be polluted');
    assert.equal(Object.prototype.value, undefined);
  });

  it('__proto__, constructor and prototype as names are ordinary signals and pollute nothing', () => {
    const clock = fakeClock();
    const state = new TwinState({ now: clock.now });
    for (const name of ['__proto__', 'constructor', 'prototype', 'hasOwnProperty']) {
      state.update(sample(`${name}/${name}`, 1, clock));
      state.update(sample(`m/${name}`, 2, clock));
    }
    const { tree } = state.snapshot();
    assert.equal(tree.__proto__.__proto__.value, 1);
    assert.equal(tree.m.constructor.value, 2);
    assert.equal(state.get('m/__proto__')[0].value, 2);
    assert.equal(state.get('*/__proto__').length, 2);
    assert.equal(state.fidelity('__proto__').signals, 1);
    assert.equal(state.fidelity('constructor').signals, 1);
  });

  it('a sample whose getters throw is refused as a bad sample', () => {
    const clock = fakeClock();
    const state = new TwinState({ now: clock.now });
    const trap = { asset: 'm', signal: 'x', get value() { throw new Error('boom'); } };
    assert.throws(() => state.update(trap), (err) => err instanceof InputError && err.shortReason === 'bad sample');
    const proxy = new Proxy({}, { has: () => { throw new Error('boom'); }, getOwnPropertyDescriptor: () => { throw new Error('boom'); } });
    assert.throws(() => state.update(proxy), (err) => err instanceof InputError);
    assert.throws(() => TwinState.fromJSON(proxy), (err) => err instanceof InputError && err.shortReason === 'bad saved state');
    assert.equal(state.size, 0);
  });

  it('ignores fields inherited from a polluted-looking prototype', () => {
    const clock = fakeClock();
    const state = new TwinState({ now: clock.now });
    const inherited = Object.create({ asset: 'm', signal: 'x', value: 1 });
    assert.throws(() => state.update(inherited), (err) => err instanceof InputError && err.shortReason === 'missing asset');
    assert.equal(state.size, 0);
  });

  it('1,000 random hostile samples throw nothing but InputError and never change a good signal', () => {
    const rand = prng(20261126);
    const pick = (list) => list[Math.floor(rand() * list.length)];
    const clock = fakeClock();
    for (const policy of ['error', 'ignore', 'add']) {
      const state = new TwinState({ model: plantModel(), now: clock.now, unknownSignals: policy, historyLength: 10 });
      state.update(sample(GOOD, 42, clock));
      state.setDesired(GOOD, 42, T0);
      const before = JSON.stringify(state.get(GOOD, { history: true }));
      let refused = 0;
      for (let i = 0; i < 1000; i++) {
        const candidate = sample(GOOD, 1, clock);
        // Spoil one to three fields, but never leave GOOD a valid target: a valid sample may change it.
        const fields = ['asset', 'signal', 'value', 'unit', 'quality', 'sourceTime', 'receivedTime', 'latencyMs'];
        for (let n = 1 + Math.floor(rand() * 3); n > 0; n--) candidate[pick(fields)] = pick(nasty);
        let input = candidate;
        if (rand() < 0.05) input = pick(nasty);
        else if (rand() < 0.05) input = JSON.parse(`{"__proto__": {"polluted": 1}, "asset": "plant/line1/press1", "signal": "__proto__", "value": ${i}}`);
        const targetsGood = input && typeof input === 'object' && input.asset === 'plant/line1/press1' && input.signal === 'temperature';
        if (targetsGood) input.value = NaN;
        try {
          state.update(input);
        } catch (err) {
          assert.ok(err instanceof InputError, `sample ${i}: ${err && err.name}: ${err && err.message}`);
          assert.equal(typeof err.shortReason, 'string');
          assert.ok(err.shortReason.length > 0 && err.shortReason.length <= 24, err.shortReason);
          refused++;
        }
      }
      assert.ok(refused > 500, `${policy}: only ${refused} refused`);
      assert.equal(JSON.stringify(state.get(GOOD, { history: true })), before, `${policy}: good signal changed`);
      // Every query still works after the storm.
      state.snapshot();
      state.fidelity();
      state.checkFreshness();
      JSON.stringify(state.toJSON());
    }
  });

  it('random garbage as a saved state throws nothing but InputError', () => {
    const rand = prng(7);
    const pick = (list) => list[Math.floor(rand() * list.length)];
    const clock = fakeClock();
    const state = new TwinState({ now: clock.now });
    state.update(sample('m/a', 1, clock));
    const good = state.toJSON();
    for (let i = 0; i < 300; i++) {
      const saved = JSON.parse(JSON.stringify(good));
      const target = rand() < 0.5 ? saved : saved.signals[0];
      target[pick(Object.keys(target))] = pick(nasty);
      try {
        const restored = TwinState.fromJSON(rand() < 0.1 ? pick(nasty) : saved, { now: clock.now });
        assert.ok(restored.size <= 1);
      } catch (err) {
        assert.ok(err instanceof InputError, `${err && err.name}: ${err && err.message}`);
      }
    }
  });
});
