/**
 * What the simulator does with its physics model: start from the plant's current values,
 * predict ahead, run a what-if, and gather the recent history a calibration fits against.
 * Requests speak seconds and epoch ms; the model's own clock (its time unit, 0 = start) stays inside.
 */
import { calibrate, type CalibrationMethod, type CalibrationResult } from '../calibration/calibrate';
import { InputError, clip, describeValue } from '../errors';
import type { InputSeries, PhysicsModel, PhysicsTrajectory } from './physics';
import type { SignalHistory } from './signal-history';

export interface StartState {
  /** Epoch ms the start corresponds to (the newest synchronised sample, or now). */
  time: number;
  initial: Record<string, number>;
  inputs: Record<string, number>;
  /** Bound states/inputs with no synchronised value (their spec defaults were used). */
  unsynced: string[];
}

/** Values each state/input starts from: the newest sample of its signal, else the spec's default. */
export function syncedStart(model: PhysicsModel, history: SignalHistory, now: number): StartState {
  const keys = model.signalKeys;
  const initial: Record<string, number> = {};
  const inputs: Record<string, number> = {};
  const unsynced: string[] = [];
  let newest = -Infinity;
  const pick = (name: string, key: string | undefined, fallback: number | undefined, into: Record<string, number>): void => {
    const latest = key ? history.latest(key) : undefined;
    if (latest) {
      into[name] = latest.value;
      newest = Math.max(newest, latest.time);
      return;
    }
    if (key) unsynced.push(name);
    if (fallback !== undefined) into[name] = fallback;
  };
  for (const s of model.stateNames) pick(s, keys.states[s], model.states[s].initial, initial);
  for (const i of model.inputNames) pick(i, keys.inputs[i], model.inputs[i].value, inputs);
  return { time: Number.isFinite(newest) ? newest : now, initial, inputs, unsynced };
}

export interface SignalSeries {
  /** Epoch ms. */
  t: number[];
  v: number[];
}

export interface PhysicsAnswer {
  /** Epoch ms of the start. */
  start: number;
  durationS: number;
  parameters: Record<string, number>;
  states: Record<string, SignalSeries>;
  outputs: Record<string, SignalSeries>;
  /** The same series by twin signal key, for the deviation detector and chained twins. */
  signals: Record<string, SignalSeries>;
  final: Record<string, number>;
  steps: number;
}

/** Turns a trajectory (model time from 0) into epoch-ms series keyed by name and by signal. */
export function toAnswer(model: PhysicsModel, run: PhysicsTrajectory, start: number, parameters: Record<string, number>): PhysicsAnswer {
  const msPerUnit = model.secondsPerTimeUnit * 1000;
  const t = run.times.map((x) => Math.round(start + x * msPerUnit));
  const keys = model.signalKeys;
  const answer: PhysicsAnswer = {
    start,
    durationS: (run.times[run.times.length - 1] ?? 0) * model.secondsPerTimeUnit,
    parameters,
    states: {},
    outputs: {},
    signals: {},
    final: {},
    steps: run.steps,
  };
  for (const [name, values] of Object.entries(run.states)) {
    answer.states[name] = { t, v: values };
    answer.final[name] = values[values.length - 1];
    if (keys.states[name]) answer.signals[keys.states[name]] = { t, v: values };
  }
  for (const [name, values] of Object.entries(run.outputs)) {
    answer.outputs[name] = { t, v: values };
    answer.final[name] = values[values.length - 1];
    if (keys.outputs[name]) answer.signals[keys.outputs[name]] = { t, v: values };
  }
  return answer;
}

export interface PhysicsRequest {
  durationS: number;
  everyS?: number;
  parameters?: Record<string, number>;
  /** Inputs by name: a number, or a series in seconds from the start. */
  inputs?: Record<string, number | InputSeries>;
  initial?: Record<string, number>;
  /** Boundary values by twin signal key (an upstream twin's `signals`, epoch-ms series). */
  boundary?: Record<string, number | SignalSeries>;
  maxWallMs?: number;
}

const isFiniteNumber = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
/** Every item a finite number; a hole in a sparse array counts (every() would skip it). */
function allFinite(list: unknown[]): list is number[] {
  for (let i = 0; i < list.length; i++) if (!isFiniteNumber(list[i])) return false;
  return true;
}
const isPlainRecord = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === 'object' && !Array.isArray(x);

