/**
 * Facility layout in the plane with rectangular footprints: a row layout. Machines are placed in
 * the order of a permutation, left to right along x in rows; a machine that does not fit in the
 * rest of the row (hall width minus the wall clearance) opens the next row, which starts one aisle
 * beyond the deepest machine of the row before (legalisation by construction: no overlaps, the
 * side-by-side clearance within a row, the aisle between rows, the wall clearance all round).
 * Transport cost: Σ_ij flow[i][j] · distance between footprint centres (Manhattan by default).
 *
 * The search (`createPlaneLayoutSearch`) is an iterated local search over the permutation:
 * first-improvement local search on the swap and insertion neighbourhoods, then a perturbation
 * (random swaps) of the best order, kept when the new local optimum is better. A layout deeper than
 * the hall (`hall.depth`) is infeasible: layouts compare by excess depth first, then by cost.
 * Step-wise (one neighbour evaluated per unit of work), deterministic for a seed.
 *
 * `checkPlaneLayout` checks any placement independently of how it was built: every footprint
 * inside the hall with the wall clearance, and every pair separated along x by at least
 * `clearance` or along y by at least `aisle` (so no two footprints overlap).
 */
import { ConfigError, InputError } from '../../errors';
import { nonNegative, positiveInteger } from '../../calibration/common';
import { SeededRandom } from '../../simulation/des/random';

export interface Machine {
  name: string;
  /** Extent along x (the row direction). */
  width: number;
  /** Extent along y. */
  depth: number;
}

export interface PlaneLayoutProblem {
  machines: Machine[];
  /** flows[i][j]: transport between machine i and j (n×n, ≥ 0). */
  flows: number[][];
  hall: { width: number; depth?: number };
  /** Least gap between two machines side by side (default 1). */
  clearance?: number;
  /** Least gap between rows (aisle width; default: clearance). */
  aisle?: number;
  /** Least gap between a machine and a wall (default 0). */
  wallClearance?: number;
  metric?: 'manhattan' | 'euclidean';
}

export interface Placement {
  name: string;
  /** Lower-left corner. */
  x: number;
  y: number;
  width: number;
  depth: number;
  row: number;
}

export interface PlaneLayout {
  /** In the machines' order. */
  placements: Placement[];
  /** The permutation (machine indices in placement order). */
  order: number[];
  rows: number;
  /** Depth used, wall clearance included. */
  depthUsed: number;
  /** Depth beyond hall.depth (0 when it fits). */
  excess: number;
  cost: number;
}

