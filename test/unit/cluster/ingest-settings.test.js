'use strict';
const assert = require('node:assert/strict');
const { ingestSettings } = require('../../../dist/nodes/twin-ingest/options');
const { ConfigError } = require('../../../dist/core/errors');

const base = { id: 'n1', type: 'twin-ingest', topic: 'plant/+line/+machine/+signal' };

describe('cluster: twin-ingest settings', () => {
  it('no cluster group: not clustered, as before', () => {
    assert.equal(ingestSettings(base).cluster, undefined);
    assert.equal(ingestSettings({ ...base, clusterGroup: '  ' }).cluster, undefined);
  });

  it('reads group, prefix, assets with their filters, intervals', () => {
    const c = ingestSettings({ ...base, clusterGroup: 'line-a', clusterAssets: 'plant/l1/m{1..3}', stateInterval: '0.5', handoverTimeout: '2' }).cluster;
    assert.equal(c.group, 'line-a');
    assert.equal(c.prefix, 'twinloop');
    assert.deepEqual(c.assets, ['plant/l1/m1', 'plant/l1/m2', 'plant/l1/m3']);
    assert.equal(c.filters.get('plant/l1/m2'), 'plant/l1/m2/+');
    assert.equal(c.assetLevels, 3);
    assert.equal(c.stateIntervalMs, 500);
    assert.equal(c.handoverTimeoutMs, 2000);
  });

  it('refuses what cannot work with a ConfigError', () => {
    const bad = [
      { clusterGroup: 'a/b', clusterAssets: 'plant/l1/m1' },
      { clusterGroup: 'g' },
      { clusterGroup: 'g', clusterAssets: 'other/l1/m1' },
      { clusterGroup: 'g', clusterAssets: 'plant/l1/m1', clusterPrefix: 'x/#' },
      { clusterGroup: 'g', clusterAssets: 'plant/l1/m1', stateInterval: '-1' },
      { clusterGroup: 'g', clusterAssets: 'plant/l1/m1', handoverTimeout: '0' },
      { clusterGroup: 'g', clusterAssets: 'plant/l1', topic: 'plant/+/#' },
    ];
    for (const extra of bad) assert.throws(() => ingestSettings({ ...base, ...extra }), ConfigError, JSON.stringify(extra));
  });
});
