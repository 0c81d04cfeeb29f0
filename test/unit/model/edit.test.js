'use strict';
const assert = require('node:assert/strict');
const edit = require('../../../dist/core/model/edit');
const { validateModel } = require('../../../dist/core/model/validate');
const { signalKeys, findSignal } = require('../../../dist/core/model/paths');
const { pressLine, throwsConfig, throwsTwinError } = require('./helpers');

describe('model: edit', () => {
  let model;
  let frozenCopy;
  beforeEach(() => {
    model = validateModel(pressLine());
    frozenCopy = JSON.stringify(model);
  });
  afterEach(() => {
    assert.equal(JSON.stringify(model), frozenCopy, 'the input model must never change');
    assert.equal(({}).polluted, undefined);
  });

  it('adds assets at the top and below a parent, with defaults, revision + 1', () => {
    const added = edit.addAsset(model, 'line1', { name: 'robot1', kind: 'machine' });
    assert.equal(added.revision, model.revision + 1);
    assert.deepEqual(added.assets[0].children[2], { name: 'robot1', kind: 'machine', children: [], signals: [], parameters: [] });
    const top = edit.addAsset(model, '', { name: 'line2' });
    assert.deepEqual(top.assets.map((a) => a.name), ['line1', 'line2']);
    assert.equal(top.assets[1].kind, 'other');
  });

  it('refuses an asset that is invalid, duplicate or under an unknown parent', () => {
    throwsConfig(() => edit.addAsset(model, 'line1', { name: 'press1' }), 'duplicate name', /^line1: child asset 'press1'/);
    throwsConfig(() => edit.addAsset(model, 'line9', { name: 'x' }), 'unknown asset', /no asset 'line9'/);
    throwsConfig(() => edit.addAsset(model, 'line1', { name: 'a/b' }), 'bad name');
    throwsConfig(() => edit.addAsset(model, 'line1', { name: 'x', signals: [{ name: 's', unit: 'degX' }] }), 'unknown unit', /^line1\/x: signal 's'/);
  });

  it('removes an asset with everything below it and its relationships', () => {
    const removed = edit.removeAsset(model, 'line1/press1');
    assert.deepEqual(signalKeys(removed), ['line1/oven1/temperature']);
    assert.deepEqual(removed.relationships, []);
    assert.deepEqual(edit.removeAsset(model, 'line1').assets, []);
    throwsConfig(() => edit.removeAsset(model, 'line1/press9'), 'unknown asset');
    throwsConfig(() => edit.removeAsset(model, ''), 'unknown asset');
  });

  it('renames an asset; relationships follow, also of assets below it', () => {
    const renamed = edit.renameAsset(model, 'line1/press1', 'press01');
    assert.equal(findSignal(renamed, 'line1/press01/pressure').signal.unit, 'bar');
    assert.deepEqual(renamed.relationships, [{ from: 'line1/oven1', to: 'line1/press01', type: 'feeds' }]);
    const top = edit.renameAsset(model, 'line1', 'lineA');
    assert.deepEqual(top.relationships, [{ from: 'lineA/oven1', to: 'lineA/press1', type: 'feeds' }]);
    throwsConfig(() => edit.renameAsset(model, 'line1/press1', 'oven1'), 'duplicate name');
    throwsConfig(() => edit.renameAsset(model, 'line1/press1', 'press+1'), 'bad name');
  });

  it('upserts signals: adds new, replaces by name, normalises', () => {
    const added = edit.upsertSignal(model, 'line1/press1', { name: 'speed', unit: 'U/min' });
    assert.deepEqual(findSignal(added, 'line1/press1/speed').signal, { name: 'speed', unit: 'rpm' });
    const replaced = edit.upsertSignal(model, 'line1/press1', { name: 'pressure', unit: 'psi', maxAgeMs: 1000 });
    assert.deepEqual(findSignal(replaced, 'line1/press1/pressure').signal, { name: 'pressure', unit: 'psi', maxAgeMs: 1000 });
    assert.equal(signalKeys(replaced).length, signalKeys(model).length);
    throwsConfig(() => edit.upsertSignal(model, 'line1/press1', { name: 'x', unit: 'degX' }), 'unknown unit', /^line1\/press1: signal 'x': unknown unit 'degX'/);
    throwsConfig(() => edit.upsertSignal(model, 'line1/press1', { name: 'x', unit: null, range: { min: 2, max: 1 } }), 'bad range');
    throwsConfig(() => edit.upsertSignal(model, 'nope', { name: 'x', unit: null }), 'unknown asset');
    throwsConfig(() => edit.upsertSignal(model, 'line1', { name: 'press1', unit: null }), 'duplicate name');
  });

  it('removes signals by key', () => {
    const removed = edit.removeSignal(model, 'line1/press1/running');
    assert.equal(findSignal(removed, 'line1/press1/running'), undefined);
    assert.equal(removed.revision, 4);
    throwsConfig(() => edit.removeSignal(model, 'line1/press1/nope'), 'unknown signal');
    throwsConfig(() => edit.removeSignal(model, 'running'), 'unknown signal');
    throwsConfig(() => edit.removeSignal(model, 'nope/running'), 'unknown asset');
  });

  it('sets and removes parameters', () => {
    const set = edit.setParameter(model, 'line1/press1', { name: 'maxForce', value: 900, unit: 'kN' });
    assert.deepEqual(set.assets[0].children[0].parameters, [{ name: 'maxForce', value: 900, unit: 'kN' }]);
    const added = edit.setParameter(model, 'line1', { name: 'taktTime', value: 12, unit: 's', description: 'per part' });
    assert.equal(added.assets[0].parameters[0].description, 'per part');
    throwsConfig(() => edit.setParameter(model, 'line1', { name: 'x', value: '12', unit: null }), 'bad parameter');
    const gone = edit.removeParameter(model, 'line1/press1', 'maxForce');
    assert.deepEqual(gone.assets[0].children[0].parameters, []);
    throwsConfig(() => edit.removeParameter(model, 'line1/press1', 'nope'), 'unknown parameter');
  });

  it('adds and removes relationships', () => {
    const rel = { from: 'line1/press1', to: 'line1', type: 'partOf' };
    const added = edit.addRelationship(model, rel);
    assert.deepEqual(added.relationships[1], rel);
    throwsConfig(() => edit.addRelationship(added, rel), 'duplicate relationship');
    throwsConfig(() => edit.addRelationship(model, { ...rel, to: 'line9' }), 'unknown asset');
    assert.deepEqual(edit.removeRelationship(added, rel).relationships, model.relationships);
    throwsConfig(() => edit.removeRelationship(model, rel), 'unknown relationship');
  });

  it('counts revisions across a chain of edits', () => {
    let m = model;
    for (let i = 0; i < 5; i++) m = edit.upsertSignal(m, 'line1/oven1', { name: `zone${i}`, unit: 'degC' });
    assert.equal(m.revision, model.revision + 5);
  });

  it('throws only TwinErrors for garbage arguments', () => {
    for (const garbage of [null, undefined, 42, {}, [], 'a/b']) {
      throwsTwinError(() => edit.addAsset(garbage, '', { name: 'x' }));
      throwsTwinError(() => edit.addAsset(model, garbage, { name: 'x' }));
      throwsTwinError(() => edit.addAsset(model, '', garbage));
      throwsTwinError(() => edit.removeAsset(model, garbage));
      throwsTwinError(() => edit.renameAsset(model, garbage, 'x'));
      throwsTwinError(() => edit.renameAsset(model, 'line1', garbage));
      throwsTwinError(() => edit.upsertSignal(model, 'line1', garbage));
      throwsTwinError(() => edit.removeSignal(model, garbage));
      throwsTwinError(() => edit.setParameter(model, 'line1', garbage));
      throwsTwinError(() => edit.addRelationship(model, garbage));
      throwsTwinError(() => edit.removeRelationship(model, garbage));
    }
  });
});
