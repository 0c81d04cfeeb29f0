'use strict';
// simulatePlant: sources, servers, stop rules, guards, determinism and validation.
// (Analytic and hand-computed checks of the model are in plant-analytic.test.js.)
const assert = require('node:assert/strict');
const { simulatePlant } = require('../../../dist/core/simulation/des/plant');
const { ConfigError, InputError } = require('../../../dist/core/errors');

const exp = (mean) => ({ kind: 'exponential', mean });
const det = (value) => ({ kind: 'deterministic', value });
const within = (actual, expected, rel, what) =>
  assert.ok(Math.abs(actual / expected - 1) <= rel, `${what}: ${actual} vs ${expected} (${(100 * (actual / expected - 1)).toFixed(2)} %)`);

const mm1 = { sources: [{ interarrival: exp(1.25), to: 'A' }], stations: [{ name: 'A', processing: exp(1) }] };
const press = (extra = {}) => ({ name: 'Press', processing: exp(1), ...extra });
const withPress = (extra = {}, sourceExtra = {}) => ({ sources: [{ interarrival: exp(2), to: 'Press', ...sourceExtra }], stations: [press(extra)] });

describe('plant engine: sources, servers and stop rules', () => {
  it('M/M/2 (λ = 1.5, μ = 1): lead time from Erlang C', () => {
    const spec = { sources: [{ interarrival: exp(1 / 1.5), to: 'A' }], stations: [{ name: 'A', servers: 2, processing: exp(1) }] };
    const r = simulatePlant(spec, { seed: 4, parts: 300000, warmup: { parts: 5000 } });
    within(r.leadTimeMean, 1 + 4.5 / 7 / 0.5, 0.03, 'mean time in system');
    within(r.stations[0].working, 0.75, 0.02, 'utilisation per server');
  });

  it('sources stop at maxParts / until, and a run without other stop rule ends when the plant drained', () => {
    const spec = {
      sources: [
        { name: 'coils', interarrival: det(1), to: 'A', maxParts: 5 },
        { name: 'sheets', interarrival: det(1), to: 'A', until: 10 },
      ],
      stations: [{ name: 'A', processing: det(0.1) }],
    };
    const r = simulatePlant(spec, { seed: 1 });
    assert.equal(r.stopReason, 'drained');
    assert.deepEqual(r.sources.map((s) => [s.name, s.released]), [['coils', 5], ['sheets', 10]]);
    assert.equal(r.goodParts, 15);
    assert.equal(r.endTime, 10.1); // the last sheet arrives at 10 (until is inclusive)
  });

  it('a full first station makes the source hold its part (not lost)', () => {
    const spec = { sources: [{ interarrival: exp(0.5), to: 'A' }], stations: [{ name: 'A', buffer: 2, processing: exp(1) }] };
    const r = simulatePlant(spec, { seed: 3, until: 20000 });
    assert.ok(r.sources[0].heldArrivals > 1000, `held ${r.sources[0].heldArrivals}`);
    within(r.sources[0].blockedShare, 0.5, 0.1, 'source blocked share');
    assert.ok(r.stations[0].working > 0.95, `working ${r.stations[0].working}`);
    assert.ok(r.stations[0].maxQueue <= 2);
    assert.ok(r.goodParts + r.meanWip > r.sources[0].released - 5);
  });

  it('stops at until, at parts, and restarts statistics after a time warm-up', () => {
    const r = simulatePlant(mm1, { seed: 1, until: 1000 });
    assert.equal(r.stopReason, 'until');
    assert.equal(r.endTime, 1000);
    assert.equal(r.observedTime, 1000);
    const p = simulatePlant(mm1, { seed: 1, until: 1e9, parts: 10 });
    assert.equal(p.stopReason, 'parts');
    assert.equal(p.goodParts, 10);
    const w = simulatePlant(mm1, { seed: 1, until: 1000, warmup: { time: 400 } });
    assert.equal(w.observedTime, 600);
    assert.ok(w.goodParts < r.goodParts);
    // With infinite buffers and an overloaded station, until still ends the run.
    const overload = simulatePlant({ sources: [{ interarrival: exp(0.5), to: 'A' }], stations: [{ name: 'A', processing: exp(1) }] }, { seed: 2, until: 5000 });
    assert.equal(overload.stopReason, 'until');
    assert.ok(overload.stations[0].maxQueue > 1000);
  });

  it('is replayable: the same seed gives the same result, another seed another one', () => {
    const spec = {
      sources: [{ interarrival: exp(1), products: { a: 1, b: 1 }, to: 'A' }],
      stations: [
        { name: 'A', processing: exp(0.6), setup: exp(0.1), scrap: 0.05, failures: { mtbf: exp(50), mttr: exp(5) }, next: [{ to: 'B', probability: 0.5 }, { to: 'C', probability: 0.5 }] },
        { name: 'B', buffer: 3, processing: exp(1.5), next: 'C' },
        { name: 'C', processing: exp(0.4), maintenance: [{ every: 100, duration: 5 }] },
      ],
    };
    const a = simulatePlant(spec, { seed: 7, until: 5000 });
    const b = simulatePlant(spec, { seed: 7, until: 5000 });
    const c = simulatePlant(spec, { seed: 8, until: 5000 });
    assert.deepEqual(a, b);
    assert.notEqual(a.leadTimeMean, c.leadTimeMean);
    for (const s of a.stations) within(s.working + s.setup + s.blocked + s.starved + s.down + s.off, 1, 1e-9, `${s.name} shares`);
  });

  it('throws InputError "step limit" past maxEvents and "time limit" past maxWallMs', () => {
    assert.throws(
      () => simulatePlant(mm1, { seed: 1, parts: 100000, maxEvents: 1000 }),
      (err) => err instanceof InputError && err.shortReason === 'step limit',
    );
    assert.throws(
      () => simulatePlant(mm1, { seed: 1, parts: 1e9, maxWallMs: 5 }),
      (err) => err instanceof InputError && err.shortReason === 'time limit',
    );
    // Zero-time interarrivals into an infinite buffer never advance the clock; the step limit ends it.
    const stuck = { sources: [{ interarrival: det(0), to: 'A' }], stations: [{ name: 'A', processing: exp(1) }] };
    assert.throws(() => simulatePlant(stuck, { seed: 1, until: 10, maxEvents: 10000 }), InputError);
  });
});

