import { InputError } from '../../errors';
import { PayloadType, SparkplugDataType as T } from './schema';

/**
 * Sparkplug B payloads <-> plain values. protobufjs reads and writes the wire format; this file
 * only maps Sparkplug datatypes to JavaScript values and back, and refuses what cannot be mapped
 * exactly (a 64-bit count beyond 2^53 would silently lose its last digits as a JS number).
 */
export type SparkplugValue = number | boolean | string | null;

export interface SparkplugMetric {
  name?: string;
  alias?: number;
  /** Epoch ms. */
  timestamp?: number;
  datatype?: number;
  isNull?: boolean;
  isHistorical?: boolean;
  isTransient?: boolean;
  value: SparkplugValue;
  /** Simple metric properties ("Quality", "engUnit", ...). Nested property sets are left out. */
  properties?: Record<string, SparkplugValue>;
}

/** A metric the payload carried but that has no single value TwinLoop can use. */
export interface SkippedMetric {
  name?: string;
  alias?: number;
  datatype?: number;
  /** 'unsupported type' (Bytes, DataSet, Template, File, arrays: not an error) or the error's shortReason. */
  reason: string;
  /** Set when the metric was wrong (value too large, type mismatch ...), not merely unsupported. */
  error?: InputError;
}

export interface SparkplugPayload {
  /** Epoch ms. */
  timestamp?: number;
  seq?: number;
  metrics: SparkplugMetric[];
  /** Filled by decode; ignored by encode. */
  skipped?: SkippedMetric[];
}

/** Datatype of a metric that does not state one (DATA messages usually only carry the alias). */
export type DatatypeResolver = (name: string | undefined, alias: number | undefined) => number | undefined;

type Fields = Record<string, unknown>;
type Converted = { value: SparkplugValue } | { skip: string; error?: string };

const UNSUPPORTED = 'unsupported type';
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const has = (o: Fields, key: string): boolean => Object.prototype.hasOwnProperty.call(o, key);

/** protobufjs hands uint64 over as a Long ({low, high}) or, without long.js, a number. */
function toUint64(v: unknown): bigint | undefined {
  if (typeof v === 'number') return Number.isSafeInteger(v) ? BigInt.asUintN(64, BigInt(v)) : undefined;
  if (typeof v === 'bigint') return BigInt.asUintN(64, v);
  if (v !== null && typeof v === 'object') {
    const { low, high } = v as { low?: unknown; high?: unknown };
    if (typeof low === 'number' && typeof high === 'number') return (BigInt(high >>> 0) << 32n) | BigInt(low >>> 0);
  }
  return undefined;
}

/** A uint64 field as a number, or undefined when absent or beyond exact number range. */
function safeUint64(o: Fields, key: string): number | undefined {
  if (!has(o, key)) return undefined;
  const u = toUint64(o[key]);
  return u !== undefined && u <= MAX_SAFE ? Number(u) : undefined;
}

/** Float32 values as the sender typed them (21.3, not 21.299999237060547). */
function shortestFloat32(v: number): number {
  if (!Number.isFinite(v)) return v;
  for (let digits = 1; digits <= 9; digits++) {
    const candidate = Number(v.toPrecision(digits));
    if (Math.fround(candidate) === v) return candidate;
  }
  return v;
}

/** The integer in int_value or long_value; tolerant of senders that use the other field. */
function integerField(o: Fields): bigint | undefined {
  if (has(o, 'int_value')) return toUint64(o.int_value);
  if (has(o, 'long_value')) return toUint64(o.long_value);
  return undefined;
}

const signedBits: Record<number, number> = { [T.Int8]: 8, [T.Int16]: 16, [T.Int32]: 32 };
const unsignedBits: Record<number, number> = { [T.UInt8]: 8, [T.UInt16]: 16, [T.UInt32]: 32 };

/** DataSet, Bytes, File, Template, property sets and the array types (16..34). */
function isUnsupported(datatype: number): boolean {
  return datatype >= T.DataSet && datatype <= T.DateTimeArray;
}

