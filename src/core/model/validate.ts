/**
 * Checks a twin model and returns a normalised, freshly built copy: only known fields, defaults
 * filled (kind 'other', empty children/signals/parameters/relationships), units in their canonical
 * spelling ("°C" -> "degC"). Models come from the editor and from imported files, so nothing in
 * `raw` is trusted: every error is a ConfigError whose message starts with where the problem is
 * ("line1/press1: signal 'temp': unknown unit 'degX'"), so the technician can find it.
 *
 * Children, signals and parameters of one asset share one namespace: a signal key
 * "<asset>/<signal>" can then never equal an asset path, so keys, paths and query patterns stay
 * unambiguous.
 */
import { ConfigError, TwinError } from '../errors';
import { MODEL_LIMITS, fail, fields, finiteOrAbsent, list, quote, readName, readUnit } from './checks';
import {
  currentModelSchemaVersion,
  type AssetDefinition,
  type AssetKind,
  type ParameterDefinition,
  type Relationship,
  type RelationshipType,
  type SignalDefinition,
  type SignalRange,
  type TwinModel,
} from './types';

export { MODEL_LIMITS, nameProblem } from './checks';

const ASSET_KINDS: ReadonlySet<string> = new Set<AssetKind>(['plant', 'line', 'machine', 'component', 'other']);
const RELATIONSHIP_TYPES: ReadonlySet<string> = new Set<RelationshipType>(['feeds', 'partOf']);
const MODEL_FIELDS = new Set(['schemaVersion', 'revision', 'name', 'assets', 'relationships']);
const ASSET_FIELDS = new Set(['name', 'kind', 'children', 'signals', 'parameters', 'position']);
const SIGNAL_FIELDS = new Set(['name', 'unit', 'range', 'maxAgeMs', 'tags', 'configuration']);
const PARAMETER_FIELDS = new Set(['name', 'value', 'unit', 'description']);
const RELATIONSHIP_FIELDS = new Set(['from', 'to', 'type']);

function readRange(raw: unknown, where: string): SignalRange | undefined {
  if (raw === undefined || raw === null) return undefined;
  const r = fields(raw, where, new Set(['min', 'max']), 'range');
  const min = finiteOrAbsent(r.min, where, 'range min', 'bad range');
  const max = finiteOrAbsent(r.max, where, 'range max', 'bad range');
  if (min !== undefined && max !== undefined && min > max) fail('bad range', where, `range min ${min} is above max ${max}`);
  if (min === undefined && max === undefined) return undefined;
  const range: SignalRange = {};
  if (min !== undefined) range.min = min;
  if (max !== undefined) range.max = max;
  return range;
}

function readSignal(raw: unknown, index: number, assetPath: string): SignalDefinition {
  const r = fields(raw, `${assetPath}: signal ${index + 1}`, SIGNAL_FIELDS, 'a signal');
  const name = readName(r.name, `${assetPath}: signal ${index + 1}`);
  const where = `${assetPath}: signal ${quote(name)}`;
  const signal: SignalDefinition = { name, unit: readUnit(r.unit, where) };
  const range = readRange(r.range, where);
  if (range) signal.range = range;
  const maxAgeMs = finiteOrAbsent(r.maxAgeMs, where, 'maxAgeMs', 'bad max age');
  if (maxAgeMs !== undefined) {
    if (maxAgeMs <= 0) fail('bad max age', where, `maxAgeMs must be above 0, not ${maxAgeMs}`);
    signal.maxAgeMs = maxAgeMs;
  }
  if (r.tags !== undefined && r.tags !== null) {
    const tags = new Set<string>();
    for (const tag of list(r.tags, where, 'tags', MODEL_LIMITS.maxTags)) {
      if (typeof tag !== 'string' || tag === '' || tag.length > MODEL_LIMITS.maxNameLength) {
        fail('bad tag', where, `tags must be text of 1 to ${MODEL_LIMITS.maxNameLength} characters`);
      }
      tags.add(tag);
    }
    signal.tags = [...tags];
  }
  if (r.configuration !== undefined && r.configuration !== null) {
    if (typeof r.configuration !== 'boolean') fail('bad model', where, 'configuration must be true or false');
    signal.configuration = r.configuration;
  }
  return signal;
}

