/**
 * Constructive heuristics and the iterated greedy of Ruiz & Stützle (2007) over job permutations:
 * destruction of d random jobs, NEH-style greedy reinsertion (each job at the position that
 * decodes best), iterative-improvement local search in the insertion neighbourhood, and a
 * simulated-annealing-like acceptance at constant temperature T = Tp · (mean processing time) / 10
 * (scaled to the objective). Deterministic for a seed, given the same stopping point.
 */
import type { SeededRandom } from '../../simulation/des/random';
import type { ObjectiveWeights } from '../jobshop/validate';
import { Decoder, type FlowInstance } from './instance';
import type { FlowShopStopReason } from './types';

/** Polled while the search works; true = stop. */
export type StopCheck = () => boolean;

/**
 * Inserts `job` into `seq[0..len)` at the position whose decoded objective is smallest (first such
 * position), writing seq[0..len] in place. `keep` (a position, or -1) is evaluated first, so that
 * a search stopped mid-way never does worse than leaving the job where it was. Returns the value.
 */
export function insertBest(
  dec: Decoder,
  w: ObjectiveWeights,
  seq: Int32Array,
  len: number,
  job: number,
  buf: Int32Array,
  keep = -1,
  stop?: StopCheck,
): number {
  let bestPos = -1;
  let best = Infinity;
  if (keep >= 0) {
    for (let i = 0; i < keep; i++) buf[i] = seq[i];
    buf[keep] = job;
    for (let i = keep; i < len; i++) buf[i + 1] = seq[i];
    best = dec.decode(buf, len + 1, w);
    bestPos = keep;
  }
  // buf = [job, seq...]; moving the job one step right is a single swap.
  buf[0] = job;
  for (let i = 0; i < len; i++) buf[i + 1] = seq[i];
  for (let pos = 0; pos <= len; pos++) {
    if (pos > 0) {
      buf[pos - 1] = seq[pos - 1];
      buf[pos] = job;
    }
    if (pos === keep) continue;
    if (bestPos >= 0 && stop !== undefined && (pos & 15) === 0 && stop()) break;
    const v = dec.decode(buf, len + 1, w);
    if (v < best || (v === best && pos < bestPos)) {
      best = v;
      bestPos = pos;
    }
  }
  for (let i = len; i > bestPos; i--) seq[i] = seq[i - 1];
  seq[bestPos] = job;
  return best;
}

/**
 * NEH: jobs taken in `order`, each inserted at its best position in the partial sequence. When
 * `stop` fires, the remaining jobs are appended in `order` (the result stays a full permutation).
 */
export function neh(dec: Decoder, w: ObjectiveWeights, order: ArrayLike<number>, stop?: StopCheck): { seq: Int32Array; value: number } {
  const n = order.length;
  const seq = new Int32Array(n);
  const buf = new Int32Array(n);
  let len = 0;
  let value = Infinity;
  for (let i = 0; i < n; i++) {
    if (stop !== undefined && i > 1 && stop()) {
      for (; i < n; i++) seq[len++] = order[i];
      value = dec.decode(seq, len, w);
      break;
    }
    value = insertBest(dec, w, seq, len, order[i], buf, -1, stop);
    len++;
  }
  return { seq, value };
}

/**
 * Iterative improvement in the insertion neighbourhood: each job in a random order is removed and
 * reinserted at its best position, until a full pass brings no improvement. Returns the value.
 */
export function insertionLocalSearch(
  dec: Decoder,
  w: ObjectiveWeights,
  seq: Int32Array,
  value: number,
  rng: SeededRandom,
  buf: Int32Array,
  stop?: StopCheck,
): number {
  const n = seq.length;
  if (n < 2) return value;
  const jobs = Int32Array.from(seq);
  let improved = true;
  while (improved) {
    improved = false;
    shuffle(jobs, rng);
    for (let t = 0; t < n; t++) {
      if (stop !== undefined && stop()) return value;
      const job = jobs[t];
      const at = seq.indexOf(job);
      for (let i = at; i < n - 1; i++) seq[i] = seq[i + 1];
      const v = insertBest(dec, w, seq, n - 1, job, buf, at, stop);
      if (v < value) improved = true;
      value = v;
    }
  }
  return value;
}

function shuffle(a: Int32Array, rng: SeededRandom): void {
  for (let i = a.length - 1; i > 0; i--) {
    const k = Math.floor(rng.next() * (i + 1));
    const t = a[i];
    a[i] = a[k];
    a[k] = t;
  }
}

