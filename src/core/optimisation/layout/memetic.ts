/**
 * Memetic algorithm for the QAP (a genetic algorithm whose every offspring is improved by local
 * search), step-wise so it can run in slices on Node-RED's event loop:
 *
 * 1. Population of `populationSize` (default 10) permutations: the start permutation if given,
 *    random ones otherwise, each improved by the local search.
 * 2. Each generation: two distinct random parents → crossover ('cycle' by default: every cycle of
 *    the two parents taken from either parent with probability ½, so each machine keeps a location
 *    one parent gave it; or 'order', OX) → if the child equals a parent, `mutationSwaps` random
 *    swaps → local search → it replaces the worst member when it is better and not already in the
 *    population.
 * 3. After `stagnation` generations without a new population best, every member but the best is
 *    replaced by a fresh random permutation (improved by local search) — a restart that keeps the
 *    best.
 *
 * Local search: robust tabu search for `localSearchIterations` iterations (default 'tabu',
 * layout/tabu.ts), or steepest 2-swap descent ('2-swap'). The run stops at maxWallMs, maxIterations
 * (local-search iterations in total), maxGenerations, targetCost, shouldStop() / an AbortSignal /
 * stop(). Deterministic for a seed unless a wall-time limit cuts it (slicing does not change it).
 */
import { ConfigError } from '../../errors';
import { nonNegative, positiveInteger } from '../../calibration/common';
import { SeededRandom } from '../../simulation/des/random';
import { checkPermutation, type QapInstance } from './qap';
import { RobustTabuSearch, swapDescent, type TabuOptions } from './tabu';

export interface QapSearchOptions {
  seed?: number;
  maxWallMs?: number;
  /** Local-search iterations in total (tabu iterations, or descent moves). */
  maxIterations?: number;
  /** Offspring produced. */
  maxGenerations?: number;
  /** Stop as soon as a permutation costs at most this (e.g. a known optimum). */
  targetCost?: number;
  shouldStop?: () => boolean;
  signal?: AbortSignal;
  populationSize?: number;
  localSearch?: 'tabu' | '2-swap';
  /** Tabu iterations per offspring (default 100·n). */
  localSearchIterations?: number;
  crossover?: 'cycle' | 'order';
  /** Random swaps applied to a child identical to a parent (default ⌈n/10⌉ + 1). */
  mutationSwaps?: number;
  /** Generations without a better population best before the population is renewed (default 30). */
  stagnation?: number;
  /** A start permutation (0-based, machine → location). */
  initial?: ArrayLike<number>;
  tabu?: TabuOptions;
  onImprovement?: (best: QapSolution, progress: QapProgress) => void;
  onProgress?: (progress: QapProgress) => void;
}

export interface QapSolution {
  permutation: number[];
  cost: number;
}

export type QapStopReason = 'max-wall-time' | 'max-iterations' | 'max-generations' | 'target-reached' | 'stopped';

export interface QapProgress {
  bestCost: number;
  generations: number;
  iterations: number;
  restarts: number;
  elapsedMs: number;
  done: boolean;
  reason: QapStopReason | undefined;
  improved: boolean;
}

interface Member {
  p: Int32Array;
  cost: number;
}

export interface QapSearch {
  readonly done: boolean;
  readonly reason: QapStopReason | undefined;
  step(budgetMs?: number): QapProgress;
  run(options?: { sliceMs?: number }): Promise<QapSolution>;
  runSync(): QapSolution;
  best(): QapSolution | undefined;
  progress(): QapProgress;
  stop(): void;
}

function randomPermutation(n: number, rng: SeededRandom): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

/** Cycle crossover with each cycle from either parent (probability ½). */
export function cycleCrossover(p1: ArrayLike<number>, p2: ArrayLike<number>, rng: SeededRandom): Int32Array {
  const n = p1.length;
  const child = new Int32Array(n).fill(-1);
  const where1 = new Int32Array(n);
  for (let i = 0; i < n; i++) where1[p1[i]] = i;
  for (let start = 0; start < n; start++) {
    if (child[start] !== -1) continue;
    const fromFirst = rng.next() < 0.5;
    let i = start;
    do {
      child[i] = fromFirst ? p1[i] : p2[i];
      i = where1[p2[i]];
    } while (i !== start);
  }
  return child;
}