/** Infers a datatype from the value field when neither the metric nor its birth gives one. */
function inferDatatype(o: Fields): number | undefined {
  if (has(o, 'int_value')) return T.UInt32;
  if (has(o, 'long_value')) return T.UInt64;
  if (has(o, 'float_value')) return T.Float;
  if (has(o, 'double_value')) return T.Double;
  if (has(o, 'boolean_value')) return T.Boolean;
  if (has(o, 'string_value')) return T.String;
  if (has(o, 'bytes_value')) return T.Bytes;
  if (has(o, 'dataset_value')) return T.DataSet;
  if (has(o, 'template_value')) return T.Template;
  if (has(o, 'propertyset_value')) return T.PropertySet;
  if (has(o, 'propertysets_value')) return T.PropertySetList;
  return undefined;
}

/** Maps one value (of a Metric or a PropertyValue: same field names) by its Sparkplug datatype. */
function convertValue(o: Fields, datatype: number): Converted {
  if (signedBits[datatype] || unsignedBits[datatype] || datatype === T.Int64 || datatype === T.UInt64 || datatype === T.DateTime) {
    const u = integerField(o);
    if (u === undefined) return { skip: 'type mismatch', error: `datatype ${datatype} needs int_value or long_value` };
    if (signedBits[datatype]) {
      // Int8/16/32 travel as uint32 two's complement (-1 as Int8 = 0xFF); the low bits carry the value.
      return { value: Number(BigInt.asIntN(signedBits[datatype], u)) };
    }
    if (unsignedBits[datatype]) {
      if (u >= 1n << BigInt(unsignedBits[datatype])) return { skip: 'value out of range', error: `${u} does not fit UInt${unsignedBits[datatype]}` };
      return { value: Number(u) };
    }
    const n = datatype === T.Int64 ? BigInt.asIntN(64, u) : u;
    if (n > MAX_SAFE || n < -MAX_SAFE) {
      return { skip: 'value too large', error: `${n} is beyond ±${Number.MAX_SAFE_INTEGER}, the largest integer a number holds exactly` };
    }
    return { value: Number(n) };
  }
  if (datatype === T.Float || datatype === T.Double) {
    const v = has(o, 'float_value') ? shortestFloat32(Number(o.float_value)) : has(o, 'double_value') ? Number(o.double_value) : undefined;
    return v === undefined ? { skip: 'type mismatch', error: `datatype ${datatype} needs float_value or double_value` } : { value: v };
  }
  if (datatype === T.Boolean) {
    return has(o, 'boolean_value') ? { value: o.boolean_value === true } : { skip: 'type mismatch', error: 'Boolean needs boolean_value' };
  }
  if (datatype === T.String || datatype === T.Text || datatype === T.UUID) {
    return has(o, 'string_value') ? { value: String(o.string_value) } : { skip: 'type mismatch', error: `datatype ${datatype} needs string_value` };
  }
  if (isUnsupported(datatype)) return { skip: UNSUPPORTED };
  return { skip: 'unknown datatype', error: `datatype ${datatype} is not a Sparkplug B datatype` };
}

function decodeProperties(set: unknown): Record<string, SparkplugValue> | undefined {
  if (set === null || typeof set !== 'object') return undefined;
  const { keys, values } = set as { keys?: unknown; values?: unknown };
  if (!Array.isArray(keys) || !Array.isArray(values)) return undefined;
  // No prototype: a property called "__proto__" stays a plain key.
  const out: Record<string, SparkplugValue> = Object.create(null);
  for (let i = 0; i < Math.min(keys.length, values.length); i++) {
    const pv = values[i] as Fields;
    if (pv.is_null === true) {
      out[String(keys[i])] = null;
      continue;
    }
    const datatype = has(pv, 'type') ? Number(pv.type) : inferDatatype(pv);
    if (datatype === undefined) continue;
    const converted = convertValue(pv, datatype);
    if ('value' in converted) out[String(keys[i])] = converted.value;
  }
  return out;
}

