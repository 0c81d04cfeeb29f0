/**
 * Plain and JSON payloads (MQTT messages, msg.payload) -> one value with its unit, quality
 * and source time, still raw except the value. The Normaliser does the rest.
 *
 * Formats: 'value' = the payload is the value itself ("23.5", "23.5 °C", 23.5, true);
 * 'json' = JSON text or an already parsed object, fields read by dotted paths;
 * 'auto' = JSON when the text starts with `{`, `[` or `"`, else a plain value.
 * Binary payloads are size-checked BEFORE decoding, then decoded as strict UTF-8.
 *
 * A value missing or unusable while the payload's own quality is bad gives value null
 * (the Normaliser then repeats the signal's last value, see normaliser.ts); otherwise it
 * is an InputError ('no value field', 'not a number', ...).
 */
import { ConfigError, InputError, TwinError } from '../errors';
import { assertSafeData, getPath, isPlainObject, safeJsonParse } from './guards';
import { parseQuality } from './quality';
import type { SampleValue } from './sample';
import { canonicalUnitName } from './units';
import { parseValue } from './value-parser';

export interface PayloadPaths {
  /** Dotted path of the value in a JSON object. */
  value: string;
  /** Paths tried in order for the source time; the first one present wins. */
  time: string[];
  unit: string;
  quality: string;
}

export interface PayloadOptions {
  format: 'auto' | 'json' | 'value';
  paths: PayloadPaths;
  /** Largest payload accepted, in bytes (UTF-8 for text). */
  maxBytes: number;
  /** Accept text that is not a number or boolean as a text value. */
  textValues: boolean;
}

export interface DecodedValue {
  /** null only when the payload's quality is bad and it carries no usable value. */
  value: SampleValue | null;
  /** Unit as the payload states it (field or text suffix), not yet checked. */
  unit?: string;
  quality?: unknown;
  sourceTime?: unknown;
}

export const defaultPayloadOptions: PayloadOptions = Object.freeze({
  format: 'auto',
  paths: Object.freeze({ value: 'value', time: Object.freeze(['ts', 'timestamp']) as string[], unit: 'unit', quality: 'quality' }),
  maxBytes: 65536,
  textValues: false,
}) as PayloadOptions;

const utf8 = new TextDecoder('utf-8', { fatal: true });
const PATH_SHAPE = /^[^.]+(?:\.[^.]+)*$/;

/** Fills defaults and checks options coming from a node's configuration (ConfigError). */
export function checkPayloadOptions(options: Partial<PayloadOptions> | undefined): PayloadOptions {
  const o = options ?? {};
  const paths = { ...defaultPayloadOptions.paths, ...(o.paths ?? {}) };
  const format = o.format ?? defaultPayloadOptions.format;
  if (format !== 'auto' && format !== 'json' && format !== 'value') {
    throw new ConfigError('bad format', `payload format must be auto, json or value, not "${String(format)}"`);
  }
  const maxBytes = o.maxBytes ?? defaultPayloadOptions.maxBytes;
  if (typeof maxBytes !== 'number' || !Number.isInteger(maxBytes) || maxBytes < 1) {
    throw new ConfigError('bad size limit', 'the payload size limit must be a whole number of bytes, at least 1');
  }
  const time = Array.isArray(paths.time) ? [...paths.time] : typeof paths.time === 'string' ? [paths.time] : [];
  for (const path of [paths.value, paths.unit, paths.quality, ...time]) {
    if (typeof path !== 'string' || !PATH_SHAPE.test(path)) {
      throw new ConfigError('bad field path', `"${String(path)}" is not a field path (use names joined by dots)`);
    }
    if (path.split('.').some((key) => key === '__proto__' || key === 'constructor' || key === 'prototype')) {
      throw new ConfigError('bad field path', `"${path}" uses a forbidden field name`);
    }
  }
  return { format, paths: { value: paths.value, time, unit: paths.unit, quality: paths.quality }, maxBytes, textValues: o.textValues === true };
}