/** Order crossover (OX): a slice of p1 kept in place, the rest in p2's order. */
export function orderCrossover(p1: ArrayLike<number>, p2: ArrayLike<number>, rng: SeededRandom): Int32Array {
  const n = p1.length;
  let lo = Math.floor(rng.next() * n), hi = Math.floor(rng.next() * n);
  if (lo > hi) [lo, hi] = [hi, lo];
  const child = new Int32Array(n).fill(-1);
  const used = new Uint8Array(n);
  for (let i = lo; i <= hi; i++) {
    child[i] = p1[i];
    used[p1[i]] = 1;
  }
  let k = (hi + 1) % n;
  for (let t = 0; t < n; t++) {
    const v = p2[(hi + 1 + t) % n];
    if (used[v]) continue;
    child[k] = v;
    used[v] = 1;
    k = (k + 1) % n;
  }
  return child;
}

const same = (a: Int32Array, b: Int32Array): boolean => {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
};

class MemeticSearch implements QapSearch {
  private readonly n: number;
  private readonly rng: SeededRandom;
  private readonly tabu: RobustTabuSearch;
  private readonly size: number;
  private readonly lsIterations: number;
  private readonly useTabu: boolean;
  private readonly crossover: 'cycle' | 'order';
  private readonly mutationSwaps: number;
  private readonly stagnation: number;
  private readonly maxWallMs: number;
  private readonly maxIterations: number;
  private readonly maxGenerations: number;
  private readonly targetCost: number;
  private population: Member[] = [];
  /** Permutations waiting to be improved into the population (initial build / renewal). */
  private queue: Int32Array[] = [];
  private child: { remaining: number; kind: 'member' | 'offspring'; start: Int32Array; cost: number } | undefined;
  private bestMember: Member | undefined;
  private popBest = Infinity;
  private sinceBetter = 0;
  private generations = 0;
  private iterations = 0;
  private restarts = 0;
  private startedAt: number | undefined;
  private finishedAt: number | undefined;
  private isDone = false;
  private stopReason: QapStopReason | undefined;
  private stopRequested = false;
  private improved = false;

  constructor(
    private readonly inst: QapInstance,
    private readonly options: QapSearchOptions,
  ) {
    if (!inst || !Number.isInteger(inst.n) || inst.n < 1 || !(inst.a instanceof Float64Array) || !(inst.b instanceof Float64Array) || inst.a.length !== inst.n * inst.n || inst.b.length !== inst.n * inst.n) {
      throw new ConfigError('bad instance', 'expected a QAP instance {n, a, b} (use qapInstance or parseQaplibDat)');
    }
    const n = inst.n;
    this.n = n;
    const seed = options.seed ?? 1;
    if (typeof seed !== 'number' || !Number.isFinite(seed)) throw new ConfigError('bad seed', 'seed must be a finite number');
    this.rng = new SeededRandom(seed);
    this.tabu = new RobustTabuSearch(inst, this.rng, options.tabu);
    this.size = positiveInteger('populationSize', options.populationSize, 10);
    this.lsIterations = positiveInteger('localSearchIterations', options.localSearchIterations, 100 * n);
    if (options.localSearch !== undefined && options.localSearch !== 'tabu' && options.localSearch !== '2-swap') throw new ConfigError('bad localSearch', "localSearch must be 'tabu' or '2-swap'");
    this.useTabu = options.localSearch !== '2-swap';
    if (options.crossover !== undefined && options.crossover !== 'cycle' && options.crossover !== 'order') throw new ConfigError('bad crossover', "crossover must be 'cycle' or 'order'");
    this.crossover = options.crossover ?? 'cycle';
    this.mutationSwaps = positiveInteger('mutationSwaps', options.mutationSwaps, Math.ceil(n / 10) + 1);
    this.stagnation = positiveInteger('stagnation', options.stagnation, 30);
    this.maxWallMs = nonNegative('maxWallMs', options.maxWallMs, Infinity);
    this.maxIterations = positiveInteger('maxIterations', options.maxIterations, Number.MAX_SAFE_INTEGER);
    this.maxGenerations = positiveInteger('maxGenerations', options.maxGenerations, Number.MAX_SAFE_INTEGER);
    if (options.targetCost !== undefined && (typeof options.targetCost !== 'number' || Number.isNaN(options.targetCost))) throw new ConfigError('bad targetCost', 'targetCost must be a number');
    this.targetCost = options.targetCost ?? -Infinity;
    for (const name of ['shouldStop', 'onImprovement', 'onProgress'] as const) {
      if (options[name] !== undefined && typeof options[name] !== 'function') throw new ConfigError(`bad ${name}`, `${name} must be a function`);
    }
    if (options.initial !== undefined) {
      checkPermutation(options.initial, n);
      this.queue.push(Int32Array.from(options.initial));
    }
    while (this.queue.length < this.size) this.queue.push(randomPermutation(n, this.rng));
  }

