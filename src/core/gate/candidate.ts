/**
 * The candidate decision the optimizer hands to the gate, and its strict validation.
 *
 * A candidate is refused at the door (InputError naming the field) rather than trimmed, because
 * the gate is the only way a decision reaches the plant: a half-understood candidate must never
 * be partly applied. The validated candidate is a detached copy, so the sender cannot change it
 * after it has been scored.
 *
 * Setpoint keys are signal keys ("line1/press1/temperatureSetpoint"); each must lie below exactly
 * one target (an asset path such as "line1/press1"), and targets must not contain one another.
 * That mapping is what lets a rollout expose a share of the targets: a target's setpoints are
 * written together, and realised KPIs are reported per target.
 */
import { InputError } from '../errors';
import {
  describeValue,
  fieldError,
  FORBIDDEN_KEYS,
  hasOwn,
  isAtOrBelow,
  jsonClone,
  optionalFinite,
  pathsOverlap,
  refuseUnknownFields,
  requireFinite,
  requireRecord,
  requireText,
  type SettingValue,
} from './util';

export type CandidateKind = 'setpoints' | 'schedule' | 'model';

export interface KpiInterval {
  low: number;
  high: number;
}

export interface Prediction {
  /** Predicted KPI values (e.g. throughput, scrapRate) once the decision applies. */
  kpis: Record<string, number>;
  /** Optional prediction intervals per KPI (from the simulator's replications). */
  intervals?: Record<string, KpiInterval>;
}

/** Which optimizer run produced the candidate: kept in the audit trail to reproduce it. */
export interface OptimizerRun {
  runId?: string;
  seed?: number;
  objective?: number | string;
  gap?: number;
  evaluations?: number;
}

/** For kind 'model': the recalibrated or retrained model promoted through the gate. */
export interface ModelRef {
  revision: string;
  /** The revision it replaces, when known. */
  replaces?: string;
}

export interface Candidate {
  id: string;
  kind: CandidateKind;
  /** Asset paths the decision applies to (machines, lines), in the order they are exposed. */
  targets: string[];
  setpoints?: Record<string, number>;
  /** Opaque schedule (JSON); a record keyed by target gives each target its own part. */
  schedule?: SettingValue;
  predicted: Prediction;
  optimizer?: OptimizerRun;
  /** Revision of the twin model the optimizer used. */
  modelRevision?: string;
  model?: ModelRef;
}

/** Limits that keep one candidate small enough to score, save and audit. */
export const CANDIDATE_LIMITS = {
  maxTargets: 1000,
  maxSetpoints: 5000,
  maxKpis: 100,
  maxPathLength: 1000,
  maxIdLength: 200,
} as const;

const FIELDS = ['id', 'kind', 'targets', 'setpoints', 'schedule', 'predicted', 'optimizer', 'modelRevision', 'model'] as const;
const KINDS: readonly CandidateKind[] = ['setpoints', 'schedule', 'model'];

function checkPath(value: unknown, field: string, origin?: string): string {
  const path = requireText(value, field, CANDIDATE_LIMITS.maxPathLength, origin);
  const levels = path.split('/');
  if (levels.some((l) => l === '')) throw fieldError(field, `"${path}" has an empty level ("//" or a "/" at either end)`, origin);
  if (levels.some((l) => l === '*' || l === '**' || l === '#' || l === '+')) throw fieldError(field, `"${path}" is a pattern; give the asset path itself`, origin);
  if (levels.some((l) => FORBIDDEN_KEYS.has(l))) throw new InputError('forbidden key', `${field} "${path}" contains a level that is not allowed`, origin);
  return path;
}

function checkKpis(raw: unknown, field: string, origin?: string): Record<string, number> {
  const rec = requireRecord(raw, field, origin);
  const keys = Object.keys(rec);
  if (keys.length > CANDIDATE_LIMITS.maxKpis) throw fieldError(field, `has ${keys.length} KPIs (limit ${CANDIDATE_LIMITS.maxKpis})`, origin);
  const out: Record<string, number> = {};
  for (const k of keys) out[k] = requireFinite(rec[k], `${field}.${k}`, origin);
  return out;
}

