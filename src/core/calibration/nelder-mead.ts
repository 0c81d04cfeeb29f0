/**
 * Nelder–Mead downhill simplex for a few parameters when no gradient is available. Bounds are
 * honoured by clamping every trial point into the box (as SciPy does), so a simplex can settle on a
 * bound. Non-finite objective values count as +Infinity, so a bad region is simply avoided.
 * Standard coefficients (reflection 1, expansion 2, contraction ½, shrink ½) by default; the
 * Gao–Han (2012) dimension-adapted ones are an option (`adaptive`) for n >= 3 (they equal the standard
 * ones for n = 2). They pay off for many parameters; on 3 to 10-D Rosenbrock they cost more evaluations.
 * A simplex can collapse away from a minimum (repeated shrinks, e.g. around points where the
 * objective failed), so at a claimed minimum the simplex is rebuilt there with the initial steps and
 * the search goes on until a restart no longer improves the value.
 */
import { ConfigError } from '../errors';
import { Budget, BudgetExhausted, BudgetOptions, Bounds, OptimiseResult, StopReason, checkBounds, clamp, nonNegative, positiveInteger, startPoint } from './common';

export interface NelderMeadOptions extends BudgetOptions {
  /** Initial simplex edge per coordinate (default 5% of |x0[i]|, or 0.00025 where x0[i] = 0). */
  step?: number[] | number;
  /** Converged when the simplex's objective values differ by at most this (default 1e-10)... */
  tolerance?: number;
  /** ...and its vertices lie within this of the best one in every coordinate (default 1e-8). */
  xTolerance?: number;
  bounds?: Bounds;
  /** Gao–Han dimension-adapted coefficients, used for n >= 3 (default false). */
  adaptive?: boolean;
  /** Most restarts from a claimed minimum (default 3; 0 stops at the first convergence). */
  restarts?: number;
}

interface Vertex {
  x: number[];
  f: number;
}

function initialSteps(step: NelderMeadOptions['step'], x0: number[]): number[] {
  if (step === undefined) return x0.map((v) => (v !== 0 ? 0.05 * Math.abs(v) : 0.00025));
  const steps = typeof step === 'number' ? x0.map(() => step) : step;
  if (!Array.isArray(steps) || steps.length !== x0.length) throw new ConfigError('bad step', `step must be a number or a list of ${x0.length} numbers`);
  steps.forEach((s, i) => {
    if (typeof s !== 'number' || !Number.isFinite(s) || s === 0) throw new ConfigError('bad step', `step[${i}] = ${String(s)} must be a finite non-zero number`);
  });
  return steps.slice();
}

export function nelderMead(f: (x: number[]) => number, x0: number[], options: NelderMeadOptions = {}): OptimiseResult {
  if (typeof f !== 'function') throw new ConfigError('bad objective', 'the objective must be a function');
  const start = startPoint(x0);
  const n = start.length;
  const bounds = checkBounds(options.bounds, n);
  const steps = initialSteps(options.step, start);
  const fTol = nonNegative('tolerance', options.tolerance, 1e-10);
  const xTol = nonNegative('xTolerance', options.xTolerance, 1e-8);
  const maxIterations = positiveInteger('maxIterations', options.maxIterations, 500 * n);
  const budget = new Budget(options, 1000 * n);
  const maxRestarts = options.restarts === undefined ? 3 : options.restarts === 0 ? 0 : positiveInteger('restarts', options.restarts, 3);
  const adaptive = options.adaptive === true && n >= 3;
  const rho = 1;
  const chi = adaptive ? 1 + 2 / n : 2;
  const psi = adaptive ? 0.75 - 1 / (2 * n) : 0.5;
  const sigma = adaptive ? 1 - 1 / n : 0.5;

  let best: Vertex = { x: clamp(start, bounds), f: Infinity };
  const evaluate = (x: number[]): Vertex => {
    budget.spend();
    const raw = f(x.slice());
    const v = { x, f: typeof raw === 'number' && Number.isFinite(raw) ? raw : Infinity };
    if (v.f < best.f || budget.evaluations === 1) best = v;
    return v;
  };

  const byValue = (a: Vertex, b: Vertex): number => a.f - b.f || 0;
  const simplexAround = (first: Vertex): Vertex[] => {
    const out = [first];
    for (let i = 0; i < n; i++) {
      const x = first.x.slice();
      // Step away from a bound rather than onto it, so the simplex starts with full dimension.
      const forward = x[i] + steps[i];
      x[i] = forward > bounds.max[i] || forward < bounds.min[i] ? x[i] - steps[i] : forward;
      out.push(evaluate(clamp(x, bounds)));
    }
    return out.sort(byValue);
  };

  let iterations = 0;
  let reason: StopReason = 'max-iterations';
  try {
    let simplex = simplexAround(evaluate(best.x));
    let restarts = 0;
    let lastClaim = Infinity;
    while (iterations < maxIterations) {
      if (hasConverged(simplex, fTol, xTol)) {
        if (restarts < maxRestarts && simplex[0].f < lastClaim - fTol) {
          lastClaim = simplex[0].f;
          restarts++;
          simplex = simplexAround(simplex[0]);
          continue;
        }
        reason = 'converged';
        break;
      }
      iterations++;
      const worst = simplex[n];
      const centroid = new Array<number>(n).fill(0);
      for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) centroid[i] += simplex[j].x[i] / n;
      const along = (t: number): number[] => clamp(centroid.map((c, i) => c + t * (c - worst.x[i])), bounds);

      const reflected = evaluate(along(rho));
      let replacement: Vertex | undefined;
      if (reflected.f < simplex[0].f) {
        const expanded = evaluate(along(rho * chi));
        replacement = expanded.f < reflected.f ? expanded : reflected;
      } else if (reflected.f < simplex[n - 1].f) {
        replacement = reflected;
      } else if (reflected.f < worst.f) {
        const outside = evaluate(along(psi * rho));
        if (outside.f <= reflected.f) replacement = outside;
      } else {
        const inside = evaluate(along(-psi));
        if (inside.f < worst.f) replacement = inside;
      }

      if (replacement) {
        simplex[n] = replacement;
      } else {
        const anchor = simplex[0].x;
        for (let j = 1; j <= n; j++) simplex[j] = evaluate(clamp(anchor.map((a, i) => a + sigma * (simplex[j].x[i] - a)), bounds));
      }
      simplex.sort(byValue);
    }
  } catch (err) {
    if (!(err instanceof BudgetExhausted)) throw err;
    reason = err.reason;
  }
  return { x: best.x.slice(), fx: best.f, iterations, evaluations: budget.evaluations, converged: reason === 'converged', reason };
}

function hasConverged(simplex: Vertex[], fTol: number, xTol: number): boolean {
  const first = simplex[0];
  for (let j = 1; j < simplex.length; j++) {
    // An infinite spread (Infinity - Infinity is NaN) never counts as converged.
    if (!(Math.abs(simplex[j].f - first.f) <= fTol)) return false;
    for (let i = 0; i < first.x.length; i++) if (Math.abs(simplex[j].x[i] - first.x[i]) > xTol) return false;
  }
  return true;
}
