/**
 * What a message means to the gate, by msg.topic. Anything the gate cannot place is refused
 * (InputError, catchable): the gate must not guess what an operator or a flow meant.
 */
import { InputError, clip } from '../../core/errors';
import { COMMAND_ACTIONS, isOptimizerAnswer, type CommandAction } from '../../core/gate';
import { isRecord } from '../../core/gate/util';
import type { NodeMessage } from '../common/red';
import type { CandidateEvidence } from './gate';

export type GateInput =
  | { kind: 'candidate'; candidate: unknown; evidence: CandidateEvidence }
  | { kind: 'command'; command: unknown }
  | { kind: 'audit'; query: unknown; format: 'json' | 'jsonl' }
  | { kind: 'samples'; samples: Array<{ key: string; value: unknown; quality?: 'good' | 'uncertain' | 'bad' | null; stale?: boolean }> }
  | { kind: 'severity'; key: string; severity: unknown; value: unknown }
  | { kind: 'fidelity-report'; overall: unknown }
  | { kind: 'alarm'; type: 'anomaly' | 'drift'; target: string; detail?: string }
  | { kind: 'drift-end'; target: string }
  | { kind: 'realised'; target: string; kpis: unknown }
  | { kind: 'written'; key: string; ok: boolean; error?: string }
  | { kind: 'batch' }
  | { kind: 'optimizer-answer'; topic: string; answer: unknown }
  | { kind: 'shadow'; payload: unknown }
  | { kind: 'freshness'; key: string; stale: boolean }
  | { kind: 'refitted' }
  | { kind: 'ignore' };

const QUALITIES = ['good', 'uncertain', 'bad'];

function keyOf(p: Record<string, unknown>): string | undefined {
  if (typeof p.key === 'string' && p.key) return p.key;
  if (typeof p.signal === 'string' && p.signal) return typeof p.asset === 'string' && p.asset ? `${p.asset}/${p.signal}` : p.signal;
  return undefined;
}

function sampleOf(p: Record<string, unknown>): { key: string; value: unknown; quality?: 'good' | 'uncertain' | 'bad' | null; stale?: boolean } | undefined {
  const key = keyOf(p);
  if (!key || !('value' in p)) return undefined;
  const quality = typeof p.quality === 'string' && QUALITIES.includes(p.quality) ? (p.quality as 'good') : p.quality === null ? null : undefined;
  return { key, value: p.value, quality, stale: typeof p.stale === 'boolean' ? p.stale : undefined };
}

/** Signal snapshots anywhere in a twin-state answer (a list, {signals: [...]}, or a tree). */
function collectSnapshots(value: unknown, out: ReturnType<typeof sampleOf>[], depth = 0): void {
  if (depth > 12 || out.length > 100_000) return;
  if (Array.isArray(value)) {
    for (const v of value) collectSnapshots(v, out, depth + 1);
  } else if (isRecord(value)) {
    const s = typeof value.key === 'string' && 'value' in value ? sampleOf(value) : undefined;
    if (s) out.push(s);
    else for (const v of Object.values(value)) if (v !== null && typeof v === 'object') collectSnapshots(v, out, depth + 1);
  }
}

const SEVERITIES: readonly unknown[] = ['ok', 'warning', 'alarm'];

/** True when every item passes; a hole in a sparse array counts as undefined (every() would skip it). */
function allItems(list: unknown[], ok: (item: unknown, i: number) => boolean): boolean {
  for (let i = 0; i < list.length; i++) if (!ok(list[i], i)) return false;
  return true;
}

function badEvidence(detail: string): InputError {
  return new InputError('bad evidence', detail, 'candidate');
}

/** evidence.fidelity: a list of {key, error?, severity?} (the gate adds its own severities to it). */
function checkFidelity(fidelity: unknown): void {
  if (!Array.isArray(fidelity)) throw badEvidence('evidence.fidelity must be a list of {key, error?, severity?}');
  for (let i = 0; i < fidelity.length; i++) {
    const f: unknown = fidelity[i];
    if (!isRecord(f) || typeof f.key !== 'string' || f.key === '') throw badEvidence(`evidence.fidelity[${i}] must be {key, error?, severity?} with a non-empty key`);
    if (f.error !== undefined && !(typeof f.error === 'number' && Number.isFinite(f.error) && f.error >= 0)) throw badEvidence(`evidence.fidelity[${i}].error must be a finite number >= 0`);
    if (f.severity !== undefined && !SEVERITIES.includes(f.severity)) throw badEvidence(`evidence.fidelity[${i}].severity must be ok, warning or alarm`);
  }
}

