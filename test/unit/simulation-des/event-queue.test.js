'use strict';
const assert = require('node:assert/strict');
const { EventQueue } = require('../../../dist/core/simulation/des/event-queue');
const { SeededRandom } = require('../../../dist/core/simulation/des/random');

describe('DES event queue (binary heap keyed by time, then sequence)', () => {
  it('pops events in time order, growing past its initial capacity', () => {
    const q = new EventQueue(4);
    const rng = new SeededRandom(11);
    const times = [];
    for (let k = 0; k < 5000; k++) {
      const t = Math.floor(rng.next() * 1000) / 10;
      times.push(t);
      q.push(t, k, k + 1);
    }
    assert.equal(q.size, 5000);
    times.sort((a, b) => a - b);
    for (let k = 0; k < 5000; k++) {
      assert.equal(q.peekTime(), times[k]);
      assert.ok(q.pop());
      assert.equal(q.time, times[k]);
      assert.equal(q.b, q.a + 1);
    }
    assert.equal(q.pop(), false);
    assert.equal(q.peekTime(), Infinity);
  });

  it('keeps events at the same time in the order they were scheduled', () => {
    const q = new EventQueue();
    for (let k = 0; k < 200; k++) q.push(k % 3 === 0 ? 1 : 2, k, 0);
    const seen = [];
    while (q.pop()) seen.push([q.time, q.a]);
    const ones = seen.filter(([t]) => t === 1).map(([, a]) => a);
    const twos = seen.filter(([t]) => t === 2).map(([, a]) => a);
    assert.deepEqual(seen.map(([t]) => t), [...ones.map(() => 1), ...twos.map(() => 2)]);
    assert.deepEqual(ones, [...ones].sort((a, b) => a - b));
    assert.deepEqual(twos, [...twos].sort((a, b) => a - b));
  });

  it('stays ordered when pushes and pops interleave', () => {
    const q = new EventQueue(2);
    const rng = new SeededRandom(5);
    let now = 0;
    q.push(0, 0, 0);
    for (let k = 0; k < 20000; k++) {
      assert.ok(q.pop());
      assert.ok(q.time >= now);
      now = q.time;
      const n = rng.next() < 0.5 ? 1 : 2;
      for (let j = 0; j < n && q.size < 50; j++) q.push(now + rng.next(), k, j);
      if (q.size === 0) q.push(now, k, 0);
    }
  });
});