function checkPrediction(raw: unknown, kind: CandidateKind, origin?: string): Prediction {
  const rec = requireRecord(raw, 'candidate.predicted', origin);
  refuseUnknownFields(rec, ['kpis', 'intervals'], 'candidate.predicted', origin);
  const kpis = checkKpis(rec.kpis, 'candidate.predicted.kpis', origin);
  // A decision for the plant must say what it expects: the rollout compares reality with it.
  if (kind !== 'model' && Object.keys(kpis).length === 0) throw fieldError('candidate.predicted.kpis', 'must name at least one predicted KPI', origin);
  const out: Prediction = { kpis };
  if (rec.intervals !== undefined) {
    const iv = requireRecord(rec.intervals, 'candidate.predicted.intervals', origin);
    out.intervals = {};
    for (const k of Object.keys(iv)) {
      const f = `candidate.predicted.intervals.${k}`;
      if (!hasOwn(kpis, k)) throw fieldError(f, 'is for a KPI that has no prediction', origin);
      const one = requireRecord(iv[k], f, origin);
      refuseUnknownFields(one, ['low', 'high'], f, origin);
      const low = requireFinite(one.low, `${f}.low`, origin);
      const high = requireFinite(one.high, `${f}.high`, origin);
      if (low > high) throw fieldError(f, `has low ${low} above high ${high}`, origin);
      out.intervals[k] = { low, high };
    }
  }
  return out;
}

function checkOptimizer(raw: unknown, origin?: string): OptimizerRun {
  const f = 'candidate.optimizer';
  const rec = requireRecord(raw, f, origin);
  refuseUnknownFields(rec, ['runId', 'seed', 'objective', 'gap', 'evaluations'], f, origin);
  const out: OptimizerRun = {};
  if (rec.runId !== undefined) out.runId = requireText(rec.runId, `${f}.runId`, 200, origin);
  out.seed = optionalFinite(rec.seed, `${f}.seed`, origin);
  if (rec.objective !== undefined) out.objective = typeof rec.objective === 'string' ? requireText(rec.objective, `${f}.objective`, 200, origin) : requireFinite(rec.objective, `${f}.objective`, origin);
  out.gap = optionalFinite(rec.gap, `${f}.gap`, origin);
  out.evaluations = optionalFinite(rec.evaluations, `${f}.evaluations`, origin);
  for (const k of Object.keys(out) as Array<keyof OptimizerRun>) if (out[k] === undefined) delete out[k];
  return out;
}

/** FNV-1a over the candidate's JSON: a stable id for a candidate sent without one. */
function contentId(body: unknown): string {
  const text = JSON.stringify(body);
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return `cand-${h.toString(16).padStart(8, '0')}`;
}

/**
 * A validated, detached candidate; InputError naming the first field at fault. `origin` (the
 * message topic) is put in error messages so the sender can be found.
 */
