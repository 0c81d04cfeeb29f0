'use strict';
const assert = require('assert/strict');
const { HealthModel, parseCmapss, windowFeatures } = require('../../../dist/core/learning/health-model');
const { ConfigError, InputError } = require('../../../dist/core/errors');
const { refused, refusedAsync, rng } = require('./helpers');

/**
 * Synthetic run-to-failure fleet: a hidden health index h = (e^{3t/L} − 1)/(e^3 − 1) grows from 0
 * to 1 at failure (cycle L); four sensors follow it with noise and a per-unit offset, one column
 * is constant and one nearly constant (98 % one value), as in C-MAPSS.
 */
function unit(r, life) {
  const wear = r() - 0.5;
  const rows = [];
  for (let t = 0; t < life; t++) {
    const h = (Math.exp((3 * t) / life) - 1) / (Math.exp(3) - 1);
    const n = () => r() + r() + r() - 1.5;
    rows.push([
      518.67,
      r() < 0.02 ? 21.6 : 21.61,
      642 + 0.3 * wear + 2.5 * h + 0.3 * n(),
      1590 + 3 * wear + 30 * h + 4 * n(),
      47.3 + 0.1 * wear + 1.5 * h + 0.15 * n(),
      554 - 0.3 * wear - 3 * h + 0.4 * n(),
    ]);
  }
  return rows;
}

function fleet(seed, count) {
  const r = rng(seed);
  return Array.from({ length: count }, () => unit(r, 150 + Math.floor(100 * r())));
}

const OPTS = { hiddenLayers: [16], training: { epochs: 30 } };

describe('learning: health model (RUL)', function () {
  this.timeout(30000);
  let model;
  let result;
  const test = fleet(2, 20);

  before(async () => {
    model = new HealthModel(OPTS);
    result = await model.train(fleet(1, 40));
  });

  it('drops the constant and near-constant columns and trains on the rest', () => {
    assert.equal(result.applied, true);
    assert.deepEqual(result.sensors, [2, 3, 4, 5]);
    assert.deepEqual(result.dropped, [0, 1]);
    assert.deepEqual(model.sensors, [2, 3, 4, 5]);
    assert.equal(result.features, 12);
    assert.equal(result.epochs, 30);
  });

  it('predicts the RUL of unseen units cut at random points with RMSE below 20 cycles (cap 125)', () => {
    const r = rng(3);
    const cut = [];
    const truth = [];
    for (const series of test) {
      const end = Math.floor(series.length * (0.3 + 0.65 * r()));
      cut.push(series.slice(0, end));
      truth.push(Math.min(125, series.length - end));
    }
    const rmse = model.evaluate(cut, truth);
    assert.ok(rmse < 20, `RMSE ${rmse}`);
    const manual = Math.sqrt(cut.reduce((s, c, i) => s + (model.predictRul(c) - truth[i]) ** 2, 0) / cut.length);
    assert.ok(Math.abs(manual - rmse) < 1e-9);
  });

  it('predicts a falling RUL along a life: high early, low near failure, mostly decreasing', () => {
    for (const series of test.slice(0, 5)) {
      const L = series.length;
      const preds = [];
      for (let end = L - 120; end <= L; end += 10) preds.push(model.predictRul(series.slice(0, end)));
      let falls = 0;
      for (let i = 1; i < preds.length; i++) if (preds[i] < preds[i - 1]) falls++;
      assert.ok(falls >= 0.8 * (preds.length - 1), `life ${L}: ${preds.map((p) => p.toFixed(0)).join(' ')}`);
      assert.ok(preds[preds.length - 1] < 25, `at failure: ${preds[preds.length - 1]}`);
      assert.ok(model.predictRul(series.slice(0, 30)) > 90, 'early in life');
      for (const p of preds) assert.ok(p >= 0 && p <= 125);
    }
  });

  it('round-trips through JSON text with identical predictions', () => {
    const copy = HealthModel.fromJSON(JSON.parse(JSON.stringify(model)));
    assert.deepEqual(copy.sensors, model.sensors);
    for (const series of test.slice(0, 5)) {
      for (const end of [1, 10, 60, series.length]) assert.equal(copy.predictRul(series.slice(0, end)), model.predictRul(series.slice(0, end)));
    }
  });

  it('uses given sensors when told; a cancelled training keeps no model; busy while training', async () => {
    const m = new HealthModel({ ...OPTS, sensors: [3, 5], training: { epochs: 2 } });
    const r = await m.train(fleet(1, 5));
    assert.deepEqual(r.sensors, [3, 5]);
    assert.deepEqual(r.dropped, []);
    assert.equal(r.features, 6);
    const c = new HealthModel(OPTS);
    const ac = new AbortController();
    const pending = c.train(fleet(1, 10), { signal: ac.signal });
    ac.abort();
    const cr = await pending;
    assert.equal(cr.applied, false);
    assert.equal(c.trained, false);
    // cancel() during feature extraction; a second train() meanwhile is refused.
    const running = c.train(fleet(1, 10));
    await refusedAsync(c.train(fleet(1, 2)), ConfigError, 'busy');
    c.cancel();
    const cr2 = await running;
    assert.equal(cr2.stopReason, 'cancelled');
    assert.equal(c.trained, false);
  });

  it('window features: recent mean, window mean and least-squares slope', () => {
    const series = Array.from({ length: 40 }, (_, i) => [0, 2 * i + 1]);
    const [recent, mean, slope] = windowFeatures(series, 39, [1], 30, 5);
    assert.equal(recent, 2 * 37 + 1); // mean of rows 35..39
    assert.equal(mean, 2 * 24.5 + 1); // rows 10..39
    assert.ok(Math.abs(slope - 2) < 1e-12);
    assert.deepEqual(windowFeatures(series, 0, [1], 30, 5), [1, 1, 0]);
  });

  it('refuses bad training data, bad series and bad options', async () => {
    await refusedAsync(new HealthModel().train([]), ConfigError, 'no data');
    await refusedAsync(new HealthModel().train([[[1, 2]], [[1, 2], [3]]]), ConfigError, 'bad data', /unit 1 row 1/);
    await refusedAsync(new HealthModel().train([[[1, 2], [1, NaN]]]), ConfigError, 'bad data', /column 1/);
    // a value that is not a number is described, not repeated (a long text, an object without a prototype)
    await refusedAsync(new HealthModel().train([[[1, 2], [1, 'z'.repeat(20000)]]]), ConfigError, 'bad data', /^unit 0 row 1 column 1 is "z{60}…", not a finite number$/);
    await refusedAsync(new HealthModel().train([[[1, 2], [1, Object.create(null)]]]), ConfigError, 'bad data', /column 1 is an object, not a finite number/);
    await refusedAsync(new HealthModel().train([[[1, 2], [1, 2]]]), ConfigError, 'no sensors');
    await refusedAsync(new HealthModel({ sensors: [7] }).train([[[1, 2], [1, 3]]]), ConfigError, 'bad sensors');
    refused(() => new HealthModel({ window: 0 }), ConfigError, 'bad window');
    refused(() => new HealthModel({ sensors: [-1] }), ConfigError, 'bad sensors');
    refused(() => new HealthModel().predictRul([[1]]), ConfigError, 'not trained');
    refused(() => model.predictRul([]), InputError, 'no data');
    refused(() => model.predictRul([[1, 2, 3]]), InputError, 'bad row');
    const bad = test[0].slice(0, 20).map((r) => r.slice());
    bad[19][3] = NaN;
    refused(() => model.predictRul(bad), InputError, 'not finite', /row 19 column 3/);
    refused(() => model.evaluate(test.slice(0, 2), [1]), InputError, 'bad data');
    refused(() => HealthModel.fromJSON({ kind: 'health-model', version: 1, options: {}, sensors: [9], columns: 3 }), ConfigError, 'bad model');
  });
});

