/**
 * ODE integrators for the simulation layer: classic fixed-step RK4 and adaptive Dormand–Prince
 * 5(4) (the method of MATLAB's ode45 / SciPy's RK45, with FSAL and the usual step control).
 * The right-hand side writes dy/dt into `dydt` so no arrays are allocated per evaluation.
 * Both return the state at t1; t1 < t0 integrates backwards.
 */
import { ConfigError, InputError } from '../errors';

export type OdeRhs = (t: number, y: Float64Array, dydt: Float64Array) => void;

export interface AdaptiveOptions {
  /** Relative tolerance (default 1e-6). */
  rtol?: number;
  /** Absolute tolerance (default 1e-9). */
  atol?: number;
  /** First step size (default: estimated from the first derivative). */
  hInit?: number;
  /** Smallest step size before giving up (default 1e-12 × |t1 - t0|, at least 1e-15). */
  hMin?: number;
  /** Most steps, accepted and rejected (default 100000). */
  maxSteps?: number;
}

function checkTimes(t0: number, t1: number): void {
  if (!Number.isFinite(t0) || !Number.isFinite(t1)) throw new ConfigError('bad time span', `t0 = ${t0}, t1 = ${t1} must be finite`);
}

function initialState(y0: number[]): Float64Array {
  if (!Array.isArray(y0) || y0.length === 0) throw new ConfigError('bad initial state', 'y0 must be a non-empty list of numbers');
  return Float64Array.from(y0);
}

function firstNonFinite(y: Float64Array): number {
  for (let i = 0; i < y.length; i++) if (!Number.isFinite(y[i])) return i;
  return -1;
}

function assertFinite(y: Float64Array, t: number, what = 'state'): void {
  const i = firstNonFinite(y);
  if (i >= 0) throw new InputError('not finite', `${what}[${i}] = ${y[i]} at t = ${t}`);
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) throw new ConfigError(`bad ${name}`, `${name} must be a positive number, got ${value}`);
  return value;
}

/** Classic fourth-order Runge–Kutta with fixed step `dt` (the last step is shortened to land on t1). */
export function integrateRk4(f: OdeRhs, y0: number[], t0: number, t1: number, dt: number): Float64Array {
  checkTimes(t0, t1);
  const h0 = positive('step', dt, NaN);
  const y = initialState(y0);
  assertFinite(y, t0);
  const n = y.length;
  const k1 = new Float64Array(n), k2 = new Float64Array(n), k3 = new Float64Array(n), k4 = new Float64Array(n), tmp = new Float64Array(n);
  const span = t1 - t0;
  const dir = Math.sign(span);
  if (dir === 0) return y;
  // Full steps, then one shorter step; times from the step count so they do not drift.
  const full = Math.floor(Math.abs(span) / h0 * (1 + 1e-12));
  const steps = full + (Math.abs(span) - full * h0 > 1e-12 * Math.abs(span) ? 1 : 0);
  for (let s = 0; s < steps; s++) {
    const t = t0 + dir * s * h0;
    const h = s < full ? dir * h0 : t1 - t;
    f(t, y, k1);
    for (let i = 0; i < n; i++) tmp[i] = y[i] + 0.5 * h * k1[i];
    f(t + 0.5 * h, tmp, k2);
    for (let i = 0; i < n; i++) tmp[i] = y[i] + 0.5 * h * k2[i];
    f(t + 0.5 * h, tmp, k3);
    for (let i = 0; i < n; i++) tmp[i] = y[i] + h * k3[i];
    f(t + h, tmp, k4);
    for (let i = 0; i < n; i++) y[i] += (h / 6) * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
    assertFinite(y, t + h);
  }
  return y;
}

// Dormand–Prince 5(4) tableau.
const C2 = 1 / 5, C3 = 3 / 10, C4 = 4 / 5, C5 = 8 / 9;
const A21 = 1 / 5;
const A31 = 3 / 40, A32 = 9 / 40;
const A41 = 44 / 45, A42 = -56 / 15, A43 = 32 / 9;
const A51 = 19372 / 6561, A52 = -25360 / 2187, A53 = 64448 / 6561, A54 = -212 / 729;
const A61 = 9017 / 3168, A62 = -355 / 33, A63 = 46732 / 5247, A64 = 49 / 176, A65 = -5103 / 18656;
// 5th-order weights (also row 7 of A: FSAL).
const B1 = 35 / 384, B3 = 500 / 1113, B4 = 125 / 192, B5 = -2187 / 6784, B6 = 11 / 84;
// Error weights: 5th-order minus 4th-order.
const E1 = 71 / 57600, E3 = -71 / 16695, E4 = 71 / 1920, E5 = -17253 / 339200, E6 = 22 / 525, E7 = -1 / 40;

/**
 * Adaptive Dormand–Prince 5(4): local error per component kept below atol + rtol·|y| (RMS norm).
 * InputError 'step limit' after `maxSteps` steps, 'step too small' below `hMin`, 'not finite'
 * (naming the time) when the state or its derivative stops being finite.
 */