/**
 * A request's value for an input or a boundary signal: a finite number, or a series {t, v} of
 * finite numbers of equal, non-zero length. InputError naming the input otherwise.
 */
function inputValue(raw: unknown, what: string): number | InputSeries {
  if (isFiniteNumber(raw)) return raw;
  if (isPlainRecord(raw)) {
    const { t, v } = raw;
    if (Array.isArray(t) && Array.isArray(v) && t.length === v.length && t.length > 0 && allFinite(t) && allFinite(v)) return { t, v };
  }
  throw new InputError('bad input', `${what} must be a finite number or {t: [...], v: [...]} of finite numbers of equal, non-zero length, got ${describeValue(raw)}`);
}

/** Runs the model from `start` with the request's changes on top. */
export function runPhysics(model: PhysicsModel, start: StartState, calibrated: Record<string, number>, request: PhysicsRequest): PhysicsAnswer {
  const perUnit = model.secondsPerTimeUnit;
  const inputs: Record<string, number | InputSeries> = { ...start.inputs };
  const keys = model.signalKeys;
  const boundary: unknown = request.boundary;
  if (boundary !== undefined && !isPlainRecord(boundary)) throw new InputError('bad request', `boundary must be an object of signal key: number or {t, v}, got ${describeValue(boundary)}`);
  const given: unknown = request.inputs;
  if (given !== undefined && !isPlainRecord(given)) throw new InputError('bad request', `inputs must be an object of name: number or {t, v}, got ${describeValue(given)}`);
  for (const [name, key] of Object.entries(keys.inputs)) {
    if (!boundary || !Object.prototype.hasOwnProperty.call(boundary, key) || boundary[key] === undefined) continue;
    const b = inputValue(boundary[key], `boundary ${clip(key)}`);
    inputs[name] = typeof b === 'number' ? b : { t: b.t.map((x) => (x - start.time) / 1000 / perUnit), v: b.v };
  }
  for (const [name, raw] of Object.entries(given ?? {})) {
    if (!model.inputNames.includes(name)) throw new InputError('unknown input', `no input "${clip(name)}" (known: ${model.inputNames.join(', ') || 'none'})`);
    const v = inputValue(raw, `input ${clip(name)}`);
    inputs[name] = typeof v === 'number' ? v : { t: v.t.map((x) => x / perUnit), v: v.v };
  }
  const parameters = model.parameterValues({ ...calibrated, ...(request.parameters ?? {}) });
  // Unless asked for finer, at most about 200 points: answers travel between threads and flows.
  const everyS = request.everyS ?? Math.max(model.step * perUnit, request.durationS / 200);
  const run = model.simulate({
    initial: { ...start.initial, ...(request.initial ?? {}) },
    inputs,
    parameters,
    duration: request.durationS / perUnit,
    outputEvery: everyS / perUnit,
    maxWallMs: request.maxWallMs,
  });
  return toAnswer(model, run, start.time, parameters);
}

export interface CalibrationData {
  /** Epoch ms of the window start. */
  from: number;
  durationUnits: number;
  initial: Record<string, number>;
  /** In model time units from the window start. */
  inputs: Record<string, InputSeries>;
  measured: Record<string, InputSeries>;
}

/**
 * The recent window the calibration fits: each bound state's samples, the inputs over the same
 * span, the states' values at its start. InputError when there is too little to fit.
 */
export function calibrationData(model: PhysicsModel, history: SignalHistory, windowS: number, now: number): CalibrationData {
  const keys = model.signalKeys;
  const stateKeys = Object.entries(keys.states);
  if (stateKeys.length === 0) throw new InputError('nothing to fit', 'no state is bound to a signal, so there is no measured history to fit');
  const newest = Math.max(...stateKeys.map(([, k]) => history.latest(k)?.time ?? -Infinity));
  if (!Number.isFinite(newest)) throw new InputError('no history', 'no samples of the states have arrived yet');
  const to = Math.min(now, newest);
  const earliest = Math.max(...stateKeys.map(([, k]) => history.firstTime(k) ?? Infinity));
  const from = Math.max(to - windowS * 1000, earliest);
  const perUnitMs = model.secondsPerTimeUnit * 1000;
  const initial: Record<string, number> = {};
  const measured: Record<string, InputSeries> = {};
  for (const [name, key] of stateKeys) {
    const v0 = history.valueAt(key, from);
    if (v0 === undefined) throw new InputError('no history', `no sample of ${key} at the start of the window`);
    initial[name] = v0;
    const points = history.between(key, from, to);
    measured[name] = { t: points.t.map((x) => (x - from) / perUnitMs), v: points.v };
  }
  const count = Object.values(measured).reduce((n, s) => n + s.t.length, 0);
  if (count < 5) throw new InputError('too little history', `${count} samples in the window; at least 5 are needed to fit`);
  const inputs: Record<string, InputSeries> = {};
  for (const [name, key] of Object.entries(keys.inputs)) {
    // The input just before the window holds at its start.
    const before = history.valueAt(key, from);
    const points = history.between(key, from, to);
    const t = points.t.map((x) => (x - from) / perUnitMs);
    const v = [...points.v];
    if (before !== undefined && (t.length === 0 || t[0] > 0)) {
      t.unshift(0);
      v.unshift(before);
    }
    if (t.length > 0) inputs[name] = { t, v };
  }
  return { from, durationUnits: (to - from) / perUnitMs, initial, inputs, measured };
}