describe('learning: C-MAPSS parser', () => {
  const row = (unit, cycle) => [unit, cycle, '-0.0007', '-0.0004', '100.0', '518.67', '641.82', '1589.70', '1400.60', '14.62', '21.61', '554.36', '2388.06', '9046.19', '1.30', '47.47', '521.66', '2388.02', '8138.62', '8.4195', '0.03', '392', '2388', '100.00', '39.06', '23.4190'].join(' ');

  it('reads units, cycles, 3 settings and 21 sensors; skips blank lines; tolerates trailing spaces and CRLF', () => {
    const text = [row(1, 1) + '  ', row(1, 2), '', row(2, 1) + ' ', row(2, 2), row(2, 3)].join('\r\n') + '\n';
    const units = parseCmapss(text);
    assert.deepEqual([...units.keys()], [1, 2]);
    const u2 = units.get(2);
    assert.deepEqual(u2.cycles, [1, 2, 3]);
    assert.equal(u2.settings[0].length, 3);
    assert.equal(u2.sensors[0].length, 21);
    assert.deepEqual(u2.settings[0], [-0.0007, -0.0004, 100]);
    assert.equal(u2.sensors[0][0], 518.67);
    assert.equal(u2.sensors[0][20], 23.419);
    assert.equal(parseCmapss('').size, 0);
  });

  it('refuses malformed lines with InputError naming the line number', () => {
    const lines = [row(1, 1), row(1, 2)];
    refused(() => parseCmapss([...lines, row(1, 3).split(' ').slice(0, 25).join(' ')].join('\n')), InputError, 'bad line', /^line 3: 25 columns/);
    refused(() => parseCmapss([...lines, '', row(1, 3).replace('518.67', 'abc')].join('\n')), InputError, 'bad line', /^line 4: column 6 is "abc"/);
    refused(() => parseCmapss([...lines, row(1, 2)].join('\n')), InputError, 'bad line', /^line 3: unit 1 cycle 2 does not follow cycle 2/);
    refused(() => parseCmapss([row(0, 1)].join('\n')), InputError, 'bad line', /^line 1: unit/);
    refused(() => parseCmapss([row(1, 1.5)].join('\n')), InputError, 'bad line', /^line 1: cycle/);
    refused(() => parseCmapss([row(1, 1) + ' 7'].join('\n')), InputError, 'bad line', /^line 1: 27 columns/);
    refused(() => parseCmapss(42), InputError, 'bad input');
  });
});
