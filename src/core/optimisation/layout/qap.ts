/**
 * The quadratic assignment problem (QAP) behind facility layout on a grid of locations: n machines,
 * n locations, flows between machines and distances between locations; place machine i at
 * location p[i] so that the flow-weighted transport distance Σ_ij flow[i][j]·dist[p[i]][p[j]] is
 * smallest.
 *
 * The core works on QAPLIB's form: two n×n matrices a and b and cost(p) = Σ_ij a[i][j]·b[p[i]][p[j]]
 * (0-based here). For a layout a = flow, b = distance and p maps machine → location. A QAPLIB
 * `.dat` file holds n, then A, then B; which one is the flow is not fixed by the format (in the
 * nug/sko/tho/kra files shipped with this project A is the distance matrix and B the flow, for
 * tai*a both are random), and it does not matter: the optimum cost is the same either way round,
 * and `parseQaplibDat` keeps the file's order (a = A, b = B) so a `.sln` permutation scores as
 * stated (some `.sln` files store the inverse permutation; see `qaplibSolutionCost`).
 *
 * Swap moves are evaluated in O(n) (`swapDelta`, Taillard's formula for general, possibly
 * asymmetric matrices with any diagonal); the tabu search keeps the whole delta matrix and updates
 * it in O(1) per pair not touched by the move (layout/tabu.ts).
 */
import { ConfigError, InputError, describeValue } from '../../errors';

export interface QapInstance {
  n: number;
  /** Row-major n×n (the flow matrix of a layout). */
  a: Float64Array;
  /** Row-major n×n (the distance matrix of a layout). */
  b: Float64Array;
  name?: string;
}

function matrix(rows: unknown, n: number | undefined, what: string): { n: number; data: Float64Array } {
  if (!Array.isArray(rows) || rows.length === 0) throw new ConfigError(`bad ${what}`, `${what} must be a non-empty square matrix (list of rows)`);
  const size = n ?? rows.length;
  if (rows.length !== size) throw new ConfigError(`bad ${what}`, `${what} has ${rows.length} rows, expected ${size}`);
  const data = new Float64Array(size * size);
  rows.forEach((row, i) => {
    if (!Array.isArray(row) || row.length !== size) throw new ConfigError(`bad ${what}`, `${what} row ${i} must have ${size} numbers`);
    row.forEach((v, j) => {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new ConfigError(`bad ${what}`, `${what}[${i}][${j}] = ${describeValue(v)} is not a finite number`);
      data[i * size + j] = v;
    });
  });
  return { n: size, data };
}

/** An instance from two square matrices of the same size (checked). */
export function qapInstance(a: number[][], b: number[][], name?: string): QapInstance {
  const A = matrix(a, undefined, 'matrix a');
  const B = matrix(b, A.n, 'matrix b');
  return { n: A.n, a: A.data, b: B.data, name };
}

/** Throws InputError unless p is a permutation of 0 … n−1. */
export function checkPermutation(p: ArrayLike<number>, n: number): void {
  if (!p || typeof p.length !== 'number' || p.length !== n) throw new InputError('bad permutation', `expected ${n} entries, got ${p && typeof p.length === 'number' ? p.length : describeValue(p)}`);
  const seen = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const v = p[i];
    if (!Number.isInteger(v) || v < 0 || v >= n) throw new InputError('bad permutation', `entry ${i} = ${describeValue(v)} is not an integer in 0 … ${n - 1}`);
    if (seen[v]) throw new InputError('bad permutation', `location ${v} is used twice`);
    seen[v] = 1;
  }
}

/** cost(p) = Σ_ij a[i][j]·b[p[i]][p[j]], O(n²). */
export function qapCost(inst: QapInstance, p: ArrayLike<number>): number {
  const { n, a, b } = inst;
  let cost = 0;
  for (let i = 0; i < n; i++) {
    const ri = i * n, pi = p[i] * n;
    for (let j = 0; j < n; j++) cost += a[ri + j] * b[pi + p[j]];
  }
  return cost;
}

/** cost(p with p[r] and p[s] exchanged) − cost(p), in O(n) (Taillard 1991, general matrices). */
export function swapDelta(inst: QapInstance, p: ArrayLike<number>, r: number, s: number): number {
  if (r === s) return 0;
  const { n, a, b } = inst;
  const pr = p[r], ps = p[s];
  let d = (a[r * n + r] - a[s * n + s]) * (b[ps * n + ps] - b[pr * n + pr]) + (a[r * n + s] - a[s * n + r]) * (b[ps * n + pr] - b[pr * n + ps]);
  for (let k = 0; k < n; k++) {
    if (k === r || k === s) continue;
    const pk = p[k];
    d += (a[k * n + r] - a[k * n + s]) * (b[pk * n + ps] - b[pk * n + pr]) + (a[r * n + k] - a[s * n + k]) * (b[ps * n + pk] - b[pr * n + pk]);
  }
  return d;
}

export function invertPermutation(p: ArrayLike<number>): number[] {
  const q = new Array<number>(p.length);
  for (let i = 0; i < p.length; i++) q[p[i]] = i;
  return q;
}

function numbers(text: string, what: string): number[] {
  if (typeof text !== 'string') throw new InputError(`bad ${what}`, `${what} must be text`);
  const tokens = text.split(/\s+/).filter((t) => t !== '');
  return tokens.map((t, i) => {
    const v = Number(t);
    if (!Number.isFinite(v)) throw new InputError(`bad ${what}`, `token ${i + 1} "${t.slice(0, 20)}" is not a number`);
    return v;
  });
}

