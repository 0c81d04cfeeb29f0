/**
 * The live TwinLoop nodes of this process, by id, for the editor's "Twin" sidebar
 * (src/plugins/twin-sidebar.ts). A node registers when it is created and deregisters when it
 * closes; its provider returns a compact JSON summary of the node on demand (the sidebar asks
 * about once a second). Nothing here keeps history: the sidebar plugin does that.
 *
 * One registry per process even when this module is loaded twice (a node module and the plugin
 * reached through different paths): it lives on a global symbol.
 *
 * The summaries below are built from the nodes' own objects (TwinState, DeviationMonitor,
 * SimulatorRuntime, Gate) through type-only imports: this module loads none of them.
 */
import type { DeviationOutput, DeviationMonitor } from '../../core/deviation/deviation-monitor';
import type { Prediction, SimulatorRuntime } from '../../core/simulation/runtime';
import type { TwinState } from '../../core/state';
import type { AssetDefinition, TwinModel } from '../../core/model/types';
import type { Gate } from '../twin-gate/gate';
import type { NodeMessage } from './red';

export type TwinNodeKind = 'state' | 'deviation' | 'simulator' | 'gate';

export interface TwinNodeRef {
  id: string;
  name?: string;
  z?: string;
}

export interface RegisteredTwinNode {
  kind: TwinNodeKind;
  id: string;
  name: string;
  z: string;
  registeredAt: number;
  provider: () => unknown;
}

interface RegistryStore {
  entries: Map<string, RegisteredTwinNode>;
  listeners: Set<() => void>;
}

const storeKey = Symbol.for('twinloop.twin-registry');

function store(): RegistryStore {
  const holder = globalThis as unknown as Record<symbol, RegistryStore | undefined>;
  let s = holder[storeKey];
  if (!s) {
    s = { entries: new Map(), listeners: new Set() };
    holder[storeKey] = s;
  }
  return s;
}

function changed(): void {
  for (const listener of [...store().listeners]) {
    try {
      listener();
    } catch {
      // a listener's fault must not stop a node from starting or closing
    }
  }
}

/**
 * Registers a live node; returns the function that deregisters it (call it on close). A node
 * created again under the same id (a redeploy) replaces the old entry, and the old node's
 * deregistration then leaves the new one in place.
 */
export function register(kind: TwinNodeKind, node: TwinNodeRef, provider: () => unknown): () => void {
  const entry: RegisteredTwinNode = { kind, id: node.id, name: node.name ?? '', z: node.z ?? '', registeredAt: Date.now(), provider };
  const s = store();
  s.entries.set(node.id, entry);
  changed();
  let done = false;
  return () => {
    if (done) return;
    done = true;
    if (s.entries.get(node.id) === entry) s.entries.delete(node.id);
    changed();
  };
}

/** Every registered node, in registration order. */
export function registered(): RegisteredTwinNode[] {
  return [...store().entries.values()];
}

/** Called after every registration and deregistration; returns the function that stops it. */
export function onRegistryChange(listener: () => void): () => void {
  const s = store();
  s.listeners.add(listener);
  return () => s.listeners.delete(listener);
}

// ------------------------------------------------------------------------------------ summaries

/** Most signals one node reports in a summary: the sidebar is read by a person, not a machine. */
export const maxSummarySignals = 2000;
const maxTextLength = 200;

function compactValue(value: unknown): number | boolean | string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'boolean') return value;
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > maxTextLength ? `${text.slice(0, maxTextLength)}…` : text;
}

export interface SummaryAsset {
  path: string;
  name: string;
  kind: string;
  position: { x: number; y: number } | null;
}

function flattenAssets(assets: AssetDefinition[], prefix: string, out: SummaryAsset[]): SummaryAsset[] {
  for (const a of assets) {
    const path = prefix ? `${prefix}/${a.name}` : a.name;
    out.push({ path, name: a.name, kind: a.kind, position: a.position ? { x: a.position.x, y: a.position.y } : null });
    flattenAssets(a.children ?? [], path, out);
  }
  return out;
}

export interface StateSignalSummary {
  key: string;
  asset: string;
  signal: string;
  value: number | boolean | string | null;
  unit: string | null;
  quality: string | null;
  stale: boolean;
  ageMs: number | null;
  sourceTime: number | null;
  outOfRange: boolean;
}

/** twin-state: every signal with value, quality and freshness, and the model's asset tree. */
export function stateSummary(state: TwinState | undefined, model: { id: string | null; name?: string; model?: TwinModel } | null): Record<string, unknown> {
  const table = state ? state.snapshot().table : [];
  const signals: StateSignalSummary[] = table.slice(0, maxSummarySignals).map((s) => ({
    key: s.key,
    asset: s.asset,
    signal: s.signal,
    value: compactValue(s.value),
    unit: s.unit,
    quality: s.quality,
    stale: s.stale,
    ageMs: s.ageMs,
    sourceTime: s.sourceTime,
    outOfRange: s.outOfRange,
  }));
  const m = model?.model;
  return {
    model: model?.id ? { id: model.id, name: model.name || m?.name || '', revision: m?.revision ?? null } : null,
    assets: m ? flattenAssets(m.assets, '', []).slice(0, maxSummarySignals) : [],
    fidelity: state ? state.fidelity() : null,
    signals,
    total: table.length,
    truncated: table.length > signals.length,
  };
}

/** The score of the last sample of each key twin-deviation scored (the monitor keeps none). */
export class LastScores {
  private readonly scores = new Map<string, { score: number; time: number }>();

  set(key: string, output: Pick<DeviationOutput, 'score'>, time: number): void {
    this.scores.delete(key); // newest last: the oldest go first should the map have to shrink
    this.scores.set(key, { score: output.score, time });
    if (this.scores.size > 100_000) this.scores.delete(this.scores.keys().next().value as string);
  }

