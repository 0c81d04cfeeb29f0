/**
 * A continuous physics model of a machine: states with equations "dT/dt = ...", boundary inputs,
 * parameters and algebraic outputs, bound to twin signals by key. Built once at deploy (expressions
 * compiled in the restricted mathjs instance, units checked, factors fixed), then run many times.
 *
 * Time: the model's clock runs in `timeUnit` (default seconds); `duration`, `step` and input series
 * times are in that unit, starting at 0 = the moment of the run's initial state.
 */
import { ConfigError, InputError, clip } from '../errors';
import { compileExpression, parseStateEquation, type CompiledExpression } from './expressions';
import { integrateAdaptive, integrateRk4, type OdeRhs } from './ode';
import { conversionFactor, quantityOf, quantityOfExpression, rateFactor, type Quantity } from './unit-check';

export interface PhysicsStateSpec {
  /** Twin signal key ("line/press1/temperature") the state follows. */
  signal?: string;
  unit?: string | null;
  /** Used when a run gives no value and no synchronised value is known. */
  initial?: number;
}

export interface PhysicsInputSpec {
  signal?: string;
  unit?: string | null;
  /** Used when a run gives no value and no synchronised value is known. */
  value?: number;
}

export interface PhysicsParameterSpec {
  /** Optional: "<asset path>/<parameter>" of the twin model, whose value and unit are used. */
  from?: string;
  value: number;
  unit?: string | null;
  /** Bounds for calibration. */
  min?: number;
  max?: number;
}

export interface PhysicsOutputSpec {
  expression: string;
  unit?: string | null;
  signal?: string;
}

export interface PhysicsSpec {
  timeUnit?: string;
  states: Record<string, PhysicsStateSpec>;
  inputs?: Record<string, PhysicsInputSpec>;
  parameters?: Record<string, PhysicsParameterSpec>;
  equations: string[];
  outputs?: Record<string, PhysicsOutputSpec>;
  solver?: { method?: 'rk4' | 'adaptive'; step?: number };
}

/** Values over time: times relative to the run start (model time unit), held linearly between. */
export interface InputSeries {
  t: number[];
  v: number[];
}

export interface PhysicsRun {
  initial?: Record<string, number>;
  inputs?: Record<string, number | InputSeries>;
  parameters?: Record<string, number>;
  duration: number;
  /** Spacing of the returned points (default: the solver step). */
  outputEvery?: number;
  /** Solver steps before InputError 'step limit' (default 1,000,000). */
  maxSteps?: number;
  /** Wall time before InputError 'time limit' (default 2,000 ms). */
  maxWallMs?: number;
}

export interface PhysicsTrajectory {
  times: number[];
  states: Record<string, number[]>;
  outputs: Record<string, number[]>;
  steps: number;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
// Names special on every JavaScript object would set a prototype instead of a result, so they are refused too.
const RESERVED = new Set(['t', 'pi', 'e', 'tau', '__proto__', 'constructor', 'prototype']);

function isRecord(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}

function entries<T>(x: unknown, what: string): Array<[string, T]> {
  if (x === undefined) return [];
  if (!isRecord(x)) throw new ConfigError('bad physics', `${what} must be an object of name: definition`);
  return Object.entries(x).map(([name, def]) => {
    if (!NAME.test(name) || RESERVED.has(name)) throw new ConfigError('bad name', `${what}: "${name}" cannot be a name (letters, digits, _; not t, pi, e, tau)`);
    if (!isRecord(def)) throw new ConfigError('bad physics', `${what}.${name} must be an object`);
    return [name, def as T];
  });
}

function finiteOr(x: unknown, what: string, optional: boolean): number | undefined {
  if (x === undefined && optional) return undefined;
  if (typeof x !== 'number' || !Number.isFinite(x)) throw new ConfigError('bad number', `${what} must be a finite number`);
  return x;
}

function unitText(x: unknown, what: string): string | null {
  if (x === undefined || x === null || x === '') return null;
  if (typeof x !== 'string') throw new ConfigError('bad unit', `${what}.unit must be text`);
  return x;
}

export class PhysicsModel {
  readonly timeUnit: string;
  readonly stateNames: readonly string[];
  readonly inputNames: readonly string[];
  readonly parameterNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly states: Readonly<Record<string, PhysicsStateSpec>>;
  readonly inputs: Readonly<Record<string, PhysicsInputSpec>>;
  readonly parameters: Readonly<Record<string, PhysicsParameterSpec>>;
  readonly outputs: Readonly<Record<string, PhysicsOutputSpec>>;
  readonly method: 'rk4' | 'adaptive';
  readonly step: number;
  /** Per state (in stateNames order): equation and unit factor. */
  private readonly rates: Array<{ rhs: CompiledExpression; factor: number }>;
  private readonly outputExpressions: Array<{ expression: CompiledExpression; factor: number }>;
  /** SI scale of each symbol's unit, applied when the scope is filled. */
  private readonly scales = new Map<string, number>();
  private readonly stateScales: number[];
  private readonly inputScales: number[];