  get done(): boolean {
    return this.isDone;
  }

  get reason(): QapStopReason | undefined {
    return this.stopReason;
  }

  private limit(): QapStopReason | undefined {
    const o = this.options;
    if (this.stopRequested || (o.signal && o.signal.aborted) || (o.shouldStop && o.shouldStop())) return 'stopped';
    if (this.bestMember && this.bestMember.cost <= this.targetCost) return 'target-reached';
    if (this.startedAt !== undefined && performance.now() - this.startedAt >= this.maxWallMs) return 'max-wall-time';
    if (this.iterations >= this.maxIterations) return 'max-iterations';
    if (this.generations >= this.maxGenerations) return 'max-generations';
    return undefined;
  }

  private finish(reason: QapStopReason): void {
    this.isDone = true;
    this.stopReason = reason;
    this.finishedAt = performance.now();
    if (this.options.onProgress) this.options.onProgress(this.progress());
  }

  private offer(p: Int32Array, cost: number): void {
    if (!this.bestMember || cost < this.bestMember.cost) {
      this.bestMember = { p: p.slice(), cost };
      this.improved = true;
      if (this.options.onImprovement) this.options.onImprovement(this.best()!, this.progress());
    }
  }

  /** Starts the local search of the next permutation (queued member or a new offspring). */
  private nextChild(): void {
    const n = this.n;
    let start: Int32Array;
    let kind: 'member' | 'offspring';
    if (this.queue.length > 0) {
      start = this.queue.shift()!;
      kind = 'member';
    } else {
      const pop = this.population;
      const i = Math.floor(this.rng.next() * pop.length);
      let j = Math.floor(this.rng.next() * (pop.length - 1));
      if (j >= i) j++;
      const a = pop[i].p, b = pop[Math.min(j, pop.length - 1)].p;
      start = this.crossover === 'cycle' ? cycleCrossover(a, b, this.rng) : orderCrossover(a, b, this.rng);
      if (same(start, a) || same(start, b)) {
        for (let k = 0; k < this.mutationSwaps; k++) {
          const r = Math.floor(this.rng.next() * n), s = Math.floor(this.rng.next() * n);
          const t = start[r];
          start[r] = start[s];
          start[s] = t;
        }
      }
      kind = 'offspring';
    }
    if (this.useTabu) this.tabu.reset(start);
    this.child = { remaining: this.useTabu ? this.lsIterations : 1, kind, start, cost: Infinity };
  }

