/**
 * The simulator's requests as plain functions of (definition, arguments): what-if, scenario sets
 * and calibration. They run in the worker thread (worker/simulation-worker.ts) for the node, and
 * directly for anyone calling the core (the optimizer uses the simulator as its objective).
 */
import { ConfigError, InputError } from '../errors';
import { compareScenarios, summariseKpis, type KpiComparison, type Summary } from '../scenarios/statistics';
import { trainHealthModel } from './learning-hub';
import { PhysicsModel, type PhysicsSpec } from './physics';
import { calibratePhysics, runPhysics, type CalibrationData, type CalibrationRequest, type PhysicsAnswer, type PhysicsRequest, type StartState } from './physics-tasks';
import { compileLine, runLine, type CompiledLine, type LineAnswer, type LineRequest, type LineStart } from './line-tasks';

export interface SimulatorSpec {
  physics?: PhysicsSpec;
  line?: unknown;
}

export interface CompiledSimulator {
  physics?: PhysicsModel;
  line?: CompiledLine;
}

/** Builds (and so checks) both models; ConfigError naming the part at fault. */
export function compileSimulator(spec: SimulatorSpec): CompiledSimulator {
  if (spec === null || typeof spec !== 'object') throw new ConfigError('bad simulator', 'the simulator definition must be an object');
  if (spec.physics === undefined && spec.line === undefined) throw new ConfigError('nothing to simulate', 'give a physics model, a line, or both');
  return {
    physics: spec.physics === undefined ? undefined : new PhysicsModel(spec.physics),
    line: spec.line === undefined ? undefined : compileLine(spec.line),
  };
}

export interface WhatIfRequest extends Partial<PhysicsRequest> {
  label?: string;
  line?: LineRequest;
}

export interface WhatIfContext {
  start?: StartState;
  lineStart?: LineStart;
  calibrated: Record<string, number>;
  /** Defaults from the node: physics duration, replications, seed, wall-time budget. */
  durationS: number;
  replications: number;
  seed: number;
  maxWallMs: number;
}

export interface WhatIfAnswer {
  label?: string;
  physics?: PhysicsAnswer;
  line?: LineAnswer;
  /** Settings that differ from the definition, flattened ("k", "line.Press.servers"). */
  settings: Record<string, number>;
  /** Numeric results, flattened, for the scenario store and the surrogate. */
  kpis: Record<string, number>;
  /** Predicted signals by key, for chained twins. */
  signals: PhysicsAnswer['signals'];
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}

/** One what-if: physics from the synchronised start and/or the line, with the request's changes. */
export function whatIf(sim: CompiledSimulator, request: WhatIfRequest, ctx: WhatIfContext): WhatIfAnswer {
  if (!isRecord(request as unknown)) throw new InputError('bad request', 'a what-if request must be an object');
  const deadline = Date.now() + ctx.maxWallMs;
  const answer: WhatIfAnswer = { label: typeof request.label === 'string' ? request.label : undefined, settings: {}, kpis: {}, signals: {} };
  if (sim.physics) {
    const start = ctx.start ?? { time: Date.now(), initial: {}, inputs: {}, unsynced: [] };
    const physics = runPhysics(sim.physics, start, ctx.calibrated, {
      durationS: request.durationS ?? ctx.durationS,
      everyS: request.everyS,
      parameters: request.parameters,
      inputs: request.inputs,
      initial: request.initial,
      boundary: request.boundary,
      maxWallMs: Math.max(1, deadline - Date.now()),
    });
    answer.physics = physics;
    answer.signals = physics.signals;
    for (const [k, v] of Object.entries(request.parameters ?? {})) answer.settings[k] = v;
    for (const [k, v] of Object.entries(request.inputs ?? {})) if (typeof v === 'number') answer.settings[`input.${k}`] = v;
    for (const [k, v] of Object.entries(physics.final)) answer.kpis[k] = v;
  } else if (request.parameters !== undefined || request.inputs !== undefined) {
    throw new InputError('no physics', 'this simulator has no physics model: parameters and inputs cannot be set');
  }
  if (sim.line) {
    const line = runLine(sim.line, request.line ?? {}, {
      start: ctx.lineStart,
      replications: ctx.replications,
      seed: ctx.seed,
      maxWallMs: Math.max(1, deadline - Date.now()),
    });
    answer.line = line;
    Object.assign(answer.settings, line.settings);
    for (const [k, s] of Object.entries(line.kpis)) answer.kpis[`line.${k}`] = s.mean;
  } else if (request.line !== undefined) {
    throw new InputError('no line', 'this simulator has no line model: line settings cannot be used');
  }
  return answer;
}

