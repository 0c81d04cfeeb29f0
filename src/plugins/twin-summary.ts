/**
 * The combined summary of every live TwinLoop node (the "Twin" sidebar's one source) and the
 * small per-signal history its chart draws: actual values from twin-state, simulated values
 * from twin-simulator's predictions. No Node-RED import: twin-sidebar.ts serves it.
 *
 * The summary is exactly what GET /twinloop/twin returns and what the comms topic
 * "twinloop/twin" carries (TwinSummary below is the contract).
 */
import { registered, type RegisteredTwinNode, type StateSignalSummary, type SummaryAsset, type TwinNodeKind } from '../nodes/common/twin-registry';

export const summaryFormat = 'twinloop-twin';
export const summaryVersion = 1;

export type Freshness = 'fresh' | 'stale' | 'uncertain' | 'bad' | 'missing' | 'unknown';

export interface TwinSignal {
  key: string;
  asset: string;
  signal: string;
  value: number | boolean | string | null;
  unit: string | null;
  quality: string | null;
  stale: boolean | null;
  ageMs: number | null;
  sourceTime: number | null;
  outOfRange: boolean | null;
  /** fresh (green), stale / uncertain (yellow), bad quality (red), missing (never received), unknown (no twin-state has it). */
  freshness: Freshness;
  score: number | null;
  severity: 'ok' | 'warning' | 'alarm' | null;
  driftState: string | null;
  diverging: boolean | null;
  simulated: number | null;
  simulatedTime: number | null;
  /** Ids of the nodes the figures came from. */
  from: { state: string | null; deviation: string | null; simulator: string | null };
}

export interface TwinNodeInfo {
  id: string;
  kind: TwinNodeKind;
  name: string;
  z: string;
  /** Set when the node's summary could not be read. */
  error?: string;
  /** A few figures of the node itself (no per-signal lists: those are merged into `signals`). */
  info: Record<string, unknown>;
}

export interface TwinSummary {
  format: typeof summaryFormat;
  version: typeof summaryVersion;
  time: number;
  nodes: TwinNodeInfo[];
  signals: TwinSignal[];
  assets: Array<SummaryAsset & { model: string | null }>;
  models: Array<{ id: string; name: string; revision: number | null; states: string[] }>;
  gates: Array<Record<string, unknown> & { id: string; name: string }>;
  totals: { nodes: number; signals: number; fresh: number; stale: number; bad: number; missing: number; warning: number; alarm: number; rollouts: number; promotions: number };
}

const isRecord = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === 'object' && !Array.isArray(x);
const list = (x: unknown): unknown[] => (Array.isArray(x) ? x : []);

function freshnessOf(s: StateSignalSummary): Freshness {
  if (s.value === null && s.sourceTime === null) return 'missing';
  if (s.quality === 'bad') return 'bad';
  if (s.stale) return 'stale';
  if (s.quality === 'uncertain') return 'uncertain';
  return 'fresh';
}

function blankSignal(key: string): TwinSignal {
  const at = key.lastIndexOf('/');
  return {
    key,
    asset: at < 0 ? '' : key.slice(0, at),
    signal: key.slice(at + 1),
    value: null,
    unit: null,
    quality: null,
    stale: null,
    ageMs: null,
    sourceTime: null,
    outOfRange: null,
    freshness: 'unknown',
    score: null,
    severity: null,
    driftState: null,
    diverging: null,
    simulated: null,
    simulatedTime: null,
    from: { state: null, deviation: null, simulator: null },
  };
}

