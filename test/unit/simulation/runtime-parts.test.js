'use strict';
const assert = require('node:assert/strict');
const path = require('node:path');
const { monitorEventLoopDelay } = require('node:perf_hooks');
const { TaskRunner } = require('../../../dist/core/simulation/worker/task-runner');
const { SignalHistory } = require('../../../dist/core/simulation/signal-history');
const { InputError } = require('../../../dist/core/errors');

const spinning = path.join(__dirname, '..', '..', 'support', 'spinning-worker.js');

describe('TaskRunner', () => {
  it('stops a task that overruns its time limit by replacing the worker, then runs the next one', async () => {
    const runner = new TaskRunner(5, spinning);
    const lag = monitorEventLoopDelay({ resolution: 5 });
    lag.enable();
    const started = Date.now();
    await assert.rejects(runner.run({ task: 'spin', spec: null, args: null }, 300), (e) => e instanceof InputError && e.shortReason === 'time limit');
    const took = Date.now() - started;
    assert.ok(took >= 290 && took < 3000, `stopped after ${took} ms`);
    assert.deepEqual(await runner.run({ task: 'echo', spec: null, args: 42 }, 5000), { echo: 42 });
    lag.disable();
    assert.ok(lag.max / 1e6 < 200, `the event loop kept running while the worker spun (max lag ${lag.max / 1e6} ms)`);
    await runner.close();
  });

  it('queues tasks in order, refuses beyond its queue, and rejects what waits on close', async () => {
    const runner = new TaskRunner(2, spinning);
    const first = runner.run({ task: 'spin', spec: null, args: null }, 500);
    const second = runner.run({ task: 'echo', spec: null, args: 'b' }, 5000);
    const third = runner.run({ task: 'echo', spec: null, args: 'c' }, 5000);
    await assert.rejects(runner.run({ task: 'echo', spec: null, args: 'd' }, 5000), (e) => e.shortReason === 'busy');
    await assert.rejects(first, (e) => e.shortReason === 'time limit');
    assert.deepEqual(await second, { echo: 'b' });
    const fourth = assert.rejects(runner.run({ task: 'spin', spec: null, args: null }, 60000), (e) => e.shortReason === 'closed');
    await third;
    await runner.close();
    await fourth;
    await assert.rejects(runner.run({ task: 'echo', spec: null, args: 1 }, 1000), (e) => e.shortReason === 'closed');
  });
});

describe('SignalHistory', () => {
  it('keeps a bounded, ordered history of the followed signals only', () => {
    const h = new SignalHistory(['a', 'b'], 100);
    assert.equal(h.observe('c', 1, 0), false);
    for (let i = 0; i < 250; i++) h.observe('a', i, i * 1000);
    assert.equal(h.count('a'), 100);
    assert.equal(h.firstTime('a'), 150000);
    assert.deepEqual(h.latest('a'), { value: 249, time: 249000 });
    h.observe('a', -1, 1000); // older than the newest: ignored
    assert.equal(h.latest('a').value, 249);
    assert.equal(h.valueAt('a', 200500), 200.5);
    assert.equal(h.valueAt('a', 1000), undefined);
    assert.deepEqual(h.between('a', 240000, 242000), { t: [240000, 241000, 242000], v: [240, 241, 242] });
    assert.throws(() => h.observe('b', NaN, 1), InputError);
    assert.throws(() => h.observe('b', 1, NaN), InputError);
  });

  it('saves and restores, skipping what is malformed or no longer followed', () => {
    const h = new SignalHistory(['a'], 10);
    for (let i = 0; i < 5; i++) h.observe('a', i, i);
    const restored = new SignalHistory(['a'], 10);
    const n = restored.restore({ ...JSON.parse(JSON.stringify(h.toJSON())), z: { t: [1], v: [1] }, a2: 'junk' });
    assert.equal(n, 5);
    assert.deepEqual(restored.between('a', 0, 10), h.between('a', 0, 10));
    assert.equal(new SignalHistory(['a']).restore('garbage'), 0);
    assert.equal(new SignalHistory(['a']).restore({ a: { t: [1, 'x', 3], v: [1, 2, null] } }), 1);
  });
});
