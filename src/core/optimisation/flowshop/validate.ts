/**
 * Validation of a flow-shop problem and of the solver options. Malformed input is refused early
 * with an InputError naming the job, stage, machine or entry at fault.
 */
import { InputError } from '../../errors';
import { parseObjective, type ObjectiveWeights } from '../jobshop/validate';
import { FLOWSHOP_LIMITS, type FlowShopOptions, type FlowShopProblem, type FlowShopUnavailability } from './types';

export type { ObjectiveWeights };

/** A checked problem: copies of the input with defaults filled in. */
export interface ValidatedFlowShop {
  /** Per stage, the speed of each of its machines (1 for identical machines). */
  stages: { speeds: number[] }[];
  /** jobs[j][k]: processing time of job j at stage k (0 = skipped). */
  jobs: number[][];
  /** Per job, default 0. */
  releaseDates: number[];
  /** Per job, Infinity when the job has none. */
  dueDates: number[];
  /** Per job, default 1. */
  weights: number[];
  /** Sorted by stage, machine, start. */
  unavailable: FlowShopUnavailability[];
}

export interface ValidatedFlowShopOptions {
  timeLimitMs: number;
  seed: number;
  objective: ObjectiveWeights;
  maxIterations: number;
  destruction: number;
  temperature: number;
  shouldStop?: () => boolean;
  signal?: { readonly aborted: boolean };
  onImprovement?: FlowShopOptions['onImprovement'];
}

type Extras = Pick<FlowShopOptions, 'releaseDates' | 'dueDates' | 'weights' | 'unavailable'>;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const MIN_SPEED = 1e-6;
const MAX_SPEED = 1e6;

/**
 * Checks a problem and its per-job data and windows, which may come in the problem or in `extras`
 * (the options; they take precedence). Throws InputError.
 */
export function validateFlowShop(problem: FlowShopProblem, extras: Extras = {}): ValidatedFlowShop {
  if (!isObject(problem as unknown)) throw new InputError('bad problem', 'the problem must be an object with `stages` and `jobs`');
  if (!isObject(extras as unknown)) throw new InputError('bad options', 'the options must be an object');
  const stages = validateStages(problem.stages);
  const jobs = validateJobs(problem.jobs, stages.length);
  const n = jobs.length;
  const pick = <K extends keyof Extras>(k: K): Extras[K] => (extras[k] !== undefined ? extras[k] : (problem[k] as Extras[K]));
  const releaseDates = perJob(pick('releaseDates'), n, 'releaseDates', 0, false, -Infinity);
  const dueDates = perJob(pick('dueDates'), n, 'dueDates', Infinity, true, -Infinity);
  const weights = perJob(pick('weights'), n, 'weights', 1, false, 0);
  const unavailable = validateWindows(pick('unavailable'), stages);
  return { stages, jobs, releaseDates, dueDates, weights, unavailable };
}

function validateStages(raw: unknown): { speeds: number[] }[] {
  if (!Array.isArray(raw)) throw new InputError('bad stages', '`stages` must be an array of {machines}');
  if (raw.length === 0) throw new InputError('bad stages', '`stages` is empty: give at least one stage');
  if (raw.length > FLOWSHOP_LIMITS.maxStages) throw new InputError('too large', `${raw.length} stages exceed the limit of ${FLOWSHOP_LIMITS.maxStages}`);
  return Array.from(raw, (s, k) => {
    const where = `stage ${k}`;
    if (!isObject(s)) throw new InputError('bad stage', `${where} must be an object {machines}`);
    const m = s.machines;
    if (typeof m === 'number') {
      if (!Number.isInteger(m) || m < 1 || m > FLOWSHOP_LIMITS.maxMachinesPerStage) {
        throw new InputError('bad stage', `${where}: machines must be a whole number in 1..${FLOWSHOP_LIMITS.maxMachinesPerStage}, got ${m}`);
      }
      return { speeds: new Array<number>(m).fill(1) };
    }
    if (!Array.isArray(m)) throw new InputError('bad stage', `${where}: machines must be a number of identical machines or an array of {speed}, got ${String(m)}`);
    if (m.length === 0) throw new InputError('bad stage', `${where} has no machines`);
    if (m.length > FLOWSHOP_LIMITS.maxMachinesPerStage) throw new InputError('too large', `${where} has ${m.length} machines (limit ${FLOWSHOP_LIMITS.maxMachinesPerStage})`);
    return {
      speeds: Array.from(m, (mc: unknown, l) => {
        if (!isObject(mc)) throw new InputError('bad machine', `${where}, machine ${l} must be an object {speed?}`);
        if (mc.speed === undefined) return 1;
        const v = mc.speed;
        if (typeof v !== 'number' || !Number.isFinite(v) || v < MIN_SPEED || v > MAX_SPEED) {
          throw new InputError('bad speed', `${where}, machine ${l}: speed must be a number in [${MIN_SPEED}, ${MAX_SPEED}], got ${String(v)}`);
        }
        return v;
      }),
    };
  });
}

