/**
 * Setpoint optimisation against the twin, as one job: the simulator's core is the objective
 * (simulation-problem.ts), the search runs in steps so that stop requests and objective changes
 * are seen between them, and the chosen point is confirmed at the end by independent
 * replications (other seeds) against the starting settings.
 */
import { ConfigError, InputError } from '../errors';
import { compareScenarios, type KpiComparison } from '../scenarios/statistics';
import { cachedSimulator, whatIf, type WhatIfContext } from '../simulation/simulator-tasks';
import type { Optimiser, OptimiserOptions, Progress } from './search/optimiser';
import { createOptimiser } from './search/optimiser';
import type { ConstraintsInput, ObjectivesInput } from './search/problem';
import type { Point } from './search/variables';
import { compileGoal, kpiSymbol, kpiSymbols, requestFor, simulationProblem, type Kpis, type SimulationGoal } from './simulation-problem';

export interface SetpointArgs {
  spec: unknown;
  context: WhatIfContext;
  goal: SimulationGoal;
  options: Pick<OptimiserOptions, 'algorithm' | 'seed' | 'maxEvaluations' | 'compromise' | 'weights'> & { timeLimitMs: number; confirmReplications?: number };
}

export interface JobControl {
  shouldStop(): boolean;
  improvement(payload: unknown): void;
  progress(payload: unknown): void;
  /** Yields to the worker's message loop (changes arrive there). */
  pause(): Promise<void>;
}

export interface SetpointChange {
  objectives?: SimulationGoal['objectives'];
  constraints?: SimulationGoal['constraints'];
  weights?: number[] | Record<string, number>;
}

export interface SetpointAnswer {
  best: { point: Point; objectives: Record<string, number>; feasible: boolean; kpis: Kpis } | null;
  front: Array<{ point: Point; objectives: Record<string, number>; feasible: boolean }>;
  progress: Progress;
  /** The starting settings (the variables' `initial`) against the chosen ones, on fresh seeds. */
  confirmation?: { replications: number; seed: number; start: Point; comparison: Record<string, KpiComparison> };
}

const brief = (s: { point: Point; named: Record<string, number>; feasible: boolean }) => ({ point: s.point, objectives: s.named, feasible: s.feasible });

/** Applies a change of goal to a running optimiser; ConfigError for expressions that do not compile. */
export function applyChange(optimiser: Optimiser, symbols: string[], goal: SimulationGoal, change: SetpointChange): SimulationGoal {
  const next: SimulationGoal = { ...goal, objectives: change.objectives ?? goal.objectives, constraints: change.constraints ?? goal.constraints };
  const compiled = compileGoal(next, symbols);
  if (change.objectives) optimiser.setObjective(compiled.objectives as ObjectivesInput);
  if (change.constraints) optimiser.setConstraints(compiled.constraints as ConstraintsInput);
  if (change.weights) optimiser.setWeights(change.weights);
  return next;
}

export async function runSetpointJob(args: SetpointArgs, control: JobControl, changes: () => SetpointChange | undefined): Promise<SetpointAnswer> {
  const sim = cachedSimulator(args.spec);
  let goal = args.goal;
  const problem = simulationProblem(sim, goal, args.context);
  const symbols = kpiSymbols(sim);
  const started = Date.now();
  const optimiser = createOptimiser<Kpis>(problem, {
    ...args.options,
    maxWallMs: args.options.timeLimitMs,
    onImprovement: (best, progress) => control.improvement({ best: brief(best), kpis: best.result, progress }),
  });
  let lastProgress = 0;
  while (!optimiser.done) {
    if (control.shouldStop()) optimiser.stop();
    const change = changes();
    if (change) goal = applyChange(optimiser, symbols, goal, change);
    const progress = optimiser.step(50);
    if (Date.now() - lastProgress >= 500) {
      lastProgress = Date.now();
      control.progress(progress);
    }
    await control.pause();
  }
  const best = optimiser.best();
  const answer: SetpointAnswer = {
    best: best ? { ...brief(best), kpis: best.result as Kpis } : null,
    front: optimiser.front().map(brief),
    progress: optimiser.progress(),
  };
  const replications = args.options.confirmReplications ?? 0;
  if (best && replications > 0 && sim.line) answer.confirmation = confirm(args, goal, best.point, replications, Math.max(1000, args.options.timeLimitMs - (Date.now() - started)));
  return answer;
}

/**
 * The chosen point against the starting settings, each over `replications` runs on seeds the search
 * never saw: the margin a person can trust, with Welch intervals.
 */
function confirm(args: SetpointArgs, goal: SimulationGoal, chosen: Point, replications: number, maxWallMs: number): SetpointAnswer['confirmation'] {
  const start: Point = {};
  for (const v of goal.variables) {
    if (v.initial === undefined) throw new ConfigError('no start', `confirmation needs the starting value of every variable: "${v.name}" has no initial`);
    start[v.name] = v.initial;
  }
  const sim = cachedSimulator(args.spec);
  const seed = (args.options.seed ?? 1) + 7919;
  const evaluation = { ...goal.evaluation, replications, seed };
  const run = (point: Point) => {
    const request = requestFor(point, evaluation);
    const answer = whatIf(sim, request, { ...args.context, maxWallMs });
    if (!answer.line) throw new InputError('no line', 'confirmation compares line replications');
    return answer.line.replicationKpis.map((k) => Object.fromEntries(Object.entries(k).map(([n, v]) => [kpiSymbol(`line.${n}`), v])));
  };
  return { replications, seed, start, comparison: compareScenarios(run(start), run(chosen)) };
}
