/**
 * Checks of everything that comes from outside the state: samples, desired values, names,
 * options. Each refusal is an InputError (data) or ConfigError (settings) with a short reason,
 * thrown before anything is changed, so a refused sample never touches the state.
 */
import { ConfigError, InputError, isTwinError } from '../errors';
import type { Quality, SampleValue, TwinSample } from '../ingest/sample';
import { describeValue } from '../ingest/guards';

/** Longest key and text value we keep: a plant name is short, a flood of long ones is an attack. */
export const MAX_KEY_LENGTH = 1024;
export const MAX_TEXT_LENGTH = 10_000;

/** A sample that passed the checks: the ingest contract plus its key. */
export type CheckedSample = TwinSample & { key: string };

const hasOwn = Object.prototype.hasOwnProperty;

/** Reads a field only if it is the object's own (a polluted prototype must not fill a gap). */
function field(sample: object, name: string): unknown {
  return hasOwn.call(sample, name) ? (sample as Record<string, unknown>)[name] : undefined;
}

export function checkName(asset: unknown, signal: unknown, topic?: string): string {
  if (typeof asset !== 'string' || asset === '') throw new InputError('missing asset', `asset must be a non-empty text, got ${describeValue(asset)}`, topic);
  if (typeof signal !== 'string' || signal === '') throw new InputError('missing signal', `signal must be a non-empty text, got ${describeValue(signal)}`, topic);
  if (signal.includes('/')) throw new InputError('bad signal name', `a signal name cannot contain "/": ${describeValue(signal)}`, topic);
  if (asset.startsWith('/') || asset.endsWith('/') || asset.includes('//')) {
    throw new InputError('bad asset path', `asset path has an empty level: ${describeValue(asset)}`, topic);
  }
  const key = `${asset}/${signal}`;
  if (key.length > MAX_KEY_LENGTH) throw new InputError('name too long', `asset/signal is longer than ${MAX_KEY_LENGTH} characters`);
  return key;
}

export function checkValue(value: unknown, topic: string): SampleValue {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new InputError('not a finite number', `value ${describeValue(value)} is not a finite number`, topic);
    return value;
  }
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    if (value.length > MAX_TEXT_LENGTH) throw new InputError('text too long', `text value longer than ${MAX_TEXT_LENGTH} characters`, topic);
    return value;
  }
  throw new InputError('bad value type', `value must be a number, true/false or text, got ${describeValue(value)}`, topic);
}

function checkTime(raw: unknown, name: string, topic: string): number {
  if (typeof raw !== 'number' || !Number.isFinite(raw)) throw new InputError('bad time', `${name} must be a finite number of ms, got ${describeValue(raw)}`, topic);
  return raw;
}

/**
 * A TwinSample as the ingest contract defines it. Fields the contract fills but a hand-made
 * message may lack get the contract's defaults: unit null, quality good, receivedTime now,
 * sourceTime receivedTime, latencyMs their difference.
 */
export function checkSample(sample: unknown, now: () => number): CheckedSample {
  if (typeof sample !== 'object' || sample === null || Array.isArray(sample)) {
    throw new InputError('bad sample', `a sample must be an object, got ${describeValue(sample)}`);
  }
  const asset = field(sample, 'asset');
  const signal = field(sample, 'signal');
  const key = checkName(asset, signal);
  const value = checkValue(field(sample, 'value'), key);
  const rawUnit = field(sample, 'unit');
  if (rawUnit !== undefined && rawUnit !== null && typeof rawUnit !== 'string') {
    throw new InputError('bad unit', `unit must be text or null, got ${describeValue(rawUnit)}`, key);
  }
  const rawQuality = field(sample, 'quality');
  if (rawQuality !== undefined && rawQuality !== 'good' && rawQuality !== 'uncertain' && rawQuality !== 'bad') {
    throw new InputError('unknown quality', `quality must be good, uncertain or bad, got ${describeValue(rawQuality)}`, key);
  }
  const rawReceived = field(sample, 'receivedTime');
  const receivedTime = rawReceived === undefined ? now() : checkTime(rawReceived, 'receivedTime', key);
  const rawSource = field(sample, 'sourceTime');
  const sourceTime = rawSource === undefined ? receivedTime : checkTime(rawSource, 'sourceTime', key);
  const rawLatency = field(sample, 'latencyMs');
  const latencyMs = rawLatency === undefined ? Math.max(0, receivedTime - sourceTime) : checkTime(rawLatency, 'latencyMs', key);
  if (latencyMs < 0) throw new InputError('bad time', `latencyMs cannot be negative (${latencyMs})`, key);
  return {
    asset: asset as string,
    signal: signal as string,
    key,
    value,
    unit: (rawUnit as string | null | undefined) ?? null,
    quality: (rawQuality as Quality | undefined) ?? 'good',
    sourceTime,
    receivedTime,
    latencyMs,
  };
}

export function checkOptionalMs(raw: unknown, name: string): number | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'number' || !Number.isFinite(raw) || raw < 0) throw new ConfigError(`bad ${name}`, `${name} must be a number of ms >= 0, got ${describeValue(raw)}`);
  return raw;
}

export function checkCount(raw: unknown, name: string, fallback: number, max: number): number {
  if (raw === undefined) return fallback;
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < 0 || raw > max) {
    throw new ConfigError(`bad ${name}`, `${name} must be a whole number from 0 to ${max}, got ${describeValue(raw)}`);
  }
  return raw;
}

/** Values that a technician would call equal: numbers within tolerance, else identical. */
export function sameValue(a: SampleValue, b: SampleValue, absoluteTolerance = 0): boolean {
  if (typeof a === 'number' && typeof b === 'number') {
    const diff = Math.abs(a - b);
    return diff <= absoluteTolerance || diff <= 1e-6 * Math.max(Math.abs(a), Math.abs(b));
  }
  return a === b;
}

/** Getters and proxies of hand-made input can throw anything: refuse the input, not the node. */
export function guarded<T>(read: () => T, reason: string): T {
  try {
    return read();
  } catch (err) {
    if (isTwinError(err)) throw err;
    throw new InputError(reason, `could not be read: ${err instanceof Error ? err.message : 'unreadable'}`);
  }
}