/** QAPLIB `.dat`: n, then A (n×n), then B (n×n), whitespace-separated. a = A, b = B. */
export function parseQaplibDat(text: string, name?: string): QapInstance {
  const v = numbers(text, 'QAPLIB .dat');
  if (v.length === 0) throw new InputError('bad QAPLIB .dat', 'the file is empty');
  const n = v[0];
  if (!Number.isInteger(n) || n < 1) throw new InputError('bad QAPLIB .dat', `the size n must be a positive integer, got ${n}`);
  if (v.length !== 1 + 2 * n * n) throw new InputError('bad QAPLIB .dat', `expected 1 + 2·${n}² = ${1 + 2 * n * n} numbers, got ${v.length}`);
  return { n, a: Float64Array.from(v.slice(1, 1 + n * n)), b: Float64Array.from(v.slice(1 + n * n)), name };
}

export interface QaplibSolution {
  n: number;
  /** The objective value stated in the file. */
  cost: number;
  /** 0-based permutation as stored (the file is 1-based). */
  permutation: number[];
}

/** QAPLIB `.sln`: n, cost, then the n values of the permutation (1-based; may wrap across lines). */
export function parseQaplibSln(text: string): QaplibSolution {
  const v = numbers(text, 'QAPLIB .sln');
  if (v.length < 2) throw new InputError('bad QAPLIB .sln', 'expected n, the cost and a permutation');
  const n = v[0];
  if (!Number.isInteger(n) || n < 1) throw new InputError('bad QAPLIB .sln', `the size n must be a positive integer, got ${n}`);
  if (v.length !== n + 2) throw new InputError('bad QAPLIB .sln', `expected ${n + 2} numbers (n, cost, ${n} values), got ${v.length}`);
  const permutation = v.slice(2).map((x) => x - 1);
  checkPermutation(permutation, n);
  return { n, cost: v[1], permutation };
}

/**
 * The cost of a stored solution: some QAPLIB `.sln` files hold the inverse permutation, so both
 * are scored; `inverted` tells which one reproduces the stated cost (undefined if neither does).
 */
export function qaplibSolutionCost(inst: QapInstance, sln: QaplibSolution): { cost: number; inverseCost: number; inverted: boolean | undefined } {
  if (sln.n !== inst.n) throw new InputError('size mismatch', `the solution has n = ${sln.n}, the instance ${inst.n}`);
  const cost = qapCost(inst, sln.permutation);
  const inverseCost = qapCost(inst, invertPermutation(sln.permutation));
  return { cost, inverseCost, inverted: cost === sln.cost ? false : inverseCost === sln.cost ? true : undefined };
}

export interface GridLayoutInput {
  /** flows[i][j] between machine i and j (m×m). */
  flows: number[][];
  /** Candidate locations (centre points), or give `distances` instead. */
  locations?: Array<{ x: number; y: number }>;
  /** distances[k][l] between locations (n×n, n ≥ m). */
  distances?: number[][];
  /** For `locations` (default 'manhattan'). */
  metric?: 'manhattan' | 'euclidean';
}

/**
 * A QAP instance for machines on a grid of locations: a = flows, b = distances, so cost(p) is the
 * flow-weighted transport distance with machine i at location p[i]. With more locations than
 * machines the flows are padded with idle dummy machines (zero flow); the first m entries of a
 * permutation are then the machines' locations.
 */
export function gridLayoutInstance(input: GridLayoutInput): QapInstance {
  if (!input || typeof input !== 'object') throw new ConfigError('bad layout', 'expected {flows, locations | distances}');
  const m = Array.isArray(input.flows) ? input.flows.length : 0;
  const flow = matrix(input.flows, undefined, 'flows');
  let dist: { n: number; data: Float64Array };
  if (input.distances !== undefined) {
    if (input.locations !== undefined) throw new ConfigError('bad layout', 'give locations or distances, not both');
    dist = matrix(input.distances, undefined, 'distances');
  } else {
    const locs = input.locations;
    if (!Array.isArray(locs) || locs.length === 0) throw new ConfigError('bad layout', 'locations must be a non-empty list of {x, y}');
    locs.forEach((l, k) => {
      if (!l || typeof l.x !== 'number' || typeof l.y !== 'number' || !Number.isFinite(l.x) || !Number.isFinite(l.y)) throw new ConfigError('bad layout', `location ${k} needs finite x and y`);
    });
    if (input.metric !== undefined && input.metric !== 'manhattan' && input.metric !== 'euclidean') throw new ConfigError('bad metric', "metric must be 'manhattan' or 'euclidean'");
    const euclid = input.metric === 'euclidean';
    const rows = locs.map((p) => locs.map((q) => (euclid ? Math.hypot(p.x - q.x, p.y - q.y) : Math.abs(p.x - q.x) + Math.abs(p.y - q.y))));
    dist = matrix(rows, undefined, 'distances');
  }
  const n = dist.n;
  if (m > n) throw new ConfigError('too few locations', `${m} machines need at least ${m} locations, got ${n}`);
  for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) if (flow.data[i * m + j] < 0) throw new ConfigError('bad flows', `flows[${i}][${j}] must be >= 0`);
  const a = new Float64Array(n * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) a[i * n + j] = flow.data[i * m + j];
  return { n, a, b: dist.data };
}
