/**
 * Validation of a problem and of the solver options. Everything the solver accepts passes through
 * here, so malformed input is refused early with an InputError naming the job, operation or entry.
 */
import { InputError } from '../../errors';
import { parseOrLibrary } from './parse';
import {
  JOBSHOP_LIMITS,
  type JobShopObjective,
  type JobShopOperationSpec,
  type JobShopOptions,
  type JobShopProblem,
  type MachineUnavailability,
} from './types';

/** A checked problem: copies of the input with defaults filled in. */
export interface ValidatedProblem {
  name?: string;
  jobs: JobShopOperationSpec[][];
  machines: number;
  /** Per job, default 0. */
  releaseDates: number[];
  /** Per job, Infinity when the job has none. */
  dueDates: number[];
  /** Per job, default 1. */
  weights: number[];
  /** Sorted by machine, then start. */
  unavailable: MachineUnavailability[];
}

/** The objective as weights of its three terms. */
export interface ObjectiveWeights {
  name: string;
  makespan: number;
  tardiness: number;
  weightedTardiness: number;
}

export interface ValidatedOptions {
  timeLimitMs: number;
  seed: number;
  objective: ObjectiveWeights;
  maxIterations: number;
  shouldStop?: () => boolean;
  signal?: { readonly aborted: boolean };
  onImprovement?: JobShopOptions['onImprovement'];
}

type Extras = Pick<JobShopOptions, 'releaseDates' | 'dueDates' | 'weights' | 'unavailable'>;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks a problem (`{instance}` or `{jobs}`) and the per-job data and windows, which may come in
 * the problem or in `extras` (the options; they take precedence). Throws InputError.
 */
export function validateProblem(problem: JobShopProblem, extras: Extras = {}): ValidatedProblem {
  if (!isObject(problem as unknown)) throw new InputError('bad problem', 'the problem must be an object with `instance` (OR-Library text) or `jobs`');
  const hasInstance = problem.instance !== undefined;
  const hasJobs = problem.jobs !== undefined;
  if (hasInstance === hasJobs) throw new InputError('bad problem', 'give exactly one of `instance` (OR-Library text) and `jobs`');
  let name: string | undefined;
  let rawJobs: unknown;
  let machines: number | undefined;
  if (hasInstance) {
    const parsed = parseOrLibrary(problem.instance as string);
    name = parsed.name;
    rawJobs = parsed.jobs;
    machines = parsed.machines;
  } else {
    rawJobs = problem.jobs;
    if (problem.machines !== undefined) {
      if (!Number.isInteger(problem.machines) || problem.machines < 1 || problem.machines > JOBSHOP_LIMITS.maxMachines) {
        throw new InputError('bad problem', `machines must be a whole number in 1..${JOBSHOP_LIMITS.maxMachines}, got ${String(problem.machines)}`);
      }
      machines = problem.machines;
    }
  }
  const jobs = validateJobs(rawJobs, machines);
  const m = machines ?? 1 + jobs.reduce((mx, ops) => ops.reduce((a, o) => Math.max(a, o.machine), mx), -1);
  if (m > JOBSHOP_LIMITS.maxMachines) throw new InputError('too large', `machine ${m - 1} is beyond the limit of ${JOBSHOP_LIMITS.maxMachines} machines`);
  const n = jobs.length;
  const pick = <K extends keyof Extras>(k: K): Extras[K] => (extras[k] !== undefined ? extras[k] : (problem[k] as Extras[K]));
  const releaseDates = perJob(pick('releaseDates'), n, 'releaseDates', 0, false, -Infinity);
  const dueDates = perJob(pick('dueDates'), n, 'dueDates', Infinity, true, -Infinity);
  const weights = perJob(pick('weights'), n, 'weights', 1, false, 0);
  const unavailable = validateWindows(pick('unavailable'), m);
  const out: ValidatedProblem = { jobs, machines: m, releaseDates, dueDates, weights, unavailable };
  if (name !== undefined) out.name = name;
  return out;
}

