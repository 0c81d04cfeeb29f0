'use strict';
const assert = require('node:assert/strict');
const {
  parseAssetList, assetFilter, clusterFilterProblem, AssetStateBook, encodeAssetState, decodeAssetState, samplesOfState,
  assetOfStateTopic, stateTopic, decodeReleased, decodeMemberRecord,
} = require('../../../dist/core/cluster');
const { ConfigError, InputError } = require('../../../dist/core/errors');

describe('cluster: asset lists and filters', () => {
  it('expands ranges, keeps zero padding, drops repeats', () => {
    assert.deepEqual(parseAssetList('plant/l1/m{1..3}, plant/l2/x\nplant/l1/m2'), ['plant/l1/m1', 'plant/l1/m2', 'plant/l1/m3', 'plant/l2/x']);
    assert.deepEqual(parseAssetList('s/m{008..010}'), ['s/m008', 's/m009', 's/m010']);
    assert.equal(parseAssetList('a/{0..1}/b{0..1}').length, 4);
  });

  it('refuses empty lists, wildcards, backwards and huge ranges with a ConfigError', () => {
    for (const bad of ['', ' , ', 'plant/+/m1', 'a/{5..1}', 'a/{0..200000}', '/a', 42]) {
      assert.throws(() => parseAssetList(bad), ConfigError, String(bad));
    }
  });

  it('gives one asset its samples filter, and refuses topics that cannot be split', () => {
    assert.equal(assetFilter('plant/+/+/+', 'plant/l1/m3'), 'plant/l1/m3/+');
    assert.equal(assetFilter('plant/+/+/temperature', 'plant/l1/m3'), 'plant/l1/m3/temperature');
    assert.throws(() => assetFilter('plant/+/+/+', 'other/l1/m3'), ConfigError);
    assert.throws(() => assetFilter('plant/+/+/+', 'plant/l1'), ConfigError);
    assert.match(clusterFilterProblem('plant/#'), /#/);
    assert.match(clusterFilterProblem('$share/g/plant/+'), /share/);
    assert.equal(clusterFilterProblem('plant/+/+'), undefined);
  });
});

describe('cluster: compact state', () => {
  const sample = (signal, value, sourceTime, quality = 'good') => ({ asset: 'p/l1/m1', signal, value, unit: 'degC', quality, sourceTime, receivedTime: sourceTime, latencyMs: 0 });

  it('round-trips values, qualities, times and units; an older sample does not roll back', () => {
    const book = new AssetStateBook('me');
    book.observe(sample('t', 20.5, 1000));
    book.observe(sample('t', 19, 900));
    book.observe(sample('run', true, 1100, 'uncertain'));
    const [state] = book.takeChanged(5000);
    assert.equal(book.takeChanged(6000).length, 0, 'nothing changed since');
    const text = encodeAssetState(state);
    const back = decodeAssetState('p/l1/m1', Buffer.from(text));
    assert.deepEqual(Object.fromEntries(back.signals), {
      t: { value: 20.5, quality: 'good', sourceTime: 1000, unit: 'degC' },
      run: { value: true, quality: 'uncertain', sourceTime: 1100, unit: 'degC' },
    });
    assert.equal(back.by, 'me');
    const samples = samplesOfState(back, 2000);
    assert.equal(samples.find((s) => s.signal === 't').latencyMs, 1000);
    assert.ok(text.length < 120, text);
  });

  it('an empty payload is no state; malformed ones are InputErrors', () => {
    assert.equal(decodeAssetState('a', Buffer.alloc(0)), undefined);
    for (const bad of ['{', '[]', '{"v":2,"s":{}}', '{"v":1,"s":{"x":[1,7,0,null]}}', '{"v":1,"s":{"x":[null,0,0,null]}}', '{"v":1,"s":{"x":[1,0,"t",null]}}']) {
      assert.throws(() => decodeAssetState('a', Buffer.from(bad)), InputError, bad);
    }
  });

  it('state topics and protocol messages', () => {
    assert.equal(stateTopic('tw', 'p/l1/m1'), 'tw/p/l1/m1/state');
    assert.equal(assetOfStateTopic('tw', 'tw/p/l1/m1/state'), 'p/l1/m1');
    assert.equal(assetOfStateTopic('tw', 'other/p/state'), undefined);
    assert.equal(decodeMemberRecord(Buffer.alloc(0)), undefined);
    assert.throws(() => decodeMemberRecord(Buffer.from('{"id":"a b","state":"active"}')), InputError);
    assert.throws(() => decodeReleased(Buffer.from('{"from":"a","to":null,"assets":[],"forwarded":[[1]]}')), InputError);
  });
});
