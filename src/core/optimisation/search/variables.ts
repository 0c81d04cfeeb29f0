/**
 * Decision variables of an optimisation: continuous, integer and categorical, each with bounds (or
 * values) and an optional step. A point is held two ways:
 *
 * - named (`Point`): `{ speed: 1.25, shifts: 2, mode: 'eco' }`, what objectives and the node see;
 * - encoded (`number[]`, one entry per variable in the order given): continuous and integer
 *   variables as their value, a categorical one as the index of its value in `values`.
 *
 * `snap` puts an encoded vector on the grid (clamped to the bounds, integers and stepped
 * variables rounded to `min + k·step`, categorical indices rounded): optimisers evaluate only
 * snapped points, so two candidates that snap to the same point are the same point (memoised).
 * Algorithms that search a continuous relaxation (CMA-ES, Nelder–Mead) use `relaxedLower` /
 * `relaxedUpper`: the bounds widened by half a step on discrete variables, so that rounding gives
 * every grid value (the end ones included) a cell of the same width.
 */
import { ConfigError, InputError } from '../../errors';
import type { SeededRandom } from '../../simulation/des/random';

export type CategoryValue = string | number | boolean;

export interface ContinuousVariable {
  name: string;
  kind: 'continuous';
  min: number;
  max: number;
  /** Grid spacing from `min` (optional): values are then min + k·step. */
  step?: number;
  /** A starting value (optional), used by the first local search / first individual. */
  initial?: number;
}

export interface IntegerVariable {
  name: string;
  kind: 'integer';
  min: number;
  max: number;
  /** Integer grid spacing from `min` (default 1). */
  step?: number;
  initial?: number;
}

export interface CategoricalVariable {
  name: string;
  kind: 'categorical';
  values: CategoryValue[];
  initial?: CategoryValue;
}

export type VariableSpec = ContinuousVariable | IntegerVariable | CategoricalVariable;

/** A decoded point: variable name → value. */
export type Point = Record<string, number | CategoryValue>;

let keyBuffer = new Float64Array(16);
let keyWords = new Uint16Array(keyBuffer.buffer);

const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Removes the float noise of `min + k·step` (0.1 + 2·0.1 → 0.3), so equal grid points have one key. */
function clean(v: number): number {
  return v === 0 ? 0 : parseFloat(v.toPrecision(15));
}

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  try {
    return typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
  } catch {
    return String(v);
  }
}

/**
 * Checks a list of variable definitions. Throws ConfigError('bad variable', …) naming the variable
 * (or its position, when it has no usable name). Returns copies, with integer steps defaulted to 1.
 */
