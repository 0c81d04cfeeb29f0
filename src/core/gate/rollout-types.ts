/**
 * The shapes of a gray-scale rollout: its states, the actions it asks the node to carry out, the
 * events it takes, and its saved form. The machine itself is in rollout.ts; the saved form is
 * checked on restore in rollout-restore.ts. Types marked "saved" are internal but exported so the
 * two files share them; do not build on them outside the gate.
 */
import type { StepAnalysis } from './analysis';
import type { AuditSink } from './audit';
import type { Candidate } from './candidate';
import type { ResolvedRolloutConfig, RolloutConfig } from './rollout-config';
import type { TrustResult, Verdict } from './trust';
import type { SettingValue } from './util';

export type RolloutState =
  | 'pending-approval'
  | 'applying'
  | 'verifying'
  | 'observing'
  | 'promoting'
  | 'holding'
  | 'paused'
  | 'rolling-back'
  | 'rolled-back'
  | 'completed'
  | 'rejected'
  | 'aborted'
  | 'failed';

export const ROLLOUT_STATES: readonly RolloutState[] = ['pending-approval', 'applying', 'verifying', 'observing', 'promoting', 'holding', 'paused', 'rolling-back', 'rolled-back', 'completed', 'rejected', 'aborted', 'failed'];
export const TERMINAL_STATES: readonly RolloutState[] = ['rolled-back', 'completed', 'rejected', 'aborted', 'failed'];

export type WritePurpose = 'apply' | 'switch' | 'rollback';
export type EndState = 'rolled-back' | 'aborted' | 'rejected';

export type RolloutAction =
  | { type: 'write'; key: string; value: SettingValue; target: string; purpose: WritePurpose; candidateId: string }
  | { type: 'desired'; key: string; value: SettingValue }
  | { type: 'await-read-back'; keys: string[]; deadline: number; candidateId: string }
  | { type: 'notify'; level: 'info' | 'warning' | 'alert'; event: string; message: string; candidateId: string; state: RolloutState; evidence?: RolloutSnapshot };

export interface ReadBackEvent {
  key: string;
  value: unknown;
  time: number;
}

export interface WrittenEvent {
  key: string;
  ok: boolean;
  error?: string;
  time: number;
}

export interface RealisedEvent {
  target: string;
  kpis: Record<string, number>;
  time: number;
}

export interface AvailabilityEvent {
  ok: boolean;
  reason?: string;
  time: number;
}

export interface AlarmEvent {
  /** Asset path or signal key the anomaly or drift is on. */
  target: string;
  time: number;
  detail?: string;
}

export type RolloutEvent =
  | ({ type: 'tick' } & { now: number })
  | ({ type: 'read-back' } & ReadBackEvent)
  | ({ type: 'written' } & WrittenEvent)
  | ({ type: 'realised' } & RealisedEvent)
  | ({ type: 'availability' } & AvailabilityEvent)
  | ({ type: 'anomaly' | 'drift' } & AlarmEvent)
  | { type: 'batch'; time: number }
  | { type: 'command'; command: unknown; now: number };

export interface RolloutInit {
  candidate: Candidate;
  /** The trust result (its evidence travels with approval requests). */
  trust: TrustResult | { score: number; verdict: Verdict; reasons?: string[] };
  /** The plant's present value of every key the candidate writes: the last good settings. */
  current: Record<string, SettingValue>;
  config?: RolloutConfig;
  now: number;
}

export interface RolloutHooks {
  audit?: AuditSink;
}

export type KeyAt = 'old' | 'new' | 'unknown';

/** Part of the saved form (internal). */
export interface KeyRecord {
  key: string;
  target: string;
  old: SettingValue;
  next: SettingValue;
  /** Where the plant is known to be for this key. */
  at: KeyAt;
}

/** Part of the saved form (internal). */
export interface PendingKey {
  key: string;
  value: SettingValue;
  side: 'old' | 'new';
  acked: boolean;
  verified: boolean;
  mismatches: number;
  lastRead?: unknown;
}

/** Part of the saved form (internal). */
export interface Pending {
  purpose: WritePurpose;
  issuedAt: number;
  deadline: number;
  keys: PendingKey[];
  /** After a restart: the first wrong read-back rolls back (nobody knows if the write went out). */
  reverify: boolean;
  /** Switches in windows/batches mode go back to observing or holding. */
  returnTo: 'observing' | 'holding' | null;
  slotExposed?: boolean;
}

/** Part of the saved form (internal). */
export interface Sample {
  target: string;
  kpis: Record<string, number>;
  time: number;
  group: 'exposed' | 'control';
}

/** Part of the saved form (internal). */
export interface SlotPeriod {
  from: number;
  to: number | null;
  exposed: boolean;
}

/** Part of the saved form (internal). */
export interface StepStatus {
  index: number;
  startedAt: number | null;
  analysisAt: number | null;
  holds: number;
  slotOrigin: number | null;
  slotIndex: number;
  slotExposed: boolean;
}

/** Part of the saved form (internal). */
export interface Transition {
  from: RolloutState | null;
  to: RolloutState;
  time: number;
  reason: string;
}

/** Part of the saved form (internal). */
export interface ApprovalRecord {
  action: string;
  by?: string;
  reason?: string;
  time: number;
  step: number | null;
}

export interface AnalysisRecord extends StepAnalysis {
  step: number;
  time: number;
  window: { from: number; to: number };
}

/** Part of the saved form (internal). */
export interface RolloutData {
  candidate: Candidate;
  trust: { score: number; verdict: Verdict; reasons: string[]; parts?: unknown };
  config: ResolvedRolloutConfig;
  state: RolloutState;
  endState: EndState;
  reason: string;
  keys: KeyRecord[];
  exposedTargets: string[];
  step: StepStatus;
  slots: SlotPeriod[];
  samples: Sample[];
  pending: Pending | null;
  pauseRequested: boolean;
  pausedAt: number | null;
  resumeTo: RolloutState | null;
  approvalFor: number | null;
  approvalDeadline: number | null;
  availability: { ok: boolean; reason: string; time: number } | null;
  analyses: AnalysisRecord[];
  transitions: Transition[];
  approvals: ApprovalRecord[];
  lastGood: Record<string, SettingValue>;
  createdAt: number;
  clock: number;
}

export interface SavedRollout {
  format: 'twinloop-gate-rollout';
  version: 1;
  data: RolloutData;
}

export interface RolloutSnapshot {
  candidateId: string;
  kind: Candidate['kind'];
  state: RolloutState;
  reason: string;
  trust: RolloutData['trust'];
  step: { index: number; of: number; share: number | null; exposedTargets: string[]; startedAt: number | null; analysisAt: number | null; holds: number };
  keys: Array<{ key: string; target: string; previous: SettingValue; candidate: SettingValue; at: KeyAt }>;
  pending: { purpose: WritePurpose; deadline: number; unverified: string[] } | null;
  lastGood: Record<string, SettingValue>;
  lastAnalysis: AnalysisRecord | null;
  availability: RolloutData['availability'];
  approvals: ApprovalRecord[];
  transitions: Transition[];
  createdAt: number;
  updatedAt: number;
}

