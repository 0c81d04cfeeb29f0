/**
 * Multivariate deviation of one asset: its signals are judged together against a normal-operation
 * window, so a pump whose current and flow drift apart is caught even when each stays in its band.
 *
 *   learn(row) ... fit()   the normal window, streamed (running mean and co-moments, no rows kept)
 *   score(row)             Hotelling T² on the retained principal components (how unusual the
 *                          operating point is) and Q / SPE on the residual (how much the signals
 *                          break their learned relationship), with limits and per-signal attribution.
 *
 * Signals are standardised with the learned mean and standard deviation, so the PCA is that of the
 * correlation matrix (Jacobi eigen decomposition). Limits: see multivariate-limits.ts (chi-square
 * for T², Jackson–Mudholkar for Q). Attribution: complete decomposition contributions (Alcala & Qin
 * 2011): for T² the squares of Λ^-½-weighted reconstruction D^½z, for Q the squared residuals. Both
 * are non-negative and add up to the statistic exactly, so they turn into shares that sum to 1.
 */
import { ConfigError, InputError } from '../errors';
import { correlation, dot, jacobiEigen, Matrix, RunningCovariance } from './linalg';
import { qLimit as qLimitOf, t2Limit as t2LimitOf } from './multivariate-limits';

export interface AssetModelOptions {
  signals: string[];
  /** Components kept for T²; 'auto' keeps the fewest that explain `explainedVariance`. */
  components?: number | 'auto';
  /** For components 'auto': share of the variance to explain, 0.9 to 0.99 (default 0.95). */
  explainedVariance?: number;
  /** Significance level of both control limits (default 0.01: 1 % false alarms on normal data). */
  alpha?: number;
}

export interface AssetScore {
  t2: number;
  q: number;
  t2Limit: number;
  qLimit: number;
  isAnomaly: boolean;
  /** Share of each signal in the deviation (T²/limit + Q/limit combined); sums to 1. */
  attribution: Record<string, number>;
  /** Share of each signal in T² alone; sums to 1. */
  attributionT2: Record<string, number>;
  /** Share of each signal in Q alone (squared residual share); sums to 1. */
  attributionQ: Record<string, number>;
}

export interface AssetModelJSON {
  kind: 'twinloop.deviation.asset-model';
  version: 1;
  options: Required<AssetModelOptions>;
  normalWindow: { count: number; mean: number[]; comoment: number[][] };
  fitted: boolean;
}

interface Fitted {
  mean: number[];
  std: number[];
  eigenvalues: number[];
  /** Retained loadings, one row per component. */
  loadings: Matrix;
  t2Limit: number;
  qLimit: number;
}

export class AssetModel {
  readonly options: Required<AssetModelOptions>;
  private readonly window: RunningCovariance;
  private model: Fitted | undefined;

  constructor(options: AssetModelOptions) {
    this.options = checkOptions(options);
    this.window = new RunningCovariance(this.options.signals.length);
  }

  get signals(): readonly string[] {
    return this.options.signals;
  }

  get fitted(): boolean {
    return this.model !== undefined;
  }

  /** Rows learned so far in the normal window. */
  get learnedRows(): number {
    return this.window.count;
  }

  /** Components retained by the last fit (undefined before fit). */
  get retainedComponents(): number | undefined {
    return this.model?.loadings.length;
  }

  /** Eigenvalues of the learned correlation matrix, largest first (undefined before fit). */
  get eigenvalues(): readonly number[] | undefined {
    return this.model?.eigenvalues;
  }

  /** One row of normal operation. Learning may go on after fit(); it counts from the next fit(). */
  learn(row: readonly number[]): void {
    this.window.push(this.checkRow(row));
  }

  fit(): void {
    const m = this.options.signals.length;
    const n = this.window.count;
    if (n < Math.max(m + 1, 3)) throw new ConfigError('too few normal rows', `fit needs at least ${Math.max(m + 1, 3)} normal rows, has ${n}`);
    const cov = this.window.covariance();
    const mean = this.window.mean.slice();
    // A signal that never moved in the normal window still gets a (tiny) scale: any later move of
    // it is then a large deviation, which is what "it never moves in normal operation" means.
    const std = cov.map((r, i) => Math.max(Math.sqrt(Math.max(r[i], 0)), 1e-9 * Math.max(1, Math.abs(mean[i]))));
    const { values, vectors } = jacobiEigen(correlation(cov));
    const eigenvalues = values.map((v) => Math.max(v, 0));
    const k = this.componentCount(eigenvalues);
    // Guard against a retained direction with (numerically) no variance: 1/λ must stay finite.
    const floor = 1e-12 * m;
    const retained = eigenvalues.slice(0, k).map((v) => Math.max(v, floor));
    this.model = {
      mean,
      std,
      eigenvalues: [...retained, ...eigenvalues.slice(k)],
      loadings: vectors.slice(0, k),
      t2Limit: t2LimitOf(k, this.options.alpha),
      qLimit: qLimitOf(eigenvalues.slice(k), this.options.alpha),
    };
  }

