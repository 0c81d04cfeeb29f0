/**
 * Changes to a model, as the editor makes them. Every function is pure: it returns a NEW, checked
 * model with `revision` one higher and leaves its input untouched, so the running twin keeps its
 * model until the technician's change is complete and valid. Problems are ConfigErrors.
 */
import { ConfigError } from '../errors';
import { quote } from './checks';
import type { AssetDefinition, AssetKind, ParameterDefinition, Relationship, SignalDefinition, TwinModel } from './types';
import { validateModel } from './validate';

/** An asset to add: only the name is required (kind 'other', empty lists by default). */
export interface AssetDraft {
  name: string;
  kind?: AssetKind;
  children?: AssetDefinition[];
  signals?: SignalDefinition[];
  parameters?: ParameterDefinition[];
  position?: { x: number; y: number };
}

/** A checked deep copy to change, the change, and the checked result with the next revision. */
function change(model: TwinModel, edit: (draft: TwinModel) => void): TwinModel {
  const draft = validateModel(model);
  edit(draft);
  draft.revision += 1;
  return validateModel(draft);
}

function assetIn(draft: TwinModel, path: string): AssetDefinition {
  if (typeof path !== 'string' || path === '') throw new ConfigError('unknown asset', 'an asset path is needed');
  let siblings = draft.assets;
  let found: AssetDefinition | undefined;
  for (const level of path.split('/')) {
    found = siblings.find((a) => a.name === level);
    if (!found) throw new ConfigError('unknown asset', `no asset ${quote(path)}`);
    siblings = found.children;
  }
  return found as AssetDefinition;
}

/** The list holding the asset at `path` (the top level or its parent's children). */
function siblingsOf(draft: TwinModel, path: string): AssetDefinition[] {
  const slash = typeof path === 'string' ? path.lastIndexOf('/') : -1;
  return slash < 0 ? draft.assets : assetIn(draft, path.slice(0, slash)).children;
}

function splitKey(key: string): { assetPath: string; name: string } {
  const slash = typeof key === 'string' ? key.lastIndexOf('/') : -1;
  if (slash <= 0) throw new ConfigError('unknown signal', `${typeof key === 'string' ? quote(key) : 'a key'} is not "<asset>/<signal>"`);
  return { assetPath: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** Whether `path` is `root` itself or lies below it. */
function within(path: string, root: string): boolean {
  return path === root || path.startsWith(`${root}/`);
}

/** Adds `asset` under `parentPath` ('' for the top level). */
export function addAsset(model: TwinModel, parentPath: string, asset: AssetDraft): TwinModel {
  return change(model, (draft) => {
    const siblings = parentPath === '' ? draft.assets : assetIn(draft, parentPath).children;
    siblings.push(asset as AssetDefinition);
  });
}

/** Removes the asset, everything below it, and the relationships that touch any of them. */
export function removeAsset(model: TwinModel, path: string): TwinModel {
  return change(model, (draft) => {
    const target = assetIn(draft, path);
    const siblings = siblingsOf(draft, path);
    siblings.splice(siblings.indexOf(target), 1);
    draft.relationships = draft.relationships.filter((r) => !within(r.from, path) && !within(r.to, path));
  });
}

/** Renames one asset; relationships of it and of the assets below it follow the new path. */
export function renameAsset(model: TwinModel, path: string, newName: string): TwinModel {
  return change(model, (draft) => {
    const target = assetIn(draft, path);
    target.name = newName;
    const slash = path.lastIndexOf('/');
    const newPath = slash < 0 ? newName : `${path.slice(0, slash)}/${newName}`;
    const moved = (p: string): string => (within(p, path) ? newPath + p.slice(path.length) : p);
    draft.relationships = draft.relationships.map((r) => ({ ...r, from: moved(r.from), to: moved(r.to) }));
  });
}

/** Adds the signal to the asset, or replaces the asset's signal of the same name. */
export function upsertSignal(model: TwinModel, assetPath: string, signal: SignalDefinition): TwinModel {
  return change(model, (draft) => {
    const signals = assetIn(draft, assetPath).signals;
    const at = signals.findIndex((s) => s.name === signal?.name);
    if (at >= 0) signals[at] = signal;
    else signals.push(signal);
  });
}

/** Removes the signal with this key ("<asset path>/<signal>"). */
export function removeSignal(model: TwinModel, key: string): TwinModel {
  return change(model, (draft) => {
    const { assetPath, name } = splitKey(key);
    const signals = assetIn(draft, assetPath).signals;
    const at = signals.findIndex((s) => s.name === name);
    if (at < 0) throw new ConfigError('unknown signal', `no signal ${quote(key)}`);
    signals.splice(at, 1);
  });
}

/** Adds the parameter to the asset, or replaces the asset's parameter of the same name. */
export function setParameter(model: TwinModel, assetPath: string, parameter: ParameterDefinition): TwinModel {
  return change(model, (draft) => {
    const parameters = assetIn(draft, assetPath).parameters;
    const at = parameters.findIndex((p) => p.name === parameter?.name);
    if (at >= 0) parameters[at] = parameter;
    else parameters.push(parameter);
  });
}

/** Removes the parameter `name` of the asset. */
export function removeParameter(model: TwinModel, assetPath: string, name: string): TwinModel {
  return change(model, (draft) => {
    const parameters = assetIn(draft, assetPath).parameters;
    const at = parameters.findIndex((p) => p.name === name);
    if (at < 0) throw new ConfigError('unknown parameter', `${quote(assetPath)}: no parameter ${quote(String(name))}`);
    parameters.splice(at, 1);
  });
}

/** Adds a relationship between two existing assets (a duplicate is refused). */
export function addRelationship(model: TwinModel, relationship: Relationship): TwinModel {
  return change(model, (draft) => {
    draft.relationships.push(relationship);
  });
}

/** Removes the relationship with the same from, to and type. */
export function removeRelationship(model: TwinModel, relationship: Relationship): TwinModel {
  return change(model, (draft) => {
    const at = draft.relationships.findIndex(
      (r) => r.from === relationship?.from && r.to === relationship?.to && r.type === relationship?.type,
    );
    if (at < 0) throw new ConfigError('unknown relationship', 'no such relationship');
    draft.relationships.splice(at, 1);
  });
}
