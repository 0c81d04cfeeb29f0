/**
 * Reading the state: pattern queries, the whole-plant snapshot (tree and table) and the
 * fidelity figures of a subtree. Pure functions over the records so the class stays small.
 */
import { InputError, clip } from '../errors';
import { compilePattern } from './pattern';
import type { AssetNode, SignalRecord } from './record';
import type { Fidelity, SignalSnapshot, TwinSnapshot, TwinTree } from './types';
import { WINDOW_SECONDS } from './window-stats';

export function query(records: Map<string, SignalRecord>, root: AssetNode, pattern: unknown, now: number, withHistory: boolean): SignalSnapshot[] {
  const compiled = compilePattern(pattern);
  if (compiled.exact !== undefined) {
    const record = records.get(compiled.exact);
    return record ? [record.snapshot(now, withHistory)] : [];
  }
  // Start from the fixed leading levels, when there are any: "line1/*/temperature" only walks line1.
  const start = compiled.fixedAsset ? root.find(compiled.fixedAsset, false) : root;
  if (!start) return [];
  const out: SignalSnapshot[] = [];
  for (const record of start === root ? records.values() : start.records()) {
    if (compiled.matches(record.key)) out.push(record.snapshot(now, withHistory));
  }
  return out;
}

export function snapshotAll(root: AssetNode, now: number): TwinSnapshot {
  const table: SignalSnapshot[] = [];
  const tree = branch(root, now, table);
  return { tree, table };
}

/**
 * Asset levels and signals share one object per level. Should a signal carry the name of a
 * child asset of the same level, the asset keeps the name and the signal is listed as
 * "@<name>" (it is in the table under its real key either way).
 */
function branch(node: AssetNode, now: number, table: SignalSnapshot[]): TwinTree {
  const out = Object.create(null) as TwinTree;
  for (const record of node.signals.values()) {
    const snap = record.snapshot(now, false);
    table.push(snap);
    out[node.children.has(record.name) ? `@${record.name}` : record.name] = snap;
  }
  for (const child of node.children.values()) out[child.name] = branch(child, now, table);
  return out;
}

export function fidelityOf(root: AssetNode, assetPath: unknown, now: number, startedAt: number): Fidelity {
  let node = root;
  if (assetPath !== undefined && assetPath !== '') {
    if (typeof assetPath !== 'string') throw new InputError('bad asset path', 'the asset path must be text');
    const found = root.find(assetPath, false);
    if (!found) throw new InputError('unknown asset', `no asset "${clip(assetPath)}" in the twin`);
    node = found;
  }
  let signals = 0;
  let fresh = 0;
  let stale = 0;
  let badQuality = 0;
  for (const record of node.records()) {
    signals++;
    if (!record.arrived) continue;
    if (record.isStaleAt(now)) stale++;
    else fresh++;
    if (record.quality === 'bad') badQuality++;
  }
  const second = Math.floor(now / 1000);
  const { count, latencySum } = node.stats.totals(second);
  // Until the state has run a full minute, the rate is over the time it has run (at least 1 s).
  const windowSeconds = Math.min(WINDOW_SECONDS, Math.max(1, (now - startedAt) / 1000));
  return {
    signals,
    fresh,
    stale,
    missing: signals - fresh - stale,
    coverage: signals === 0 ? 0 : fresh / signals,
    latencyMeanMs: count === 0 ? null : latencySum / count,
    latencyP95Ms: node.stats.latencyP95(now),
    badQuality,
    ratePerSecond: count / windowSeconds,
  };
}
