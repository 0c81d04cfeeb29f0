'use strict';
// simulatePlant against queueing theory and hand-computed deterministic timelines.
const assert = require('node:assert/strict');
const { simulatePlant } = require('../../../dist/core/simulation/des/plant');

const exp = (mean) => ({ kind: 'exponential', mean });
const det = (value) => ({ kind: 'deterministic', value });
const within = (actual, expected, rel, what) =>
  assert.ok(Math.abs(actual / expected - 1) <= rel, `${what}: ${actual} vs ${expected} (${(100 * (actual / expected - 1)).toFixed(2)} %)`);
const near = (actual, expected, abs, what) => assert.ok(Math.abs(actual - expected) <= abs, `${what}: ${actual} vs ${expected}`);
const shareSum = (s) => s.working + s.setup + s.blocked + s.starved + s.down + s.off;
/** A source that floods its station (zero interarrival; it holds its part while the station is full): never starved. */
const flood = (to, extra = {}) => ({ interarrival: det(0), to, ...extra });

describe('plant engine: queueing theory', () => {
  it('M/M/1 (λ = 0.8, μ = 1): lead time 1/(μ−λ) = 5 within 3 % over 200,000 parts, utilisation, Little', () => {
    const spec = { sources: [{ interarrival: exp(1.25), to: 'A' }], stations: [{ name: 'A', processing: exp(1) }] };
    const r = simulatePlant(spec, { seed: 1, parts: 200000, warmup: { parts: 5000 } });
    assert.equal(r.stopReason, 'parts');
    assert.equal(r.goodParts, 200000);
    within(r.leadTimeMean, 5, 0.03, 'mean time in system');
    within(r.stations[0].working, 0.8, 0.02, 'utilisation');
    within(r.throughput, 0.8, 0.02, 'throughput');
    within(r.meanWip, r.throughput * r.leadTimeMean, 0.005, "Little's law");
    within(r.products.part.leadTimeMean, r.leadTimeMean, 1e-12, 'the single product type');
  });

  it('probability routing splits the flow λ·p, and the branches merge again downstream', () => {
    const spec = {
      sources: [{ interarrival: exp(1), to: 'A' }],
      stations: [
        { name: 'A', processing: exp(0.5), next: [{ to: 'B', probability: 0.3 }, { to: 'C', probability: 0.7 }] },
        { name: 'B', processing: exp(2), next: 'D' },
        { name: 'C', processing: exp(1), next: 'D' },
        { name: 'D', processing: exp(0.5) },
      ],
    };
    const r = simulatePlant(spec, { seed: 2, until: 200000, warmup: { time: 1000 } });
    const [A, B, C, D] = r.stations;
    within(B.processed / A.processed, 0.3, 0.02, 'share to B');
    within(C.processed / A.processed, 0.7, 0.01, 'share to C');
    within(B.working, 0.3 * 2, 0.02, 'B utilisation λ·0.3·2');
    near(D.processed, B.processed + C.processed, 5, 'the merge D sees both branches');
    within(r.throughput, 1, 0.02, 'throughput');
    assert.equal(r.observedTime, 199000);
  });

  it('rework loop (Bernoulli feedback p = 0.2): visits 1/(1−p), utilisation λ/((1−p)μ), lead time 1/((1−p)μ − λ)', () => {
    const spec = {
      sources: [{ interarrival: exp(2), to: 'A' }],
      stations: [{ name: 'A', processing: exp(1), next: [{ to: 'A', probability: 0.2 }, { to: null, probability: 0.8 }] }],
    };
    const r = simulatePlant(spec, { seed: 3, parts: 200000, warmup: { parts: 5000 } });
    within(r.stations[0].processed / r.goodParts, 1.25, 0.01, 'visits per part');
    within(r.stations[0].working, 0.5 / 0.8, 0.02, 'utilisation');
    within(r.leadTimeMean, 1 / (0.8 - 0.5), 0.03, 'time in system');
  });

  it('product-type routing sends each type its own way', () => {
    const spec = {
      sources: [{ interarrival: exp(1), products: { a: 1, b: 3 }, to: 'A' }],
      stations: [
        { name: 'A', processing: { a: exp(0.2), b: exp(0.4) }, next: { byProduct: { a: 'B', b: 'C' } } },
        { name: 'B', processing: exp(0.5) },
        { name: 'C', processing: exp(0.5), next: null },
      ],
    };
    const r = simulatePlant(spec, { seed: 4, until: 100000 });
    const [A, B, C] = r.stations;
    near(B.processed, r.products.a.good, 1, 'B processes the a parts');
    near(C.processed, r.products.b.good, 1, 'C processes the b parts');
    within(r.products.a.good / (r.products.a.good + r.products.b.good), 0.25, 0.03, 'mix a : b = 1 : 3');
    within(A.working, 0.25 * 0.2 + 0.75 * 0.4, 0.02, 'A utilisation from the per-type processing times');
    assert.ok(r.products.a.leadTimeMean > 0 && r.products.b.leadTimeMean > 0);
  });

  it('names the slowest of three stations as bottleneck', () => {
    const spec = {
      sources: [{ interarrival: exp(1), to: 'A' }],
      stations: [
        { name: 'A', processing: exp(0.5), next: 'B' },
        { name: 'B', processing: exp(0.9), next: 'C' },
        { name: 'C', processing: exp(0.6) },
      ],
    };
    const r = simulatePlant(spec, { seed: 5, until: 100000 });
    assert.equal(r.bottleneck, 'B');
    assert.equal(r.bottleneckIndex, 1);
    within(r.bottleneckShares.B, 0.9, 0.02, 'B active share');
    assert.ok(r.bottleneckShares.B > r.bottleneckShares.C && r.bottleneckShares.C > r.bottleneckShares.A);
  });
});