function readParameter(raw: unknown, index: number, assetPath: string): ParameterDefinition {
  const r = fields(raw, `${assetPath}: parameter ${index + 1}`, PARAMETER_FIELDS, 'a parameter');
  const name = readName(r.name, `${assetPath}: parameter ${index + 1}`);
  const where = `${assetPath}: parameter ${quote(name)}`;
  if (typeof r.value !== 'number' || !Number.isFinite(r.value)) fail('bad parameter', where, 'value must be a finite number');
  const parameter: ParameterDefinition = { name, value: r.value, unit: readUnit(r.unit, where) };
  if (r.description !== undefined && r.description !== null) {
    if (typeof r.description !== 'string' || r.description.length > MODEL_LIMITS.maxDescriptionLength) {
      fail('bad parameter', where, `description must be text of at most ${MODEL_LIMITS.maxDescriptionLength} characters`);
    }
    parameter.description = r.description;
  }
  return parameter;
}

interface Walk {
  assets: number;
  signals: number;
  parameters: number;
  paths: Set<string>;
  /** Objects on the way down from the top: meeting one again is a cycle. */
  ancestors: Set<object>;
}

function readAsset(raw: unknown, where: string, parentPath: string, depth: number, walk: Walk): AssetDefinition {
  if (depth > MODEL_LIMITS.maxDepth) fail('too deep', where, `assets are nested deeper than ${MODEL_LIMITS.maxDepth} levels`);
  if (++walk.assets > MODEL_LIMITS.maxAssets) fail('too large', where, `more than ${MODEL_LIMITS.maxAssets} assets`);
  if (raw !== null && typeof raw === 'object' && walk.ancestors.has(raw)) fail('bad model', where, 'an asset contains itself');
  const r = fields(raw, where, ASSET_FIELDS, 'an asset');
  const name = readName(r.name, where);
  const path = parentPath ? `${parentPath}/${name}` : name;
  let kind: AssetKind = 'other';
  if (r.kind !== undefined && r.kind !== null) {
    if (typeof r.kind !== 'string' || !ASSET_KINDS.has(r.kind)) {
      fail('bad kind', path, `kind must be one of ${[...ASSET_KINDS].join(', ')}`);
    }
    kind = r.kind as AssetKind;
  }
  const asset: AssetDefinition = { name, kind, children: [], signals: [], parameters: [] };
  if (r.position !== undefined && r.position !== null) {
    const p = fields(r.position, path, new Set(['x', 'y']), 'position');
    const x = finiteOrAbsent(p.x, path, 'position x', 'bad position');
    const y = finiteOrAbsent(p.y, path, 'position y', 'bad position');
    if (x === undefined || y === undefined) fail('bad position', path, 'position needs x and y');
    asset.position = { x, y };
  }
  walk.paths.add(path);
  const siblings = new Map<string, string>();
  const claim = (sibling: string, what: string): void => {
    const taken = siblings.get(sibling);
    if (taken) fail('duplicate name', path, `${what} ${quote(sibling)} has the same name as a ${taken}`);
    siblings.set(sibling, what);
  };
  const signals = list(r.signals, path, 'signals', MODEL_LIMITS.maxSignals, MODEL_LIMITS.maxSignals - walk.signals);
  walk.signals += signals.length;
  signals.forEach((s, i) => {
    const signal = readSignal(s, i, path);
    claim(signal.name, 'signal');
    asset.signals.push(signal);
  });
  const parameters = list(r.parameters, path, 'parameters', MODEL_LIMITS.maxParameters, MODEL_LIMITS.maxParameters - walk.parameters);
  walk.parameters += parameters.length;
  parameters.forEach((p, i) => {
    const parameter = readParameter(p, i, path);
    claim(parameter.name, 'parameter');
    asset.parameters.push(parameter);
  });
  walk.ancestors.add(raw as object);
  list(r.children, path, 'assets', MODEL_LIMITS.maxAssets, MODEL_LIMITS.maxAssets - walk.assets).forEach((c, i) => {
    const child = readAsset(c, `${path}: child asset ${i + 1}`, path, depth + 1, walk);
    claim(child.name, 'child asset');
    asset.children.push(child);
  });
  walk.ancestors.delete(raw as object);
  return asset;
}