export interface IteratedGreedyOptions {
  objective: ObjectiveWeights;
  rng: SeededRandom;
  /** Jobs removed per destruction (capped at n − 1). */
  destruction: number;
  /** Ruiz & Stützle's Tp (0 = accept improvements and ties only). */
  temperature: number;
  maxIterations: number;
  /** Stop when the best value reaches this (a proven lower bound). */
  target: number;
  now: () => number;
  deadline: number;
  shouldStop?: () => boolean;
  /** Each new best: its value, the permutation (a live buffer: copy it) and the iteration. */
  onImprove?: (value: number, seq: Int32Array, iterations: number) => void;
  /** Each iterate (after destruction, reconstruction and local search): for tests and tracing. */
  onIterate?: (value: number, seq: Int32Array, iterations: number) => void;
}

export interface IteratedGreedyResult {
  best: Int32Array;
  value: number;
  iterations: number;
  /** now() when the best was found. */
  bestAt: number;
  stopReason: FlowShopStopReason;
}

export function iteratedGreedy(inst: FlowInstance, initial: Int32Array, opts: IteratedGreedyOptions): IteratedGreedyResult {
  const dec = new Decoder(inst);
  const w = opts.objective;
  const n = initial.length;
  const rng = opts.rng;
  let stopReason: FlowShopStopReason | undefined;
  let polls = 0;
  const stop: StopCheck = () => {
    if (stopReason !== undefined) return true;
    // The clock is read every few polls (a poll happens every 16 decodes at most).
    if ((polls++ & 3) === 0 || n > 200) {
      if (opts.now() >= opts.deadline) stopReason = 'timeLimit';
      else if (opts.shouldStop !== undefined && opts.shouldStop()) stopReason = 'cancelled';
    }
    return stopReason !== undefined;
  };
  const cur = Int32Array.from(initial);
  let curValue = dec.decode(cur, n, w);
  const best = Int32Array.from(cur);
  let bestValue = curValue;
  let bestAt = opts.now();
  let iterations = 0;
  const buf = new Int32Array(n);
  const trial = new Int32Array(n);
  if (bestValue <= opts.target) return { best, value: bestValue, iterations, bestAt, stopReason: 'optimal' };
  if (opts.maxIterations <= 0) return { best, value: bestValue, iterations, bestAt, stopReason: 'iterations' };
  if (n < 2) return { best, value: bestValue, iterations, bestAt, stopReason: 'optimal' };

  const improve = (value: number, seq: Int32Array): void => {
    if (!(value < bestValue)) return;
    best.set(seq);
    bestValue = value;
    bestAt = opts.now();
    if (opts.onImprove) opts.onImprove(value, seq, iterations);
  };
  // Temperature: Tp × Σp / (n · stages · 10), in objective units.
  let totalP = 0;
  for (let i = 0; i < inst.p.length; i++) totalP += inst.p[i];
  let meanWeight = 0;
  for (let j = 0; j < inst.nJobs; j++) meanWeight += inst.weight[j] / inst.nJobs;
  const objScale = w.makespan + w.tardiness + w.weightedTardiness * meanWeight;
  const T = (opts.temperature * totalP * objScale) / (inst.nJobs * inst.nStages * 10);
  const d = Math.min(opts.destruction, n - 1);

  curValue = insertionLocalSearch(dec, w, cur, curValue, rng, buf, stop);
  improve(curValue, cur);
  while (stopReason === undefined) {
    if (bestValue <= opts.target) {
      stopReason = 'optimal';
      break;
    }
    if (iterations >= opts.maxIterations) {
      stopReason = 'iterations';
      break;
    }
    if (stop()) break;
    iterations++;
    // Destruction.
    trial.set(cur);
    let len = n;
    const removed: number[] = [];
    for (let r = 0; r < d; r++) {
      const at = Math.floor(rng.next() * len);
      removed.push(trial[at]);
      for (let i = at; i < len - 1; i++) trial[i] = trial[i + 1];
      len--;
    }
    // Construction (always completes: a stopped insertion still places its job).
    let value = Infinity;
    for (const job of removed) {
      value = insertBest(dec, w, trial, len, job, buf, -1, stop);
      len++;
    }
    value = insertionLocalSearch(dec, w, trial, value, rng, buf, stop);
    if (opts.onIterate) opts.onIterate(value, trial, iterations);
    if (value < curValue) {
      cur.set(trial);
      curValue = value;
      improve(value, trial);
    } else if (value === curValue || (T > 0 && rng.next() < Math.exp(-(value - curValue) / T))) {
      cur.set(trial);
      curValue = value;
    }
  }
  return { best, value: bestValue, iterations, bestAt, stopReason: stopReason ?? 'timeLimit' };
}