interface Checked {
  machines: Machine[];
  flows: Float64Array;
  n: number;
  width: number;
  depth: number;
  clearance: number;
  aisle: number;
  wall: number;
  manhattan: boolean;
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function check(problem: PlaneLayoutProblem): Checked {
  if (!problem || typeof problem !== 'object') throw new ConfigError('bad layout problem', 'expected {machines, flows, hall}');
  const { machines, flows, hall } = problem;
  if (!Array.isArray(machines) || machines.length === 0) throw new ConfigError('no machines', 'machines must be a non-empty list of {name, width, depth}');
  if (!hall || !finite(hall.width) || hall.width <= 0) throw new ConfigError('bad hall', 'hall.width must be a finite number > 0');
  if (hall.depth !== undefined && (!finite(hall.depth) || hall.depth <= 0)) throw new ConfigError('bad hall', 'hall.depth must be a finite number > 0');
  const clearance = nonNegative('clearance', problem.clearance, 1);
  const aisle = nonNegative('aisle', problem.aisle, clearance);
  const wall = nonNegative('wallClearance', problem.wallClearance, 0);
  if (problem.metric !== undefined && problem.metric !== 'manhattan' && problem.metric !== 'euclidean') throw new ConfigError('bad metric', "metric must be 'manhattan' or 'euclidean'");
  const names = new Set<string>();
  machines.forEach((m, i) => {
    const where = m && typeof m.name === 'string' && m.name !== '' ? `machine "${m.name}"` : `machine #${i + 1}`;
    if (!m || typeof m !== 'object' || typeof m.name !== 'string' || m.name === '') throw new ConfigError('bad machine', `${where}: needs a non-empty name`);
    if (names.has(m.name)) throw new ConfigError('bad machine', `${where}: the name is used twice`);
    names.add(m.name);
    if (!finite(m.width) || m.width <= 0 || !finite(m.depth) || m.depth <= 0) throw new ConfigError('bad machine', `${where}: width and depth must be finite numbers > 0`);
    if (m.width > hall.width - 2 * wall) throw new ConfigError('machine too wide', `${where}: width ${m.width} does not fit the hall width ${hall.width} with wall clearance ${wall}`);
    if (hall.depth !== undefined && m.depth > hall.depth - 2 * wall) throw new ConfigError('machine too deep', `${where}: depth ${m.depth} does not fit the hall depth ${hall.depth} with wall clearance ${wall}`);
  });
  const n = machines.length;
  if (!Array.isArray(flows) || flows.length !== n) throw new ConfigError('bad flows', `flows must be a ${n}×${n} matrix`);
  const f = new Float64Array(n * n);
  flows.forEach((row, i) => {
    if (!Array.isArray(row) || row.length !== n) throw new ConfigError('bad flows', `flows row ${i} (${machines[i].name}) must have ${n} numbers`);
    row.forEach((v, j) => {
      if (!finite(v) || v < 0) throw new ConfigError('bad flows', `flows[${i}][${j}] (${machines[i].name} → ${machines[j].name}) must be a finite number >= 0`);
      f[i * n + j] = v;
    });
  });
  return { machines, flows: f, n, width: hall.width, depth: hall.depth ?? Infinity, clearance, aisle, wall, manhattan: problem.metric !== 'euclidean' };
}

/** Cost of placements (in the machines' order): Σ flow · centre distance. */
function costOf(c: Checked, xs: Float64Array, ys: Float64Array): number {
  const n = c.n;
  let cost = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const f = c.flows[i * n + j];
      if (f === 0 || i === j) continue;
      const dx = Math.abs(xs[i] - xs[j]), dy = Math.abs(ys[i] - ys[j]);
      cost += f * (c.manhattan ? dx + dy : Math.hypot(dx, dy));
    }
  }
  return cost;
}

/** Places machines in rows in `order` (into px/py lower-left corners); returns rows and depth used. */
function place(c: Checked, order: ArrayLike<number>, px: Float64Array, py: Float64Array, rowOf: Int32Array): { rows: number; depthUsed: number } {
  let cursor = c.wall, y = c.wall, rowDepth = 0, row = 0, inRow = 0;
  const right = c.width - c.wall;
  for (let k = 0; k < order.length; k++) {
    const m = c.machines[order[k]];
    if (inRow > 0 && cursor + m.width > right + 1e-9) {
      y += rowDepth + c.aisle;
      cursor = c.wall;
      rowDepth = 0;
      inRow = 0;
      row++;
    }
    px[order[k]] = cursor;
    py[order[k]] = y;
    rowOf[order[k]] = row;
    cursor += m.width + c.clearance;
    rowDepth = Math.max(rowDepth, m.depth);
    inRow++;
  }
  return { rows: row + 1, depthUsed: y + rowDepth + c.wall };
}