describe('plant engine: failures, maintenance, shifts', () => {
  it('exponential MTBF / MTTR: availability MTBF/(MTBF+MTTR), saturated throughput = availability / processing time', () => {
    const spec = {
      sources: [flood('A')],
      stations: [{ name: 'A', buffer: 0, processing: det(1), failures: { mtbf: exp(90), mttr: exp(10) } }],
    };
    const r = simulatePlant(spec, { seed: 6, until: 500000 });
    const A = r.stations[0];
    within(A.availability, 0.9, 0.01, 'availability');
    within(A.down, 0.1, 0.06, 'down share');
    within(r.throughput, 0.9, 0.01, 'throughput (preempt-resume loses no work)');
    within(A.performance, 1, 0.002, 'performance of a saturated deterministic station');
    assert.equal(A.starved, 0);
    near(shareSum(A), 1, 1e-9, 'shares');
  });

  it('preempt-resume on a deterministic timeline: the paused part finishes after the repair with its remaining time', () => {
    // Processing 10; failure at 25 (5 left of the 3rd part), repair 5 → that part ends at 35.
    const spec = { sources: [flood('A')], stations: [{ name: 'A', buffer: 0, processing: det(10), failures: { mtbf: det(25), mttr: det(5) } }] };
    assert.equal(simulatePlant(spec, { seed: 1, until: 34.99 }).goodParts, 2);
    const r = simulatePlant(spec, { seed: 1, until: 50 });
    assert.equal(r.goodParts, 4); // ends at 10, 20, 35, 45
    const A = r.stations[0];
    near(A.working, 45 / 50, 1e-12, 'working');
    near(A.down, 5 / 50, 1e-12, 'down');
    near(A.downTime, 5, 1e-12, 'down time');
    near(A.availability, 0.9, 1e-12, 'availability');
  });

  it('maintenance windows: down share = duration / every, same effect as a failure', () => {
    const spec = { sources: [flood('A')], stations: [{ name: 'A', buffer: 0, processing: det(1), maintenance: [{ every: 100, duration: 10, offset: 50 }] }] };
    const r = simulatePlant(spec, { seed: 1, until: 1000 });
    const A = r.stations[0];
    near(A.down, 0.1, 1e-12, 'down share');
    near(A.working, 0.9, 1e-12, 'working share');
    assert.equal(r.goodParts, 900);
    near(A.availability, 0.9, 1e-12, 'availability');
    // A stochastic check over many windows with the default offset 0.
    const long = simulatePlant({ ...spec, stations: [{ ...spec.stations[0], processing: exp(1), maintenance: [{ every: 24, duration: 3 }] }] }, { seed: 2, until: 24 * 5000 });
    near(long.stations[0].down, 3 / 24, 1e-9, 'down share over 5000 windows');
  });

  it('shift calendar 8 h of 24 h: off share 2/3, no start outside a shift, sources wait for the next shift', () => {
    const calendar = { shifts: [{ start: 8, end: 16 }], period: 24 };
    // 0.5 h parts fill the shift exactly: working 1/3, off 2/3.
    const exact = simulatePlant({ calendar, sources: [flood('A')], stations: [{ name: 'A', buffer: 0, processing: det(0.5) }] }, { seed: 1, until: 240 });
    near(exact.stations[0].off, 2 / 3, 1e-12, 'off share');
    near(exact.stations[0].working, 1 / 3, 1e-12, 'working share');
    assert.equal(exact.goodParts, 160);
    // 0.7 h parts: 12 starts per shift (the last at 15.7 h finishes at 16.4 h, outside the shift), none after.
    const tail = simulatePlant({ calendar, sources: [flood('A')], stations: [{ name: 'A', buffer: 0, processing: det(0.7) }] }, { seed: 1, until: 240 });
    const A = tail.stations[0];
    assert.equal(tail.goodParts, 120);
    near(A.working, (120 * 0.7) / 240, 1e-12, 'working share');
    near(A.off, (10 * (16 - 0.4)) / 240, 1e-12, 'off share');
    near(A.starved, 0, 1e-12, 'no idle time inside the shift');
    near(A.plannedTime, 80, 1e-9, 'planned time = time inside shifts');
    near(A.availability, 1, 1e-12, 'availability');
    near(A.performance, 1, 1e-12, 'performance (the overtime after 16 h is run time)');
    // A source due outside the shift releases at the next shift start: 8 parts per day (8, 9, …, 15 h).
    const src = simulatePlant({ calendar, sources: [{ interarrival: det(1), to: 'A' }], stations: [{ name: 'A', processing: det(0.1) }] }, { seed: 1, until: 240 });
    assert.equal(src.sources[0].released, 80);
    near(src.leadTimeMax, 0.1, 1e-9, 'no part waits inside the plant');
  });

  it('a night shift across the period boundary (22–6 h given as 22–24 and 0–6), started inside it', () => {
    const calendar = { shifts: [{ start: 22, end: 24 }, { start: 0, end: 6 }], period: 24 };
    const spec = { calendar, sources: [flood('A')], stations: [{ name: 'A', buffer: 0, processing: det(0.5) }] };
    const r = simulatePlant(spec, { seed: 1, until: 2 + 24 * 10, initial: { time: 2 } });
    near(r.stations[0].working, 8 / 24, 1e-12, 'working share');
    near(r.stations[0].off, 16 / 24, 1e-12, 'off share');
    assert.equal(r.goodParts, 160);
  });

  it('a station calendar overrides the plant calendar', () => {
    const spec = {
      calendar: { shifts: [{ start: 0, end: 12 }], period: 24 },
      sources: [{ interarrival: det(1), to: 'A' }],
      stations: [{ name: 'A', processing: det(0.5), next: 'B' }, { name: 'B', processing: det(0.5), calendar: { shifts: [{ start: 0, end: 24 }], period: 24 } }],
    };
    const r = simulatePlant(spec, { seed: 1, until: 240 });
    near(r.stations[0].off, 0.5, 1e-12, 'A follows the plant shifts');
    assert.equal(r.stations[1].off, 0);
    assert.equal(r.stations[1].plannedTime, 240);
  });
});

