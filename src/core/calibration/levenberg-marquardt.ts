/**
 * Levenberg–Marquardt for small non-linear least-squares problems (minimise ½Σr²): forward-difference
 * Jacobian (the other side where the residuals fail), Marquardt's diagonal scaling of the damping term and Nielsen's (1999) damping update from
 * the gain ratio. Bounds are honoured by clamping the step into the box; the predicted reduction is
 * computed for the clamped step so the gain ratio stays meaningful at a bound.
 * A trial point whose residuals change length, are not finite or cannot be computed is a failed step:
 * the damping grows and a shorter step is tried.
 */
import { ConfigError, InputError } from '../errors';
import { Budget, BudgetExhausted, BudgetOptions, Bounds, OptimiseResult, StopReason, checkBounds, clamp, nonNegative, positiveInteger, startPoint } from './common';
import { solveLinearSystem } from './linear-solve';

export interface LevenbergMarquardtOptions extends BudgetOptions {
  bounds?: Bounds;
  /** Converged when a step changes the cost or the point relatively by at most this (default 1e-10). */
  tolerance?: number;
  /** Initial damping factor λ; the damping term is λ·diag(JᵀJ) (default 1e-3). */
  lambda0?: number;
  /** Finite-difference step relative to max(|x|, 1) (default √ε ≈ 1.5e-8). */
  relativeStep?: number;
}

export interface LeastSquaresResult extends OptimiseResult {
  /** ½Σr² at x (same as fx). */
  cost: number;
}

/** Residuals at x, or undefined when they cannot be used (wrong length, not finite, not a list). */
type Evaluate = (x: number[]) => number[] | undefined;

/** Damping limits: below MIN the step is Gauss–Newton anyway; above MAX no step helps any more. */
const MIN_DAMPING = 1e-15;
const MAX_DAMPING = 1e16;

function costOf(r: number[]): number {
  let s = 0;
  for (const v of r) s += v * v;
  return 0.5 * s;
}

function usable(r: unknown, m: number): r is number[] {
  if (!Array.isArray(r) || r.length !== m) return false;
  for (const v of r) if (typeof v !== 'number' || !Number.isFinite(v)) return false;
  return true;
}

export function levenbergMarquardt(residuals: (x: number[]) => number[], x0: number[], options: LevenbergMarquardtOptions = {}): LeastSquaresResult {
  if (typeof residuals !== 'function') throw new ConfigError('bad residuals', 'residuals must be a function');
  const start = startPoint(x0);
  const n = start.length;
  const bounds = checkBounds(options.bounds, n);
  const tol = nonNegative('tolerance', options.tolerance, 1e-10);
  const relStep = nonNegative('relativeStep', options.relativeStep, Math.sqrt(Number.EPSILON));
  if (relStep === 0) throw new ConfigError('bad relativeStep', 'relativeStep must be > 0');
  const lambda0 = nonNegative('lambda0', options.lambda0, 1e-3);
  if (lambda0 === 0) throw new ConfigError('bad lambda0', 'lambda0 must be > 0 (the damping only grows by factors)');
  const maxIterations = positiveInteger('maxIterations', options.maxIterations, 100 * (n + 1));
  const budget = new Budget(options, 200 * (n + 1));

  let x = clamp(start, bounds);
  budget.spend();
  const r0: unknown = residuals(x.slice());
  if (!Array.isArray(r0) || r0.length === 0) throw new InputError('bad residuals', 'residuals must return a non-empty list of numbers at the starting point');
  const m = r0.length;
  r0.forEach((v: unknown, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new InputError('not finite', `residual[${i}] = ${String(v)} at the starting point`);
  });
  let r = (r0 as number[]).slice();
  let cost = costOf(r);

  const evaluate: Evaluate = (p) => {
    budget.spend();
    const out: unknown = residuals(p.slice());
    return usable(out, m) ? out.slice() : undefined;
  };

  let iterations = 0;
  let reason: StopReason = 'max-iterations';
  let lambda = lambda0;
  let nu = 2;
  try {
    outer: while (iterations < maxIterations) {
      if (cost === 0) {
        reason = 'converged';
        break;
      }
      iterations++;
      const { jac, complete } = jacobian(evaluate, x, r, bounds, relStep);
      const { jtj, g } = normalEquations(jac, r, n);
      if (g.every((v) => v === 0)) {
        // A flat spot is a minimum only if every column could be computed.
        reason = complete ? 'converged' : 'stalled';
        break;
      }
      const diag = jtj.map((row, i) => row[i]);
      const maxDiag = Math.max(...diag);
      // Marquardt scaling; a floor keeps the system solvable when a parameter has no effect.
      const scale = diag.map((d) => Math.max(d, maxDiag * 1e-12, Number.MIN_VALUE));

      for (;;) {
        const a = jtj.map((row, i) => row.map((v, j) => (i === j ? v + lambda * scale[i] : v)));
        const solved = solveLinearSystem(a, g.map((v) => -v));
        if (solved) {
          const trial = clamp(x.map((v, i) => v + solved[i]), bounds);
          const step = trial.map((v, i) => v - x[i]);
          const predicted = predictedReduction(jac, r, step);
          const stepNorm = Math.hypot(...step);
          if (stepNorm <= tol * (Math.hypot(...x) + tol)) {
            reason = complete ? 'converged' : 'stalled';
            break outer;
          }
          const rTrial = evaluate(trial);
          const costTrial = rTrial ? costOf(rTrial) : Infinity;
          if (rTrial && costTrial < cost) {
            const actual = cost - costTrial;
            const rho = predicted > 0 ? actual / predicted : 0;
            // MINPACK-style test: both the actual and the predicted relative reduction are tiny.
            const flat = actual <= tol * cost && predicted <= tol * cost;
            x = trial;
            r = rTrial;
            cost = costTrial;
            lambda = Math.max(MIN_DAMPING, lambda * Math.max(1 / 3, 1 - (2 * rho - 1) ** 3));
            nu = 2;
            if (flat) {
              reason = 'converged';
              break outer;
            }
            continue outer;
          }
        }
        lambda *= nu;
        nu *= 2;
        if (lambda > MAX_DAMPING) {
          reason = 'stalled';
          break outer;
        }
      }
    }
  } catch (err) {
    if (!(err instanceof BudgetExhausted)) throw err;
    reason = err.reason;
  }
  return { x, fx: cost, cost, iterations, evaluations: budget.evaluations, converged: reason === 'converged', reason };
}