  /** Builds and checks the model; ConfigError with the position for bad expressions and units. */
  constructor(spec: PhysicsSpec) {
    if (!isRecord(spec)) throw new ConfigError('bad physics', 'the physics model must be an object');
    const timeUnit = spec.timeUnit ?? 's';
    if (typeof timeUnit !== 'string') throw new ConfigError('bad unit', 'timeUnit must be text');
    const time = quantityOf(timeUnit, 'timeUnit');
    if (time.dimensions.some((x, i) => x !== (i === 2 ? 1 : 0))) throw new ConfigError('bad unit', `timeUnit "${timeUnit}" is not a time`);
    this.timeUnit = timeUnit;

    const states = entries<PhysicsStateSpec>(spec.states, 'states');
    if (states.length === 0) throw new ConfigError('no states', 'the physics model needs at least one state');
    const inputs = entries<PhysicsInputSpec>(spec.inputs, 'inputs');
    const parameters = entries<PhysicsParameterSpec>(spec.parameters, 'parameters');
    const outputs = entries<PhysicsOutputSpec>(spec.outputs, 'outputs');
    const seen = new Set<string>();
    for (const [name] of [...states, ...inputs, ...parameters, ...outputs]) {
      if (seen.has(name)) throw new ConfigError('duplicate name', `"${name}" is defined twice`);
      seen.add(name);
    }
    const quantities = new Map<string, Quantity>([['t', time]]);
    const clean = <T extends { unit?: string | null; signal?: string }>(group: string, list: Array<[string, T]>, check: (name: string, def: T) => void): Record<string, T> => {
      const out: Record<string, T> = {};
      for (const [name, def] of list) {
        const unit = unitText(def.unit, `${group}.${name}`);
        if (def.signal !== undefined && (typeof def.signal !== 'string' || def.signal.trim() === '')) throw new ConfigError('bad signal', `${group}.${name}.signal must be a signal key`);
        check(name, def);
        if (group !== 'outputs') quantities.set(name, quantityOf(unit, `${group}.${name}`));
        out[name] = { ...def, unit };
      }
      return out;
    };
    this.states = clean('states', states, (n, d) => finiteOr(d.initial, `states.${n}.initial`, true));
    this.inputs = clean('inputs', inputs, (n, d) => finiteOr(d.value, `inputs.${n}.value`, true));
    this.parameters = clean('parameters', parameters, (n, d) => {
      finiteOr(d.value, `parameters.${n}.value`, false);
      const min = finiteOr(d.min, `parameters.${n}.min`, true);
      const max = finiteOr(d.max, `parameters.${n}.max`, true);
      if (min !== undefined && max !== undefined && min > max) throw new ConfigError('bad bounds', `parameters.${n}: min is above max`);
    });
    this.stateNames = states.map(([n]) => n);
    this.inputNames = inputs.map(([n]) => n);
    this.parameterNames = parameters.map(([n]) => n);
    const symbols = ['t', ...this.stateNames, ...this.inputNames, ...this.parameterNames];

    if (!Array.isArray(spec.equations)) throw new ConfigError('bad physics', 'equations must be a list of "dX/dt = ..." texts');
    const byState = new Map<string, { rhs: CompiledExpression; factor: number }>();
    for (const text of spec.equations) {
      const eq = parseStateEquation(text, symbols);
      if (!this.stateNames.includes(eq.state)) throw new ConfigError('unknown state', `"${eq.state}" in "${text}" is not a declared state`);
      if (byState.has(eq.state)) throw new ConfigError('duplicate equation', `two equations for d${eq.state}/dt`);
      const rhs = quantityOfExpression(eq.rhs.tree, quantities, text);
      const stateUnit = this.states[eq.state].unit ? (quantities.get(eq.state) as Quantity) : null;
      byState.set(eq.state, { rhs: eq.rhs, factor: rateFactor(rhs, stateUnit, time, text) });
    }
    for (const [name, q] of quantities) this.scales.set(name, q.scale);
    for (const s of this.stateNames) if (!byState.has(s)) throw new ConfigError('missing equation', `no equation "d${s}/dt = ..." for state ${s}`);
    this.rates = this.stateNames.map((s) => byState.get(s) as { rhs: CompiledExpression; factor: number });

    this.stateScales = this.stateNames.map((n) => this.scales.get(n) ?? 1);
    this.inputScales = this.inputNames.map((n) => this.scales.get(n) ?? 1);
    this.outputs = clean('outputs', outputs, (n, d) => {
      if (typeof d.expression !== 'string') throw new ConfigError('bad output', `outputs.${n}.expression must be text`);
    });
    this.outputNames = outputs.map(([n]) => n);
    this.outputExpressions = this.outputNames.map((name) => {
      const def = this.outputs[name];
      const expression = compileExpression(def.expression, symbols);
      const q = quantityOfExpression(expression.tree, quantities, def.expression);
      const factor = def.unit ? conversionFactor(q, quantityOf(def.unit, `outputs.${name}`), def.expression) : 1;
      return { expression, factor };
    });

    const solver = spec.solver ?? {};
    if (!isRecord(solver)) throw new ConfigError('bad solver', 'solver must be an object');
    if (solver.method !== undefined && solver.method !== 'rk4' && solver.method !== 'adaptive') throw new ConfigError('bad solver', 'solver.method must be "rk4" or "adaptive"');
    this.method = solver.method ?? 'rk4';
    this.step = finiteOr(solver.step ?? 1, 'solver.step', false) as number;
    if (!(this.step > 0)) throw new ConfigError('bad solver', 'solver.step must be positive');
  }

