'use strict';
const assert = require('assert/strict');
const { ScenarioStore, DEFAULT_CAPACITY } = require('../../../dist/core/scenarios/scenario-store');
const { InputError, ConfigError } = require('../../../dist/core/errors');
const { refused } = require('../calibration/helpers');


const result = (i, extra = {}) => ({
  id: `s${i}`,
  createdAt: 1_700_000_000_000 + i * 1000,
  settings: { speed: 10 + i, 'line.Press.servers': 2 },
  kpis: { throughput: 100 + i, oee: 0.8 },
  replications: 10,
  ...extra,
});

describe('scenarios ScenarioStore', () => {
  it('adds, gets, lists newest first and counts', () => {
    const store = new ScenarioStore();
    assert.equal(store.capacity, DEFAULT_CAPACITY);
    for (let i = 0; i < 3; i++) store.add(result(i, { label: i === 1 ? 'night' : 'day', modelRevision: 4 }));
    assert.equal(store.size, 3);
    assert.deepEqual(store.get('s1'), result(1, { label: 'night', modelRevision: 4 }));
    assert.equal(store.get('nope'), undefined);
    assert.deepEqual(store.list().map((r) => r.id), ['s2', 's1', 's0']);
    assert.deepEqual(store.list({ limit: 2 }).map((r) => r.id), ['s2', 's1']);
    assert.deepEqual(store.list({ label: 'day' }).map((r) => r.id), ['s2', 's0']);
    assert.deepEqual(store.list({ label: 'day', limit: 1 }).map((r) => r.id), ['s2']);
    assert.deepEqual(store.list({ limit: 0 }), []);
  });

  it('evicts the oldest beyond capacity', () => {
    const store = new ScenarioStore(3);
    for (let i = 0; i < 5; i++) store.add(result(i));
    assert.equal(store.size, 3);
    assert.equal(store.get('s0'), undefined);
    assert.equal(store.get('s1'), undefined);
    assert.deepEqual(store.list().map((r) => r.id), ['s4', 's3', 's2']);
  });

  it('an id already stored is replaced and becomes the newest', () => {
    const store = new ScenarioStore(5);
    store.add(result(1));
    store.add(result(2));
    store.add(result(1, { kpis: { throughput: 1 } }));
    assert.equal(store.size, 2);
    assert.deepEqual(store.list().map((r) => r.id), ['s1', 's2']);
    assert.deepEqual(store.get('s1').kpis, { throughput: 1 });
  });

  it('fills in a missing id and createdAt', () => {
    const store = new ScenarioStore();
    const before = Date.now();
    const a = store.add({ settings: {}, kpis: { x: 1 }, replications: 1 });
    const b = store.add({ settings: {}, kpis: { x: 2 }, replications: 1 });
    assert.ok(typeof a.id === 'string' && a.id !== b.id);
    assert.ok(a.createdAt >= before && a.createdAt <= Date.now());
  });

  it('stores frozen copies the caller cannot change afterwards', () => {
    const store = new ScenarioStore();
    const input = result(1);
    const stored = store.add(input);
    input.kpis.throughput = -1;
    assert.equal(store.get('s1').kpis.throughput, 101);
    assert.ok(Object.isFrozen(stored) && Object.isFrozen(stored.kpis) && Object.isFrozen(stored.settings));
  });

  it('rows() gives settings and KPIs, oldest first', () => {
    const store = new ScenarioStore();
    store.add(result(0));
    store.add(result(1));
    assert.deepEqual(store.rows(), [
      { settings: result(0).settings, kpis: result(0).kpis },
      { settings: result(1).settings, kpis: result(1).kpis },
    ]);
  });

  it('clear() empties the store', () => {
    const store = new ScenarioStore();
    store.add(result(0));
    store.clear();
    assert.equal(store.size, 0);
    assert.equal(store.get('s0'), undefined);
    assert.deepEqual(store.list(), []);
  });

  it('round-trips through JSON text', () => {
    const store = new ScenarioStore(7);
    for (let i = 0; i < 4; i++) store.add(result(i, { label: 'x' }));
    const loaded = ScenarioStore.fromJSON(JSON.stringify(store));
    assert.equal(loaded.dropped, 0);
    assert.deepEqual(loaded.problems, []);
    assert.equal(loaded.store.capacity, 7);
    assert.deepEqual(loaded.store.list(), store.list());
    assert.deepEqual(loaded.store.toJSON(), store.toJSON());
  });

  it('loads what it can from damaged saved data and reports what it dropped', () => {
    const saved = JSON.parse(JSON.stringify(new ScenarioStore(10).toJSON()));
    saved.results = [
      result(0),
      { ...result(1), kpis: { throughput: null } },
      'garbage',
      { ...result(2), id: undefined },
      { ...result(3), replications: 0 },
      result(4),
      JSON.parse('{"id":"p","createdAt":1,"settings":{"__proto__":1},"kpis":{},"replications":1}'),
      { ...result(5), settings: [1, 2] },
      { ...result(6), createdAt: -5 },
    ];
    const loaded = ScenarioStore.fromJSON(saved);
    assert.deepEqual(loaded.store.list().map((r) => r.id), ['s4', 's0']);
    assert.equal(loaded.dropped, 7);
    assert.equal(loaded.problems.length, 7);
    assert.match(loaded.problems[0], /^results\[1\]: kpis\.throughput = null/);
    assert.match(loaded.problems.join('\n'), /results\[4\]: replications/);
  });

  it('never throws on saved data that is not a store at all', () => {
    for (const bad of [undefined, null, 42, 'not json', '{"results": 5}', [], { results: 'x' }]) {
      const loaded = ScenarioStore.fromJSON(bad);
      assert.equal(loaded.store.size, 0);
      assert.equal(loaded.dropped, 0);
    }
    assert.deepEqual(ScenarioStore.fromJSON(undefined).problems, []);
    assert.match(ScenarioStore.fromJSON('not json').problems[0], /not valid JSON/);
    assert.match(ScenarioStore.fromJSON(42).problems[0], /not a saved scenario store/);
  });

  it('a smaller capacity on load keeps the newest entries; a bad saved capacity falls back to the default', () => {
    const store = new ScenarioStore(10);
    for (let i = 0; i < 6; i++) store.add(result(i));
    const loaded = ScenarioStore.fromJSON(store.toJSON(), 2);
    assert.deepEqual(loaded.store.list().map((r) => r.id), ['s5', 's4']);
    assert.equal(ScenarioStore.fromJSON({ capacity: -3, results: [] }).store.capacity, DEFAULT_CAPACITY);
  });

  it('validates entries: plain objects, finite numbers, safe keys', () => {
    const store = new ScenarioStore();
    class Settings {
      constructor() {
        this.speed = 1;
      }
    }
    refused(() => store.add(null), InputError, 'bad scenario');
    refused(() => store.add([]), InputError, 'bad scenario');
    refused(() => store.add(result(1, { settings: new Settings() })), InputError, 'bad settings');
    refused(() => store.add(result(1, { settings: new Map() })), InputError, 'bad settings');
    refused(() => store.add(result(1, { kpis: { oee: NaN } })), InputError, 'bad kpis', /kpis\.oee = NaN/);
    refused(() => store.add(result(1, { kpis: { oee: '0.8' } })), InputError, 'bad kpis', /kpis\.oee/);
    refused(() => store.add(result(1, { kpis: JSON.parse('{"__proto__": 1}') })), InputError, 'bad kpis', /__proto__/);
    refused(() => store.add(result(1, { settings: { constructor: 1 } })), InputError, 'bad settings', /constructor/);
    refused(() => store.add(result(1, { settings: { prototype: 1 } })), InputError, 'bad settings');
    refused(() => store.add(result(1, { replications: 1.5 })), InputError, 'bad replications');
    refused(() => store.add(result(1, { createdAt: Infinity })), InputError, 'bad createdAt');
    refused(() => store.add(result(1, { modelRevision: -1 })), InputError, 'bad modelRevision');
    refused(() => store.add(result(1, { label: 'x'.repeat(201) })), InputError, 'bad label');
    refused(() => store.add(result(1, { id: '' })), InputError, 'bad id');
    refused(() => store.add(result(1, { id: 7 })), InputError, 'bad id');
    assert.equal(store.size, 0);
    assert.equal({}.polluted, undefined);
  });

  it('refuses a bad capacity or limit', () => {
    for (const c of [0, -1, 1.5, NaN, 1e9, '10']) refused(() => new ScenarioStore(c), ConfigError, 'bad capacity');
    const store = new ScenarioStore();
    refused(() => store.list({ limit: -1 }), InputError, 'bad limit');
    refused(() => store.list({ limit: 'all' }), InputError, 'bad limit');
  });
});
