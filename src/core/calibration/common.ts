/**
 * What the optimisers share: option checks, box bounds and the evaluation budget. The budget is
 * checked before every evaluation (not once per iteration) so evaluation and wall-time limits hold
 * even when one iteration needs many evaluations.
 */
import { ConfigError, InputError } from '../errors';

export interface Bounds {
  min: number[];
  max: number[];
}

export type StopReason = 'converged' | 'max-iterations' | 'max-evaluations' | 'max-wall-time' | 'stopped' | 'stalled';

export interface OptimiseResult {
  /** Best point evaluated. */
  x: number[];
  /** Objective at x (Levenberg–Marquardt: ½Σr²). */
  fx: number;
  iterations: number;
  evaluations: number;
  converged: boolean;
  reason: StopReason;
}

/** Limits every optimiser honours. */
export interface BudgetOptions {
  maxIterations?: number;
  maxEvaluations?: number;
  /** Wall-clock limit in milliseconds. */
  maxWallMs?: number;
  /** Polled before each evaluation; returning true stops with reason 'stopped'. */
  shouldStop?: () => boolean;
}

/** Thrown inside an optimiser when the budget runs out; caught there and turned into a result. */
export class BudgetExhausted extends Error {
  constructor(readonly reason: StopReason) {
    super(reason);
  }
}

export function startPoint(x0: unknown): number[] {
  if (!Array.isArray(x0) || x0.length === 0) throw new ConfigError('bad start', 'x0 must be a non-empty list of numbers');
  x0.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new InputError('not finite', `x0[${i}] = ${String(v)} is not a finite number`);
  });
  return x0.slice() as number[];
}

export function positiveInteger(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw new ConfigError(`bad ${name}`, `${name} must be a positive integer, got ${String(value)}`);
  return value;
}

export function nonNegative(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value)) throw new ConfigError(`bad ${name}`, `${name} must be a finite number >= 0, got ${String(value)}`);
  return value;
}

/** Checked bounds, or unbounded (±Infinity) when none are given. Infinite limits are allowed. */
export function checkBounds(bounds: Bounds | undefined, n: number): Bounds {
  if (bounds === undefined) return { min: new Array<number>(n).fill(-Infinity), max: new Array<number>(n).fill(Infinity) };
  if (!bounds || !Array.isArray(bounds.min) || !Array.isArray(bounds.max) || bounds.min.length !== n || bounds.max.length !== n) {
    throw new ConfigError('bad bounds', `bounds.min and bounds.max must be lists of ${n} numbers`);
  }
  for (let i = 0; i < n; i++) {
    const lo = bounds.min[i], hi = bounds.max[i];
    if (typeof lo !== 'number' || typeof hi !== 'number' || Number.isNaN(lo) || Number.isNaN(hi)) throw new ConfigError('bad bounds', `bounds for x[${i}] must be numbers`);
    if (lo > hi) throw new ConfigError('bad bounds', `bounds for x[${i}]: min ${lo} > max ${hi}`);
  }
  return { min: bounds.min.slice(), max: bounds.max.slice() };
}

export function clamp(x: number[], b: Bounds): number[] {
  return x.map((v, i) => Math.min(b.max[i], Math.max(b.min[i], v)));
}

/** Counts evaluations and stops the run (by throwing BudgetExhausted) when a limit is reached. */
export class Budget {
  evaluations = 0;
  private readonly started = performance.now();
  private readonly maxEvaluations: number;
  private readonly maxWallMs: number;
  private readonly shouldStop: (() => boolean) | undefined;

  constructor(options: BudgetOptions, defaultMaxEvaluations: number) {
    this.maxEvaluations = positiveInteger('maxEvaluations', options.maxEvaluations, defaultMaxEvaluations);
    this.maxWallMs = nonNegative('maxWallMs', options.maxWallMs, Infinity);
    if (options.shouldStop !== undefined && typeof options.shouldStop !== 'function') throw new ConfigError('bad shouldStop', 'shouldStop must be a function');
    this.shouldStop = options.shouldStop;
  }

  /** Call before each evaluation. The first one is always allowed so every run has a best point. */
  spend(): void {
    if (this.evaluations > 0) {
      if (this.evaluations >= this.maxEvaluations) throw new BudgetExhausted('max-evaluations');
      if (performance.now() - this.started >= this.maxWallMs) throw new BudgetExhausted('max-wall-time');
      if (this.shouldStop && this.shouldStop()) throw new BudgetExhausted('stopped');
    }
    this.evaluations++;
  }
}
