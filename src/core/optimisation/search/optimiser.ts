/**
 * One interface over every search algorithm: `createOptimiser(problem, options)` returns an
 * optimiser that works in slices, `step(budgetMs)` doing as many evaluations as fit in the budget
 * (at least one), so a caller can keep Node-RED's event loop free (`run()` does that with
 * setImmediate between slices) or drive it from a worker.
 *
 * - Evaluations: every candidate is snapped onto the variables' grid; `problem.evaluate` (the
 *   expensive part) runs once per new point and is what `evaluations` counts. Identical points are
 *   served from an archive of evaluated points (`memoise`, default on; at most `archiveLimit`
 *   points, oldest dropped first).
 * - Limits: maxEvaluations (default 10,000), maxWallMs (wall time from the first step),
 *   maxIterations (generations), targetValue (single objective), shouldStop(), an AbortSignal or
 *   stop(); all are checked before every evaluation. A run also ends ('converged') when the
 *   algorithm has no work left (CMA-ES out of restarts) or proposed only already evaluated points
 *   `maxRepeats` times in a row (a small discrete space searched through). A partial generation is kept where the
 *   algorithm allows it (NSGA-II).
 * - Anytime: onImprovement(best, progress) when the best point improves (NSGA-II: when the front
 *   changed in a generation); onProgress(progress) after every generation (Nelder–Mead: every
 *   step) and at the end.
 * - Deterministic for a seed: the proposals depend on the seed and the values only, not on how the
 *   run is sliced (with wall-time limits, where it stops of course depends on the machine).
 * - Changing what is optimised while running: setObjective / setWeights / setConstraints re-score
 *   every stored point from its stored `evaluate` result (no simulation run; the cheap objective
 *   and constraint functions are called again), pick the best again, and tell the algorithm.
 * - best(): single-objective algorithms: the best point by Deb's rules on the weighted value;
 *   NSGA-II: a compromise point of the front, by the objectives' weights on the normalised front
 *   (`compromise`: 'weighted-sum', 'tchebycheff') or the knee ('knee'). front(): NSGA-II's
 *   feasible first front sorted by the first objective; the single-objective algorithms: [best].
 * - An exception from `evaluate` or an objective propagates out of step() (the candidate is
 *   tried again on the next step) unless `onEvaluationError: 'fail'`, which scores the point as
 *   failed (infeasible, violation +Infinity).
 */
import { ConfigError, InputError } from '../../errors';
import { nonNegative, positiveInteger, type BudgetOptions } from '../../calibration/common';
import { SeededRandom } from '../../simulation/des/random';
import { CmaEs, type CmaEsOptions } from './cmaes';
import type { AlgorithmName, Engine, EngineContext } from './engine';
import { MixedGa, type GaOptions } from './ga';
import { NelderMeadRestarts, type NelderMeadRestartOptions } from './nelder-mead-restarts';
import { Nsga2, type Nsga2Options } from './nsga2';
import { compromiseIndex, kneeIndex } from './pareto';
import {
  applyWeights,
  debCompare,
  normaliseConstraints,
  normaliseObjectives,
  Scorer,
  type ConstraintsInput,
  type Individual,
  type ObjectivesInput,
  type Problem,
  type Solution,
  type WeightsInput,
} from './problem';
import { VariableSpace, type Point } from './variables';

export type OptimiserStopReason = 'max-evaluations' | 'max-wall-time' | 'max-iterations' | 'stopped' | 'converged' | 'target-reached';
export type CompromiseChoice = 'weighted-sum' | 'tchebycheff' | 'knee';

export interface Progress {
  algorithm: AlgorithmName;
  /** Calls of the expensive evaluation (memo hits excluded). */
  evaluations: number;
  memoHits: number;
  /** Completed generations (Nelder–Mead: completed local runs). */
  generations: number;
  restarts: number;
  elapsedMs: number;
  done: boolean;
  reason: OptimiserStopReason | undefined;
  /** Weighted value of best() (undefined before the first evaluation). */
  bestValue: number | undefined;
  bestFeasible: boolean;
  frontSize: number;
  /** best() (or the front) changed during the last step. */
  improved: boolean;
  /** Algorithm state (step size, population size, …). */
  status: Record<string, number>;
}

export interface OptimiserResult {
  best: Solution | undefined;
  front: Solution[];
  progress: Progress;
}

