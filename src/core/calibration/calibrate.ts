/**
 * Fit model parameters to measured data with either optimiser. The problem is generic: a `predict`
 * function maps named parameter values to predictions aligned with `measured`, so any simulation
 * (ODE, discrete-event, closed form) can be calibrated.
 *
 * The optimisers work on scaled parameters u = value / scale (scale = |initial|, else the range,
 * else 1) so a time constant of 600 s and a gain of 0.8 move on comparable footing.
 * A failed prediction (throws, wrong length, not finite) during the search is counted as an
 * evaluation and scored as +Infinity (a failed step for Levenberg–Marquardt); only a failure at the
 * initial parameters is reported, because then there is nothing to start from.
 */
import { ConfigError, InputError } from '../errors';
import { BudgetOptions, OptimiseResult, StopReason } from './common';
import { levenbergMarquardt } from './levenberg-marquardt';
import { nelderMead } from './nelder-mead';

export interface CalibrationParameter {
  name: string;
  initial: number;
  min?: number;
  max?: number;
}

export interface CalibrationProblem {
  parameters: CalibrationParameter[];
  /** Predictions aligned index by index with `measured`. */
  predict: (values: Record<string, number>) => number[];
  measured: number[];
  /** Non-negative weight per measured value (default all 1). */
  weights?: number[];
}

export type CalibrationMethod = 'nelder-mead' | 'levenberg-marquardt';

export interface CalibrationOptions extends Omit<BudgetOptions, 'maxIterations'> {
  method: CalibrationMethod;
}

export interface CalibrationResult {
  method: CalibrationMethod;
  /** Fitted values by parameter name. */
  parameters: Record<string, number>;
  initial: Record<string, number>;
  /** Weighted root-mean-square error at the initial and at the fitted values. */
  rmseBefore: number;
  rmseAfter: number;
  /** 1 - rmseAfter / rmseBefore (0 when the initial fit is already exact). */
  improvement: number;
  /** Calls of `predict`, the initial check included. */
  evaluations: number;
  iterations: number;
  converged: boolean;
  reason: StopReason;
  elapsedMs: number;
}

const RESERVED = new Set(['__proto__', 'constructor', 'prototype']);
const METHODS: readonly CalibrationMethod[] = ['nelder-mead', 'levenberg-marquardt'];

interface Scaled {
  names: string[];
  scale: number[];
  u0: number[];
  min: number[];
  max: number[];
}

function checkParameters(parameters: unknown): Scaled {
  if (!Array.isArray(parameters) || parameters.length === 0) throw new ConfigError('no parameters', 'give at least one parameter to calibrate');
  const out: Scaled = { names: [], scale: [], u0: [], min: [], max: [] };
  parameters.forEach((p: Partial<CalibrationParameter> | null, i) => {
    const name = p && typeof p === 'object' ? p.name : undefined;
    if (typeof name !== 'string' || name.trim() === '' || RESERVED.has(name)) throw new ConfigError('bad parameter name', `parameters[${i}] needs a usable name, got ${JSON.stringify(name)}`);
    if (out.names.includes(name)) throw new ConfigError('duplicate parameter', `parameter "${name}" is listed twice`);
    const { initial, min = -Infinity, max = Infinity } = p as CalibrationParameter;
    if (typeof initial !== 'number' || !Number.isFinite(initial)) throw new ConfigError('bad initial value', `parameter "${name}": initial = ${String(initial)} is not a finite number`);
    if (typeof min !== 'number' || Number.isNaN(min) || typeof max !== 'number' || Number.isNaN(max)) throw new ConfigError('bad bounds', `parameter "${name}": min and max must be numbers`);
    if (min > max) throw new ConfigError('bad bounds', `parameter "${name}": min ${min} > max ${max}`);
    if (initial < min || initial > max) throw new ConfigError('initial out of range', `parameter "${name}": initial ${initial} is outside [${min}, ${max}]`);
    const range = max - min;
    const scale = initial !== 0 ? Math.abs(initial) : Number.isFinite(range) && range > 0 ? range : 1;
    out.names.push(name);
    out.scale.push(scale);
    out.u0.push(initial / scale);
    out.min.push(min / scale);
    out.max.push(max / scale);
  });
  return out;
}

function checkData(measured: unknown, weights: unknown): { measured: number[]; weights: number[] } {
  if (!Array.isArray(measured) || measured.length === 0) throw new InputError('no measurements', 'measured must be a non-empty list of numbers');
  measured.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new InputError('not finite', `measured[${i}] = ${String(v)} is not a finite number`);
  });
  if (weights === undefined) return { measured: measured.slice(), weights: measured.map(() => 1) };
  if (!Array.isArray(weights) || weights.length !== measured.length) throw new ConfigError('bad weights', `weights must be a list of ${measured.length} numbers, one per measured value`);
  weights.forEach((w, i) => {
    if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) throw new ConfigError('bad weights', `weights[${i}] = ${String(w)} must be a finite number >= 0`);
  });
  if (!weights.some((w) => w > 0)) throw new ConfigError('bad weights', 'at least one weight must be > 0');
  return { measured: measured.slice(), weights: weights.slice() };
}

