'use strict';
const assert = require('assert/strict');
const { TwinState } = require('../../../dist/core/state');
const { fakeClock, plantModel, sample, rejects } = require('./helpers');

describe('twin state: queries and snapshot', () => {
  let clock;
  let state;
  beforeEach(() => {
    clock = fakeClock();
    state = new TwinState({ model: plantModel(), now: clock.now, unknownSignals: 'add' });
    state.update(sample('plant/line1/press1/temperature', 20, clock));
    state.update(sample('plant/line2/oven/temperature', 180, clock));
    state.update(sample('plant/line1/press1/cell/a/temperature', 21, clock));
  });
  const keys = (list) => list.map((s) => s.key).sort();

  it('matches an exact key, * within one level, ** over levels', () => {
    assert.deepEqual(keys(state.get('plant/line1/press1/temperature')), ['plant/line1/press1/temperature']);
    assert.deepEqual(keys(state.get('plant/*/*/temperature')), [
      'plant/line1/press1/temperature', 'plant/line1/press2/temperature', 'plant/line2/oven/temperature',
    ]);
    assert.deepEqual(keys(state.get('plant/line1/**/temperature')), [
      'plant/line1/press1/cell/a/temperature', 'plant/line1/press1/temperature', 'plant/line1/press2/temperature',
    ]);
    assert.equal(state.get('**/temperature').length, 4);
    assert.deepEqual(keys(state.get('plant/**/a/*')), ['plant/line1/press1/cell/a/temperature']);
    assert.deepEqual(keys(state.get('**/line2/**')), ['plant/line2/oven/door', 'plant/line2/oven/temperature']);
    assert.deepEqual(keys(state.get('plant/line1/press1/*')), [
      'plant/line1/press1/pressure', 'plant/line1/press1/recipe', 'plant/line1/press1/temperature',
    ]);
    assert.equal(state.get('**').length, 7);
    assert.deepEqual(keys(state.get('plant/line2/**')), ['plant/line2/oven/door', 'plant/line2/oven/temperature']);
    assert.deepEqual(state.get('plant/line2/oven/temp*'), [], 'only whole levels are wildcards (as in the model\'s matchPath)');
    assert.deepEqual(state.get('*/line2/o*n/d??r'), []);
  });

  it('matches like the model module\'s matchPath', () => {
    let matchPath;
    try {
      ({ matchPath } = require('../../../dist/core/model/paths'));
    } catch {
      return; // not built yet
    }
    const all = state.get('**').map((s) => s.key);
    for (const pattern of ['**', 'plant/*/*/temperature', 'plant/line1/**/temperature', '**/a/*', 'plant/**/**/temperature', '*/line2/**', 'plant/line1/press1/*']) {
      assert.deepEqual(keys(state.get(pattern)), all.filter((key) => matchPath(pattern, key)).sort(), pattern);
    }
  });

  it('returns an empty list when nothing matches', () => {
    assert.deepEqual(state.get('plant/line9/**'), []);
    assert.deepEqual(state.get('plant/line1/press1/humidity'), []);
    assert.deepEqual(state.get('x/*'), []);
  });

  it('refuses a bad pattern', () => {
    for (const bad of ['', 'a//b', '/a', 'a/', 7, null, 'x'.repeat(5000), 'a/'.repeat(70) + 'b']) rejects(() => state.get(bad), 'bad pattern');
  });

  it('snapshot: a table of every signal and a tree of null-prototype asset levels', () => {
    const { tree, table } = state.snapshot();
    assert.equal(table.length, 7);
    assert.equal(Object.getPrototypeOf(tree), null);
    assert.equal(Object.getPrototypeOf(tree.plant.line1), null);
    assert.equal(tree.plant.line1.press1.temperature.value, 20);
    assert.equal(tree.plant.line1.press1.cell.a.temperature.value, 21);
    assert.equal(tree.plant.line2.oven.door.value, null, 'known but never received');
    assert.deepEqual(Object.keys(tree.plant.line1.press1).sort(), ['cell', 'pressure', 'recipe', 'temperature']);
    assert.deepEqual(table.map((s) => s.key).sort(), state.get('**').map((s) => s.key).sort());
  });

  it('snapshot: a signal named like a child asset is listed as @name', () => {
    const s = new TwinState({ now: clock.now });
    s.update(sample('m/speed', 1, clock));
    s.update(sample('m/speed/set', 2, clock));
    const { tree } = s.snapshot();
    assert.equal(tree.m['@speed'].value, 1);
    assert.equal(tree.m.speed.set.value, 2);
  });
});
