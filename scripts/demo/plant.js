'use strict';
/**
 * The virtual plant of `npm start`: line 1 of a small factory, in plain JavaScript, no I/O.
 *
 *   oven1   physics: dT/dt = (eta*P - k*(T - T_amb)) / C, heater power P (kW) is the setpoint.
 *           Time-scaled: C is small, so the oven settles within about a minute (time constant C/k = 25 s).
 *   press1  discrete-event flow of parts: Poisson arrivals -> buffer -> press1 -> buffer -> press2 -> out.
 *   press2  A press forms one part at a time; its processing time is BASE_CYCLE_S / (speedSetpoint/100),
 *           a little random, and longer while its tool is worn.
 *
 * Faults and drift repeat every CYCLE_S seconds of plant time (phase = time mod CYCLE_S):
 *   20 ..  80  press1 tool wear: vibration ramps up, processing up to 20 % slower; tool changed at 80.
 *   85 .. 115  press2 breakdown: not running, throughput falls to 0, its buffer fills.
 *  110 .. 180  oven1 insulation drift: heat loss k rises 30 % over a minute (to 170) and stays there;
 *              maintenance at the end of the cycle restores it.
 * Plant time advances only through step(), and every random draw comes from one seeded generator,
 * so a given seed and number of steps always give the same plant.
 */
const { seeded } = require('../lib/seeded-random');

const CYCLE_S = 180;

const OVEN = { eta: 0.9, k: 0.04, C: 1.0, ambient: 20, initialPower: 8.5, minPower: 0, maxPower: 10 };
const PRESS = { baseCycleS: 1.6, minSpeed: 50, maxSpeed: 150, buffer: 40, wearSlowdown: 0.2 };
const ARRIVAL_MEAN_S = 2; // 30 blanks a minute; a press at 100 % makes 37.5

/** The signals every asset publishes, with their units ('' = no unit); `setpoint` marks the writable ones. */
const SIGNALS = {
  oven1: {
    temperature: { unit: 'degC', digits: 2 },
    heaterPower: { unit: 'kW', digits: 3, setpoint: { min: OVEN.minPower, max: OVEN.maxPower } },
    energy: { unit: 'kWh', digits: 4 },
  },
  press1: pressSignals(),
  press2: pressSignals(),
};

function pressSignals() {
  return {
    speedSetpoint: { unit: '%', digits: 1, setpoint: { min: PRESS.minSpeed, max: PRESS.maxSpeed } },
    speed: { unit: '%', digits: 1 },
    running: { unit: '', bool: true },
    queue: { unit: '', digits: 0 },
    throughput: { unit: '', digits: 1 }, // parts per minute over the last minute
    partsMade: { unit: '', digits: 0, counter: true },
    vibration: { unit: 'mm/s', digits: 3 },
    temperature: { unit: 'degC', digits: 2 }, // die temperature
    pressure: { unit: 'bar', digits: 3 }, // hydraulic pressure
  };
}

/** What the schedule does at plant time t. */
function faultsAt(t) {
  const phase = t % CYCLE_S;
  return {
    toolWear: phase >= 20 && phase < 80 ? (phase - 20) / 60 : 0,
    press2Down: phase >= 85 && phase < 115,
    insulation: phase >= 110 ? Math.min(1, (phase - 110) / 60) : 0,
  };
}

class Press {
  constructor(name) {
    this.name = name;
    this.speedSetpoint = 100;
    this.down = false;
    this.wear = 0;
    this.busy = false;
    this.finishAt = null; // plant time the part in work is done (null: idle, blocked or down)
    this.remaining = 0; // work left on the part when the press broke down
    this.blocked = false; // done, but the next buffer is full
    this.made = 0;
    this.done = []; // completion times within the last minute
    this.load = 0; // smoothed share of time forming (drives vibration, die temperature)
    this.dieTemperature = 45;
  }

  get running() {
    return !this.down;
  }
}