export interface OptimiserOptions extends BudgetOptions {
  /** Default: 'nsga2' for several objectives, 'ga' with a discrete variable, else 'cmaes'. */
  algorithm?: AlgorithmName;
  /** Seed of every random choice (default 1). */
  seed?: number;
  signal?: AbortSignal;
  /** Stop when the best feasible weighted value is at or below this (single-objective algorithms). */
  targetValue?: number;
  /** Serve identical (snapped) points from the archive (default true). */
  memoise?: boolean;
  /** Most evaluated points kept for memo and re-scoring (default 10,000). */
  archiveLimit?: number;
  /**
   * Stop ('converged') after this many candidates in a row were all points evaluated before
   * (default 5,000): on a small discrete space the search has nothing new left to try.
   */
  maxRepeats?: number;
  /** A constraint g ≤ tolerance counts as met (default 0). */
  constraintTolerance?: number;
  weights?: WeightsInput;
  /** How NSGA-II's best() picks a point of the front (default 'weighted-sum'). */
  compromise?: CompromiseChoice;
  /** Start point (named values); default the variables' `initial` values where given. */
  x0?: Point;
  onEvaluationError?: 'throw' | 'fail';
  onImprovement?: (best: Solution, progress: Progress) => void;
  onProgress?: (progress: Progress) => void;
  cmaes?: CmaEsOptions;
  nelderMead?: NelderMeadRestartOptions;
  ga?: GaOptions;
  nsga2?: Nsga2Options;
}

export interface Optimiser {
  readonly algorithm: AlgorithmName;
  readonly done: boolean;
  readonly reason: OptimiserStopReason | undefined;
  readonly space: VariableSpace;
  /** Works for about budgetMs (default 10 ms; at least one evaluation) and reports progress. */
  step(budgetMs?: number): Progress;
  /** Steps in slices of sliceMs with setImmediate in between until done. */
  run(options?: { sliceMs?: number }): Promise<OptimiserResult>;
  /** Runs to the end synchronously. */
  runSync(): OptimiserResult;
  best(): Solution | undefined;
  front(): Solution[];
  progress(): Progress;
  /** Stops before the next evaluation (reason 'stopped'). */
  stop(): void;
  setObjective(objectives: ObjectivesInput): void;
  setWeights(weights: WeightsInput): void;
  setConstraints(constraints: ConstraintsInput): void;
}

const ALGORITHMS: AlgorithmName[] = ['cmaes', 'nelder-mead', 'ga', 'nsga2'];

class Driver implements Optimiser {
  readonly algorithm: AlgorithmName;
  readonly space: VariableSpace;
  private readonly scorer: Scorer;
  private readonly engine: Engine;
  private readonly rng: SeededRandom;
  private readonly archive = new Map<string, Individual>();
  private readonly memoise: boolean;
  private readonly archiveLimit: number;
  private readonly maxEvaluations: number;
  private readonly maxWallMs: number;
  private readonly maxGenerations: number;
  private readonly targetValue: number | undefined;
  private readonly compromise: CompromiseChoice;
  private readonly failOnError: boolean;
  private evaluations = 0;
  private memoHits = 0;
  private repeats = 0;
  private readonly maxRepeats: number;
  private generationCount = 0;
  private seq = 0;
  private startedAt: number | undefined;
  private finishedAt: number | undefined;
  private bestScalar: Individual | undefined;
  private pending: { candidates: number[][]; evaluated: Individual[] } | undefined;
  private isDone = false;
  private stopReason: OptimiserStopReason | undefined;
  private stopRequested = false;
  private deadline = Infinity;
  /** Candidates handled in this step, memo hits included. */
  private stepWork = 0;
  private improved = false;
  private frontSignature = '';
  private compromiseCache: { version: number; ind: Individual | undefined } | undefined;
  private version = 0;

