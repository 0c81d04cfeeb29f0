import { ConfigError } from '../../core/errors';
import type { UnknownSignalPolicy } from '../../core/state/types';
import type { NodeDef } from '../common/red';

export interface TwinStateDef extends NodeDef {
  configVersion?: number;
  /** The twin-model config node (optional: without one every signal seen is added). */
  model?: string;
  historyLength?: string | number;
  unknownSignals?: UnknownSignalPolicy;
  /** Seconds; blank: signals without a model limit never turn stale. */
  defaultMaxAge?: string | number;
  /** Seconds between fidelity reports on the answers output; 0: only on request. */
  fidelityInterval?: string | number;
  /** Seconds a model signal may stay silent after start before it is reported missing. */
  missingGrace?: string | number;
  persist?: boolean;
  /** Node-RED context store to persist in ('' = the default store). */
  store?: string;
}

export interface TwinStateSettings {
  historyLength: number;
  unknownSignals: UnknownSignalPolicy;
  defaultMaxAgeMs: number | undefined;
  fidelityIntervalMs: number;
  missingGraceMs: number;
  persist: boolean;
  store: string | undefined;
}

export const currentConfigVersion = 1;

export function migrateStateDef(def: TwinStateDef): TwinStateDef {
  return def.configVersion ? def : { ...def, configVersion: currentConfigVersion };
}

function seconds(raw: unknown, fallback: number | undefined, what: string): number | undefined {
  if (raw === undefined || raw === null || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new ConfigError(`bad ${what}`, `${what} must be a number of seconds, got "${String(raw)}"`);
  return value;
}

export function stateSettings(def: TwinStateDef): TwinStateSettings {
  const historyLength = Number(def.historyLength ?? 100);
  if (!Number.isInteger(historyLength) || historyLength < 0 || historyLength > 100000) {
    throw new ConfigError('bad history length', `history length must be a whole number from 0 to 100000, got "${String(def.historyLength)}"`);
  }
  const policy = def.unknownSignals ?? 'add';
  if (!['error', 'add', 'ignore'].includes(policy)) throw new ConfigError('bad unknown-signal policy', `unknown signals: "${policy}"`);
  const maxAge = seconds(def.defaultMaxAge, undefined, 'maximum age');
  return {
    historyLength,
    unknownSignals: policy,
    defaultMaxAgeMs: maxAge === undefined || maxAge === 0 ? undefined : maxAge * 1000,
    fidelityIntervalMs: (seconds(def.fidelityInterval, 10, 'fidelity interval') ?? 10) * 1000,
    missingGraceMs: (seconds(def.missingGrace, 60, 'grace period') ?? 60) * 1000,
    persist: def.persist !== false,
    store: def.store?.trim() || undefined,
  };
}