  get(key: string): { score: number; time: number } | undefined {
    return this.scores.get(key);
  }

  /** Drops keys the monitor no longer watches (after a reset). */
  keep(keys: Set<string>): void {
    for (const key of [...this.scores.keys()]) if (!keys.has(key)) this.scores.delete(key);
  }
}

/** twin-deviation: per signal the last score, severity and drift state. */
export function deviationSummary(monitor: DeviationMonitor | undefined, scores: LastScores): Record<string, unknown> {
  if (!monitor) return { frozen: false, signals: [], total: 0, truncated: false };
  const compared = monitor.compare().signals;
  scores.keep(new Set(compared.map((s) => s.key)));
  const signals = compared.slice(0, maxSummarySignals).map((s) => {
    const last = scores.get(s.key);
    return {
      key: s.key,
      score: last ? last.score : null,
      time: last ? last.time : null,
      severity: s.severity,
      driftState: s.driftState,
      bias: Number.isFinite(s.bias) ? s.bias : null,
      diverging: s.diverging,
    };
  });
  return { frozen: monitor.isFrozen, severities: monitor.severities(), signals, total: compared.length, truncated: compared.length > signals.length };
}

/** The newest prediction of each key twin-simulator sent on output 2. */
export class LastPredictions {
  private readonly latest = new Map<string, { value: number; time: number; hybrid: boolean }>();
  lastAt: number | null = null;

  keep(predictions: Prediction[]): void {
    if (predictions.length === 0) return;
    this.lastAt = Date.now();
    for (const p of predictions) this.latest.set(p.key, { value: p.value, time: p.time, hybrid: p.hybrid });
  }

  list(): Array<{ key: string; value: number | null; time: number; hybrid: boolean }> {
    return [...this.latest].slice(0, maxSummarySignals).map(([key, p]) => ({ key, value: Number.isFinite(p.value) ? p.value : null, time: p.time, hybrid: p.hybrid }));
  }
}

/** twin-simulator: the latest predictions and how many followed signals are synced. */
export function simulatorSummary(runtime: SimulatorRuntime | undefined, predictions: LastPredictions): Record<string, unknown> {
  if (!runtime) return { configured: false, followed: 0, synced: 0, predictions: [] };
  return {
    configured: true,
    followed: runtime.followed.length,
    synced: runtime.synced,
    modelRevision: runtime.modelRevision,
    shadow: runtime.shadow ? runtime.shadow.revision : null,
    lastPredictionAt: predictions.lastAt,
    predictions: predictions.list(),
  };
}

/** What twin-gate's notes said last: the verdict of the last candidate and recent rollout events. */
export class GateNotes {
  lastVerdict: Record<string, unknown> | null = null;
  readonly recent: Array<Record<string, unknown>> = [];

  watch(notes: NodeMessage[]): void {
    for (const note of notes) {
      const p = (note.payload ?? {}) as Record<string, unknown>;
      if (note.topic === 'verdict') {
        this.lastVerdict = { candidateId: p.candidateId ?? null, verdict: p.verdict ?? null, score: p.score ?? null, reasons: Array.isArray(p.reasons) ? p.reasons.slice(0, 10) : [], time: Date.now() };
        continue;
      }
      if (typeof p.message !== 'string') continue; // read-back requests and the like: nothing to read for a person
      this.recent.push({ topic: note.topic ?? null, candidateId: p.candidateId ?? null, level: p.level ?? null, message: p.message.slice(0, 300), time: Date.now() });
      if (this.recent.length > 10) this.recent.shift();
    }
  }
}

/** twin-gate: every rollout (candidate, state, step, keys, reasons), model promotions, last ended, last verdict. */
export function gateSummary(gate: Gate | undefined, notes: GateNotes): Record<string, unknown> {
  if (!gate) return { configured: false, rollouts: [], promotions: [], lastEnded: null, lastVerdict: notes.lastVerdict, recent: notes.recent };
  const rollouts = [...gate.rollouts.values()].slice(0, 50).map((r) => {
    const s = r.snapshot();
    return {
      candidateId: s.candidateId,
      kind: s.kind,
      state: s.state,
      reason: s.reason,
      trust: { score: s.trust.score, verdict: s.trust.verdict },
      step: { index: s.step.index, of: s.step.of, share: s.step.share, holds: s.step.holds, exposedTargets: s.step.exposedTargets.slice(0, 50) },
      keys: s.keys.slice(0, 50).map((k) => ({ key: k.key, target: k.target, previous: compactValue(k.previous), candidate: compactValue(k.candidate), at: k.at })),
      pending: s.pending ? { purpose: s.pending.purpose, deadline: s.pending.deadline, unverified: s.pending.unverified.length } : null,
      lastAnalysis: s.lastAnalysis ? { outcome: s.lastAnalysis.outcome, reasons: s.lastAnalysis.reasons.slice(0, 10), step: s.lastAnalysis.step, time: s.lastAnalysis.time } : null,
      updatedAt: s.updatedAt,
    };
  });
  const promotions = [...gate.promotions.live.values()].slice(0, 20).map((p) => {
    const s = p.snapshot();
    const result = s.result ?? s.current;
    return { candidateId: s.candidateId, revision: s.revision, state: s.state, windowEnd: s.windowEnd, extensions: s.extensions, samples: result.samples, ratio: result.ratio, decision: result.decision, reason: result.reason };
  });
  return { configured: true, rollouts, promotions, lastEnded: gate.lastEnded ?? null, lastVerdict: notes.lastVerdict, recent: notes.recent };
}