  constructor(
    private readonly problem: Problem,
    private readonly options: OptimiserOptions,
  ) {
    if (problem === null || typeof problem !== 'object') throw new ConfigError('bad problem', 'the problem must be an object {variables, objectives, evaluate?, constraints?}');
    if (problem.evaluate !== undefined && typeof problem.evaluate !== 'function') throw new ConfigError('bad evaluate', 'problem.evaluate must be a function');
    if (options === null || typeof options !== 'object') throw new ConfigError('bad options', 'options must be an object');
    this.space = new VariableSpace(problem.variables);
    let objectives = normaliseObjectives(problem.objectives);
    if (options.weights !== undefined) objectives = applyWeights(objectives, options.weights, false);
    const tolerance = nonNegative('constraintTolerance', options.constraintTolerance, 0);
    this.scorer = new Scorer(this.space, objectives, normaliseConstraints(problem.constraints), tolerance);

    const algorithm = options.algorithm ?? (objectives.length > 1 ? 'nsga2' : this.space.steps.some((s) => s > 0) ? 'ga' : 'cmaes');
    if (!ALGORITHMS.includes(algorithm)) throw new ConfigError('bad algorithm', `algorithm must be one of ${ALGORITHMS.join(', ')}, got ${String(algorithm)}`);
    this.algorithm = algorithm;
    const seed = options.seed ?? 1;
    if (typeof seed !== 'number' || !Number.isFinite(seed)) throw new ConfigError('bad seed', `seed must be a finite number, got ${String(seed)}`);
    this.rng = new SeededRandom(seed);
    this.memoise = options.memoise ?? true;
    this.archiveLimit = options.archiveLimit === 0 ? 0 : positiveInteger('archiveLimit', options.archiveLimit, 10_000);
    this.maxEvaluations = positiveInteger('maxEvaluations', options.maxEvaluations, 10_000);
    this.maxRepeats = positiveInteger('maxRepeats', options.maxRepeats, 5_000);
    this.maxWallMs = nonNegative('maxWallMs', options.maxWallMs, Infinity);
    this.maxGenerations = positiveInteger('maxIterations', options.maxIterations, Number.MAX_SAFE_INTEGER);
    if (options.targetValue !== undefined && (typeof options.targetValue !== 'number' || Number.isNaN(options.targetValue))) throw new ConfigError('bad targetValue', 'targetValue must be a number');
    this.targetValue = options.targetValue;
    this.compromise = options.compromise ?? 'weighted-sum';
    if (!['weighted-sum', 'tchebycheff', 'knee'].includes(this.compromise)) throw new ConfigError('bad compromise', `compromise must be 'weighted-sum', 'tchebycheff' or 'knee', got ${String(options.compromise)}`);
    if (options.onEvaluationError !== undefined && options.onEvaluationError !== 'throw' && options.onEvaluationError !== 'fail') throw new ConfigError('bad onEvaluationError', "onEvaluationError must be 'throw' or 'fail'");
    this.failOnError = options.onEvaluationError === 'fail';
    for (const name of ['shouldStop', 'onImprovement', 'onProgress'] as const) {
      if (options[name] !== undefined && typeof options[name] !== 'function') throw new ConfigError(`bad ${name}`, `${name} must be a function`);
    }
    if (options.signal !== undefined && (options.signal === null || typeof options.signal !== 'object' || !('aborted' in options.signal))) throw new ConfigError('bad signal', 'signal must be an AbortSignal');

    const start = options.x0 !== undefined ? this.space.encode(options.x0) : this.space.hasInitial() ? this.space.initial() : undefined;
    const ctx: EngineContext = {
      space: this.space,
      rng: this.rng,
      start,
      evaluate: (x) => this.evaluate(x),
      mustPause: () => this.mustPause(),
      best: () => this.bestScalar,
      objectiveCount: () => this.scorer.objectives.length,
    };
    switch (algorithm) {
      case 'cmaes':
        this.engine = new CmaEs(ctx, options.cmaes);
        break;
      case 'nelder-mead':
        this.engine = new NelderMeadRestarts(ctx, options.nelderMead);
        break;
      case 'ga':
        this.engine = new MixedGa(ctx, options.ga);
        break;
      default:
        this.engine = new Nsga2(ctx, options.nsga2);
    }
  }

  get done(): boolean {
    return this.isDone;
  }

  get reason(): OptimiserStopReason | undefined {
    return this.stopReason;
  }

  private now(): number {
    return performance.now();
  }

  private evaluate(raw: readonly number[]): Individual {
    const x = this.space.snap(raw);
    const key = this.space.key(x);
    this.stepWork++;
    if (this.memoise) {
      const hit = this.archive.get(key);
      if (hit) {
        this.memoHits++;
        this.repeats++;
        return hit;
      }
    }
    Object.freeze(x);
    const point = Object.freeze(this.space.decode(x));
    const ind: Individual = { x, key, result: undefined, objectives: [], f: [], constraints: [], violation: 0, value: 0, failed: false, seq: 0 };
    this.evaluations++;
    this.repeats = 0;
    try {
      ind.result = this.problem.evaluate ? this.problem.evaluate(point, x) : undefined;
      this.scorer.score(ind, point);
    } catch (err) {
      if (!this.failOnError) {
        this.evaluations--;
        throw err;
      }
      ind.objectives = this.scorer.objectives.map(() => NaN);
      ind.constraints = this.scorer.constraints.map(() => NaN);
      this.scorer.derive(ind);
    }
    ind.seq = ++this.seq;
    if (this.archiveLimit > 0) {
      this.archive.delete(key);
      this.archive.set(key, ind);
      if (this.archive.size > this.archiveLimit) this.archive.delete(this.archive.keys().next().value as string);
    }
    if (!this.bestScalar || debCompare(ind, this.bestScalar) < 0) {
      this.bestScalar = ind;
      if (this.algorithm !== 'nsga2') {
        this.improved = true;
        if (this.options.onImprovement) this.options.onImprovement(this.scorer.solution(ind), this.progress());
      }
    }
    return ind;
  }

