/**
 * Saving and loading models as JSON files a technician can keep, diff and mail.
 *
 * Imported text comes from users, so it is parsed defensively. The ingest guards
 * (`safeJsonParse`) are sized for one sensor payload (32 levels, 10,000 parts) and would refuse
 * an honest model of 16 asset levels or a few thousand signals; so the same rules are applied
 * here with model-sized bounds: size checked first, nesting measured before parsing, and any
 * `__proto__`/`constructor`/`prototype` key (FORBIDDEN_KEYS, shared with the guards) refused
 * while parsing. Then the model is migrated and checked.
 */
import { ConfigError, TwinError } from '../errors';
import { FORBIDDEN_KEYS, jsonNestsDeeperThan } from '../ingest/guards';
import { MODEL_LIMITS, quote } from './checks';
import { migrateModel } from './migrate';
import type { TwinModel } from './types';
import { validateModel } from './validate';

/** Largest import: 100,000 richly described signals, pretty-printed, fit with room to spare. */
export const MAX_IMPORT_BYTES = 64 * 1024 * 1024;
/** Two JSON levels per asset level (object, children list) plus the model, signal and range. */
export const MAX_IMPORT_NESTING = 2 * MODEL_LIMITS.maxDepth + 8;

/** The model as stable, pretty JSON: fixed key order, two-space indent, a final newline. */
export function exportModel(model: TwinModel): string {
  // validateModel rebuilds every object with its fields in one fixed order.
  return `${JSON.stringify(validateModel(model), null, 2)}\n`;
}

/** Marks the reviver's refusal apart from JSON syntax errors. */
class ForbiddenKey extends Error {}

function parse(text: string): unknown {
  if (typeof text !== 'string') throw new ConfigError('bad JSON', 'model file: expected JSON text');
  if (text.length > MAX_IMPORT_BYTES || Buffer.byteLength(text, 'utf8') > MAX_IMPORT_BYTES) {
    throw new ConfigError('too large', `model file: larger than ${MAX_IMPORT_BYTES / 1024 / 1024} MiB`);
  }
  if (jsonNestsDeeperThan(text, MAX_IMPORT_NESTING)) {
    throw new ConfigError('too deep', `model file: nested deeper than ${MAX_IMPORT_NESTING} levels`);
  }
  try {
    return JSON.parse(text, (key: string, value: unknown) => {
      // JSON.parse makes "__proto__" an own key (harmless itself); refuse it before anything copies it.
      if (FORBIDDEN_KEYS.has(key)) throw new ForbiddenKey(key);
      return value;
    });
  } catch (err) {
    if (err instanceof ForbiddenKey) {
      throw new ConfigError('forbidden key', `model file: the key ${quote(err.message)} is not allowed`);
    }
    const detail = err instanceof Error ? err.message.slice(0, 120) : 'invalid JSON';
    throw new ConfigError('bad JSON', `model file: not valid JSON (${detail})`);
  }
}

/** A model from JSON text: parsed safely, brought to the current schema, checked. */
export function importModel(text: string): TwinModel {
  try {
    return validateModel(migrateModel(parse(text)));
  } catch (err) {
    if (err instanceof TwinError) throw err;
    throw new ConfigError('bad model', 'model file: cannot be read');
  }
}