export function validateVariables(specs: unknown): VariableSpec[] {
  if (!Array.isArray(specs) || specs.length === 0) throw new ConfigError('no variables', 'variables must be a non-empty list of {name, kind, ...}');
  const names = new Set<string>();
  return specs.map((raw, i): VariableSpec => {
    const where = (name?: unknown): string => (typeof name === 'string' && name !== '' ? `variable "${name}"` : `variable #${i + 1}`);
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError('bad variable', `${where()}: must be an object, got ${describe(raw)}`);
    const s = raw as Record<string, unknown>;
    const bad = (why: string): never => {
      throw new ConfigError('bad variable', `${where(s.name)}: ${why}`);
    };
    if (typeof s.name !== 'string' || s.name.trim() === '') bad(`needs a non-empty name, got ${describe(s.name)}`);
    const name = s.name as string;
    if (names.has(name)) bad('the name is used twice');
    names.add(name);
    switch (s.kind) {
      case 'continuous':
      case 'integer': {
        const integer = s.kind === 'integer';
        if (!isFiniteNumber(s.min)) bad(`min must be a finite number, got ${describe(s.min)}`);
        if (!isFiniteNumber(s.max)) bad(`max must be a finite number, got ${describe(s.max)}`);
        const min = s.min as number, max = s.max as number;
        if (min > max) bad(`min ${min} > max ${max}`);
        if (integer && (!Number.isInteger(min) || !Number.isInteger(max))) bad(`an integer variable needs integer min and max, got ${min} and ${max}`);
        let step: number | undefined;
        if (s.step !== undefined) {
          if (!isFiniteNumber(s.step) || s.step <= 0) bad(`step must be a finite number > 0, got ${describe(s.step)}`);
          step = s.step as number;
          if (integer && !Number.isInteger(step)) bad(`an integer variable needs an integer step, got ${step}`);
          if ((max - min) / step > 1e9) bad(`step ${step} gives more than 1e9 grid values`);
        } else if (integer) step = 1;
        const out: ContinuousVariable | IntegerVariable = integer ? { name, kind: 'integer', min, max, step } : { name, kind: 'continuous', min, max };
        if (!integer && step !== undefined) out.step = step;
        if (s.initial !== undefined) {
          if (!isFiniteNumber(s.initial) || s.initial < min || s.initial > max) bad(`initial must be a number in [${min}, ${max}], got ${describe(s.initial)}`);
          out.initial = s.initial as number;
        }
        const extra = Object.keys(s).filter((k) => !['name', 'kind', 'min', 'max', 'step', 'initial', 'unit', 'description'].includes(k));
        if (extra.length > 0) bad(`unknown field(s) ${extra.join(', ')} for a ${s.kind} variable`);
        return out;
      }
      case 'categorical': {
        if (!Array.isArray(s.values) || s.values.length === 0) bad('a categorical variable needs a non-empty list of values');
        const values = s.values as unknown[];
        const seen = new Set<string>();
        values.forEach((v, k) => {
          const ok = typeof v === 'string' || typeof v === 'boolean' || isFiniteNumber(v);
          if (!ok) bad(`values[${k}] = ${describe(v)} is not a string, finite number or boolean`);
          const key = `${typeof v}:${String(v)}`;
          if (seen.has(key)) bad(`value ${describe(v)} is listed twice`);
          seen.add(key);
        });
        const out: CategoricalVariable = { name, kind: 'categorical', values: values.slice() as CategoryValue[] };
        if (s.initial !== undefined) {
          if (!values.includes(s.initial)) bad(`initial ${describe(s.initial)} is not one of the values`);
          out.initial = s.initial as CategoryValue;
        }
        const extra = Object.keys(s).filter((k) => !['name', 'kind', 'values', 'initial', 'description'].includes(k));
        if (extra.length > 0) bad(`unknown field(s) ${extra.join(', ')} for a categorical variable`);
        return out;
      }
      default:
        return bad(`kind must be 'continuous', 'integer' or 'categorical', got ${describe(s.kind)}`);
    }
  });
}

/** Validated variables with the encodings every optimiser uses. */
export class VariableSpace {
  readonly variables: readonly VariableSpec[];
  readonly dimension: number;
  readonly names: readonly string[];
  /** Bounds of the encoded vector (categorical: 0 … values.length − 1; stepped: the last grid value ≤ max). */
  readonly lower: readonly number[];
  readonly upper: readonly number[];
  /** Bounds widened by half a step on discrete variables (integer, stepped, categorical). */
  readonly relaxedLower: readonly number[];
  readonly relaxedUpper: readonly number[];
  /** Grid spacing of the encoded coordinate (0 for a continuous variable without step). */
  readonly steps: readonly number[];
  readonly kinds: readonly VariableSpec['kind'][];

  constructor(specs: unknown) {
    this.variables = validateVariables(specs);
    this.dimension = this.variables.length;
    this.names = this.variables.map((v) => v.name);
    this.kinds = this.variables.map((v) => v.kind);
    const lower: number[] = [], upper: number[] = [], steps: number[] = [];
    for (const v of this.variables) {
      if (v.kind === 'categorical') {
        lower.push(0);
        upper.push(v.values.length - 1);
        steps.push(1);
      } else {
        const step = v.step ?? 0;
        lower.push(v.min);
        upper.push(step > 0 ? clean(v.min + Math.floor((v.max - v.min) / step + 1e-9) * step) : v.max);
        steps.push(step);
      }
    }
    this.lower = lower;
    this.upper = upper;
    this.steps = steps;
    this.relaxedLower = lower.map((l, i) => l - steps[i] / 2);
    this.relaxedUpper = upper.map((u, i) => u + steps[i] / 2);
  }

  /** True for a coordinate that takes grid values only (integer, stepped continuous, categorical). */
  isDiscrete(i: number): boolean {
    return this.steps[i] > 0;
  }

  /** Puts a vector on the grid and into the bounds. Non-finite coordinates become the lower bound. */
  snap(x: readonly number[]): number[] {
    if (x.length !== this.dimension) throw new InputError('bad vector', `expected ${this.dimension} coordinates, got ${x.length}`);
    const out = new Array<number>(this.dimension);
    for (let i = 0; i < this.dimension; i++) out[i] = this.snapOne(i, x[i]);
    return out;
  }

  snapOne(i: number, value: number): number {
    const lo = this.lower[i], hi = this.upper[i], step = this.steps[i];
    let v = Number.isFinite(value) ? Math.min(hi, Math.max(lo, value)) : lo;
    if (step > 0) {
      const k = Math.round((v - lo) / step);
      v = this.kinds[i] === 'categorical' ? k : clean(lo + k * step);
      if (v > hi) v = hi;
    }
    return v;
  }

