'use strict';
const assert = require('node:assert/strict');
const { InputError, ConfigError, clip, describeValue, CLIP_CHARS, MAX_MESSAGE_CHARS } = require('../../../dist/core/errors');

describe('errors: outside text in messages is clipped', () => {
  it('clip keeps short text and cuts long text to 60 characters and an ellipsis', () => {
    assert.equal(clip('line1/oven'), 'line1/oven');
    assert.equal(clip('x'.repeat(CLIP_CHARS)), 'x'.repeat(CLIP_CHARS));
    assert.equal(clip('x'.repeat(5000)), `${'x'.repeat(CLIP_CHARS)}…`);
    assert.equal(clip('abcdef', 3), 'abc…');
    // never half a surrogate pair
    const cut = clip(`${'a'.repeat(CLIP_CHARS - 1)}😀😀`);
    assert.equal(cut, `${'a'.repeat(CLIP_CHARS - 1)}…`);
  });

  it('describeValue never throws and never repeats a long value', () => {
    const hostile = { toString() { throw new Error('no'); }, valueOf() { throw new Error('no'); } };
    assert.equal(describeValue(Object.create(null)), 'an object');
    assert.equal(describeValue(hostile), 'an object');
    assert.equal(describeValue([1, 2]), 'an array');
    assert.equal(describeValue(null), 'null');
    assert.equal(describeValue(undefined), 'undefined');
    assert.equal(describeValue(Symbol('s')), 'a symbol');
    assert.equal(describeValue(12.5), '12.5');
    assert.equal(describeValue(10n ** 100n).length, CLIP_CHARS + 1);
    assert.equal(describeValue('z'.repeat(10000)), JSON.stringify(`${'z'.repeat(CLIP_CHARS)}…`));
  });

  it('InputError keeps only the start of a long topic, in the message and in err.topic', () => {
    const topic = 'line1/oven/power'.repeat(1000);
    const err = new InputError('not a number', 'the simulator only follows numeric signals', topic);
    assert.equal(err.topic, clip(topic));
    assert.equal(err.message, `${clip(topic)}: the simulator only follows numeric signals`);
    assert.ok(err.message.length < 120);
    assert.equal(new InputError('bad', 'detail', 'short').message, 'short: detail');
    assert.equal(new InputError('bad', 'detail').message, 'detail');
  });

  it('caps any TwinError message and short reason, whatever a caller put in them', () => {
    const err = new ConfigError(`bad ${'k'.repeat(500)}`, 'd'.repeat(50_000));
    assert.ok(err.message.length <= MAX_MESSAGE_CHARS + 1, `${err.message.length}`);
    assert.ok(err.shortReason.length <= 61, err.shortReason);
    assert.match(err.shortReason, /^bad k+…$/);
  });
});