export interface ScenarioSetRequest {
  scenarios: WhatIfRequest[];
  /** Index of the baseline the others are compared with (default 0). */
  baseline?: number;
}

export interface ScenarioSetAnswer {
  scenarios: WhatIfAnswer[];
  baseline: number;
  /** Per scenario (baseline excluded): line KPIs compared with the baseline's, Welch intervals. */
  comparisons: Array<{ label?: string; index: number; line?: Record<string, KpiComparison>; physics?: Record<string, number> }>;
}

/** A set of counterfactuals in one request, each compared with the baseline. */
export function scenarioSet(sim: CompiledSimulator, request: ScenarioSetRequest, ctx: WhatIfContext): ScenarioSetAnswer {
  if (!isRecord(request as unknown) || !Array.isArray(request.scenarios) || request.scenarios.length === 0) {
    throw new InputError('bad request', 'scenarios needs payload.scenarios: a non-empty list of what-if settings');
  }
  if (request.scenarios.length > 100) throw new InputError('too many scenarios', `${request.scenarios.length} scenarios in one request (limit 100)`);
  const baseline = request.baseline ?? 0;
  if (!Number.isInteger(baseline) || baseline < 0 || baseline >= request.scenarios.length) throw new InputError('bad baseline', `baseline must be an index from 0 to ${request.scenarios.length - 1}`);
  const deadline = Date.now() + ctx.maxWallMs;
  // Common random numbers: every scenario uses the same seeds, so differences come from the settings.
  const scenarios = request.scenarios.map((s, i) => {
    const left = deadline - Date.now();
    if (left <= 0) throw new InputError('time limit', `the scenario set ran out of time after ${i} of ${request.scenarios.length} scenarios`);
    return whatIf(sim, s, { ...ctx, maxWallMs: left });
  });
  const base = scenarios[baseline];
  const comparisons = scenarios.flatMap((s, index) => {
    if (index === baseline) return [];
    const entry: ScenarioSetAnswer['comparisons'][number] = { label: s.label, index };
    if (s.line && base.line) entry.line = compareScenarios(base.line.replicationKpis, s.line.replicationKpis);
    if (s.physics && base.physics) {
      entry.physics = Object.fromEntries(Object.entries(s.physics.final).map(([k, v]) => [k, v - (base.physics as PhysicsAnswer).final[k]]));
    }
    return [entry];
  });
  return { scenarios, baseline, comparisons };
}

export interface CalibrateArgs {
  data: CalibrationData;
  calibrated: Record<string, number>;
  request: CalibrationRequest;
}

const compiled = new Map<string, CompiledSimulator>();

/** Compiles once per distinct definition text (the worker sees the same one request after request). */
export function cachedSimulator(spec: unknown): CompiledSimulator {
  const key = JSON.stringify(spec);
  let sim = compiled.get(key);
  if (!sim) {
    if (compiled.size >= 8) compiled.clear();
    sim = compileSimulator(spec as SimulatorSpec);
    compiled.set(key, sim);
  }
  return sim;
}

/** Entry point of the worker: one task by name (a value, or a promise of one). */
export function runTask(task: string, spec: unknown, args: unknown): unknown {
  const sim = cachedSimulator(spec);
  const a = args as Record<string, unknown>;
  switch (task) {
    case 'whatif':
      return whatIf(sim, a.request as WhatIfRequest, a.context as WhatIfContext);
    case 'scenarios':
      return scenarioSet(sim, a.request as ScenarioSetRequest, a.context as WhatIfContext);
    case 'train-health':
      return trainHealthModel(args as Record<string, unknown>);
    case 'calibrate': {
      if (!sim.physics) throw new InputError('no physics', 'calibration fits a physics model; this simulator has none');
      const c = args as CalibrateArgs;
      return calibratePhysics(sim.physics, c.data, c.calibrated, c.request);
    }
    default:
      throw new InputError('unknown task', `no simulation task "${task}"`);
  }
}

export type { Summary };
export { summariseKpis };
