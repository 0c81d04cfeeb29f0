/**
 * KPI surrogate: a small network that learns several KPIs (throughput, energy, ...) from numeric
 * settings, trained on scenario results `{settings, kpis}` (e.g. from simulation runs), so an
 * optimiser can ask "what would these settings give" in microseconds instead of a simulation.
 *
 * - The setting and KPI names come from the first row (sorted); every row must have exactly
 *   those keys with finite numbers, and there must be at least `minRows` (default 10) rows:
 *   otherwise train() refuses with ConfigError naming the row and key.
 * - A seeded 20 % of the rows is held out (at least one row); settings are scaled into [0, 1] and
 *   KPIs into [0.1, 0.9] on the rest, a seeded network is trained with the sliced trainer, and
 *   the error per KPI on the held-out rows is returned: RMSE, MAE and relError = RMSE divided by
 *   the KPI's range over all rows (a range-normalised RMSE). The model stays trained on the 80 %
 *   it was validated with, so the reported error is the error of the model in use.
 * - predict() answers in the KPIs' own units; toJSON/fromJSON persist the model.
 */
import type { NeuralNetwork } from 'brain.js';
import type { Activation, NeuralNetworkJSON } from 'brain.js';
import { ConfigError, InputError } from '../errors';
import { SeededRandom } from '../simulation/des/random';
import { createNetwork, restoreNetwork, runNetwork } from './network';
import { MinMaxScaler, ScalerJSON } from './scaler';
import { SlicedTrainer, SlicedTrainOptions, SlicedTrainResult, TrainingRow } from './sliced-trainer';

export interface ScenarioResult {
  settings: Record<string, number>;
  kpis: Record<string, number>;
}

export type SurrogateTrainingOptions = Omit<SlicedTrainOptions, 'signal' | 'onEpoch'>;

export interface SurrogateOptions {
  /** Hidden layer sizes (default [16]). */
  hiddenLayers?: number[];
  activation?: Activation;
  /** Held-out share (default 0.2). */
  validationFraction?: number;
  /** Fewest rows train() accepts (default 10). */
  minRows?: number;
  /** Seed of the split, the starting weights and the shuffle (default 1). */
  seed?: number;
  /** Sliced-trainer options (default 1000 epochs, learning rate 0.5 annealed to 0.02, momentum 0.5). */
  training?: SurrogateTrainingOptions;
}

export interface KpiError {
  rmse: number;
  mae: number;
  /** RMSE / (max − min of the KPI over all rows); NaN for a constant KPI. */
  relError: number;
}

export interface SurrogateTrainResult extends SlicedTrainResult {
  kpis: Record<string, KpiError>;
  trainRows: number;
  validationRows: number;
  /** False when cancelled: the previous model (if any) is kept. */
  applied: boolean;
}

export interface SurrogateJSON {
  kind: 'kpi-surrogate';
  version: 1;
  options: Required<Omit<SurrogateOptions, 'training'>> & { training: SurrogateTrainingOptions };
  settings: string[];
  kpis: string[];
  network: NeuralNetworkJSON;
  settingScaler: ScalerJSON;
  kpiScaler: ScalerJSON;
  validation: Record<string, KpiError>;
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function keysOf(obj: unknown, what: string, row: number): string[] {
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) throw new ConfigError('bad data', `row ${row}: ${what} must be an object of numbers`);
  return Object.keys(obj).sort();
}

function sameKeys(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((k, i) => k === b[i]);
}

export class KpiSurrogate {
  private readonly opts: SurrogateJSON['options'];
  private readonly trainer = new SlicedTrainer();
  private settingNames: string[] = [];
  private kpiNames: string[] = [];
  private net: NeuralNetwork | undefined;
  private settingScaler: MinMaxScaler | undefined;
  private kpiScaler: MinMaxScaler | undefined;
  private validation: Record<string, KpiError> = {};

  constructor(options: SurrogateOptions = {}) {
    const validationFraction = options.validationFraction ?? 0.2;
    if (!finite(validationFraction) || validationFraction <= 0 || validationFraction > 0.5) throw new ConfigError('bad validationFraction', `validationFraction must be in (0, 0.5], got ${String(validationFraction)}`);
    const minRows = options.minRows ?? 10;
    if (!Number.isInteger(minRows) || minRows < 5) throw new ConfigError('bad minRows', `minRows must be an integer >= 5, got ${String(minRows)}`);
    const training: SurrogateTrainingOptions = { epochs: 1000, learningRate: 0.5, finalLearningRate: 0.02, momentum: 0.5, ...(options.training ?? {}) };
    this.opts = {
      hiddenLayers: (options.hiddenLayers ?? [16]).slice(),
      activation: options.activation ?? 'sigmoid',
      validationFraction,
      minRows,
      seed: options.seed ?? 1,
      training,
    };
    createNetwork({ inputs: 1, outputs: 1, hiddenLayers: this.opts.hiddenLayers, activation: this.opts.activation });
    new SlicedTrainer(training);
  }

