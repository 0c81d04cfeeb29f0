/**
 * Pareto tools on objective vectors that are all minimised: dominance, the fast non-dominated sort
 * and crowding distance of NSGA-II (Deb et al. 2002), the hypervolume (exact; 2 objectives by a
 * sweep, 3 and more by slicing along the last objective, HSO), and the choice of one compromise
 * point on a front: by weights on the front normalised to its ideal and nadir (weighted sum or
 * Tchebycheff), or the knee (largest distance below the hyperplane through the extreme points).
 */
import { InputError } from '../../errors';
import { solveLinearSystem } from '../../calibration/linear-solve';

/** a dominates b: no worse in every objective and better in one. */
export function dominates(a: readonly number[], b: readonly number[]): boolean {
  let better = false;
  for (let k = 0; k < a.length; k++) {
    if (a[k] > b[k]) return false;
    if (a[k] < b[k]) better = true;
  }
  return better;
}

/**
 * Constrained domination (Deb 2002): feasible beats infeasible, the smaller violation beats the
 * larger, two feasible points by Pareto dominance.
 */
export function constrainedDominates(a: readonly number[], av: number, b: readonly number[], bv: number): boolean {
  if (av === 0 && bv === 0) return dominates(a, b);
  if (av === 0) return true;
  if (bv === 0) return false;
  return av < bv;
}

/**
 * Fast non-dominated sort: the fronts as lists of indices into `points`, best first. With
 * `violations`, constrained domination is used.
 */
export function nonDominatedSort(points: readonly (readonly number[])[], violations?: readonly number[]): number[][] {
  const n = points.length;
  const dominatedBy = new Int32Array(n);
  const dominatesList: number[][] = Array.from({ length: n }, () => []);
  const fronts: number[][] = [[]];
  const v = (i: number): number => (violations ? violations[i] : 0);
  for (let p = 0; p < n; p++) {
    for (let q = p + 1; q < n; q++) {
      if (constrainedDominates(points[p], v(p), points[q], v(q))) {
        dominatesList[p].push(q);
        dominatedBy[q]++;
      } else if (constrainedDominates(points[q], v(q), points[p], v(p))) {
        dominatesList[q].push(p);
        dominatedBy[p]++;
      }
    }
  }
  for (let p = 0; p < n; p++) if (dominatedBy[p] === 0) fronts[0].push(p);
  let i = 0;
  while (fronts[i].length > 0) {
    const next: number[] = [];
    for (const p of fronts[i]) {
      for (const q of dominatesList[p]) {
        if (--dominatedBy[q] === 0) next.push(q);
      }
    }
    i++;
    fronts.push(next);
  }
  fronts.pop();
  return fronts;
}

/** Indices of the non-dominated points (duplicates of a non-dominated point are all kept). */
export function paretoFilter(points: readonly (readonly number[])[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < points.length; i++) {
    let dominated = false;
    for (let j = 0; j < points.length && !dominated; j++) if (j !== i && dominates(points[j], points[i])) dominated = true;
    if (!dominated) out.push(i);
  }
  return out;
}

/**
 * Crowding distance of each member of `front` (indices into `points`), in the order of `front`.
 * Boundary points get Infinity; an objective with no spread (or a non-finite one) adds nothing.
 */
export function crowdingDistance(points: readonly (readonly number[])[], front: readonly number[]): number[] {
  const size = front.length;
  const d = new Array<number>(size).fill(0);
  if (size <= 2) return d.fill(Infinity);
  const m = points[front[0]].length;
  const order = front.map((_, i) => i);
  for (let k = 0; k < m; k++) {
    order.sort((a, b) => points[front[a]][k] - points[front[b]][k] || a - b);
    const lo = points[front[order[0]]][k], hi = points[front[order[size - 1]]][k];
    d[order[0]] = Infinity;
    d[order[size - 1]] = Infinity;
    const range = hi - lo;
    if (!(range > 0) || !Number.isFinite(range)) continue;
    for (let i = 1; i < size - 1; i++) {
      const gap = (points[front[order[i + 1]]][k] - points[front[order[i - 1]]][k]) / range;
      if (Number.isFinite(gap)) d[order[i]] += gap;
    }
  }
  return d;
}

function checkReference(points: readonly (readonly number[])[], reference: readonly number[]): void {
  if (!Array.isArray(reference) || reference.length === 0 || reference.some((r) => typeof r !== 'number' || Number.isNaN(r))) {
    throw new InputError('bad reference', 'the reference point must be a non-empty list of numbers');
  }
  points.forEach((p, i) => {
    if (!Array.isArray(p) || p.length !== reference.length) throw new InputError('bad point', `point ${i} must have ${reference.length} objective values`);
    if (p.some((v) => typeof v !== 'number' || Number.isNaN(v))) throw new InputError('bad point', `point ${i} has a value that is not a number`);
  });
}

function hv2(points: number[][], r0: number, r1: number): number {
  const pts = points.slice().sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let hv = 0;
  let lastY = r1;
  for (const p of pts) {
    if (p[1] < lastY) {
      hv += (r0 - p[0]) * (lastY - p[1]);
      lastY = p[1];
    }
  }
  return hv;
}

function hvRecursive(points: number[][], reference: readonly number[]): number {
  const m = reference.length;
  if (points.length === 0) return 0;
  if (m === 1) return reference[0] - Math.min(...points.map((p) => p[0]));
  if (m === 2) return hv2(points, reference[0], reference[1]);
  const last = m - 1;
  const sorted = points.slice().sort((a, b) => a[last] - b[last]);
  const sub = reference.slice(0, last);
  let hv = 0;
  const active: number[][] = [];
  for (let i = 0; i < sorted.length; i++) {
    active.push(sorted[i].slice(0, last));
    const top = i + 1 < sorted.length ? sorted[i + 1][last] : reference[last];
    const depth = top - sorted[i][last];
    if (depth > 0) hv += depth * hvRecursive(sub.length === 2 ? active : nonDominatedOnly(active), sub);
  }
  return hv;
}