function validateJobs(raw: unknown, machines: number | undefined): JobShopOperationSpec[][] {
  if (!Array.isArray(raw)) throw new InputError('bad problem', '`jobs` must be an array of jobs, each an array of {machine, duration}');
  if (raw.length === 0) throw new InputError('bad problem', '`jobs` is empty: there is nothing to schedule');
  if (raw.length > JOBSHOP_LIMITS.maxJobs) throw new InputError('too large', `${raw.length} jobs exceed the limit of ${JOBSHOP_LIMITS.maxJobs}`);
  let total = 0;
  const jobs: JobShopOperationSpec[][] = [];
  for (let j = 0; j < raw.length; j++) {
    const ops = raw[j];
    if (!Array.isArray(ops)) throw new InputError('bad job', `job ${j} must be an array of {machine, duration}`);
    if (ops.length === 0) throw new InputError('empty job', `job ${j} has no operations`);
    if (ops.length > JOBSHOP_LIMITS.maxOperationsPerJob) throw new InputError('too large', `job ${j} has ${ops.length} operations (limit ${JOBSHOP_LIMITS.maxOperationsPerJob})`);
    total += ops.length;
    if (total > JOBSHOP_LIMITS.maxOperations) throw new InputError('too large', `more than ${JOBSHOP_LIMITS.maxOperations} operations in total (limit reached at job ${j})`);
    const out: JobShopOperationSpec[] = [];
    for (let k = 0; k < ops.length; k++) {
      const o = ops[k];
      const where = `job ${j}, operation ${k}`;
      if (!isObject(o)) throw new InputError('bad operation', `${where}: must be an object {machine, duration}`);
      const { machine, duration } = o;
      if (typeof machine !== 'number' || !Number.isInteger(machine) || machine < 0) {
        throw new InputError('bad machine', `${where}: machine must be a whole number >= 0, got ${String(machine)}`);
      }
      if (machines !== undefined && machine >= machines) throw new InputError('bad machine', `${where}: machine ${machine} is out of range 0..${machines - 1}`);
      if (machine >= JOBSHOP_LIMITS.maxMachines) throw new InputError('too large', `${where}: machine ${machine} is beyond the limit of ${JOBSHOP_LIMITS.maxMachines} machines`);
      if (typeof duration !== 'number' || !Number.isFinite(duration)) throw new InputError('bad duration', `${where}: duration must be a finite number, got ${String(duration)}`);
      if (duration < 0) throw new InputError('bad duration', `${where}: duration ${duration} is negative`);
      if (duration > JOBSHOP_LIMITS.maxTime) throw new InputError('bad duration', `${where}: duration ${duration} exceeds ${JOBSHOP_LIMITS.maxTime}`);
      out.push({ machine, duration });
    }
    jobs.push(out);
  }
  return jobs;
}

function perJob(raw: unknown, n: number, field: string, fallback: number, nullable: boolean, min: number): number[] {
  if (raw === undefined || raw === null) return new Array<number>(n).fill(fallback);
  if (!Array.isArray(raw)) throw new InputError(`bad ${field}`, `${field} must be an array with one number per job`);
  if (raw.length !== n) throw new InputError(`bad ${field}`, `${field} has ${raw.length} entries for ${n} jobs`);
  return Array.from(raw, (v, j) => {
    if (nullable && (v === null || v === undefined)) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new InputError(`bad ${field}`, `${field}[${j}] (job ${j}) must be a finite number, got ${String(v)}`);
    if (v < min) throw new InputError(`bad ${field}`, `${field}[${j}] (job ${j}) must be >= ${min}, got ${v}`);
    if (Math.abs(v) > JOBSHOP_LIMITS.maxTime) throw new InputError(`bad ${field}`, `${field}[${j}] (job ${j}) exceeds ${JOBSHOP_LIMITS.maxTime}`);
    return v;
  });
}

