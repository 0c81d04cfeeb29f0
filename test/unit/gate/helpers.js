'use strict';
/**
 * A small simulated plant for the gate tests: N machines on one line, each with a temperature
 * setpoint; each machine's realised throughput follows its setpoint through a response the test
 * controls (gain per degree), plus seeded noise. The driver plays the node's part: it carries out
 * the rollout's actions (write, then read back) and feeds realised KPIs and ticks.
 */
const T0 = 1_800_000_000_000;
const MIN = 60_000;

function seeded(seed) {
  let s = seed >>> 0 || 1;
  const next = () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
  return { next, gauss: () => Math.sqrt(-2 * Math.log(next() + 1e-12)) * Math.cos(2 * Math.PI * next()) };
}

const target = (i) => `line1/m${i}`;
const keyOf = (i) => `line1/m${i}/temperatureSetpoint`;

class Plant {
  constructor({ machines = 10, base = 70, gain = 1, noise = 0.5, seed = 7 } = {}) {
    this.machines = machines;
    this.base = base;
    this.gain = gain;
    this.noise = noise;
    this.random = seeded(seed);
    this.values = {};
    for (let i = 0; i < machines; i++) this.values[keyOf(i)] = base;
    /** key -> value the device reports whatever was written (a broken write). */
    this.readOverride = {};
    /** keys whose writes never arrive. */
    this.dropWrites = new Set();
    this.writes = [];
  }
  write(key, value, time) {
    this.writes.push({ key, value, time });
    if (this.dropWrites.has(key)) return;
    this.values[key] = value;
  }
  read(key) {
    return Object.prototype.hasOwnProperty.call(this.readOverride, key) ? this.readOverride[key] : this.values[key];
  }
  throughput(i) {
    return 100 + this.gain * (this.values[keyOf(i)] - this.base) + this.noise * this.random.gauss();
  }
  current() {
    return { ...this.values };
  }
}

function candidate(overrides = {}) {
  const machines = overrides.machines ?? 10;
  const setpoint = overrides.setpoint ?? 75;
  const c = {
    id: overrides.id ?? 'cand-1',
    kind: 'setpoints',
    targets: Array.from({ length: machines }, (_, i) => target(i)),
    setpoints: Object.fromEntries(Array.from({ length: machines }, (_, i) => [keyOf(i), setpoint])),
    predicted: { kpis: { throughput: overrides.predicted ?? 105 } },
    optimizer: { seed: 42, objective: 'throughput', gap: 0.01, evaluations: 200 },
    modelRevision: 'rev-7',
  };
  delete overrides.machines;
  delete overrides.setpoint;
  delete overrides.predicted;
  return { ...c, ...overrides };
}

const STEPS = [
  { share: 0.1, minDurationMs: 10 * MIN, analysisWindowMs: 10 * MIN },
  { share: 0.5, minDurationMs: 10 * MIN, analysisWindowMs: 10 * MIN },
  { share: 1, minDurationMs: 10 * MIN, analysisWindowMs: 10 * MIN },
];

const CONFIG = { steps: STEPS, kpis: { throughput: { tolerance: 0.03, goal: 'max' } }, readBackTimeoutMs: 5000 };

/**
 * Plays the node: writes go to the plant, then every awaited key is read back at once (unless
 * `readBack` is false). Returns every action seen, including those produced by the read-backs.
 */
function carryOut(rollout, plant, actions, time, log = [], { readBack = true } = {}) {
  const queue = [...actions];
  while (queue.length) {
    const a = queue.shift();
    log.push(a);
    if (a.type === 'write') plant.write(a.key, a.value, time);
    if (a.type === 'await-read-back' && readBack) {
      for (const key of a.keys) queue.push(...rollout.readBack({ key, value: plant.read(key), time }));
    }
  }
  return log;
}

/** Every minute from `from` to `to`: realised KPIs of every machine, then a tick. */
function run(rollout, plant, from, to, log = [], { every = MIN, beforeTick } = {}) {
  for (let t = from; t <= to; t += every) {
    for (let i = 0; i < plant.machines; i++) rollout.realised({ target: target(i), kpis: { throughput: plant.throughput(i) }, time: t });
    if (beforeTick) beforeTick(t);
    carryOut(rollout, plant, rollout.tick(t), t, log);
    if (rollout.done) break;
  }
  return log;
}

const states = (rollout) => rollout.toJSON().data.transitions.map((x) => x.to);
const writesOf = (log, purpose) => log.filter((a) => a.type === 'write' && (!purpose || a.purpose === purpose));

module.exports = { T0, MIN, Plant, candidate, STEPS, CONFIG, carryOut, run, states, writesOf, target, keyOf, seeded };
