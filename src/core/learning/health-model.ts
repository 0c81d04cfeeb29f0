/**
 * Remaining-useful-life (RUL) model trained on run-to-failure histories: each unit is a time
 * series of sensor vectors (one row per cycle) ending at failure, so the row i cycles before the
 * end has RUL i. Targets are capped (default 125: early in life the RUL is not observable from
 * the sensors, the usual piecewise-linear target of the C-MAPSS literature).
 *
 * Features, over the trailing `window` rows (default 30; fewer at the start of a series), for each
 * chosen sensor: the recent value (mean of the last `recent` rows, default 5, which smooths the
 * sensor noise; 1 = the raw last value), the window mean and the least-squares slope per row.
 * They are min-max scaled by the scaler fitted on the training features; the RUL is scaled into
 * [0.1, 0.9] for the sigmoid output. Sensors are chosen automatically unless given: a column is
 * dropped when it is (near-)constant on the training data, i.e. its most frequent value covers at
 * least `constantShare` (default 0.95) of the rows or its range is zero.
 *
 * Training (feature extraction, then the network with the sliced trainer) never holds the event
 * loop for more than a slice. `parseCmapss` reads the NASA C-MAPSS text format.
 */
import type { NeuralNetwork } from 'brain.js';
import type { Activation, NeuralNetworkJSON } from 'brain.js';
import { ConfigError, InputError, describeValue } from '../errors';
import { createNetwork, restoreNetwork, runNetwork } from './network';
import { MinMaxScaler, ScalerJSON } from './scaler';
import { forEachSliced, SlicedTrainer, SlicedTrainOptions, SlicedTrainResult, TrainingMatrix } from './sliced-trainer';

// --- C-MAPSS parser -------------------------------------------------------------------------------

export interface CmapssUnit {
  cycles: number[];
  /** Three operational settings per cycle. */
  settings: number[][];
  /** 21 sensor measurements per cycle. */
  sensors: number[][];
}

const CMAPSS_COLUMNS = 26;

/**
 * Parses the NASA C-MAPSS turbofan text format (train_FD00x / test_FD00x): one cycle per line, 26
 * numbers separated by spaces: unit, cycle, 3 operational settings, 21 sensors. Blank lines are
 * skipped. InputError 'bad line' naming the (1-based) line number for a wrong column count, a
 * value that is not a number, a unit or cycle that is not a positive integer, or a cycle that does
 * not increase within its unit. Units keep their order of first appearance.
 */
export function parseCmapss(text: string): Map<number, CmapssUnit> {
  if (typeof text !== 'string') throw new InputError('bad input', 'C-MAPSS data must be text');
  const units = new Map<number, CmapssUnit>();
  const lines = text.split(/\r?\n/);
  for (let ln = 0; ln < lines.length; ln++) addCmapssLine(units, lines[ln], ln + 1);
  return units;
}

/**
 * parseCmapss in slices of about `sliceMs` (default 5) of synchronous work, yielding between them:
 * the training file is a few MB, parsed at once it would hold the event loop for 100 ms and more.
 */