class Evaluator {
  readonly px: Float64Array;
  readonly py: Float64Array;
  readonly cx: Float64Array;
  readonly cy: Float64Array;
  readonly rowOf: Int32Array;
  constructor(readonly c: Checked) {
    this.px = new Float64Array(c.n);
    this.py = new Float64Array(c.n);
    this.cx = new Float64Array(c.n);
    this.cy = new Float64Array(c.n);
    this.rowOf = new Int32Array(c.n);
  }
  evaluate(order: ArrayLike<number>): { excess: number; cost: number; rows: number; depthUsed: number } {
    const { rows, depthUsed } = place(this.c, order, this.px, this.py, this.rowOf);
    for (let i = 0; i < this.c.n; i++) {
      this.cx[i] = this.px[i] + this.c.machines[i].width / 2;
      this.cy[i] = this.py[i] + this.c.machines[i].depth / 2;
    }
    return { excess: Math.max(0, depthUsed - this.c.depth), cost: costOf(this.c, this.cx, this.cy), rows, depthUsed };
  }
  layout(order: ArrayLike<number>): PlaneLayout {
    const r = this.evaluate(order);
    const placements = this.c.machines.map((m, i) => ({ name: m.name, x: this.px[i], y: this.py[i], width: m.width, depth: m.depth, row: this.rowOf[i] }));
    return { placements, order: Array.from(order), rows: r.rows, depthUsed: r.depthUsed, excess: r.excess, cost: r.cost };
  }
}

/** The row layout of machines in `order` (a permutation of machine indices). */
export function rowLayout(problem: PlaneLayoutProblem, order: ArrayLike<number>): PlaneLayout {
  const c = check(problem);
  checkOrder(order, c.n);
  return new Evaluator(c).layout(order);
}

function checkOrder(order: ArrayLike<number>, n: number): void {
  if (!order || order.length !== n) throw new InputError('bad order', `expected a permutation of ${n} machine indices`);
  const seen = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const v = order[i];
    if (!Number.isInteger(v) || v < 0 || v >= n || seen[v]) throw new InputError('bad order', `entry ${i} = ${String(v)}: expected each of 0 … ${n - 1} once`);
    seen[v] = 1;
  }
}

/** Transport cost of any placements (given in the machines' order, lower-left corners). */
export function planeLayoutCost(problem: PlaneLayoutProblem, placements: Placement[]): number {
  const c = check(problem);
  if (!Array.isArray(placements) || placements.length !== c.n) throw new InputError('bad placements', `expected ${c.n} placements`);
  const xs = Float64Array.from(placements.map((p) => p.x + p.width / 2));
  const ys = Float64Array.from(placements.map((p) => p.y + p.depth / 2));
  return costOf(c, xs, ys);
}

export interface LayoutCheck {
  valid: boolean;
  violations: string[];
}

/**
 * Checks placements (in the machines' order): footprints match the machines, lie inside the hall
 * with the wall clearance, and every pair is separated along x by ≥ clearance or along y by ≥ aisle.
 */
export function checkPlaneLayout(problem: PlaneLayoutProblem, placements: Placement[], tolerance = 1e-9): LayoutCheck {
  const c = check(problem);
  const violations: string[] = [];
  if (!Array.isArray(placements) || placements.length !== c.n) return { valid: false, violations: [`expected ${c.n} placements, got ${Array.isArray(placements) ? placements.length : 'none'}`] };
  placements.forEach((p, i) => {
    const m = c.machines[i];
    if (!p || !finite(p.x) || !finite(p.y)) {
      violations.push(`${m.name}: no finite position`);
      return;
    }
    if (Math.abs(p.width - m.width) > tolerance || Math.abs(p.depth - m.depth) > tolerance) violations.push(`${m.name}: footprint ${p.width}×${p.depth} is not the machine's ${m.width}×${m.depth}`);
    if (p.x < c.wall - tolerance || p.x + m.width > c.width - c.wall + tolerance) violations.push(`${m.name}: outside the hall width (x ${p.x} … ${p.x + m.width}, allowed ${c.wall} … ${c.width - c.wall})`);
    if (p.y < c.wall - tolerance || p.y + m.depth > c.depth - c.wall + tolerance) violations.push(`${m.name}: outside the hall depth (y ${p.y} … ${p.y + m.depth})`);
  });
  for (let i = 0; i < c.n; i++) {
    for (let j = i + 1; j < c.n; j++) {
      const a = placements[i], b = placements[j];
      if (!a || !b) continue;
      const xgap = Math.max(b.x - (a.x + c.machines[i].width), a.x - (b.x + c.machines[j].width));
      const ygap = Math.max(b.y - (a.y + c.machines[i].depth), a.y - (b.y + c.machines[j].depth));
      if (xgap < c.clearance - tolerance && ygap < c.aisle - tolerance) {
        const what = xgap < 0 && ygap < 0 ? 'overlap' : 'too close';
        violations.push(`${c.machines[i].name} and ${c.machines[j].name}: ${what} (gap x ${+xgap.toFixed(6)}, y ${+ygap.toFixed(6)}; need x >= ${c.clearance} or y >= ${c.aisle})`);
      }
    }
  }
  return { valid: violations.length === 0, violations };
}

