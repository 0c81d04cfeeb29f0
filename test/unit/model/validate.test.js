'use strict';
const assert = require('node:assert/strict');
const { validateModel, MODEL_LIMITS } = require('../../../dist/core/model/validate');
const { pressLine, throwsConfig, throwsTwinError } = require('./helpers');

describe('model: validateModel', () => {
  afterEach(() => assert.equal(({}).polluted, undefined, 'Object.prototype must never be polluted'));

  it('accepts a valid model and returns a fresh copy', () => {
    const raw = pressLine();
    const model = validateModel(raw);
    assert.deepEqual(model, raw);
    assert.notEqual(model.assets[0], raw.assets[0]);
    model.assets[0].name = 'changed';
    assert.equal(raw.assets[0].name, 'line1');
  });

  it('fills defaults and normalises unit spellings', () => {
    const model = validateModel({
      schemaVersion: 1,
      name: 'm',
      assets: [{ name: 'a', signals: [{ name: 's', unit: '°C', tags: ['x', 'x'], range: {} }, { name: 't' }] }],
    });
    assert.deepEqual(model, {
      schemaVersion: 1,
      revision: 0,
      name: 'm',
      assets: [{
        name: 'a', kind: 'other', children: [], parameters: [],
        signals: [{ name: 's', unit: 'degC', tags: ['x'] }, { name: 't', unit: null }],
      }],
      relationships: [],
    });
  });

  it('names the exact place of an unknown unit', () => {
    const raw = pressLine();
    raw.assets[0].children[0].signals[0].unit = 'degX';
    throwsConfig(() => validateModel(raw), 'unknown unit', /^line1\/press1: signal 'temperature': unknown unit 'degX'$/);
  });

  it('refuses bad names: empty, "/", "#", "+", control characters, wildcards, too long', () => {
    for (const name of ['', '   ', 'a/b', 'a#', 'a+b', 'a\u0000b', '*', '**', 'x'.repeat(129), 42, null]) {
      const raw = pressLine();
      raw.assets[0].children[0].signals[1].name = name;
      throwsConfig(() => validateModel(raw), 'bad name', /^line1\/press1: signal 2: /);
    }
    const raw = pressLine();
    raw.assets[0].children[0].name = 'press/1';
    throwsConfig(() => validateModel(raw), 'bad name', /^line1: child asset 1: name 'press\/1' contains '\/'/);
    assert.doesNotThrow(() => validateModel({ ...pressLine(), name: 'x' }));
  });

  it('refuses duplicate sibling names, also between signals, parameters and children', () => {
    const dupSignal = pressLine();
    dupSignal.assets[0].children[0].signals.push({ name: 'pressure', unit: 'bar' });
    throwsConfig(() => validateModel(dupSignal), 'duplicate name', /^line1\/press1: signal 'pressure' has the same name as a signal/);
    const dupAsset = pressLine();
    dupAsset.assets.push({ name: 'line1' });
    throwsConfig(() => validateModel(dupAsset), 'duplicate name', /two assets are named 'line1'/);
    const clash = pressLine();
    clash.assets[0].signals.push({ name: 'press1', unit: null });
    throwsConfig(() => validateModel(clash), 'duplicate name', /^line1: child asset 'press1' has the same name as a signal/);
    const param = pressLine();
    param.assets[0].children[0].parameters.push({ name: 'running', value: 1, unit: null });
    throwsConfig(() => validateModel(param), 'duplicate name', /parameter 'running'/);
  });

  it('checks ranges, maxAgeMs, kinds, positions, parameters and tags', () => {
    const cases = [
      [(s) => (s.range = { min: 5, max: 1 }), 'bad range', /range min 5 is above max 1/],
      [(s) => (s.range = { min: NaN }), 'bad range', /finite/],
      [(s) => (s.maxAgeMs = 0), 'bad max age', /above 0/],
      [(s) => (s.maxAgeMs = -5), 'bad max age', /above 0/],
      [(s) => (s.maxAgeMs = '5000'), 'bad max age', /finite/],
      [(s) => (s.tags = [1]), 'bad tag', /tags/],
      [(s) => (s.unit = 5), 'bad unit', /unit must be text/],
      [(s) => (s.configuration = 'yes'), 'bad model', /configuration/],
      [(s) => (s.maxage = 5), 'bad model', /unknown field 'maxage'/],
    ];
    for (const [spoil, reason, message] of cases) {
      const raw = pressLine();
      spoil(raw.assets[0].children[0].signals[0]);
      throwsConfig(() => validateModel(raw), reason, message);
    }
    const kind = pressLine();
    kind.assets[0].kind = 'factory';
    throwsConfig(() => validateModel(kind), 'bad kind', /^line1: kind must be one of/);
    const position = pressLine();
    position.assets[0].position = { x: 1 };
    throwsConfig(() => validateModel(position), 'bad position', /x and y/);
    const param = pressLine();
    param.assets[0].children[0].parameters[0].value = Infinity;
    throwsConfig(() => validateModel(param), 'bad parameter', /^line1\/press1: parameter 'maxForce': value/);
    const unit = pressLine();
    unit.assets[0].children[0].parameters[0].unit = 'furlongs';
    throwsConfig(() => validateModel(unit), 'unknown unit', /parameter 'maxForce': unknown unit 'furlongs'/);
  });

  it('checks relationships: existing assets, known type, no self or duplicate', () => {
    const cases = [
      [{ from: 'line1/oven1', to: 'line1/press9', type: 'feeds' }, 'unknown asset', /no asset 'line1\/press9'/],
      [{ from: 'line1/oven1', to: 'line1/press1', type: 'heats' }, 'bad relationship', /type must be one of feeds, partOf/],
      [{ from: 'line1', to: 'line1', type: 'partOf' }, 'bad relationship', /itself/],
      [{ from: 'line1/oven1', to: 'line1/press1', type: 'feeds' }, 'duplicate relationship', /twice/],
      [{ from: 1, to: 'line1', type: 'feeds' }, 'bad relationship', /asset paths/],
    ];
    for (const [relationship, reason, message] of cases) {
      const raw = pressLine();
      raw.relationships.push(relationship);
      throwsConfig(() => validateModel(raw), reason, message);
    }
  });

  it('checks schema version, revision and name', () => {
    throwsConfig(() => validateModel({ ...pressLine(), schemaVersion: 99 }), 'model too new');
    throwsConfig(() => validateModel({ ...pressLine(), schemaVersion: 0 }), 'old model');
    const { schemaVersion, ...noVersion } = pressLine();
    assert.equal(schemaVersion, 1);
    throwsConfig(() => validateModel(noVersion), 'old model', /import it/);
    throwsConfig(() => validateModel({ ...pressLine(), revision: -1 }), 'bad model', /revision/);
    throwsConfig(() => validateModel({ ...pressLine(), name: '' }), 'bad name', /^model: /);
  });

  it('refuses forbidden keys and objects that are not plain data', () => {
    const raw = pressLine();
    raw.assets[0].children[0].signals[0] = JSON.parse('{"name": "t", "unit": null, "__proto__": {"polluted": 1}}');
    throwsConfig(() => validateModel(raw), 'forbidden key', /'__proto__'/);
    const ctor = pressLine();
    ctor.assets[0].constructor = { prototype: { polluted: 1 } };
    throwsConfig(() => validateModel(ctor), 'forbidden key', /'constructor'/);
    throwsConfig(() => validateModel({ ...pressLine(), assets: [new Date()] }), 'bad model', /plain object/);
    for (const garbage of [null, undefined, 42, 'model', [], () => 1, Symbol('x')]) {
      throwsConfig(() => validateModel(garbage), 'bad model', /^model: /);
    }
  });

  it('refuses cycles and nesting deeper than 16 levels, with a ConfigError', () => {
    const cyclic = pressLine();
    cyclic.assets[0].children[0].children.push(cyclic.assets[0]);
    throwsConfig(() => validateModel(cyclic), 'bad model', /contains itself/);
    let deep = { name: 'level17' };
    for (let i = 16; i >= 1; i--) deep = { name: `level${i}`, children: [deep] };
    throwsConfig(() => validateModel({ schemaVersion: 1, name: 'm', assets: [deep] }), 'too deep', /deeper than 16/);
    assert.doesNotThrow(() => validateModel({ schemaVersion: 1, name: 'm', assets: [deep.children[0]] }));
  });

  it('turns hostile objects into ConfigErrors too', () => {
    const raw = pressLine();
    Object.defineProperty(raw.assets[0], 'signals', { enumerable: true, get() { throw new TypeError('boom'); } });
    throwsConfig(() => validateModel(raw), 'bad model', /cannot be read/);
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    throwsTwinError(() => validateModel(proxy));
  });

  it('bounds sizes: at most 100,000 signals, checked before reading them', () => {
    assert.equal(MODEL_LIMITS.maxSignals, 100_000);
    const many = new Array(100_001);
    throwsConfig(() => validateModel({ schemaVersion: 1, name: 'm', assets: [{ name: 'a', signals: many }] }), 'too large', /100000 signals/);
    const half = Array.from({ length: 50_001 }, (_, i) => ({ name: `s${i}`, unit: null }));
    const two = { schemaVersion: 1, name: 'm', assets: [{ name: 'a', signals: half }, { name: 'b', signals: half }] };
    throwsConfig(() => validateModel(two), 'too large', /^b: more than 100000 signals in the model/);
    const full = { schemaVersion: 1, name: 'm', assets: [{ name: 'a', signals: half }, { name: 'b', signals: half.slice(2) }] };
    assert.equal(validateModel(full).assets[1].signals.length, 49_999); // 100,000 in all
  });
});
