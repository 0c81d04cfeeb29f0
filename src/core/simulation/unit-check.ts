/**
 * Dimensional analysis of model expressions, done once at deploy: every symbol has a unit, the
 * checked tree is walked with dimension vectors, and a mismatch ("kW + degC") is a ConfigError
 * naming the expression. Models are evaluated in SI (each symbol's value times its unit's scale),
 * so W and kW may meet in one sum; the result is turned back into the declared unit with the
 * factors computed here. Scales are those of differences: degC stays numerically degC (use K for
 * physics of absolute temperature), percent becomes a fraction.
 */
import { ConfigError } from '../errors';
import { unitDimension } from '../ingest/units';
import type { ExprTree } from './expressions';

export interface Quantity {
  /** Exponents of the base dimensions (mathjs order). */
  dimensions: number[];
  /** SI value of one unit of the quantity. */
  scale: number;
}

const BASE_NAMES = ['kg', 'm', 's', 'A', 'K', 'cd', 'mol', 'rad', 'bit'];
const DIMENSIONS = BASE_NAMES.length;

export const dimensionless: Quantity = Object.freeze({ dimensions: new Array(DIMENSIONS).fill(0), scale: 1 }) as Quantity;

/** The quantity of a unit name (null, '' or undefined: dimensionless). */
export function quantityOf(unit: string | null | undefined, where: string): Quantity {
  if (unit === null || unit === undefined || unit.trim() === '') return dimensionless;
  try {
    const d = unitDimension(unit, where);
    return { dimensions: d.dimensions.slice(0, DIMENSIONS), scale: d.scale };
  } catch (err) {
    throw new ConfigError('unknown unit', `${where}: ${(err as Error).message}`);
  }
}

/** SI base units of a dimension vector, e.g. "kg m^2 s^-3" ("1" for none). */
export function formatDimensions(dimensions: number[]): string {
  const parts = dimensions
    .map((p, i) => (p === 0 ? '' : p === 1 ? BASE_NAMES[i] : `${BASE_NAMES[i]}^${Math.round(p * 1000) / 1000}`))
    .filter((s) => s !== '');
  return parts.length === 0 ? '1 (no unit)' : parts.join(' ');
}

const sameDimensions = (a: number[], b: number[]): boolean => a.every((x, i) => Math.abs(x - b[i]) < 1e-9);
const isDimensionless = (q: Quantity): boolean => q.dimensions.every((x) => Math.abs(x) < 1e-9);

const combine = (a: Quantity, b: Quantity, sign: 1 | -1): Quantity => ({
  dimensions: a.dimensions.map((x, i) => x + sign * b.dimensions[i]),
  scale: sign === 1 ? a.scale * b.scale : a.scale / b.scale,
});
const power = (a: Quantity, p: number): Quantity => ({ dimensions: a.dimensions.map((x) => x * p), scale: a.scale ** p });
const inSi = (q: Quantity): Quantity => ({ dimensions: q.dimensions, scale: 1 });

/** Functions whose arguments and result share one quantity. */
const SAME_AS_ARGUMENTS = new Set(['abs', 'min', 'max', 'mod', 'floor', 'ceil', 'round', 'fix', 'hypot']);
/** Functions of a pure number (a dimensionless argument of scale 1). */
const OF_A_NUMBER = new Set(['exp', 'expm1', 'log', 'log10', 'log2', 'log1p', 'sin', 'cos', 'tan', 'asin', 'acos', 'atan', 'sinh', 'cosh', 'tanh']);
const COMPARISONS = new Set(['smaller', 'larger', 'smallerEq', 'largerEq', 'equal', 'unequal']);
const LOGICAL = new Set(['and', 'or', 'xor', 'not']);

/** A constant exponent (2, -1, 0.5, -(1/2) ...) or undefined when it depends on symbols. */
function constantValue(tree: ExprTree): number | undefined {
  if (tree.kind === 'constant') return tree.value;
  if (tree.kind === 'operator') {
    const values = tree.args.map(constantValue);
    if (values.some((v) => v === undefined)) return undefined;
    const [a, b] = values as number[];
    switch (tree.fn) {
      case 'unaryMinus': return -a;
      case 'unaryPlus': return a;
      case 'add': return a + b;
      case 'subtract': return a - b;
      case 'multiply': return a * b;
      case 'divide': return a / b;
    }
  }
  return undefined;
}

/**
 * The quantity of an expression. `symbols` gives each symbol's quantity; ConfigError 'unit mismatch'
 * when terms do not fit together (`source` names the expression in the message).
 */