export function decodePayload(payload: unknown, origin: string, opts: PayloadOptions): DecodedValue {
  try {
    return decode(payload, origin, opts);
  } catch (err) {
    if (err instanceof TwinError) throw err;
    // A foreign object (a Proxy, a throwing getter) must still end as an InputError.
    const detail = err instanceof Error ? err.message : 'unreadable payload';
    throw new InputError('bad payload', `could not read the payload: ${detail}`, origin);
  }
}

function decode(payload: unknown, origin: string, opts: PayloadOptions): DecodedValue {
  let data: unknown = payload;
  if (payload instanceof Uint8Array || payload instanceof ArrayBuffer) {
    const bytes = payload instanceof ArrayBuffer ? new Uint8Array(payload) : payload;
    if (bytes.byteLength > opts.maxBytes) throw tooLarge(opts.maxBytes, origin);
    try {
      data = utf8.decode(bytes);
    } catch {
      throw new InputError('bad text', 'payload is not valid UTF-8 text', origin);
    }
  }
  if (typeof data === 'string') {
    if (data.length > opts.maxBytes) throw tooLarge(opts.maxBytes, origin);
    if (opts.format === 'json' || (opts.format === 'auto' && looksLikeJson(data))) {
      data = safeJsonParse(data, origin, opts.maxBytes);
    } else {
      return plainValue(parseValue(data, origin, opts));
    }
  } else if (isContainer(data)) {
    if (opts.format === 'value') {
      throw new InputError('object, not a value', 'payload is an object but the format is "value"', origin);
    }
    assertSafeData(data, origin);
  }
  if (isContainer(data)) return fromObject(data, origin, opts);
  return plainValue(parseValue(data, origin, opts));
}

function fromObject(data: object, origin: string, opts: PayloadOptions): DecodedValue {
  const quality = getPath(data, opts.paths.quality);
  let sourceTime: unknown;
  for (const path of opts.paths.time) {
    sourceTime = getPath(data, path);
    if (sourceTime !== undefined) break;
  }
  const unitField = getPath(data, opts.paths.unit);
  if (unitField !== undefined && unitField !== null && (typeof unitField !== 'string' || unitField.length > 64)) {
    throw new InputError('bad unit', `the unit field holds ${typeof unitField === 'string' ? 'over 64 characters' : 'no text'}`, origin);
  }
  const rawValue = getPath(data, opts.paths.value);
  let parsed: ReturnType<typeof parseValue>;
  try {
    if (rawValue === undefined) {
      throw new InputError('no value field', `payload has no field "${opts.paths.value}"`, origin);
    }
    parsed = parseValue(rawValue, origin, opts);
  } catch (err) {
    if (err instanceof TwinError && parseQuality(quality) === 'bad') {
      return withOptional({ value: null }, typeof unitField === 'string' ? unitField : undefined, quality, sourceTime);
    }
    throw err;
  }
  let unit = parsed.unit;
  if (typeof unitField === 'string' && unitField.trim() !== '') {
    if (unit !== undefined && canonicalUnitName(unit) !== canonicalUnitName(unitField)) {
      throw new InputError('unit conflict', `value says "${unit}" but the unit field says "${unitField}"`, origin);
    }
    unit = unitField.trim();
  }
  return withOptional({ value: parsed.value }, unit, quality, sourceTime);
}

function withOptional(out: DecodedValue, unit: string | undefined, quality: unknown, sourceTime: unknown): DecodedValue {
  if (unit !== undefined && unit.trim() !== '') out.unit = unit;
  if (quality !== undefined) out.quality = quality;
  if (sourceTime !== undefined) out.sourceTime = sourceTime;
  return out;
}

function plainValue(parsed: ReturnType<typeof parseValue>): DecodedValue {
  return parsed.unit === undefined ? { value: parsed.value } : { value: parsed.value, unit: parsed.unit };
}

function looksLikeJson(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) continue;
    return c === 0x7b || c === 0x5b || c === 0x22; // { [ "
  }
  return false;
}

/** Plain objects and arrays hold fields; Dates, Maps and class instances do not. */
function isContainer(data: unknown): data is object {
  if (data === null || typeof data !== 'object') return false;
  return Array.isArray(data) || isPlainObject(data);
}

function tooLarge(maxBytes: number, origin: string): InputError {
  return new InputError('too large', `payload is larger than the limit of ${maxBytes} bytes`, origin);
}
