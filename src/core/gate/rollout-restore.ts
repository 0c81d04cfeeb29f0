/**
 * Restoring a saved rollout, field by field: the candidate and the settings are validated again,
 * the key list must match the candidate, and a damaged part refuses the whole save with
 * InputError 'bad saved rollout' (the node then alerts: a rollout whose write state is unknown
 * must not be guessed at). Optional history (samples, analyses, transitions) is filtered instead.
 */
import { InputError } from '../errors';
import { settingsOf, validateCandidate, type Candidate } from './candidate';
import { resolveRolloutConfig, type ResolvedRolloutConfig, type RolloutConfig } from './rollout-config';
import {
  ROLLOUT_STATES,
  type AnalysisRecord,
  type ApprovalRecord,
  type KeyAt,
  type KeyRecord,
  type Pending,
  type RolloutData,
  type RolloutState,
  type Sample,
  type SlotPeriod,
  type StepStatus,
  type Transition,
  type WritePurpose,
} from './rollout-types';
import { describeValue, hasOwn, isRecord, type SettingValue } from './util';

function bad(detail: string): InputError {
  return new InputError('bad saved rollout', `the saved rollout cannot be restored: ${detail}`);
}

function isTime(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function timeOrNull(v: unknown, field: string): number | null {
  if (v === null || v === undefined) return null;
  if (!isTime(v)) throw bad(`${field} is not a time`);
  return v;
}

/** Checks a saved rollout field by field; the candidate and settings are validated again. */
export function restoreData(saved: unknown): RolloutData {
  if (!isRecord(saved) || saved.format !== 'twinloop-gate-rollout' || saved.version !== 1 || !isRecord(saved.data)) throw bad('not a saved rollout (format twinloop-gate-rollout, version 1)');
  const raw = saved.data;
  let candidate: Candidate;
  let config: ResolvedRolloutConfig;
  try {
    candidate = validateCandidate(raw.candidate);
    config = resolveRolloutConfig(raw.config as RolloutConfig);
  } catch (err) {
    throw bad((err as Error).message);
  }
  if (!ROLLOUT_STATES.includes(raw.state as RolloutState)) throw bad(`unknown state ${describeValue(raw.state)}`);
  const expectedKeys = settingsOf(candidate).map((s) => s.key);
  if (!Array.isArray(raw.keys) || raw.keys.length !== expectedKeys.length) throw bad('the keys do not match the candidate');
  const keys: KeyRecord[] = raw.keys.map((k, i) => {
    if (!isRecord(k) || k.key !== expectedKeys[i] || typeof k.target !== 'string' || !['old', 'new', 'unknown'].includes(k.at as string) || !hasOwn(k, 'old') || !hasOwn(k, 'next')) throw bad(`key ${i} is damaged`);
    return { key: k.key, target: k.target, old: k.old as SettingValue, next: k.next as SettingValue, at: k.at as KeyAt };
  });
  if (!isRecord(raw.lastGood) || !expectedKeys.every((k) => hasOwn(raw.lastGood as object, k))) throw bad('the last good settings are missing');
  const st = raw.step;
  if (!isRecord(st) || !Number.isInteger(st.index) || (st.index as number) < -1 || (st.index as number) >= config.steps.length) throw bad('the step is damaged');
  const step: StepStatus = {
    index: st.index as number,
    startedAt: timeOrNull(st.startedAt, 'step.startedAt'),
    analysisAt: timeOrNull(st.analysisAt, 'step.analysisAt'),
    holds: Number.isInteger(st.holds) ? (st.holds as number) : 0,
    slotOrigin: timeOrNull(st.slotOrigin, 'step.slotOrigin'),
    slotIndex: Number.isInteger(st.slotIndex) ? (st.slotIndex as number) : 0,
    slotExposed: st.slotExposed === true,
  };
  let pending: Pending | null = null;
  if (raw.pending !== null && raw.pending !== undefined) {
    const p = raw.pending;
    if (!isRecord(p) || !['apply', 'switch', 'rollback'].includes(p.purpose as string) || !Array.isArray(p.keys) || !isTime(p.deadline) || !isTime(p.issuedAt)) throw bad('the write in progress is damaged');
    pending = {
      purpose: p.purpose as WritePurpose,
      issuedAt: p.issuedAt,
      deadline: p.deadline,
      reverify: p.reverify === true,
      returnTo: p.returnTo === 'observing' || p.returnTo === 'holding' ? p.returnTo : null,
      slotExposed: p.slotExposed === true,
      keys: p.keys.map((k, i) => {
        if (!isRecord(k) || !expectedKeys.includes(k.key as string) || !hasOwn(k, 'value') || (k.side !== 'old' && k.side !== 'new')) throw bad(`write ${i} in progress is damaged`);
        return { key: k.key as string, value: k.value as SettingValue, side: k.side, acked: k.acked === true, verified: k.verified === true, mismatches: Number.isInteger(k.mismatches) ? (k.mismatches as number) : 0, lastRead: k.lastRead };
      }),
    };
  }
  const list = <T>(v: unknown, ok: (x: Record<string, unknown>) => boolean): T[] => (Array.isArray(v) ? (v.filter((x) => isRecord(x) && ok(x)) as T[]) : []);
  const avail = raw.availability;
  const trust = isRecord(raw.trust) && isTime(raw.trust.score) && ['pass', 'marginal', 'fail'].includes(raw.trust.verdict as string) ? (raw.trust as RolloutData['trust']) : null;
  if (!trust) throw bad('the trust result is missing');
  const clock = isTime(raw.clock) ? raw.clock : 0;
  return {
    candidate,
    trust: { score: trust.score, verdict: trust.verdict, reasons: Array.isArray(trust.reasons) ? trust.reasons.filter((r) => typeof r === 'string') : [], parts: trust.parts },
    config,
    state: raw.state as RolloutState,
    endState: raw.endState === 'aborted' || raw.endState === 'rejected' ? raw.endState : 'rolled-back',
    reason: typeof raw.reason === 'string' ? raw.reason : '',
    keys,
    exposedTargets: Array.isArray(raw.exposedTargets) ? raw.exposedTargets.filter((t): t is string => typeof t === 'string' && candidate.targets.includes(t)) : [],
    step,
    slots: list<SlotPeriod>(raw.slots, (x) => isTime(x.from) && (x.to === null || isTime(x.to)) && typeof x.exposed === 'boolean'),
    samples: list<Sample>(raw.samples, (x) => typeof x.target === 'string' && isTime(x.time) && (x.group === 'exposed' || x.group === 'control') && isRecord(x.kpis) && Object.values(x.kpis).every(isTime)),
    pending,
    pauseRequested: raw.pauseRequested === true,
    pausedAt: timeOrNull(raw.pausedAt, 'pausedAt'),
    resumeTo: ROLLOUT_STATES.includes(raw.resumeTo as RolloutState) ? (raw.resumeTo as RolloutState) : null,
    approvalFor: Number.isInteger(raw.approvalFor) && (raw.approvalFor as number) >= 0 && (raw.approvalFor as number) < config.steps.length ? (raw.approvalFor as number) : null,
    approvalDeadline: timeOrNull(raw.approvalDeadline, 'approvalDeadline'),
    availability: isRecord(avail) && typeof avail.ok === 'boolean' && isTime(avail.time) ? { ok: avail.ok, reason: typeof avail.reason === 'string' ? avail.reason : '', time: avail.time } : null,
    analyses: list<AnalysisRecord>(raw.analyses, (x) => typeof x.outcome === 'string'),
    transitions: list<Transition>(raw.transitions, (x) => typeof x.to === 'string' && isTime(x.time)),
    approvals: list<ApprovalRecord>(raw.approvals, (x) => typeof x.action === 'string' && isTime(x.time)),
    lastGood: raw.lastGood as Record<string, SettingValue>,
    createdAt: isTime(raw.createdAt) ? raw.createdAt : clock,
    clock,
  };
}

