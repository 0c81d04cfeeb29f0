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
