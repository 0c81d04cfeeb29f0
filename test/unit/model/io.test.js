'use strict';
const assert = require('node:assert/strict');
const { exportModel, importModel, MAX_IMPORT_NESTING } = require('../../../dist/core/model/io');
const { validateModel } = require('../../../dist/core/model/validate');
const { pressLine, throwsConfig, throwsTwinError } = require('./helpers');

describe('model: export and import', () => {
  afterEach(() => assert.equal(({}).polluted, undefined, 'Object.prototype must never be polluted'));

  it('exports stable, pretty JSON that imports back to the same model', () => {
    const model = validateModel(pressLine());
    const text = exportModel(model);
    assert.ok(text.endsWith('}\n'));
    assert.match(text, /^{\n {2}"schemaVersion": 1,\n {2}"revision": 3,\n {2}"name": "Press line",/);
    assert.deepEqual(importModel(text), model);
    // The same model written with its keys in another order exports the same text.
    const shuffled = JSON.parse(text, (key, value) => (value && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value).reverse()) : value));
    assert.equal(exportModel(shuffled), text);
  });

  it('refuses to export an invalid model', () => {
    const bad = pressLine();
    bad.assets[0].children[0].signals[0].unit = 'degX';
    throwsConfig(() => exportModel(bad), 'unknown unit');
  });

  it('imports a version-0 prototype file', () => {
    const text = JSON.stringify({ name: 'old', signals: [{ topic: 'l1/p1/temp', unit: 'C', maxAge: 2 }] });
    const model = importModel(text);
    assert.deepEqual(model.assets[0].children[0].signals, [{ name: 'temp', unit: 'degC', maxAgeMs: 2000 }]);
  });

  it('refuses __proto__, constructor and prototype keys anywhere, leaving Object.prototype clean', () => {
    const texts = [
      '{"__proto__": {"polluted": "yes"}, "schemaVersion": 1, "name": "m"}',
      '{"schemaVersion": 1, "name": "m", "assets": [{"name": "a", "signals": [{"name": "s", "__proto__": {"polluted": 1}}]}]}',
      '{"schemaVersion": 1, "name": "m", "assets": [{"name": "a", "constructor": {"prototype": {"polluted": 1}}}]}',
      '{"name": "old", "signals": [{"topic": "a/b", "__proto__": {"polluted": 1}}]}',
    ];
    for (const text of texts) throwsConfig(() => importModel(text), 'forbidden key');
    assert.equal(({}).polluted, undefined);
    // A key that merely contains the word is an ordinary unknown field.
    throwsConfig(() => importModel('{"schemaVersion": 1, "name": "m", "my_prototype": 1}'), 'bad model', /unknown field 'my_prototype'/);
  });

  it('refuses bad JSON, garbage, deep nesting and huge names with ConfigErrors', () => {
    throwsConfig(() => importModel('{nope'), 'bad JSON', /^model file: not valid JSON/);
    throwsConfig(() => importModel(''), 'bad JSON');
    for (const garbage of [null, undefined, 42, {}, Buffer.from('{}')]) throwsConfig(() => importModel(garbage), 'bad JSON');
    throwsConfig(() => importModel('42'), 'bad model');
    throwsConfig(() => importModel('[]'), 'bad model');
    throwsConfig(() => importModel('null'), 'bad model');
    throwsConfig(() => importModel('['.repeat(100000)), 'too deep');
    throwsConfig(() => importModel(`{"a": ${'['.repeat(MAX_IMPORT_NESTING)}${']'.repeat(MAX_IMPORT_NESTING)}}`), 'too deep');
    const hugeName = JSON.stringify({ schemaVersion: 1, name: 'm', assets: [{ name: 'x'.repeat(100000) }] });
    throwsConfig(() => importModel(hugeName), 'bad name', /longer than 128 characters/);
    throwsConfig(() => importModel(JSON.stringify({ ...pressLine(), schemaVersion: 7 })), 'model too new');
  });

  it('imports a model of 16 asset levels (deeper than a sensor payload may be)', () => {
    let asset = { name: 'level16', signals: [{ name: 'temperature', unit: 'degC' }] };
    for (let i = 15; i >= 1; i--) asset = { name: `level${i}`, children: [asset] };
    const text = exportModel(validateModel({ schemaVersion: 1, name: 'deep', assets: [asset] }));
    assert.equal(importModel(text).assets[0].children[0].name, 'level2');
  });

  it('never throws anything but TwinErrors for random text', () => {
    const pieces = ['{', '}', '[', ']', '"name"', ':', ',', '"schemaVersion"', '1', 'null', '"assets"', '"__proto__"', '"a/b"'];
    let seed = 7;
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    for (let i = 0; i < 300; i++) {
      const text = Array.from({ length: 1 + Math.floor(random() * 12) }, () => pieces[Math.floor(random() * pieces.length)]).join('');
      throwsTwinError(() => importModel(text));
    }
  });
});