export function integrateAdaptive(f: OdeRhs, y0: number[], t0: number, t1: number, options: AdaptiveOptions = {}): Float64Array {
  checkTimes(t0, t1);
  const rtol = positive('rtol', options.rtol, 1e-6);
  const atol = positive('atol', options.atol, 1e-9);
  const span = Math.abs(t1 - t0);
  const hMin = positive('hMin', options.hMin, Math.max(1e-12 * span, 1e-15));
  const maxSteps = options.maxSteps === undefined ? 100000 : options.maxSteps;
  if (!Number.isInteger(maxSteps) || maxSteps < 1) throw new ConfigError('bad maxSteps', `maxSteps must be a positive integer, got ${maxSteps}`);
  let y: Float64Array = initialState(y0);
  assertFinite(y, t0);
  if (span === 0) return y;
  const dir = Math.sign(t1 - t0);
  const n = y.length;
  const k1 = new Float64Array(n), k2 = new Float64Array(n), k3 = new Float64Array(n), k4 = new Float64Array(n);
  const k5 = new Float64Array(n), k6 = new Float64Array(n), k7 = new Float64Array(n), tmp = new Float64Array(n);
  let yNew: Float64Array = new Float64Array(n);

  let t = t0;
  f(t, y, k1);
  assertFinite(k1, t, 'dy/dt');

  // Initial step: given, or Hairer's estimate from |y| and |dy/dt|.
  let h: number;
  if (options.hInit !== undefined) {
    h = positive('hInit', options.hInit, NaN);
  } else {
    let d0 = 0, d1 = 0;
    for (let i = 0; i < n; i++) {
      const sc = atol + rtol * Math.abs(y[i]);
      d0 += (y[i] / sc) ** 2;
      d1 += (k1[i] / sc) ** 2;
    }
    d0 = Math.sqrt(d0 / n);
    d1 = Math.sqrt(d1 / n);
    h = d0 < 1e-5 || d1 < 1e-5 ? 1e-6 : 0.01 * (d0 / d1);
    h = Math.max(h, 1e-6 * span);
  }
  h = Math.min(Math.max(h, hMin), span);

  let steps = 0;
  let nonFiniteTries = 0;
  while (dir * (t1 - t) > 0) {
    if (steps >= maxSteps) throw new InputError('step limit', `more than ${maxSteps} steps; reached t = ${t} of ${t1}`);
    steps++;
    let last = false;
    if (h >= Math.abs(t1 - t) * (1 - 1e-12)) {
      h = Math.abs(t1 - t);
      last = true;
    }
    const hs = dir * h;
    for (let i = 0; i < n; i++) tmp[i] = y[i] + hs * A21 * k1[i];
    f(t + C2 * hs, tmp, k2);
    for (let i = 0; i < n; i++) tmp[i] = y[i] + hs * (A31 * k1[i] + A32 * k2[i]);
    f(t + C3 * hs, tmp, k3);
    for (let i = 0; i < n; i++) tmp[i] = y[i] + hs * (A41 * k1[i] + A42 * k2[i] + A43 * k3[i]);
    f(t + C4 * hs, tmp, k4);
    for (let i = 0; i < n; i++) tmp[i] = y[i] + hs * (A51 * k1[i] + A52 * k2[i] + A53 * k3[i] + A54 * k4[i]);
    f(t + C5 * hs, tmp, k5);
    for (let i = 0; i < n; i++) tmp[i] = y[i] + hs * (A61 * k1[i] + A62 * k2[i] + A63 * k3[i] + A64 * k4[i] + A65 * k5[i]);
    f(t + hs, tmp, k6);
    for (let i = 0; i < n; i++) yNew[i] = y[i] + hs * (B1 * k1[i] + B3 * k3[i] + B4 * k4[i] + B5 * k5[i] + B6 * k6[i]);
    const tNew = last ? t1 : t + hs;
    f(tNew, yNew, k7);

    let err = 0;
    for (let i = 0; i < n; i++) {
      const e = hs * (E1 * k1[i] + E3 * k3[i] + E4 * k4[i] + E5 * k5[i] + E6 * k6[i] + E7 * k7[i]);
      const sc = atol + rtol * Math.max(Math.abs(y[i]), Math.abs(yNew[i]));
      err += (e / sc) ** 2;
    }
    err = Math.sqrt(err / n);

    if (!Number.isFinite(err) || firstNonFinite(yNew) >= 0 || firstNonFinite(k7) >= 0) {
      // Possibly a step too large for the model (overflow); shrink a few times before blaming the model.
      if (++nonFiniteTries > 8 || h / 4 < hMin) {
        if (firstNonFinite(yNew) >= 0) assertFinite(yNew, tNew);
        assertFinite(k7, tNew, 'dy/dt');
        throw new InputError('not finite', `error estimate not finite at t = ${t}`);
      }
      h /= 4;
      continue;
    }
    nonFiniteTries = 0;

    if (err <= 1) {
      t = tNew;
      const swap = y;
      y = yNew;
      yNew = swap;
      k1.set(k7); // FSAL
      if (last) break;
      h *= err === 0 ? 5 : Math.min(5, 0.9 * err ** -0.2);
    } else {
      h *= Math.max(0.2, 0.9 * err ** -0.2);
      if (h < hMin) throw new InputError('step too small', `step below ${hMin} needed at t = ${t}`);
    }
  }
  return y;
}