export function quantityOfExpression(tree: ExprTree, symbols: ReadonlyMap<string, Quantity>, source: string): Quantity {
  const fail = (what: string): never => {
    throw new ConfigError('unit mismatch', `${what} in "${source}"`);
  };
  const same = (qs: Quantity[], what: string): Quantity => {
    for (const q of qs.slice(1)) {
      if (!sameDimensions(q.dimensions, qs[0].dimensions)) fail(`${what} of ${formatDimensions(qs[0].dimensions)} and ${formatDimensions(q.dimensions)}`);
    }
    return qs[0];
  };
  const visit = (t: ExprTree): Quantity => {
    switch (t.kind) {
      case 'constant':
        return dimensionless;
      // Values are SI inside: every quantity's scale is 1 from here on.
      case 'symbol': {
        if (t.name === 'pi' || t.name === 'e' || t.name === 'tau') return dimensionless;
        const q = symbols.get(t.name) ?? fail(`no unit known for "${t.name}"`);
        return inSi(q);
      }
      case 'conditional':
        visit(t.condition);
        return same([visit(t.whenTrue), visit(t.whenFalse)], 'the two branches of a condition are');
      case 'operator': {
        const args = t.args.map(visit);
        if (t.fn === 'add' || t.fn === 'subtract') return same(args, t.fn === 'add' ? 'a sum' : 'a difference');
        if (t.fn === 'multiply') return combine(args[0], args[1], 1);
        if (t.fn === 'divide') return combine(args[0], args[1], -1);
        if (t.fn === 'unaryMinus' || t.fn === 'unaryPlus') return args[0];
        if (t.fn === 'mod') return same(args, 'mod');
        if (t.fn === 'pow') return raise(args[0], args[1], t.args[1]);
        if (COMPARISONS.has(t.fn)) {
          same(args, 'a comparison');
          return dimensionless;
        }
        if (LOGICAL.has(t.fn)) return dimensionless;
        return fail(`operator ${t.fn} has no unit rule`);
      }
      case 'call': {
        const args = t.args.map(visit);
        if (SAME_AS_ARGUMENTS.has(t.fn)) return same(args, `${t.fn}()`);
        if (OF_A_NUMBER.has(t.fn)) {
          if (!isDimensionless(args[0])) fail(`${t.fn}() needs a plain number, got ${formatDimensions(args[0].dimensions)}`);
          return dimensionless;
        }
        if (t.fn === 'atan2') {
          same(args, 'atan2()');
          return dimensionless;
        }
        if (t.fn === 'sign') return dimensionless;
        if (t.fn === 'sqrt') return power(args[0], 0.5);
        if (t.fn === 'cbrt') return power(args[0], 1 / 3);
        if (t.fn === 'square') return power(args[0], 2);
        if (t.fn === 'cube') return power(args[0], 3);
        if (t.fn === 'pow') return raise(args[0], args[1], t.args[1]);
        return fail(`${t.fn}() has no unit rule`);
      }
    }
  };
  const raise = (base: Quantity, exponent: Quantity, exponentTree: ExprTree): Quantity => {
    if (!isDimensionless(exponent)) fail('an exponent must be a plain number');
    if (isDimensionless(base)) return dimensionless;
    const p = constantValue(exponentTree);
    if (p === undefined) return fail('a quantity with a unit can only be raised to a constant power');
    return power(base, p);
  };
  return visit(tree);
}

/**
 * Factor that turns the right-hand side's SI value into state units per model time unit;
 * ConfigError 'unit mismatch' when the dimensions differ. A state without a unit is not checked
 * (its equation is read as "per model time unit").
 */
export function rateFactor(rhs: Quantity, state: Quantity | null, time: Quantity, equation: string): number {
  if (state === null) return 1;
  const expected = combine(state, time, -1);
  if (!sameDimensions(rhs.dimensions, expected.dimensions)) {
    throw new ConfigError('unit mismatch', `the right-hand side is ${formatDimensions(rhs.dimensions)}, expected ${formatDimensions(expected.dimensions)} (state per time) in "${equation}"`);
  }
  return 1 / expected.scale;
}

/** Factor from an expression's SI value to a declared unit; ConfigError when they differ in kind. */
export function conversionFactor(from: Quantity, to: Quantity, expression: string): number {
  if (!sameDimensions(from.dimensions, to.dimensions)) {
    throw new ConfigError('unit mismatch', `"${expression}" is ${formatDimensions(from.dimensions)}, declared ${formatDimensions(to.dimensions)}`);
  }
  return 1 / to.scale;
}