function validateWindows(raw: unknown, machines: number): MachineUnavailability[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new InputError('bad unavailable', 'unavailable must be an array of {machine, start, end}');
  if (raw.length > JOBSHOP_LIMITS.maxUnavailable) throw new InputError('too large', `${raw.length} unavailability windows exceed the limit of ${JOBSHOP_LIMITS.maxUnavailable}`);
  const out = Array.from(raw, (w, i) => {
    const where = `unavailable[${i}]`;
    if (!isObject(w)) throw new InputError('bad unavailable', `${where} must be an object {machine, start, end}`);
    const { machine, start, end } = w;
    if (typeof machine !== 'number' || !Number.isInteger(machine) || machine < 0 || machine >= machines) {
      throw new InputError('bad unavailable', `${where}: machine must be a whole number in 0..${machines - 1}, got ${String(machine)}`);
    }
    for (const [k, v] of [['start', start], ['end', end]] as const) {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new InputError('bad unavailable', `${where}: ${k} must be a finite number, got ${String(v)}`);
      if (Math.abs(v) > JOBSHOP_LIMITS.maxTime) throw new InputError('bad unavailable', `${where}: ${k} exceeds ${JOBSHOP_LIMITS.maxTime}`);
    }
    if ((end as number) <= (start as number)) throw new InputError('bad unavailable', `${where}: end ${String(end)} must be after start ${String(start)}`);
    return { machine, start: start as number, end: end as number };
  });
  out.sort((a, b) => a.machine - b.machine || a.start - b.start || a.end - b.end);
  return out;
}

/** Parses the `objective` option. Tardiness terms need due dates (checked by the caller). */
export function parseObjective(raw: JobShopObjective | undefined): ObjectiveWeights {
  if (raw === undefined || raw === 'makespan') return { name: 'makespan', makespan: 1, tardiness: 0, weightedTardiness: 0 };
  if (raw === 'tardiness') return { name: 'tardiness', makespan: 0, tardiness: 1, weightedTardiness: 0 };
  if (raw === 'weightedTardiness') return { name: 'weightedTardiness', makespan: 0, tardiness: 0, weightedTardiness: 1 };
  if (isObject(raw)) {
    const w = { name: 'weighted sum', makespan: 0, tardiness: 0, weightedTardiness: 0 };
    for (const key of Object.keys(raw)) {
      if (key !== 'makespan' && key !== 'tardiness' && key !== 'weightedTardiness') {
        throw new InputError('bad objective', `objective term "${key}" is unknown (use makespan, tardiness, weightedTardiness)`);
      }
      const v = raw[key];
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new InputError('bad objective', `objective weight ${key} must be a finite number >= 0, got ${String(v)}`);
      w[key] = v;
    }
    if (w.makespan + w.tardiness + w.weightedTardiness <= 0) throw new InputError('bad objective', 'the objective weights are all zero');
    return w;
  }
  throw new InputError('bad objective', `objective must be "makespan", "tardiness", "weightedTardiness" or an object of weights, got ${JSON.stringify(raw)}`);
}

/** Checks the options and fills in defaults (time limit 10 s, seed 1, makespan). */
export function validateOptions(options: JobShopOptions = {}): ValidatedOptions {
  if (!isObject(options as unknown)) throw new InputError('bad options', 'the options must be an object');
  const { timeLimit = 10, seed = 1, maxIterations } = options;
  if (typeof timeLimit !== 'number' || !Number.isFinite(timeLimit) || timeLimit <= 0 || timeLimit > JOBSHOP_LIMITS.maxTimeLimitSeconds) {
    throw new InputError('bad time limit', `timeLimit must be a number of seconds in (0, ${JOBSHOP_LIMITS.maxTimeLimitSeconds}], got ${String(timeLimit)}`);
  }
  if (typeof seed !== 'number' || !Number.isFinite(seed)) throw new InputError('bad seed', `seed must be a finite number, got ${String(seed)}`);
  if (maxIterations !== undefined && (typeof maxIterations !== 'number' || !Number.isInteger(maxIterations) || maxIterations < 0)) {
    throw new InputError('bad option', `maxIterations must be a whole number >= 0, got ${String(maxIterations)}`);
  }
  for (const k of ['shouldStop', 'onImprovement'] as const) {
    if (options[k] !== undefined && typeof options[k] !== 'function') throw new InputError('bad option', `${k} must be a function`);
  }
  if (options.signal !== undefined && (typeof options.signal !== 'object' || options.signal === null)) throw new InputError('bad option', 'signal must be an AbortSignal');
  const out: ValidatedOptions = {
    timeLimitMs: timeLimit * 1000,
    seed,
    objective: parseObjective(options.objective),
    maxIterations: maxIterations ?? Number.MAX_SAFE_INTEGER,
  };
  if (options.shouldStop) out.shouldStop = options.shouldStop;
  if (options.signal) out.signal = options.signal;
  if (options.onImprovement) out.onImprovement = options.onImprovement;
  return out;
}