class VirtualPlant {
  /**
   * @param {{seed?: number, log?: (line: string, time: number) => void}} [options]  log: fault starts and ends, with the plant time
   */
  constructor(options = {}) {
    this.random = seeded(options.seed ?? 1);
    this.log = options.log || (() => {});
    this.time = 0;
    this.oven = { T: OVEN.ambient + (OVEN.eta * OVEN.initialPower) / OVEN.k, P: OVEN.initialPower, k: OVEN.k, energy: 0 };
    this.presses = { press1: new Press('press1'), press2: new Press('press2') };
    this.queues = { press1: 0, press2: 0 };
    this.lost = 0;
    this.nextArrival = this.exponential(ARRIVAL_MEAN_S);
    this.faults = faultsAt(0);
    this.measured = {};
    this.measure();
  }

  exponential(mean) {
    return -mean * Math.log(1 - this.random());
  }

  /** Advances plant time by dt seconds: physics, the flow of parts, the fault schedule. */
  step(dt) {
    const t0 = this.time;
    const t1 = Math.round((t0 + dt) * 1e6) / 1e6; // no creeping float error: 1800 steps of 0.1 s are 180 s
    this.applyFaults(faultsAt(t1), t1);

    // oven: exact for a first-order lag with the heater power held over the step
    const o = this.oven;
    o.k = OVEN.k * (1 + 0.3 * this.faults.insulation);
    const settle = OVEN.ambient + (OVEN.eta * o.P) / o.k;
    o.T = settle + (o.T - settle) * Math.exp((-o.k * dt) / OVEN.C);
    o.energy += (o.P * dt) / 3600;

    // parts: every event up to t1, in time order
    for (;;) {
      const p1 = this.presses.press1.finishAt;
      const p2 = this.presses.press2.finishAt;
      const next = Math.min(this.nextArrival, p1 ?? Infinity, p2 ?? Infinity);
      if (next > t1) break;
      if (next === p2) this.finish('press2', next);
      else if (next === p1) this.finish('press1', next);
      else this.arrive(next);
    }

    for (const p of Object.values(this.presses)) {
      const forming = p.busy && !p.blocked && !p.down ? 1 : 0;
      p.load += (forming - p.load) * (1 - Math.exp(-dt / 3));
      const hot = 40 + 35 * p.load;
      p.dieTemperature += (hot - p.dieTemperature) * (1 - Math.exp(-dt / 40));
      while (p.done.length > 0 && p.done[0] <= t1 - 60) p.done.shift();
    }
    this.time = t1;
  }

  arrive(t) {
    if (this.queues.press1 < PRESS.buffer) this.queues.press1++;
    else this.lost++;
    this.nextArrival = t + this.exponential(ARRIVAL_MEAN_S);
    this.tryStart('press1', t);
  }

  processTime(p) {
    const noise = Math.max(0.5, 1 + 0.08 * this.random.gauss());
    return ((PRESS.baseCycleS * 100) / p.speedSetpoint) * (1 + PRESS.wearSlowdown * p.wear) * noise;
  }

  tryStart(name, t) {
    const p = this.presses[name];
    if (p.down || p.busy || this.queues[name] === 0) return;
    this.queues[name]--;
    p.busy = true;
    p.finishAt = t + this.processTime(p);
    if (name === 'press2') this.unblock(t); // a place came free in press2's buffer
  }

  unblock(t) {
    const p1 = this.presses.press1;
    if (!p1.blocked || this.queues.press2 >= PRESS.buffer) return;
    p1.blocked = false;
    this.queues.press2++;
    this.complete(p1, t);
    this.tryStart('press1', t);
  }

  complete(p, t) {
    p.busy = false;
    p.made++;
    p.done.push(t);
  }

  finish(name, t) {
    const p = this.presses[name];
    p.finishAt = null;
    if (name === 'press1') {
      if (this.queues.press2 >= PRESS.buffer) {
        p.blocked = true;
        return;
      }
      this.queues.press2++;
      this.complete(p, t);
      this.tryStart('press1', t);
      this.tryStart('press2', t);
    } else {
      this.complete(p, t);
      this.tryStart('press2', t);
    }
  }

