/**
 * Small helpers shared by the gate files: field checks that name the field at fault, value
 * comparison for read-backs, target/key relations, and a JSON clone that detaches caller data.
 *
 * Everything the gate keeps is plain JSON, because the gate's state is saved and restored across
 * redeploys: a value that does not survive JSON.stringify is refused at the door, not lost later.
 */
import { InputError } from '../errors';
import { FORBIDDEN_KEYS, assertSafeData, describeValue, isPlainObject } from '../ingest/guards';

export { FORBIDDEN_KEYS, describeValue, isPlainObject };

/** A value the gate writes: a number for setpoints, any JSON value for a schedule. */
export type SettingValue = number | string | boolean | null | SettingValue[] | { [key: string]: SettingValue };

export function isRecord(x: unknown): x is Record<string, unknown> {
  return isPlainObject(x);
}

export function hasOwn(obj: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}

/**
 * InputError for a field, with the field's path in the detail (`candidate.setpoints.x`) and the
 * top field in the short reason ("bad setpoints"), which is what fits a node status.
 */
export function fieldError(field: string, problem: string, origin?: string): InputError {
  const parts = field.split('.');
  const top = (parts.length > 1 ? parts[1] : parts[0]).replace(/\[.*$/, '');
  return new InputError(`bad ${top}`, `${field} ${problem}`, origin);
}

export function requireRecord(value: unknown, field: string, origin?: string): Record<string, unknown> {
  if (!isRecord(value)) throw fieldError(field, `must be an object, got ${describeValue(value)}`, origin);
  for (const key of Object.keys(value)) {
    if (FORBIDDEN_KEYS.has(key)) throw new InputError('forbidden key', `${field} contains the key "${key}", which is not allowed`, origin);
  }
  return value;
}

export function requireFinite(value: unknown, field: string, origin?: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw fieldError(field, `must be a finite number, got ${describeValue(value)}`, origin);
  return value;
}

export function optionalFinite(value: unknown, field: string, origin?: string): number | undefined {
  return value === undefined ? undefined : requireFinite(value, field, origin);
}

export function requireText(value: unknown, field: string, maxLength = 200, origin?: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw fieldError(field, `must be non-empty text, got ${describeValue(value)}`, origin);
  if (value.length > maxLength) throw fieldError(field, `is longer than ${maxLength} characters`, origin);
  return value;
}

/** Refuses fields the shape does not know: a typo ("aprove", "setpoint") must not pass silently. */
export function refuseUnknownFields(obj: Record<string, unknown>, allowed: readonly string[], field: string, origin?: string): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) throw fieldError(`${field}.${key}`, `is not a known field (known: ${allowed.join(', ')})`, origin);
  }
}

/** A deep copy through JSON, after the safety checks (depth, size, prototype keys). */
export function jsonClone<T>(value: T, field: string, origin?: string): T {
  assertSafeData(value, origin ?? field);
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (err) {
    throw fieldError(field, `cannot be turned into JSON (${(err as Error).message})`, origin);
  }
  if (text === undefined) throw fieldError(field, 'cannot be turned into JSON', origin);
  return JSON.parse(text) as T;
}

/**
 * Whether a read-back matches what was written. Numbers within an absolute tolerance plus a
 * tiny relative one (a float32 PLC register cannot hold every double exactly); anything else by
 * its JSON text (schedules, enumerations).
 */
export function sameSetting(written: SettingValue, read: unknown, tolerance: number): boolean {
  if (typeof written === 'number') {
    if (typeof read !== 'number' || !Number.isFinite(read)) return false;
    return Math.abs(read - written) <= tolerance + 1e-7 * Math.max(Math.abs(written), Math.abs(read));
  }
  try {
    return JSON.stringify(written) === JSON.stringify(read);
  } catch {
    return false;
  }
}

/** `path` is `ancestor` or lies below it ("line1/press1/t" under "line1/press1"). */
export function isAtOrBelow(path: string, ancestor: string): boolean {
  return path === ancestor || path.startsWith(`${ancestor}/`);
}

/** Two asset paths touch the same equipment: equal, or one contains the other. */
export function pathsOverlap(a: string, b: string): boolean {
  return isAtOrBelow(a, b) || isAtOrBelow(b, a);
}

export function targetsOverlap(a: readonly string[], b: readonly string[]): boolean {
  return a.some((x) => b.some((y) => pathsOverlap(x, y)));
}

/** Keeps the last `max` items (arrays the gate appends to and saves). */
export function keepLast<T>(list: T[], max: number): void {
  if (list.length > max) list.splice(0, list.length - max);
}