export interface PlaneLayoutSearchOptions {
  seed?: number;
  /** Layouts evaluated (default 20,000). */
  maxEvaluations?: number;
  maxWallMs?: number;
  shouldStop?: () => boolean;
  signal?: AbortSignal;
  /** Start order (machine indices); default: the machines as listed. */
  initial?: ArrayLike<number>;
  onImprovement?: (best: PlaneLayout) => void;
}

export interface PlaneLayoutSearch {
  readonly done: boolean;
  readonly evaluations: number;
  step(budgetMs?: number): { evaluations: number; bestCost: number; bestExcess: number; done: boolean };
  runSync(): PlaneLayout;
  run(options?: { sliceMs?: number }): Promise<PlaneLayout>;
  best(): PlaneLayout;
  stop(): void;
}

type Score = { excess: number; cost: number };
const better = (a: Score, b: Score): boolean => a.excess < b.excess - 1e-9 || (Math.abs(a.excess - b.excess) <= 1e-9 && a.cost < b.cost - 1e-9);

class IteratedLocalSearch implements PlaneLayoutSearch {
  private readonly ev: Evaluator;
  private readonly rng: SeededRandom;
  private readonly n: number;
  private readonly maxEvaluations: number;
  private readonly maxWallMs: number;
  private current: Int32Array;
  private currentScore: Score;
  private bestOrder: Int32Array;
  private bestScore: Score;
  /** Position in the neighbourhood scan: move index, and moves tried since the last improvement. */
  private cursor = 0;
  private sinceImprovement = 0;
  private readonly moves: number;
  evaluations = 0;
  private startedAt: number | undefined;
  private isDone = false;
  private stopRequested = false;

  constructor(
    c: Checked,
    private readonly options: PlaneLayoutSearchOptions,
  ) {
    this.ev = new Evaluator(c);
    this.n = c.n;
    const seed = options.seed ?? 1;
    if (!finite(seed)) throw new ConfigError('bad seed', 'seed must be a finite number');
    this.rng = new SeededRandom(seed);
    this.maxEvaluations = positiveInteger('maxEvaluations', options.maxEvaluations, 20_000);
    this.maxWallMs = nonNegative('maxWallMs', options.maxWallMs, Infinity);
    const start = options.initial ?? Array.from({ length: c.n }, (_, i) => i);
    checkOrder(start, c.n);
    this.current = Int32Array.from(start);
    this.currentScore = this.score(this.current);
    this.bestOrder = this.current.slice();
    this.bestScore = this.currentScore;
    // Swaps (i < j) and insertions (i → j, i ≠ j, not the swap of neighbours twice).
    this.moves = (this.n * (this.n - 1)) / 2 + this.n * (this.n - 1);
  }

  get done(): boolean {
    return this.isDone;
  }

  private score(order: Int32Array): Score {
    this.evaluations++;
    const r = this.ev.evaluate(order);
    return { excess: r.excess, cost: r.cost };
  }