  /** Parameter values of the spec, with overrides (unknown names refused). */
  parameterValues(overrides: Record<string, number> = {}): Record<string, number> {
    const values: Record<string, number> = {};
    for (const p of this.parameterNames) values[p] = this.parameters[p].value;
    if (!isRecord(overrides)) throw new InputError('bad parameters', 'parameters must be an object of name: number');
    for (const [name, v] of Object.entries(overrides)) {
      if (!this.parameterNames.includes(name)) throw new InputError('unknown parameter', `no parameter "${name}" (known: ${this.parameterNames.join(', ') || 'none'})`);
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new InputError('bad parameter', `parameter ${name} must be a finite number`);
      values[name] = v;
    }
    return values;
  }

  /** Runs the model; InputError for missing values, non-finite results and limits. */
  simulate(run: PhysicsRun): PhysicsTrajectory {
    if (!isRecord(run)) throw new InputError('bad run', 'a run must be an object');
    const duration = run.duration;
    if (typeof duration !== 'number' || !Number.isFinite(duration) || duration < 0) throw new InputError('bad duration', 'duration must be a finite number >= 0');
    const every = run.outputEvery ?? this.step;
    if (typeof every !== 'number' || !(every > 0) || !Number.isFinite(every)) throw new InputError('bad outputEvery', 'outputEvery must be a positive number');
    const maxSteps = run.maxSteps ?? 1_000_000;
    const maxWallMs = run.maxWallMs ?? 2000;
    if (Math.ceil(duration / Math.min(every, this.step)) > maxSteps) {
      throw new InputError('step limit', `${duration} ${this.timeUnit} in steps of ${Math.min(every, this.step)} is more than ${maxSteps} steps`);
    }
    const scope: Record<string, number> = this.parameterValues(run.parameters);
    for (const p of this.parameterNames) scope[p] *= this.scales.get(p) ?? 1;
    const inputAt = this.inputFunctions(run.inputs ?? {});
    const y0 = this.stateNames.map((s) => {
      const v = run.initial?.[s] ?? this.states[s].initial;
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new InputError('missing value', `no initial value for state ${s}`);
      return v;
    });
    const started = Date.now();
    let evaluations = 0;
    const rhs: OdeRhs = (t, y, dydt) => {
      if ((++evaluations & 1023) === 0 && Date.now() - started > maxWallMs) throw new InputError('time limit', `the run took longer than ${maxWallMs} ms`);
      this.fillScope(scope, t, y, inputAt);
      for (let i = 0; i < this.rates.length; i++) dydt[i] = this.rates[i].rhs.evaluate(scope) * this.rates[i].factor;
    };
    const trajectory: PhysicsTrajectory = { times: [], states: {}, outputs: {}, steps: 0 };
    for (const s of this.stateNames) trajectory.states[s] = [];
    for (const o of this.outputNames) trajectory.outputs[o] = [];
    const record = (t: number, y: ArrayLike<number>): void => {
      trajectory.times.push(t);
      this.stateNames.forEach((s, i) => trajectory.states[s].push(y[i]));
      if (this.outputNames.length > 0) {
        this.fillScope(scope, t, y, inputAt);
        this.outputNames.forEach((o, i) => trajectory.outputs[o].push(this.outputExpressions[i].expression.evaluate(scope) * this.outputExpressions[i].factor));
      }
    };
    let y = y0;
    record(0, y);
    const points = Math.ceil(duration / every - 1e-9);
    for (let k = 1; k <= points; k++) {
      const t0 = (k - 1) * every;
      const t1 = Math.min(k * every, duration);
      const next = this.method === 'rk4'
        ? integrateRk4(rhs, y, t0, t1, Math.min(this.step, t1 - t0))
        : integrateAdaptive(rhs, y, t0, t1, { maxSteps });
      y = Array.from(next);
      trajectory.steps += Math.ceil((t1 - t0) / this.step - 1e-9);
      record(t1, y);
    }
    return trajectory;
  }

