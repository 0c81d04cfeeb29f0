'use strict';
const assert = require('node:assert/strict');
const { ownerOf, assign, rendezvousScore } = require('../../../dist/core/cluster');

const assets = Array.from({ length: 2000 }, (_, i) => `plant/line${i % 10}/m${i}`);

describe('cluster: rendezvous assignment', () => {
  it('is deterministic and independent of the member order', () => {
    const a = ownerOf('plant/line1/m7', ['b', 'a', 'c']);
    assert.equal(ownerOf('plant/line1/m7', ['c', 'b', 'a']), a);
    assert.equal(rendezvousScore('x', 'y'), rendezvousScore('x', 'y'));
    assert.equal(ownerOf('x', []), undefined);
  });

  it('spreads 2,000 assets evenly over 2 and 4 members', () => {
    for (const members of [['n1', 'n2'], ['n1', 'n2', 'n3', 'n4']]) {
      const sizes = [...assign(assets, members).values()].map((list) => list.length);
      assert.equal(sizes.reduce((a, b) => a + b, 0), assets.length);
      const fair = assets.length / members.length;
      for (const size of sizes) assert.ok(Math.abs(size - fair) < fair * 0.12, `${size} vs ${fair}`);
    }
  });

  it('moves only the assets of the member that leaves, and only to the one that joins', () => {
    const before = new Map(assets.map((a) => [a, ownerOf(a, ['n1', 'n2', 'n3'])]));
    const afterLeave = new Map(assets.map((a) => [a, ownerOf(a, ['n1', 'n3'])]));
    for (const a of assets) if (before.get(a) !== 'n2') assert.equal(afterLeave.get(a), before.get(a));
    const afterJoin = new Map(assets.map((a) => [a, ownerOf(a, ['n1', 'n2', 'n3', 'n4'])]));
    let moved = 0;
    for (const a of assets) {
      if (afterJoin.get(a) !== before.get(a)) {
        moved++;
        assert.equal(afterJoin.get(a), 'n4');
      }
    }
    assert.ok(moved > 400 && moved < 600, `moved ${moved} of 2000 to the fourth member`);
  });
});
