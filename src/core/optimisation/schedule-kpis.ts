/** What the job shop and the flow shop measure of a schedule, computed one way for both. */

/**
 * What to minimise. `tardiness` is Σ max(0, Cj − dj), `weightedTardiness` uses the job weights
 * (default 1); an object is the weighted sum of its terms, e.g. `{ makespan: 1, weightedTardiness: 10 }`.
 */
export type ScheduleObjective =
  | 'makespan'
  | 'tardiness'
  | 'weightedTardiness'
  | { makespan?: number; tardiness?: number; weightedTardiness?: number };

export interface ScheduleKpis {
  makespan: number;
  totalTardiness: number;
  weightedTardiness: number;
}

/** KPIs of scheduled operations (a job completes at the end of its last operation). */
export function scheduleKpis(jobCount: number, ops: ReadonlyArray<{ job: number; end: number }>, dueDates: ArrayLike<number>, weights: ArrayLike<number>): ScheduleKpis {
  const completion = new Array<number>(jobCount).fill(-Infinity);
  for (const o of ops) if (o.job < jobCount) completion[o.job] = Math.max(completion[o.job], o.end);
  let makespan = -Infinity;
  let totalTardiness = 0;
  let weightedTardiness = 0;
  for (let j = 0; j < jobCount; j++) {
    makespan = Math.max(makespan, completion[j]);
    const late = completion[j] - dueDates[j];
    if (late > 0) {
      totalTardiness += late;
      weightedTardiness += weights[j] * late;
    }
  }
  return { makespan, totalTardiness, weightedTardiness };
}

/** What a repair of a running schedule changed. */
export interface ScheduleKpiChange {
  /** The running schedule as it was planned, on the original problem (without rush jobs). */
  before: ScheduleKpis;
  /** The naive repair: the old order pushed later, rush jobs appended, on the new problem. */
  rightShift: ScheduleKpis;
  /** The re-optimised schedule on the new problem. */
  after: ScheduleKpis;
  /** after − before, per KPI. */
  change: ScheduleKpis;
  /** after − rightShift, per KPI (what the re-optimisation gained over the naive repair). */
  gainOverRightShift: ScheduleKpis;
}

export function kpiChange(before: ScheduleKpis, rightShift: ScheduleKpis, after: ScheduleKpis): ScheduleKpiChange {
  const diff = (a: ScheduleKpis, b: ScheduleKpis): ScheduleKpis => ({
    makespan: a.makespan - b.makespan,
    totalTardiness: a.totalTardiness - b.totalTardiness,
    weightedTardiness: a.weightedTardiness - b.weightedTardiness,
  });
  return { before, rightShift, after, change: diff(after, before), gainOverRightShift: diff(after, rightShift) };
}
