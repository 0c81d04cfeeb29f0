/**
 * The saved form of the state (plain JSON, for Node-RED's context store or a file) and the
 * careful reading of it after a restart: saved data may be old, hand-edited or damaged, so
 * every field is checked and a bad signal is skipped rather than trusted.
 */
import { InputError, isTwinError } from '../errors';
import type { Quality, SampleValue } from '../ingest/sample';
import { checkName, checkValue } from './checks';
import type { SignalRecord } from './record';
import { persistedStateVersion, type PersistedHistory, type PersistedSignal, type PersistedState } from './types';

export function savedForm(records: Iterable<SignalRecord>, now: number): PersistedState {
  const signals: PersistedSignal[] = [];
  for (const record of records) {
    const saved: PersistedSignal = { key: record.key, asset: record.asset, signal: record.name };
    if (record.arrived) {
      saved.value = record.value;
      saved.unit = record.unit;
      saved.quality = record.quality;
      saved.sourceTime = record.sourceTime;
      saved.receivedTime = record.receivedTime;
      saved.latencyMs = record.latencyMs;
    }
    if (record.history.length > 0) {
      const points = record.history.points();
      saved.history = { sourceTime: points.map((p) => p.sourceTime), value: points.map((p) => p.value), quality: points.map((p) => p.quality) };
    }
    if (record.desired !== undefined) {
      saved.desired = record.desired;
      saved.desiredAt = record.desiredAt;
      if (record.tolerance > 0) saved.tolerance = record.tolerance;
    }
    // Signals that never sent anything and have no desired value come back from the model.
    if (record.arrived || record.history.length > 0 || record.desired !== undefined) signals.push(saved);
  }
  return { format: 'twinloop-state', version: persistedStateVersion, savedAt: now, signals };
}

export interface RestorableSignal {
  key: string;
  asset: string;
  signal: string;
  restoreInto(record: SignalRecord, now: number): void;
}

const hasOwn = Object.prototype.hasOwnProperty;
const QUALITIES = new Set<unknown>(['good', 'uncertain', 'bad']);

function own(object: object, name: string): unknown {
  return hasOwn.call(object, name) ? (object as Record<string, unknown>)[name] : undefined;
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function finite(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

export function readSaved(data: unknown): { signals: RestorableSignal[]; skipped: number } {
  if (!isObject(data) || own(data, 'format') !== 'twinloop-state' || own(data, 'version') !== persistedStateVersion || !Array.isArray(own(data, 'signals'))) {
    throw new InputError('bad saved state', 'not a saved twin state of this version');
  }
  const signals: RestorableSignal[] = [];
  const seen = new Set<string>();
  let skipped = 0;
  for (const raw of own(data, 'signals') as unknown[]) {
    try {
      const signal = readSignal(raw);
      if (seen.has(signal.key)) throw new InputError('bad saved state', 'signal saved twice');
      seen.add(signal.key);
      signals.push(signal);
    } catch (err) {
      if (!isTwinError(err)) throw err;
      skipped++;
    }
  }
  return { signals, skipped };
}

function readSignal(raw: unknown): RestorableSignal {
  if (!isObject(raw)) throw new InputError('bad saved state', 'a saved signal is not an object');
  const asset = own(raw, 'asset');
  const signal = own(raw, 'signal');
  const key = checkName(asset, signal);
  if (own(raw, 'key') !== key) throw new InputError('bad saved state', 'saved key does not match asset/signal', key);

  let current: { value: SampleValue; unit: string | null; quality: Quality; sourceTime: number; receivedTime: number; latencyMs: number } | undefined;
  if (own(raw, 'value') !== undefined) {
    const unit = own(raw, 'unit') ?? null;
    const quality = own(raw, 'quality');
    const times = [own(raw, 'sourceTime'), own(raw, 'receivedTime'), own(raw, 'latencyMs')];
    if ((unit !== null && typeof unit !== 'string') || !QUALITIES.has(quality) || !times.every(finite)) {
      throw new InputError('bad saved state', 'saved value without a usable unit, quality or time', key);
    }
    const [sourceTime, receivedTime, latencyMs] = times as number[];
    current = { value: checkValue(own(raw, 'value'), key), unit: unit as string | null, quality: quality as Quality, sourceTime, receivedTime, latencyMs: Math.max(0, latencyMs) };
  }
  const history = readHistory(own(raw, 'history'), key);
  let desired: { value: SampleValue; at: number; tolerance: number } | undefined;
  if (own(raw, 'desired') !== undefined) {
    const at = own(raw, 'desiredAt');
    const tolerance = own(raw, 'tolerance') ?? 0;
    if (!finite(at) || !finite(tolerance) || tolerance < 0) throw new InputError('bad saved state', 'saved desired value without a usable time', key);
    desired = { value: checkValue(own(raw, 'desired'), key), at, tolerance };
  }
  return {
    key,
    asset: asset as string,
    signal: signal as string,
    restoreInto(record, now) {
      for (const point of history) record.history.push(point.sourceTime, point.value, point.quality);
      if (current) {
        record.arrived = true;
        record.value = current.value;
        record.unit = current.unit;
        record.expectedUnit = record.definition ? record.expectedUnit : current.unit;
        record.quality = current.quality;
        record.sourceTime = current.sourceTime;
        record.receivedTime = current.receivedTime;
        record.latencyMs = current.latencyMs;
        record.deadline = record.maxAgeMs === undefined ? Infinity : current.sourceTime + record.maxAgeMs;
        record.stale = record.deadline <= now;
      }
      if (desired) {
        record.desired = desired.value;
        record.desiredAt = desired.at;
        record.tolerance = desired.tolerance;
      }
    },
  };
}

function readHistory(raw: unknown, key: string): { sourceTime: number; value: SampleValue; quality: Quality }[] {
  if (raw === undefined) return [];
  if (!isObject(raw)) throw new InputError('bad saved state', 'saved history is not an object', key);
  const { sourceTime, value, quality } = { sourceTime: own(raw, 'sourceTime'), value: own(raw, 'value'), quality: own(raw, 'quality') } as Partial<Record<keyof PersistedHistory, unknown>>;
  if (!Array.isArray(sourceTime) || !Array.isArray(value) || !Array.isArray(quality) || sourceTime.length !== value.length || value.length !== quality.length) {
    throw new InputError('bad saved state', 'saved history columns do not line up', key);
  }
  return sourceTime.map((time: unknown, i: number) => {
    if (!finite(time) || !QUALITIES.has(quality[i])) throw new InputError('bad saved state', 'saved history point is damaged', key);
    return { sourceTime: time, value: checkValue(value[i], key), quality: quality[i] as Quality };
  });
}
