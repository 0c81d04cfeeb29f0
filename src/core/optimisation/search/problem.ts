/**
 * What is optimised: variables, an optional expensive `evaluate` (a simulation run) whose result is
 * handed to the objectives and constraints, the objectives (minimised or maximised) and the
 * constraints g(x) ≤ 0. The objectives and constraints are cheap functions of that result, so
 * they can be replaced while an optimiser runs: every stored individual is re-scored from its
 * stored result without running the simulation again.
 *
 * Scoring of one individual:
 * - `objectives`: the values as the objective functions return them (the user's sense);
 * - `f`: the same turned into minimisation (× −1 for `sense: 'max'`); a non-finite objective
 *   value marks the individual failed: f = +Infinity and violation = +Infinity;
 * - `violation`: Σ max(0, g_j − tolerance) over the constraints (0 = feasible);
 * - `value`: the scalar the single-objective optimisers minimise: Σ_k w_k · f_k / scale_k.
 *
 * Deb's feasibility rules (`debBetter`): a feasible individual beats an infeasible one, of two
 * infeasible ones the smaller violation wins, of two feasible ones the smaller value.
 */
import { ConfigError, InputError } from '../../errors';
import type { Point, VariableSpace, VariableSpec } from './variables';

export interface EvalContext<R = unknown> {
  /** Named variable values. */
  point: Point;
  /** The encoded, snapped vector (categorical variables as value indices). */
  x: readonly number[];
  /** What `problem.evaluate` returned (undefined without one). */
  result: R;
}

export type ObjectiveFn<R = unknown> = (ctx: EvalContext<R>) => number;
export type ConstraintFn<R = unknown> = (ctx: EvalContext<R>) => number;

export interface ObjectiveSpec<R = unknown> {
  name?: string;
  fn: ObjectiveFn<R>;
  /** 'min' (default) or 'max'. */
  sense?: 'min' | 'max';
  /** Weight in the scalarisation (default 1; see setWeights). */
  weight?: number;
  /** Divides the objective in the weighted sum of the single-objective optimisers (default 1). */
  scale?: number;
}

export interface ConstraintSpec<R = unknown> {
  name?: string;
  /** Feasible when fn(ctx) ≤ 0. */
  fn: ConstraintFn<R>;
}

export type ObjectivesInput<R = unknown> = ObjectiveFn<R> | ObjectiveSpec<R> | Array<ObjectiveFn<R> | ObjectiveSpec<R>>;
export type ConstraintsInput<R = unknown> = Array<ConstraintFn<R> | ConstraintSpec<R>>;
export type WeightsInput = number[] | Record<string, number>;

export interface Problem<R = unknown> {
  variables: VariableSpec[];
  /** The expensive part, run once per distinct snapped point and counted as an evaluation. */
  evaluate?: (point: Point, x: readonly number[]) => R;
  objectives: ObjectivesInput<R>;
  constraints?: ConstraintsInput<R>;
}

export interface Objective<R = unknown> {
  name: string;
  fn: ObjectiveFn<R>;
  sign: 1 | -1;
  weight: number;
  scale: number;
}

export interface Constraint<R = unknown> {
  name: string;
  fn: ConstraintFn<R>;
}

/**
 * One evaluated point as the optimisers hold it. The named point is not kept (decoded from x when
 * needed): objects with many number fields are costly for the garbage collector when thousands of
 * individuals are retained.
 */
export interface Individual {
  x: number[];
  key: string;
  result: unknown;
  objectives: number[];
  f: number[];
  constraints: number[];
  violation: number;
  value: number;
  failed: boolean;
  /** Order of evaluation (1-based), for stable tie-breaking. */
  seq: number;
}

/** A solution as returned to callers. */
export interface Solution {
  point: Point;
  x: number[];
  /** Objective values in the objectives' own sense. */
  objectives: number[];
  /** Objective values by name. */
  named: Record<string, number>;
  /** The scalar the single-objective optimisers minimise (weighted sum). */
  value: number;
  constraints: number[];
  violation: number;
  feasible: boolean;
  result: unknown;
}

export function normaliseObjectives<R>(input: unknown): Objective<R>[] {
  const list = Array.isArray(input) ? input : [input];
  if (list.length === 0) throw new ConfigError('no objective', 'objectives must be a function, an {fn} object or a non-empty list of them');
  const names = new Set<string>();
  return list.map((o, i) => {
    const spec = typeof o === 'function' ? ({ fn: o } as ObjectiveSpec<R>) : (o as ObjectiveSpec<R>);
    const where = `objective #${i + 1}${spec && typeof spec.name === 'string' ? ` "${spec.name}"` : ''}`;
    if (spec === null || typeof spec !== 'object' || typeof spec.fn !== 'function') throw new ConfigError('bad objective', `${where}: must be a function or an object with fn`);
    if (spec.name !== undefined && (typeof spec.name !== 'string' || spec.name === '')) throw new ConfigError('bad objective', `${where}: name must be a non-empty string`);
    const name = spec.name ?? `f${i + 1}`;
    if (names.has(name)) throw new ConfigError('bad objective', `${where}: the name "${name}" is used twice`);
    names.add(name);
    if (spec.sense !== undefined && spec.sense !== 'min' && spec.sense !== 'max') throw new ConfigError('bad objective', `${where}: sense must be 'min' or 'max', got ${String(spec.sense)}`);
    const weight = spec.weight ?? 1;
    if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0) throw new ConfigError('bad objective', `${where}: weight must be a finite number >= 0`);
    const scale = spec.scale ?? 1;
    if (typeof scale !== 'number' || !Number.isFinite(scale) || scale <= 0) throw new ConfigError('bad objective', `${where}: scale must be a finite number > 0`);
    return { name, fn: spec.fn, sign: spec.sense === 'max' ? -1 : 1, weight, scale };
  });
}