/** evidence.availability: {signals?: [{key, ...}], summary?, calibrated?, drifting?: [key]}. */
function checkAvailability(availability: unknown): void {
  if (!isRecord(availability)) throw badEvidence('evidence.availability must be an object {signals?, summary?, calibrated?, drifting?}');
  const { signals, summary, calibrated, drifting } = availability;
  if (signals !== undefined) {
    if (!Array.isArray(signals)) throw badEvidence('evidence.availability.signals must be a list of {key, value?, quality?, stale?}');
    for (let i = 0; i < signals.length; i++) {
      const sig: unknown = signals[i];
      if (!isRecord(sig) || typeof sig.key !== 'string' || sig.key === '') throw badEvidence(`evidence.availability.signals[${i}] must be {key, value?, quality?, stale?} with a non-empty key`);
    }
  }
  if (summary !== undefined && !isRecord(summary)) throw badEvidence('evidence.availability.summary must be {signals, fresh, badQuality}');
  if (calibrated !== undefined && typeof calibrated !== 'boolean') throw badEvidence('evidence.availability.calibrated must be true or false');
  if (drifting !== undefined && !(Array.isArray(drifting) && allItems(drifting, (k) => typeof k === 'string'))) throw badEvidence('evidence.availability.drifting must be a list of signal keys');
}

function checkCounterfactual(cf: unknown): void {
  const ok = isRecord(cf) && typeof cf.value === 'number' && cf.value >= 0 && cf.value <= 1 && typeof cf.scenarios === 'number' && Number.isFinite(cf.scenarios)
    && Array.isArray(cf.kpis) && allItems(cf.kpis, (k) => isRecord(k) && typeof k.pass === 'boolean')
    && Array.isArray(cf.reasons) && allItems(cf.reasons, (r) => typeof r === 'string');
  if (!ok) throw badEvidence('evidence.counterfactual must be a counterfactual result {ok, value (0..1), scenarios, kpis: [{name, pass}], reasons: [text]}');
}

function evidenceOf(raw: unknown): CandidateEvidence {
  if (raw === undefined || raw === null) return {};
  if (!isRecord(raw)) throw badEvidence('candidate evidence must be an object {fidelity?, availability?, counterfactual?}');
  for (const k of Object.keys(raw)) if (!['fidelity', 'availability', 'counterfactual'].includes(k)) throw badEvidence(`unknown evidence field "${clip(k)}" (known: fidelity, availability, counterfactual)`);
  if (raw.fidelity !== undefined) checkFidelity(raw.fidelity);
  if (raw.availability !== undefined) checkAvailability(raw.availability);
  if (raw.counterfactual !== undefined) checkCounterfactual(raw.counterfactual);
  return raw as CandidateEvidence;
}