function readRelationship(raw: unknown, index: number, paths: Set<string>): Relationship {
  let where = `relationship ${index + 1}`;
  const r = fields(raw, where, RELATIONSHIP_FIELDS, 'a relationship');
  if (typeof r.from !== 'string' || typeof r.to !== 'string') fail('bad relationship', where, 'from and to must be asset paths');
  where = `relationship ${index + 1} (${quote(r.from)} -> ${quote(r.to)})`;
  if (typeof r.type !== 'string' || !RELATIONSHIP_TYPES.has(r.type)) {
    fail('bad relationship', where, `type must be one of ${[...RELATIONSHIP_TYPES].join(', ')}`);
  }
  if (!paths.has(r.from)) fail('unknown asset', where, `no asset ${quote(r.from)}`);
  if (!paths.has(r.to)) fail('unknown asset', where, `no asset ${quote(r.to)}`);
  if (r.from === r.to) fail('bad relationship', where, 'an asset cannot relate to itself');
  return { from: r.from, to: r.to, type: r.type as RelationshipType };
}

function readModel(raw: unknown): TwinModel {
  const r = fields(raw, 'model', MODEL_FIELDS, 'the model');
  const version = r.schemaVersion;
  if (version === undefined) fail('old model', 'model', 'no schemaVersion: import it so it is brought up to date');
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 0) fail('bad model', 'model', 'schemaVersion must be a whole number');
  if (version > currentModelSchemaVersion) fail('model too new', 'model', `schemaVersion ${version} is newer than this TwinLoop understands (${currentModelSchemaVersion})`);
  if (version < currentModelSchemaVersion) fail('old model', 'model', `schemaVersion ${version} is old: import it so it is brought up to date`);
  let revision = 0;
  if (r.revision !== undefined && r.revision !== null) {
    if (typeof r.revision !== 'number' || !Number.isSafeInteger(r.revision) || r.revision < 0) {
      fail('bad model', 'model', 'revision must be a whole number, 0 or more');
    }
    revision = r.revision;
  }
  if (typeof r.name !== 'string' || r.name.trim() === '' || r.name.length > MODEL_LIMITS.maxNameLength) {
    fail('bad name', 'model', `the model needs a name of 1 to ${MODEL_LIMITS.maxNameLength} characters`);
  }
  const walk: Walk = { assets: 0, signals: 0, parameters: 0, paths: new Set(), ancestors: new Set() };
  const assets: AssetDefinition[] = [];
  const topNames = new Set<string>();
  list(r.assets, 'model', 'assets', MODEL_LIMITS.maxAssets).forEach((a, i) => {
    const asset = readAsset(a, `model: asset ${i + 1}`, '', 1, walk);
    if (topNames.has(asset.name)) fail('duplicate name', 'model', `two assets are named ${quote(asset.name)}`);
    topNames.add(asset.name);
    assets.push(asset);
  });
  const relationships: Relationship[] = [];
  const seen = new Set<string>();
  list(r.relationships, 'model', 'relationships', MODEL_LIMITS.maxRelationships).forEach((rel, i) => {
    const relationship = readRelationship(rel, i, walk.paths);
    const id = `${relationship.from}\u0000${relationship.type}\u0000${relationship.to}`;
    if (seen.has(id)) fail('duplicate relationship', `relationship ${i + 1}`, 'the same relationship is listed twice');
    seen.add(id);
    relationships.push(relationship);
  });
  return { schemaVersion: currentModelSchemaVersion, revision, name: r.name, assets, relationships };
}

/** Checks and normalises a model (see the file comment); ConfigError naming where it is wrong. */
export function validateModel(raw: unknown): TwinModel {
  try {
    return readModel(raw);
  } catch (err) {
    if (err instanceof TwinError) throw err;
    // A hostile object (throwing getter, revoked proxy) or a stack overflow: still only a ConfigError.
    throw new ConfigError('bad model', `model: cannot be read (${err instanceof Error ? err.message.slice(0, 80) : 'unknown problem'})`);
  }
}
