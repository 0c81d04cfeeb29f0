/**
 * Public shapes of the live twin state: what `TwinState` takes, returns and saves.
 * Kept apart from the class so adapters and tests can read the contract in one place.
 */
import type { Quality, SampleValue } from '../ingest/sample';
import type { TwinModel } from '../model/types';

/** What to do with a sample whose key is not in the model (only with a model). */
export type UnknownSignalPolicy = 'error' | 'add' | 'ignore';

export interface TwinStateOptions {
  model?: TwinModel;
  /** Points kept per signal (default 100; 0 keeps none). */
  historyLength?: number;
  /** Default 'error'. Without a model every signal is added, whatever this says. */
  unknownSignals?: UnknownSignalPolicy;
  /** Clock, epoch ms (default Date.now). Injected by tests. */
  now?: () => number;
  /** Freshness limit for signals whose model entry has none (and for added signals). */
  defaultMaxAgeMs?: number;
  /** Most signals kept (default 100,000): a flood of invented keys cannot eat the memory. */
  maxSignals?: number;
}

export type ConfigurationChange = 'unknown-signal' | 'missing-signal' | 'unit-changed' | 'configuration-value';

export type TwinEvent =
  | { type: 'stale'; key: string; ageMs: number }
  | { type: 'fresh'; key: string }
  | { type: 'configuration'; change: ConfigurationChange; key: string; asset: string; detail: string };

export interface UpdateResult {
  events: TwinEvent[];
}

export interface HistoryPoint {
  sourceTime: number;
  value: SampleValue;
  quality: Quality;
}

/**
 * One signal as the twin sees it now. A model signal that never sent a sample has
 * value, quality and times null (and is neither stale nor out of range).
 */
export interface SignalSnapshot {
  key: string;
  asset: string;
  signal: string;
  value: SampleValue | null;
  unit: string | null;
  quality: Quality | null;
  sourceTime: number | null;
  receivedTime: number | null;
  latencyMs: number | null;
  /** now - sourceTime at the moment of reading (never negative). */
  ageMs: number | null;
  stale: boolean;
  outOfRange: boolean;
  desired?: SampleValue;
  desiredAt?: number;
  sinceWriteMs?: number;
  /** Reported differs from desired (true while nothing has been reported). */
  mismatch?: boolean;
  history?: HistoryPoint[];
}

export interface GetOptions {
  history?: boolean;
}

/** Nested asset levels (null-prototype objects) ending in SignalSnapshots. */
export interface TwinTree {
  [name: string]: TwinTree | SignalSnapshot;
}

export interface TwinSnapshot {
  tree: TwinTree;
  table: SignalSnapshot[];
}

export interface Fidelity {
  /** Signals known in the subtree (model signals plus added ones). */
  signals: number;
  fresh: number;
  stale: number;
  /** Known but never received (not counted as fresh nor stale). */
  missing: number;
  /** fresh / signals (0 when there is no signal). */
  coverage: number;
  /** Over the samples of the last 60 s; null when there was none. */
  latencyMeanMs: number | null;
  /** Over the most recent (at most 128) samples of the last 60 s; null when there was none. */
  latencyP95Ms: number | null;
  /** Signals whose current quality is bad. */
  badQuality: number;
  /** Samples per second over the last 60 s (or since the state started, if sooner). */
  ratePerSecond: number;
}

export const persistedStateVersion = 1;

export interface PersistedHistory {
  sourceTime: number[];
  value: SampleValue[];
  quality: Quality[];
}

export interface PersistedSignal {
  key: string;
  asset: string;
  signal: string;
  /** Present once a sample arrived. */
  value?: SampleValue;
  unit?: string | null;
  quality?: Quality;
  sourceTime?: number;
  receivedTime?: number;
  latencyMs?: number;
  history?: PersistedHistory;
  desired?: SampleValue;
  desiredAt?: number;
  tolerance?: number;
}

export interface PersistedState {
  format: 'twinloop-state';
  version: number;
  savedAt: number;
  signals: PersistedSignal[];
}