/** Why a prediction cannot be used, or undefined when it can. */
function predictionProblem(pred: unknown, m: number): string | undefined {
  if (!Array.isArray(pred) && !ArrayBuffer.isView(pred)) return `predict returned ${typeof pred}, expected a list of ${m} numbers`;
  const list = pred as ArrayLike<unknown>;
  if (list.length !== m) return `predict returned ${list.length} values, expected ${m} (one per measured value)`;
  for (let i = 0; i < m; i++) if (typeof list[i] !== 'number' || !Number.isFinite(list[i])) return `prediction[${i}] = ${String(list[i])} is not a finite number`;
  return undefined;
}

export function calibrate(problem: CalibrationProblem, options: CalibrationOptions): CalibrationResult {
  const started = performance.now();
  if (!problem || typeof problem !== 'object') throw new ConfigError('bad problem', 'the calibration problem must be an object');
  if (!options || !METHODS.includes(options.method)) throw new ConfigError('bad method', `method must be one of ${METHODS.join(', ')}, got ${JSON.stringify(options && options.method)}`);
  const p = checkParameters(problem.parameters);
  const { measured, weights } = checkData(problem.measured, problem.weights);
  if (typeof problem.predict !== 'function') throw new ConfigError('bad predict', 'predict must be a function');
  const m = measured.length;
  const weightSum = weights.reduce((s, w) => s + w, 0);
  // Residual i = sqrt(w_i / Σw)·(prediction - measured), so Σr² is the weighted mean squared error.
  const rootWeights = weights.map((w) => Math.sqrt(w / weightSum));
  const valuesOf = (u: number[]): Record<string, number> => {
    const values: Record<string, number> = {};
    p.names.forEach((name, i) => (values[name] = u[i] * p.scale[i]));
    return values;
  };
  const initial: Record<string, number> = {};
  for (const param of problem.parameters) initial[param.name] = param.initial;

  let predictions = 0;
  let first: number[] | undefined;
  try {
    predictions++;
    const pred: unknown = problem.predict({ ...initial });
    const problemText = predictionProblem(pred, m);
    if (problemText) throw new InputError(problemText.startsWith('predict returned') ? 'bad prediction' : 'not finite', `at the initial parameters: ${problemText}`);
    first = Array.from(pred as ArrayLike<number>);
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError('predict failed', `predict threw at the initial parameters: ${err instanceof Error ? err.message : String(err)}`);
  }
  const residualsOf = (pred: number[]): number[] => pred.map((v, i) => rootWeights[i] * (v - measured[i]));
  const rmseBefore = Math.sqrt(residualsOf(first).reduce((s, r) => s + r * r, 0));

  // The optimisers start by evaluating u0; hand them the prediction already made instead.
  const residuals = (u: number[]): number[] => {
    if (first && u.every((v, i) => v === p.u0[i])) {
      const cached = first;
      first = undefined;
      return residualsOf(cached);
    }
    first = undefined;
    predictions++;
    try {
      const pred: unknown = problem.predict(valuesOf(u));
      if (predictionProblem(pred, m) === undefined) return residualsOf(Array.from(pred as ArrayLike<number>));
    } catch {
      // A prediction that fails during the search is just a bad point.
    }
    return new Array<number>(m).fill(NaN);
  };

  const budget = { maxEvaluations: options.maxEvaluations, maxWallMs: options.maxWallMs, shouldStop: options.shouldStop };
  const bounds = { min: p.min, max: p.max };
  let result: OptimiseResult;
  let meanSquare: number;
  if (options.method === 'levenberg-marquardt') {
    result = levenbergMarquardt(residuals, p.u0, { ...budget, bounds });
    meanSquare = 2 * result.fx;
  } else {
    const objective = (u: number[]): number => residuals(u).reduce((s, r) => s + r * r, 0);
    // Absolute tolerances on the scaled problem: 1e-10 of the initial error, 1e-7 of each parameter.
    result = nelderMead(objective, p.u0, { ...budget, bounds, step: 0.1, tolerance: 1e-10 * rmseBefore ** 2, xTolerance: 1e-7 });
    meanSquare = result.fx;
  }
  const rmseAfter = Math.sqrt(meanSquare);
  return {
    method: options.method,
    parameters: valuesOf(result.x),
    initial,
    rmseBefore,
    rmseAfter,
    improvement: rmseBefore > 0 ? 1 - rmseAfter / rmseBefore : 0,
    evaluations: predictions,
    iterations: result.iterations,
    converged: result.converged,
    reason: result.reason,
    elapsedMs: performance.now() - started,
  };
}
