'use strict';
const assert = require('assert/strict');
const { KpiSurrogate } = require('../../../dist/core/learning/surrogate');
const { ConfigError, InputError } = require('../../../dist/core/errors');
const { refused, refusedAsync, rng } = require('./helpers');

/** A smooth plant: throughput saturates with speed and staffing, energy grows with speed. */
function kpisOf(s) {
  return {
    throughput: 100 * (1 - Math.exp(-s.speed / 4)) * (s.workers / (s.workers + 1)) + 0.5 * s.buffer,
    energy: 20 + 0.3 * s.speed ** 1.5 + 2 * s.workers,
  };
}

function scenarios(seed, n) {
  const r = rng(seed);
  return Array.from({ length: n }, () => {
    const settings = { speed: 1 + 9 * r(), buffer: 20 * r(), workers: 1 + 4 * r() };
    return { settings, kpis: kpisOf(settings) };
  });
}

describe('learning: KPI surrogate', function () {
  this.timeout(20000);
  let surrogate;
  let result;

  before(async () => {
    surrogate = new KpiSurrogate({ seed: 5 });
    result = await surrogate.train(scenarios(1, 200));
  });

  it('learns a smooth function of the settings: held-out error per KPI within a few % of its range', () => {
    assert.equal(result.applied, true);
    assert.equal(result.trainRows, 160);
    assert.equal(result.validationRows, 40);
    assert.deepEqual(Object.keys(result.kpis).sort(), ['energy', 'throughput']);
    for (const [name, e] of Object.entries(result.kpis)) {
      assert.ok(e.relError < 0.04, `${name}: RMSE ${e.rmse}, ${e.relError * 100} % of range`);
      assert.ok(e.mae <= e.rmse);
    }
    // And on scenarios it never saw.
    for (const row of scenarios(99, 30)) {
      const p = surrogate.predict(row.settings);
      assert.ok(Math.abs(p.throughput - row.kpis.throughput) < 6, `throughput ${p.throughput} vs ${row.kpis.throughput}`);
      assert.ok(Math.abs(p.energy - row.kpis.energy) < 2, `energy ${p.energy} vs ${row.kpis.energy}`);
    }
    assert.deepEqual(surrogate.settings, ['buffer', 'speed', 'workers']);
    assert.deepEqual(surrogate.kpis, ['energy', 'throughput']);
  });

  it('round-trips through JSON text with identical predictions', () => {
    const copy = KpiSurrogate.fromJSON(JSON.parse(JSON.stringify(surrogate)));
    for (const row of scenarios(7, 20)) assert.deepEqual(copy.predict(row.settings), surrogate.predict(row.settings));
    assert.deepEqual(copy.validationErrors, surrogate.validationErrors);
  });

  it('refuses too few rows, NaN, missing or extra keys and non-numbers with ConfigError, before training', async () => {
    const s = new KpiSurrogate();
    const good = scenarios(3, 20);
    await refusedAsync(s.train(good.slice(0, 9)), ConfigError, 'too few rows');
    await refusedAsync(s.train('rows'), ConfigError, 'bad data');
    const nan = structuredClone(good);
    nan[4].settings.speed = NaN;
    await refusedAsync(s.train(nan), ConfigError, 'bad data', /row 4: setting speed is NaN/);
    const nanKpi = structuredClone(good);
    nanKpi[6].kpis.energy = Infinity;
    await refusedAsync(s.train(nanKpi), ConfigError, 'bad data', /row 6: kpi energy/);
    const missing = structuredClone(good);
    delete missing[5].settings.buffer;
    await refusedAsync(s.train(missing), ConfigError, 'mismatched keys', /row 5/);
    const extra = structuredClone(good);
    extra[2].kpis.scrap = 1;
    await refusedAsync(s.train(extra), ConfigError, 'mismatched keys', /row 2/);
    const text = structuredClone(good);
    text[1].settings.workers = '3';
    await refusedAsync(s.train(text), ConfigError, 'bad data', /row 1/);
    const noKpis = good.map((r) => ({ settings: r.settings, kpis: {} }));
    await refusedAsync(s.train(noKpis), ConfigError, 'bad data');
    assert.equal(s.trained, false);
  });

  it('refuses predictions before training and for settings that do not match', () => {
    refused(() => new KpiSurrogate().predict({ speed: 1 }), ConfigError, 'not trained');
    refused(() => new KpiSurrogate().toJSON(), ConfigError, 'not trained');
    refused(() => surrogate.predict({ speed: 5, buffer: 3 }), InputError, 'missing setting', /workers/);
    refused(() => surrogate.predict({ speed: 5, buffer: 3, workers: 2, colour: 1 }), InputError, 'unknown setting', /colour/);
    refused(() => surrogate.predict({ speed: NaN, buffer: 3, workers: 2 }), InputError, 'not finite');
    refused(() => KpiSurrogate.fromJSON({ kind: 'kpi-surrogate', version: 2 }), ConfigError, 'bad model');
    refused(() => new KpiSurrogate({ validationFraction: 0 }), ConfigError, 'bad validationFraction');
  });
});
