/**
 * CMA-ES (Hansen, "The CMA Evolution Strategy: A Tutorial", 2016: default parameters, rank-one
 * and rank-μ update, cumulative step-size adaptation, lazy eigendecomposition) with IPOP restarts
 * (Auger & Hansen 2005: on a restart the population doubles and the mean is drawn uniformly in the
 * box).
 *
 * - Search space: every variable scaled to [0, 1] over its relaxed range; a sample outside the
 *   box is mirrored back into it (periodic reflection, as pycma's BoundTransform does in spirit),
 *   and the update uses the unmirrored sample, so the distribution sees a smooth landscape.
 * - Ranking by Deb's feasibility rules (a feasible sample beats an infeasible one, less violation
 *   beats more), which needs nothing but the order CMA-ES uses anyway.
 * - A run ends (and IPOP restarts) on: tolFun (best values of the last 10 + ⌈30n/λ⌉ generations and
 *   of this generation within tolFun), tolX (σ·max(√C_ii, |p_c,i|) < tolX), condition number of C
 *   above 1e14, no effect of an axis or coordinate on the mean, or the generation limit
 *   100 + 150(n+3)²/√λ.
 * - When objectives, weights or constraints change, a fresh run (same λ, σ0, C = I) starts at the
 *   best point under the new scoring.
 * - Integer and categorical variables are rounded when evaluated; a flat generation (all samples
 *   snap to equal values) inflates σ. For mixed problems the genetic algorithm usually does better.
 */
import { ConfigError } from '../../errors';
import { positiveInteger } from '../../calibration/common';
import type { Engine, EngineContext } from './engine';
import { debCompare, type Individual } from './problem';

export interface CmaEsOptions {
  /** Initial step size in the unit box (default 0.3). */
  sigma0?: number;
  /** Population size λ of the first run (default 4 + ⌊3 ln n⌋). */
  populationSize?: number;
  /** Most IPOP restarts, each doubling λ (default 9; 0 = a single run). */
  restarts?: number;
  /** Function-value tolerance of a run (default 1e-12). */
  tolFun?: number;
  /** Step tolerance in the unit box (default 1e-11). */
  tolX?: number;
}

/** Eigendecomposition of a symmetric matrix by cyclic Jacobi rotations: A = V diag(values) Vᵀ. */
export function symmetricEigen(a: number[][]): { values: number[]; vectors: number[][] } {
  const n = a.length;
  const m = a.map((row) => row.slice());
  const v: number[][] = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0, diag = 0;
    for (let i = 0; i < n; i++) {
      diag += m[i][i] * m[i][i];
      for (let j = i + 1; j < n; j++) off += m[i][j] * m[i][j];
    }
    if (off <= 1e-30 * diag || off === 0) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p][q];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (m[q][q] - m[p][p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1), s = t * c;
        for (let k = 0; k < n; k++) {
          const mkp = m[k][p], mkq = m[k][q];
          m[k][p] = c * mkp - s * mkq;
          m[k][q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < n; k++) {
          const mpk = m[p][k], mqk = m[q][k];
          m[p][k] = c * mpk - s * mqk;
          m[q][k] = s * mpk + c * mqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k][p], vkq = v[k][q];
          v[k][p] = c * vkp - s * vkq;
          v[k][q] = s * vkp + c * vkq;
        }
      }
    }
  }
  return { values: m.map((row, i) => row[i]), vectors: v };
}

function mirror(u: number): number {
  let t = u % 2;
  if (t < 0) t += 2;
  return t > 1 ? 2 - t : t;
}

export class CmaEs implements Engine {
  readonly name = 'cmaes' as const;
  finished = false;
  restarts = 0;
  private readonly n: number;
  private readonly sigma0: number;
  private readonly maxRestarts: number;
  private readonly tolFun: number;
  private readonly tolX: number;
  private readonly lambda0: number;
  // Strategy parameters of the current run.
  private lambda = 0;
  private mu = 0;
  private weights: number[] = [];
  private mueff = 0;
  private cc = 0;
  private cs = 0;
  private c1 = 0;
  private cmu = 0;
  private damps = 0;
  private readonly chiN: number;
  // State of the current run.
  private mean: number[] = [];
  private sigma = 0;
  private pc: number[] = [];
  private ps: number[] = [];
  private C: number[][] = [];
  private B: number[][] = [];
  private D: number[] = [];
  private invsqrtC: number[][] = [];
  private evalsRun = 0;
  private eigenAt = 0;
  private generation = 0;
  private history: number[] = [];
  private pending: number[][] = [];
  private population: Individual[] = [];