  /** Named values of an encoded vector (snapped first). */
  decode(x: readonly number[]): Point {
    const s = this.snap(x);
    const out: Point = {};
    this.variables.forEach((v, i) => {
      out[v.name] = v.kind === 'categorical' ? v.values[s[i]] : s[i];
    });
    return out;
  }

  /**
   * Encoded vector of a named point. Every variable must be given, in range, and a categorical one
   * with one of its values; otherwise InputError naming the variable. The result is snapped.
   */
  encode(point: unknown): number[] {
    if (point === null || typeof point !== 'object' || Array.isArray(point)) throw new InputError('bad point', `a point must be an object of variable values, got ${describe(point)}`);
    const p = point as Record<string, unknown>;
    const unknown = Object.keys(p).filter((k) => !this.names.includes(k));
    if (unknown.length > 0) throw new InputError('bad point', `unknown variable(s) ${unknown.map((k) => `"${k}"`).join(', ')}`);
    return this.variables.map((v, i) => {
      const value = p[v.name];
      if (value === undefined) throw new InputError('bad point', `variable "${v.name}" is missing`);
      if (v.kind === 'categorical') {
        const k = v.values.indexOf(value as CategoryValue);
        if (k < 0) throw new InputError('bad point', `variable "${v.name}": ${describe(value)} is not one of ${describe(v.values)}`);
        return k;
      }
      if (!isFiniteNumber(value)) throw new InputError('bad point', `variable "${v.name}": ${describe(value)} is not a finite number`);
      if (value < v.min || value > v.max) throw new InputError('bad point', `variable "${v.name}": ${value} is outside [${v.min}, ${v.max}]`);
      if (v.kind === 'integer' && !Number.isInteger(value)) throw new InputError('bad point', `variable "${v.name}": ${value} is not an integer`);
      return this.snapOne(i, value);
    });
  }

  /** The variables' `initial` values where given, the middle of the range (first value) elsewhere; snapped. */
  initial(): number[] {
    return this.snap(
      this.variables.map((v, i) => {
        if (v.kind === 'categorical') return v.initial === undefined ? 0 : v.values.indexOf(v.initial);
        return v.initial ?? (this.lower[i] + this.upper[i]) / 2;
      }),
    );
  }

  /** True when at least one variable defines `initial`. */
  hasInitial(): boolean {
    return this.variables.some((v) => v.initial !== undefined);
  }

  /** A uniformly random snapped point (every grid value of a discrete variable equally likely). */
  sample(rng: SeededRandom): number[] {
    const out = new Array<number>(this.dimension);
    for (let i = 0; i < this.dimension; i++) {
      const step = this.steps[i];
      if (step > 0) {
        const count = Math.round((this.upper[i] - this.lower[i]) / step) + 1;
        const k = Math.min(count - 1, Math.floor(rng.next() * count));
        out[i] = this.kinds[i] === 'categorical' ? k : clean(this.lower[i] + k * step);
      } else {
        out[i] = this.lower[i] + rng.next() * (this.upper[i] - this.lower[i]);
      }
    }
    return out;
  }

  /** Relaxed coordinates → [0, 1] (a degenerate range maps to 0.5). */
  toUnit(x: readonly number[]): number[] {
    return x.map((v, i) => {
      const w = this.relaxedUpper[i] - this.relaxedLower[i];
      return w > 0 ? (v - this.relaxedLower[i]) / w : 0.5;
    });
  }

  /** [0, 1] → relaxed coordinates (not snapped). */
  fromUnit(u: readonly number[]): number[] {
    return u.map((v, i) => this.relaxedLower[i] + v * (this.relaxedUpper[i] - this.relaxedLower[i]));
  }

  /**
   * A string that identifies a snapped vector (the memo key): the raw bits of each coordinate as
   * four UTF-16 code units (−0 counted as 0), much shorter than decimal text.
   */
  key(snapped: readonly number[]): string {
    const n = snapped.length;
    if (keyBuffer.length < n) {
      keyBuffer = new Float64Array(n);
      keyWords = new Uint16Array(keyBuffer.buffer);
    }
    for (let i = 0; i < n; i++) keyBuffer[i] = snapped[i] + 0;
    let out = '';
    for (let i = 0; i < 4 * n; i += 4096) out += String.fromCharCode.apply(null, keyWords.subarray(i, Math.min(4 * n, i + 4096)) as unknown as number[]);
    return out;
  }
}
