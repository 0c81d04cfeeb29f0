/**
 * mathjs's Unit class, and nothing else of mathjs. The package's main entry builds its whole
 * default instance on require (about 70 MiB resident); even its per-function dependency files
 * pull in the matrix-aware arithmetic that units never need here (about 10 MiB more resident
 * memory in a running Node-RED than this). The Unit factory itself only asks for a dozen scalar operations: we give it plain
 * number arithmetic (twin values are plain numbers; Fraction-valued unit definitions such as
 * degF's 5/9 are turned into numbers first) and mathjs's own Complex, Fraction and BigNumber
 * classes. The factories sit behind mathjs's export map, so they are required by path from the
 * pinned mathjs; should a release move them, the full mathjs is used instead.
 */
import * as path from 'node:path';
import type { MathJsInstance, Unit } from 'mathjs';

export interface UnitFunctions {
  /** A unit from its name ("degC", "m^3/h"), without a value. */
  parse(name: string): Unit;
  /** `value` in `name`. */
  withValue(value: number, name: string): Unit;
  /** Defines a unit: a new base dimension, or `definition` (e.g. 1/60 Hz for rpm). */
  define(name: string, definition?: Unit): void;
}

type Factory = (dependencies: Record<string, unknown>) => unknown;
type UnitClass = {
  new (value: number | null, name: string): Unit;
  parse(name: string): Unit;
  createUnitSingle(name: string, options?: { definition: Unit }): unknown;
};

/** Fractions (unit definitions) and numbers in, numbers out. */
const toNumber = (x: unknown): number => (typeof x === 'number' ? x : Number((x as { valueOf(): number }).valueOf()));

function lightUnitClass(): UnitClass {
  const cjs = path.join(path.dirname(require.resolve('mathjs/package.json')), 'lib', 'cjs');
  const factory = (file: string[], name: string): Factory => (require(path.join(cjs, ...file)) as Record<string, Factory>)[name];
  const config = { number: 'number', precision: 64, relTol: 1e-12, absTol: 1e-15, epsilon: 1e-12, predictable: false, randomSeed: null };
  return factory(['type', 'unit', 'Unit.js'], 'createUnitClass')({
    config,
    addScalar: (a: unknown, b: unknown) => toNumber(a) + toNumber(b),
    subtractScalar: (a: unknown, b: unknown) => toNumber(a) - toNumber(b),
    multiplyScalar: (a: unknown, b: unknown) => toNumber(a) * toNumber(b),
    divideScalar: (a: unknown, b: unknown) => toNumber(a) / toNumber(b),
    pow: (a: unknown, b: unknown) => Math.pow(toNumber(a), toNumber(b)),
    abs: (a: unknown) => Math.abs(toNumber(a)),
    fix: (a: unknown) => Math.trunc(toNumber(a)),
    round: (a: unknown, digits?: number) => (digits === undefined ? Math.round(toNumber(a)) : Number(toNumber(a).toFixed(digits))),
    equal: (a: unknown, b: unknown) => toNumber(a) === toNumber(b),
    isNumeric: (x: unknown) => typeof x === 'number' || Boolean(x && typeof x === 'object' && ('isFraction' in x || 'isBigNumber' in x)),
    format: (x: unknown) => String(toNumber(x)),
    number: toNumber,
    Complex: factory(['type', 'complex', 'Complex.js'], 'createComplexClass')({}),
    Fraction: factory(['type', 'fraction', 'Fraction.js'], 'createFractionClass')({}),
    BigNumber: factory(['type', 'bignumber', 'BigNumber.js'], 'createBigNumberClass')({ config }),
  }) as UnitClass;
}

function fullMathjsUnits(): UnitFunctions {
  const mathjs = require('mathjs') as typeof import('mathjs');
  const m = mathjs.create(mathjs.all) as MathJsInstance;
  return {
    parse: (name) => m.unit(name),
    withValue: (value, name) => m.unit(value, name),
    define: (name, definition) => (definition ? m.createUnit(name, { definition }) : m.createUnit(name)),
  };
}

export function loadUnitFunctions(): UnitFunctions {
  let units: UnitFunctions;
  try {
    const UnitClass = lightUnitClass();
    units = {
      parse: (name) => UnitClass.parse(name),
      withValue: (value, name) => new UnitClass(value, name),
      define: (name, definition) => UnitClass.createUnitSingle(name, definition ? { definition } : undefined),
    };
  } catch {
    units = fullMathjsUnits();
  }
  units.define('percent');
  units.define('ppm', units.withValue(0.0001, 'percent'));
  units.define('rpm', units.withValue(1 / 60, 'Hz'));
  units.define('gn', units.withValue(9.80665, 'm/s^2'));
  return units;
}