  get trained(): boolean {
    return this.net !== undefined;
  }

  /** Setting names (sorted), as learned by the last training. */
  get settings(): string[] {
    return this.settingNames.slice();
  }

  /** KPI names (sorted), as learned by the last training. */
  get kpis(): string[] {
    return this.kpiNames.slice();
  }

  /** Validation errors of the model in use (empty before training). */
  get validationErrors(): Record<string, KpiError> {
    return JSON.parse(JSON.stringify(this.validation)) as Record<string, KpiError>;
  }

  /** Stops a running train() (it resolves with applied: false). */
  cancel(): void {
    this.trainer.cancel();
  }

  /** Checks the rows; returns [settings matrix, kpis matrix] in name order. */
  private matrices(rows: ScenarioResult[]): { names: { s: string[]; k: string[] }; x: number[][]; y: number[][] } {
    if (!Array.isArray(rows)) throw new ConfigError('bad data', 'scenario results must be a list of {settings, kpis}');
    if (rows.length < this.opts.minRows) throw new ConfigError('too few rows', `the surrogate needs at least ${this.opts.minRows} scenario results, got ${rows.length}`);
    const first = rows[0];
    const s = keysOf(first?.settings, 'settings', 0);
    const k = keysOf(first?.kpis, 'kpis', 0);
    if (s.length === 0) throw new ConfigError('bad data', 'row 0 has no settings');
    if (k.length === 0) throw new ConfigError('bad data', 'row 0 has no kpis');
    const x: number[][] = [];
    const y: number[][] = [];
    rows.forEach((row, i) => {
      const rs = keysOf(row?.settings, 'settings', i);
      const rk = keysOf(row?.kpis, 'kpis', i);
      if (!sameKeys(rs, s)) throw new ConfigError('mismatched keys', `row ${i} has settings [${rs.join(', ')}], row 0 has [${s.join(', ')}]`);
      if (!sameKeys(rk, k)) throw new ConfigError('mismatched keys', `row ${i} has kpis [${rk.join(', ')}], row 0 has [${k.join(', ')}]`);
      x.push(s.map((name) => {
        const v = row.settings[name];
        if (!finite(v)) throw new ConfigError('bad data', `row ${i}: setting ${name} is ${String(v)}, not a finite number`);
        return v;
      }));
      y.push(k.map((name) => {
        const v = row.kpis[name];
        if (!finite(v)) throw new ConfigError('bad data', `row ${i}: kpi ${name} is ${String(v)}, not a finite number`);
        return v;
      }));
    });
    return { names: { s, k }, x, y };
  }