export function normaliseConstraints<R>(input: unknown): Constraint<R>[] {
  if (input === undefined || input === null) return [];
  if (!Array.isArray(input)) throw new ConfigError('bad constraints', 'constraints must be a list of functions g(ctx) (feasible when <= 0) or {name, fn}');
  return input.map((c, i) => {
    const spec = typeof c === 'function' ? ({ fn: c } as ConstraintSpec<R>) : (c as ConstraintSpec<R>);
    if (spec === null || typeof spec !== 'object' || typeof spec.fn !== 'function') throw new ConfigError('bad constraint', `constraint #${i + 1}: must be a function or an object with fn`);
    return { name: typeof spec.name === 'string' && spec.name !== '' ? spec.name : `g${i + 1}`, fn: spec.fn };
  });
}

/** Weights by position or by objective name; missing names keep their weight. Sum must be > 0. */
export function applyWeights<R>(objectives: Objective<R>[], weights: unknown, asInput = true): Objective<R>[] {
  const Err = asInput ? InputError : ConfigError;
  const fail = (why: string): never => {
    throw new Err('bad weights', why);
  };
  let list: number[];
  if (Array.isArray(weights)) {
    if (weights.length !== objectives.length) fail(`expected ${objectives.length} weights, got ${weights.length}`);
    list = weights as number[];
  } else if (weights !== null && typeof weights === 'object') {
    const w = weights as Record<string, unknown>;
    const unknown = Object.keys(w).filter((k) => !objectives.some((o) => o.name === k));
    if (unknown.length > 0) fail(`unknown objective(s) ${unknown.join(', ')}; objectives are ${objectives.map((o) => o.name).join(', ')}`);
    list = objectives.map((o) => (w[o.name] === undefined ? o.weight : (w[o.name] as number)));
  } else {
    return fail('weights must be a list of numbers or an object {objectiveName: weight}');
  }
  list.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) fail(`weight of "${objectives[i].name}" must be a finite number >= 0, got ${String(v)}`);
  });
  if (!(list.reduce((s, v) => s + v, 0) > 0)) fail('at least one weight must be > 0');
  return objectives.map((o, i) => ({ ...o, weight: list[i] }));
}

export class Scorer<R = unknown> {
  objectives: Objective<R>[];
  constraints: Constraint<R>[];
  constructor(
    private readonly space: VariableSpace,
    objectives: Objective<R>[],
    constraints: Constraint<R>[],
    readonly tolerance: number,
  ) {
    this.objectives = objectives;
    this.constraints = constraints;
  }

  /** Computes objectives and constraints from the stored result (calls the cheap functions). */
  score(ind: Individual, point?: Point): void {
    const ctx: EvalContext<R> = { point: point ?? Object.freeze(this.space.decode(ind.x)), x: ind.x, result: ind.result as R };
    ind.objectives = this.objectives.map((o) => {
      const v = o.fn(ctx);
      return typeof v === 'number' ? v : NaN;
    });
    ind.constraints = this.constraints.map((c) => {
      const v = c.fn(ctx);
      return typeof v === 'number' ? v : NaN;
    });
    this.derive(ind);
  }

  /** f, violation and value from the stored objective and constraint values (no function calls). */
  derive(ind: Individual): void {
    ind.failed = false;
    ind.f = ind.objectives.map((v, k) => {
      if (!Number.isFinite(v)) {
        ind.failed = true;
        return Infinity;
      }
      return this.objectives[k].sign * v;
    });
    let violation = 0;
    for (const g of ind.constraints) {
      if (Number.isNaN(g)) violation = Infinity;
      else if (g > this.tolerance) violation += g - this.tolerance;
    }
    ind.violation = ind.failed ? Infinity : violation;
    let value = 0;
    if (ind.failed) value = Infinity;
    else for (let k = 0; k < ind.f.length; k++) if (this.objectives[k].weight > 0) value += (this.objectives[k].weight * ind.f[k]) / this.objectives[k].scale;
    ind.value = value;
  }

  solution(ind: Individual): Solution {
    const named: Record<string, number> = {};
    this.objectives.forEach((o, k) => {
      named[o.name] = ind.objectives[k];
    });
    return {
      point: this.space.decode(ind.x),
      x: ind.x.slice(),
      objectives: ind.objectives.slice(),
      named,
      value: ind.value,
      constraints: ind.constraints.slice(),
      violation: ind.violation,
      feasible: ind.violation === 0,
      result: ind.result,
    };
  }
}

/** Deb's feasibility rules on the scalar value; ties broken by evaluation order (older first). */
export function debBetter(a: Individual, b: Individual): boolean {
  return debCompare(a, b) < 0;
}

export function debCompare(a: Individual, b: Individual): number {
  const av = a.violation, bv = b.violation;
  if (av === 0 && bv === 0) {
    if (a.value !== b.value) return a.value < b.value ? -1 : 1;
  } else if (av === 0) return -1;
  else if (bv === 0) return 1;
  else if (av !== bv) return av < bv ? -1 : 1;
  else if (a.value !== b.value && !(Number.isNaN(a.value) || Number.isNaN(b.value))) return a.value < b.value ? -1 : 1;
  return a.seq - b.seq;
}