/** Linear interpolation of a trajectory at the measured times. */
export function predictionsAt(run: PhysicsTrajectory, state: string, times: number[]): number[] {
  const ts = run.times;
  const vs = run.states[state];
  const out = new Array<number>(times.length);
  let k = 0;
  for (let i = 0; i < times.length; i++) {
    const x = times[i];
    while (k < ts.length - 2 && ts[k + 1] < x) k++;
    const span = ts[k + 1] - ts[k];
    out[i] = !(span > 0) ? vs[Math.min(k + 1, vs.length - 1)] : vs[k] + ((vs[k + 1] - vs[k]) * Math.min(1, Math.max(0, (x - ts[k]) / span)));
  }
  return out;
}

export interface CalibrationRequest {
  /** Parameter names to fit (default: those with bounds, else all). */
  parameters?: string[];
  method?: CalibrationMethod;
  maxEvaluations?: number;
  maxWallMs?: number;
}

export interface PhysicsCalibration extends CalibrationResult {
  /** Epoch ms of the fitted window and the samples fitted. */
  window: { from: number; durationS: number; samples: number };
}

/** Fits parameters so the model run over the window follows the measured states. */
export function calibratePhysics(model: PhysicsModel, data: CalibrationData, calibrated: Record<string, number>, request: CalibrationRequest): PhysicsCalibration {
  const bounded = model.parameterNames.filter((p) => model.parameters[p].min !== undefined || model.parameters[p].max !== undefined);
  const names = request.parameters ?? (bounded.length > 0 ? bounded : [...model.parameterNames]);
  if (!Array.isArray(names) || names.length === 0) throw new InputError('nothing to fit', 'name the parameters to calibrate (the model has none)');
  const current = model.parameterValues(calibrated);
  for (const n of names) {
    if (typeof n !== 'string' || !model.parameterNames.includes(n)) throw new InputError('unknown parameter', `no parameter "${String(n)}" (known: ${model.parameterNames.join(', ')})`);
  }
  const states = Object.keys(data.measured);
  const measured = states.flatMap((s) => data.measured[s].v);
  // States of different sizes count alike: each weighted by the inverse of its variance.
  const weights = states.flatMap((s) => {
    const v = data.measured[s].v;
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length;
    const w = states.length > 1 && variance > 0 ? 1 / variance : 1;
    return v.map(() => w);
  });
  const predict = (values: Record<string, number>): number[] => {
    const run = model.simulate({
      initial: data.initial,
      inputs: data.inputs,
      parameters: { ...current, ...values },
      duration: data.durationUnits,
      maxWallMs: request.maxWallMs,
    });
    return states.flatMap((s) => predictionsAt(run, s, data.measured[s].t));
  };
  const result = calibrate(
    {
      // A value fitted earlier may lie outside bounds edited since: start from the nearest bound.
      parameters: names.map((name) => {
        const { min, max } = model.parameters[name];
        const initial = Math.min(max ?? Infinity, Math.max(min ?? -Infinity, current[name]));
        return { name, initial, min, max };
      }),
      predict,
      measured,
      weights,
    },
    { method: request.method ?? 'levenberg-marquardt', maxEvaluations: request.maxEvaluations ?? 400, maxWallMs: request.maxWallMs },
  );
  return { ...result, window: { from: data.from, durationS: data.durationUnits * model.secondsPerTimeUnit, samples: measured.length } };
}
