import { ConfigError } from '../../core/errors';
import type { NodeDef } from '../common/red';

export interface TwinSimulatorDef extends NodeDef {
  configVersion?: number;
  /** The twin-model config node (optional): units of the bound signals come from it. */
  model?: string;
  /** JSON text: the physics model (states, inputs, parameters, equations, outputs). */
  physics?: string;
  /** JSON text: the production line for the discrete-event model. */
  line?: string;
  /** Seconds between automatic predictions for the deviation detector; 0 or blank: off. */
  predictEvery?: string | number;
  /** Seconds ahead each prediction looks. */
  horizon?: string | number;
  /** Learn the residual between physics and measurement (hybrid prediction). */
  hybrid?: boolean;
  /** Recalibrate when the deviation detector reports drift on a bound signal. */
  calibrateOnDrift?: boolean;
  /** An improving calibration: 'direct' applies it at once, 'gate' holds it as a shadow for twin-gate. */
  promotion?: string;
  /** Replications of a discrete-event what-if (Monte Carlo). */
  replications?: string | number;
  seed?: string | number;
  /** Seconds a request may run before it is stopped. */
  timeLimit?: string | number;
  persist?: boolean;
  store?: string;
}

export interface SimulatorSettings {
  spec: { physics?: unknown; line?: unknown };
  predictEveryMs: number;
  horizonS: number;
  hybrid: boolean;
  calibrateOnDrift: boolean;
  promotion: 'direct' | 'gate';
  replications: number;
  seed: number;
  timeLimitMs: number;
  persist: boolean;
  store: string | undefined;
}

export const currentConfigVersion = 2;

/** Older saved configurations are brought to the current shape here, never elsewhere. */
export function migrateSimulatorDef(def: TwinSimulatorDef): TwinSimulatorDef {
  const migrated = { ...def };
  // Version 2 added promotion; flows from before apply calibrations at once, as they did.
  if ((migrated.configVersion ?? 0) < 2) migrated.promotion = migrated.promotion ?? 'direct';
  migrated.configVersion = Math.max(migrated.configVersion ?? 0, currentConfigVersion);
  return migrated;
}

function promotionOf(raw: unknown): 'direct' | 'gate' {
  if (raw === undefined || raw === null || raw === '' || raw === 'direct') return 'direct';
  if (raw === 'gate') return 'gate';
  throw new ConfigError('bad promotion', `promotion must be "direct" or "gate", got "${String(raw)}"`);
}

function number(raw: unknown, fallback: number, what: string, min: number, max = Infinity): number {
  if (raw === undefined || raw === null || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) throw new ConfigError(`bad ${what}`, `${what} must be a number from ${min} to ${max}, got "${String(raw)}"`);
  return value;
}

function json(raw: unknown, what: string): unknown {
  if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) return undefined;
  if (typeof raw === 'object') return raw;
  if (typeof raw !== 'string') throw new ConfigError(`bad ${what}`, `the ${what} definition must be JSON text`);
  try {
    return JSON.parse(raw);
  } catch (err) {
    throw new ConfigError(`bad ${what}`, `the ${what} definition is not valid JSON: ${(err as Error).message}`);
  }
}

export function simulatorSettings(def: TwinSimulatorDef): SimulatorSettings {
  const physics = json(def.physics, 'physics');
  const line = json(def.line, 'line');
  if (physics === undefined && line === undefined) throw new ConfigError('nothing to simulate', 'give a physics model, a line, or both');
  const replications = number(def.replications, 10, 'replications', 1, 1000);
  if (!Number.isInteger(replications)) throw new ConfigError('bad replications', 'replications must be a whole number');
  return {
    spec: { physics, line },
    predictEveryMs: number(def.predictEvery, 0, 'prediction interval', 0, 86400) * 1000,
    horizonS: number(def.horizon, 60, 'horizon', 0.001, 30 * 86400),
    hybrid: def.hybrid === true,
    calibrateOnDrift: def.calibrateOnDrift !== false,
    promotion: promotionOf(def.promotion),
    replications,
    seed: Math.floor(number(def.seed, 1, 'seed', 0, 2 ** 32 - 1)),
    timeLimitMs: number(def.timeLimit, 10, 'time limit', 0.1, 3600) * 1000,
    persist: def.persist !== false,
    store: def.store?.trim() || undefined,
  };
}
