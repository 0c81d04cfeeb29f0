'use strict';
const assert = require('assert/strict');
const { AssetFleet } = require('../../../dist/core/deviation/multivariate-fleet');
const { InputError } = require('../../../dist/core/errors');

describe('deviation (multivariate): many assets side by side', () => {
  it('judges each asset against its own normal window, and survives a save', () => {
    const fleet = new AssetFleet({
      'line1/pump': { signals: ['current', 'flow'] },
      'line1/oven': { signals: ['temperature', 'power', 'fan'] },
    });
    for (let i = 0; i < 30; i++) {
      const wobble = ((i * 7) % 5) / 10;
      fleet.learn('line1/pump', [10 + wobble, 32 - wobble]);
      fleet.learn('line1/oven', [200 + wobble * 3, 5 + wobble, 1 + ((i * 3) % 4) / 10]);
    }
    fleet.fit();
    assert.deepEqual(fleet.assets, ['line1/pump', 'line1/oven']);
    assert.equal(fleet.score('line1/pump', [10.2, 31.8]).isAnomaly, false);
    assert.equal(fleet.score('line1/oven', [200.6, 5.2, 1.1]).isAnomaly, false);
    // the pump's normal reading is far from anything the oven knows, and the other way round
    assert.equal(fleet.score('line1/pump', [10.2, 40]).isAnomaly, true);
    const copy = AssetFleet.fromJSON(JSON.parse(JSON.stringify(fleet)));
    assert.deepEqual(copy.score('line1/oven', [203, 5, 1]), fleet.score('line1/oven', [203, 5, 1]));
  });

  it('an unknown asset is an input error naming it', () => {
    const fleet = new AssetFleet();
    assert.throws(() => fleet.score('line9/press', [1]), (err) => err instanceof InputError && err.shortReason === 'unknown asset' && err.topic === 'line9/press');
  });
});