describe('plant engine: validation', () => {
  const rejects = (spec, options, pattern) => {
    assert.throws(() => simulatePlant(spec, options), (err) => {
      assert.ok(err instanceof ConfigError, `${JSON.stringify(spec)}: ${err}`);
      assert.match(err.message, pattern);
      return true;
    });
  };
  const opts = { seed: 1, until: 100 };

  it('rejects garbage specs with ConfigError naming the station / source and field', () => {
    const cases = [
      [null, /plant spec must be an object/],
      ['plant', /plant spec must be an object/],
      [{ stations: [press()] }, /non-empty sources/],
      [{ sources: [{ interarrival: exp(1), to: 'Press' }], stations: [] }, /non-empty stations/],
      [{ sources: [{ interarrival: exp(1), to: 'Press' }], stations: ['Press'] }, /station 1 must be an object/],
      [{ sources: [{ interarrival: exp(1), to: 'Press' }], stations: [press(), press()] }, /"Press" is used twice/],
      [withPress({ servers: -1 }), /station "Press": servers must be an integer >= 1/],
      [withPress({ servers: 1.5 }), /station "Press": servers must be an integer >= 1/],
      [withPress({ servers: 1e308 }), /station "Press": servers must be an integer >= 1 and at most 10000/],
      [withPress({ buffer: -1 }), /station "Press": buffer must be an integer >= 0 or Infinity/],
      [withPress({ buffer: NaN }), /station "Press": buffer must be an integer >= 0 or Infinity/],
      [withPress({ processing: exp(NaN) }), /station "Press": processing: exponential needs mean > 0/],
      [withPress({ processing: { kind: 'gamma', mean: 1 } }), /station "Press": processing: unknown kind gamma/],
      [withPress({ processing: { other: exp(1) } }), /station "Press": processing has no entry for product "part"/],
      [withPress({ setup: det(-1) }), /station "Press": setup/],
      [withPress({ scrap: 1.5 }), /station "Press": scrap must be a probability/],
      [withPress({ scrap: NaN }), /station "Press": scrap must be a probability/],
      [withPress({ next: 'Weld' }), /station "Press": next names unknown station "Weld"/],
      [withPress({ next: [{ to: null, probability: 0.5 }, { to: 'Press', probability: 0.4 }] }), /station "Press": next probabilities must sum to 1/],
      [withPress({ next: [{ to: null, probability: NaN }] }), /station "Press": next\[0\]\.probability/],
      [withPress({ next: { byProduct: {} } }), /station "Press": next\.byProduct has no entry for product "part"/],
      [withPress({ next: 42 }), /station "Press": next must be/],
      [withPress({ failures: { mtbf: exp(10) } }), /station "Press": failures\.mttr/],
      [withPress({ maintenance: [{ every: 10, duration: 10 }] }), /station "Press": maintenance 1: duration must be > 0 and < every/],
      [withPress({ maintenance: [{ every: NaN, duration: 1 }] }), /station "Press": maintenance 1: every/],
      [withPress({ calendar: { shifts: [{ start: 8, end: 30 }], period: 24 } }), /station "Press": shift 1 needs 0 <= start < end <= period/],
      [withPress({ calendar: { shifts: [{ start: 0, end: 10 }, { start: 8, end: 12 }], period: 24 } }), /station "Press": shifts overlap/],
      [withPress({ power: { working: 5, idle: -1, blocked: 1 } }), /station "Press": power\.idle must be a number of kW >= 0/],
      [withPress({ power: { working: 5, idle: 1 } }), /station "Press": power\.blocked/],
      [withPress({}, { to: 'Weld' }), /source "1": to names unknown station "Weld"|source "source 1": to names unknown station "Weld"/],
      [withPress({}, { interarrival: exp(-1) }), /source "source 1": interarrival/],
      [withPress({}, { products: { a: -1 } }), /weight of product "a"/],
      [withPress({}, { maxParts: -1 }), /source "source 1": maxParts must be an integer >= 0/],
      [{ sources: [{ interarrival: exp(1), to: 'Press' }], stations: [press(), { name: 'Weld', processing: exp(1) }] }, /station "Weld" cannot be reached from any source/],
      [{ calendar: { shifts: [], period: 24 }, ...withPress() }, /plant: calendar shifts must be a non-empty list/],
    ];
    for (const [spec, pattern] of cases) rejects(spec, opts, pattern);
  });

  it('rejects unusable options and initial states', () => {
    const bounded = withPress({ buffer: 3, servers: 2 }, { maxParts: 10 });
    const cases = [
      [null, /options must be an object/],
      [{ until: 10 }, /seed must be a finite number/],
      [{ seed: 1, until: 10, parts: 0 }, /parts must be an integer >= 1/],
      [{ seed: 1, until: -5 }, /until must be a time after the start/],
      [{ seed: 1, until: 10, warmup: { parts: -1 } }, /warmup must be/],
      [{ seed: 1, until: 10, warmup: 5 }, /warmup must be/],
      [{ seed: 1, until: 10, warmup: { time: 10 } }, /warmup\.time must end before until/],
      [{ seed: 1, until: 10, maxEvents: 0 }, /maxEvents must be an integer >= 1/],
      [{ seed: 1, until: 10, maxWallMs: -1 }, /maxWallMs must be a number > 0/],
      [{ seed: 1, until: 10, timeUnitHours: 0 }, /timeUnitHours/],
      [{ seed: 1, initial: { stations: { Weld: { queue: 1 } } } }, /unknown station "Weld"/],
      [{ seed: 1, initial: { stations: { Press: { queue: 4 } } } }, /initial state of station "Press": queue must be an integer in \[0, 3\]/],
      [{ seed: 1, initial: { stations: { Press: { busy: 3 } } } }, /initial state of station "Press": busy must be an integer in \[0, 2\]/],
      [{ seed: 1, initial: { stations: { Press: { down: true } } } }, /down needs remainingRepair/],
      [{ seed: 1, initial: { stations: { Press: { queue: 1, product: 'x' } } } }, /product must be one of "part"/],
      [{ seed: 1, initial: { time: NaN } }, /initial\.time/],
    ];
    for (const [o, pattern] of cases) rejects(bounded, o, pattern);
    rejects(mm1, { seed: 1 }, /give options\.parts, a finite options\.until, or sources with maxParts/);
  });
});
