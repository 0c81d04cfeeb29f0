/**
 * Hybrid physics + learning: a small network learns, online, the residual between what the
 * physics model predicts and what is then measured (measured − physics) from a few features
 * (e.g. state, input, the physics prediction itself). The hybrid prediction is
 * physics + learned residual; before the first training the residual is 0, so the hybrid is
 * the physics model.
 *
 * - Rows go into a bounded ring buffer (default 2,000 rows; the oldest are dropped).
 * - train() snapshots the buffer, holds out every fifth of 50 contiguous blocks (20 % by default;
 *   blocks rather than single rows so neighbouring, correlated samples do not leak into the
 *   validation), fits the scalers on the rest (features into [0, 1], residual into [0.1, 0.9]),
 *   trains a fresh seeded network with the sliced trainer (never blocks the event loop for long),
 *   and measures physics-only and hybrid RMSE on the held-out blocks. A cancelled training
 *   leaves the previous model in place.
 * - toJSON/fromJSON persist the network, scalers, statistics and the buffered rows.
 */
import type { NeuralNetwork } from 'brain.js';
import type { Activation, NeuralNetworkJSON } from 'brain.js';
import { ConfigError, InputError } from '../errors';
import { createNetwork, restoreNetwork, runNetwork } from './network';
import { MinMaxScaler, ScalerJSON } from './scaler';
import { SlicedTrainer, SlicedTrainOptions, SlicedTrainResult, TrainingRow } from './sliced-trainer';

export type ResidualTrainingOptions = Omit<SlicedTrainOptions, 'signal' | 'onEpoch'>;

export interface ResidualModelOptions {
  /** Number of feature values per row. */
  features: number;
  /** Rows kept (default 2000). */
  capacity?: number;
  /** Hidden layer sizes (default [12]). */
  hiddenLayers?: number[];
  activation?: Activation;
  /** Share of the rows held out for validation (default 0.2; 0 = none). */
  validationFraction?: number;
  /** Fewest rows train() accepts (default 50). */
  minRows?: number;
  /** Seed of the starting weights and the shuffle (default 1). */
  seed?: number;
  /** Sliced-trainer options (default 150 epochs, learning rate 0.3 annealed to 0.02). */
  training?: ResidualTrainingOptions;
}

export interface ResidualStats {
  rows: number;
  capacity: number;
  trained: boolean;
  trainRows: number;
  validationRows: number;
  /** RMSE of the physics model alone on the held-out rows (NaN without validation rows). */
  physicsRmse: number;
  /** RMSE of physics + learned residual on the same rows. */
  hybridRmse: number;
  /** hybridRmse / physicsRmse (< 1: the learned residual helps). */
  ratio: number;
  lastTraining?: SlicedTrainResult;
}

export interface ResidualTrainResult extends SlicedTrainResult {
  /** False when cancelled: the previous model (if any) is kept. */
  applied: boolean;
  stats: ResidualStats;
}

export interface ResidualModelJSON {
  kind: 'residual-model';
  version: 1;
  options: Required<Omit<ResidualModelOptions, 'training' | 'activation'>> & { activation: Activation; training: ResidualTrainingOptions };
  network?: NeuralNetworkJSON;
  featureScaler?: ScalerJSON;
  targetScaler?: ScalerJSON;
  stats: Omit<ResidualStats, 'rows' | 'capacity' | 'trained'>;
  /** Buffered rows, oldest first: [...features, physicsPrediction, measured]. */
  rows: number[][];
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function rmse(sumSq: number, n: number): number {
  return n > 0 ? Math.sqrt(sumSq / n) : NaN;
}

/** True for the rows of block-wise hold-out: `fraction` of 50 contiguous blocks, spread evenly. */
export function blockHoldout(n: number, fraction: number, blocks = 50): boolean[] {
  const held = new Array<boolean>(n).fill(false);
  if (fraction <= 0 || n === 0) return held;
  const size = Math.max(1, Math.ceil(n / blocks));
  for (let i = 0; i < n; i++) {
    const b = Math.floor(i / size);
    held[i] = Math.floor((b + 1) * fraction) > Math.floor(b * fraction);
  }
  return held;
}

export class ResidualModel {
  private readonly opts: ResidualModelJSON['options'];
  private readonly feats: Float64Array[];
  private readonly physics: Float64Array;
  private readonly measured: Float64Array;
  private head = 0; // next write position
  private count = 0;
  private net: NeuralNetwork | undefined;
  private featureScaler: MinMaxScaler | undefined;
  private targetScaler: MinMaxScaler | undefined;
  private lastStats: ResidualModelJSON['stats'] = { trainRows: 0, validationRows: 0, physicsRmse: NaN, hybridRmse: NaN, ratio: NaN };
  private readonly trainer = new SlicedTrainer();