// Array.from, not map: a hole in a sparse array is checked (as undefined), where map would skip it.
function validateJobs(raw: unknown, nStages: number): number[][] {
  if (!Array.isArray(raw)) throw new InputError('bad problem', '`jobs` must be an array of jobs, each an array with one processing time per stage');
  if (raw.length === 0) throw new InputError('bad problem', '`jobs` is empty: there is nothing to schedule');
  if (raw.length > FLOWSHOP_LIMITS.maxJobs) throw new InputError('too large', `${raw.length} jobs exceed the limit of ${FLOWSHOP_LIMITS.maxJobs}`);
  if (raw.length * nStages > FLOWSHOP_LIMITS.maxOperations) {
    throw new InputError('too large', `${raw.length} jobs × ${nStages} stages exceed the limit of ${FLOWSHOP_LIMITS.maxOperations} operations`);
  }
  return Array.from(raw, (times: unknown, j) => {
    if (!Array.isArray(times)) throw new InputError('bad job', `job ${j} must be an array with one processing time per stage`);
    if (times.length !== nStages) throw new InputError('bad job', `job ${j} has ${times.length} processing times for ${nStages} stages`);
    let work = 0;
    const out = Array.from(times, (p: unknown, k) => {
      const where = `job ${j}, stage ${k}`;
      if (typeof p !== 'number' || !Number.isFinite(p)) throw new InputError('bad time', `${where}: processing time must be a finite number, got ${String(p)}`);
      if (p < 0) throw new InputError('bad time', `${where}: processing time ${p} is negative`);
      if (p > FLOWSHOP_LIMITS.maxTime) throw new InputError('bad time', `${where}: processing time ${p} exceeds ${FLOWSHOP_LIMITS.maxTime}`);
      work += p;
      return p;
    });
    if (work <= 0) throw new InputError('empty job', `job ${j} has no work: its processing time is 0 at every stage`);
    return out;
  });
}

function perJob(raw: unknown, n: number, field: string, fallback: number, nullable: boolean, min: number): number[] {
  if (raw === undefined || raw === null) return new Array<number>(n).fill(fallback);
  if (!Array.isArray(raw)) throw new InputError(`bad ${field}`, `${field} must be an array with one number per job`);
  if (raw.length !== n) throw new InputError(`bad ${field}`, `${field} has ${raw.length} entries for ${n} jobs`);
  return Array.from(raw, (v: unknown, j) => {
    if (nullable && (v === null || v === undefined)) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new InputError(`bad ${field}`, `${field}[${j}] (job ${j}) must be a finite number, got ${String(v)}`);
    if (v < min) throw new InputError(`bad ${field}`, `${field}[${j}] (job ${j}) must be >= ${min}, got ${v}`);
    if (Math.abs(v) > FLOWSHOP_LIMITS.maxTime) throw new InputError(`bad ${field}`, `${field}[${j}] (job ${j}) exceeds ${FLOWSHOP_LIMITS.maxTime}`);
    return v;
  });
}

