'use strict';
const assert = require('node:assert/strict');
const { modelFromBrowse, TopicLearner, diffModels, kindAtDepth } = require('../../../dist/core/model/discover');
const { validateModel } = require('../../../dist/core/model/validate');
const { exportModel } = require('../../../dist/core/model/io');
const { findSignal, signalKeys } = require('../../../dist/core/model/paths');
const { pressLine, throwsConfig } = require('./helpers');

function variable(path, unit, extra = {}) {
  return { nodeId: `ns=1;s=${path}`, browseName: path.split('/').pop(), displayName: path, path, nodeClass: 'Variable', unit, hasChildren: false, ...extra };
}

describe('model: modelFromBrowse', () => {
  const entries = [
    variable('Objects/Line1/Press1/Temperature', '°C'),
    variable('Objects/Line1/Press1/Pressure', 'bar'),
    variable('Objects/Line1/Press1/Running', null),
    variable('Objects/Line1/Press1/Drive/Speed', '1/min'),
    variable('Objects/Line1/Press1/Odd', 'furlongs per fortnight'),
    { ...variable('Objects/Line2', null), nodeClass: 'Object' },
    { ...variable('Objects/Line1/Press1/Reset', null), nodeClass: 'Method' },
  ];

  it('makes objects assets (kind by depth) and variables signals with canonical units', () => {
    const model = modelFromBrowse(entries, { name: 'Press hall', maxAgeMs: 10000 });
    assert.equal(model.revision, 0);
    assert.equal(model.name, 'Press hall');
    assert.deepEqual(model.assets.map((a) => [a.name, a.kind]), [['Line1', 'line'], ['Line2', 'line']]);
    assert.equal(model.assets[0].children[0].kind, 'machine');
    assert.equal(model.assets[0].children[0].children[0].kind, 'component');
    assert.deepEqual(findSignal(model, 'Line1/Press1/Temperature').signal, { name: 'Temperature', unit: 'degC', maxAgeMs: 10000 });
    assert.equal(findSignal(model, 'Line1/Press1/Running').signal.unit, null);
    assert.equal(findSignal(model, 'Line1/Press1/Drive/Speed').signal.unit, 'rpm');
    assert.equal(findSignal(model, 'Line1/Press1/Reset'), undefined, 'methods are not signals');
    assert.deepEqual([1, 2, 3, 4, 9].map(kindAtDepth), ['line', 'machine', 'component', 'other', 'other']);
  });

  it('leaves unknown units empty with a note, notes kept out of the saved model', () => {
    const model = modelFromBrowse(entries);
    assert.equal(findSignal(model, 'Line1/Press1/Odd').signal.unit, null);
    assert.ok(model.notes.some((n) => /Line1\/Press1\/Odd': unit 'furlongs per fortnight' is not known/.test(n)), model.notes.join('\n'));
    assert.ok(!exportModel(model).includes('notes'));
    assert.deepEqual(Object.keys(model), ['schemaVersion', 'revision', 'name', 'assets', 'relationships']);
    assert.deepEqual(validateModel(model), model, 'a proposal is a valid model as it is');
  });

  it('repairs or leaves out what cannot be a model, with notes', () => {
    const model = modelFromBrowse([
      variable('Objects/Temp', 'degC'),
      variable('Objects/Line1/Valve#1', null),
      variable('Objects/Line1/Mixer', null),
      variable('Objects/Line1/Mixer/Speed', 'rpm'),
      variable('Objects/Line1/*', null),
      variable(`Objects/Line1/${'x'.repeat(200)}`, null),
      variable(`Objects/${Array(20).fill('L').join('/')}`, null),
      variable('Objects/Line1/Speed', 'rpm'),
      variable('Objects/Line1/Speed', 'Hz'),
      null, 42, { path: 5 }, {},
    ]);
    assert.deepEqual(signalKeys(model), ['Line1/Valve_1', 'Line1/Speed', 'Line1/Mixer/Speed']);
    assert.equal(findSignal(model, 'Line1/Speed').signal.unit, 'rpm', 'the first of two wins');
    const notes = model.notes.join('\n');
    for (const expected of [/'Temp': a variable outside any object/, /'Line1\/Valve#1': "#", "\+" or control characters replaced/,
      /'Line1\/Mixer': has signals below it, so it is an asset/, /query wildcard/, /longer than 128/, /deeper than 16/, /found twice/]) {
      assert.match(notes, expected);
    }
  });

  it('refuses bad arguments with ConfigErrors', () => {
    throwsConfig(() => modelFromBrowse(null), 'bad browse');
    throwsConfig(() => modelFromBrowse({}), 'bad browse');
    throwsConfig(() => modelFromBrowse([], { maxAgeMs: 0 }), 'bad max age');
    throwsConfig(() => modelFromBrowse([], { name: '' }), 'bad name');
    assert.deepEqual(modelFromBrowse([]).assets, []);
  });
});

describe('model: TopicLearner', () => {
  afterEach(() => assert.equal(({}).polluted, undefined));
  const sample = (asset, signal, unit, value = 1) => ({ asset, signal, unit, value });

  it('proposes assets and signals from what arrived, with the units seen', () => {
    const learner = new TopicLearner();
    learner.observe(sample('plant/line1/press1', 'temperature', 'degC', 80));
    learner.observe(sample('plant/line1/press1', 'temperature', 'degC', 81));
    learner.observe(sample('plant/line1/press1', 'running', null, true));
    learner.observe(sample('plant/line1/oven1', 'zone1', 'degC'));
    assert.equal(learner.count, 3);
    assert.equal(learner.samples, 4);
    const model = learner.propose('Learned line');
    assert.equal(model.revision, 0);
    assert.equal(model.name, 'Learned line');
    assert.deepEqual(signalKeys(model), ['plant/line1/press1/temperature', 'plant/line1/press1/running', 'plant/line1/oven1/zone1']);
    assert.equal(findSignal(model, 'plant/line1/press1/temperature').signal.unit, 'degC');
    assert.equal(findSignal(model, 'plant/line1/press1/running').signal.unit, null);
    assert.equal(model.assets[0].kind, 'other');
    assert.deepEqual(model.notes, []);
  });

  it('takes the most frequent of several units and notes it', () => {
    const learner = new TopicLearner();
    for (const unit of ['degF', 'degC', 'degC', null, 'degC']) learner.observe(sample('l1/p1', 't', unit));
    const model = learner.propose();
    assert.equal(model.name, 'Learned model');
    assert.equal(findSignal(model, 'l1/p1/t').signal.unit, 'degC');
    assert.match(model.notes.join('\n'), /'l1\/p1\/t': seen with degF \(1\), degC \(3\), no unit \(1\); degC proposed/);
  });

  it('is bounded: signals beyond maxSignals are counted, not kept', () => {
    const learner = new TopicLearner({ maxSignals: 10 });
    for (let i = 0; i < 1000; i++) learner.observe(sample('line1/press1', `s${i % 50}`, null));
    assert.equal(learner.count, 10);
    assert.equal(learner.dropped, 800);
    assert.match(learner.propose().notes.join('\n'), /800 samples of signals beyond the first 10 were not learned/);
    learner.reset();
    assert.equal(learner.count, 0);
    throwsConfig(() => new TopicLearner({ maxSignals: 0 }), 'bad limit');
    throwsConfig(() => new TopicLearner({ maxSignals: 100_001 }), 'bad limit');
  });

  it('never throws on garbage samples and proposes a valid model anyway', () => {
    const learner = new TopicLearner();
    const hostile = {};
    Object.defineProperty(hostile, 'asset', { get() { throw new Error('boom'); } });
    const garbage = [null, undefined, 42, 'text', {}, hostile, sample('', 's', null), sample('a', '', null),
      sample('x'.repeat(5000), 's', null), sample('a', 'y'.repeat(200), null), sample(5, 's', null)];
    for (const g of garbage) learner.observe(g);
    learner.observe(sample('a//b', 's', null));
    learner.observe(sample('a/b', 's', 'u'.repeat(10000)));
    learner.observe(sample('a/b', 's', 'u'.repeat(10000)));
    learner.observe(JSON.parse('{"asset": "__proto__", "signal": "polluted", "unit": null, "value": 1}'));
    learner.observe(sample('ok', 'constructor', null));
    learner.observe(sample('ok', 'temp', 'degC'));
    const model = learner.propose();
    assert.deepEqual(signalKeys(model), ['a/b/s', '__proto__/polluted', 'ok/constructor', 'ok/temp']);
    assert.equal(findSignal(model, 'a/b/s').signal.unit, null);
    assert.equal(learner.dropped, garbage.length);
    assert.match(model.notes.join('\n'), /11 samples without a usable asset and signal/);
    assert.match(model.notes.join('\n'), /'a\/\/b\/s': name is missing, left out/);
    assert.equal(({}).polluted, undefined);
  });
});

describe('model: diffModels', () => {
  it('lists added and removed assets and signals, and what changed', () => {
    const current = validateModel(pressLine());
    const proposed = validateModel(pressLine());
    const press1 = proposed.assets[0].children[0];
    press1.signals[0].unit = 'degF';
    press1.signals[0].range = { max: 500 };
    delete press1.signals[0].maxAgeMs;
    press1.signals.splice(1, 1);
    press1.parameters = [];
    press1.kind = 'component';
    proposed.assets[0].children.splice(1, 1);
    proposed.assets.push({ name: 'line2', kind: 'line', children: [], signals: [{ name: 'speed', unit: 'm/s' }], parameters: [] });
    proposed.relationships = [];
    const diff = diffModels(current, proposed);
    assert.deepEqual(diff.added, ['line2', 'line2/speed']);
    assert.deepEqual(diff.removed, ['line1/press1/pressure', 'line1/oven1', 'line1/oven1/temperature']);
    assert.deepEqual(diff.changed, [
      { key: 'line1/press1', what: 'kind: machine -> component' },
      { key: 'line1/press1/maxForce', what: 'parameter removed' },
      { key: 'line1/press1/temperature', what: 'unit: degC -> degF' },
      { key: 'line1/press1/temperature', what: 'range: 0..250 -> ..500' },
      { key: 'line1/press1/temperature', what: 'maxAgeMs: 5000 -> none' },
      { key: 'line1/oven1 feeds line1/press1', what: 'relationship removed' },
    ]);
  });

  it('finds nothing between equal models, and reviews a browse proposal', () => {
    assert.deepEqual(diffModels(pressLine(), pressLine()), { added: [], removed: [], changed: [] });
    const proposal = modelFromBrowse([variable('Objects/line1/press1/temperature', 'degC'), variable('Objects/line1/press1/force', 'kN')]);
    const diff = diffModels(pressLine(), proposal);
    assert.deepEqual(diff.added, ['line1/press1/force']);
    assert.deepEqual(diff.removed, ['line1/press1/pressure', 'line1/press1/running', 'line1/oven1', 'line1/oven1/temperature']);
    // What the technician would lose by accepting the proposal as it is: kinds match (line, machine).
    assert.deepEqual(diff.changed, [
      { key: 'line1/press1/maxForce', what: 'parameter removed' },
      { key: 'line1/press1/temperature', what: 'range: 0..250 -> none' },
      { key: 'line1/press1/temperature', what: 'maxAgeMs: 5000 -> none' },
      { key: 'line1/oven1 feeds line1/press1', what: 'relationship removed' },
    ]);
    throwsConfig(() => diffModels(null, proposal), 'bad model');
  });
});
