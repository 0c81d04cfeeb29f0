/**
 * Brings a saved model of an older shape up to `currentModelSchemaVersion`, one step per version,
 * so a flow saved by an earlier TwinLoop still loads. The result is not yet checked: pass it to
 * validateModel (importModel does both).
 *
 * Schema versions:
 *   0  the flat form the first prototype saved (a model without `schemaVersion` is version 0):
 *        { name, signals: [{ topic: "line1/press1/temperature", unit: "degC", maxAge: 5 }] }
 *      `maxAge` was in SECONDS. The topic's last level is the signal, the levels before it the
 *      asset path.
 *   1  the asset tree of types.ts (`maxAgeMs` in milliseconds).
 */
import { ConfigError, TwinError } from '../errors';
import { MODEL_LIMITS, fail, fields, list, nameProblem, quote } from './checks';
import { currentModelSchemaVersion } from './types';

const FLAT_MODEL_FIELDS = new Set(['schemaVersion', 'name', 'signals']);
const FLAT_SIGNAL_FIELDS = new Set(['topic', 'unit', 'maxAge']);

interface DraftAsset {
  name: string;
  kind: 'other';
  children: DraftAsset[];
  signals: Record<string, unknown>[];
  parameters: never[];
}

/** Version 0 -> 1: the flat signal list becomes the asset tree. */
function fromFlatSignals(raw: unknown): unknown {
  if (raw !== null && typeof raw === 'object' && Object.prototype.hasOwnProperty.call(raw, 'assets')) {
    fail('bad model', 'model', `an asset tree without schemaVersion: add "schemaVersion": ${currentModelSchemaVersion}`);
  }
  const model = fields(raw, 'model', FLAT_MODEL_FIELDS, 'a version-0 model');
  if (!Array.isArray(model.signals)) {
    fail('bad model', 'model', "no schemaVersion, so read as version 0, which needs a 'signals' list");
  }
  const name = typeof model.name === 'string' && model.name.trim() !== '' ? model.name : 'Migrated model';
  const top: DraftAsset[] = [];
  // Asset path -> its draft, so signals of one asset land in one place.
  const byPath = new Map<string, DraftAsset>();
  const assetAt = (levels: string[]): DraftAsset => {
    let siblings = top;
    let asset: DraftAsset | undefined;
    for (let i = 0; i < levels.length; i++) {
      const path = levels.slice(0, i + 1).join('/');
      asset = byPath.get(path);
      if (!asset) {
        asset = { name: levels[i], kind: 'other', children: [], signals: [], parameters: [] };
        byPath.set(path, asset);
        siblings.push(asset);
      }
      siblings = asset.children;
    }
    return asset as DraftAsset;
  };
  list(model.signals, 'model', 'signals', MODEL_LIMITS.maxSignals).forEach((entry, i) => {
    const s = fields(entry, `model: signal ${i + 1}`, FLAT_SIGNAL_FIELDS, 'a signal');
    const where = typeof s.topic === 'string' ? `model: signal ${quote(s.topic)}` : `model: signal ${i + 1}`;
    if (typeof s.topic !== 'string' || s.topic.length > (MODEL_LIMITS.maxNameLength + 1) * (MODEL_LIMITS.maxDepth + 1)) {
      fail('bad topic', where, 'topic must be text like "line1/press1/temperature"');
    }
    const levels = s.topic.split('/');
    if (levels.length < 2) fail('bad topic', where, 'topic needs an asset level before the signal');
    if (levels.length - 1 > MODEL_LIMITS.maxDepth) fail('too deep', where, `topic has more than ${MODEL_LIMITS.maxDepth} asset levels`);
    const problem = levels.map(nameProblem).find((p) => p !== undefined);
    if (problem) fail('bad name', where, `a topic level's ${problem}`);
    const signal: Record<string, unknown> = { name: levels[levels.length - 1], unit: s.unit ?? null };
    if (s.maxAge !== undefined && s.maxAge !== null) {
      if (typeof s.maxAge !== 'number' || !Number.isFinite(s.maxAge) || s.maxAge <= 0) {
        fail('bad max age', where, 'maxAge must be a number of seconds above 0');
      }
      // Whole milliseconds: 0.3 s becomes 300, not 300.00000000000006.
      signal.maxAgeMs = Math.max(1, Math.round(s.maxAge * 1000));
    }
    assetAt(levels.slice(0, -1)).signals.push(signal);
  });
  return { schemaVersion: 1, revision: 0, name, assets: top, relationships: [] };
}

/** steps[v] turns a version-v model into a version-(v + 1) model. */
const steps: ReadonlyArray<(raw: unknown) => unknown> = [fromFlatSignals];

function versionOf(raw: unknown): number {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail('bad model', 'model', 'the model must be an object');
  if (!Object.prototype.hasOwnProperty.call(raw, 'schemaVersion')) return 0;
  const version = (raw as Record<string, unknown>).schemaVersion;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 0) {
    fail('bad model', 'model', 'schemaVersion must be a whole number');
  }
  if (version > currentModelSchemaVersion) {
    throw new ConfigError('model too new', `model: schemaVersion ${version} is newer than this TwinLoop understands (${currentModelSchemaVersion}); update TwinLoop`);
  }
  return version;
}

/** The model in the current schema (unchecked); ConfigError 'model too new' for a future version. */
export function migrateModel(raw: unknown): unknown {
  try {
    let model = raw;
    for (let version = versionOf(raw); version < currentModelSchemaVersion; version++) {
      model = steps[version](model);
    }
    return model;
  } catch (err) {
    if (err instanceof TwinError) throw err;
    // A hostile object (throwing getter, revoked proxy): still only a ConfigError.
    throw new ConfigError('bad model', `model: cannot be read (${err instanceof Error ? err.message.slice(0, 80) : 'unknown problem'})`);
  }
}