  score(row: readonly number[]): AssetScore {
    const model = this.model;
    if (!model) throw new ConfigError('model not fitted', 'score() before fit(): learn a normal window first');
    const x = this.checkRow(row);
    const m = x.length;
    const z = x.map((v, j) => (v - model.mean[j]) / model.std[j]);
    const residual = z.slice();
    const weighted = new Array<number>(m).fill(0); // D^½ z with D = P Λ⁻¹ Pᵀ
    let t2 = 0;
    model.loadings.forEach((p, a) => {
      const t = dot(p, z);
      const lambda = model.eigenvalues[a];
      t2 += (t * t) / lambda;
      const w = t / Math.sqrt(lambda);
      for (let j = 0; j < m; j++) {
        residual[j] -= t * p[j];
        weighted[j] += w * p[j];
      }
    });
    const t2Parts = weighted.map((w) => w * w);
    // No residual space (every component kept, or nothing left over in the normal window): Q is
    // zero up to rounding, and its rounding noise must not be attributed to anyone.
    const hasResidual = model.qLimit > 0;
    const qParts = hasResidual ? residual.map((e) => e * e) : residual.map(() => 0);
    const q = qParts.reduce((s, v) => s + v, 0);
    const combined = t2Parts.map((c, j) => c / model.t2Limit + (hasResidual ? qParts[j] / model.qLimit : 0));
    return {
      t2,
      q,
      t2Limit: model.t2Limit,
      qLimit: model.qLimit,
      isAnomaly: t2 > model.t2Limit || (hasResidual && q > model.qLimit),
      attribution: this.shares(combined),
      attributionT2: this.shares(t2Parts),
      attributionQ: this.shares(qParts),
    };
  }

  toJSON(): AssetModelJSON {
    return {
      kind: 'twinloop.deviation.asset-model',
      version: 1,
      options: { ...this.options, signals: [...this.options.signals] },
      // The normal window, not the fitted numbers: fit() is deterministic, so a restored model
      // scores identically and can also go on learning.
      normalWindow: { count: this.window.count, mean: this.window.mean.slice(), comoment: this.window.comoment.map((r) => r.slice()) },
      fitted: this.fitted,
    };
  }

  static fromJSON(data: unknown): AssetModel {
    const d = data as Partial<AssetModelJSON> | null;
    if (!d || d.kind !== 'twinloop.deviation.asset-model' || d.version !== 1 || !d.options || !d.normalWindow) {
      throw new ConfigError('bad saved model', 'not a saved TwinLoop asset model (version 1)');
    }
    const model = new AssetModel(d.options);
    const m = model.options.signals.length;
    const w = d.normalWindow;
    const finite = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v);
    const ok = Number.isInteger(w.count) && w.count >= 0 && Array.isArray(w.mean) && w.mean.length === m && w.mean.every(finite)
      && Array.isArray(w.comoment) && w.comoment.length === m && w.comoment.every((r) => Array.isArray(r) && r.length === m && r.every(finite));
    if (!ok) throw new ConfigError('bad saved model', 'normal window does not match the signals');
    model.window.count = w.count;
    w.mean.forEach((v, i) => { model.window.mean[i] = v; });
    w.comoment.forEach((r, i) => r.forEach((v, j) => { model.window.comoment[i][j] = v; }));
    if (d.fitted) model.fit();
    return model;
  }

  private componentCount(eigenvalues: readonly number[]): number {
    const m = eigenvalues.length;
    if (this.options.components !== 'auto') return this.options.components;
    const total = eigenvalues.reduce((s, v) => s + v, 0);
    let sum = 0;
    for (let k = 1; k <= m; k++) {
      sum += eigenvalues[k - 1];
      // Keep at least one direction for Q whenever there are two signals or more.
      if (sum >= this.options.explainedVariance * total) return Math.min(k, Math.max(m - 1, 1));
    }
    return Math.max(m - 1, 1);
  }

  private shares(parts: readonly number[]): Record<string, number> {
    const total = parts.reduce((s, v) => s + v, 0);
    const names = this.options.signals;
    const out: Record<string, number> = {};
    // No deviation at all: nobody is to blame more than anyone else.
    names.forEach((name, j) => { out[name] = total > 0 ? parts[j] / total : 1 / names.length; });
    return out;
  }

  private checkRow(row: readonly number[]): number[] {
    const m = this.options.signals.length;
    if (!Array.isArray(row)) throw new InputError('not a row', 'expected an array of numbers, one per signal');
    if (row.length !== m) throw new InputError('wrong row length', `expected ${m} values (${this.options.signals.join(', ')}), got ${row.length}`);
    for (let j = 0; j < m; j++) {
      const v = row[j];
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw new InputError('not a number', `${this.options.signals[j]} is ${String(v)}: every signal needs a finite number`);
      }
    }
    return row.slice();
  }
}

function checkOptions(options: AssetModelOptions): Required<AssetModelOptions> {
  if (!options || !Array.isArray(options.signals) || options.signals.length === 0) throw new ConfigError('no signals', 'an asset model needs at least one signal');
  const signals = options.signals.map(String);
  if (signals.some((s) => s.length === 0)) throw new ConfigError('empty signal name');
  if (new Set(signals).size !== signals.length) throw new ConfigError('duplicate signal', `signals must be unique: ${signals.join(', ')}`);
  const components = options.components ?? 'auto';
  if (components !== 'auto' && !(Number.isInteger(components) && components >= 1 && components <= signals.length)) {
    throw new ConfigError('bad components', `components must be 'auto' or an integer from 1 to ${signals.length}`);
  }
  const explainedVariance = options.explainedVariance ?? 0.95;
  if (!(typeof explainedVariance === 'number' && explainedVariance >= 0.9 && explainedVariance <= 0.99)) {
    throw new ConfigError('bad explained variance', 'explainedVariance must be from 0.9 to 0.99');
  }
  const alpha = options.alpha ?? 0.01;
  if (!(typeof alpha === 'number' && alpha > 0 && alpha < 0.5)) throw new ConfigError('bad alpha', 'alpha must be above 0 and below 0.5');
  return { signals, components, explainedVariance, alpha };
}