  constructor(
    private readonly ctx: EngineContext,
    options: CmaEsOptions = {},
  ) {
    this.n = ctx.space.dimension;
    const n = this.n;
    this.sigma0 = options.sigma0 ?? 0.3;
    if (typeof this.sigma0 !== 'number' || !(this.sigma0 > 0) || this.sigma0 > 10) throw new ConfigError('bad sigma0', `cmaes.sigma0 must be a number in (0, 10], got ${String(options.sigma0)}`);
    this.lambda0 = positiveInteger('cmaes.populationSize', options.populationSize, 4 + Math.floor(3 * Math.log(n)));
    if (this.lambda0 < 2) throw new ConfigError('bad cmaes.populationSize', 'cmaes.populationSize must be >= 2');
    this.maxRestarts = options.restarts === 0 ? 0 : positiveInteger('cmaes.restarts', options.restarts, 9);
    this.tolFun = options.tolFun ?? 1e-12;
    this.tolX = options.tolX ?? 1e-11;
    if (!(this.tolFun >= 0) || !(this.tolX >= 0)) throw new ConfigError('bad tolerance', 'cmaes.tolFun and cmaes.tolX must be numbers >= 0');
    this.chiN = Math.sqrt(n) * (1 - 1 / (4 * n) + 1 / (21 * n * n));
    const start = ctx.start ? ctx.space.toUnit(ctx.start) : undefined;
    this.startRun(this.lambda0, start);
  }

  private startRun(lambda: number, start: number[] | undefined): void {
    const n = this.n;
    this.lambda = lambda;
    this.mu = Math.floor(lambda / 2);
    const raw = Array.from({ length: this.mu }, (_, i) => Math.log(this.mu + 0.5) - Math.log(i + 1));
    const sum = raw.reduce((s, w) => s + w, 0);
    this.weights = raw.map((w) => w / sum);
    this.mueff = 1 / this.weights.reduce((s, w) => s + w * w, 0);
    const mueff = this.mueff;
    this.cc = (4 + mueff / n) / (n + 4 + (2 * mueff) / n);
    this.cs = (mueff + 2) / (n + mueff + 5);
    this.c1 = 2 / ((n + 1.3) ** 2 + mueff);
    this.cmu = Math.min(1 - this.c1, (2 * (mueff - 2 + 1 / mueff)) / ((n + 2) ** 2 + mueff));
    this.damps = 1 + 2 * Math.max(0, Math.sqrt((mueff - 1) / (n + 1)) - 1) + this.cs;
    this.mean = start ? start.slice() : Array.from({ length: n }, () => this.ctx.rng.next());
    this.sigma = this.sigma0;
    this.pc = new Array<number>(n).fill(0);
    this.ps = new Array<number>(n).fill(0);
    this.C = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
    this.B = this.C.map((r) => r.slice());
    this.D = new Array<number>(n).fill(1);
    this.invsqrtC = this.C.map((r) => r.slice());
    this.evalsRun = 0;
    this.eigenAt = 0;
    this.generation = 0;
    this.history = [];
  }

  ask(): number[][] {
    const n = this.n;
    this.pending = [];
    const out: number[][] = [];
    for (let k = 0; k < this.lambda; k++) {
      const z = Array.from({ length: n }, () => this.ctx.rng.gauss());
      const x = new Array<number>(n);
      for (let i = 0; i < n; i++) {
        let y = 0;
        for (let j = 0; j < n; j++) y += this.B[i][j] * this.D[j] * z[j];
        x[i] = this.mean[i] + this.sigma * y;
      }
      this.pending.push(x);
      out.push(this.ctx.space.fromUnit(x.map(mirror)));
    }
    return out;
  }

