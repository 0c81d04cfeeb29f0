/**
 * The optimizer's jobs by name, as the worker runs them: setpoints against the twin, job-shop
 * schedules (and their repair after a disturbance), facility layouts.
 */
import { InputError } from '../errors';
import { solveJobShop } from './jobshop';
import type { JobShopOptions, JobShopProblem } from './jobshop';
import { runSetpointJob, type JobControl, type SetpointArgs, type SetpointChange } from './setpoint-task';

export interface ScheduleArgs {
  problem: JobShopProblem;
  options: JobShopOptions;
}

export async function runOptimisationTask(task: string, args: unknown, control: JobControl, changes: () => SetpointChange | undefined): Promise<unknown> {
  switch (task) {
    case 'setpoints':
      return runSetpointJob(args as SetpointArgs, control, changes);
    case 'schedule': {
      const a = args as ScheduleArgs;
      return solveJobShop(a.problem, { ...a.options, shouldStop: control.shouldStop, onImprovement: (i) => control.improvement({ makespan: i.makespan, objectiveValue: i.objectiveValue, iterations: i.iterations, elapsedMs: i.elapsedMs }) });
    }
    default:
      throw new InputError('unknown task', `no optimisation task "${task}"`);
  }
}