  applyFaults(next, t) {
    const was = this.faults;
    const p1 = this.presses.press1;
    const p2 = this.presses.press2;
    if (next.toolWear > 0 && was.toolWear === 0) this.log('press1: tool wear starts (vibration rising, forming up to 20 % slower)', t);
    if (next.toolWear === 0 && was.toolWear > 0) this.log('press1: tool changed, wear gone', t);
    p1.wear = next.toolWear;
    if (next.press2Down && !was.press2Down) {
      this.log('press2: breakdown (not running for 30 s, its buffer fills)', t);
      p2.down = true;
      if (p2.finishAt !== null) {
        p2.remaining = p2.finishAt - t;
        p2.finishAt = null;
      }
    }
    if (!next.press2Down && was.press2Down) {
      this.log('press2: repaired, running again', t);
      p2.down = false;
      if (p2.busy && !p2.blocked) p2.finishAt = t + Math.max(0, p2.remaining);
      else this.tryStart('press2', t);
    }
    if (next.insulation > 0 && was.insulation === 0) this.log('oven1: insulation degrading (heat loss k rises 30 % over a minute)', t);
    if (next.insulation === 0 && was.insulation > 0) this.log('oven1: maintenance done, insulation restored', t);
    this.faults = next;
  }

  /** Samples every signal (sensor noise included): what the plant reports until the next call. */
  measure() {
    const g = () => this.random.gauss();
    const o = this.oven;
    const m = {
      'oven1/temperature': o.T + 0.15 * g(),
      'oven1/heaterPower': o.P,
      'oven1/energy': o.energy,
    };
    for (const [name, p] of Object.entries(this.presses)) {
      const speedFactor = p.speedSetpoint / 100;
      m[`${name}/speedSetpoint`] = p.speedSetpoint;
      m[`${name}/speed`] = p.down ? 0 : p.speedSetpoint;
      m[`${name}/running`] = p.running;
      m[`${name}/queue`] = this.queues[name];
      m[`${name}/throughput`] = (p.done.length * 60) / Math.max(10, Math.min(60, this.time));
      m[`${name}/partsMade`] = p.made;
      m[`${name}/vibration`] = p.down
        ? 0.05 + 0.02 * Math.abs(g())
        : Math.max(0, 0.4 + 1.5 * speedFactor + 0.3 * p.load + 3.5 * p.wear * p.wear + 0.1 * g());
      m[`${name}/temperature`] = p.dieTemperature + 0.1 * g();
      m[`${name}/pressure`] = p.down ? 0.4 + 0.02 * g() : 5.6 + 0.8 * p.load + 0.05 * g();
    }
    this.measured = m;
    return m;
  }

  /** The last measured value of `<asset>/<signal>`, setpoints always as applied now. */
  value(key) {
    const [asset, signal] = key.split('/');
    const spec = SIGNALS[asset]?.[signal];
    if (spec?.setpoint) return asset === 'oven1' ? this.oven.P : this.presses[asset].speedSetpoint;
    return this.measured[key];
  }

  /**
   * A write of a setpoint, as a PLC would take it: numbers only, clamped to the range.
   * @returns {{ok: boolean, applied?: number, reason?: string}}
   */
  write(key, raw) {
    const [asset, signal] = String(key).split('/');
    const spec = SIGNALS[asset]?.[signal];
    if (!spec?.setpoint) return { ok: false, reason: `${key} is not a setpoint (writable: ${setpointKeys().join(', ')})` };
    const value = typeof raw === 'number' ? raw : Number(raw);
    if (!Number.isFinite(value)) return { ok: false, reason: `${key}: ${JSON.stringify(raw)} is not a number` };
    const applied = Math.min(spec.setpoint.max, Math.max(spec.setpoint.min, value));
    if (asset === 'oven1') this.oven.P = applied;
    else this.presses[asset].speedSetpoint = applied;
    return { ok: true, applied, clamped: applied !== value };
  }
}

/** Every signal key `<asset>/<signal>` with its definition. */
function signalList() {
  return Object.entries(SIGNALS).flatMap(([asset, signals]) => Object.entries(signals).map(([signal, spec]) => ({ key: `${asset}/${signal}`, asset, signal, ...spec })));
}

function setpointKeys() {
  return signalList().filter((s) => s.setpoint).map((s) => s.key);
}

module.exports = { VirtualPlant, SIGNALS, OVEN, PRESS, CYCLE_S, faultsAt, signalList, setpointKeys };