  /**
   * Trains on scenario results and returns the held-out error per KPI. ConfigError 'too few rows',
   * 'mismatched keys' or 'bad data' (NaN, missing or non-numeric values) before any training.
   */
  async train(rows: ScenarioResult[], options: { signal?: AbortSignal } = {}): Promise<SurrogateTrainResult> {
    const { names, x, y } = this.matrices(rows);
    if (this.trainer.running) throw new ConfigError('busy', 'the surrogate is already training');
    const n = x.length;
    const order = Array.from({ length: n }, (_, i) => i);
    const rnd = new SeededRandom(this.opts.seed);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(rnd.next() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    const nVal = Math.max(1, Math.round(n * this.opts.validationFraction));
    const valIdx = order.slice(0, nVal);
    const trainIdx = order.slice(nVal);
    const settingScaler = new MinMaxScaler({ lo: 0, hi: 1 }).fit(trainIdx.map((i) => x[i]));
    const kpiScaler = new MinMaxScaler({ lo: 0.1, hi: 0.9 }).fit(trainIdx.map((i) => y[i]));
    const data: TrainingRow[] = trainIdx.map((i) => ({ input: settingScaler.transform(x[i]), output: kpiScaler.transform(y[i]) }));
    const net = createNetwork({ inputs: names.s.length, outputs: names.k.length, hiddenLayers: this.opts.hiddenLayers, activation: this.opts.activation, seed: this.opts.seed });
    const result = await this.trainer.train(net, data, { ...this.opts.training, seed: this.opts.training.seed ?? this.opts.seed, signal: options.signal });
    const applied = result.stopReason !== 'cancelled';
    const kpis: Record<string, KpiError> = {};
    names.k.forEach((name, j) => {
      let sq = 0;
      let abs = 0;
      for (const i of valIdx) {
        const pred = kpiScaler.inverseValue(runNetwork(net, settingScaler.transform(x[i]))[j], j);
        sq += (pred - y[i][j]) ** 2;
        abs += Math.abs(pred - y[i][j]);
      }
      let lo = Infinity;
      let hi = -Infinity;
      for (const row of y) {
        lo = Math.min(lo, row[j]);
        hi = Math.max(hi, row[j]);
      }
      const r = Math.sqrt(sq / valIdx.length);
      kpis[name] = { rmse: r, mae: abs / valIdx.length, relError: hi > lo ? r / (hi - lo) : NaN };
    });
    if (applied) {
      this.net = net;
      this.settingScaler = settingScaler;
      this.kpiScaler = kpiScaler;
      this.settingNames = names.s;
      this.kpiNames = names.k;
      this.validation = kpis;
    }
    return { ...result, kpis, trainRows: trainIdx.length, validationRows: valIdx.length, applied };
  }

  /**
   * KPIs predicted for these settings. ConfigError 'not trained' before training; InputError
   * 'missing setting' / 'unknown setting' / 'not finite' for settings that do not match.
   */
  predict(settings: Record<string, number>): Record<string, number> {
    if (!this.net || !this.settingScaler || !this.kpiScaler) throw new ConfigError('not trained', 'the surrogate has not been trained');
    if (!settings || typeof settings !== 'object') throw new InputError('bad settings', 'settings must be an object of numbers');
    for (const key of Object.keys(settings)) {
      if (!this.settingNames.includes(key)) throw new InputError('unknown setting', `setting ${key} is not one the surrogate was trained on (${this.settingNames.join(', ')})`);
    }
    const x = this.settingNames.map((name) => {
      if (!(name in settings)) throw new InputError('missing setting', `setting ${name} is missing`);
      const v = settings[name];
      if (!finite(v)) throw new InputError('not finite', `setting ${name} is ${String(v)}, not a finite number`);
      return v;
    });
    const out = runNetwork(this.net, this.settingScaler.transform(x));
    const kpis: Record<string, number> = {};
    this.kpiNames.forEach((name, j) => {
      kpis[name] = this.kpiScaler!.inverseValue(out[j], j);
    });
    return kpis;
  }

  toJSON(): SurrogateJSON {
    if (!this.net || !this.settingScaler || !this.kpiScaler) throw new ConfigError('not trained', 'only a trained surrogate can be saved');
    return {
      kind: 'kpi-surrogate',
      version: 1,
      options: { ...this.opts, hiddenLayers: this.opts.hiddenLayers.slice(), training: { ...this.opts.training } },
      settings: this.settingNames.slice(),
      kpis: this.kpiNames.slice(),
      network: this.net.toJSON(),
      settingScaler: this.settingScaler.toJSON(),
      kpiScaler: this.kpiScaler.toJSON(),
      validation: this.validationErrors,
    };
  }

  /** Restores a surrogate saved with toJSON(); ConfigError 'bad model' if it is not one. */
  static fromJSON(json: SurrogateJSON): KpiSurrogate {
    if (!json || typeof json !== 'object' || json.kind !== 'kpi-surrogate' || json.version !== 1) throw new ConfigError('bad model', 'not a saved KPI surrogate (kind kpi-surrogate, version 1)');
    if (!Array.isArray(json.settings) || !Array.isArray(json.kpis) || json.settings.length === 0 || json.kpis.length === 0) throw new ConfigError('bad model', 'the saved surrogate has no setting or KPI names');
    const s = new KpiSurrogate(json.options);
    const net = restoreNetwork(json.network);
    const settingScaler = MinMaxScaler.fromJSON(json.settingScaler);
    const kpiScaler = MinMaxScaler.fromJSON(json.kpiScaler);
    if (settingScaler.columns !== json.settings.length || kpiScaler.columns !== json.kpis.length) throw new ConfigError('bad model', 'the saved scalers do not match the setting and KPI names');
    const sizes = json.network.sizes;
    if (sizes[0] !== json.settings.length || sizes[sizes.length - 1] !== json.kpis.length) throw new ConfigError('bad model', 'the saved network does not match the setting and KPI names');
    s.net = net;
    s.settingScaler = settingScaler;
    s.kpiScaler = kpiScaler;
    s.settingNames = json.settings.slice();
    s.kpiNames = json.kpis.slice();
    s.validation = json.validation ?? {};
    return s;
  }
}