  /** Scope in SI: each value times its unit's scale. */
  private fillScope(scope: Record<string, number>, t: number, y: ArrayLike<number>, inputAt: Array<(t: number) => number>): void {
    scope.t = t * this.timeScale;
    for (let i = 0; i < this.stateNames.length; i++) scope[this.stateNames[i]] = y[i] * this.stateScales[i];
    for (let i = 0; i < this.inputNames.length; i++) scope[this.inputNames[i]] = inputAt[i](t) * this.inputScales[i];
  }

  private get timeScale(): number {
    return this.scales.get('t') ?? 1;
  }

  /** Seconds in one model time unit. */
  get secondsPerTimeUnit(): number {
    return this.timeScale;
  }

  /** Twin signal keys the states, inputs and outputs follow. */
  get signalKeys(): { states: Record<string, string>; inputs: Record<string, string>; outputs: Record<string, string> } {
    const pick = (group: Readonly<Record<string, { signal?: string }>>): Record<string, string> =>
      Object.fromEntries(Object.entries(group).filter(([, d]) => typeof d.signal === 'string').map(([n, d]) => [n, d.signal as string]));
    return { states: pick(this.states), inputs: pick(this.inputs), outputs: pick(this.outputs) };
  }

  private inputFunctions(given: Record<string, number | InputSeries>): Array<(t: number) => number> {
    if (!isRecord(given)) throw new InputError('bad inputs', 'inputs must be an object of name: value or {t, v}');
    for (const name of Object.keys(given)) {
      if (!this.inputNames.includes(name)) throw new InputError('unknown input', `no input "${clip(name)}" (known: ${this.inputNames.join(', ') || 'none'})`);
    }
    return this.inputNames.map((name) => {
      const v = Object.prototype.hasOwnProperty.call(given, name) ? given[name] : this.inputs[name].value;
      if (typeof v === 'number') {
        if (!Number.isFinite(v)) throw new InputError('bad input', `input ${name} must be finite`);
        return () => v;
      }
      if (v === undefined) throw new InputError('missing value', `no value for input ${name}`);
      return seriesFunction(v, name);
    });
  }
}

/** Linear interpolation over a series, held at both ends. */
export function seriesFunction(series: InputSeries, name: string): (t: number) => number {
  if (!isRecord(series) || !Array.isArray(series.t) || !Array.isArray(series.v) || series.t.length !== series.v.length || series.t.length === 0) {
    throw new InputError('bad input', `input ${name} must be a number or {t: [...], v: [...]} of equal, non-zero length`);
  }
  const t = Float64Array.from(series.t);
  const v = Float64Array.from(series.v);
  for (let i = 0; i < t.length; i++) {
    if (!Number.isFinite(t[i]) || !Number.isFinite(v[i])) throw new InputError('bad input', `input ${name}: point ${i} is not finite`);
    if (i > 0 && t[i] < t[i - 1]) throw new InputError('bad input', `input ${name}: times must not decrease (point ${i})`);
  }
  let k = 0;
  return (x: number): number => {
    if (x <= t[0]) return v[0];
    if (x >= t[t.length - 1]) return v[v.length - 1];
    if (t[k] > x) k = 0;
    while (t[k + 1] < x) k++;
    const span = t[k + 1] - t[k];
    return span > 0 ? v[k] + ((v[k + 1] - v[k]) * (x - t[k])) / span : v[k + 1];
  };
}

/** What the twin model knows: a signal's unit, a parameter's value and unit. */
export interface ModelLookup {
  unitOfSignal(key: string): string | null | undefined;
  parameter?(path: string): { value: number; unit: string | null } | undefined;
}

/**
 * Fills missing state/input/output units from the twin model's signals (by key) and parameters
 * that name a model parameter (`from`), before building. ConfigError for a `from` the model lacks.
 */
export function withModelValues(spec: PhysicsSpec, model: ModelLookup): PhysicsSpec {
  const filled = withSignalUnits(spec, (key) => model.unitOfSignal(key));
  if (!isRecord(filled.parameters)) return filled;
  const parameters: Record<string, PhysicsParameterSpec> = {};
  for (const [name, def] of Object.entries(filled.parameters)) {
    if (!isRecord(def) || def.from === undefined) {
      parameters[name] = def;
      continue;
    }
    const found = typeof def.from === 'string' ? model.parameter?.(def.from) : undefined;
    if (!found) throw new ConfigError('unknown parameter', `parameters.${name}.from: the twin model has no parameter "${String(def.from)}"`);
    parameters[name] = { ...def, value: def.value ?? found.value, unit: def.unit === undefined ? found.unit : def.unit };
  }
  return { ...filled, parameters };
}

/** Fills missing state/input units from the twin model's signals (by key), before building. */
export function withSignalUnits(spec: PhysicsSpec, unitOfSignal: (key: string) => string | null | undefined): PhysicsSpec {
  if (!isRecord(spec)) return spec;
  const fill = <T extends { unit?: string | null; signal?: string }>(group: Record<string, T> | undefined): Record<string, T> | undefined => {
    if (!isRecord(group)) return group;
    const out: Record<string, T> = {};
    for (const [name, def] of Object.entries(group)) {
      const unit = isRecord(def) && (def.unit === undefined) && typeof def.signal === 'string' ? unitOfSignal(def.signal) : undefined;
      out[name] = unit !== undefined ? { ...def, unit } : def;
    }
    return out;
  };
  return { ...spec, states: fill(spec.states) as Record<string, PhysicsStateSpec>, inputs: fill(spec.inputs), outputs: fill(spec.outputs) };
}
