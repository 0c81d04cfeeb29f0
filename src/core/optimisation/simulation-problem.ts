/**
 * Optimisation against the twin: the decision variables are simulator settings, one evaluation is
 * one what-if run of the simulator's core (called directly, in the same thread as the optimiser),
 * and objectives and constraints are mathjs expressions over the what-if's KPIs.
 *
 * Variable names say what they set: `k` a physics parameter, `input.P` a physics input held
 * constant, `line.<station>.<field>[.<field>]` a station setting (`line.Press.servers`,
 * `line.Press.processing.mean`), `line.source.<name or index>.<field>...` a source setting.
 * KPI names become symbols with "." replaced by "_": `line.energyPerGoodPartKwh` is
 * `line_energyPerGoodPartKwh`, a physics state T is `T`, a station share `line.Press.working` is
 * `line_Press_working`.
 */
import { ConfigError, InputError } from '../errors';
import { compileExpression, type CompiledExpression } from '../simulation/expressions';
import { lineKpiNames } from '../simulation/line-tasks';
import { whatIf, type CompiledSimulator, type WhatIfContext, type WhatIfRequest } from '../simulation/simulator-tasks';
import type { ConstraintSpec, ObjectiveSpec, Problem } from './search/problem';
import type { Point, VariableSpec } from './search/variables';

export interface GoalObjective {
  name?: string;
  expression: string;
  sense?: 'min' | 'max';
  weight?: number;
  scale?: number;
}

export interface SimulationGoal {
  variables: VariableSpec[];
  objectives: GoalObjective[];
  /** "line_throughput >= 0.09", "T <= 80": feasible when the comparison holds. */
  constraints?: string[];
  /** What each evaluation runs: physics duration (s), line replications and seed, line length. */
  evaluation?: { duration?: number; replications?: number; seed?: number; until?: number };
}

export type Kpis = Record<string, number>;

export const kpiSymbol = (name: string): string => name.replace(/[^A-Za-z0-9_]/g, '_');

/** Every KPI a what-if of this simulator reports, as expression symbols. */
export function kpiSymbols(sim: CompiledSimulator): string[] {
  const names: string[] = [];
  if (sim.physics) names.push(...sim.physics.stateNames, ...sim.physics.outputNames);
  if (sim.line) names.push(...lineKpiNames(sim.line).map((k) => `line.${k}`));
  return names.map(kpiSymbol);
}

const isRecord = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === 'object' && !Array.isArray(x);

/** Where a variable goes in a what-if request; ConfigError for a name that sets nothing. */
export function checkVariableTarget(sim: CompiledSimulator, name: string): void {
  const parts = name.split('.');
  if (parts[0] === 'line') {
    if (!sim.line) throw new ConfigError('unknown variable', `"${name}": the simulator has no line`);
    if (parts[1] === 'source') {
      const ok = parts.length >= 4 && sim.line.spec.sources.some((s, i) => s.name === parts[2] || String(i) === parts[2]);
      if (!ok) throw new ConfigError('unknown variable', `"${name}": no such source (use line.source.<name or index>.<field>)`);
      return;
    }
    if (parts.length < 3 || !sim.line.spec.stations.some((s) => s.name === parts[1])) throw new ConfigError('unknown variable', `"${name}": no station "${parts[1] ?? ''}" (use line.<station>.<field>)`);
    return;
  }
  if (parts[0] === 'input' && parts.length === 2) {
    if (!sim.physics?.inputNames.includes(parts[1])) throw new ConfigError('unknown variable', `"${name}": no physics input "${parts[1]}"`);
    return;
  }
  if (parts.length === 1 && sim.physics?.parameterNames.includes(name)) return;
  throw new ConfigError('unknown variable', `"${name}" is neither a physics parameter, input.<name>, line.<station>.<field> nor line.source.<name>.<field>`);
}

