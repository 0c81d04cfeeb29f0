/**
 * Settings of a gray-scale rollout, checked once (ConfigError naming the setting) and filled with
 * defaults. Kept apart from the state machine so the node can validate its configuration at
 * deploy time, before any candidate arrives.
 */
import { ConfigError } from '../errors';
import type { AnalysisSettings, KpiRule } from './analysis';
import { isRecord } from './util';

export interface RolloutStep {
  /** Share of the exposure unit in (0, 1]: targets, or time windows / batches per cycle. */
  share: number;
  /** Least time the step runs (from its writes being verified) before it may be promoted. */
  minDurationMs: number;
  /** Realised KPIs of this last stretch are analysed; after a hold, the next window. */
  analysisWindowMs: number;
}

/**
 * What a step's share counts:
 *  - 'targets': the first ceil(share·n) targets in the candidate's order run the new settings,
 *    the rest are the control group;
 *  - 'windows': every target alternates; in each cycle of `slotsPerCycle` windows of `windowMs`,
 *    the first ceil(share·slotsPerCycle) windows run the new settings, the rest the old ones;
 *  - 'batches': like windows, but a slot is a batch (the `batch` event starts the next one).
 */
export type Exposure = 'targets' | 'windows' | 'batches';

/**
 * 'marginal': only a marginal trust verdict needs a person, before the first step;
 * 'every-step': a person approves every step (a marginal verdict included).
 */
export type ApprovalMode = 'marginal' | 'every-step';

export interface RolloutConfig {
  steps?: RolloutStep[];
  exposure?: Exposure;
  slotsPerCycle?: number;
  windowMs?: number;
  approval?: ApprovalMode;
  /** Waiting for approval longer than this rejects (rolling back what is exposed); null: wait. */
  approvalTimeoutMs?: number | null;
  /** Time from the writes to every read-back verified. */
  readBackTimeoutMs?: number;
  /** Absolute tolerance of a numeric read-back. */
  readBackTolerance?: number;
  /** Wrong read-backs of one key before giving up early (before the deadline). */
  maxReadBackMismatches?: number;
  kpis?: Record<string, KpiRule>;
  defaultTolerance?: number;
  minSamples?: number;
  welchMinSamples?: number;
  confidence?: number;
  controlMargin?: number;
  /** Consecutive holds of one step before rolling back (the evidence never came). */
  maxHolds?: number;
  /** Realised samples kept per step (the oldest go first). */
  maxSamples?: number;
}

export interface ResolvedRolloutConfig extends AnalysisSettings {
  steps: RolloutStep[];
  exposure: Exposure;
  slotsPerCycle: number;
  windowMs: number;
  approval: ApprovalMode;
  approvalTimeoutMs: number | null;
  readBackTimeoutMs: number;
  readBackTolerance: number;
  maxReadBackMismatches: number;
  maxHolds: number;
  maxSamples: number;
}

const MIN = 60_000;

export const DEFAULT_STEPS: RolloutStep[] = [
  { share: 0.1, minDurationMs: 15 * MIN, analysisWindowMs: 15 * MIN },
  { share: 0.5, minDurationMs: 15 * MIN, analysisWindowMs: 15 * MIN },
  { share: 1, minDurationMs: 30 * MIN, analysisWindowMs: 15 * MIN },
];

function num(v: unknown, name: string, lo: number, hi: number, integer = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi || (integer && !Number.isInteger(v))) {
    throw new ConfigError('bad rollout settings', `${name} must be ${integer ? 'a whole number' : 'a number'} from ${lo} to ${hi}, got ${String(v)}`);
  }
  return v;
}

const KNOWN = ['steps', 'exposure', 'slotsPerCycle', 'windowMs', 'approval', 'approvalTimeoutMs', 'readBackTimeoutMs', 'readBackTolerance', 'maxReadBackMismatches', 'kpis', 'defaultTolerance', 'minSamples', 'welchMinSamples', 'confidence', 'controlMargin', 'maxHolds', 'maxSamples'];