function decodeMetric(o: Fields, origin: string, resolve: DatatypeResolver | undefined): SparkplugMetric | SkippedMetric {
  const name = has(o, 'name') ? String(o.name) : undefined;
  const alias = safeUint64(o, 'alias');
  const described = { ...(name !== undefined && { name }), ...(alias !== undefined && { alias }) };
  const fail = (reason: string, detail: string, datatype?: number): SkippedMetric => ({
    ...described,
    ...(datatype !== undefined && { datatype }),
    reason,
    error: new InputError(reason, `metric ${name !== undefined ? `"${name}"` : `alias ${alias ?? '?'}`}: ${detail}`, origin),
  });
  if (has(o, 'alias') && alias === undefined) return fail('bad alias', 'alias is beyond the exact number range');
  const datatype = has(o, 'datatype') ? Number(o.datatype) : resolve?.(name, alias) ?? inferDatatype(o);
  const metric: SparkplugMetric = { ...described, value: null };
  const timestamp = safeUint64(o, 'timestamp');
  if (timestamp !== undefined) metric.timestamp = timestamp;
  if (datatype !== undefined) metric.datatype = datatype;
  if (o.is_historical === true) metric.isHistorical = true;
  if (o.is_transient === true) metric.isTransient = true;
  const properties = decodeProperties(o.properties);
  if (properties) metric.properties = properties;
  if (o.is_null === true) {
    metric.isNull = true;
    return metric;
  }
  if (datatype === undefined) return fail('no value', 'carries neither a datatype nor a value');
  const converted = convertValue(o, datatype);
  if ('skip' in converted) {
    if (converted.error === undefined) return { ...described, datatype, reason: converted.skip };
    return fail(converted.skip, converted.error, datatype);
  }
  metric.value = converted.value;
  return metric;
}

/**
 * Decodes a Sparkplug B payload. Metrics that cannot become a single value (Bytes, DataSet,
 * Template, File, arrays, or a wrong value) are listed in `skipped`, never silently dropped.
 * Throws InputError 'bad Sparkplug payload' for bytes that are not a Sparkplug payload.
 */
export function decodeSparkplugPayload(bytes: Uint8Array, origin: string, resolveDatatype?: DatatypeResolver): SparkplugPayload {
  if (!(bytes instanceof Uint8Array)) {
    throw new InputError('bad Sparkplug payload', 'a Sparkplug B payload must be binary (Buffer or Uint8Array)', origin);
  }
  if (bytes.length === 0) {
    throw new InputError('bad Sparkplug payload', 'the payload is empty; a Sparkplug B message carries at least a timestamp', origin);
  }
  let message: Fields;
  try {
    message = PayloadType.decode(bytes) as unknown as Fields;
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new InputError('bad Sparkplug payload', `not a Sparkplug B (protobuf) payload: ${why}`, origin);
  }
  const payload: SparkplugPayload = { metrics: [], skipped: [] };
  const timestamp = safeUint64(message, 'timestamp');
  if (timestamp !== undefined) payload.timestamp = timestamp;
  const seq = safeUint64(message, 'seq');
  if (seq !== undefined) payload.seq = seq;
  const metrics = Array.isArray(message.metrics) ? (message.metrics as Fields[]) : [];
  for (const raw of metrics) {
    const decoded = decodeMetric(raw, origin, resolveDatatype);
    if ('reason' in decoded) payload.skipped!.push(decoded);
    else payload.metrics.push(decoded);
  }
  return payload;
}

// ---- encoding ------------------------------------------------------------------------------

const bad = (shortReason: string, detail: string): InputError => new InputError(shortReason, detail);

function longBits(u: bigint): { low: number; high: number; unsigned: boolean } {
  return { low: Number(u & 0xffffffffn) | 0, high: Number((u >> 32n) & 0xffffffffn) | 0, unsigned: true };
}

function checkTime(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw bad('bad timestamp', `${what} must be a whole number of epoch ms, not ${String(v)}`);
  return v;
}

