import { ConfigError } from '../../core/errors';
import {
  compileEnvelope,
  parseOptimizerMapping,
  parseSimulatorCheck,
  resolvePromotionOptions,
  resolveRolloutConfig,
  trustSettings,
  type Envelope,
  type EnvelopeConfig,
  type ModelPromotionOptions,
  type OptimizerMapping,
  type RolloutConfig,
  type SimulatorCheckConfig,
  type TrustOptions,
} from '../../core/gate';
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
  /** JSON text: optimizer variable -> setpoint key (optimizer answers become candidates). */
  variables?: string;
  /** JSON text: machine number -> asset path, machine 0 first (schedules). */
  machines?: string;
  /** twin-simulator node id: the counterfactual check runs on it. */
  simulator?: string;
  /** JSON text: the counterfactual check (simulator-check.ts). */
  counterfactual?: string;
  /** JSON text: model promotion {shadowWindowMs, minSamples, margin, maxExtensions}. */
  promotion?: string;
  /** twin-source (OPC UA) the gate writes through. */
  source?: string;
  /** JSON text: setpoint key -> OPC UA node id. */
  nodeIds?: string;
  /** Minutes a drift lowers availability without a drift-end or a refit (default 30). */
  driftHold?: string | number;
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
  mapping: OptimizerMapping;
  simulator: string | undefined;
  check: SimulatorCheckConfig | undefined;
  promotion: Omit<ModelPromotionOptions, 'approval'>;
  /** How long a drift mark lowers availability without a drift-end or a refit. */
  driftHoldMs: number;
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
  const mapping = parseOptimizerMapping(json(def.variables, 'setpoint map'), json(def.machines, 'machine list'));
  const check = parseSimulatorCheck(json(def.counterfactual, 'counterfactual check'));
  const simulator = def.simulator ? def.simulator : undefined;
  if (check && !simulator) throw new ConfigError('no simulator', 'the counterfactual check runs on a twin-simulator: choose one');
  if (check && Object.keys(mapping.variables).length === 0) throw new ConfigError('no setpoint map', 'the counterfactual check needs the setpoint map (variable: setpoint key) to set the candidate on the simulator');
  const promotion = promotionSettings(json(def.promotion, 'model promotion settings'));
  timings.push(promotion.shadowWindowMs);
  const tickMs = Math.max(10, Math.min(1000, Math.floor(Math.min(...timings) / 4)));
  const driftHoldMin = def.driftHold === undefined || def.driftHold === '' ? 30 : Number(def.driftHold);
  if (!Number.isFinite(driftHoldMin) || driftHoldMin <= 0) throw new ConfigError('bad drift hold', `drift hold must be a number of minutes > 0, got "${String(def.driftHold)}"`);
  return { envelope, rollout, resolved, approval, trust, persist: def.persist !== false, store: def.store ? def.store : undefined, tickMs, mapping, simulator, check, promotion, driftHoldMs: driftHoldMin * 60000 };
}

/** Model promotion: a 10 min shadow window by default; the core fills in and checks the rest. */
function promotionSettings(raw: unknown): Omit<ModelPromotionOptions, 'approval'> {
  if (raw === undefined) return { shadowWindowMs: 600000 };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError('bad promotion settings', 'model promotion settings must be a JSON object');
  const o = raw as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!['shadowWindowMs', 'minSamples', 'margin', 'maxExtensions'].includes(k)) throw new ConfigError('bad promotion settings', `unknown model promotion setting "${k}" (known: shadowWindowMs, minSamples, margin, maxExtensions)`);
  const settings = { shadowWindowMs: o.shadowWindowMs ?? 600000, minSamples: o.minSamples, margin: o.margin, maxExtensions: o.maxExtensions } as Omit<ModelPromotionOptions, 'approval'>;
  // Checked now, so a typo is a deploy error rather than a refusal when the first model arrives.
  resolvePromotionOptions({ ...settings, approval: false });
  return settings;
}