export function validateCandidate(raw: unknown, origin?: string): Candidate {
  const rec = requireRecord(raw, 'candidate', origin);
  refuseUnknownFields(rec, FIELDS, 'candidate', origin);

  if (!KINDS.includes(rec.kind as CandidateKind)) throw fieldError('candidate.kind', `must be one of ${KINDS.join(', ')}, got ${describeValue(rec.kind)}`, origin);
  const kind = rec.kind as CandidateKind;

  if (!Array.isArray(rec.targets) || rec.targets.length === 0) throw fieldError('candidate.targets', 'must be a non-empty list of asset paths', origin);
  if (rec.targets.length > CANDIDATE_LIMITS.maxTargets) throw fieldError('candidate.targets', `has ${rec.targets.length} entries (limit ${CANDIDATE_LIMITS.maxTargets})`, origin);
  const targets = rec.targets.map((t, i) => checkPath(t, `candidate.targets[${i}]`, origin));
  for (let i = 0; i < targets.length; i++) {
    for (let j = 0; j < i; j++) {
      // Nested or repeated targets would count one machine twice when shares are computed.
      if (pathsOverlap(targets[i], targets[j])) throw fieldError('candidate.targets', `"${targets[j]}" and "${targets[i]}" overlap (the same or one inside the other)`, origin);
    }
  }

  const out: Candidate = { id: '', kind, targets, predicted: checkPrediction(rec.predicted, kind, origin) };

  if (rec.setpoints !== undefined) {
    const sp = requireRecord(rec.setpoints, 'candidate.setpoints', origin);
    const keys = Object.keys(sp);
    if (keys.length > CANDIDATE_LIMITS.maxSetpoints) throw fieldError('candidate.setpoints', `has ${keys.length} entries (limit ${CANDIDATE_LIMITS.maxSetpoints})`, origin);
    out.setpoints = {};
    for (const key of keys) {
      const f = `candidate.setpoints.${key}`;
      checkPath(key, f, origin);
      if (!targets.some((t) => key !== t && isAtOrBelow(key, t))) throw fieldError(f, 'is not a signal of any target (a setpoint key must lie below one of candidate.targets)', origin);
      out.setpoints[key] = requireFinite(sp[key], f, origin);
    }
  }
  if (rec.schedule !== undefined) out.schedule = jsonClone(rec.schedule as SettingValue, 'candidate.schedule', origin);

  if (kind === 'setpoints' && (!out.setpoints || Object.keys(out.setpoints).length === 0)) throw fieldError('candidate.setpoints', 'must give at least one setpoint for a setpoints candidate', origin);
  if (kind === 'schedule' && out.schedule === undefined) throw fieldError('candidate.schedule', 'is required for a schedule candidate', origin);
  if (kind !== 'setpoints' && out.setpoints !== undefined) throw fieldError('candidate.setpoints', `is only for setpoints candidates (this one is ${kind})`, origin);
  if (kind !== 'schedule' && out.schedule !== undefined) throw fieldError('candidate.schedule', `is only for schedule candidates (this one is ${kind})`, origin);

  if (rec.optimizer !== undefined) out.optimizer = checkOptimizer(rec.optimizer, origin);
  if (rec.modelRevision !== undefined) out.modelRevision = requireText(typeof rec.modelRevision === 'number' ? String(rec.modelRevision) : rec.modelRevision, 'candidate.modelRevision', 200, origin);
  if (rec.model !== undefined) {
    const m = requireRecord(rec.model, 'candidate.model', origin);
    refuseUnknownFields(m, ['revision', 'replaces'], 'candidate.model', origin);
    out.model = { revision: requireText(typeof m.revision === 'number' ? String(m.revision) : m.revision, 'candidate.model.revision', 200, origin) };
    if (m.replaces !== undefined) out.model.replaces = requireText(typeof m.replaces === 'number' ? String(m.replaces) : m.replaces, 'candidate.model.replaces', 200, origin);
  }
  if (kind === 'model' && !out.model) throw fieldError('candidate.model', 'is required for a model candidate ({revision})', origin);
  if (kind !== 'model' && out.model) throw fieldError('candidate.model', `is only for model candidates (this one is ${kind})`, origin);

  if (rec.id !== undefined) out.id = requireText(typeof rec.id === 'number' ? String(rec.id) : rec.id, 'candidate.id', CANDIDATE_LIMITS.maxIdLength, origin);
  else out.id = contentId({ ...out, id: undefined });
  // Ids key the gate's records; a name special on every object would set a prototype instead.
  if (out.id === '__proto__' || out.id === 'constructor' || out.id === 'prototype') throw new InputError('bad candidate', `candidate.id "${out.id}" is reserved`, origin);
  return out;
}

/** The target a setting key belongs to (validated candidates have exactly one). */
export function targetOf(candidate: Candidate, key: string): string | undefined {
  return candidate.targets.find((t) => isAtOrBelow(key, t));
}

export interface Setting {
  key: string;
  target: string;
  value: SettingValue;
}

/**
 * What the candidate writes, per target in target order. Setpoints are their own keys; a schedule
 * is written to "<target>/schedule" (its per-target part when the schedule is a record keyed by
 * exactly the candidate's targets, otherwise the whole schedule). A model candidate writes nothing.
 */
export function settingsOf(candidate: Candidate): Setting[] {
  const out: Setting[] = [];
  if (candidate.kind === 'setpoints' && candidate.setpoints) {
    for (const target of candidate.targets) {
      for (const key of Object.keys(candidate.setpoints)) {
        if (isAtOrBelow(key, target)) out.push({ key, target, value: candidate.setpoints[key] });
      }
    }
  } else if (candidate.kind === 'schedule' && candidate.schedule !== undefined) {
    const s = candidate.schedule;
    const perTarget = s !== null && typeof s === 'object' && !Array.isArray(s) && Object.keys(s).length === candidate.targets.length && candidate.targets.every((t) => hasOwn(s, t));
    for (const target of candidate.targets) {
      out.push({ key: `${target}/schedule`, target, value: perTarget ? (s as Record<string, SettingValue>)[target] : s });
    }
  }
  return out;
}
