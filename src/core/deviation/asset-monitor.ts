/**
 * Signals of one asset combined: every asset gets a T² + Q model (multivariate.ts) learned on its
 * first rows of normal operation; each later row is scored and each signal's share of the
 * deviation is given (attribution).
 *
 *   discovering   the asset's signals are those seen in its first `discoverSamples` samples (at
 *                 most `maxSignals`, in the order first seen); the set is then fixed
 *   rows          a row is the latest value of every signal, taken when the last signal of the set
 *                 arrives (one row per cycle when the plant sends all signals each cycle)
 *   learning      `learnRows` rows are kept; then, from them alone: a signal that wanders slowly
 *                 (lag-1 autocorrelation >= 0.8, e.g. a temperature) enters as its change over
 *                 `rateLag` rows, since its level leaves any normal window while its change does not;
 *                 the model is fitted; the threshold is the largest smoothed score the normal rows
 *                 themselves reach
 *   scoring       smoothed score = mean over the last `smoothRows` rows of max(T²/limit, Q/limit);
 *                 the asset is anomalous from the row it exceeds the threshold, normal again below it
 * An asset with a single signal has nothing to combine and is never modelled; a signal that appears
 * after discovery is left to its own detector (reset the asset to take it in).
 */
import { ConfigError, InputError } from '../errors';
import { AssetModel, type AssetModelJSON, type AssetScore } from './multivariate';

export interface AssetMonitorOptions {
  discoverSamples?: number;
  learnRows?: number;
  maxSignals?: number;
  /** Significance level of the model's control limits (default 0.01). */
  alpha?: number;
  maxAssets?: number;
  smoothRows?: number;
  rateLag?: number;
  /** Rows the smoothed score must stay over the threshold before the asset is anomalous. */
  minRows?: number;
  /** The threshold is this many times the largest smoothed score of the normal rows. */
  margin?: number;
}

export interface AssetDeviation {
  t2: number;
  t2Limit: number;
  q: number;
  qLimit: number;
  /** Smoothed score over the threshold learned from normal rows (above 1: anomalous). */
  level: number;
  isAnomaly: boolean;
  attribution: Record<string, number>;
}

interface WatchedAsset {
  seen: number;
  candidates: string[];
  signals: string[] | undefined;
  latest: Map<string, number>;
  /** Normal rows kept until the model is fitted. */
  normal: number[][];
  /** Raw rows of the last `rateLag` cycles, for the change features. */
  history: number[][];
  asRate: boolean[] | undefined;
  model: AssetModel | undefined;
  threshold: number;
  recent: number[];
  above: number;
  anomalous: boolean;
  last: AssetDeviation | undefined;
}

export interface SavedAsset {
  asset: string;
  seen: number;
  signals?: string[];
  asRate?: boolean[];
  threshold?: number;
  history?: number[][];
  model?: AssetModelJSON;
}

export class AssetMonitor {
  private readonly assets = new Map<string, WatchedAsset>();
  private readonly discoverSamples: number;
  private readonly learnRows: number;
  private readonly maxSignals: number;
  private readonly alpha: number;
  private readonly maxAssets: number;
  private readonly smoothRows: number;
  private readonly rateLag: number;
  private readonly minRows: number;
  private readonly margin: number;

  constructor(options: AssetMonitorOptions = {}) {
    this.discoverSamples = options.discoverSamples ?? 50;
    this.learnRows = options.learnRows ?? 200;
    this.maxSignals = options.maxSignals ?? 32;
    this.alpha = options.alpha ?? 0.01;
    this.maxAssets = options.maxAssets ?? 10_000;
    this.smoothRows = options.smoothRows ?? 5;
    this.rateLag = options.rateLag ?? 10;
    this.minRows = options.minRows ?? 3;
    this.margin = options.margin ?? 1.2;
    for (const [name, value] of Object.entries({ discoverSamples: this.discoverSamples, learnRows: this.learnRows, maxSignals: this.maxSignals, smoothRows: this.smoothRows, rateLag: this.rateLag })) {
      if (!Number.isInteger(value) || value < 1) throw new ConfigError(`bad ${name}`, `${name} must be a whole number >= 1`);
    }
    if (this.learnRows < this.rateLag + 10) throw new ConfigError('bad learnRows', `learnRows must be at least rateLag + 10 (${this.rateLag + 10})`);
  }

  /** The asset's deviation after this sample (the last row's while a cycle is incomplete), or undefined while not modelled. */
  observe(asset: string, signal: string, value: number): AssetDeviation | undefined {
    if (!Number.isFinite(value)) throw new InputError('not a number', 'the value is not a finite number', `${asset}/${signal}`);
    const watched = this.watch(asset);
    if (!watched) return undefined;
    watched.seen += 1;
    if (!watched.signals) {
      if (!watched.candidates.includes(signal) && watched.candidates.length < this.maxSignals) watched.candidates.push(signal);
      watched.latest.set(signal, value);
      if (watched.seen >= this.discoverSamples) watched.signals = watched.candidates.length >= 2 ? watched.candidates : [];
      return undefined;
    }
    const index = watched.signals.indexOf(signal);
    if (index < 0) return undefined;
    watched.latest.set(signal, value);
    if (index !== watched.signals.length - 1) return watched.last;
    const raw = watched.signals.map((name) => watched.latest.get(name));
    if (raw.some((v) => v === undefined)) return undefined;
    const row = raw as number[];
    if (!watched.model) {
      watched.normal.push(row);
      if (watched.normal.length >= this.learnRows) this.fit(watched);
      return undefined;
    }
    const features = this.features(watched, row);
    watched.last = this.judge(watched, watched.model.score(features));
    return watched.last;
  }

