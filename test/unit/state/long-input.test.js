'use strict';
const assert = require('assert/strict');
const { TwinState } = require('../../../dist/core/state');
const { LearningWindow } = require('../../../dist/nodes/twin-state/learning');
const { InputError } = require('../../../dist/core/errors');
const { fakeClock, plantModel } = require('./helpers');

describe('twin state: outside text in refusals', () => {
  it('a fidelity query for an unknown asset repeats only the start of its path', () => {
    const state = new TwinState({ model: plantModel(), now: fakeClock().now });
    const path = 'line1/press1'.repeat(3000);
    assert.throws(() => state.fidelity(path), (e) => e instanceof InputError && e.shortReason === 'unknown asset' && e.message === `no asset "${path.slice(0, 60)}…" in the twin`);
    assert.throws(() => state.fidelity('nowhere'), (e) => e instanceof InputError && e.message === 'no asset "nowhere" in the twin');
  });

  it('a learning window of something other than a number of seconds is refused without turning it into text', () => {
    const w = new LearningWindow();
    for (const bad of [Object.create(null), { toString: null, valueOf: null }, [], true, 'x'.repeat(10000), -1, 0]) {
      assert.throws(() => w.start(bad, 0), (e) => e instanceof InputError && e.shortReason === 'bad learning window' && e.message.length < 200, String(typeof bad));
    }
    w.start('2', 0);
    w.start(0.5, 0);
  });
});
