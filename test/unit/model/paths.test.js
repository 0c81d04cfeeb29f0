'use strict';
const assert = require('node:assert/strict');
const {
  ModelIndex, indexOf, signalKeys, findSignal, matchPath, compilePathPattern, cachedPatternCount,
} = require('../../../dist/core/model/paths');
const { validateModel } = require('../../../dist/core/model/validate');
const { InputError } = require('../../../dist/core/errors');
const { pressLine } = require('./helpers');

describe('model: paths', () => {
  const model = validateModel(pressLine());

  it('lists signal keys in model order, exactly the ingest msg.topic', () => {
    assert.deepEqual(signalKeys(model), [
      'line1/press1/temperature', 'line1/press1/pressure', 'line1/press1/running', 'line1/oven1/temperature',
    ]);
  });

  it('finds a signal with its asset and asset path', () => {
    const found = findSignal(model, 'line1/press1/pressure');
    assert.equal(found.assetPath, 'line1/press1');
    assert.equal(found.asset, model.assets[0].children[0]);
    assert.equal(found.signal.unit, 'bar');
    for (const key of ['line1/press1', 'line1/press1/nope', 'line1', '', null, 42, '__proto__', 'constructor']) {
      assert.equal(findSignal(model, key), undefined, String(key));
    }
  });

  it('caches one index per model', () => {
    assert.equal(indexOf(model), indexOf(model));
    assert.notEqual(indexOf(validateModel(model)), indexOf(model));
  });

  it('answers asset questions through ModelIndex', () => {
    const index = new ModelIndex(model);
    assert.deepEqual(index.assetPaths(), ['line1', 'line1/press1', 'line1/oven1']);
    assert.deepEqual(index.signalsOf('line1/press1').map((s) => s.name), ['temperature', 'pressure', 'running']);
    assert.deepEqual(index.signalsOf('line1'), []);
    assert.deepEqual(index.signalsOf('nope'), []);
    assert.equal(index.asset('line1/oven1').kind, 'machine');
    assert.equal(index.signalCount, 4);
    assert.deepEqual(index.keysMatching('line1/*/temperature'), ['line1/press1/temperature', 'line1/oven1/temperature']);
    assert.throws(() => index.keysMatching('a//b'), (err) => err instanceof InputError && err.shortReason === 'bad pattern');
  });

  it('indexes a cyclic object without looping forever', () => {
    const raw = pressLine();
    raw.assets[0].children[0].children.push(raw.assets[0]);
    const index = new ModelIndex(raw);
    assert.ok(index.assetPaths().length <= 16 * 3);
  });

  it('matches * as one level and ** as any number of levels, including none', () => {
    const yes = [
      ['line1/**/temperature', 'line1/press1/temperature'],
      ['line1/**/temperature', 'line1/a/b/temperature'],
      ['line1/**/temperature', 'line1/temperature'],
      ['plant/*/press1/*', 'plant/line1/press1/temperature'],
      ['**', 'a/b/c'],
      ['**/temperature', 'temperature'],
      ['a/**', 'a'],
      ['a/**/**/b', 'a/b'],
      ['*/*', 'a/b'],
      ['a/**/b/*/c', 'a/x/b/y/b/z/c'],
      ['line1/press1/temperature', 'line1/press1/temperature'],
    ];
    for (const [pattern, key] of yes) assert.equal(matchPath(pattern, key), true, `${pattern} ~ ${key}`);
    const no = [
      ['line1/**/temperature', 'line2/press1/temperature'],
      ['line1/**/temperature', 'line1/press1/temperature/raw'],
      ['plant/*/press1/*', 'plant/line1/press1'],
      ['plant/*/press1/*', 'plant/line1/press1/a/b'],
      ['*', 'a/b'],
      ['press*', 'press1'],
      ['line1/+/temperature', 'line1/press1/temperature'],
      ['line1/#', 'line1/press1'],
      ['a/**/b/*/c', 'a/x/b/y/b/z'],
    ];
    for (const [pattern, key] of no) assert.equal(matchPath(pattern, key), false, `${pattern} !~ ${key}`);
  });

  it('returns false for malformed patterns and keys; compilePathPattern names the problem', () => {
    for (const pattern of ['', 'a//b', '/a', 'a/', null, 42, 'x'.repeat(5000), Array(70).fill('a').join('/')]) {
      assert.equal(matchPath(pattern, 'a/b'), false, String(pattern).slice(0, 20));
      assert.throws(() => compilePathPattern(pattern), (err) => err instanceof InputError && err.shortReason === 'bad pattern');
    }
    assert.equal(matchPath('**', ''), false);
    assert.equal(matchPath('**', null), false);
    assert.equal(compilePathPattern('a/*').matches('a/b'), true);
  });

  it('answers patterns made to backtrack (exponential matching would never finish)', () => {
    const key = Array(60).fill('a').join('/');
    assert.equal(matchPath(`${'**/a/'.repeat(30)}b`, key), false);
    assert.equal(matchPath(`${'**/a/'.repeat(30)}a`, key), true);
  });

  it('keeps at most 256 compiled patterns', () => {
    for (let i = 0; i < 1000; i++) matchPath(`line${i}/**`, `line${i}/a`);
    assert.ok(cachedPatternCount() <= 256);
    assert.equal(matchPath('line999/**', 'line999/x/y'), true);
  });
});
