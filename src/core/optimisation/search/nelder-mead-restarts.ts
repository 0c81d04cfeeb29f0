/**
 * Nelder–Mead with restarts, wrapping the calibration one (`nelderMead`, which confirms a claimed
 * minimum by rebuilding its simplex there). The first local run starts at the start point (x0, the
 * variables' `initial`, or the middle of the box); each further one at a uniformly random point,
 * with initial steps of `stepFraction` of each relaxed range. Discrete variables are searched
 * continuously and rounded when evaluated.
 *
 * Slicing without losing determinism: `nelderMead` is synchronous, so a local run is paused by its
 * `shouldStop` when the slice is over, and resumed by running it again from the same start while
 * replaying the values it already received (a log, in call order): as Nelder–Mead is
 * deterministic, it retraces its path without evaluating anything and carries on where it
 * stopped. The replay costs only Nelder–Mead's arithmetic, and the result does not depend on how
 * the run was sliced.
 *
 * Constraints: Nelder–Mead only compares values, so Deb's rules are approximated by one scalar:
 * a feasible point scores its value, an infeasible one (the largest feasible value known when
 * the local run started, or 0) + 1 + its violation. The optimiser's best point uses Deb's rules.
 */
import { ConfigError } from '../../errors';
import { nelderMead } from '../../calibration/nelder-mead';
import { nonNegative, positiveInteger } from '../../calibration/common';
import type { Engine, EngineContext } from './engine';
import type { Individual } from './problem';

export interface NelderMeadRestartOptions {
  /** Initial simplex edge as a fraction of each variable's relaxed range (default 0.1). */
  stepFraction?: number;
  /** Most evaluations of one local run (default 1000·n). */
  evaluationsPerRun?: number;
  /** Most random restarts after the first local run (default: unlimited, until a limit). */
  restarts?: number;
  /** Nelder–Mead convergence on values (default 1e-10) and on coordinates (default 1e-8·range). */
  tolerance?: number;
  xTolerance?: number;
  /** Gao–Han adaptive coefficients for n >= 3 (default true for n >= 3). */
  adaptive?: boolean;
}

interface LocalRun {
  start: number[];
  log: number[];
  calls: number;
  offset: number;
}

export class NelderMeadRestarts implements Engine {
  readonly name = 'nelder-mead' as const;
  finished = false;
  restarts = 0;
  /** Finished local runs. */
  generations = 0;
  private current: LocalRun | undefined;
  private runs = 0;
  private held: Individual[] = [];
  private readonly steps: number[];
  private readonly perRun: number;
  private readonly maxRestarts: number;
  private readonly tolerance: number;
  private readonly xTolerance: number;
  private readonly adaptive: boolean;
  private restartFromBest = false;

  constructor(
    private readonly ctx: EngineContext,
    options: NelderMeadRestartOptions = {},
  ) {
    const space = ctx.space;
    const fraction = options.stepFraction ?? 0.1;
    if (typeof fraction !== 'number' || !(fraction > 0) || fraction > 1) throw new ConfigError('bad stepFraction', `nelderMead.stepFraction must be in (0, 1], got ${String(options.stepFraction)}`);
    const range = space.relaxedUpper.map((u, i) => u - space.relaxedLower[i]);
    this.steps = range.map((r) => (r > 0 ? fraction * r : 1e-9));
    this.perRun = positiveInteger('nelderMead.evaluationsPerRun', options.evaluationsPerRun, 1000 * space.dimension);
    this.maxRestarts = options.restarts === undefined ? Infinity : options.restarts === 0 ? 0 : positiveInteger('nelderMead.restarts', options.restarts, 1);
    this.tolerance = nonNegative('nelderMead.tolerance', options.tolerance, 1e-10);
    this.xTolerance = nonNegative('nelderMead.xTolerance', options.xTolerance, 1e-8 * Math.max(...range, 1e-300));
    this.adaptive = options.adaptive ?? space.dimension >= 3;
  }

  private newRun(): LocalRun {
    const space = this.ctx.space;
    let start: number[];
    const best = this.ctx.best();
    if (this.restartFromBest && best) start = best.x.slice();
    else if (this.runs === 0) start = this.ctx.start ?? space.snap(space.lower.map((l, i) => (l + space.upper[i]) / 2));
    else start = space.sample(this.ctx.rng);
    this.restartFromBest = false;
    let offset = 0;
    for (const ind of this.held) if (ind.violation === 0 && Number.isFinite(ind.value)) offset = Math.max(offset, ind.value);
    if (best && best.violation === 0 && Number.isFinite(best.value)) offset = Math.max(offset, best.value);
    this.runs++;
    return { start, log: [], calls: 0, offset };
  }

  run(): void {
    const ctx = this.ctx;
    const space = ctx.space;
    while (!this.finished) {
      if (!this.current) {
        if (ctx.mustPause()) return;
        this.current = this.newRun();
      }
      const local = this.current;
      local.calls = 0;
      const f = (x: number[]): number => {
        const k = local.calls++;
        if (k < local.log.length) return local.log[k];
        const ind = ctx.evaluate(x);
        this.held.push(ind);
        if (this.held.length > 2 * (space.dimension + 1)) this.held.shift();
        const v = ind.violation === 0 ? ind.value : local.offset + 1 + ind.violation;
        local.log.push(v);
        return v;
      };
      const result = nelderMead(f, local.start, {
        bounds: { min: space.relaxedLower.slice(), max: space.relaxedUpper.slice() },
        step: this.steps,
        maxEvaluations: this.perRun,
        maxIterations: 1e9,
        tolerance: this.tolerance,
        xTolerance: this.xTolerance,
        adaptive: this.adaptive,
        shouldStop: () => local.calls >= local.log.length && ctx.mustPause(),
      });
      if (result.reason === 'stopped') return;
      // The local run ended: converged (and confirmed), or its own evaluation budget spent.
      this.current = undefined;
      this.generations++;
      if (this.restarts >= this.maxRestarts) {
        this.finished = true;
        return;
      }
      this.restarts++;
    }
  }

  individuals(): Individual[] {
    return this.held;
  }

  rescored(): void {
    // The logged values are stale: abandon the local run and start the next one at the new best.
    this.current = undefined;
    this.restartFromBest = true;
  }

  status(): Record<string, number> {
    return { localRuns: this.runs, evaluationsInRun: this.current ? this.current.log.length : 0 };
  }
}
