import { ConfigError } from '../../core/errors';
import type { NodeDef } from '../common/red';

export interface TwinOptimizerDef extends NodeDef {
  configVersion?: number;
  /** The twin-simulator node whose core is the objective (setpoint optimisation). */
  simulator?: string;
  /** JSON text: {variables, objectives, constraints, evaluation}. */
  goal?: string;
  algorithm?: string;
  compromise?: string;
  maxEvaluations?: string | number;
  /** Seconds a setpoint optimisation may run. */
  timeLimit?: string | number;
  seed?: string | number;
  /** Replications confirming the chosen setpoints against the starting ones (0: none). */
  confirm?: string | number;
  /**
   * JSON text: machine availability from the twin, `{"<signal key>": {"machine": 2, "stage"?: 1, "repair": 30}}`:
   * while the signal reads 0 / false the machine is down, and schedules keep it free for `repair` time units.
   */
  availability?: string;
}

export interface MachineSignal {
  machine: number;
  stage?: number;
  /** Time units (of the schedule) a down machine is expected to stay down. */
  repair: number;
}

export interface OptimizerSettings {
  simulator: string | undefined;
  goal: unknown;
  algorithm: 'cmaes' | 'nelder-mead' | 'ga' | 'nsga2' | undefined;
  compromise: 'weighted-sum' | 'tchebycheff' | 'knee';
  maxEvaluations: number;
  timeLimitMs: number;
  seed: number;
  confirmReplications: number;
  availability: Record<string, MachineSignal>;
}

export const currentConfigVersion = 1;

export function migrateOptimizerDef(def: TwinOptimizerDef): TwinOptimizerDef {
  return def.configVersion ? def : { ...def, configVersion: currentConfigVersion };
}

function number(raw: unknown, fallback: number, what: string, min: number, max: number, integer = false): number {
  if (raw === undefined || raw === null || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw new ConfigError(`bad ${what}`, `${what} must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}, got "${String(raw)}"`);
  }
  return value;
}

const ALGORITHMS = ['cmaes', 'nelder-mead', 'ga', 'nsga2'] as const;
const COMPROMISES = ['weighted-sum', 'tchebycheff', 'knee'] as const;

/** Reads the editor's settings; everything has a default, so an unconfigured node answers schedules. */
export function optimizerSettings(def: TwinOptimizerDef): OptimizerSettings {
  let goal: unknown;
  if (typeof def.goal === 'string' && def.goal.trim() !== '') {
    try {
      goal = JSON.parse(def.goal);
    } catch (err) {
      throw new ConfigError('bad goal', `the goal is not valid JSON: ${(err as Error).message}`);
    }
  }
  const algorithm = def.algorithm && def.algorithm !== 'auto' ? def.algorithm : undefined;
  if (algorithm !== undefined && !(ALGORITHMS as readonly string[]).includes(algorithm)) throw new ConfigError('bad algorithm', `algorithm must be auto, ${ALGORITHMS.join(', ')}`);
  const compromise = def.compromise || 'weighted-sum';
  if (!(COMPROMISES as readonly string[]).includes(compromise)) throw new ConfigError('bad compromise', `compromise must be ${COMPROMISES.join(', ')}`);
  return {
    simulator: typeof def.simulator === 'string' && def.simulator !== '' ? def.simulator : undefined,
    goal,
    algorithm: algorithm as OptimizerSettings['algorithm'],
    compromise: compromise as OptimizerSettings['compromise'],
    maxEvaluations: number(def.maxEvaluations, 200, 'evaluations', 1, 1e7, true),
    timeLimitMs: number(def.timeLimit, 60, 'time limit', 0.1, 86400) * 1000,
    seed: number(def.seed, 1, 'seed', 0, 2 ** 32 - 1, true),
    confirmReplications: number(def.confirm, 10, 'confirmation replications', 0, 1000, true),
    availability: availabilityMap(def.availability),
  };
}

function availabilityMap(raw: unknown): Record<string, MachineSignal> {
  if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) return {};
  let parsed: unknown;
  try {
    parsed = typeof raw === 'string' ? JSON.parse(raw) : raw;
  } catch (err) {
    throw new ConfigError('bad availability', `machine availability is not valid JSON: ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError('bad availability', 'machine availability must be an object of signal key: {machine, stage, repair}');
  const out: Record<string, MachineSignal> = {};
  for (const [key, m] of Object.entries(parsed as Record<string, Record<string, unknown>>)) {
    const ok = m && Number.isInteger(m.machine) && (m.machine as number) >= 0 && (m.stage === undefined || (Number.isInteger(m.stage) && (m.stage as number) >= 0))
      && (m.repair === undefined || (typeof m.repair === 'number' && m.repair > 0));
    if (!ok) throw new ConfigError('bad availability', `availability of "${key}": give {machine (whole number), stage (flow shop), repair (> 0)}`);
    out[key] = { machine: m.machine as number, stage: m.stage as number | undefined, repair: (m.repair as number | undefined) ?? 60 };
  }
  return out;
}