  constructor(options: ResidualModelOptions) {
    const o = options ?? ({} as ResidualModelOptions);
    if (!Number.isInteger(o.features) || o.features < 1) throw new ConfigError('bad features', `features must be a positive integer (values per row), got ${String(o.features)}`);
    const capacity = o.capacity ?? 2000;
    if (!Number.isInteger(capacity) || capacity < 10) throw new ConfigError('bad capacity', `capacity must be an integer >= 10, got ${String(capacity)}`);
    const validationFraction = o.validationFraction ?? 0.2;
    if (!finite(validationFraction) || validationFraction < 0 || validationFraction > 0.5) throw new ConfigError('bad validationFraction', `validationFraction must be in [0, 0.5], got ${String(validationFraction)}`);
    const minRows = o.minRows ?? 50;
    if (!Number.isInteger(minRows) || minRows < 2 || minRows > capacity) throw new ConfigError('bad minRows', `minRows must be an integer in [2, capacity], got ${String(minRows)}`);
    const training: ResidualTrainingOptions = { epochs: 150, learningRate: 0.3, finalLearningRate: 0.02, ...(o.training ?? {}) };
    this.opts = {
      features: o.features,
      capacity,
      hiddenLayers: (o.hiddenLayers ?? [12]).slice(),
      activation: o.activation ?? 'sigmoid',
      validationFraction,
      minRows,
      seed: o.seed ?? 1,
      training,
    };
    // Refuse a bad network shape or training option now rather than at the first train().
    createNetwork({ inputs: o.features, outputs: 1, hiddenLayers: this.opts.hiddenLayers, activation: this.opts.activation, seed: this.opts.seed });
    new SlicedTrainer(training);
    this.feats = Array.from({ length: capacity }, () => new Float64Array(o.features));
    this.physics = new Float64Array(capacity);
    this.measured = new Float64Array(capacity);
  }

  get trained(): boolean {
    return this.net !== undefined;
  }

  get rows(): number {
    return this.count;
  }

  private checkFeatures(features: ArrayLike<number>): void {
    if (!features || typeof features.length !== 'number' || features.length !== this.opts.features) {
      throw new InputError('bad features', `expected ${this.opts.features} feature values, got ${features?.length}`);
    }
    for (let j = 0; j < features.length; j++) {
      if (!finite(features[j])) throw new InputError('not finite', `feature ${j} is ${String(features[j])}, not a finite number`);
    }
  }

  /** Adds one observation; InputError for a wrong feature count or a value that is not finite. */
  add(features: number[], physicsPrediction: number, measured: number): void {
    this.checkFeatures(features);
    if (!finite(physicsPrediction)) throw new InputError('not finite', `physics prediction is ${String(physicsPrediction)}, not a finite number`);
    if (!finite(measured)) throw new InputError('not finite', `measured value is ${String(measured)}, not a finite number`);
    this.feats[this.head].set(features);
    this.physics[this.head] = physicsPrediction;
    this.measured[this.head] = measured;
    this.head = (this.head + 1) % this.opts.capacity;
    if (this.count < this.opts.capacity) this.count++;
  }

  /** Buffer index of the i-th row, oldest first. */
  private at(i: number): number {
    return (this.head - this.count + i + this.opts.capacity) % this.opts.capacity;
  }

  /** Stops a running train() (it resolves with applied: false). */
  cancel(): void {
    this.trainer.cancel();
  }

  /**
   * Trains on the buffered rows (ConfigError 'too few rows' below minRows, 'busy' while a training
   * runs). Resolves when done; the new model is used from then on.
   */
  async train(options: { signal?: AbortSignal } = {}): Promise<ResidualTrainResult> {
    const n = this.count;
    if (n < this.opts.minRows) throw new ConfigError('too few rows', `the residual model needs at least ${this.opts.minRows} rows, it has ${n}`);
    if (this.trainer.running) throw new ConfigError('busy', 'the residual model is already training');
    const held = blockHoldout(n, this.opts.validationFraction);
    const trainIdx: number[] = [];
    const valIdx: number[] = [];
    for (let i = 0; i < n; i++) (held[i] ? valIdx : trainIdx).push(this.at(i));
    if (trainIdx.length < 2) throw new ConfigError('too few rows', `only ${trainIdx.length} rows left for training after the hold-out`);
    const feats = trainIdx.map((k) => Array.from(this.feats[k]));
    const residuals = trainIdx.map((k) => [this.measured[k] - this.physics[k]]);
    const featureScaler = new MinMaxScaler({ lo: 0, hi: 1 }).fit(feats);
    const targetScaler = new MinMaxScaler({ lo: 0.1, hi: 0.9 }).fit(residuals);
    const data: TrainingRow[] = feats.map((f, i) => ({ input: featureScaler.transform(f), output: targetScaler.transform(residuals[i]) }));
    const net = createNetwork({ inputs: this.opts.features, outputs: 1, hiddenLayers: this.opts.hiddenLayers, activation: this.opts.activation, seed: this.opts.seed });
    const result = await this.trainer.train(net, data, { ...this.opts.training, seed: this.opts.training.seed ?? this.opts.seed, signal: options.signal });
    const applied = result.stopReason !== 'cancelled';
    if (applied) {
      let physSq = 0;
      let hybSq = 0;
      for (const k of valIdx) {
        const r = targetScaler.inverseValue(runNetwork(net, featureScaler.transform(this.feats[k]))[0], 0);
        physSq += (this.measured[k] - this.physics[k]) ** 2;
        hybSq += (this.measured[k] - this.physics[k] - r) ** 2;
      }
      const physicsRmse = rmse(physSq, valIdx.length);
      const hybridRmse = rmse(hybSq, valIdx.length);
      this.net = net;
      this.featureScaler = featureScaler;
      this.targetScaler = targetScaler;
      this.lastStats = { trainRows: trainIdx.length, validationRows: valIdx.length, physicsRmse, hybridRmse, ratio: hybridRmse / physicsRmse, lastTraining: result };
    }
    return { ...result, applied, stats: this.stats() };
  }