  tell(batch: Individual[]): void {
    const n = this.n, lambda = this.lambda, mu = this.mu;
    this.population = batch.slice();
    this.evalsRun += batch.length;
    this.generation++;
    const order = batch.map((_, i) => i).sort((a, b) => debCompare(batch[a], batch[b]) || a - b);
    const xs = order.map((i) => this.pending[i]);
    const old = this.mean.slice();
    const mean = new Array<number>(n).fill(0);
    for (let k = 0; k < mu; k++) for (let i = 0; i < n; i++) mean[i] += this.weights[k] * xs[k][i];
    this.mean = mean;
    const yw = mean.map((m, i) => (m - old[i]) / this.sigma);
    // Step-size path with C^(-1/2) y_w.
    const csn = Math.sqrt(this.cs * (2 - this.cs) * this.mueff);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += this.invsqrtC[i][j] * yw[j];
      this.ps[i] = (1 - this.cs) * this.ps[i] + csn * s;
    }
    const psNorm = Math.hypot(...this.ps);
    const hsig = psNorm / Math.sqrt(1 - (1 - this.cs) ** (2 * this.generation)) / this.chiN < 1.4 + 2 / (n + 1) ? 1 : 0;
    const ccn = Math.sqrt(this.cc * (2 - this.cc) * this.mueff);
    for (let i = 0; i < n; i++) this.pc[i] = (1 - this.cc) * this.pc[i] + hsig * ccn * yw[i];
    const c1 = this.c1, cmu = this.cmu;
    const dh = (1 - hsig) * this.cc * (2 - this.cc);
    const art = xs.slice(0, mu).map((x) => x.map((v, i) => (v - old[i]) / this.sigma));
    for (let i = 0; i < n; i++) {
      for (let j = 0; j <= i; j++) {
        let rankMu = 0;
        for (let k = 0; k < mu; k++) rankMu += this.weights[k] * art[k][i] * art[k][j];
        const v = (1 - c1 - cmu) * this.C[i][j] + c1 * (this.pc[i] * this.pc[j] + dh * this.C[i][j]) + cmu * rankMu;
        this.C[i][j] = v;
        this.C[j][i] = v;
      }
    }
    this.sigma *= Math.exp((this.cs / this.damps) * (psNorm / this.chiN - 1));
    // A flat generation (e.g. every sample rounded to the same grid point): widen the search.
    const bestVal = batch[order[0]];
    const kth = batch[order[Math.min(lambda - 1, Math.ceil(0.1 + lambda / 4))]];
    if (bestVal.violation === kth.violation && bestVal.value === kth.value) this.sigma *= Math.exp(0.2 + this.cs / this.damps);
    this.sigma = Math.min(this.sigma, 2);
    if (this.evalsRun - this.eigenAt > lambda / (c1 + cmu) / n / 10) this.decompose();
    this.history.push(bestVal.violation === 0 ? bestVal.value : Infinity);
    if (this.shouldRestart(batch)) this.restart();
  }

  private decompose(): void {
    const n = this.n;
    this.eigenAt = this.evalsRun;
    const { values, vectors } = symmetricEigen(this.C);
    this.B = vectors;
    this.D = values.map((v) => Math.sqrt(Math.max(v, 1e-300)));
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += (this.B[i][k] * this.B[j][k]) / this.D[k];
        this.invsqrtC[i][j] = s;
      }
    }
  }

  private shouldRestart(batch: Individual[]): boolean {
    const n = this.n;
    const maxGenerations = 100 + (150 * (n + 3) ** 2) / Math.sqrt(this.lambda);
    if (this.generation >= maxGenerations) return true;
    if (!this.C.every((row) => row.every(Number.isFinite)) || !Number.isFinite(this.sigma)) return true;
    const span = 10 + Math.ceil((30 * n) / this.lambda);
    if (this.history.length >= span && batch.every((b) => b.violation === 0)) {
      const recent = this.history.slice(-span);
      const values = batch.map((b) => b.value);
      const range = (list: number[]): number => Math.max(...list) - Math.min(...list);
      if (recent.every(Number.isFinite) && range(recent) <= this.tolFun && range(values) <= this.tolFun) return true;
    }
    let tolx = true;
    for (let i = 0; i < n; i++) if (this.sigma * Math.max(Math.sqrt(this.C[i][i]), Math.abs(this.pc[i])) >= this.tolX) tolx = false;
    if (tolx) return true;
    const dMax = Math.max(...this.D), dMin = Math.min(...this.D);
    if ((dMax / dMin) ** 2 > 1e14) return true;
    const axis = this.generation % n;
    if (this.mean.every((m, i) => m === m + 0.1 * this.sigma * this.D[axis] * this.B[i][axis])) return true;
    if (this.mean.some((m, i) => m === m + 0.2 * this.sigma * Math.sqrt(this.C[i][i]))) return true;
    return false;
  }

  private restart(): void {
    if (this.restarts >= this.maxRestarts) {
      this.finished = true;
      return;
    }
    this.restarts++;
    this.startRun(this.lambda * 2, undefined);
  }

  individuals(): Individual[] {
    return this.population;
  }

  rescored(): void {
    // The objective changed: the adapted step size and shape no longer apply. Start a fresh run of
    // the same population size at the best point under the new scoring (not counted as a restart).
    const best = this.ctx.best();
    this.startRun(this.lambda, best ? this.ctx.space.toUnit(best.x) : this.mean.slice());
  }

  status(): Record<string, number> {
    return { sigma: this.sigma, populationSize: this.lambda, generationOfRun: this.generation };
  }
}