export async function parseCmapssSliced(text: string, sliceMs = 5): Promise<Map<number, CmapssUnit>> {
  if (typeof text !== 'string') throw new InputError('bad input', 'C-MAPSS data must be text');
  const units = new Map<number, CmapssUnit>();
  let pos = 0;
  let ln = 0;
  while (pos < text.length) {
    const sliceStart = performance.now();
    while (pos < text.length && performance.now() - sliceStart < sliceMs) {
      for (let k = 0; k < 64 && pos < text.length; k++) {
        let end = text.indexOf('\n', pos);
        if (end < 0) end = text.length;
        addCmapssLine(units, text.slice(pos, end), ++ln);
        pos = end + 1;
      }
    }
    if (pos < text.length) await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return units;
}

/** Adds one line (1-based number `ln`) to `units`; see parseCmapss for what is refused. */
function addCmapssLine(units: Map<number, CmapssUnit>, raw: string, ln: number): void {
  const line = raw.trim();
  if (line === '') return;
  const where = `line ${ln}`;
  const parts = line.split(/\s+/);
  if (parts.length !== CMAPSS_COLUMNS) throw new InputError('bad line', `${where}: ${parts.length} columns, C-MAPSS has ${CMAPSS_COLUMNS} (unit, cycle, 3 settings, 21 sensors)`);
  const values = new Array<number>(CMAPSS_COLUMNS);
  for (let j = 0; j < CMAPSS_COLUMNS; j++) {
    const v = Number(parts[j]);
    if (!Number.isFinite(v)) throw new InputError('bad line', `${where}: column ${j + 1} is "${parts[j]}", not a number`);
    values[j] = v;
  }
  const [unit, cycle] = values;
  if (!Number.isInteger(unit) || unit < 1) throw new InputError('bad line', `${where}: unit "${parts[0]}" is not a positive integer`);
  if (!Number.isInteger(cycle) || cycle < 1) throw new InputError('bad line', `${where}: cycle "${parts[1]}" is not a positive integer`);
  let u = units.get(unit);
  if (!u) {
    u = { cycles: [], settings: [], sensors: [] };
    units.set(unit, u);
  }
  const prev = u.cycles[u.cycles.length - 1];
  if (prev !== undefined && cycle <= prev) throw new InputError('bad line', `${where}: unit ${unit} cycle ${cycle} does not follow cycle ${prev}`);
  u.cycles.push(cycle);
  u.settings.push(values.slice(2, 5));
  u.sensors.push(values.slice(5));
}

// --- Feature extraction ---------------------------------------------------------------------------

/**
 * Features of the series up to row `end` (inclusive): per sensor [recent mean, window mean,
 * slope per row], in the order of `sensors`.
 */
export function windowFeatures(series: ReadonlyArray<ArrayLike<number>>, end: number, sensors: readonly number[], window: number, recent: number): number[] {
  const start = Math.max(0, end - window + 1);
  const n = end - start + 1;
  const recentStart = Math.max(start, end - recent + 1);
  const tm = (n - 1) / 2;
  const den = (n * (n * n - 1)) / 12; // Σ (t − tm)²
  const out = new Array<number>(sensors.length * 3);
  for (let s = 0; s < sensors.length; s++) {
    const j = sensors[s];
    let sum = 0;
    let tsum = 0;
    for (let i = start; i <= end; i++) {
      const x = series[i][j];
      sum += x;
      tsum += (i - start - tm) * x;
    }
    let rsum = 0;
    for (let i = recentStart; i <= end; i++) rsum += series[i][j];
    out[3 * s] = rsum / (end - recentStart + 1);
    out[3 * s + 1] = sum / n;
    out[3 * s + 2] = den > 0 ? tsum / den : 0;
  }
  return out;
}

// --- Model ----------------------------------------------------------------------------------------

export type HealthTrainingOptions = Omit<SlicedTrainOptions, 'signal' | 'onEpoch'>;

export interface HealthModelOptions {
  /** Trailing rows the features look at (default 30). */
  window?: number;
  /** Rows averaged for the "recent value" feature (default 5; 1 = last value). */
  recent?: number;
  /** Cap of the training targets (default 125). */
  rulCap?: number;
  /** Sensor columns to use; default: every column not (near-)constant on the training data. */
  sensors?: number[];
  /** Share of the most frequent value above which a column counts as constant (default 0.95). */
  constantShare?: number;
  /** Hidden layer sizes (default [32]). */
  hiddenLayers?: number[];
  activation?: Activation;
  /** Seed of the starting weights and the shuffle (default 1). */
  seed?: number;
  /** Sliced-trainer options (default 40 epochs, learning rate 0.1 annealed to 0.005, momentum 0.5). */
  training?: HealthTrainingOptions;
}

export interface HealthTrainResult extends SlicedTrainResult {
  /** Sensor columns used, and those dropped as (near-)constant. */
  sensors: number[];
  dropped: number[];
  /** Training samples (one per cycle of every unit) and features per sample. */
  samples: number;
  features: number;
  /** Time spent extracting features and scaling, ms (included in elapsedMs). */
  prepareMs: number;
  /** False when cancelled: the previous model (if any) is kept. */
  applied: boolean;
}

export interface HealthModelJSON {
  kind: 'health-model';
  version: 1;
  options: Required<Omit<HealthModelOptions, 'sensors' | 'training'>> & { sensors?: number[]; training: HealthTrainingOptions };
  columns: number;
  sensors: number[];
  network: NeuralNetworkJSON;
  featureScaler: ScalerJSON;
  rulScaler: ScalerJSON;
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function positiveInt(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new ConfigError(`bad ${name}`, `${name} must be a positive integer, got ${String(v)}`);
  return v;
}

/** Columns whose most frequent value covers at least `share` of `count` rows, or whose range is 0. */
function constantColumns(freq: Array<Map<number, number>>, min: number[], max: number[], count: number, share: number): number[] {
  const out: number[] = [];
  for (let j = 0; j < freq.length; j++) {
    let top = 0;
    for (const c of freq[j].values()) if (c > top) top = c;
    if (max[j] - min[j] <= 1e-12 * Math.max(1, Math.abs(min[j])) || top >= share * count) out.push(j);
  }
  return out;
}

export class HealthModel {
  private readonly opts: HealthModelJSON['options'];
  private readonly trainer = new SlicedTrainer();
  private net: NeuralNetwork | undefined;
  private featureScaler: MinMaxScaler | undefined;
  private rulScaler: MinMaxScaler | undefined;
  private chosen: number[] = [];
  private columns = 0;
  private running: AbortController | undefined;

  constructor(options: HealthModelOptions = {}) {
    const constantShare = options.constantShare ?? 0.95;
    if (!finite(constantShare) || constantShare <= 0.5 || constantShare > 1) throw new ConfigError('bad constantShare', `constantShare must be in (0.5, 1], got ${String(constantShare)}`);
    const rulCap = options.rulCap ?? 125;
    if (!finite(rulCap) || rulCap <= 0) throw new ConfigError('bad rulCap', `rulCap must be a positive number, got ${String(rulCap)}`);
    if (options.sensors !== undefined) {
      if (!Array.isArray(options.sensors) || options.sensors.length === 0) throw new ConfigError('bad sensors', 'sensors must be a non-empty list of column indices');
      options.sensors.forEach((j) => {
        if (!Number.isInteger(j) || j < 0) throw new ConfigError('bad sensors', `sensor column ${String(j)} is not an index >= 0`);
      });
    }
    this.opts = {
      window: positiveInt('window', options.window ?? 30),
      recent: positiveInt('recent', options.recent ?? 5),
      rulCap,
      constantShare,
      hiddenLayers: (options.hiddenLayers ?? [32]).slice(),
      activation: options.activation ?? 'sigmoid',
      seed: options.seed ?? 1,
      training: { epochs: 40, learningRate: 0.1, finalLearningRate: 0.005, momentum: 0.5, ...(options.training ?? {}) },
      ...(options.sensors ? { sensors: options.sensors.slice() } : {}),
    };
    createNetwork({ inputs: 1, outputs: 1, hiddenLayers: this.opts.hiddenLayers, activation: this.opts.activation });
    new SlicedTrainer(this.opts.training);
  }

  get trained(): boolean {
    return this.net !== undefined;
  }

  /** Sensor columns in use (empty before training). */
  get sensors(): number[] {
    return this.chosen.slice();
  }

  /** Stops a running train(), preparation included (it resolves with applied: false). */
  cancel(): void {
    this.running?.abort();
  }

  /** ConfigError unless unit `u` is a non-empty series of `width`-wide rows of finite numbers. */
  private static checkUnit(series: ReadonlyArray<ArrayLike<number>>, u: number, width: number): void {
    if (!Array.isArray(series) || series.length === 0) throw new ConfigError('bad data', `unit ${u} has no rows`);
    for (let i = 0; i < series.length; i++) {
      const row = series[i];
      if (!row || row.length !== width) throw new ConfigError('bad data', `unit ${u} row ${i} has ${row?.length} values, expected ${width}`);
      for (let j = 0; j < width; j++) if (!finite(row[j])) throw new ConfigError('bad data', `unit ${u} row ${i} column ${j} is ${describeValue(row[j])}, not a finite number`);
    }
  }

  /**
   * Trains on run-to-failure series (each ends at failure; rows are cycles, columns sensors).
   * ConfigError 'no data' / 'bad data' / 'no sensors' before training, 'busy' while training.
   */
  async train(units: number[][][], options: { signal?: AbortSignal } = {}): Promise<HealthTrainResult> {
    if (this.running) throw new ConfigError('busy', 'the health model is already training');
    if (!Array.isArray(units) || units.length === 0) throw new ConfigError('no data', 'the health model needs at least one run-to-failure series');
    const width = units[0]?.[0]?.length;
    if (!Number.isInteger(width) || width < 1) throw new ConfigError('bad data', 'unit 0 has no sensor rows');
    // One controller for this run: cancel() and the caller's signal stop the preparation and the training.
    const controller = new AbortController();
    const outer = options.signal;
    const onAbort = (): void => controller.abort();
    if (outer?.aborted) controller.abort();
    else outer?.addEventListener('abort', onAbort, { once: true });
    this.running = controller;
    try {
      return await this.run(units, width, controller.signal);
    } finally {
      outer?.removeEventListener('abort', onAbort);
      this.running = undefined;
    }
  }

  private async run(units: number[][][], width: number, signal: AbortSignal): Promise<HealthTrainResult> {
    const t0 = performance.now();
    const sliceMs = this.opts.training.sliceMs ?? 8;
    let prepMax = 0;

    // 1. Check every row and, unless the sensors are given, drop (near-)constant columns.
    const auto = !this.opts.sensors;
    const freq = Array.from({ length: auto ? width : 0 }, () => new Map<number, number>());
    const min = new Array<number>(width).fill(Infinity);
    const max = new Array<number>(width).fill(-Infinity);
    let count = 0;
    const scan = await forEachSliced(units.length, (u) => {
      HealthModel.checkUnit(units[u], u, width);
      if (!auto) return;
      for (const row of units[u]) {
        for (let j = 0; j < width; j++) {
          const v = row[j];
          freq[j].set(v, (freq[j].get(v) ?? 0) + 1);
          if (v < min[j]) min[j] = v;
          if (v > max[j]) max[j] = v;
        }
        count++;
      }
    }, { sliceMs, signal });
    prepMax = Math.max(prepMax, scan.maxSliceMs);
    if (scan.cancelled) return this.cancelledResult(t0, prepMax);
    let sensors: number[];
    let dropped: number[] = [];
    if (this.opts.sensors) {
      sensors = this.opts.sensors.slice();
      const bad = sensors.find((j) => j >= width);
      if (bad !== undefined) throw new ConfigError('bad sensors', `sensor column ${bad} does not exist: the rows have ${width} columns`);
    } else {
      dropped = constantColumns(freq, min, max, count, this.opts.constantShare);
      sensors = [];
      for (let j = 0; j < width; j++) if (!dropped.includes(j)) sensors.push(j);
      if (sensors.length === 0) throw new ConfigError('no sensors', 'every sensor column is (near-)constant on the training data');
    }

    // 2. Features and capped RUL targets, one sample per cycle, into two flat matrices (a few
    //    large typed arrays rather than one small array per sample: far less GC copying).
    const d = sensors.length * 3;
    let samples = 0;
    for (const series of units) samples += series.length;
    const inputs = new Float64Array(samples * d);
    const outputs = new Float64Array(samples);
    const unitStart: number[] = [];
    for (let u = 0, at = 0; u < units.length; at += units[u].length, u++) unitStart.push(at);
    const feat = await forEachSliced(units.length, (u) => {
      const series = units[u];
      for (let end = 0; end < series.length; end++) {
        const i = unitStart[u] + end;
        inputs.set(windowFeatures(series, end, sensors, this.opts.window, this.opts.recent), i * d);
        outputs[i] = Math.min(this.opts.rulCap, series.length - 1 - end);
      }
    }, { sliceMs, signal });
    prepMax = Math.max(prepMax, feat.maxSliceMs);
    if (feat.cancelled) return this.cancelledResult(t0, prepMax);

    // 3. Scaling, fitted and applied in place, in chunks.
    const featureScaler = new MinMaxScaler({ lo: 0, hi: 1 });
    const rulScaler = new MinMaxScaler({ lo: 0.1, hi: 0.9 }).fit([[0], [this.opts.rulCap]]);
    const CHUNK = 256;
    const chunks = Math.ceil(samples / CHUNK);
    const rowsOf = (c: number): Float64Array[] => {
      const rows: Float64Array[] = [];
      for (let i = c * CHUNK; i < Math.min(samples, (c + 1) * CHUNK); i++) rows.push(inputs.subarray(i * d, (i + 1) * d));
      return rows;
    };
    const fit = await forEachSliced(chunks, (c) => featureScaler.partialFit(rowsOf(c)), { sliceMs, signal });
    prepMax = Math.max(prepMax, fit.maxSliceMs);
    if (fit.cancelled) return this.cancelledResult(t0, prepMax);
    const scale = await forEachSliced(chunks, (c) => {
      for (let i = c * CHUNK; i < Math.min(samples, (c + 1) * CHUNK); i++) {
        for (let j = 0; j < d; j++) inputs[i * d + j] = featureScaler.transformValue(inputs[i * d + j], j);
        outputs[i] = rulScaler.transformValue(outputs[i], 0);
      }
    }, { sliceMs, signal });
    prepMax = Math.max(prepMax, scale.maxSliceMs);
    if (scale.cancelled) return this.cancelledResult(t0, prepMax);
    const prepareMs = performance.now() - t0;
    const data: TrainingMatrix = { inputs, outputs, inputSize: d, outputSize: 1 };

    // 4. The network.
    const net = createNetwork({ inputs: d, outputs: 1, hiddenLayers: this.opts.hiddenLayers, activation: this.opts.activation, seed: this.opts.seed });
    const result = await this.trainer.train(net, data, { ...this.opts.training, seed: this.opts.training.seed ?? this.opts.seed, signal });
    const applied = result.stopReason !== 'cancelled';
    if (applied) {
      this.net = net;
      this.featureScaler = featureScaler;
      this.rulScaler = rulScaler;
      this.chosen = sensors;
      this.columns = width;
    }
    return {
      ...result,
      elapsedMs: performance.now() - t0,
      maxSliceMs: Math.max(result.maxSliceMs, prepMax),
      sensors: sensors.slice(),
      dropped,
      samples,
      features: d,
      prepareMs,
      applied,
    };
  }

  private cancelledResult(t0: number, prepMax: number): HealthTrainResult {
    return {
      error: NaN, epochs: 0, slices: 0, trainCalls: 0, elapsedMs: performance.now() - t0, maxSliceMs: prepMax, meanSliceMs: 0, p99SliceMs: 0, batchSize: 0,
      stopReason: 'cancelled', sensors: [], dropped: [], samples: 0, features: 0, prepareMs: performance.now() - t0, applied: false,
    };
  }

  /**
   * RUL predicted after the last row of `series` (rows = cycles, the same columns as in
   * training), clamped to [0, rulCap]. ConfigError 'not trained'; InputError for an empty series,
   * a row of the wrong width or a value that is not finite.
   */
  predictRul(series: number[][]): number {
    if (!this.net || !this.featureScaler || !this.rulScaler) throw new ConfigError('not trained', 'the health model has not been trained');
    if (!Array.isArray(series) || series.length === 0) throw new InputError('no data', 'the series has no rows');
    const start = Math.max(0, series.length - this.opts.window);
    for (let i = start; i < series.length; i++) {
      const row = series[i];
      if (!row || row.length !== this.columns) throw new InputError('bad row', `row ${i} has ${row?.length} values, the model was trained on ${this.columns}`);
      for (const j of this.chosen) if (!finite(row[j])) throw new InputError('not finite', `row ${i} column ${j} is ${describeValue(row[j])}, not a finite number`);
    }
    const x = this.featureScaler.transform(windowFeatures(series, series.length - 1, this.chosen, this.opts.window, this.opts.recent));
    const rul = this.rulScaler.inverseValue(runNetwork(this.net, x)[0], 0);
    return Math.min(this.opts.rulCap, Math.max(0, rul));
  }

  /** RMSE of predictRul at the end of each series against `trueRul` (same order). */
  evaluate(units: number[][][], trueRul: number[]): number {
    if (!Array.isArray(units) || !Array.isArray(trueRul) || units.length !== trueRul.length || units.length === 0) {
      throw new InputError('bad data', `evaluate needs as many true RUL values as series, got ${units?.length} series and ${trueRul?.length} values`);
    }
    let sq = 0;
    units.forEach((series, i) => {
      if (!finite(trueRul[i])) throw new InputError('not finite', `true RUL ${i} is ${String(trueRul[i])}, not a finite number`);
      sq += (this.predictRul(series) - trueRul[i]) ** 2;
    });
    return Math.sqrt(sq / units.length);
  }

  toJSON(): HealthModelJSON {
    if (!this.net || !this.featureScaler || !this.rulScaler) throw new ConfigError('not trained', 'only a trained health model can be saved');
    return {
      kind: 'health-model',
      version: 1,
      options: { ...this.opts, hiddenLayers: this.opts.hiddenLayers.slice(), training: { ...this.opts.training } },
      columns: this.columns,
      sensors: this.chosen.slice(),
      network: this.net.toJSON(),
      featureScaler: this.featureScaler.toJSON(),
      rulScaler: this.rulScaler.toJSON(),
    };
  }

  /** Restores a model saved with toJSON(); ConfigError 'bad model' if it is not one. */
  static fromJSON(json: HealthModelJSON): HealthModel {
    if (!json || typeof json !== 'object' || json.kind !== 'health-model' || json.version !== 1) throw new ConfigError('bad model', 'not a saved health model (kind health-model, version 1)');
    const m = new HealthModel(json.options);
    if (!Array.isArray(json.sensors) || json.sensors.length === 0 || !Number.isInteger(json.columns) || json.sensors.some((j) => !Number.isInteger(j) || j < 0 || j >= json.columns)) {
      throw new ConfigError('bad model', 'the saved sensor columns do not fit the saved row width');
    }
    const net = restoreNetwork(json.network);
    const featureScaler = MinMaxScaler.fromJSON(json.featureScaler);
    const rulScaler = MinMaxScaler.fromJSON(json.rulScaler);
    if (net.toJSON().sizes[0] !== json.sensors.length * 3 || featureScaler.columns !== json.sensors.length * 3 || rulScaler.columns !== 1) {
      throw new ConfigError('bad model', 'the saved network and scalers do not match the sensor count');
    }
    m.net = net;
    m.featureScaler = featureScaler;
    m.rulScaler = rulScaler;
    m.chosen = json.sensors.slice();
    m.columns = json.columns;
    return m;
  }
}
