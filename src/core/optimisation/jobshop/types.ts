/**
 * Public types of the job-shop solver. Jobs, operations and machines are numbered from 0; an
 * operation is named by its job and its index within the job (`op`). Times are plain numbers in
 * whatever unit the durations use (minutes, seconds, ...); integers are usual but not required.
 */
import type { ScheduleObjective } from '../schedule-kpis';

/** One operation of a job: the machine it needs and for how long (>= 0). */
export interface JobShopOperationSpec {
  machine: number;
  duration: number;
}

/** A machine that cannot work in [start, end): no operation on it may overlap that window. */
export interface MachineUnavailability {
  machine: number;
  start: number;
  end: number;
}

/**
 * A problem as the node receives it: either OR-Library text or the jobs themselves, plus the
 * optional per-job data (same length as the jobs) and unavailability windows. The same fields may
 * instead be given in the options (there they take precedence).
 */
export interface JobShopProblem {
  /** OR-Library text: `#` comment lines, then `n m`, then per job m pairs `machine duration`. */
  instance?: string;
  jobs?: JobShopOperationSpec[][];
  /** Number of machines; defaults to 1 + the highest machine used. */
  machines?: number;
  releaseDates?: number[];
  dueDates?: number[];
  weights?: number[];
  unavailable?: MachineUnavailability[];
}

/**
 * What to minimise. `tardiness` is the total tardiness Σ max(0, Cj − dj), `weightedTardiness` uses
 * the job weights (default 1). An object is the weighted sum of its terms, e.g.
 * `{ makespan: 1, weightedTardiness: 10 }`.
 */
export type JobShopObjective = ScheduleObjective;

/** An improving solution, as reported to `onImprovement` while the search runs. */
export interface JobShopImprovement {
  makespan: number;
  objectiveValue: number;
  iterations: number;
  elapsedMs: number;
  operations: ScheduledOperation[];
}

export interface JobShopOptions {
  /** Wall-clock limit in seconds (default 10, at most 86,400). */
  timeLimit?: number;
  /** Seed of the search's random choices; the same seed gives the same trajectory (default 1). */
  seed?: number;
  objective?: JobShopObjective;
  releaseDates?: number[];
  dueDates?: number[];
  weights?: number[];
  unavailable?: MachineUnavailability[];
  /** Stop after this many tabu iterations (useful for reproducible runs independent of speed). */
  maxIterations?: number;
  /** Polled between iterations; return true to stop (e.g. `() => Atomics.load(flag, 0) === 1`). */
  shouldStop?: () => boolean;
  /** An AbortSignal (or anything with `aborted`), polled between iterations. */
  signal?: { readonly aborted: boolean };
  /** Called with each improving solution (the first one is the best dispatching rule's). */
  onImprovement?: (improvement: JobShopImprovement) => void;
}

export interface ScheduledOperation {
  job: number;
  op: number;
  machine: number;
  start: number;
  end: number;
}

export type JobShopStopReason = 'optimal' | 'timeLimit' | 'iterations' | 'cancelled';

export interface JobShopResult {
  makespan: number;
  /** "optimal" only when the objective equals a proven lower bound of it. */
  status: 'optimal' | 'feasible';
  /** Proven lower bound of the makespan. */
  lowerBound: number;
  operations: ScheduledOperation[];
  iterations: number;
  elapsedMs: number;
  /** Name of the objective ('makespan', 'tardiness', 'weightedTardiness' or 'weighted sum'). */
  objective: string;
  objectiveValue: number;
  /** Proven lower bound of the objective (equals lowerBound for the makespan). */
  objectiveLowerBound: number;
  totalTardiness: number;
  weightedTardiness: number;
  /** Milliseconds from the start until the returned solution was found. */
  timeToBestMs: number;
  stopReason: JobShopStopReason;
  /** The dispatching rule the search started from, and its objective value. */
  initialRule: string;
  initialObjectiveValue: number;
}

/** One finding of `checkSchedule`. */
export interface ScheduleViolation {
  kind:
    | 'missing'
    | 'duplicate'
    | 'unknown'
    | 'not-finite'
    | 'machine'
    | 'duration'
    | 'precedence'
    | 'release'
    | 'overlap'
    | 'unavailable';
  message: string;
  job?: number;
  op?: number;
  machine?: number;
}

/** Size limits: bigger problems are refused with an InputError (memory and time stay bounded). */
export const JOBSHOP_LIMITS = Object.freeze({
  maxJobs: 2000,
  maxMachines: 500,
  maxOperations: 20000,
  maxOperationsPerJob: 1000,
  maxUnavailable: 10000,
  /** Largest duration, release date, due date or window bound (absolute value). */
  maxTime: 1e12,
  maxTimeLimitSeconds: 86400,
});