/**
 * Forward differences (backward at an upper bound). When the residuals fail at the step, the other
 * side is tried; a column that still cannot be computed is left 0, so that parameter rests this round
 * (and the Jacobian is incomplete). A box narrower than the step means a fixed parameter: column 0.
 */
function jacobian(evaluate: Evaluate, x: number[], r: number[], bounds: Bounds, relStep: number): { jac: number[][]; complete: boolean } {
  const m = r.length;
  const jac = Array.from({ length: m }, () => new Array<number>(x.length).fill(0));
  let complete = true;
  for (let j = 0; j < x.length; j++) {
    const h = relStep * Math.max(Math.abs(x[j]), 1);
    const sides = x[j] + h > bounds.max[j] ? [-h, h] : [h, -h];
    let failed = false;
    for (const step of sides) {
      const xp = x.slice();
      xp[j] += step;
      if (xp[j] < bounds.min[j] || xp[j] > bounds.max[j]) continue;
      const rp = evaluate(xp);
      failed = !rp;
      if (!rp) continue;
      const dh = xp[j] - x[j]; // the step actually taken, after rounding
      for (let i = 0; i < m; i++) jac[i][j] = (rp[i] - r[i]) / dh;
      break;
    }
    if (failed) complete = false;
  }
  return { jac, complete };
}

function normalEquations(jac: number[][], r: number[], n: number): { jtj: number[][]; g: number[] } {
  const jtj = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  const g = new Array<number>(n).fill(0);
  for (let i = 0; i < jac.length; i++) {
    const row = jac[i];
    for (let a = 0; a < n; a++) {
      if (row[a] === 0) continue;
      g[a] += row[a] * r[i];
      for (let b = a; b < n; b++) jtj[a][b] += row[a] * row[b];
    }
  }
  for (let a = 0; a < n; a++) for (let b = 0; b < a; b++) jtj[a][b] = jtj[b][a];
  return { jtj, g };
}

/** Cost reduction the linear model promises for `step`: ½|r|² - ½|r + J·step|², without cancellation. */
function predictedReduction(jac: number[][], r: number[], step: number[]): number {
  let reduction = 0;
  for (let i = 0; i < r.length; i++) {
    let js = 0;
    for (let j = 0; j < step.length; j++) js += jac[i][j] * step[j];
    reduction -= js * r[i] + 0.5 * js * js;
  }
  return reduction;
}
