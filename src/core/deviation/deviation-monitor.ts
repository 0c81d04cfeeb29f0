/**
 * Deviation over many signals: one SignalDetector per signal key ("<asset>/<signal>"), the
 * twin's predictions matched to actual samples by key and time, and the events a flow alerts
 * on (anomaly start and end, drift warning, drift). Framework-free; the twin-deviation node
 * only feeds it messages and sends what it returns.
 *
 * Matching: of the predictions of a key still pending (up to 64, by time), the one nearest an
 * actual sample's time is used when they differ by at most `matchToleranceMs`; otherwise the
 * detector predicts the value itself (online). A twin predicting several samples ahead thus keeps
 * every prediction until its sample arrives; older ones are dropped as samples pass them.
 */
import { ConfigError, InputError } from '../errors';
import { AssetMonitor, type AssetDeviation, type AssetMonitorOptions, type SavedAsset } from './asset-monitor';
import type { DriftState } from './drift';
import type { Severity } from './severity';
import { SignalDetector, type DeviationResult, type SignalDetectorOptions, type SignalDetectorState } from './signal-detector';

export interface MonitoredSample {
  key: string;
  asset: string;
  signal: string;
  value: number;
  /** Epoch ms (the sample's source time). */
  time: number;
}

/** One output per input sample: the contract of twin-deviation's first output. */
export interface DeviationOutput {
  asset: string;
  signal: string;
  value: number;
  /** What the twin predicted (matched prediction) or the detector's own expectation. */
  expected: number;
  /** Where `expected` came from. */
  expectedFrom: 'twin' | 'learned';
  residual: number;
  score: number;
  likelihood: number;
  isAnomaly: boolean;
  severity: Severity;
  driftState: DriftState;
  /**
   * Each signal's share of the asset's deviation (from the asset's T² + Q model once it has
   * learned); before that, or for an asset of one signal, this signal's alone.
   */
  attribution: Record<string, number>;
  /** The asset's signals combined (T² and Q against their limits); null while not modelled. */
  assetDeviation: Omit<AssetDeviation, 'attribution'> | null;
  learning: boolean;
}

export type DeviationEvent =
  | { type: 'anomaly-start'; key: string; asset: string; signal: string; severity: Severity; time: number }
  | { type: 'anomaly-end'; key: string; asset: string; signal: string; time: number; durationMs: number }
  | { type: 'drift-warning' | 'drift'; key: string; asset: string; signal: string; time: number }
  | { type: 'asset-anomaly-start' | 'asset-anomaly-end'; asset: string; time: number; attribution?: Record<string, number> };

export interface DeviationMonitorOptions {
  detector?: SignalDetectorOptions;
  matchToleranceMs?: number;
  /** Most signals watched (default 100,000): invented keys cannot eat the memory. */
  maxSignals?: number;
  /** The per-asset multivariate model; false turns it off. */
  assets?: AssetMonitorOptions | false;
}

interface Watched {
  detector: SignalDetector;
  /** Recent mean of the residual (EWMA): a lasting bias of the twin for this signal. */
  bias: number;
  /** Pending predictions, oldest first. */
  predictions: Array<{ value: number; time: number }>;
  severity: Severity;
  driftState: DriftState;
  anomalySince?: number;
}

export interface SavedDeviation {
  format: 'twinloop-deviation';
  version: 1;
  signals: Array<{ key: string; detector: SignalDetectorState }>;
  assets?: SavedAsset[];
}

/** Weight of the newest sample in a signal's bias (about the last 40 samples count). */
const biasRate = 0.05;
const maxPendingPredictions = 64;
/** A twin off by more than this many robust sigmas, on average, diverges for that signal. */
const biasLimit = 2;

export interface SignalComparison {
  key: string;
  asset: string;
  signal: string;
  severity: Severity;
  driftState: DriftState;
  /** Recent mean residual in robust sigmas (positive: the plant reads above the twin). */
  bias: number;
  diverging: boolean;
}

export interface ModelComparison {
  /** Every watched signal, diverging first. */
  signals: SignalComparison[];
  /** Assets with at least one diverging signal or a combined anomaly. */
  assets: Array<{ asset: string; divergingSignals: string[]; assetAnomaly: boolean }>;
  /** Parameters of those assets, from the twin model: the candidates for recalibration. */
  parameters: Array<{ asset: string; name: string; value: number; unit: string | null; because: string[] }>;
}

export class DeviationMonitor {
  private readonly watched = new Map<string, Watched>();
  private readonly assetMonitor: AssetMonitor | undefined;
  private readonly assetsInAnomaly = new Set<string>();
  private readonly tolerance: number;
  private readonly maxSignals: number;
  private frozen = false;

  constructor(private readonly options: DeviationMonitorOptions = {}) {
    this.tolerance = options.matchToleranceMs ?? 1000;
    this.maxSignals = options.maxSignals ?? 100_000;
    if (!(this.tolerance >= 0) || !Number.isFinite(this.tolerance)) throw new ConfigError('bad tolerance', 'the match tolerance must be a number of ms >= 0');
    this.assetMonitor = options.assets === false ? undefined : new AssetMonitor(options.assets ?? {});
  }