  /** Learned residual (measured − physics) for these features; 0 before the first training. */
  predictResidual(features: number[]): number {
    this.checkFeatures(features);
    if (!this.net || !this.featureScaler || !this.targetScaler) return 0;
    return this.targetScaler.inverseValue(runNetwork(this.net, this.featureScaler.transform(features))[0], 0);
  }

  /** physicsPrediction + learned residual. */
  hybrid(features: number[], physicsPrediction: number): number {
    if (!finite(physicsPrediction)) throw new InputError('not finite', `physics prediction is ${String(physicsPrediction)}, not a finite number`);
    return physicsPrediction + this.predictResidual(features);
  }

  stats(): ResidualStats {
    return { rows: this.count, capacity: this.opts.capacity, trained: this.trained, ...this.lastStats };
  }

  toJSON(): ResidualModelJSON {
    const rows: number[][] = [];
    for (let i = 0; i < this.count; i++) {
      const k = this.at(i);
      rows.push([...this.feats[k], this.physics[k], this.measured[k]]);
    }
    const { lastTraining, ...stats } = this.lastStats;
    return {
      kind: 'residual-model',
      version: 1,
      options: { ...this.opts, hiddenLayers: this.opts.hiddenLayers.slice(), training: { ...this.opts.training } },
      network: this.net?.toJSON(),
      featureScaler: this.featureScaler?.toJSON(),
      targetScaler: this.targetScaler?.toJSON(),
      stats: { ...stats, lastTraining },
      rows,
    };
  }

  /** Restores a model saved with toJSON(); ConfigError 'bad model' if it is not one. */
  static fromJSON(json: ResidualModelJSON): ResidualModel {
    if (!json || typeof json !== 'object' || json.kind !== 'residual-model' || json.version !== 1 || !json.options) {
      throw new ConfigError('bad model', 'not a saved residual model (kind residual-model, version 1)');
    }
    const m = new ResidualModel(json.options);
    if (json.network) {
      if (!json.featureScaler || !json.targetScaler) throw new ConfigError('bad model', 'a saved network needs its feature and target scalers');
      m.net = restoreNetwork(json.network);
      m.featureScaler = MinMaxScaler.fromJSON(json.featureScaler);
      m.targetScaler = MinMaxScaler.fromJSON(json.targetScaler);
      if (m.featureScaler.columns !== json.options.features || m.targetScaler.columns !== 1) throw new ConfigError('bad model', 'the saved scalers do not match the feature count');
    }
    const num = (v: unknown): number => (v === null || v === undefined ? NaN : Number(v));
    if (json.stats) {
      m.lastStats = {
        trainRows: num(json.stats.trainRows),
        validationRows: num(json.stats.validationRows),
        physicsRmse: num(json.stats.physicsRmse),
        hybridRmse: num(json.stats.hybridRmse),
        ratio: num(json.stats.ratio),
        lastTraining: json.stats.lastTraining,
      };
    }
    const rows = Array.isArray(json.rows) ? json.rows : [];
    const f = json.options.features;
    rows.forEach((r, i) => {
      if (!Array.isArray(r) || r.length !== f + 2) throw new ConfigError('bad model', `saved row ${i} does not have ${f + 2} values`);
      try {
        m.add(r.slice(0, f), r[f], r[f + 1]);
      } catch (err) {
        throw new ConfigError('bad model', `saved row ${i}: ${(err as Error).message}`);
      }
    });
    return m;
  }
}