  /** The k-th neighbour of `order` (a new array). */
  private neighbour(order: Int32Array, k: number): Int32Array {
    const n = this.n;
    const out = order.slice();
    const swaps = (n * (n - 1)) / 2;
    if (k < swaps) {
      let i = 0, rest = k;
      while (rest >= n - 1 - i) {
        rest -= n - 1 - i;
        i++;
      }
      const j = i + 1 + rest;
      out[i] = order[j];
      out[j] = order[i];
      return out;
    }
    const m = k - swaps;
    const from = Math.floor(m / (n - 1));
    let to = m % (n - 1);
    if (to >= from) to++;
    const v = order[from];
    if (from < to) out.copyWithin(from, from + 1, to + 1);
    else out.copyWithin(to + 1, to, from);
    out[to] = v;
    return out;
  }

  private limitReached(): boolean {
    const o = this.options;
    return this.stopRequested || !!(o.signal && o.signal.aborted) || !!(o.shouldStop && o.shouldStop()) || this.evaluations >= this.maxEvaluations || (this.startedAt !== undefined && performance.now() - this.startedAt >= this.maxWallMs);
  }

  step(budgetMs = 10): { evaluations: number; bestCost: number; bestExcess: number; done: boolean } {
    if (!this.isDone) {
      if (this.startedAt === undefined) this.startedAt = performance.now();
      const deadline = performance.now() + budgetMs;
      let work = 0;
      while (true) {
        if (this.limitReached()) {
          this.isDone = true;
          break;
        }
        if (work > 0 && work % 8 === 0 && performance.now() >= deadline) break;
        work++;
        if (this.n < 2) {
          this.isDone = true;
          break;
        }
        if (this.sinceImprovement >= this.moves) {
          // Local optimum: keep it if best, then perturb the best order.
          if (better(this.currentScore, this.bestScore)) this.accept();
          const next = this.bestOrder.slice();
          const swaps = 2 + Math.floor(this.rng.next() * Math.max(1, Math.floor(this.n / 4)));
          for (let s = 0; s < swaps; s++) {
            const i = Math.floor(this.rng.next() * this.n), j = Math.floor(this.rng.next() * this.n);
            const t = next[i];
            next[i] = next[j];
            next[j] = t;
          }
          this.current = next;
          this.currentScore = this.score(next);
          this.sinceImprovement = 0;
          this.cursor = Math.floor(this.rng.next() * this.moves);
          continue;
        }
        const candidate = this.neighbour(this.current, this.cursor);
        this.cursor = (this.cursor + 1) % this.moves;
        const s = this.score(candidate);
        if (better(s, this.currentScore)) {
          this.current = candidate;
          this.currentScore = s;
          this.sinceImprovement = 0;
          if (better(s, this.bestScore)) this.accept();
        } else {
          this.sinceImprovement++;
        }
      }
    }
    return { evaluations: this.evaluations, bestCost: this.bestScore.cost, bestExcess: this.bestScore.excess, done: this.isDone };
  }

  private accept(): void {
    this.bestOrder = this.current.slice();
    this.bestScore = this.currentScore;
    if (this.options.onImprovement) this.options.onImprovement(this.best());
  }

  runSync(): PlaneLayout {
    while (!this.isDone) this.step(Infinity);
    return this.best();
  }

  async run(options: { sliceMs?: number } = {}): Promise<PlaneLayout> {
    while (!this.isDone) {
      this.step(options.sliceMs ?? 10);
      if (!this.isDone) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return this.best();
  }

  best(): PlaneLayout {
    return this.ev.layout(this.bestOrder);
  }

  stop(): void {
    this.stopRequested = true;
  }
}

/** An iterated local search for the row layout of `problem`; nothing runs until step(). */
export function createPlaneLayoutSearch(problem: PlaneLayoutProblem, options: PlaneLayoutSearchOptions = {}): PlaneLayoutSearch {
  return new IteratedLocalSearch(check(problem), options);
}