  get size(): number {
    return this.watched.size;
  }

  /** Counts of signals per severity, for the node's status. */
  severities(): Record<Severity, number> {
    const counts: Record<Severity, number> = { ok: 0, warning: 0, alarm: 0 };
    for (const watched of this.watched.values()) counts[watched.severity] += 1;
    return counts;
  }

  /** The twin's value for `key` at `time`; kept (up to 64 per key) until samples pass its time. */
  predict(key: string, value: unknown, time: number): void {
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new InputError('bad prediction', `the predicted value of ${key} is not a finite number`, key);
    if (!Number.isFinite(time)) throw new InputError('bad time', `the prediction of ${key} has no usable time`, key);
    const pending = this.watch(key).predictions;
    let at = pending.length;
    while (at > 0 && pending[at - 1].time > time) at--;
    if (at > 0 && pending[at - 1].time === time) pending[at - 1] = { value, time }; // a newer prediction for the same time
    else pending.splice(at, 0, { value, time });
    if (pending.length > maxPendingPredictions) pending.shift();
  }

  /** The pending prediction nearest `time` within the tolerance; drops those too old to match any later sample. */
  private matchPrediction(watched: Watched, time: number): number | undefined {
    const pending = watched.predictions;
    while (pending.length > 0 && pending[0].time < time - this.tolerance) pending.shift();
    let best: { value: number; time: number } | undefined;
    for (const p of pending) {
      if (p.time > time + this.tolerance) break;
      if (!best || Math.abs(p.time - time) < Math.abs(best.time - time)) best = p;
    }
    return best?.value;
  }

  score(sample: MonitoredSample): { output: DeviationOutput; events: DeviationEvent[] } {
    // Checked before a detector is made for the key: a bad first sample leaves nothing behind.
    if (typeof sample.value !== 'number' || !Number.isFinite(sample.value)) throw new InputError('not a number', 'the value is not a finite number', sample.key);
    if (typeof sample.time !== 'number' || !Number.isFinite(sample.time)) throw new InputError('bad time', 'the sample has no usable time', sample.key);
    const watched = this.watch(sample.key);
    const matched = this.matchPrediction(watched, sample.time);
    const result: DeviationResult = watched.detector.score({ value: sample.value, time: sample.time, expected: matched });
    const events = this.eventsFor(sample, watched, result);
    if (!result.learning && !result.duplicate) watched.bias += biasRate * (result.residual - watched.bias);
    const asset = sample.asset && !result.duplicate ? this.assetMonitor?.observe(sample.asset, sample.signal, sample.value) : undefined;
    if (asset) this.assetEvents(sample, asset, events);
    const output: DeviationOutput = {
      asset: sample.asset,
      signal: sample.signal,
      value: result.value,
      expected: result.expected,
      expectedFrom: matched === undefined ? 'learned' : 'twin',
      residual: result.residual,
      score: result.score,
      likelihood: result.likelihood,
      isAnomaly: result.isAnomaly,
      severity: result.severity,
      driftState: result.driftState,
      attribution: asset ? asset.attribution : { [sample.signal]: 1 },
      assetDeviation: asset ? { t2: asset.t2, t2Limit: asset.t2Limit, q: asset.q, qLimit: asset.qLimit, level: asset.level, isAnomaly: asset.isAnomaly } : null,
      learning: result.learning,
    };
    return { output, events };
  }

  /**
   * Which elements of the twin depart from the plant, for recalibration: signals whose severity is
   * raised, whose residual drifted or whose twin is biased; their assets; and, given the twin
   * model, the parameters of those assets (the physics a calibration would fit).
   */
  compare(model?: { assets: Array<{ name: string; children: unknown[]; parameters: Array<{ name: string; value: number; unit: string | null }> }> }): ModelComparison {
    const signals: SignalComparison[] = [];
    for (const [key, w] of this.watched) {
      const at = key.lastIndexOf('/');
      const asset = at < 0 ? '' : key.slice(0, at);
      // In robust sigmas of the residual: the detector's own scale follows a lasting offset only slowly.
      const sigma = w.detector.residualSigma;
      const bias = sigma > 0 ? w.bias / sigma : 0;
      const diverging = w.severity !== 'ok' || w.driftState === 'drift' || Math.abs(bias) > biasLimit;
      signals.push({ key, asset, signal: key.slice(at + 1), severity: w.severity, driftState: w.driftState, bias, diverging });
    }
    signals.sort((a, b) => Number(b.diverging) - Number(a.diverging) || Math.abs(b.bias) - Math.abs(a.bias));
    const byAsset = new Map<string, string[]>();
    for (const s of signals) if (s.diverging) byAsset.set(s.asset, [...(byAsset.get(s.asset) ?? []), s.key]);
    for (const asset of this.assetsInAnomaly) if (!byAsset.has(asset)) byAsset.set(asset, []);
    const assets = [...byAsset].map(([asset, divergingSignals]) => ({ asset, divergingSignals, assetAnomaly: this.assetsInAnomaly.has(asset) }));
    const parameters: ModelComparison['parameters'] = [];
    if (model) {
      const walk = (list: typeof model.assets, prefix: string): void => {
        for (const node of list) {
          const path = prefix ? `${prefix}/${node.name}` : node.name;
          const because = byAsset.get(path);
          if (because) for (const p of node.parameters) parameters.push({ asset: path, name: p.name, value: p.value, unit: p.unit, because });
          walk(node.children as typeof model.assets, path);
        }
      };
      walk(model.assets, '');
    }
    return { signals, assets, parameters };
  }

