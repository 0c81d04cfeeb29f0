'use strict';
const assert = require('assert/strict');
const { createNetwork, runNetwork, restoreNetwork } = require('../../../dist/core/learning/network');
const { trainSliced, SlicedTrainer, forEachSliced } = require('../../../dist/core/learning/sliced-trainer');
const { ConfigError } = require('../../../dist/core/errors');
const { refused, refusedAsync, lagProbe } = require('./helpers');

const XOR = [[0, 0, 0], [0, 1, 1], [1, 0, 1], [1, 1, 0]].map(([a, b, c]) => ({ input: [a, b], output: [c] }));

function sine(n) {
  const data = [];
  for (let i = 0; i < n; i++) {
    const x = (i / n) * 2 * Math.PI;
    data.push({ input: [i / n], output: [0.5 + 0.4 * Math.sin(x)] });
  }
  return data;
}

function rmse(net, data) {
  let se = 0;
  for (const d of data) se += (runNetwork(net, d.input)[0] - d.output[0]) ** 2;
  return Math.sqrt(se / data.length);
}

const SINE_OPTS = { epochs: 300, learningRate: 0.5, finalLearningRate: 0.02, momentum: 0.5 };

describe('learning: sliced trainer', function () {
  this.timeout(20000);

  before(async () => {
    // JIT warm-up of brain.js's code paths, so the slice measurements below are about the
    // trainer and not about the first optimising compiles.
    await trainSliced(createNetwork({ inputs: 1, outputs: 1, hiddenLayers: [12] }), sine(500), { epochs: 20 });
  });

  it('learns XOR (seeded starting weights, several seeds)', async () => {
    for (const seed of [1, 2, 3]) {
      const net = createNetwork({ inputs: 2, outputs: 1, hiddenLayers: [3], seed });
      const r = await trainSliced(net, XOR, { epochs: 20000, errorThresh: 0.005, learningRate: 0.5, momentum: 0.5, seed });
      assert.equal(r.stopReason, 'error', `seed ${seed}: ${JSON.stringify(r)}`);
      assert.ok(r.error <= 0.005);
      XOR.forEach((d) => {
        const y = runNetwork(net, d.input)[0];
        assert.ok(Math.abs(y - d.output[0]) < 0.2, `seed ${seed}: XOR(${d.input}) = ${y}`);
      });
    }
  });

  it('learns a sine in slices of at most 20 ms while a 5 ms timer keeps ticking (no gap over 25 ms)', async () => {
    // Measured on the 2-core dev machine, alone: maxSliceMs 8–13 ms, timer gaps 9–14 ms, p99 slice
    // ~8 ms, about 1 s of training, RMSE 0.016 (scaled units). The slices are wall-clock time, so a
    // machine busy with other processes can stretch one (the OS takes the CPU away mid-slice; seen up
    // to 30 ms with a benchmark running beside): up to 3 attempts, one must meet both bounds. A
    // trainer that does not slice fails all three (a single epoch of this set is ~2 ms, 300 are ~1 s).
    const data = sine(2000);
    const attempts = [];
    for (let k = 0; k < 3; k++) {
      const net = createNetwork({ inputs: 1, outputs: 1, hiddenLayers: [12], seed: 1 });
      const probe = lagProbe();
      const r = await trainSliced(net, data, SINE_OPTS);
      const maxGap = probe.stop();
      const err = rmse(net, data);
      assert.equal(r.stopReason, 'epochs');
      assert.equal(r.epochs, 300);
      assert.ok(err < 0.03, `sine RMSE ${err} (amplitude 0.4)`);
      assert.ok(r.slices > 20, `${r.slices} slices: training must be cut up`);
      assert.ok(r.trainCalls >= r.slices);
      assert.ok(r.batchSize > 1 && r.batchSize <= 2000, `adaptive batch ${r.batchSize}`);
      assert.ok(r.p99SliceMs <= r.maxSliceMs && r.meanSliceMs <= r.maxSliceMs);
      attempts.push({ maxSliceMs: +r.maxSliceMs.toFixed(1), p99SliceMs: +r.p99SliceMs.toFixed(1), maxGap: +maxGap.toFixed(1) });
      if (r.maxSliceMs <= 20 && maxGap <= 25) break;
    }
    const ok = attempts.some((a) => a.maxSliceMs <= 20 && a.maxGap <= 25);
    assert.ok(ok, `longest slice / timer gap per attempt: ${JSON.stringify(attempts)}`);
  });

  it('trains identically whatever the chunk size, and from rows or a matrix (repeatable from the seed)', async () => {
    const data = sine(300);
    const opts = { epochs: 30, learningRate: 0.3, seed: 7 };
    const a = createNetwork({ inputs: 1, outputs: 1, hiddenLayers: [6], seed: 4 });
    const b = createNetwork({ inputs: 1, outputs: 1, hiddenLayers: [6], seed: 4 });
    const c = createNetwork({ inputs: 1, outputs: 1, hiddenLayers: [6], seed: 4 });
    await trainSliced(a, data, opts);
    await trainSliced(b, data, { ...opts, batchSize: 7 });
    const matrix = { inputs: Float64Array.from(data.map((d) => d.input[0])), outputs: Float64Array.from(data.map((d) => d.output[0])), inputSize: 1, outputSize: 1 };
    await trainSliced(c, matrix, opts);
    assert.deepEqual(b.toJSON().layers, a.toJSON().layers);
    assert.deepEqual(c.toJSON().layers, a.toJSON().layers);
    // Restored networks predict bit-for-bit the same.
    const r = restoreNetwork(JSON.parse(JSON.stringify(a.toJSON())));
    for (const x of [0, 0.13, 0.5, 0.99]) assert.equal(runNetwork(r, [x])[0], runNetwork(a, [x])[0]);
  });

  it('cancels through an AbortSignal: resolves early with stopReason cancelled', async () => {
    const net = createNetwork({ inputs: 1, outputs: 1, hiddenLayers: [12] });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 60);
    const t0 = Date.now();
    const r = await trainSliced(net, sine(1000), { epochs: 100000, signal: ac.signal });
    assert.equal(r.stopReason, 'cancelled');
    assert.ok(r.epochs < 100000);
    assert.ok(Date.now() - t0 < 500, `took ${Date.now() - t0} ms to stop`);
    // The network keeps what it learned so far and can go on.
    const more = await trainSliced(net, sine(100), { epochs: 2 });
    assert.equal(more.epochs, 2);
    // Already aborted: nothing trained.
    const pre = new AbortController();
    pre.abort();
    const none = await trainSliced(createNetwork({ inputs: 1, outputs: 1 }), sine(100), { signal: pre.signal });
    assert.equal(none.stopReason, 'cancelled');
    assert.equal(none.epochs, 0);
  });

  it('SlicedTrainer.cancel() stops the running training; a second train() while busy is refused', async () => {
    const trainer = new SlicedTrainer({ epochs: 100000 });
    const net = createNetwork({ inputs: 1, outputs: 1, hiddenLayers: [8] });
    const running = trainer.train(net, sine(500));
    assert.equal(trainer.running, true);
    await refusedAsync(trainer.train(net, sine(10)), ConfigError, 'busy');
    setTimeout(() => trainer.cancel(), 40);
    const r = await running;
    assert.equal(r.stopReason, 'cancelled');
    assert.equal(trainer.running, false);
    trainer.cancel(); // idle: no-op
    const again = await trainer.train(net, sine(50), { epochs: 3 });
    assert.equal(again.stopReason, 'epochs');
    assert.equal(again.epochs, 3);
  });

  it('stops at the time limit, at the error threshold and when onEpoch returns false', async () => {
    const t = await trainSliced(createNetwork({ inputs: 1, outputs: 1, hiddenLayers: [8] }), sine(1000), { epochs: 100000, timeLimitMs: 150 });
    assert.equal(t.stopReason, 'time');
    assert.ok(t.elapsedMs >= 150 && t.elapsedMs < 400, `elapsed ${t.elapsedMs}`);
    const seen = [];
    const c = await trainSliced(createNetwork({ inputs: 1, outputs: 1 }), sine(50), { epochs: 100, onEpoch: (p) => { seen.push(p.epoch); return p.epoch < 5; } });
    assert.equal(c.stopReason, 'callback');
    assert.equal(c.epochs, 5);
    assert.deepEqual(seen, [1, 2, 3, 4, 5]);
    const e = await trainSliced(createNetwork({ inputs: 2, outputs: 1, hiddenLayers: [3], seed: 1 }), XOR, { epochs: 20000, errorThresh: 0.05, learningRate: 0.5, momentum: 0.5 });
    assert.equal(e.stopReason, 'error');
    assert.ok(e.error <= 0.05);
  });

  it('anneals the learning rate geometrically over the epochs', async () => {
    const rates = [];
    await trainSliced(createNetwork({ inputs: 1, outputs: 1 }), sine(20), { epochs: 3, learningRate: 0.4, finalLearningRate: 0.1, onEpoch: (p) => { rates.push(p.learningRate); } });
    assert.deepEqual(rates.map((x) => +x.toFixed(12)), [0.4, 0.2, 0.1]);
  });

  it('refuses bad options and bad data with ConfigError', async () => {
    refused(() => new SlicedTrainer({ epochs: 0 }), ConfigError, 'bad epochs');
    refused(() => new SlicedTrainer({ learningRate: 1.5 }), ConfigError, 'bad learningRate');
    refused(() => new SlicedTrainer({ sliceMs: 0 }), ConfigError, 'bad sliceMs');
    refused(() => new SlicedTrainer({ batchSize: 2.5 }), ConfigError, 'bad batchSize');
    const net = createNetwork({ inputs: 2, outputs: 1 });
    await refusedAsync(trainSliced(net, []), ConfigError, 'no data');
    await refusedAsync(trainSliced(net, [{ input: [1, NaN], output: [0] }]), ConfigError, 'bad data', /row 0/);
    await refusedAsync(trainSliced(net, [{ input: [1, 2], output: [0] }, { input: [1], output: [0] }]), ConfigError, 'bad data', /row 1/);
    await refusedAsync(trainSliced(net, { inputs: new Float64Array(3), outputs: new Float64Array(1), inputSize: 2, outputSize: 1 }), ConfigError, 'bad data');
    refused(() => createNetwork({ inputs: 0, outputs: 1 }), ConfigError, 'bad inputs');
    refused(() => createNetwork({ inputs: 1, outputs: 1, activation: 'softmax' }), ConfigError, 'bad activation');
  });

  it('forEachSliced runs a loop in slices and can be cancelled', async () => {
    let sum = 0;
    const r = await forEachSliced(1000, (i) => { sum += i; });
    assert.equal(sum, 499500);
    assert.equal(r.done, 1000);
    assert.equal(r.cancelled, false);
    const ac = new AbortController();
    const c = await forEachSliced(1e9, (i) => { if (i === 10) ac.abort(); }, { signal: ac.signal });
    assert.equal(c.cancelled, true);
    assert.equal(c.done, 11);
  });
});