export function readInput(msg: NodeMessage): GateInput {
  const topic = typeof msg.topic === 'string' ? msg.topic.trim() : '';
  const payload = msg.payload;
  const p = isRecord(payload) ? payload : undefined;
  switch (topic) {
    case 'candidate': {
      if (!p) throw new InputError('bad candidate', 'msg.payload must be a candidate object {id, kind, targets, setpoints, predicted}', 'candidate');
      const { evidence, ...candidate } = p;
      return { kind: 'candidate', candidate, evidence: evidenceOf(evidence ?? msg.evidence) };
    }
    case 'command':
      return { kind: 'command', command: payload };
    case 'audit': {
      const format = msg.format === 'jsonl' ? 'jsonl' : 'json';
      if (msg.format !== undefined && msg.format !== 'json' && msg.format !== 'jsonl') throw new InputError('bad format', 'msg.format must be "json" or "jsonl"', 'audit');
      return { kind: 'audit', query: payload, format };
    }
    case 'fidelity/report':
      return { kind: 'fidelity-report', overall: p && isRecord(p.overall) ? p.overall : p };
    case 'anomaly-start':
    case 'drift': {
      const target = p ? keyOf(p) ?? (typeof p.target === 'string' ? p.target : undefined) : undefined;
      if (!target) throw new InputError('bad alarm', `a ${topic} event needs payload.key or payload.asset/signal`, topic);
      return { kind: 'alarm', type: topic === 'drift' ? 'drift' : 'anomaly', target, detail: p && typeof p.severity === 'string' ? `severity ${p.severity}` : undefined };
    }
    case 'drift-end':
    case 'drift-cleared': {
      const target = p ? keyOf(p) : undefined;
      return target ? { kind: 'drift-end', target } : { kind: 'ignore' };
    }
    case 'asset-anomaly-start': {
      // twin-deviation's per-asset (multivariate) anomaly: the asset is the target.
      const asset = p && typeof p.asset === 'string' && p.asset ? p.asset : undefined;
      if (!asset) throw new InputError('bad alarm', 'an asset-anomaly-start event needs payload.asset', topic);
      return { kind: 'alarm', type: 'anomaly', target: asset, detail: 'asset anomaly' };
    }
    case 'anomaly-end':
    case 'asset-anomaly-end':
    case 'drift-warning':
    // twin-state's watchdog events: about the model's coverage, not evidence about a decision.
    case 'unknown-signal':
    case 'missing-signal':
    case 'unit-changed':
    case 'configuration-value':
      return { kind: 'ignore' };
    case 'realised': {
      if (!p || typeof p.target !== 'string' || !p.target) throw new InputError('bad realised', 'realised KPIs need msg.payload = {target, kpis: {name: number}}', 'realised');
      return { kind: 'realised', target: p.target, kpis: p.kpis };
    }
    case 'written': {
      if (!p || typeof p.key !== 'string' || typeof p.ok !== 'boolean') throw new InputError('bad written', 'a write confirmation needs msg.payload = {key, ok, error?}', 'written');
      return { kind: 'written', key: p.key, ok: p.ok, error: typeof p.error === 'string' ? p.error : undefined };
    }
    case 'batch':
      return { kind: 'batch' };
    case 'shadow':
      return { kind: 'shadow', payload };
    case 'stale':
    case 'fresh': {
      // twin-state's second output: {type, key, ageMs?}
      const key = p ? keyOf(p) : undefined;
      if (!key) throw new InputError('bad freshness', `a ${topic} event needs payload.key`, topic);
      return { kind: 'freshness', key, stale: topic === 'stale' };
    }
    // twin-simulator's other events, when its events output is wired here for the shadow samples.
    // A refitted twin is trusted again: drift marks are cleared by an applied calibration or an adopted model.
    case 'model-adopted':
      return { kind: 'refitted' };
    case 'calibrated':
      return p && p.applied === true ? { kind: 'refitted' } : { kind: 'ignore' };
    case 'model-discarded':
    case 'trained':
      return { kind: 'ignore' };
    case 'snapshot':
    case 'get': {
      const out: ReturnType<typeof sampleOf>[] = [];
      collectSnapshots(payload, out);
      return { kind: 'samples', samples: out.filter((s): s is NonNullable<typeof s> => s !== undefined) };
    }
  }
  if (topic.startsWith('configuration/')) return { kind: 'ignore' }; // twin-state: a model change
  if (isOptimizerAnswer(topic, payload)) return { kind: 'optimizer-answer', topic, answer: payload };
  if ((COMMAND_ACTIONS as readonly string[]).includes(topic.toLowerCase())) {
    const command = p ? { ...p, action: topic.toLowerCase() as CommandAction } : { action: topic.toLowerCase() };
    return { kind: 'command', command };
  }
  // twin-deviation's scored sample: its severity is fidelity evidence.
  if (p && typeof p.severity === 'string' && typeof p.signal === 'string' && 'expected' in p) {
    const key = keyOf(p);
    if (!key) throw new InputError('bad sample', 'a scored sample needs a signal name (payload.signal, or payload.key)', topic || undefined);
    return { kind: 'severity', key, severity: p.severity, value: p.value };
  }
  if (p) {
    const s = sampleOf(p);
    if (s) return { kind: 'samples', samples: [s] };
  }
  if (Array.isArray(payload)) {
    const out: ReturnType<typeof sampleOf>[] = [];
    collectSnapshots(payload, out);
    if (out.length > 0) return { kind: 'samples', samples: out.filter((s): s is NonNullable<typeof s> => s !== undefined) };
  }
  if (topic && topic.includes('/') && (typeof payload === 'number' || typeof payload === 'string' || typeof payload === 'boolean')) {
    return { kind: 'samples', samples: [{ key: topic, value: payload }] };
  }
  throw new InputError('unknown input', `twin-gate does not know what to do with msg.topic ${topic ? `"${clip(topic)}"` : '(none)'}: send candidate, an optimizer answer (optimise, schedule, reschedule), approve, reject, pause, resume, abort, audit, realised, shadow, evidence or samples`, topic || undefined);
}
