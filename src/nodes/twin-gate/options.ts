import { ConfigError } from '../../core/errors';
import { compileEnvelope, resolveRolloutConfig, trustSettings, type Envelope, type EnvelopeConfig, type RolloutConfig, type TrustOptions } from '../../core/gate';
import type { ResolvedRolloutConfig } from '../../core/gate/rollout-config';
import type { NodeDef } from '../common/red';

/**
 * 'none': nobody is asked; only a 'pass' verdict rolls out, a marginal one is refused.
 * 'marginal': a marginal verdict waits for a person before the first step (the core's 'marginal').
 * 'every-step': a person approves every step.
 */
export type GateApproval = 'none' | 'marginal' | 'every-step';

export interface TwinGateDef extends NodeDef {
  configVersion?: number;
  /** JSON text: setpoint key or pattern to {min, max, maxStep, maxRate}. */
  envelope?: string;
  /** Setpoints no envelope rule covers: 'refuse' (default) or 'allow'. */
  unlisted?: string;
  /** JSON text: rollout settings (rollout-config.ts); blank: 10 %, 50 %, 100 %. */
  rollout?: string;
  approval?: string;
  passAt?: string | number;
  marginalAt?: string | number;
  persist?: boolean;
  store?: string;
}

export interface GateSettings {
  envelope: Envelope;
  rollout: RolloutConfig;
  resolved: ResolvedRolloutConfig;
  approval: GateApproval;
  trust: TrustOptions;
  persist: boolean;
  store: string | undefined;
  /** How often the rollouts' clocks are driven: 1 s, shorter when the rollout timings are tiny. */
  tickMs: number;
}

export const currentConfigVersion = 1;

export function migrateGateDef(def: TwinGateDef): TwinGateDef {
  return def.configVersion ? def : { ...def, configVersion: currentConfigVersion };
}

function json(raw: unknown, what: string): unknown {
  if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) return undefined;
  if (typeof raw === 'object') return raw;
  if (typeof raw !== 'string') throw new ConfigError(`bad ${what}`, `the ${what} must be JSON text`);
  try {
    return JSON.parse(raw);
  } catch (err) {
    throw new ConfigError(`bad ${what}`, `the ${what} is not valid JSON: ${(err as Error).message}`);
  }
}

function number(raw: unknown, fallback: number, what: string): number {
  if (raw === undefined || raw === null || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || value > 100) throw new ConfigError(`bad ${what}`, `${what} must be a number from 0 to 100, got "${String(raw)}"`);
  return value;
}

export function gateSettings(def: TwinGateDef): GateSettings {
  const envelopeRaw = json(def.envelope, 'envelope');
  if (envelopeRaw === undefined) throw new ConfigError('no envelope', 'give the safety envelope: setpoint key or pattern to {min, max, maxStep, maxRate}');
  const unlisted = def.unlisted === 'allow' ? 'allow' : 'refuse';
  const envelope = compileEnvelope(envelopeRaw as EnvelopeConfig, { unlisted });
  const rolloutRaw = json(def.rollout, 'rollout settings') ?? {};
  if (typeof rolloutRaw !== 'object' || Array.isArray(rolloutRaw)) throw new ConfigError('bad rollout settings', 'the rollout settings must be a JSON object');
  const approvalRaw = def.approval ?? 'marginal';
  if (approvalRaw !== 'none' && approvalRaw !== 'marginal' && approvalRaw !== 'every-step') throw new ConfigError('bad approval', `approval must be none, marginal or every-step, got "${String(approvalRaw)}"`);
  const approval = approvalRaw as GateApproval;
  const rollout: RolloutConfig = { ...(rolloutRaw as RolloutConfig), approval: approval === 'every-step' ? 'every-step' : 'marginal' };
  const resolved = resolveRolloutConfig(rollout);
  const trust: TrustOptions = { passAt: number(def.passAt, 80, 'pass threshold'), marginalAt: number(def.marginalAt, 60, 'marginal threshold') };
  trustSettings(trust);
  const timings = [resolved.readBackTimeoutMs, ...resolved.steps.flatMap((s) => [s.analysisWindowMs, s.minDurationMs || Infinity])];
  if (resolved.exposure === 'windows') timings.push(resolved.windowMs);
  if (resolved.approvalTimeoutMs !== null) timings.push(resolved.approvalTimeoutMs);
  const tickMs = Math.max(10, Math.min(1000, Math.floor(Math.min(...timings) / 4)));
  return { envelope, rollout, resolved, approval, trust, persist: def.persist !== false, store: def.store ? def.store : undefined, tickMs };
}