function validateWindows(raw: unknown, stages: { speeds: number[] }[]): FlowShopUnavailability[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new InputError('bad unavailable', 'unavailable must be an array of {stage, machine, start, end}');
  if (raw.length > FLOWSHOP_LIMITS.maxUnavailable) throw new InputError('too large', `${raw.length} unavailability windows exceed the limit of ${FLOWSHOP_LIMITS.maxUnavailable}`);
  const out = Array.from(raw, (w: unknown, i) => {
    const where = `unavailable[${i}]`;
    if (!isObject(w)) throw new InputError('bad unavailable', `${where} must be an object {stage, machine, start, end}`);
    const { stage, machine, start, end } = w;
    if (typeof stage !== 'number' || !Number.isInteger(stage) || stage < 0 || stage >= stages.length) {
      throw new InputError('bad unavailable', `${where}: stage must be a whole number in 0..${stages.length - 1}, got ${String(stage)}`);
    }
    const m = stages[stage].speeds.length;
    if (typeof machine !== 'number' || !Number.isInteger(machine) || machine < 0 || machine >= m) {
      throw new InputError('bad unavailable', `${where}: stage ${stage} has machines 0..${m - 1}, got machine ${String(machine)}`);
    }
    for (const [k, v] of [['start', start], ['end', end]] as const) {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new InputError('bad unavailable', `${where}: ${k} must be a finite number, got ${String(v)}`);
      if (Math.abs(v) > FLOWSHOP_LIMITS.maxTime) throw new InputError('bad unavailable', `${where}: ${k} exceeds ${FLOWSHOP_LIMITS.maxTime}`);
    }
    if ((end as number) <= (start as number)) throw new InputError('bad unavailable', `${where}: end ${String(end)} must be after start ${String(start)}`);
    return { stage, machine, start: start as number, end: end as number };
  });
  out.sort((a, b) => a.stage - b.stage || a.machine - b.machine || a.start - b.start || a.end - b.end);
  return out;
}

/** Throws unless the objective can be evaluated (tardiness terms need at least one due date). */
export function requireDueDates(vp: ValidatedFlowShop, objective: ObjectiveWeights): void {
  if ((objective.tardiness > 0 || objective.weightedTardiness > 0) && !vp.dueDates.some((d) => d !== Infinity)) {
    throw new InputError('no due dates', `the objective "${objective.name}" needs dueDates (one per job)`);
  }
}

/** Checks the options and fills in defaults (time limit 10 s, seed 1, makespan, d = 4, Tp = 0.4). */
export function validateFlowShopOptions(options: FlowShopOptions = {}): ValidatedFlowShopOptions {
  if (!isObject(options as unknown)) throw new InputError('bad options', 'the options must be an object');
  const { timeLimit = 10, seed = 1, maxIterations, destruction = 4, temperature = 0.4 } = options;
  if (typeof timeLimit !== 'number' || !Number.isFinite(timeLimit) || timeLimit <= 0 || timeLimit > FLOWSHOP_LIMITS.maxTimeLimitSeconds) {
    throw new InputError('bad time limit', `timeLimit must be a number of seconds in (0, ${FLOWSHOP_LIMITS.maxTimeLimitSeconds}], got ${String(timeLimit)}`);
  }
  if (typeof seed !== 'number' || !Number.isFinite(seed)) throw new InputError('bad seed', `seed must be a finite number, got ${String(seed)}`);
  if (maxIterations !== undefined && (typeof maxIterations !== 'number' || !Number.isInteger(maxIterations) || maxIterations < 0)) {
    throw new InputError('bad option', `maxIterations must be a whole number >= 0, got ${String(maxIterations)}`);
  }
  if (typeof destruction !== 'number' || !Number.isInteger(destruction) || destruction < 1 || destruction > FLOWSHOP_LIMITS.maxDestruction) {
    throw new InputError('bad option', `destruction must be a whole number in 1..${FLOWSHOP_LIMITS.maxDestruction}, got ${String(destruction)}`);
  }
  if (typeof temperature !== 'number' || !Number.isFinite(temperature) || temperature < 0 || temperature > 100) {
    throw new InputError('bad option', `temperature must be a number in [0, 100], got ${String(temperature)}`);
  }
  for (const k of ['shouldStop', 'onImprovement'] as const) {
    if (options[k] !== undefined && typeof options[k] !== 'function') throw new InputError('bad option', `${k} must be a function`);
  }
  if (options.signal !== undefined && (typeof options.signal !== 'object' || options.signal === null)) throw new InputError('bad option', 'signal must be an AbortSignal');
  const out: ValidatedFlowShopOptions = {
    timeLimitMs: timeLimit * 1000,
    seed,
    objective: parseObjective(options.objective),
    maxIterations: maxIterations ?? Number.MAX_SAFE_INTEGER,
    destruction,
    temperature,
  };
  if (options.shouldStop) out.shouldStop = options.shouldStop;
  if (options.signal) out.signal = options.signal;
  if (options.onImprovement) out.onImprovement = options.onImprovement;
  return out;
}