/** The what-if request that applies a point. */
export function requestFor(point: Point, evaluation: SimulationGoal['evaluation'] = {}): WhatIfRequest {
  const request: WhatIfRequest = { durationS: evaluation.duration, line: { replications: evaluation.replications, seed: evaluation.seed, until: evaluation.until } };
  const line = request.line as Required<Pick<NonNullable<WhatIfRequest['line']>, 'stations' | 'sources'>> & NonNullable<WhatIfRequest['line']>;
  for (const [name, value] of Object.entries(point)) {
    const parts = name.split('.');
    if (parts[0] === 'line') {
      const [group, key, path] = parts[1] === 'source' ? ['sources', parts[2], parts.slice(3)] as const : ['stations', parts[1], parts.slice(2)] as const;
      const root = ((line[group] ??= {}) as Record<string, Record<string, unknown>>);
      let at: Record<string, unknown> = (root[key] ??= {});
      for (const p of path.slice(0, -1)) at = (isRecord(at[p]) ? at[p] : (at[p] = {})) as Record<string, unknown>;
      at[path[path.length - 1]] = value;
    } else if (parts[0] === 'input') {
      (request.inputs ??= {})[parts[1]] = value as number;
    } else {
      (request.parameters ??= {})[name] = value as number;
    }
  }
  return request;
}

const COMPARISON = /^(.*?)(<=|>=|<|>)(.*)$/s;

/** Objectives and constraints compiled against the KPI symbols (ConfigError with the position). */
export function compileGoal(goal: Pick<SimulationGoal, 'objectives' | 'constraints'>, symbols: string[]): { objectives: ObjectiveSpec<Kpis>[]; constraints: ConstraintSpec<Kpis>[] } {
  if (!Array.isArray(goal.objectives) || goal.objectives.length === 0) throw new ConfigError('no objective', 'give at least one objective: {expression, sense}');
  const value = (e: CompiledExpression) => (kpis: Kpis): number => {
    const scope: Record<string, number> = {};
    for (const s of e.symbols) scope[s] = kpis[s];
    for (const s of e.symbols) if (typeof scope[s] !== 'number' || !Number.isFinite(scope[s])) return NaN; // a failed or empty run
    return e.evaluate(scope);
  };
  const objectives = goal.objectives.map((o, i): ObjectiveSpec<Kpis> => {
    if (!isRecord(o) || typeof o.expression !== 'string') throw new ConfigError('bad objective', `objective ${i + 1} needs an expression`);
    if (o.sense !== undefined && o.sense !== 'min' && o.sense !== 'max') throw new ConfigError('bad objective', `objective ${i + 1}: sense is "min" or "max"`);
    const f = value(compileExpression(o.expression, symbols));
    return { name: o.name ?? o.expression, sense: o.sense ?? 'min', weight: o.weight, scale: o.scale, fn: (ctx) => f(ctx.result) };
  });
  const constraints = (goal.constraints ?? []).map((text, i): ConstraintSpec<Kpis> => {
    const m = typeof text === 'string' ? COMPARISON.exec(text) : null;
    if (!m || m[3].startsWith('=')) throw new ConfigError('bad constraint', `constraint ${i + 1} must compare two expressions with <=, >=, < or >: "${String(text)}"`);
    const lhs = value(compileExpression(m[1], symbols));
    const rhs = value(compileExpression(m[3], symbols));
    const lessThan = m[2].startsWith('<');
    return { name: text, fn: (ctx) => (lessThan ? lhs(ctx.result) - rhs(ctx.result) : rhs(ctx.result) - lhs(ctx.result)) };
  });
  return { objectives, constraints };
}

/** The optimisation problem: variables, one what-if per evaluation, objectives over its KPIs. */
export function simulationProblem(sim: CompiledSimulator, goal: SimulationGoal, ctx: WhatIfContext): Problem<Kpis> {
  if (!isRecord(goal) || !Array.isArray(goal.variables) || goal.variables.length === 0) throw new ConfigError('no variables', 'give the decision variables');
  for (const v of goal.variables) checkVariableTarget(sim, (v as { name: string }).name);
  const { objectives, constraints } = compileGoal(goal, kpiSymbols(sim));
  return {
    variables: goal.variables,
    evaluate: (point) => {
      try {
        const request = requestFor(point, goal.evaluation);
        if (!sim.line) delete request.line;
        const answer = whatIf(sim, request, ctx);
        return Object.fromEntries(Object.entries(answer.kpis).map(([k, v]) => [kpiSymbol(k), v]));
      } catch (err) {
        // A setting the model cannot run (a runaway, an impossible line) scores as failed, not fatal.
        if (err instanceof InputError) return {};
        throw err;
      }
    },
    objectives,
    constraints,
  };
}