/** Puts `value` in the field its datatype travels in; shared by metrics and properties. */
function encodeValue(target: Fields, datatype: number, value: unknown, label: string): void {
  const wrong = (): InputError => bad('bad metric value', `${label}: ${JSON.stringify(value) ?? String(value)} is not a valid value for datatype ${datatype}`);
  const bits = signedBits[datatype] ?? unsignedBits[datatype];
  if (bits) {
    if (typeof value !== 'number' || !Number.isInteger(value)) throw wrong();
    const [min, max] = signedBits[datatype] ? [-(2 ** (bits - 1)), 2 ** (bits - 1) - 1] : [0, 2 ** bits - 1];
    if (value < min || value > max) throw wrong();
    target.int_value = Number(BigInt.asUintN(bits, BigInt(value)));
  } else if (datatype === T.Int64 || datatype === T.UInt64 || datatype === T.DateTime) {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || (datatype !== T.Int64 && value < 0)) throw wrong();
    target.long_value = longBits(BigInt.asUintN(64, BigInt(value)));
  } else if (datatype === T.Float || datatype === T.Double) {
    if (typeof value !== 'number') throw wrong();
    target[datatype === T.Float ? 'float_value' : 'double_value'] = value;
  } else if (datatype === T.Boolean) {
    if (typeof value !== 'boolean') throw wrong();
    target.boolean_value = value;
  } else if (datatype === T.String || datatype === T.Text || datatype === T.UUID) {
    if (typeof value !== 'string') throw wrong();
    target.string_value = value;
  } else {
    throw bad('unsupported type', `${label}: datatype ${datatype} cannot be encoded by TwinLoop`);
  }
}

function inferFromValue(value: unknown): number {
  if (typeof value === 'boolean') return T.Boolean;
  if (typeof value === 'string') return T.String;
  if (typeof value === 'number') return Number.isSafeInteger(value) ? (value >= -(2 ** 31) && value < 2 ** 31 ? T.Int32 : T.Int64) : T.Double;
  throw bad('bad metric value', `${String(value)} is not a number, boolean or text`);
}

function encodeProperties(props: Record<string, SparkplugValue>): Fields {
  const keys: string[] = [];
  const values: Fields[] = [];
  for (const key of Object.keys(props)) {
    const value = props[key];
    const pv: Fields = value === null ? { type: T.String, is_null: true } : { type: inferFromValue(value) };
    if (value !== null) encodeValue(pv, pv.type as number, value, `property "${key}"`);
    keys.push(key);
    values.push(pv);
  }
  return { keys, values };
}

function encodeMetric(m: SparkplugMetric, index: number): Fields {
  if (m === null || typeof m !== 'object') throw bad('bad metric', `metric ${index} is not an object`);
  const label = m.name !== undefined ? `metric "${m.name}"` : `metric ${index}`;
  const out: Fields = {};
  if (m.name !== undefined) {
    if (typeof m.name !== 'string') throw bad('bad metric', `${label}: name must be text`);
    out.name = m.name;
  }
  if (m.alias !== undefined) {
    if (!Number.isSafeInteger(m.alias) || m.alias < 0) throw bad('bad alias', `${label}: alias must be a whole number >= 0`);
    out.alias = m.alias;
  }
  if (m.timestamp !== undefined) out.timestamp = checkTime(m.timestamp, `${label} timestamp`);
  if (m.isHistorical) out.is_historical = true;
  if (m.isTransient) out.is_transient = true;
  const isNull = m.isNull === true || m.value === null || m.value === undefined;
  const datatype = m.datatype ?? (isNull ? undefined : inferFromValue(m.value));
  if (datatype !== undefined) {
    if (!Number.isInteger(datatype) || datatype < 0 || datatype > 0xffffffff) throw bad('bad metric', `${label}: datatype ${String(datatype)} is not a Sparkplug datatype`);
    out.datatype = datatype;
  }
  if (m.properties !== undefined) out.properties = encodeProperties(m.properties);
  if (isNull) out.is_null = true;
  else encodeValue(out, datatype as number, m.value, label);
  return out;
}

/** Encodes a payload (rebirth commands; test publishers). Throws InputError for values that do not fit. */
export function encodeSparkplugPayload(payload: SparkplugPayload): Uint8Array {
  if (payload === null || typeof payload !== 'object' || !Array.isArray(payload.metrics)) {
    throw bad('bad Sparkplug payload', 'a payload needs a metrics list');
  }
  const message: Fields = { metrics: payload.metrics.map(encodeMetric) };
  if (payload.timestamp !== undefined) message.timestamp = checkTime(payload.timestamp, 'payload timestamp');
  if (payload.seq !== undefined) {
    if (!Number.isSafeInteger(payload.seq) || payload.seq < 0) throw bad('bad sequence number', `seq must be a whole number >= 0, not ${String(payload.seq)}`);
    message.seq = payload.seq;
  }
  return PayloadType.encode(message).finish();
}
