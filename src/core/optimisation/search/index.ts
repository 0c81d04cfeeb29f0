/** Search for setpoints and schedules (twin-optimizer): see optimiser.ts for the uniform interface. */
export { createOptimiser, optimise } from './optimiser';
export type { Optimiser, OptimiserOptions, OptimiserResult, OptimiserStopReason, Progress, CompromiseChoice } from './optimiser';
export type { AlgorithmName } from './engine';
export { VariableSpace, validateVariables } from './variables';
export type { VariableSpec, ContinuousVariable, IntegerVariable, CategoricalVariable, CategoryValue, Point } from './variables';
export { debBetter, debCompare } from './problem';
export type { Problem, EvalContext, ObjectiveFn, ObjectiveSpec, ConstraintFn, ConstraintSpec, ObjectivesInput, ConstraintsInput, WeightsInput, Solution } from './problem';
export { dominates, constrainedDominates, nonDominatedSort, paretoFilter, crowdingDistance, hypervolume, idealNadir, normalise, compromiseIndex, kneeIndex } from './pareto';
export type { CompromiseMethod } from './pareto';
export { symmetricEigen } from './cmaes';
export type { CmaEsOptions } from './cmaes';
export type { NelderMeadRestartOptions } from './nelder-mead-restarts';
export type { GaOptions } from './ga';
export type { Nsga2Options } from './nsga2';
