/**
 * Public types of the flexible (hybrid) flow-shop scheduler. Every job visits the stages in order
 * (0, 1, 2, ...) and skips a stage where its processing time is 0; each stage has one or more
 * parallel machines. Jobs, stages and machines are numbered from 0, a machine by its index within
 * its stage. Times are plain numbers in whatever unit the processing times use.
 */
import type { ScheduleKpis, ScheduleObjective } from '../schedule-kpis';

/** One machine of a stage. A machine with speed s does work p in p / s (default speed 1). */
export interface FlowShopMachineSpec {
  speed?: number;
}

/** A stage: a number of identical parallel machines, or the machines themselves (with speeds). */
export interface FlowShopStageSpec {
  machines: number | FlowShopMachineSpec[];
}

/** Machine `machine` of stage `stage` cannot work in [start, end): no operation may overlap it. */
export interface FlowShopUnavailability {
  stage: number;
  machine: number;
  start: number;
  end: number;
}

/**
 * A problem: the stages, and per job its processing time at every stage (`jobs[j][k]`, 0 = job j
 * skips stage k), plus the optional per-job data (same length as the jobs, due dates may be null)
 * and unavailability windows. The per-job data and windows may instead be given in the options
 * (there they take precedence).
 */
export interface FlowShopProblem {
  stages: FlowShopStageSpec[];
  jobs: number[][];
  releaseDates?: number[];
  dueDates?: (number | null)[];
  weights?: number[];
  unavailable?: FlowShopUnavailability[];
}

/**
 * What to minimise (as in the job shop). `tardiness` is Σ max(0, Cj − dj), `weightedTardiness`
 * uses the job weights (default 1); an object is the weighted sum of its terms.
 */
export type FlowShopObjective = ScheduleObjective;

/** One scheduled operation: job `job` at stage `stage` on machine `machine` (index within the stage). */
export interface FlowShopOperation {
  job: number;
  stage: number;
  machine: number;
  start: number;
  end: number;
}

/** An improving solution, as reported to `onImprovement` while the search runs. */
export interface FlowShopImprovement {
  makespan: number;
  objectiveValue: number;
  iterations: number;
  elapsedMs: number;
  /** The job permutation (order of entry into the first stage). */
  permutation: number[];
  /** Built when first read. */
  operations: FlowShopOperation[];
}

export interface FlowShopOptions {
  /** Wall-clock limit in seconds (default 10, at most 86,400). */
  timeLimit?: number;
  /** Seed of the search's random choices; the same seed gives the same trajectory (default 1). */
  seed?: number;
  objective?: FlowShopObjective;
  releaseDates?: number[];
  dueDates?: (number | null)[];
  weights?: number[];
  unavailable?: FlowShopUnavailability[];
  /** Stop after this many iterated-greedy iterations (reproducible runs independent of speed). */
  maxIterations?: number;
  /** Jobs removed per destruction (default 4, at most the number of jobs − 1). */
  destruction?: number;
  /** Temperature factor of the acceptance (Ruiz & Stützle's Tp, default 0.4; 0 = only improvements). */
  temperature?: number;
  /** Polled during the search; return true to stop. */
  shouldStop?: () => boolean;
  /** An AbortSignal (or anything with `aborted`), polled during the search. */
  signal?: { readonly aborted: boolean };
  /** Called with each improving solution (the first one is the best constructive heuristic's). */
  onImprovement?: (improvement: FlowShopImprovement) => void;
}

export type FlowShopStopReason = 'optimal' | 'timeLimit' | 'iterations' | 'cancelled';

/** Makespan and tardiness of a schedule. */
export type FlowShopKpis = ScheduleKpis;

export interface FlowShopResult {
  makespan: number;
  /** "optimal" only when the objective equals a proven lower bound of it. */
  status: 'optimal' | 'feasible';
  /** Proven lower bound of the makespan. */
  lowerBound: number;
  operations: FlowShopOperation[];
  /** Iterated-greedy iterations done. */
  iterations: number;
  elapsedMs: number;
  /** 'makespan', 'tardiness', 'weightedTardiness' or 'weighted sum'. */
  objective: string;
  objectiveValue: number;
  /** Proven lower bound of the objective. */
  objectiveLowerBound: number;
  totalTardiness: number;
  weightedTardiness: number;
  /** The job permutation that decodes to `operations`. */
  permutation: number[];
  /** Milliseconds from the start until the returned solution was found. */
  timeToBestMs: number;
  stopReason: FlowShopStopReason;
  /** The constructive heuristic the search started from, and its objective value. */
  initialRule: string;
  initialObjectiveValue: number;
}

/** Size limits: bigger problems are refused with an InputError. */
export const FLOWSHOP_LIMITS = Object.freeze({
  maxJobs: 2000,
  maxStages: 100,
  maxMachinesPerStage: 200,
  maxOperations: 50000,
  maxUnavailable: 10000,
  /** Largest processing time, release date, due date or window bound (absolute value). */
  maxTime: 1e12,
  maxTimeLimitSeconds: 86400,
  maxDestruction: 100,
});