  private limitReached(): OptimiserStopReason | undefined {
    const o = this.options;
    if (this.stopRequested || (o.signal && o.signal.aborted) || (o.shouldStop && o.shouldStop())) return 'stopped';
    if (this.evaluations >= this.maxEvaluations) return 'max-evaluations';
    if (this.startedAt !== undefined && this.now() - this.startedAt >= this.maxWallMs) return 'max-wall-time';
    if (this.generations() >= this.maxGenerations) return 'max-iterations';
    if (this.repeats >= this.maxRepeats) return 'converged';
    if (this.targetValue !== undefined && this.bestScalar && this.bestScalar.violation === 0 && this.bestScalar.value <= this.targetValue) return 'target-reached';
    return undefined;
  }

  private mustPause(): boolean {
    if (this.isDone) return true;
    const reason = this.limitReached();
    if (reason) {
      this.finish(reason);
      return true;
    }
    return this.stepWork > 0 && this.now() >= this.deadline;
  }

  private generations(): number {
    return this.engine.generations ?? this.generationCount;
  }

  private finish(reason: OptimiserStopReason): void {
    if (this.isDone) return;
    this.isDone = true;
    this.stopReason = reason;
    this.finishedAt = this.now();
    if (this.pending && this.engine.acceptsPartial && this.pending.evaluated.length > 0 && this.engine.tell) {
      this.engine.tell(this.pending.evaluated);
      this.afterGeneration(false);
    }
    this.pending = undefined;
    if (this.options.onProgress) this.options.onProgress(this.progress());
  }

  private afterGeneration(report = true): void {
    this.compromiseCache = undefined;
    if (this.engine.front) {
      const signature = this.engine
        .front()
        .map((i) => i.key)
        .sort()
        .join('|');
      if (signature !== this.frontSignature) {
        this.frontSignature = signature;
        this.improved = true;
        const best = this.best();
        if (best && this.options.onImprovement) this.options.onImprovement(best, this.progress());
      }
    }
    if (report && this.options.onProgress) this.options.onProgress(this.progress());
  }

  step(budgetMs = 10): Progress {
    if (typeof budgetMs !== 'number' || Number.isNaN(budgetMs) || budgetMs < 0) throw new InputError('bad budget', `step(budgetMs) needs a number >= 0, got ${String(budgetMs)}`);
    this.improved = false;
    if (this.isDone) return this.progress();
    if (this.startedAt === undefined) this.startedAt = this.now();
    this.deadline = this.now() + budgetMs;
    this.stepWork = 0;
    if (this.engine.run) {
      if (!this.mustPause()) {
        this.engine.run();
        if (!this.isDone && this.engine.finished) this.finish('converged');
        if (!this.isDone) {
          const reason = this.limitReached();
          if (reason) this.finish(reason);
          else if (this.options.onProgress) this.options.onProgress(this.progress());
        }
      }
      return this.progress();
    }
    let work = 0;
    while (!this.isDone) {
      if (!this.pending) {
        if (this.engine.finished) {
          this.finish('converged');
          break;
        }
        const reason = this.limitReached();
        if (reason) {
          this.finish(reason);
          break;
        }
        if (work > 0 && this.now() >= this.deadline) break;
        this.pending = { candidates: this.engine.ask!(), evaluated: [] };
      }
      const p = this.pending;
      if (p.evaluated.length < p.candidates.length) {
        const reason = this.limitReached();
        if (reason) {
          this.finish(reason);
          break;
        }
        if (work > 0 && this.now() >= this.deadline) break;
        p.evaluated.push(this.evaluate(p.candidates[p.evaluated.length]));
        work++;
      }
      if (p.evaluated.length === p.candidates.length) {
        this.pending = undefined;
        this.engine.tell!(p.evaluated);
        this.generationCount++;
        this.afterGeneration();
      }
    }
    return this.progress();
  }

