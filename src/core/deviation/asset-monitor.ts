/**
 * Signals of one asset combined: every asset gets a T² + Q model (multivariate.ts) learned on its
 * first rows of normal operation, then each new sample scores the asset's current row (the latest
 * value of each of its signals) and says how much each signal contributes.
 *
 *   discovering   the asset's signals are those seen in its first `discoverSamples` samples
 *                 (at most `maxSignals`, in the order first seen); the set is then fixed
 *   learning      once every signal has a value, each sample adds the current row to the normal
 *                 window; after `learnRows` rows the model is fitted
 *   scoring       each sample of a known signal scores the row; a signal that appears later is
 *                 left to the per-signal detector (reset the asset to take it in)
 * An asset with a single signal has nothing to combine and is never modelled.
 *
 * Single rows cross the control limits about `alpha` of the time on normal data, so the asset's
 * state follows the mean over the last `smoothRows` rows of max(T²/limit, Q/limit): anomalous
 * once that mean stays above 1 for `minRows` rows, normal again when it falls below 0.8.
 */
import { ConfigError, InputError } from '../errors';
import { AssetModel, type AssetModelJSON, type AssetScore } from './multivariate';

export interface AssetMonitorOptions {
  discoverSamples?: number;
  learnRows?: number;
  maxSignals?: number;
  /** Significance level of the control limits (default 0.01). */
  alpha?: number;
  maxAssets?: number;
  smoothRows?: number;
  minRows?: number;
}

export interface AssetDeviation {
  t2: number;
  t2Limit: number;
  q: number;
  qLimit: number;
  isAnomaly: boolean;
  attribution: Record<string, number>;
}

interface WatchedAsset {
  seen: number;
  signals: string[] | undefined;
  latest: Map<string, number>;
  model: AssetModel | undefined;
  candidates: string[];
  recent: number[];
  above: number;
  anomalous: boolean;
}

export interface SavedAsset {
  asset: string;
  seen: number;
  signals?: string[];
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
  private readonly minRows: number;

  constructor(options: AssetMonitorOptions = {}) {
    this.discoverSamples = options.discoverSamples ?? 50;
    this.learnRows = options.learnRows ?? 200;
    this.maxSignals = options.maxSignals ?? 32;
    this.alpha = options.alpha ?? 0.01;
    this.maxAssets = options.maxAssets ?? 10_000;
    this.smoothRows = options.smoothRows ?? 10;
    this.minRows = options.minRows ?? 5;
    for (const [name, value] of Object.entries({ discoverSamples: this.discoverSamples, learnRows: this.learnRows, maxSignals: this.maxSignals })) {
      if (!Number.isInteger(value) || value < 1) throw new ConfigError(`bad ${name}`, `${name} must be a whole number >= 1`);
    }
  }

  /** Scores the asset after this sample, or undefined while it is not (yet) modelled. */
  observe(asset: string, signal: string, value: number): AssetDeviation | undefined {
    if (!Number.isFinite(value)) throw new InputError('not a number', 'the value is not a finite number', `${asset}/${signal}`);
    const watched = this.watch(asset);
    if (!watched) return undefined;
    watched.seen += 1;
    if (!watched.signals) {
      if (!watched.candidates.includes(signal) && watched.candidates.length < this.maxSignals) watched.candidates.push(signal);
      watched.latest.set(signal, value);
      if (watched.seen < this.discoverSamples) return undefined;
      watched.signals = watched.candidates;
      if (watched.signals.length >= 2) watched.model = new AssetModel({ signals: watched.signals, alpha: this.alpha });
      return undefined;
    }
    if (!watched.model || !watched.signals.includes(signal)) return undefined;
    watched.latest.set(signal, value);
    const row = watched.signals.map((name) => watched.latest.get(name));
    if (row.some((v) => v === undefined)) return undefined;
    const complete = row as number[];
    if (!watched.model.fitted) {
      watched.model.learn(complete);
      if (watched.model.learnedRows >= this.learnRows) watched.model.fit();
      return undefined;
    }
    return this.judge(watched, watched.model.score(complete));
  }

  /** The asset's state from the smoothed score, with hysteresis and a minimum duration. */
  private judge(watched: WatchedAsset, score: AssetScore): AssetDeviation {
    const ratio = Math.max(score.t2 / score.t2Limit, score.q / score.qLimit);
    watched.recent.push(ratio);
    if (watched.recent.length > this.smoothRows) watched.recent.shift();
    const smoothed = watched.recent.reduce((sum, r) => sum + r, 0) / watched.recent.length;
    watched.above = smoothed > 1 ? watched.above + 1 : 0;
    if (!watched.anomalous && watched.above >= this.minRows) watched.anomalous = true;
    else if (watched.anomalous && smoothed < 0.8) watched.anomalous = false;
    return { t2: score.t2, t2Limit: score.t2Limit, q: score.q, qLimit: score.qLimit, isAnomaly: watched.anomalous, attribution: score.attribution };
  }

  /** Forgets one asset's model (its signals are discovered again), or every asset's. */
  reset(asset?: string): void {
    if (asset === undefined) this.assets.clear();
    else this.assets.delete(asset);
  }

  toJSON(): SavedAsset[] {
    return [...this.assets].map(([asset, w]) => ({ asset, seen: w.seen, signals: w.signals, model: w.model?.toJSON() }));
  }

  /** Restores saved assets; a bad one is skipped (and learned afresh), the others kept. */
  restore(saved: unknown): number {
    if (!Array.isArray(saved)) return 0;
    let skipped = 0;
    for (const entry of saved as SavedAsset[]) {
      try {
        if (!entry || typeof entry.asset !== 'string') throw new InputError('bad saved state', 'a saved asset has no name');
        const model = entry.model ? AssetModel.fromJSON(entry.model) : undefined;
        const signals = Array.isArray(entry.signals) ? entry.signals.filter((s): s is string => typeof s === 'string') : undefined;
        this.assets.set(entry.asset, { seen: Number(entry.seen) || 0, signals, latest: new Map(), model, candidates: signals ? [...signals] : [], recent: [], above: 0, anomalous: false });
      } catch {
        skipped += 1;
      }
    }
    return skipped;
  }

  private watch(asset: string): WatchedAsset | undefined {
    let watched = this.assets.get(asset);
    if (!watched) {
      if (this.assets.size >= this.maxAssets) return undefined; // past the bound, assets are scored per signal only
      watched = { seen: 0, signals: undefined, latest: new Map(), model: undefined, candidates: [], recent: [], above: 0, anomalous: false };
      this.assets.set(asset, watched);
    }
    return watched;
  }
}