  /** True between freeze() and resume(). */
  get isFrozen(): boolean {
    return this.frozen;
  }

  /** Learning control for every signal: frozen detectors score but stop learning. */
  freeze(): void {
    this.frozen = true;
    for (const watched of this.watched.values()) watched.detector.freeze();
  }

  resume(): void {
    this.frozen = false;
    for (const watched of this.watched.values()) watched.detector.resume();
  }

  /** Forgets what was learned, for one key or all. */
  reset(key?: string): void {
    if (key === undefined) {
      this.watched.clear();
      this.assetMonitor?.reset();
      this.assetsInAnomaly.clear();
      return;
    }
    this.watched.delete(key);
    // A reset signal changes what its asset's combined model has learned: the asset learns again.
    const asset = key.includes('/') ? key.slice(0, key.lastIndexOf('/')) : '';
    this.assetMonitor?.reset(asset);
    this.assetsInAnomaly.delete(asset);
  }

  toJSON(): SavedDeviation {
    return {
      format: 'twinloop-deviation',
      version: 1,
      signals: [...this.watched].map(([key, w]) => ({ key, detector: w.detector.toJSON() })),
      assets: this.assetMonitor?.toJSON(),
    };
  }

  /** Restores what a previous run learned; a bad signal is skipped, the others are kept. */
  static fromJSON(data: unknown, options: DeviationMonitorOptions = {}): { monitor: DeviationMonitor; skipped: number } {
    const saved = data as Partial<SavedDeviation> | null;
    if (!saved || typeof saved !== 'object' || saved.format !== 'twinloop-deviation' || !Array.isArray(saved.signals)) {
      throw new InputError('bad saved state', 'the saved deviation state is not one this version wrote');
    }
    const monitor = new DeviationMonitor(options);
    let skipped = 0;
    for (const entry of saved.signals.slice(0, monitor.maxSignals)) {
      try {
        if (typeof entry?.key !== 'string') throw new InputError('bad saved state', 'a saved signal has no key');
        const detector = SignalDetector.fromJSON(entry.detector, { ...options.detector, name: entry.key });
        monitor.watched.set(entry.key, { detector, severity: 'ok', driftState: 'none', bias: 0, predictions: [] });
      } catch {
        skipped += 1;
      }
    }
    if (monitor.assetMonitor && saved.assets) skipped += monitor.assetMonitor.restore(saved.assets);
    return { monitor, skipped };
  }

  private watch(key: string): Watched {
    let watched = this.watched.get(key);
    if (!watched) {
      if (this.watched.size >= this.maxSignals) throw new InputError('too many signals', `more than ${this.maxSignals} signals`, key);
      watched = { detector: new SignalDetector({ ...this.options.detector, name: key }), severity: 'ok', driftState: 'none', bias: 0, predictions: [] };
      if (this.frozen) watched.detector.freeze();
      this.watched.set(key, watched);
    }
    return watched;
  }

  private assetEvents(sample: MonitoredSample, asset: AssetDeviation, events: DeviationEvent[]): void {
    const was = this.assetsInAnomaly.has(sample.asset);
    if (asset.isAnomaly && !was) {
      this.assetsInAnomaly.add(sample.asset);
      events.push({ type: 'asset-anomaly-start', asset: sample.asset, time: sample.time, attribution: asset.attribution });
    } else if (!asset.isAnomaly && was) {
      this.assetsInAnomaly.delete(sample.asset);
      events.push({ type: 'asset-anomaly-end', asset: sample.asset, time: sample.time });
    }
  }

  private eventsFor(sample: MonitoredSample, watched: Watched, result: DeviationResult): DeviationEvent[] {
    const events: DeviationEvent[] = [];
    const where = { key: sample.key, asset: sample.asset, signal: sample.signal, time: sample.time };
    if (watched.severity === 'ok' && result.severity !== 'ok') {
      watched.anomalySince = sample.time;
      events.push({ type: 'anomaly-start', ...where, severity: result.severity });
    } else if (watched.severity !== 'ok' && result.severity === 'ok') {
      events.push({ type: 'anomaly-end', ...where, durationMs: sample.time - (watched.anomalySince ?? sample.time) });
      watched.anomalySince = undefined;
    }
    if (result.driftState !== watched.driftState && result.driftState !== 'none') {
      events.push({ type: result.driftState === 'drift' ? 'drift' : 'drift-warning', ...where });
    }
    watched.severity = result.severity;
    watched.driftState = result.driftState;
    return events;
  }
}
