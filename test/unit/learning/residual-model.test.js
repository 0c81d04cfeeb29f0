'use strict';
const assert = require('assert/strict');
const { ResidualModel, blockHoldout } = require('../../../dist/core/learning/residual-model');
const { ConfigError, InputError } = require('../../../dist/core/errors');
const { refused, refusedAsync, rng } = require('./helpers');

/** A plant whose physics model misses a nonlinear term: measured = physics + 0.5 sin(3 x2) + 0.3 x1 x2 + noise. */
function plant(seed, n) {
  const r = rng(seed);
  const rows = [];
  for (let i = 0; i < n; i++) {
    const x1 = r();
    const x2 = r();
    const physics = 2 * x1 + 1;
    const noise = (r() + r() + r() - 1.5) * 0.04;
    rows.push({ features: [x1, x2], physics, measured: physics + 0.5 * Math.sin(3 * x2) + 0.3 * x1 * x2 + noise });
  }
  return rows;
}

function rmse(rows, predict) {
  return Math.sqrt(rows.reduce((s, r) => s + (r.measured - predict(r)) ** 2, 0) / rows.length);
}

describe('learning: residual model (hybrid physics + learning)', function () {
  this.timeout(20000);
  let model;
  let result;
  const test = plant(2, 500);

  before(async () => {
    model = new ResidualModel({ features: 2, seed: 3 });
    for (const r of plant(1, 1500)) model.add(r.features, r.physics, r.measured);
    result = await model.train();
  });

  it('is the physics model before training', () => {
    const m = new ResidualModel({ features: 2 });
    assert.equal(m.predictResidual([0.5, 0.5]), 0);
    assert.equal(m.hybrid([0.5, 0.5], 3.25), 3.25);
    assert.equal(m.stats().trained, false);
  });

  it('learns the missing nonlinearity: hybrid error far below physics-only, on held-out and on fresh data', () => {
    assert.equal(result.applied, true);
    assert.equal(result.stopReason, 'epochs');
    const s = model.stats();
    assert.equal(s.trained, true);
    assert.equal(s.rows, 1500);
    assert.equal(s.trainRows + s.validationRows, 1500);
    assert.ok(Math.abs(s.validationRows - 300) <= 30, `${s.validationRows} held-out rows`);
    assert.ok(s.ratio < 0.3, `held-out hybrid/physics RMSE ${s.hybridRmse}/${s.physicsRmse}`);
    const physics = rmse(test, (r) => r.physics);
    const hybrid = rmse(test, (r) => model.hybrid(r.features, r.physics));
    assert.ok(hybrid < 0.3 * physics, `fresh data: hybrid ${hybrid} vs physics ${physics}`);
  });

  it('keeps at most `capacity` rows, dropping the oldest', () => {
    const m = new ResidualModel({ features: 1, capacity: 100, minRows: 10 });
    for (let i = 0; i < 250; i++) m.add([i], 0, i);
    assert.equal(m.rows, 100);
    const saved = m.toJSON();
    assert.equal(saved.rows.length, 100);
    assert.deepEqual(saved.rows[0], [150, 0, 150]);
    assert.deepEqual(saved.rows[99], [249, 0, 249]);
  });

  it('round-trips through JSON text with identical predictions and statistics', () => {
    const copy = ResidualModel.fromJSON(JSON.parse(JSON.stringify(model)));
    for (const r of test.slice(0, 50)) {
      assert.equal(copy.predictResidual(r.features), model.predictResidual(r.features));
      assert.equal(copy.hybrid(r.features, r.physics), model.hybrid(r.features, r.physics));
    }
    const a = model.stats();
    const b = copy.stats();
    for (const k of ['rows', 'capacity', 'trained', 'trainRows', 'validationRows', 'physicsRmse', 'hybridRmse', 'ratio']) assert.equal(b[k], a[k], k);
  });

  it('a cancelled training keeps the previous model', async () => {
    const before = model.predictResidual([0.3, 0.7]);
    const ac = new AbortController();
    const pending = model.train({ signal: ac.signal });
    ac.abort();
    const r = await pending;
    assert.equal(r.applied, false);
    assert.equal(r.stopReason, 'cancelled');
    assert.equal(model.predictResidual([0.3, 0.7]), before);
  });

  it('holds out evenly spread contiguous blocks', () => {
    const held = blockHoldout(1000, 0.2);
    assert.equal(held.filter(Boolean).length, 200);
    assert.deepEqual(held.slice(60, 100).map(Number), [...Array(20).fill(0), ...Array(20).fill(1)]);
    assert.equal(blockHoldout(100, 0).some(Boolean), false);
  });

  it('refuses bad options, bad rows, too few rows and bad saved models', async () => {
    refused(() => new ResidualModel({}), ConfigError, 'bad features');
    refused(() => new ResidualModel({ features: 2, capacity: 5 }), ConfigError, 'bad capacity');
    refused(() => new ResidualModel({ features: 2, validationFraction: 0.9 }), ConfigError, 'bad validationFraction');
    refused(() => new ResidualModel({ features: 2, training: { learningRate: 2 } }), ConfigError, 'bad learningRate');
    const m = new ResidualModel({ features: 2 });
    refused(() => m.add([1], 0, 0), InputError, 'bad features');
    refused(() => m.add([1, NaN], 0, 0), InputError, 'not finite');
    refused(() => m.add([1, 2], Infinity, 0), InputError, 'not finite');
    refused(() => m.add([1, 2], 0, undefined), InputError, 'not finite');
    m.add([1, 2], 0, 0);
    await refusedAsync(m.train(), ConfigError, 'too few rows');
    refused(() => model.predictResidual([1, 2, 3]), InputError, 'bad features');
    refused(() => ResidualModel.fromJSON({ kind: 'other' }), ConfigError, 'bad model');
    const saved = JSON.parse(JSON.stringify(model));
    saved.rows[3] = [1, 2];
    refused(() => ResidualModel.fromJSON(saved), ConfigError, 'bad model', /row 3/);
  });
});