describe('plant engine: setups, scrap, energy, OEE', () => {
  it('setups: alternating products add the setup time per switch', () => {
    // Two sources, a and b, both every 2 h (a first at equal times); processing 0.5, setup 0.25.
    const spec = (setup) => ({
      sources: [{ interarrival: det(2), products: 'a', to: 'A' }, { interarrival: det(2), products: 'b', to: 'A' }],
      stations: [{ name: 'A', processing: det(0.5), ...(setup ? { setup: det(0.25) } : {}) }],
    });
    const plain = simulatePlant(spec(false), { seed: 1, until: 101.5 });
    const withSetup = simulatePlant(spec(true), { seed: 1, until: 101.5 });
    assert.equal(plain.stations[0].setups, 0);
    assert.equal(withSetup.stations[0].setups, 99); // every part but the very first switches
    near(withSetup.stations[0].setup * 101.5, 99 * 0.25, 1e-9, 'setup time = switches × 0.25');
    assert.equal(withSetup.goodParts, 100);
    // An a part after the first waits for its own setup (+0.25); a b part for a's and its own (+0.5),
    // except the first b (+0.25): the setup time adds to the lead time per switch.
    near(withSetup.products.a.leadTimeMean - plain.products.a.leadTimeMean, (49 * 0.25) / 50, 1e-9, 'a lead time');
    near(withSetup.products.b.leadTimeMean - plain.products.b.leadTimeMean, (0.25 + 49 * 0.5) / 50, 1e-9, 'b lead time');
    near(withSetup.products.b.leadTimeMax - plain.products.b.leadTimeMax, 0.5, 1e-9, 'b lead time max');
  });

  it('a free server already set up for the product is preferred', () => {
    // b every 4 h (listed first), a every 2 h; two servers: only the first b needs a setup (on the server that ran a).
    const spec = {
      sources: [{ interarrival: det(4), products: 'b', to: 'A' }, { interarrival: det(2), products: 'a', to: 'A' }],
      stations: [{ name: 'A', servers: 2, processing: det(0.5), setup: det(0.25) }],
    };
    const r = simulatePlant(spec, { seed: 1, until: 100.9 });
    assert.equal(r.stations[0].setups, 1);
    assert.equal(r.goodParts, 75);
  });

  it('scrap p: good share 1 − p, and quality / OEE = availability × performance × quality', () => {
    const spec = { sources: [flood('A')], stations: [{ name: 'A', buffer: 0, processing: det(1), scrap: 0.1, failures: { mtbf: exp(80), mttr: exp(20) } }] };
    const r = simulatePlant(spec, { seed: 7, until: 300000 });
    const A = r.stations[0];
    within(r.goodParts / (r.goodParts + r.scrapParts), 0.9, 0.005, 'good share');
    within(A.quality, 0.9, 0.005, 'quality');
    within(A.availability, 0.8, 0.02, 'availability');
    near(A.oee, A.availability * A.performance * A.quality, 1e-12, 'OEE product');
    within(A.oee, 0.8 * 0.9, 0.02, 'OEE');
    within(r.oee.oee, 0.72, 0.02, 'line OEE (single station)');
    within(r.products.part.scrap, r.scrapParts, 1e-12, 'scrap per product');
  });

  it('energy = power × time per state, exactly, on a hand-computed timeline', () => {
    // Arrivals every 4 h; A 1 h then B (no buffer) 6 h. A works 5 h, is blocked 11 h, starved 8 h in [0, 24];
    // B works 19 h, starved 5 h; 3 parts out (at 11, 17, 23).
    const spec = {
      sources: [{ interarrival: det(4), to: 'A' }],
      stations: [
        { name: 'A', processing: det(1), next: 'B', power: { working: 10, idle: 1, blocked: 4 } },
        { name: 'B', buffer: 0, processing: det(6), power: { working: 20, idle: 2, blocked: 3, starved: 0.5 } },
      ],
    };
    const r = simulatePlant(spec, { seed: 1, until: 24, timeUnitHours: 1 });
    const [A, B] = r.stations;
    near(A.working * 24, 5, 1e-9, 'A working h');
    near(A.blocked * 24, 11, 1e-9, 'A blocked h');
    near(A.starved * 24, 8, 1e-9, 'A starved h');
    near(B.working * 24, 19, 1e-9, 'B working h');
    near(A.energyKwh, 10 * 5 + 4 * 11 + 1 * 8, 1e-9, 'A kWh');
    near(B.energyKwh, 20 * 19 + 0.5 * 5, 1e-9, 'B kWh');
    near(r.energyKwh, 484.5, 1e-9, 'total kWh');
    assert.equal(r.goodParts, 3);
    near(r.energyPerGoodPartKwh, 161.5, 1e-9, 'kWh per good part');
    assert.equal(r.bottleneck, 'B');
    // Default time unit: seconds.
    near(simulatePlant(spec, { seed: 1, until: 24 }).energyKwh, 484.5 / 3600, 1e-12, 'kWh with the time unit in seconds');
  });

  it('energy of setup, down and off states (defaults: setup = working, down / off = idle)', () => {
    const spec = {
      calendar: { shifts: [{ start: 0, end: 10 }], period: 20 },
      sources: [flood('A')],
      stations: [{ name: 'A', buffer: 0, processing: det(1), maintenance: [{ every: 20, duration: 2, offset: 4 }], power: { working: 5, idle: 1, blocked: 2, off: 0.25 } }],
    };
    const r = simulatePlant(spec, { seed: 1, until: 200 });
    const A = r.stations[0];
    near(A.down, 0.1, 1e-12, 'down share');
    near(A.off, 0.5, 1e-12, 'off share');
    near(A.working, 0.4, 1e-12, 'working share');
    near(A.energyKwh, (200 * (5 * 0.4 + 1 * 0.1 + 0.25 * 0.5)) / 3600, 1e-12, 'kWh');
  });
});

