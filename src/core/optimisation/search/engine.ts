/**
 * The contract between the optimiser driver (optimiser.ts: evaluations, memo, limits, slicing,
 * callbacks) and an algorithm. Most algorithms are ask/tell: `ask()` proposes a generation of
 * vectors, the driver evaluates them one by one (pausing between evaluations when a slice is
 * over, so a generation may span several `step()` calls) and hands the evaluated individuals to
 * `tell()` in the order asked. The sequence of proposals depends only on the seed and the values,
 * never on how the run was sliced. An algorithm that evaluates by itself (Nelder–Mead, wrapping
 * the synchronous calibration one) implements `run()` instead and evaluates through the context.
 */
import type { SeededRandom } from '../../simulation/des/random';
import type { Individual } from './problem';
import type { VariableSpace } from './variables';

export type AlgorithmName = 'cmaes' | 'nelder-mead' | 'ga' | 'nsga2';

export interface EngineContext {
  space: VariableSpace;
  rng: SeededRandom;
  /** Start point (snapped) from options.x0 or the variables' `initial`, if any. */
  start: number[] | undefined;
  /** Evaluates one vector now (snapped and memoised by the driver). */
  evaluate(x: readonly number[]): Individual;
  /** True when an engine running by itself must return (slice over, a limit reached, stopped). */
  mustPause(): boolean;
  /** The best individual so far by Deb's rules on the scalar value. */
  best(): Individual | undefined;
  /** The number of objectives. */
  objectiveCount(): number;
}

export interface Engine {
  readonly name: AlgorithmName;
  /** True when the algorithm has nothing left to do (e.g. CMA-ES out of restarts). */
  readonly finished: boolean;
  /** Completed restarts (0 for algorithms without). */
  readonly restarts: number;
  /** Completed iterations when the engine counts them itself (Nelder–Mead: finished local runs). */
  readonly generations?: number;
  /** Accepts a partial generation in tell() (the driver then hands over what was evaluated at the end). */
  readonly acceptsPartial?: boolean;
  ask?(): number[][];
  tell?(batch: Individual[]): void;
  run?(): void;
  /** Every individual the engine holds (re-scored by the driver when objectives change). */
  individuals(): Individual[];
  /** Called after objectives, weights or constraints changed and every individual was re-scored. */
  rescored(): void;
  /** The current non-dominated set (multi-objective engines). */
  front?(): Individual[];
  /** Algorithm state worth reporting (step size, population size, …). */
  status?(): Record<string, number>;
}
