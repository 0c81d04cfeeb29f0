/**
 * The model as the state needs it: signal definitions by key, and every asset path (so an
 * asset without signals still answers a fidelity query). The model module validates models
 * in full; this walk only refuses what would break the state, with a ConfigError.
 */
import { ConfigError } from '../errors';
import type { AssetDefinition, SignalDefinition, TwinModel } from '../model/types';

export interface ModelIndex {
  signals: Map<string, SignalDefinition>;
  assets: Set<string>;
}

const MAX_DEPTH = 32;

export function indexModel(model: TwinModel): ModelIndex {
  const index: ModelIndex = { signals: new Map(), assets: new Set() };
  if (typeof model !== 'object' || model === null || !Array.isArray(model.assets)) {
    throw new ConfigError('bad model', 'the model has no list of assets');
  }
  for (const asset of model.assets) walk(asset, '', 0, index);
  return index;
}

function walk(asset: AssetDefinition, parentPath: string, depth: number, index: ModelIndex): void {
  if (depth >= MAX_DEPTH) throw new ConfigError('bad model', `assets nested deeper than ${MAX_DEPTH} levels`);
  if (typeof asset !== 'object' || asset === null || !isLevel(asset.name)) {
    throw new ConfigError('bad model', `an asset under "${parentPath}" has no usable name`);
  }
  const path = parentPath ? `${parentPath}/${asset.name}` : asset.name;
  index.assets.add(path);
  for (const signal of Array.isArray(asset.signals) ? asset.signals : []) {
    if (typeof signal !== 'object' || signal === null || !isLevel(signal.name)) {
      throw new ConfigError('bad model', `a signal of "${path}" has no usable name`);
    }
    const key = `${path}/${signal.name}`;
    if (index.signals.has(key)) throw new ConfigError('bad model', `signal "${key}" is defined twice`);
    if (signal.maxAgeMs !== undefined && !(typeof signal.maxAgeMs === 'number' && signal.maxAgeMs >= 0 && Number.isFinite(signal.maxAgeMs))) {
      throw new ConfigError('bad model', `maxAgeMs of "${key}" must be a number of ms >= 0`);
    }
    index.signals.set(key, signal);
  }
  for (const child of Array.isArray(asset.children) ? asset.children : []) walk(child, path, depth + 1, index);
}

function isLevel(name: unknown): name is string {
  return typeof name === 'string' && name !== '' && !name.includes('/');
}

/** Out of the model's range (numbers only; a missing bound does not limit). */
export function outOfRange(definition: SignalDefinition | undefined, value: unknown): boolean {
  const range = definition?.range;
  if (!range || typeof value !== 'number') return false;
  return (typeof range.min === 'number' && value < range.min) || (typeof range.max === 'number' && value > range.max);
}
