/**
 * Deviation over many signals: one SignalDetector per signal key ("<asset>/<signal>"), the
 * twin's predictions matched to actual samples by key and time, and the events a flow alerts
 * on (anomaly start and end, drift warning, drift). Framework-free; the twin-deviation node
 * only feeds it messages and sends what it returns.
 *
 * Matching: the latest prediction of a key is used for an actual sample when their times differ
 * by at most `matchToleranceMs`; otherwise the detector predicts the value itself (online).
 */
import { ConfigError, InputError } from '../errors';
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
  /** Per-signal share of the deviation; for a single signal, all of it. */
  attribution: Record<string, number>;
  learning: boolean;
}

export type DeviationEvent =
  | { type: 'anomaly-start'; key: string; asset: string; signal: string; severity: Severity; time: number }
  | { type: 'anomaly-end'; key: string; asset: string; signal: string; time: number; durationMs: number }
  | { type: 'drift-warning' | 'drift'; key: string; asset: string; signal: string; time: number };

export interface DeviationMonitorOptions {
  detector?: SignalDetectorOptions;
  matchToleranceMs?: number;
  /** Most signals watched (default 100,000): invented keys cannot eat the memory. */
  maxSignals?: number;
}

interface Watched {
  detector: SignalDetector;
  prediction?: { value: number; time: number };
  severity: Severity;
  driftState: DriftState;
  anomalySince?: number;
}

export interface SavedDeviation {
  format: 'twinloop-deviation';
  version: 1;
  signals: Array<{ key: string; detector: SignalDetectorState }>;
}

export class DeviationMonitor {
  private readonly watched = new Map<string, Watched>();
  private readonly tolerance: number;
  private readonly maxSignals: number;
  private frozen = false;

  constructor(private readonly options: DeviationMonitorOptions = {}) {
    this.tolerance = options.matchToleranceMs ?? 1000;
    this.maxSignals = options.maxSignals ?? 100_000;
    if (!(this.tolerance >= 0) || !Number.isFinite(this.tolerance)) throw new ConfigError('bad tolerance', 'the match tolerance must be a number of ms >= 0');
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

  /** The twin's value for `key` at `time`; kept until a newer one comes. */
  predict(key: string, value: unknown, time: number): void {
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new InputError('bad prediction', `the predicted value of ${key} is not a finite number`, key);
    if (!Number.isFinite(time)) throw new InputError('bad time', `the prediction of ${key} has no usable time`, key);
    this.watch(key).prediction = { value, time };
  }

  score(sample: MonitoredSample): { output: DeviationOutput; events: DeviationEvent[] } {
    // Checked before a detector is made for the key: a bad first sample leaves nothing behind.
    if (typeof sample.value !== 'number' || !Number.isFinite(sample.value)) throw new InputError('not a number', 'the value is not a finite number', sample.key);
    if (typeof sample.time !== 'number' || !Number.isFinite(sample.time)) throw new InputError('bad time', 'the sample has no usable time', sample.key);
    const watched = this.watch(sample.key);
    const prediction = watched.prediction;
    const matched = prediction && Math.abs(prediction.time - sample.time) <= this.tolerance ? prediction.value : undefined;
    const result: DeviationResult = watched.detector.score({ value: sample.value, time: sample.time, expected: matched });
    const events = this.eventsFor(sample, watched, result);
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
      attribution: { [sample.signal]: 1 },
      learning: result.learning,
    };
    return { output, events };
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
    if (key === undefined) this.watched.clear();
    else this.watched.delete(key);
  }

  toJSON(): SavedDeviation {
    return { format: 'twinloop-deviation', version: 1, signals: [...this.watched].map(([key, w]) => ({ key, detector: w.detector.toJSON() })) };
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
        monitor.watched.set(entry.key, { detector, severity: 'ok', driftState: 'none' });
      } catch {
        skipped += 1;
      }
    }
    return { monitor, skipped };
  }

  private watch(key: string): Watched {
    let watched = this.watched.get(key);
    if (!watched) {
      if (this.watched.size >= this.maxSignals) throw new InputError('too many signals', `more than ${this.maxSignals} signals`, key);
      watched = { detector: new SignalDetector({ ...this.options.detector, name: key }), severity: 'ok', driftState: 'none' };
      if (this.frozen) watched.detector.freeze();
      this.watched.set(key, watched);
    }
    return watched;
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
