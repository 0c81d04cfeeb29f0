/**
 * What accepting a proposed model would change, for the technician's review before accepting.
 *
 * `added` and `removed` list asset paths and signal keys (they never collide: children and
 * signals of one asset share one namespace), in model order, each asset before its signals.
 * `changed` lists one entry per difference of something in both models: a signal's unit,
 * range, maxAgeMs, tags or configuration flag, an asset's kind or position; and also parameters
 * (key "<asset>/<parameter>") and relationships (key "<from> <type> <to>") added, removed or
 * changed, because a proposal built from a server or from data has none of them and accepting it
 * would drop the technician's.
 */
import { ModelIndex } from './paths';
import type { AssetDefinition, ParameterDefinition, SignalDefinition, TwinModel } from './types';
import { validateModel } from './validate';

export interface ModelDiff {
  added: string[];
  removed: string[];
  changed: { key: string; what: string }[];
}

function shownUnit(unit: string | null | undefined): string {
  return unit ?? 'none';
}

function shownRange(range: SignalDefinition['range']): string {
  if (!range) return 'none';
  return `${range.min ?? ''}..${range.max ?? ''}`;
}

function shownOptional(value: unknown): string {
  return value === undefined ? 'none' : String(value);
}

function signalChanges(key: string, a: SignalDefinition, b: SignalDefinition, out: ModelDiff['changed']): void {
  const differ = (what: string, from: string, to: string): void => {
    if (from !== to) out.push({ key, what: `${what}: ${from} -> ${to}` });
  };
  differ('unit', shownUnit(a.unit), shownUnit(b.unit));
  differ('range', shownRange(a.range), shownRange(b.range));
  differ('maxAgeMs', shownOptional(a.maxAgeMs), shownOptional(b.maxAgeMs));
  differ('tags', (a.tags ?? []).join(', ') || 'none', (b.tags ?? []).join(', ') || 'none');
  differ('configuration', String(a.configuration === true), String(b.configuration === true));
}

function assetChanges(path: string, a: AssetDefinition, b: AssetDefinition, out: ModelDiff['changed']): void {
  if (a.kind !== b.kind) out.push({ key: path, what: `kind: ${a.kind} -> ${b.kind}` });
  const pos = (p: AssetDefinition['position']): string => (p ? `${p.x}, ${p.y}` : 'none');
  if (pos(a.position) !== pos(b.position)) out.push({ key: path, what: `position: ${pos(a.position)} -> ${pos(b.position)}` });
}

function parameterChanges(path: string, a: ParameterDefinition[], b: ParameterDefinition[], out: ModelDiff['changed']): void {
  const before = new Map(a.map((p) => [p.name, p]));
  const after = new Map(b.map((p) => [p.name, p]));
  for (const [name, p] of before) {
    const q = after.get(name);
    const key = `${path}/${name}`;
    if (!q) out.push({ key, what: 'parameter removed' });
    else if (p.value !== q.value || p.unit !== q.unit) {
      out.push({ key, what: `parameter: ${p.value} ${shownUnit(p.unit)} -> ${q.value} ${shownUnit(q.unit)}` });
    }
  }
  for (const name of after.keys()) if (!before.has(name)) out.push({ key: `${path}/${name}`, what: 'parameter added' });
}

/** Differences from `current` to `proposed` (both are checked first: ConfigError if invalid). */
export function diffModels(current: TwinModel, proposed: TwinModel): ModelDiff {
  const a = new ModelIndex(validateModel(current));
  const b = new ModelIndex(validateModel(proposed));
  const diff: ModelDiff = { added: [], removed: [], changed: [] };
  // Proposed against current gives what is added (and, where both have it, what changed);
  // current against proposed gives what is removed.
  const walk = (from: ModelIndex, to: ModelIndex, out: string[], compare: boolean): void => {
    for (const path of from.assetPaths()) {
      const asset = from.asset(path) as AssetDefinition;
      const other = to.asset(path);
      if (!other) out.push(path);
      if (compare) {
        if (other) assetChanges(path, other, asset, diff.changed);
        parameterChanges(path, other?.parameters ?? [], asset.parameters, diff.changed);
      } else if (!other) {
        parameterChanges(path, asset.parameters, [], diff.changed);
      }
      for (const signal of asset.signals) {
        const key = `${path}/${signal.name}`;
        const otherSignal = to.signal(key)?.signal;
        if (!otherSignal) out.push(key);
        else if (compare) signalChanges(key, otherSignal, signal, diff.changed);
      }
    }
  };
  walk(b, a, diff.added, true);
  walk(a, b, diff.removed, false);
  const id = (r: TwinModel['relationships'][number]): string => `${r.from} ${r.type} ${r.to}`;
  const before = new Set(a.model.relationships.map(id));
  const after = new Set(b.model.relationships.map(id));
  for (const key of before) if (!after.has(key)) diff.changed.push({ key, what: 'relationship removed' });
  for (const key of after) if (!before.has(key)) diff.changed.push({ key, what: 'relationship added' });
  return diff;
}
