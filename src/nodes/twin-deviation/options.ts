import { ConfigError } from '../../core/errors';
import type { DeviationMonitorOptions } from '../../core/deviation/deviation-monitor';
import type { NodeDef } from '../common/red';

export interface TwinDeviationDef extends NodeDef {
  configVersion?: number;
  /** The twin-model config node (optional): names the parameters a recalibration would fit. */
  model?: string;
  /** Samples each signal only learns from before it is scored. */
  warmup?: string | number;
  /** Seconds of silence counted as a gap; blank: none. */
  maxGap?: string | number;
  /** How far apart (ms) a prediction and a sample may be and still be compared. */
  tolerance?: string | number;
  persist?: boolean;
  store?: string;
}

export interface DeviationSettings {
  monitor: DeviationMonitorOptions;
  persist: boolean;
  store: string | undefined;
}

export const currentConfigVersion = 1;

export function migrateDeviationDef(def: TwinDeviationDef): TwinDeviationDef {
  return def.configVersion ? def : { ...def, configVersion: currentConfigVersion };
}

function number(raw: unknown, fallback: number | undefined, what: string, min = 0): number | undefined {
  if (raw === undefined || raw === null || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min) throw new ConfigError(`bad ${what}`, `${what} must be a number >= ${min}, got "${String(raw)}"`);
  return value;
}

export function deviationSettings(def: TwinDeviationDef): DeviationSettings {
  const warmup = number(def.warmup, 100, 'warm-up', 1) ?? 100;
  if (!Number.isInteger(warmup)) throw new ConfigError('bad warm-up', `the warm-up is a whole number of samples, got "${String(def.warmup)}"`);
  const maxGapS = number(def.maxGap, undefined, 'gap');
  return {
    monitor: {
      detector: {
        warmupSamples: warmup,
        maxGapMs: maxGapS === undefined || maxGapS === 0 ? Infinity : maxGapS * 1000,
        // The likelihood compares recent scores with a history of scored samples; a short warm-up
        // should not be followed by a long wait for that history.
        likelihood: { minHistory: Math.min(100, warmup) },
      },
      matchToleranceMs: number(def.tolerance, 1000, 'tolerance'),
    },
    persist: def.persist !== false,
    store: def.store?.trim() || undefined,
  };
}
