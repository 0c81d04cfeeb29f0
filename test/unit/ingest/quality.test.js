'use strict';
const assert = require('assert/strict');
const { parseQuality } = require('../../../dist/core/ingest/quality');
const { StatusCodes } = require('node-opcua-client');

describe('ingest quality', () => {
  it('takes a missing quality as good', () => {
    assert.equal(parseQuality(undefined), 'good');
    assert.equal(parseQuality(null), 'good');
  });

  it('reads words by prefix in any case', () => {
    const cases = { good: 'good', GOOD: 'good', ' Good ': 'good', ok: 'good', OK: 'good', Good_NoData: 'good',
      uncertain: 'uncertain', UncertainLastUsableValue: 'uncertain', bad: 'bad', BAD: 'bad',
      Bad_CommFailure: 'bad', BadNodeIdUnknown: 'bad', fine: 'uncertain', '': 'uncertain', okay: 'uncertain' };
    for (const [text, expected] of Object.entries(cases)) assert.equal(parseQuality(text), expected, text);
  });

  it('reads booleans', () => {
    assert.equal(parseQuality(true), 'good');
    assert.equal(parseQuality(false), 'bad');
  });

  it('reads numbers below 65536 as OPC-DA quality (low byte)', () => {
    assert.equal(parseQuality(192), 'good');
    assert.equal(parseQuality(216), 'good'); // good, local override
    assert.equal(parseQuality(255), 'good');
    assert.equal(parseQuality(191), 'uncertain');
    assert.equal(parseQuality(64), 'uncertain');
    assert.equal(parseQuality(63), 'bad');
    assert.equal(parseQuality(0), 'bad');
    assert.equal(parseQuality(0x01c0), 'good', 'vendor bits in the high byte are ignored');
    assert.equal(parseQuality(0x0100), 'bad');
    assert.equal(parseQuality('192'), 'good');
    assert.equal(parseQuality(192n), 'good');
  });

  it('reads larger numbers as OPC UA StatusCodes by their top two bits', () => {
    assert.equal(parseQuality(0x40000000), 'uncertain');
    assert.equal(parseQuality(0x408f0000), 'uncertain');
    assert.equal(parseQuality(0x80000000), 'bad');
    assert.equal(parseQuality(0x80340000), 'bad');
    assert.equal(parseQuality(0xc0000000), 'bad');
    assert.equal(parseQuality(0x00a20000), 'good'); // a Good_ code with sub-code bits
    assert.equal(parseQuality(-0x7fcc0000), 'bad', 'signed int32 0x80340000');
    assert.equal(parseQuality(-1), 'bad', 'signed 0xFFFFFFFF');
    assert.equal(parseQuality(0x80000000n), 'bad');
  });

  it('reads node-opcua StatusCode objects with the OPC UA rule', () => {
    assert.equal(parseQuality(StatusCodes.Good), 'good');
    assert.equal(parseQuality(StatusCodes.UncertainLastUsableValue), 'uncertain');
    assert.equal(parseQuality(StatusCodes.BadNodeIdUnknown), 'bad');
    assert.equal(parseQuality({ value: 0 }), 'good');
    assert.equal(parseQuality({ value: 0x80000000 }), 'bad');
    assert.equal(parseQuality({ name: 'BadCommunicationError' }), 'bad');
    assert.equal(parseQuality({ name: 'Good' }), 'good');
  });

  it('makes anything else uncertain and never throws', () => {
    const throwing = { get value() { throw new Error('boom'); } };
    const garbage = [NaN, Infinity, -Infinity, 1.5, -0.5, 2 ** 40, -(2 ** 40), 'x'.repeat(100_000), {}, [],
      [192], { value: 'good' }, { value: 1.5 }, { name: 5 }, Symbol('q'), () => 'good', Buffer.from('good'),
      new Date(), throwing, 2n ** 40n, JSON.parse('{"__proto__": {"value": 0}}')];
    for (const raw of garbage) assert.equal(parseQuality(raw), 'uncertain', String(typeof raw === 'symbol' ? 'symbol' : raw));
  });
});
