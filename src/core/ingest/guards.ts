/**
 * Guards for data that comes from outside (MQTT payloads, msg.payload objects).
 *
 * JSON.parse itself never pollutes prototypes, but later code that copies or merges a
 * parsed object can: a key `__proto__` then reaches Object.prototype. So we refuse such
 * keys at the door, together with absurd nesting (a cheap denial-of-service) and size.
 */
import { InputError, describeValue } from '../errors';

/** Keys that can reach a prototype when an object is copied or merged. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Deepest nesting of objects/arrays we accept; plant payloads are a few levels deep. */
export const MAX_DEPTH = 32;

/** Most objects/arrays/values walked in an already parsed payload. */
export const MAX_NODES = 10_000;

const hasOwn = Object.prototype.hasOwnProperty;

/** Short, safe description of any value for error messages (never throws); one helper for every layer. */
export { describeValue };

/**
 * Parses JSON text from outside. Rejects (InputError): more than `maxBytes` UTF-8 bytes
 * ('too large'), nesting deeper than 32 ('too deep'), invalid JSON ('bad JSON'), and any
 * object key `__proto__`, `constructor` or `prototype` at any depth ('forbidden key').
 */
export function safeJsonParse(text: string, origin: string, maxBytes: number): unknown {
  if (typeof text !== 'string') {
    throw new InputError('bad JSON', `expected JSON text, got ${describeValue(text)}`, origin);
  }
  if (text.length > maxBytes || Buffer.byteLength(text, 'utf8') > maxBytes) {
    throw new InputError('too large', `payload is larger than the limit of ${maxBytes} bytes`, origin);
  }
  // Measure nesting before parsing, so a hostile "[[[[..." never reaches the parser.
  if (jsonNestsDeeperThan(text, MAX_DEPTH)) throw tooDeep(origin);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    const detail = err instanceof Error ? err.message : 'invalid JSON';
    throw new InputError('bad JSON', `payload is not valid JSON (${detail.slice(0, 120)})`, origin);
  }
  assertSafeData(parsed, origin);
  return parsed;
}

/**
 * A plain object: made by an object literal or JSON.parse, in this realm or another one (a
 * function node builds its messages in its own vm context, whose Object.prototype differs from
 * ours), or with a null prototype. Dates, Buffers, Maps and class instances are not.
 */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === null || Object.getPrototypeOf(proto) === null;
}

/**
 * Whether JSON text nests objects and arrays deeper than `limit`, read before parsing so that
 * a hostile document cannot exhaust the parser's stack first.
 */
export function jsonNestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return true;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return false;
}

function tooDeep(origin: string): InputError {
  return new InputError('too deep', `payload is nested deeper than ${MAX_DEPTH} levels`, origin);
}

/**
 * Checks data that is already a JS value (parsed JSON, a msg.payload object): no forbidden
 * key at any depth, at most 32 levels (a cycle counts as too deep), at most 10,000 nodes.
 * Only plain objects and arrays are walked; Dates, Buffers and class instances are leaves
 * (getPath never reads inherited properties, so their prototypes cannot leak in).
 */
export function assertSafeData(value: unknown, origin: string): void {
  const budget = { nodes: 0 };
  walk(value, 1, origin, budget);
}

function walk(value: unknown, depth: number, origin: string, budget: { nodes: number }): void {
  if (value === null || typeof value !== 'object') return;
  if (++budget.nodes > MAX_NODES) {
    throw new InputError('too large', `payload has more than ${MAX_NODES} parts`, origin);
  }
  if (depth > MAX_DEPTH) throw tooDeep(origin);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) walk(value[i], depth + 1, origin, budget);
    return;
  }
  if (!isPlainObject(value)) return; // not plain data: a leaf
  for (const key of Object.keys(value)) {
    if (FORBIDDEN_KEYS.has(key)) {
      throw new InputError('forbidden key', `payload contains the key "${key}", which is not allowed`, origin);
    }
    walk((value as Record<string, unknown>)[key], depth + 1, origin, budget);
  }
}

/**
 * Reads a dotted path (`data.temp.value`, `values.0`) through OWN properties only, never
 * the prototype chain. '' returns `obj` itself. Missing, forbidden or non-object steps
 * give undefined.
 */
export function getPath(obj: unknown, path: string): unknown {
  if (typeof path !== 'string') return undefined;
  if (path === '') return obj;
  let current: unknown = obj;
  let start = 0;
  for (;;) {
    if (current === null || typeof current !== 'object') return undefined;
    const dot = path.indexOf('.', start);
    const key = dot < 0 ? path.slice(start) : path.slice(start, dot);
    if (FORBIDDEN_KEYS.has(key) || !hasOwn.call(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
    if (dot < 0) return current;
    start = dot + 1;
  }
}