function readProvider(entry: RegisteredTwinNode): { summary?: Record<string, unknown>; error?: string } {
  try {
    const summary = entry.provider();
    return isRecord(summary) ? { summary } : { error: 'no summary' };
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
}

/** Asks every registered node for its summary and merges them by signal key. */
export function buildSummary(entries: RegisteredTwinNode[] = registered(), now = Date.now()): TwinSummary {
  const signals = new Map<string, TwinSignal>();
  const signalFor = (key: string): TwinSignal => {
    let s = signals.get(key);
    if (!s) {
      s = blankSignal(key);
      signals.set(key, s);
    }
    return s;
  };
  const nodes: TwinNodeInfo[] = [];
  const assets = new Map<string, SummaryAsset & { model: string | null }>();
  const models = new Map<string, TwinSummary['models'][number]>();
  const gates: TwinSummary['gates'] = [];

  for (const entry of entries) {
    const { summary, error } = readProvider(entry);
    const node: TwinNodeInfo = { id: entry.id, kind: entry.kind, name: entry.name, z: entry.z, info: {} };
    if (error) node.error = error;
    nodes.push(node);
    if (!summary) continue;
    switch (entry.kind) {
      case 'state': {
        const model = isRecord(summary.model) ? (summary.model as { id: string; name: string; revision: number | null }) : null;
        node.info = { model: model ? model.id : null, fidelity: summary.fidelity ?? null, total: summary.total ?? 0, truncated: summary.truncated === true };
        if (model) {
          const m = models.get(model.id) ?? { id: model.id, name: model.name, revision: model.revision, states: [] };
          m.states.push(entry.id);
          models.set(model.id, m);
        }
        for (const a of list(summary.assets) as SummaryAsset[]) if (!assets.has(a.path)) assets.set(a.path, { ...a, model: model ? model.id : null });
        for (const raw of list(summary.signals) as StateSignalSummary[]) {
          const s = signalFor(raw.key);
          // Two states with the same key: the newer measurement wins.
          if (s.from.state && (s.sourceTime ?? -Infinity) >= (raw.sourceTime ?? -Infinity)) continue;
          Object.assign(s, {
            asset: raw.asset,
            signal: raw.signal,
            value: raw.value,
            unit: raw.unit,
            quality: raw.quality,
            stale: raw.stale,
            ageMs: raw.ageMs,
            sourceTime: raw.sourceTime,
            outOfRange: raw.outOfRange,
            freshness: freshnessOf(raw),
          });
          s.from.state = entry.id;
        }
        break;
      }
      case 'deviation': {
        node.info = { frozen: summary.frozen === true, severities: summary.severities ?? null, total: summary.total ?? 0, truncated: summary.truncated === true };
        const rank = { ok: 0, warning: 1, alarm: 2 } as Record<string, number>;
        for (const raw of list(summary.signals) as Array<{ key: string; score: number | null; severity: 'ok' | 'warning' | 'alarm'; driftState: string; diverging: boolean }>) {
          const s = signalFor(raw.key);
          // Two detectors on one key: the worse one is shown.
          if (s.from.deviation && (rank[s.severity ?? 'ok'] ?? 0) >= (rank[raw.severity] ?? 0)) continue;
          Object.assign(s, { score: raw.score, severity: raw.severity, driftState: raw.driftState, diverging: raw.diverging });
          s.from.deviation = entry.id;
        }
        break;
      }
      case 'simulator': {
        node.info = { configured: summary.configured === true, followed: summary.followed ?? 0, synced: summary.synced ?? 0, modelRevision: summary.modelRevision ?? null, shadow: summary.shadow ?? null, lastPredictionAt: summary.lastPredictionAt ?? null };
        for (const raw of list(summary.predictions) as Array<{ key: string; value: number | null; time: number }>) {
          const s = signalFor(raw.key);
          if (s.from.simulator && (s.simulatedTime ?? -Infinity) >= raw.time) continue;
          s.simulated = raw.value;
          s.simulatedTime = raw.time;
          s.from.simulator = entry.id;
        }
        break;
      }
      case 'gate': {
        node.info = { configured: summary.configured === true, rollouts: list(summary.rollouts).length, promotions: list(summary.promotions).length };
        gates.push({ id: entry.id, name: entry.name, ...summary });
        break;
      }
    }
  }

  const sorted = [...signals.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const count = (pred: (s: TwinSignal) => boolean): number => sorted.reduce((n, s) => n + (pred(s) ? 1 : 0), 0);
  return {
    format: summaryFormat,
    version: summaryVersion,
    time: now,
    nodes,
    signals: sorted,
    assets: [...assets.values()],
    models: [...models.values()],
    gates,
    totals: {
      nodes: nodes.length,
      signals: sorted.length,
      fresh: count((s) => s.freshness === 'fresh'),
      stale: count((s) => s.freshness === 'stale' || s.freshness === 'uncertain'),
      bad: count((s) => s.freshness === 'bad'),
      missing: count((s) => s.freshness === 'missing'),
      warning: count((s) => s.severity === 'warning'),
      alarm: count((s) => s.severity === 'alarm'),
      rollouts: gates.reduce((n, g) => n + list(g.rollouts).length, 0),
      promotions: gates.reduce((n, g) => n + list(g.promotions).length, 0),
    },
  };
}

// ------------------------------------------------------------------------------------- history

export interface HistoryPoint {
  t: number;
  v: number;
}

function numeric(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return undefined;
}

interface Series {
  actual: HistoryPoint[];
  simulated: HistoryPoint[];
  touched: number;
}

/**
 * The last `capacity` points per key of actual and simulated values, taken from summaries
 * (one point per new measurement or prediction time). At most `maxKeys` keys: the keys least
 * recently updated leave first.
 */
export class SignalHistory {
  private readonly series = new Map<string, Series>();

  constructor(readonly capacity = 300, readonly maxKeys = 2000) {}

  get size(): number {
    return this.series.size;
  }

  record(summary: TwinSummary): void {
    for (const s of summary.signals) {
      const actual = numeric(s.value);
      const simulated = numeric(s.simulated);
      const hasActual = actual !== undefined && s.sourceTime !== null;
      const hasSimulated = simulated !== undefined && s.simulatedTime !== null;
      if (!hasActual && !hasSimulated) continue;
      let series = this.series.get(s.key);
      if (!series) {
        series = { actual: [], simulated: [], touched: 0 };
        this.series.set(s.key, series);
      }
      let moved = false;
      if (hasActual) moved = this.push(series.actual, s.sourceTime as number, actual as number) || moved;
      if (hasSimulated) moved = this.push(series.simulated, s.simulatedTime as number, simulated as number) || moved;
      if (moved) {
        series.touched = summary.time;
        // Map order is the order of last update: the first keys are the ones to drop.
        this.series.delete(s.key);
        this.series.set(s.key, series);
      }
    }
    while (this.series.size > this.maxKeys) this.series.delete(this.series.keys().next().value as string);
  }

  private push(points: HistoryPoint[], t: number, v: number): boolean {
    const last = points[points.length - 1];
    if (last && last.t === t) {
      if (last.v === v) return false;
      last.v = v; // a newer value for the same time (a prediction made again)
      return true;
    }
    if (last && t < last.t) {
      // Out of order (a second node, a clock step): kept in time order.
      let at = points.length;
      while (at > 0 && points[at - 1].t > t) at--;
      if (at > 0 && points[at - 1].t === t) return false;
      points.splice(at, 0, { t, v });
    } else {
      points.push({ t, v });
    }
    if (points.length > this.capacity) points.splice(0, points.length - this.capacity);
    return true;
  }

  get(key: string): { key: string; known: boolean; capacity: number; actual: HistoryPoint[]; simulated: HistoryPoint[] } {
    const s = this.series.get(key);
    return { key, known: s !== undefined, capacity: this.capacity, actual: s ? s.actual.map((p) => ({ ...p })) : [], simulated: s ? s.simulated.map((p) => ({ ...p })) : [] };
  }

  clear(): void {
    this.series.clear();
  }
}