  private finishChild(): void {
    const child = this.child!;
    const kind = child.kind;
    this.child = undefined;
    const m: Member = this.useTabu ? { p: this.tabu.best.slice(), cost: this.tabu.bestCost } : { p: child.start, cost: child.cost };
    this.offer(m.p, m.cost);
    if (kind === 'member') {
      this.population.push(m);
    } else {
      this.generations++;
      let worst = 0;
      for (let i = 1; i < this.population.length; i++) if (this.population[i].cost > this.population[worst].cost) worst = i;
      if (m.cost < this.population[worst].cost && !this.population.some((x) => x.cost === m.cost && same(x.p, m.p))) this.population[worst] = m;
    }
    if (this.queue.length > 0) return;
    const popBest = Math.min(...this.population.map((x) => x.cost));
    if (popBest < this.popBest) {
      this.popBest = popBest;
      this.sinceBetter = 0;
    } else if (kind === 'offspring' && ++this.sinceBetter >= this.stagnation) {
      // Renew the population around its best member.
      const keep = this.population.reduce((x, y) => (y.cost < x.cost ? y : x));
      this.population = [keep];
      for (let k = 1; k < this.size; k++) this.queue.push(randomPermutation(this.n, this.rng));
      this.sinceBetter = 0;
      this.restarts++;
    }
    if (this.options.onProgress && kind === 'offspring') this.options.onProgress(this.progress());
  }

  step(budgetMs = 10): QapProgress {
    this.improved = false;
    if (this.isDone) return this.progress();
    if (this.startedAt === undefined) this.startedAt = performance.now();
    const deadline = performance.now() + budgetMs;
    let worked = false;
    while (!this.isDone) {
      const reason = this.limit();
      if (reason) {
        this.finish(reason);
        break;
      }
      if (worked && performance.now() >= deadline) break;
      if (!this.child) {
        this.nextChild();
      }
      const child = this.child!;
      let ran: number;
      if (this.useTabu) {
        const allowed = Math.min(child.remaining, this.maxIterations - this.iterations);
        ran = this.tabu.run(allowed, Math.min(deadline, this.startedAt + this.maxWallMs), this.targetCost);
        child.remaining -= ran;
        if (this.tabu.bestCost <= this.targetCost) child.remaining = 0;
      } else {
        const p = child.start;
        child.cost = swapDescent(this.inst, p);
        ran = 1;
        child.remaining = 0;
      }
      this.iterations += ran;
      worked = true;
      if (child.remaining <= 0) this.finishChild();
    }
    return this.progress();
  }

  async run(options: { sliceMs?: number } = {}): Promise<QapSolution> {
    const sliceMs = options.sliceMs ?? 10;
    while (!this.isDone) {
      this.step(sliceMs);
      if (!this.isDone) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return this.best()!;
  }

  runSync(): QapSolution {
    if (this.maxWallMs === Infinity && this.maxIterations === Number.MAX_SAFE_INTEGER && this.maxGenerations === Number.MAX_SAFE_INTEGER && this.targetCost === -Infinity && !this.options.shouldStop && !this.options.signal) {
      throw new ConfigError('no limit', 'runSync needs maxWallMs, maxIterations, maxGenerations, targetCost or shouldStop');
    }
    while (!this.isDone) this.step(Infinity);
    return this.best()!;
  }

  best(): QapSolution | undefined {
    return this.bestMember ? { permutation: Array.from(this.bestMember.p), cost: this.bestMember.cost } : undefined;
  }

  progress(): QapProgress {
    return {
      bestCost: this.bestMember ? this.bestMember.cost : Infinity,
      generations: this.generations,
      iterations: this.iterations,
      restarts: this.restarts,
      elapsedMs: this.startedAt === undefined ? 0 : (this.finishedAt ?? performance.now()) - this.startedAt,
      done: this.isDone,
      reason: this.stopReason,
      improved: this.improved,
    };
  }

  stop(): void {
    this.stopRequested = true;
  }
}

/** A memetic search (GA + local search) for a QAP instance; nothing runs until step(). */
export function createQapSearch(inst: QapInstance, options: QapSearchOptions = {}): QapSearch {
  return new MemeticSearch(inst, options);
}
