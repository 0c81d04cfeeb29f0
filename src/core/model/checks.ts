/**
 * The small checks every model reader shares: limits, names, plain-object fields, lists, units.
 * Each failure is a ConfigError whose message starts with where the problem is.
 */
import { ConfigError } from '../errors';
import { FORBIDDEN_KEYS } from '../ingest/guards';
import { UnitConverter } from '../ingest/units';

/** Bounds that keep a hostile or mistaken model from exhausting memory or the call stack. */
export const MODEL_LIMITS = Object.freeze({
  maxSignals: 100_000,
  maxAssets: 100_000,
  maxParameters: 100_000,
  maxRelationships: 100_000,
  /** Asset levels: "a/b/c" is 3. */
  maxDepth: 16,
  maxNameLength: 128,
  maxTags: 32,
  maxDescriptionLength: 1024,
});

/** One converter for the model layer: its caches make repeated unit checks cheap. */
export const modelUnits = new UnitConverter();

// Control characters cannot travel in MQTT topics; "/" splits levels; "#" and "+" are MQTT wildcards.
const BAD_NAME_CHARACTER = /[/#+\u0000-\u001f\u007f]/;

export type Fields = Record<string, unknown>;

/** A name fit for messages: short, control characters made visible. */
export function quote(text: string): string {
  const shown = text.length > 40 ? `${text.slice(0, 40)}...` : text;
  return `'${shown.replace(/[\u0000-\u001f\u007f]/g, '?')}'`;
}

export function fail(shortReason: string, where: string, problem: string): never {
  throw new ConfigError(shortReason, `${where}: ${problem}`);
}

/** Why `name` cannot be a path level, or undefined when it can. */
export function nameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string' || name.trim() === '') return 'name is missing';
  if (name.length > MODEL_LIMITS.maxNameLength) return `name is longer than ${MODEL_LIMITS.maxNameLength} characters`;
  const bad = BAD_NAME_CHARACTER.exec(name);
  if (bad) return `name ${quote(name)} contains ${bad[0] < ' ' || bad[0] === '\u007f' ? 'a control character' : `'${bad[0]}'`}`;
  // A whole level "*" or "**" is a query wildcard (see paths.ts); such a name could not be asked for.
  if (name === '*' || name === '**') return `name ${quote(name)} is a query wildcard`;
  return undefined;
}

export function readName(raw: unknown, where: string): string {
  const problem = nameProblem(raw);
  if (problem) fail('bad name', where, problem);
  return raw as string;
}

/** Own enumerable fields of a plain object; refuses anything else and unknown or forbidden keys. */
export function fields(raw: unknown, where: string, allowed: ReadonlySet<string>, what: string): Fields {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail('bad model', where, `${what} must be an object`);
  const proto: unknown = Object.getPrototypeOf(raw);
  if (proto !== Object.prototype && proto !== null) fail('bad model', where, `${what} must be a plain object`);
  for (const key of Object.keys(raw)) {
    if (FORBIDDEN_KEYS.has(key)) fail('forbidden key', where, `key ${quote(key)} is not allowed`);
    if (!allowed.has(key)) fail('bad model', where, `unknown field ${quote(key)}`);
  }
  return raw as Fields;
}

/**
 * A list field: missing or null gives []. `room` (what is left of the model-wide `limit`) is
 * checked before any element is read, so a huge list costs nothing.
 */
export function list(raw: unknown, where: string, what: string, limit: number, room = limit): unknown[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) fail('bad model', where, `${what} must be a list`);
  if (raw.length > room) fail('too large', where, `more than ${limit} ${what}${room < limit ? ' in the model' : ''}`);
  return raw;
}

export function readUnit(raw: unknown, where: string): string | null {
  if (raw === undefined || raw === null || raw === '') return null;
  if (typeof raw !== 'string') fail('bad unit', where, 'unit must be text or null');
  if (!modelUnits.isKnown(raw)) fail('unknown unit', where, `unknown unit ${quote(raw)}`);
  return modelUnits.normaliseUnitName(raw);
}

export function finiteOrAbsent(raw: unknown, where: string, what: string, reason: string): number | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'number' || !Number.isFinite(raw)) fail(reason, where, `${what} must be a finite number`);
  return raw;
}

