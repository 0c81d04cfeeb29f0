'use strict';
const assert = require('assert/strict');
const { safeJsonParse, getPath, assertSafeData, MAX_DEPTH } = require('../../../dist/core/ingest/guards');
const { InputError } = require('../../../dist/core/errors');

function rejects(fn, reason) {
  assert.throws(fn, (err) => {
    assert.ok(err instanceof InputError, `expected InputError, got ${err && err.name}`);
    assert.equal(err.shortReason, reason);
    return true;
  });
}

describe('ingest guards: safeJsonParse', () => {
  afterEach(() => {
    assert.equal(({}).polluted, undefined, 'Object.prototype must never be polluted');
  });

  it('parses plain JSON objects, arrays and scalars', () => {
    assert.deepEqual(safeJsonParse('{"value": 23.5, "unit": "degC"}', 't', 1000), { value: 23.5, unit: 'degC' });
    assert.deepEqual(safeJsonParse('[1, 2, {"a": null}]', 't', 1000), [1, 2, { a: null }]);
    assert.equal(safeJsonParse('42', 't', 10), 42);
    assert.equal(safeJsonParse('"on"', 't', 10), 'on');
  });

  it('rejects __proto__, constructor and prototype keys at any depth', () => {
    rejects(() => safeJsonParse('{"__proto__": {"polluted": 1}}', 't', 1000), 'forbidden key');
    rejects(() => safeJsonParse('{"a": {"b": [{"constructor": {"prototype": {"polluted": 1}}}]}}', 't', 1000), 'forbidden key');
    rejects(() => safeJsonParse('{"x": [[{"prototype": 1}]]}', 't', 1000), 'forbidden key');
    // A key that merely contains the word is fine.
    assert.deepEqual(safeJsonParse('{"my_constructor": 1}', 't', 1000), { my_constructor: 1 });
  });

  it('names the topic in the error message', () => {
    assert.throws(() => safeJsonParse('{nope', 'plant/line1/press1', 1000), (err) => {
      assert.equal(err.shortReason, 'bad JSON');
      assert.equal(err.topic, 'plant/line1/press1');
      assert.match(err.message, /^plant\/line1\/press1: /);
      return true;
    });
  });

  it('rejects bad JSON, empty text and non-text', () => {
    rejects(() => safeJsonParse('{"a": 1,}', 't', 1000), 'bad JSON');
    rejects(() => safeJsonParse('', 't', 1000), 'bad JSON');
    rejects(() => safeJsonParse('NaN', 't', 1000), 'bad JSON');
    rejects(() => safeJsonParse(Buffer.from('{}'), 't', 1000), 'bad JSON');
    rejects(() => safeJsonParse(undefined, 't', 1000), 'bad JSON');
  });

  it('limits size in UTF-8 bytes, not characters', () => {
    assert.deepEqual(safeJsonParse('{"a":"é"}', 't', 10), { a: 'é' }); // 10 bytes
    rejects(() => safeJsonParse('{"a":"éé"}', 't', 10), 'too large'); // 11 bytes, 10 characters
    rejects(() => safeJsonParse(`{"a":"${'x'.repeat(2_000_000)}"}`, 't', 65536), 'too large');
  });

  it(`limits nesting to ${MAX_DEPTH} levels, ignoring brackets inside strings`, () => {
    const nested = (n) => '['.repeat(n) + ']'.repeat(n);
    assert.ok(Array.isArray(safeJsonParse(nested(MAX_DEPTH), 't', 1000)));
    rejects(() => safeJsonParse(nested(MAX_DEPTH + 1), 't', 1000), 'too deep');
    rejects(() => safeJsonParse('['.repeat(60000), 't', 100000), 'too deep');
    const inner = `${'['.repeat(40)}\\"${'{'.repeat(40)}`; // brackets and an escaped quote inside text
    assert.equal(safeJsonParse(JSON.stringify({ s: inner }), 't', 1000).s, inner);
  });
});

describe('ingest guards: assertSafeData', () => {
  it('accepts plain data and rejects forbidden own keys in parsed objects', () => {
    assert.doesNotThrow(() => assertSafeData({ a: [1, { b: 'x' }], d: new Date() }, 't'));
    rejects(() => assertSafeData(JSON.parse('{"a": {"__proto__": {"polluted": 1}}}'), 't'), 'forbidden key');
    assert.equal(({}).polluted, undefined);
  });

  it('treats cycles as too deep and huge objects as too large', () => {
    const loop = { a: 1 };
    loop.self = loop;
    rejects(() => assertSafeData(loop, 't'), 'too deep');
    const wide = { list: Array.from({ length: 20000 }, (_, i) => ({ i })) };
    rejects(() => assertSafeData(wide, 't'), 'too large');
  });
});

describe('ingest guards: getPath', () => {
  const data = { data: { temp: { value: 21.5 } }, values: [10, 20, 30], zero: 0, nothing: null };

  it('reads dotted paths and array indexes', () => {
    assert.equal(getPath(data, 'data.temp.value'), 21.5);
    assert.equal(getPath(data, 'values.0'), 10);
    assert.equal(getPath(data, 'values.2'), 30);
    assert.equal(getPath(data, 'zero'), 0);
    assert.equal(getPath(data, 'nothing'), null);
    assert.equal(getPath(data, ''), data);
  });

  it('gives undefined for missing paths and through non-objects', () => {
    assert.equal(getPath(data, 'values.3'), undefined);
    assert.equal(getPath(data, 'data.temp.value.x'), undefined);
    assert.equal(getPath(data, 'nothing.x'), undefined);
    assert.equal(getPath('text', 'length'), undefined);
    assert.equal(getPath(null, 'a'), undefined);
    assert.equal(getPath(data, 'data..temp'), undefined);
  });

  it('never reads the prototype chain', () => {
    assert.equal(getPath({}, 'toString'), undefined);
    assert.equal(getPath({}, 'constructor'), undefined);
    assert.equal(getPath({}, '__proto__'), undefined);
    assert.equal(getPath([1, 2], 'length'), 2, 'length is an own property of arrays');
    assert.equal(getPath([1, 2], 'map'), undefined);
    const child = Object.create({ inherited: 5 });
    assert.equal(getPath(child, 'inherited'), undefined);
    const parsed = JSON.parse('{"__proto__": {"x": 1}}');
    assert.equal(getPath(parsed, '__proto__.x'), undefined);
  });
});
