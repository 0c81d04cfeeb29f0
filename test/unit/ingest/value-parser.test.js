'use strict';
const assert = require('assert/strict');
const { parseValue, MAX_TEXT_LENGTH } = require('../../../dist/core/ingest/value-parser');
const { InputError } = require('../../../dist/core/errors');

const numbers = { textValues: false };
const text = { textValues: true };

function rejects(raw, reason, opts = numbers) {
  assert.throws(() => parseValue(raw, 'plant/press1/temperature', opts), (err) => {
    assert.ok(err instanceof InputError, `expected InputError, got ${err && err.name}`);
    assert.equal(err.shortReason, reason);
    assert.equal(err.topic, 'plant/press1/temperature');
    return true;
  });
}

describe('ingest value parser', () => {
  it('accepts finite numbers and turns -0 into 0', () => {
    assert.deepEqual(parseValue(23.5, 't', numbers), { value: 23.5 });
    assert.deepEqual(parseValue(-4, 't', numbers), { value: -4 });
    const zero = parseValue(-0, 't', numbers).value;
    assert.ok(Object.is(zero, 0), 'negative zero must become +0');
    assert.ok(Object.is(parseValue('-0', 't', numbers).value, 0));
  });

  it('parses numeric text', () => {
    assert.equal(parseValue('23.5', 't', numbers).value, 23.5);
    assert.equal(parseValue(' 1e3 ', 't', numbers).value, 1000);
    assert.equal(parseValue('-4', 't', numbers).value, -4);
    assert.equal(parseValue('+.5', 't', numbers).value, 0.5);
    assert.equal(parseValue('7.', 't', numbers).value, 7);
    assert.equal(parseValue('2.5E-3', 't', numbers).value, 0.0025);
  });

  it('accepts a decimal comma only as the only separator', () => {
    assert.equal(parseValue('23,5', 't', numbers).value, 23.5);
    assert.equal(parseValue('-0,25', 't', numbers).value, -0.25);
    assert.equal(parseValue('1,234', 't', numbers).value, 1.234);
    rejects('1,234.5', 'not a number');
    rejects('1.234,5', 'not a number');
    rejects('1,2,3', 'not a number');
  });

  it('splits a unit written after the number', () => {
    assert.deepEqual(parseValue('23.5 °C', 't', numbers), { value: 23.5, unit: '°C' });
    assert.deepEqual(parseValue('1.2 bar', 't', numbers), { value: 1.2, unit: 'bar' });
    assert.deepEqual(parseValue('1200 rpm', 't', numbers), { value: 1200, unit: 'rpm' });
    assert.deepEqual(parseValue('85%', 't', numbers), { value: 85, unit: '%' });
    assert.deepEqual(parseValue('-3.2degF', 't', numbers), { value: -3.2, unit: 'degF' });
    assert.deepEqual(parseValue('12,5 m3/h', 't', numbers), { value: 12.5, unit: 'm3/h' });
    assert.deepEqual(parseValue('1e3bar', 't', numbers), { value: 1000, unit: 'bar' });
    assert.deepEqual(parseValue('0bar', 't', numbers), { value: 0, unit: 'bar' });
  });

  it('reads booleans and on/off words in any case', () => {
    assert.equal(parseValue(true, 't', numbers).value, true);
    assert.equal(parseValue(false, 't', numbers).value, false);
    for (const [word, expected] of [['true', true], ['FALSE', false], [' On ', true], ['off', false], ['OFF', false]]) {
      assert.equal(parseValue(word, 't', numbers).value, expected, word);
    }
  });

  it('converts safe bigints and refuses larger ones', () => {
    assert.equal(parseValue(1234n, 't', numbers).value, 1234);
    assert.equal(parseValue(-(2n ** 53n - 1n), 't', numbers).value, -(2 ** 53 - 1));
    rejects(2n ** 53n, 'out of range');
    rejects(-(2n ** 64n), 'out of range');
  });

  it('refuses values that are not finite', () => {
    for (const raw of [NaN, Infinity, -Infinity, 'NaN', 'Infinity', '-Infinity', 'inf', '1e999', '-1e400 bar']) {
      rejects(raw, 'not finite');
    }
  });

  it('refuses missing values, objects and wrong types', () => {
    rejects(null, 'no value');
    rejects(undefined, 'no value');
    rejects('', 'no value');
    rejects('   ', 'no value');
    rejects({ value: 1 }, 'object, not a value');
    rejects([1], 'object, not a value');
    rejects(new Date(), 'object, not a value');
    rejects(Buffer.from('23'), 'wrong type');
    rejects(new Uint8Array([1]), 'wrong type');
    rejects(Symbol('x'), 'wrong type');
    rejects(() => 1, 'wrong type');
  });

  it('refuses text that is not a number unless text values are on', () => {
    for (const raw of ['abc', '0x10', '12 pieces ok', '23.5 deg C', '1 2', '--4', '4-', '.', 'e5', 'x'.repeat(100_000)]) {
      rejects(raw, 'not a number');
    }
    assert.deepEqual(parseValue('  Running  ', 't', text), { value: 'Running' });
    assert.deepEqual(parseValue('0x10', 't', text), { value: '0x10' });
    assert.equal(parseValue('x'.repeat(MAX_TEXT_LENGTH), 't', text).value.length, MAX_TEXT_LENGTH);
    rejects('x'.repeat(MAX_TEXT_LENGTH + 1), 'text too long', text);
    rejects('x'.repeat(1_000_000), 'text too long', text);
    // Numbers stay numbers even when text is allowed.
    assert.equal(parseValue('42', 't', text).value, 42);
    rejects('NaN', 'not finite', text);
  });
});
