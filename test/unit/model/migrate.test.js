'use strict';
const assert = require('node:assert/strict');
const { migrateModel } = require('../../../dist/core/model/migrate');
const { validateModel } = require('../../../dist/core/model/validate');
const { currentModelSchemaVersion } = require('../../../dist/core/model/types');
const { pressLine, throwsConfig, throwsTwinError } = require('./helpers');

/** What the first prototype saved. */
function prototypeModel() {
  return {
    name: 'Prototype line',
    signals: [
      { topic: 'line1/press1/temperature', unit: '°C', maxAge: 5 },
      { topic: 'line1/press1/pressure', unit: 'bar', maxAge: 0.3 },
      { topic: 'line1/oven1/temperature', unit: 'degC' },
      { topic: 'hall/status', unit: null },
    ],
  };
}

describe('model: migrateModel', () => {
  afterEach(() => assert.equal(({}).polluted, undefined, 'Object.prototype must never be polluted'));

  it('turns the version-0 flat form into the tree, maxAge seconds into maxAgeMs', () => {
    const model = validateModel(migrateModel(prototypeModel()));
    assert.equal(model.schemaVersion, currentModelSchemaVersion);
    assert.equal(model.revision, 0);
    assert.equal(model.name, 'Prototype line');
    assert.deepEqual(model.assets.map((a) => a.name), ['line1', 'hall']);
    const [press1, oven1] = model.assets[0].children;
    assert.deepEqual(press1.signals, [
      { name: 'temperature', unit: 'degC', maxAgeMs: 5000 },
      { name: 'pressure', unit: 'bar', maxAgeMs: 300 },
    ]);
    assert.deepEqual(oven1.signals, [{ name: 'temperature', unit: 'degC' }]);
    assert.deepEqual(model.assets[1].signals, [{ name: 'status', unit: null }]);
    assert.deepEqual(model.relationships, []);
  });

  it('treats a model without schemaVersion as version 0, also with schemaVersion 0', () => {
    const explicit = { ...prototypeModel(), schemaVersion: 0 };
    assert.deepEqual(migrateModel(explicit), migrateModel(prototypeModel()));
    throwsConfig(() => migrateModel({ name: 'tree without version', assets: [] }), 'bad model', /asset tree without schemaVersion: add "schemaVersion": 1/);
    throwsConfig(() => migrateModel({ name: 'x' }), 'bad model', /version 0, which needs a 'signals' list/);
  });

  it('leaves a current model as it is', () => {
    const current = pressLine();
    assert.equal(migrateModel(current), current);
  });

  it('refuses models from the future and bad versions', () => {
    throwsConfig(() => migrateModel({ ...pressLine(), schemaVersion: currentModelSchemaVersion + 1 }), 'model too new', /update TwinLoop/);
    throwsConfig(() => migrateModel({ ...pressLine(), schemaVersion: '1' }), 'bad model', /whole number/);
    throwsConfig(() => migrateModel({ ...pressLine(), schemaVersion: 1.5 }), 'bad model');
  });

  it('names the bad signal of a version-0 model', () => {
    const cases = [
      [{ topic: 'temperature' }, 'bad topic', /^model: signal 'temperature': topic needs an asset level/],
      [{ topic: 42 }, 'bad topic', /^model: signal 1: /],
      [{ topic: 'a//b' }, 'bad name', /name is missing/],
      [{ topic: 'a/b#/c' }, 'bad name', /contains '#'/],
      [{ topic: 'a/b', maxAge: -1 }, 'bad max age', /seconds above 0/],
      [{ topic: 'a/b', extra: 1 }, 'bad model', /unknown field 'extra'/],
      [{ topic: `${'a/'.repeat(17)}b` }, 'too deep', /more than 16 asset levels/],
    ];
    for (const [signal, reason, message] of cases) {
      throwsConfig(() => migrateModel({ name: 'x', signals: [signal] }), reason, message);
    }
    // Units and duplicates are left for validateModel, which names them in the tree.
    const dup = migrateModel({ name: 'x', signals: [{ topic: 'a/b', unit: 'degX' }, { topic: 'a/b' }] });
    throwsConfig(() => validateModel(dup), 'unknown unit', /^a: signal 'b': unknown unit 'degX'/);
  });

  it('refuses garbage with ConfigErrors only', () => {
    for (const garbage of [null, undefined, 3, 'text', [], [{ topic: 'a/b' }]]) throwsConfig(() => migrateModel(garbage), 'bad model');
    const hostile = { name: 'x' };
    Object.defineProperty(hostile, 'signals', { enumerable: true, get() { throw new Error('boom'); } });
    throwsTwinError(() => migrateModel(hostile));
    throwsConfig(() => migrateModel(JSON.parse('{"name": "x", "signals": [], "__proto__": {"polluted": 1}}')), 'forbidden key');
  });
});
