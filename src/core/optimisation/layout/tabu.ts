/**
 * Local search for the QAP on the swap neighbourhood, with the delta of every pair kept in a
 * matrix: after a swap (r, s) the delta of a pair not touching r or s is updated in O(1)
 * (Taillard 1991), the 2n pairs touching them recomputed in O(n), so an iteration costs O(n²).
 *
 * - `RobustTabuSearch`: Taillard's robust tabu search (RoTS, 1991; the tenure and aspiration of his
 *   later reference code): the best non-tabu swap each iteration; moving unit i back to a location
 *   it left is tabu for ⌊u³·tenure⌋ iterations (u uniform, tenure 8n by default); a move is taken
 *   regardless when it beats the best cost of the run or puts a unit where it has not been for
 *   `aspiration` iterations (default 5n²). Resumable: run(iterations, deadline) can be called in
 *   slices, and the result does not depend on the slicing.
 * - `swapDescent`: steepest descent to a 2-swap local optimum (the plain local search).
 */
import type { SeededRandom } from '../../simulation/des/random';
import { qapCost, swapDelta, type QapInstance } from './qap';

export interface TabuOptions {
  /** Upper end of the random tenure ⌊u³·tenure⌋ (default 8n). */
  tenure?: number;
  /** Iterations after which a long-unused assignment is forced (default 5n²). */
  aspiration?: number;
}

export class RobustTabuSearch {
  readonly n: number;
  readonly p: Int32Array;
  cost = 0;
  readonly best: Int32Array;
  bestCost = Infinity;
  iteration = 0;
  private readonly delta: Float64Array;
  private readonly tabu: Float64Array;
  private readonly tenure: number;
  private readonly aspiration: number;
  private readonly A1: Float64Array;
  private readonly A2: Float64Array;
  private readonly B1: Float64Array;
  private readonly B2: Float64Array;

  constructor(
    private readonly inst: QapInstance,
    private readonly rng: SeededRandom,
    options: TabuOptions = {},
  ) {
    const n = inst.n;
    this.n = n;
    this.p = new Int32Array(n);
    this.best = new Int32Array(n);
    this.delta = new Float64Array(n * n);
    this.tabu = new Float64Array(n * n);
    this.tenure = options.tenure ?? 8 * n;
    this.aspiration = options.aspiration ?? 5 * n * n;
    this.A1 = new Float64Array(n);
    this.A2 = new Float64Array(n);
    this.B1 = new Float64Array(n);
    this.B2 = new Float64Array(n);
  }

  /** Starts a new search from p (copied); O(n³) for the delta matrix. */
  reset(p: ArrayLike<number>): void {
    const n = this.n;
    for (let i = 0; i < n; i++) this.p[i] = p[i];
    this.cost = qapCost(this.inst, this.p);
    this.best.set(this.p);
    this.bestCost = this.cost;
    this.iteration = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) this.tabu[i * n + j] = -(n * i + j);
    for (let i = 0; i < n - 1; i++) for (let j = i + 1; j < n; j++) this.delta[i * n + j] = swapDelta(this.inst, this.p, i, j);
  }

  /**
   * Runs up to `iterations` iterations, stopping early when performance.now() passes `deadline`
   * (checked every few iterations) or the best cost reaches `target`. Returns the iterations done.
   */
  run(iterations: number, deadline = Infinity, target = -Infinity): number {
    const n = this.n;
    if (n < 2) return 0;
    const { a, b } = this.inst;
    const p = this.p, delta = this.delta, tabu = this.tabu;
    const checkEvery = Math.max(1, Math.floor(20000 / (n * n)));
    let done = 0;
    while (done < iterations) {
      if (this.bestCost <= target) break;
      if (done % checkEvery === 0 && done > 0 && performance.now() >= deadline) break;
      const iter = ++this.iteration;
      done++;
      let ri = -1, rj = -1, minDelta = Infinity, alreadyAspired = false;
      const limit = iter - this.aspiration;
      const improving = this.bestCost - this.cost;
      for (let i = 0; i < n - 1; i++) {
        const ti = i * n, pi = p[i];
        for (let j = i + 1; j < n; j++) {
          const d = delta[ti + j];
          const t1 = tabu[ti + p[j]], t2 = tabu[j * n + pi];
          const authorised = t1 < iter || t2 < iter;
          const aspired = t1 < limit || t2 < limit || d < improving;
          if ((aspired && !alreadyAspired) || (aspired && alreadyAspired && d < minDelta) || (!aspired && !alreadyAspired && d < minDelta && authorised)) {
            ri = i;
            rj = j;
            minDelta = d;
            if (aspired) alreadyAspired = true;
          }
        }
      }
      if (ri < 0) continue; // every move tabu: wait for tenures to expire
      const tmp = p[ri];
      p[ri] = p[rj];
      p[rj] = tmp;
      this.cost += minDelta;
      const u1 = this.rng.next(), u2 = this.rng.next();
      tabu[ri * n + p[rj]] = iter + Math.floor(u1 * u1 * u1 * this.tenure);
      tabu[rj * n + p[ri]] = iter + Math.floor(u2 * u2 * u2 * this.tenure);
      if (this.cost < this.bestCost) {
        this.bestCost = this.cost;
        this.best.set(p);
      }
      // Delta update: O(1) for pairs away from the move (Taillard's formula, factored per index:
      // Δ'(i,j) = Δ(i,j) + (A1_i − A1_j)(B1_i − B1_j) + (A2_i − A2_j)(B2_i − B2_j)), O(n) for the
      // 2n pairs touching it.
      const r = ri, s = rj, pr = p[r], ps = p[s];
      const { A1, A2, B1, B2 } = this;
      for (let k = 0; k < n; k++) {
        const pk = p[k];
        A1[k] = a[r * n + k] - a[s * n + k];
        A2[k] = a[k * n + r] - a[k * n + s];
        B1[k] = b[ps * n + pk] - b[pr * n + pk];
        B2[k] = b[pk * n + ps] - b[pk * n + pr];
      }
      for (let i = 0; i < n - 1; i++) {
        const row = i * n;
        if (i === r || i === s) {
          for (let j = i + 1; j < n; j++) delta[row + j] = swapDelta(this.inst, p, i, j);
          continue;
        }
        const a1 = A1[i], a2 = A2[i], b1 = B1[i], b2 = B2[i];
        for (let j = i + 1; j < n; j++) {
          if (j === r || j === s) delta[row + j] = swapDelta(this.inst, p, i, j);
          else delta[row + j] += (a1 - A1[j]) * (b1 - B1[j]) + (a2 - A2[j]) * (b2 - B2[j]);
        }
      }
    }
    return done;
  }
}

/**
 * Steepest descent on the swap neighbourhood from p (modified in place) to a 2-swap local optimum,
 * each move chosen with O(n) delta evaluations. Returns the final cost.
 */
export function swapDescent(inst: QapInstance, p: Int32Array | number[], maxMoves = Infinity): number {
  const n = inst.n;
  let cost = qapCost(inst, p);
  for (let moves = 0; moves < maxMoves; moves++) {
    let best = 0, bi = -1, bj = -1;
    for (let i = 0; i < n - 1; i++) {
      for (let j = i + 1; j < n; j++) {
        const d = swapDelta(inst, p, i, j);
        if (d < best) {
          best = d;
          bi = i;
          bj = j;
        }
      }
    }
    if (bi < 0) break;
    const t = p[bi];
    p[bi] = p[bj];
    p[bj] = t;
    cost += best;
  }
  return cost;
}