/** Checked settings with defaults; ConfigError naming the first bad one. */
export function resolveRolloutConfig(config: RolloutConfig = {}): ResolvedRolloutConfig {
  if (!isRecord(config as unknown)) throw new ConfigError('bad rollout settings', 'rollout settings must be an object');
  for (const k of Object.keys(config)) if (!KNOWN.includes(k)) throw new ConfigError('bad rollout settings', `unknown rollout setting "${k}"`);
  const stepsRaw = config.steps ?? DEFAULT_STEPS;
  if (!Array.isArray(stepsRaw) || stepsRaw.length === 0 || stepsRaw.length > 20) throw new ConfigError('bad rollout settings', 'steps must be a list of 1 to 20 steps');
  const steps = stepsRaw.map((s, i) => {
    if (!isRecord(s)) throw new ConfigError('bad rollout settings', `step ${i} must be {share, minDurationMs, analysisWindowMs}`);
    return {
      share: num(s.share, `steps[${i}].share`, 1e-9, 1),
      minDurationMs: num(s.minDurationMs ?? 0, `steps[${i}].minDurationMs`, 0, 365 * 24 * 60 * MIN),
      analysisWindowMs: num(s.analysisWindowMs, `steps[${i}].analysisWindowMs`, 1, 365 * 24 * 60 * MIN),
    };
  });
  for (let i = 1; i < steps.length; i++) {
    if (steps[i].share <= steps[i - 1].share) throw new ConfigError('bad rollout settings', `steps must grow: step ${i} share ${steps[i].share} is not above ${steps[i - 1].share}`);
  }
  // A rollout that never reaches 100 % would leave the plant split between two settings for good.
  if (steps[steps.length - 1].share !== 1) throw new ConfigError('bad rollout settings', 'the last step must have share 1 (100 %)');
  const exposure = config.exposure ?? 'targets';
  if (!['targets', 'windows', 'batches'].includes(exposure)) throw new ConfigError('bad rollout settings', 'exposure must be targets, windows or batches');
  const approval = config.approval ?? 'marginal';
  if (approval !== 'marginal' && approval !== 'every-step') throw new ConfigError('bad rollout settings', 'approval must be "marginal" or "every-step"');
  const kpis: Record<string, KpiRule> = {};
  if (config.kpis !== undefined) {
    if (!isRecord(config.kpis)) throw new ConfigError('bad rollout settings', 'kpis must be a record of KPI to {tolerance?, goal?}');
    for (const [name, rule] of Object.entries(config.kpis)) {
      if (!isRecord(rule)) throw new ConfigError('bad rollout settings', `kpis.${name} must be {tolerance?, goal?}`);
      const r: KpiRule = {};
      if (rule.tolerance !== undefined) r.tolerance = num(rule.tolerance, `kpis.${name}.tolerance`, 0, 100);
      if (rule.goal !== undefined) {
        if (rule.goal !== 'max' && rule.goal !== 'min') throw new ConfigError('bad rollout settings', `kpis.${name}.goal must be "max" or "min"`);
        r.goal = rule.goal;
      }
      kpis[name] = r;
    }
  }
  const minSamples = num(config.minSamples ?? 3, 'minSamples', 1, 1e6, true);
  return {
    steps,
    exposure,
    slotsPerCycle: num(config.slotsPerCycle ?? 10, 'slotsPerCycle', 1, 1000, true),
    windowMs: num(config.windowMs ?? 15 * MIN, 'windowMs', 1, 365 * 24 * 60 * MIN),
    approval,
    approvalTimeoutMs: config.approvalTimeoutMs === undefined || config.approvalTimeoutMs === null ? null : num(config.approvalTimeoutMs, 'approvalTimeoutMs', 1, 365 * 24 * 60 * MIN),
    readBackTimeoutMs: num(config.readBackTimeoutMs ?? 30_000, 'readBackTimeoutMs', 1, 24 * 60 * MIN),
    readBackTolerance: num(config.readBackTolerance ?? 1e-6, 'readBackTolerance', 0, 1e12),
    maxReadBackMismatches: num(config.maxReadBackMismatches ?? 3, 'maxReadBackMismatches', 1, 1000, true),
    kpis,
    defaultTolerance: num(config.defaultTolerance ?? 0.1, 'defaultTolerance', 0, 100),
    minSamples,
    welchMinSamples: num(config.welchMinSamples ?? 5, 'welchMinSamples', 2, 1e6, true),
    confidence: num(config.confidence ?? 0.95, 'confidence', 0.5, 0.9999),
    controlMargin: num(config.controlMargin ?? 0.02, 'controlMargin', 0, 100),
    maxHolds: num(config.maxHolds ?? 3, 'maxHolds', 0, 1000, true),
    maxSamples: num(config.maxSamples ?? 5_000, 'maxSamples', 10, 1e6, true),
  };
}
