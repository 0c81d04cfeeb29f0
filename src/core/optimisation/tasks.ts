/**
 * The optimizer's jobs by name, as the worker runs them: setpoints against the twin, job-shop
 * schedules (and their repair after a disturbance), facility layouts.
 */
import { InputError } from '../errors';
import { rescheduleJobShop, solveJobShop } from './jobshop';
import type { Disturbance, JobShopOptions, JobShopProblem, ScheduledOperation } from './jobshop';
import { rescheduleFlowShop, solveFlowShop, type FlowShopDisturbance, type FlowShopOperation, type FlowShopOptions, type FlowShopProblem } from './flowshop';
import { runLayoutJob, type LayoutArgs } from './layout-task';
import { runSetpointJob, type JobControl, type SetpointArgs, type SetpointChange } from './setpoint-task';

export interface ScheduleArgs {
  problem: JobShopProblem;
  options: JobShopOptions;
}

export interface RescheduleArgs extends ScheduleArgs {
  schedule: ScheduledOperation[];
  now: number;
  disturbances: Disturbance[];
}

export async function runOptimisationTask(task: string, args: unknown, control: JobControl, changes: () => SetpointChange | undefined): Promise<unknown> {
  switch (task) {
    case 'setpoints':
      return runSetpointJob(args as SetpointArgs, control, changes);
    case 'schedule': {
      const a = args as ScheduleArgs;
      return solveJobShop(a.problem, { ...a.options, shouldStop: control.shouldStop, onImprovement: (i) => control.improvement({ makespan: i.makespan, objectiveValue: i.objectiveValue, iterations: i.iterations, elapsedMs: i.elapsedMs }) });
    }
    case 'reschedule': {
      const a = args as RescheduleArgs;
      return rescheduleJobShop(a.problem, a.schedule, a.now, a.disturbances, { ...a.options, shouldStop: control.shouldStop });
    }
    case 'flowshop': {
      const a = args as { problem: FlowShopProblem; options: FlowShopOptions };
      return solveFlowShop(a.problem, { ...a.options, shouldStop: control.shouldStop, onImprovement: (i) => control.improvement({ makespan: i.makespan, objectiveValue: i.objectiveValue, elapsedMs: i.elapsedMs }) });
    }
    case 'reschedule-flowshop': {
      const a = args as { problem: FlowShopProblem; schedule: FlowShopOperation[]; now: number; disturbances: FlowShopDisturbance[]; options: FlowShopOptions };
      return rescheduleFlowShop(a.problem, a.schedule, a.now, a.disturbances, { ...a.options, shouldStop: control.shouldStop });
    }
    case 'layout':
      return runLayoutJob(args as LayoutArgs, control);
    default:
      throw new InputError('unknown task', `no optimisation task "${task}"`);
  }
}
