/** Job-shop scheduling: parser, validator, independent checker, solver and dynamic rescheduling. */
export * from './types';
export { parseOrLibrary, type ParsedOrLibrary } from './parse';
export { validateProblem, validateOptions, parseObjective, type ValidatedProblem, type ObjectiveWeights } from './validate';
export { checkSchedule } from './check';
export { solveJobShop } from './solver';
export {
  rescheduleJobShop,
  type Disturbance,
  type MachineDownDisturbance,
  type RushJobDisturbance,
  type DurationChangeDisturbance,
  type KpiChange,
  type RescheduleResult,
} from './reschedule';