  async run(options: { sliceMs?: number } = {}): Promise<OptimiserResult> {
    const sliceMs = options.sliceMs ?? 10;
    if (typeof sliceMs !== 'number' || !(sliceMs >= 0)) throw new ConfigError('bad sliceMs', 'sliceMs must be a number >= 0');
    while (!this.isDone) {
      this.step(sliceMs);
      if (!this.isDone) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return this.result();
  }

  runSync(): OptimiserResult {
    while (!this.isDone) this.step(Infinity);
    return this.result();
  }

  private result(): OptimiserResult {
    return { best: this.best(), front: this.front(), progress: this.progress() };
  }

  stop(): void {
    this.stopRequested = true;
    if (!this.isDone && this.startedAt !== undefined && !this.pending) this.finish('stopped');
  }

  private bestIndividual(): Individual | undefined {
    if (this.algorithm !== 'nsga2' || !this.engine.front) return this.bestScalar;
    if (this.compromiseCache && this.compromiseCache.version === this.version) return this.compromiseCache.ind;
    const front = this.engine.front();
    let ind: Individual | undefined;
    if (front.length === 0) ind = this.bestScalar;
    else if (this.compromise === 'knee') ind = front[kneeIndex(front.map((i) => i.f))];
    else
      ind = front[
        compromiseIndex(
          front.map((i) => i.f),
          this.scorer.objectives.map((o) => o.weight),
          this.compromise,
        )
      ];
    this.compromiseCache = { version: this.version, ind };
    return ind;
  }

  best(): Solution | undefined {
    const ind = this.bestIndividual();
    return ind ? this.scorer.solution(ind) : undefined;
  }

  front(): Solution[] {
    if (this.engine.front) {
      return this.engine
        .front()
        .slice()
        .sort((a, b) => a.f[0] - b.f[0] || a.seq - b.seq)
        .map((i) => this.scorer.solution(i));
    }
    return this.bestScalar ? [this.scorer.solution(this.bestScalar)] : [];
  }

  progress(): Progress {
    const best = this.bestIndividual();
    const end = this.finishedAt ?? this.now();
    return {
      algorithm: this.algorithm,
      evaluations: this.evaluations,
      memoHits: this.memoHits,
      generations: this.generations(),
      restarts: this.engine.restarts,
      elapsedMs: this.startedAt === undefined ? 0 : end - this.startedAt,
      done: this.isDone,
      reason: this.stopReason,
      bestValue: best?.value,
      bestFeasible: best !== undefined && best.violation === 0,
      frontSize: this.engine.front ? this.engine.front().length : best ? 1 : 0,
      improved: this.improved,
      status: this.engine.status ? this.engine.status() : {},
    };
  }

  /** Re-scores every stored individual; `call` re-runs the objective/constraint functions. */
  private rescoreAll(call: boolean): void {
    const all = new Set<Individual>(this.archive.values());
    for (const ind of this.engine.individuals()) all.add(ind);
    if (this.pending) for (const ind of this.pending.evaluated) all.add(ind);
    if (this.bestScalar) all.add(this.bestScalar);
    for (const ind of all) {
      if (call) this.scorer.score(ind);
      else this.scorer.derive(ind);
    }
    let best: Individual | undefined;
    for (const ind of all) if (!best || debCompare(ind, best) < 0) best = ind;
    this.bestScalar = best;
    this.version++;
    this.compromiseCache = undefined;
    this.engine.rescored();
    this.frontSignature = '';
    this.improved = true;
  }

  private replace(apply: () => void, restore: () => void, what: string): void {
    apply();
    try {
      this.rescoreAll(true);
    } catch (err) {
      restore();
      this.rescoreAll(true);
      throw new InputError(`bad ${what}`, `the new ${what} failed on a stored point: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  setObjective(objectives: ObjectivesInput): void {
    const next = normaliseObjectives(objectives);
    const previous = this.scorer.objectives;
    this.replace(
      () => (this.scorer.objectives = next),
      () => (this.scorer.objectives = previous),
      'objective',
    );
  }

  setWeights(weights: WeightsInput): void {
    this.scorer.objectives = applyWeights(this.scorer.objectives, weights, true);
    this.rescoreAll(false);
  }

  setConstraints(constraints: ConstraintsInput): void {
    const next = normaliseConstraints(constraints);
    const previous = this.scorer.constraints;
    this.replace(
      () => (this.scorer.constraints = next),
      () => (this.scorer.constraints = previous),
      'constraints',
    );
  }
}

/** An optimiser for `problem`; nothing is evaluated until the first step(). */
export function createOptimiser<R = unknown>(problem: Problem<R>, options: OptimiserOptions = {}): Optimiser {
  return new Driver(problem as Problem, options);
}

/** Runs an optimiser to the end in slices (default 10 ms) and resolves with its result. */
export function optimise<R = unknown>(problem: Problem<R>, options: OptimiserOptions & { sliceMs?: number } = {}): Promise<OptimiserResult> {
  return createOptimiser(problem, options).run({ sliceMs: options.sliceMs });
}