describe('plant engine: initial state (synchronised start)', () => {
  const single = (extra = {}) => ({ sources: [{ interarrival: exp(1), to: 'A', maxParts: 0 }], stations: [{ name: 'A', processing: det(2), ...extra }] });

  it('10 parts in the buffer and no arrivals: exactly 10 depart, lead times 2, 4, …, 20', () => {
    const r = simulatePlant(single(), { seed: 1, initial: { stations: { A: { queue: 10 } } } });
    assert.equal(r.stopReason, 'drained');
    assert.equal(r.goodParts, 10);
    near(r.leadTimeMean, 11, 1e-12, 'mean lead time');
    near(r.leadTimeMax, 20, 1e-12, 'max lead time');
    assert.equal(r.endTime, 20);
    assert.equal(r.stations[0].maxQueue, 9); // one starts at once
    near(r.meanWip, 5.5, 1e-12, 'mean WIP');
  });

  it('starts at initial.time with busy servers, a failed station and a set-up product', () => {
    const r = simulatePlant(single({ setup: det(1) }), {
      seed: 1,
      initial: { time: 100, stations: { A: { busy: 1, queue: 2, down: true, remainingRepair: 5, lastProduct: 'other' } } },
    });
    // Down until 105, then the busy part (no setup: it is in process) ends at 107, the others at 109, 111.
    assert.equal(r.startTime, 100);
    assert.equal(r.endTime, 111);
    assert.equal(r.goodParts, 3);
    near(r.leadTimeMax, 11, 1e-12, 'lead time from the start');
    assert.equal(r.stations[0].setups, 0);
    // A product outside the model on the servers: the first part needs a setup.
    const s = simulatePlant(single({ setup: det(1) }), { seed: 1, initial: { stations: { A: { queue: 1, lastProduct: 'other' } } } });
    assert.equal(s.endTime, 3);
    assert.equal(s.stations[0].setups, 1);
  });

  it('a run with until continues after the plant drained, and stalls on a deadlock', () => {
    const r = simulatePlant(single(), { seed: 1, until: 40, initial: { stations: { A: { queue: 10 } } } });
    assert.equal(r.stopReason, 'until');
    assert.equal(r.endTime, 40);
    near(r.stations[0].working, 0.5, 1e-12, 'working share');
    // A ⇄ B with no buffers and every part sent back: both servers end up blocked on each other.
    const loop = {
      sources: [{ interarrival: det(1), to: 'A' }],
      stations: [{ name: 'A', buffer: 0, processing: det(1), next: 'B' }, { name: 'B', buffer: 0, processing: det(1), next: [{ to: 'A', probability: 1 }] }],
    };
    const stuck = simulatePlant(loop, { seed: 1, parts: 10 });
    assert.equal(stuck.stopReason, 'stalled');
    assert.equal(stuck.goodParts, 0);
  });
});
