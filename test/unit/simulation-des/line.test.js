'use strict';
const assert = require('node:assert/strict');
const { simulateLine } = require('../../../dist/core/simulation/des/line');
const { ConfigError, InputError } = require('../../../dist/core/errors');

const exp = (mean) => ({ kind: 'exponential', mean });
const station = (name, processing, buffer = Infinity, servers = 1) => ({ name, servers, processing, buffer });
const within = (actual, expected, rel, what) =>
  assert.ok(Math.abs(actual / expected - 1) <= rel, `${what}: ${actual} vs ${expected} (${(100 * (actual / expected - 1)).toFixed(2)} %)`);

describe('DES production line (tandem, FIFO, blocking after service)', () => {
  const mm1 = { source: { interarrival: exp(1.25) }, stations: [station('A', exp(1))] };

  it('M/M/1 (λ = 0.8, μ = 1): lead time 1/(μ−λ) = 5, utilisation 0.8, WIP 4 over 200,000 parts', () => {
    const r = simulateLine(mm1, { seed: 1, parts: 200000, warmupParts: 5000 });
    assert.equal(r.partsCompleted, 200000);
    assert.equal(r.stopReason, 'parts');
    within(r.meanTimeInSystem, 5, 0.02, 'mean time in system');
    within(r.stations[0].working, 0.8, 0.02, 'utilisation');
    within(r.throughput, 0.8, 0.02, 'throughput');
    within(r.meanWip, 4, 0.03, 'mean WIP');
    within(r.stations[0].meanQueue, 0.8 * 0.8 / 0.2, 0.03, 'mean queue (ρ²/(1−ρ))');
    assert.equal(r.stations[0].blocked, 0);
    within(r.stations[0].starved, 0.2, 0.03, 'starved share');
    // Little's law holds on the simulated path itself.
    within(r.meanWip, r.throughput * r.meanTimeInSystem, 0.005, "Little's law");
  });

  it('M/M/1 converges: a 2,000,000-part run of another seed is within 2 % too', () => {
    const r = simulateLine(mm1, { seed: 3, parts: 2000000, warmupParts: 5000 });
    within(r.meanTimeInSystem, 5, 0.02, 'mean time in system');
    within(r.stations[0].working, 0.8, 0.01, 'utilisation');
  });

  it('M/M/2 (λ = 1.5, μ = 1): lead time from Erlang C', () => {
    const spec = { source: { interarrival: exp(1 / 1.5) }, stations: [station('A', exp(1), Infinity, 2)] };
    const r = simulateLine(spec, { seed: 4, parts: 500000, warmupParts: 5000 });
    const erlangC = 4.5 / 7; // a = 1.5, c = 2
    within(r.meanTimeInSystem, 1 + erlangC / 0.5, 0.03, 'mean time in system');
    within(r.stations[0].working, 0.75, 0.02, 'utilisation per server');
  });

  it('Jackson tandem (λ = 0.5, μ = 1, 0.8, 0.9, infinite buffers): lead time Σ 1/(μi−λ), bottleneck the slowest', () => {
    const spec = {
      source: { interarrival: exp(2) },
      stations: [station('A', exp(1)), station('B', exp(1 / 0.8)), station('C', exp(1 / 0.9))],
    };
    const r = simulateLine(spec, { seed: 1, parts: 200000, warmupParts: 5000 });
    within(r.meanTimeInSystem, 1 / 0.5 + 1 / 0.3 + 1 / 0.4, 0.02, 'mean time in system');
    [0.5, 0.625, 0.5 / 0.9].forEach((u, i) => within(r.stations[i].working, u, 0.02, `utilisation ${r.stations[i].name}`));
    for (const s of r.stations) assert.equal(s.blocked, 0);
    assert.equal(r.bottleneck, 'B');
    assert.equal(r.bottleneckIndex, 1);
  });

  it('finite buffers: the first station blocks and throughput falls below the infinite-buffer line', () => {
    // Saturated line (parts arrive faster than any station works; the source holds them).
    const line = (buffer) => ({
      source: { interarrival: exp(0.25) },
      stations: [station('A', exp(1), 3), station('B', exp(1), buffer), station('C', exp(1 / 0.9), buffer)],
    });
    const opts = { seed: 2, parts: 100000, warmupParts: 2000 };
    const open = simulateLine(line(Infinity), opts);
    const tight = simulateLine(line(0), opts);
    assert.ok(tight.stations[0].blocked > 0.05, `A blocked share ${tight.stations[0].blocked}`);
    assert.ok(tight.stations[1].blocked > 0.05, `B blocked share ${tight.stations[1].blocked}`);
    assert.equal(tight.stations[2].blocked, 0); // the last station never blocks
    assert.ok(tight.throughput < 0.9 * open.throughput, `${tight.throughput} vs ${open.throughput}`);
    assert.ok(tight.source.heldArrivals > 0 && tight.source.blockedShare > 0.5);
    for (const s of tight.stations) within(s.working + s.blocked + s.starved, 1, 1e-9, `${s.name} shares`);
    // The infinite-buffer line runs at the pace of its slowest station, C (0.9 / time unit).
    within(open.throughput, 0.9, 0.02, 'open-line throughput');
    assert.equal(open.bottleneck, 'C');
  });

  it('two exponential stations with no buffer between them, saturated: throughput 2/3 (and (B+2)/(B+3) for buffer B)', () => {
    const line = (buffer) => ({
      source: { interarrival: { kind: 'deterministic', value: 0.01 } },
      stations: [station('A', exp(1), 0), station('B', exp(1), buffer)],
    });
    within(simulateLine(line(0), { seed: 5, parts: 200000, warmupParts: 1000 }).throughput, 2 / 3, 0.02, 'B = 0');
    within(simulateLine(line(2), { seed: 5, parts: 200000, warmupParts: 1000 }).throughput, 4 / 5, 0.02, 'B = 2');
  });

  it('names the slowest station as bottleneck and works with general distributions', () => {
    const spec = {
      source: { interarrival: { kind: 'uniform', min: 1, max: 1.4 } },
      stations: [
        station('saw', { kind: 'normal', mean: 0.8, sd: 0.1 }, 5),
        station('drill', { kind: 'triangular', min: 0.6, mode: 0.9, max: 1.2 }, 5),
        station('paint', { kind: 'lognormal', mean: 1.05, sd: 0.2 }, 5),
        station('pack', { kind: 'deterministic', value: 0.5 }, 5),
      ],
    };
    const r = simulateLine(spec, { seed: 9, parts: 20000 });
    assert.equal(r.bottleneck, 'paint');
    within(r.throughput, 1 / 1.2, 0.02, 'throughput = arrival rate');
    within(r.stations[3].working, 0.5 / 1.2, 0.02, 'deterministic station utilisation');
  });

  it('is replayable: the same seed gives the same result, another seed another one', () => {
    const a = simulateLine(mm1, { seed: 7, parts: 5000 });
    const b = simulateLine(mm1, { seed: 7, parts: 5000 });
    const c = simulateLine(mm1, { seed: 8, parts: 5000 });
    assert.deepEqual(a, b);
    assert.notEqual(a.meanTimeInSystem, c.meanTimeInSystem);
  });

  it('stops at `until` when given', () => {
    const r = simulateLine(mm1, { seed: 1, until: 1000 });
    assert.equal(r.stopReason, 'until');
    assert.equal(r.endTime, 1000);
    assert.equal(r.observedTime, 1000);
    assert.ok(r.partsCompleted > 600 && r.partsCompleted < 1000);
    const first = simulateLine(mm1, { seed: 1, until: 1e9, parts: 10 });
    assert.equal(first.stopReason, 'parts');
    assert.equal(first.partsCompleted, 10);
  });

  it('rejects bad specs and options with ConfigError', () => {
    const ok = mm1;
    const bad = [
      null,
      { stations: ok.stations },
      { source: { interarrival: exp(-1) }, stations: ok.stations },
      { source: ok.source, stations: [] },
      { source: ok.source, stations: [station('', exp(1))] },
      { source: ok.source, stations: [station('A', exp(1)), station('A', exp(1))] },
      { source: ok.source, stations: [station('A', exp(1), Infinity, 0)] },
      { source: ok.source, stations: [station('A', exp(1), Infinity, 1.5)] },
      { source: ok.source, stations: [station('A', exp(1), -1)] },
      { source: ok.source, stations: [station('A', exp(1), 2.5)] },
      { source: ok.source, stations: [station('A', { kind: 'gamma', mean: 1 })] },
    ];
    for (const spec of bad) assert.throws(() => simulateLine(spec, { seed: 1, parts: 10 }), ConfigError, JSON.stringify(spec));
    const badOptions = [{ parts: 10 }, { seed: 1 }, { seed: 1, parts: 0 }, { seed: 1, until: -5 }, { seed: 1, parts: 10, warmupParts: -1 }, { seed: 1, parts: 10, maxEvents: 0 }];
    for (const o of badOptions) assert.throws(() => simulateLine(ok, o), ConfigError, JSON.stringify(o));
  });

  it('throws InputError "step limit" when maxEvents is exceeded', () => {
    assert.throws(
      () => simulateLine(mm1, { seed: 1, parts: 100000, maxEvents: 1000 }),
      (err) => err instanceof InputError && err.shortReason === 'step limit',
    );
    // Zero-time interarrivals would never advance the clock; the limit still ends the run.
    const stuck = { source: { interarrival: { kind: 'deterministic', value: 0 } }, stations: [station('A', exp(1))] };
    assert.throws(() => simulateLine(stuck, { seed: 1, until: 10, maxEvents: 10000 }), InputError);
  });
});
