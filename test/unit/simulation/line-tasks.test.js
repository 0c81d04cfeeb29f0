'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { compileLine, runLine, lineStartFrom, lineSignalKeys, changedSpec } = require('../../../dist/core/simulation/line-tasks');
const { PhysicsModel } = require('../../../dist/core/simulation/physics');
const { SignalHistory } = require('../../../dist/core/simulation/signal-history');
const { ConfigError, InputError } = require('../../../dist/core/errors');

const tandem = {
  sources: [{ interarrival: { kind: 'exponential', mean: 10 }, to: 'A' }],
  stations: [
    { name: 'A', processing: { kind: 'exponential', mean: 5 }, buffer: 10, next: 'B' },
    { name: 'B', processing: { kind: 'exponential', mean: 9 }, buffer: 10, next: null },
  ],
  run: { until: 20000 },
  sync: { B: { queue: 'l/B/queue', down: 'l/B/fault' } },
};

describe('line tasks', () => {
  it('the examples in the help compile (physics and line)', () => {
    const help = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'locales', 'en-US', 'twin-simulator.html'), 'utf8');
    const blocks = [...help.matchAll(/<pre>([\s\S]*?)<\/pre>/g)].map((m) => JSON.parse(m[1]));
    assert.equal(blocks.length, 2);
    const physics = new PhysicsModel(blocks[0]);
    assert.deepEqual(physics.stateNames, ['T']);
    const line = compileLine(blocks[1]);
    // One day: maintenance at 8 h and 16 h falls inside the shift (at 0 h it is off shift anyway).
    const answer = runLine(line, { until: 86400 }, { replications: 2, seed: 1, maxWallMs: 5000 });
    assert.ok(answer.kpis.goodParts.mean > 0);
    assert.ok(answer.kpis['Press.down'].mean > 0, 'maintenance windows count as down');
  });

  it('runs replications with common random numbers: the same seed gives the same answer', () => {
    const line = compileLine(tandem);
    const a = runLine(line, {}, { replications: 4, seed: 7, maxWallMs: 5000 });
    const b = runLine(line, {}, { replications: 4, seed: 7, maxWallMs: 5000 });
    assert.deepEqual(a.replicationKpis, b.replicationKpis);
    assert.equal(a.bottleneck, 'B');
    assert.equal(a.kpis.throughput.n, 4);
    assert.ok(a.kpis.throughput.low <= a.kpis.throughput.mean && a.kpis.throughput.mean <= a.kpis.throughput.high);
    const c = runLine(line, { seed: 8 }, { replications: 4, seed: 7, maxWallMs: 5000 });
    assert.notDeepEqual(a.replicationKpis, c.replicationKpis);
  });

  it('merges changes by station name and records them as flat settings', () => {
    const line = compileLine(tandem);
    const settings = {};
    const spec = changedSpec(line, { stations: { B: { servers: 2, processing: { mean: 4 } } } }, settings);
    assert.equal(spec.stations[1].servers, 2);
    assert.deepEqual(spec.stations[1].processing, { kind: 'exponential', mean: 4 });
    assert.deepEqual(settings, { 'line.B.servers': 2, 'line.B.processing.mean': 4 });
    assert.equal(line.spec.stations[1].servers, undefined, 'the definition itself is untouched');
    assert.throws(() => changedSpec(line, { stations: { Z: {} } }, {}), (e) => e instanceof InputError && /no station "Z"/.test(e.message));
    assert.throws(() => changedSpec(line, { stations: { B: JSON.parse('{"__proto__": {"x": 1}}') } }, {}), InputError);
    assert.throws(() => runLine(line, { stations: { B: { servers: -1 } } }, { replications: 1, seed: 1, maxWallMs: 1000 }), (e) => e instanceof InputError && e.shortReason === 'bad line settings');
  });

  it('starts from the synchronised buffer levels and machine states', () => {
    const line = compileLine({ ...tandem, sources: [{ interarrival: { kind: 'deterministic', value: 1e9 }, to: 'A' }], run: { until: 1000 } });
    assert.deepEqual(lineSignalKeys(line).sort(), ['l/B/fault', 'l/B/queue']);
    const history = new SignalHistory(lineSignalKeys(line));
    history.observe('l/B/queue', 6, 1000);
    history.observe('l/B/fault', 0, 1000);
    const start = lineStartFrom(line, history);
    assert.deepEqual(start.stations, { B: { queue: 6, down: false } });
    const answer = runLine(line, {}, { start, replications: 1, seed: 1, maxWallMs: 5000 });
    assert.equal(answer.startedFromNow, true);
    assert.equal(answer.kpis.goodParts.mean, 6, 'the six waiting parts leave, nothing else arrives');
    const empty = runLine(line, { fromNow: false }, { start, replications: 1, seed: 1, maxWallMs: 5000 });
    assert.equal(empty.kpis.goodParts.mean, 0);
  });

  it('refuses bad definitions at deploy, naming the part at fault', () => {
    for (const bad of [null, [], 'x', { stations: [] }, { ...tandem, sync: { Z: { queue: 'k' } } }, { ...tandem, sync: { B: { level: 'k' } } },
      { ...tandem, run: 'long' }, { ...tandem, stations: [{ ...tandem.stations[0], buffer: -1 }, tandem.stations[1]] }]) {
      assert.throws(() => compileLine(bad), ConfigError, JSON.stringify(bad));
    }
  });

  it('stops at the time limit with a clear error', () => {
    const line = compileLine({ ...tandem, run: { until: 1e12 } });
    assert.throws(() => runLine(line, {}, { replications: 3, seed: 1, maxWallMs: 50 }), (e) => e instanceof InputError && /time limit/.test(e.shortReason));
  });
});