function nonDominatedOnly(points: number[][]): number[][] {
  return paretoFilter(points).map((i) => points[i]);
}

/**
 * Hypervolume dominated by `points` (minimised) and bounded by `reference`. Points that do not
 * strictly dominate the reference in every objective add nothing. Exact for any number of
 * objectives (O(n log n) for 2, O(n² log n) for 3; slicing gets slow beyond 4–5 objectives).
 */
export function hypervolume(points: readonly (readonly number[])[], reference: readonly number[]): number {
  checkReference(points, reference);
  const inside = points.filter((p) => p.every((v, k) => v < reference[k])).map((p) => p.slice());
  return hvRecursive(inside, reference);
}

/** Ideal (minimum) and nadir (maximum) of a set of points, per objective. */
export function idealNadir(points: readonly (readonly number[])[]): { ideal: number[]; nadir: number[] } {
  const m = points[0].length;
  const ideal = new Array<number>(m).fill(Infinity), nadir = new Array<number>(m).fill(-Infinity);
  for (const p of points) {
    for (let k = 0; k < m; k++) {
      if (p[k] < ideal[k]) ideal[k] = p[k];
      if (p[k] > nadir[k]) nadir[k] = p[k];
    }
  }
  return { ideal, nadir };
}

/** Points scaled to [0, 1] per objective by the set's ideal and nadir (no spread → 0). */
export function normalise(points: readonly (readonly number[])[]): number[][] {
  if (points.length === 0) return [];
  const { ideal, nadir } = idealNadir(points);
  return points.map((p) => p.map((v, k) => (nadir[k] > ideal[k] ? (v - ideal[k]) / (nadir[k] - ideal[k]) : 0)));
}

function checkFront(points: readonly (readonly number[])[]): void {
  if (!Array.isArray(points) || points.length === 0) throw new InputError('empty front', 'the front has no points');
  const m = points[0]?.length;
  points.forEach((p, i) => {
    if (!Array.isArray(p) || p.length !== m || p.some((v) => typeof v !== 'number' || !Number.isFinite(v))) {
      throw new InputError('bad point', `front point ${i} must be ${m} finite numbers`);
    }
  });
}

export type CompromiseMethod = 'weighted-sum' | 'tchebycheff';

/**
 * Index of the point of `points` (a front, minimised) chosen by `weights` (≥ 0, any sum) on the
 * front normalised to [0, 1]: smallest Σ w_k f̂_k ('weighted-sum') or smallest max_k w_k f̂_k
 * ('tchebycheff', ties broken by the weighted sum). Ties go to the first point.
 */
export function compromiseIndex(points: readonly (readonly number[])[], weights: readonly number[], method: CompromiseMethod = 'weighted-sum'): number {
  checkFront(points);
  const m = points[0].length;
  if (!Array.isArray(weights) || weights.length !== m || weights.some((w) => typeof w !== 'number' || !(w >= 0) || !Number.isFinite(w))) {
    throw new InputError('bad weights', `expected ${m} finite weights >= 0`);
  }
  const total = weights.reduce((s, w) => s + w, 0);
  if (!(total > 0)) throw new InputError('bad weights', 'at least one weight must be > 0');
  const w = weights.map((v) => v / total);
  const norm = normalise(points);
  let best = 0, bestScore = Infinity, bestTie = Infinity;
  norm.forEach((p, i) => {
    let sum = 0, max = -Infinity;
    for (let k = 0; k < m; k++) {
      sum += w[k] * p[k];
      max = Math.max(max, w[k] * p[k]);
    }
    const score = method === 'tchebycheff' ? max : sum;
    const tie = method === 'tchebycheff' ? sum : 0;
    if (score < bestScore - 1e-12 || (Math.abs(score - bestScore) <= 1e-12 && tie < bestTie - 1e-12)) {
      best = i;
      bestScore = score;
      bestTie = tie;
    }
  });
  return best;
}

/**
 * Index of the knee of a front (minimised): on the front normalised to [0, 1], the point farthest
 * below the hyperplane through the extreme points (for 2 objectives the line through the two ends).
 * When the extremes do not span a hyperplane (duplicates) the plane Σ f̂ = 1 is used. On a concave
 * front no point lies below the plane and an extreme point (distance 0) comes out.
 */
export function kneeIndex(points: readonly (readonly number[])[]): number {
  checkFront(points);
  if (points.length <= 2) return 0;
  const m = points[0].length;
  const norm = normalise(points);
  const extremes: number[][] = [];
  for (let k = 0; k < m; k++) {
    let e = 0;
    for (let i = 1; i < norm.length; i++) {
      const a = norm[i], b = norm[e];
      const sa = a.reduce((s, v) => s + v, 0), sb = b.reduce((s, v) => s + v, 0);
      if (a[k] < b[k] || (a[k] === b[k] && sa < sb)) e = i;
    }
    extremes.push(norm[e]);
  }
  let normal = solveLinearSystem(extremes, new Array<number>(m).fill(1));
  if (!normal || normal.some((v) => !Number.isFinite(v))) normal = new Array<number>(m).fill(1);
  const length = Math.hypot(...normal);
  let best = 0, bestDistance = -Infinity;
  norm.forEach((p, i) => {
    let dot = 0;
    for (let k = 0; k < m; k++) dot += normal![k] * p[k];
    const distance = (1 - dot) / length;
    if (distance > bestDistance + 1e-12) {
      best = i;
      bestDistance = distance;
    }
  });
  return best;
}