  /** Forgets one asset's model (its signals are discovered again), or every asset's. */
  reset(asset?: string): void {
    if (asset === undefined) this.assets.clear();
    else this.assets.delete(asset);
  }

  toJSON(): SavedAsset[] {
    return [...this.assets].map(([asset, w]) => ({
      asset, seen: w.seen, signals: w.signals, asRate: w.asRate, threshold: w.model ? w.threshold : undefined, history: w.model ? w.history : undefined, model: w.model?.toJSON(),
    }));
  }

  /** Restores saved assets; a bad one is skipped (and learned afresh), the others kept. */
  restore(saved: unknown): number {
    if (!Array.isArray(saved)) return 0;
    let skipped = 0;
    for (const entry of saved as SavedAsset[]) {
      try {
        if (!entry || typeof entry.asset !== 'string') throw new InputError('bad saved state', 'a saved asset has no name');
        const watched = this.blank();
        watched.seen = Number(entry.seen) || 0;
        watched.signals = Array.isArray(entry.signals) ? entry.signals.filter((s): s is string => typeof s === 'string') : undefined;
        watched.candidates = watched.signals ? [...watched.signals] : [];
        if (entry.model) {
          const model = AssetModel.fromJSON(entry.model);
          const m = watched.signals?.length ?? 0;
          const rows = (rowsOf: unknown): number[][] => (Array.isArray(rowsOf) ? rowsOf : []).filter((r): r is number[] => Array.isArray(r) && r.length === m && r.every(Number.isFinite));
          if (!Array.isArray(entry.asRate) || entry.asRate.length !== m || !(Number(entry.threshold) > 0)) throw new InputError('bad saved state', 'a saved asset model lacks its features or threshold');
          watched.model = model;
          watched.asRate = entry.asRate.map(Boolean);
          watched.threshold = Number(entry.threshold);
          watched.history = rows(entry.history).slice(-this.rateLag);
        }
        this.assets.set(entry.asset, watched);
      } catch {
        skipped += 1;
      }
    }
    return skipped;
  }

  private fit(watched: WatchedAsset): void {
    const signals = watched.signals as string[];
    const normal = watched.normal;
    watched.asRate = signals.map((_, j) => lag1Autocorrelation(normal.map((row) => row[j])) >= 0.8);
    const names = signals.map((name, j) => (watched.asRate?.[j] ? `${name} change` : name));
    const model = new AssetModel({ signals: names, alpha: this.alpha });
    const features = normal.map((row, i) => row.map((v, j) => (watched.asRate?.[j] ? v - normal[Math.max(0, i - this.rateLag)][j] : v)));
    const usable = features.slice(this.rateLag);
    for (const row of usable) model.learn(row);
    model.fit();
    // The threshold: the largest smoothed score the normal rows themselves reach.
    let threshold = 0;
    const recent: number[] = [];
    for (const row of usable) {
      recent.push(ratio(model.score(row)));
      if (recent.length > this.smoothRows) recent.shift();
      if (recent.length === this.smoothRows) threshold = Math.max(threshold, mean(recent));
    }
    watched.model = model;
    watched.threshold = Math.max(threshold * this.margin, 1e-9);
    watched.history = normal.slice(-this.rateLag);
    watched.normal = [];
  }

  private features(watched: WatchedAsset, row: number[]): number[] {
    const past = watched.history.length >= this.rateLag ? watched.history[watched.history.length - this.rateLag] : watched.history[0] ?? row;
    const features = row.map((v, j) => (watched.asRate?.[j] ? v - past[j] : v));
    watched.history.push(row);
    if (watched.history.length > this.rateLag) watched.history.shift();
    return features;
  }

  private judge(watched: WatchedAsset, score: AssetScore): AssetDeviation {
    watched.recent.push(ratio(score));
    if (watched.recent.length > this.smoothRows) watched.recent.shift();
    const level = mean(watched.recent) / watched.threshold;
    watched.above = level > 1 ? watched.above + 1 : 0;
    if (!watched.anomalous && watched.above >= this.minRows) watched.anomalous = true;
    else if (watched.anomalous && level <= 1) watched.anomalous = false;
    // The model names its inputs ("temperature change" for a change feature); report the signals' own names.
    const signals = watched.signals as string[];
    const inputs = (watched.model as AssetModel).options.signals;
    const attribution: Record<string, number> = {};
    signals.forEach((name, j) => { attribution[name] = score.attribution[inputs[j]]; });
    return { t2: score.t2, t2Limit: score.t2Limit, q: score.q, qLimit: score.qLimit, level, isAnomaly: watched.anomalous, attribution };
  }

  private blank(): WatchedAsset {
    return { seen: 0, candidates: [], signals: undefined, latest: new Map(), normal: [], history: [], asRate: undefined, model: undefined, threshold: 1, recent: [], above: 0, anomalous: false, last: undefined };
  }

  private watch(asset: string): WatchedAsset | undefined {
    let watched = this.assets.get(asset);
    if (!watched) {
      if (this.assets.size >= this.maxAssets) return undefined; // past the bound, assets are scored per signal only
      watched = this.blank();
      this.assets.set(asset, watched);
    }
    return watched;
  }
}

const ratio = (score: AssetScore): number => Math.max(score.t2 / score.t2Limit, score.q / score.qLimit);
const mean = (values: number[]): number => values.reduce((sum, v) => sum + v, 0) / values.length;

function lag1Autocorrelation(values: number[]): number {
  const m = mean(values);
  let num = 0;
  let den = 0;
  for (let i = 0; i < values.length; i++) {
    den += (values[i] - m) ** 2;
    if (i > 0) num += (values[i] - m) * (values[i - 1] - m);
  }
  return den > 0 ? num / den : 0;
}
