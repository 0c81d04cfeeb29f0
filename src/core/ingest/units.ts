/**
 * Unit names and conversion. mathjs is used for unit knowledge ONLY: unit names are parsed
 * with `unit(name)`; input text is never evaluated as an expression. The mathjs instance
 * is private (created on first use, ~0.5 s) so our extra units cannot leak elsewhere.
 *
 * Accepted spellings (left) and the canonical mathjs name the twin uses (right):
 *
 *   °C ℃ C degC celsius deg C      -> degC    (so "C" is NOT coulomb here)
 *   °F ℉ F degF fahrenheit         -> degF    (so "F" is NOT farad here)
 *   K kelvin                       -> K
 *   bar mbar psi Pa hPa kPa MPa    -> same    (gauge or absolute is not tracked)
 *   rpm RPM 1/min U/min            -> rpm     (defined as 1/60 Hz)
 *   Hz kHz                         -> same
 *   % percent pct                  -> percent (its own unit: 85 % stays 85 percent)
 *   ppm                            -> ppm     (= 0.0001 percent)
 *   m3/h m³/h                      -> m^3/h
 *   l/min L/min lpm                -> L/min   (also l/h, l/s -> L/h, L/s)
 *   A mA V mV kV W kW MW Wh kWh MWh VA kVA -> same
 *   mm/s m/s m/s2 m/s²             -> mm/s, m/s, m/s^2
 *   gn g0                          -> gn      (standard gravity 9.80665 m/s^2; "g" is gram)
 *   Nm N·m                         -> N*m
 *   µm μm                          -> um      (also any µ prefix -> u)
 * Any other mathjs unit name (kg, t/h, s, min, h, mm, J, ...) is accepted as written.
 *
 * Conversion is affine (value * factor + offset; the offset is only for temperatures).
 * The factor and offset of each (from, to) pair are computed once with mathjs and cached,
 * so converting a sample is two Map look-ups and arithmetic. Results are rounded to 12
 * significant digits of the converted magnitude, which removes binary noise such as
 * 1234 mbar -> 1.2340000000000002 bar while staying far finer than any plant sensor.
 */
import type { Unit } from 'mathjs';
import { InputError } from '../errors';
import { loadUnitFunctions, type UnitFunctions } from './unit-class';

let unitFunctions: UnitFunctions | undefined;

/** mathjs's unit functions, loaded on first use: flows that never check a unit never load them. */
function units(): UnitFunctions {
  unitFunctions ??= loadUnitFunctions();
  return unitFunctions;
}

const ALIASES: ReadonlyMap<string, string> = new Map([
  ['°C', 'degC'], ['℃', 'degC'], ['C', 'degC'], ['° C', 'degC'], ['deg C', 'degC'],
  ['°F', 'degF'], ['℉', 'degF'], ['F', 'degF'], ['° F', 'degF'], ['deg F', 'degF'],
  ['1/min', 'rpm'], ['U/min', 'rpm'], ['min^-1', 'rpm'],
  ['%', 'percent'],
  ['l/min', 'L/min'], ['l/h', 'L/h'], ['l/s', 'L/s'], ['lpm', 'L/min'],
  ['g0', 'gn'],
  ['Nm', 'N*m'],
]);

/** Whole-word spellings accepted in any letter case. */
const WORD_ALIASES: ReadonlyMap<string, string> = new Map([
  ['celsius', 'degC'], ['degc', 'degC'],
  ['fahrenheit', 'degF'], ['degf', 'degF'],
  ['kelvin', 'K'],
  ['bar', 'bar'], ['psi', 'psi'],
  ['rpm', 'rpm'], ['percent', 'percent'], ['pct', 'percent'],
  ['hz', 'Hz'], ['kwh', 'kWh'], ['kw', 'kW'],
]);

/** What a unit name may look like before mathjs sees it (no spaces, no numbers first). */
const UNIT_SHAPE = /^[A-Za-z][A-Za-z0-9_^/*-]{0,31}$/;

/** Caches are bounded so a sender inventing unit names cannot grow memory. */
const MAX_CACHE = 512;

interface Conversion {
  factor: number;
  offset: number;
  identity: boolean;
  /** Set when the pair cannot convert; the error is rebuilt per call with its origin. */
  failure?: { reason: 'unknown unit' | 'wrong unit'; detail: string };
}

export class UnitConverter {
  private readonly names = new Map<string, string>();
  private readonly known = new Map<string, boolean>();
  private readonly conversions = new Map<string, Map<string, Conversion>>();

  /**
   * Converts `value` from `fromUnit` to `toUnit`. With no fromUnit the value is taken to be
   * in the canonical unit already; with no toUnit nothing is converted.
   * InputError 'unknown unit' / 'wrong unit' (incompatible, e.g. bar -> degC) / 'not finite'.
   */
  convert(value: number, fromUnit: string | null | undefined, toUnit: string | null, origin: string): number {
    if (fromUnit === null || fromUnit === undefined || fromUnit === '' || toUnit === null || toUnit === '') {
      return value;
    }
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new InputError('not finite', 'cannot convert a value that is not a finite number', origin);
    }
    let byTarget = this.conversions.get(fromUnit);
    if (!byTarget) {
      if (this.conversions.size >= MAX_CACHE) this.conversions.clear();
      byTarget = new Map();
      this.conversions.set(fromUnit, byTarget);
    }
    let conversion = byTarget.get(toUnit);
    if (!conversion) {
      if (byTarget.size >= MAX_CACHE) byTarget.clear();
      conversion = this.compile(fromUnit, toUnit);
      byTarget.set(toUnit, conversion);
    }
    if (conversion.failure) throw new InputError(conversion.failure.reason, conversion.failure.detail, origin);
    if (conversion.identity) return value + 0;
    const scaled = value * conversion.factor;
    const result = roundNoise(scaled + conversion.offset, Math.max(Math.abs(scaled), Math.abs(conversion.offset)));
    if (!Number.isFinite(result)) {
      throw new InputError('not finite', `${value} ${fromUnit} is too large to convert to ${toUnit}`, origin);
    }
    return result;
  }

  /** The canonical name for a spelling ("°C" -> "degC", "m³/h" -> "m^3/h"); '' for blank text. */
  normaliseUnitName(text: string): string {
    if (typeof text !== 'string') return '';
    let name = this.names.get(text);
    if (name === undefined) {
      name = canonicalUnitName(text);
      if (this.names.size >= MAX_CACHE) this.names.clear();
      this.names.set(text, name);
    }
    return name;
  }

  /** Whether mathjs (with our extra units) knows this unit, in any accepted spelling. */
  isKnown(unit: string): boolean {
    const name = this.normaliseUnitName(unit);
    let isKnown = this.known.get(name);
    if (isKnown === undefined) {
      isKnown = parseUnit(name) !== undefined;
      if (this.known.size >= MAX_CACHE) this.known.clear();
      this.known.set(name, isKnown);
    }
    return isKnown;
  }

  /** Canonical name of a unit that must be known, else InputError 'unknown unit'. */
  knownUnitName(unit: string, origin: string): string {
    if (!this.isKnown(unit)) throw unknownUnit(unit, origin);
    return this.normaliseUnitName(unit);
  }

  private compile(fromUnit: string, toUnit: string): Conversion {
    const from = this.normaliseUnitName(fromUnit);
    const to = this.normaliseUnitName(toUnit);
    const fromParsed = this.isKnown(from) ? parseUnit(from) : undefined;
    const toParsed = this.isKnown(to) ? parseUnit(to) : undefined;
    const unknown = !fromParsed ? fromUnit : !toParsed ? toUnit : undefined;
    if (unknown !== undefined || !fromParsed || !toParsed) {
      return { factor: 1, offset: 0, identity: false, failure: { reason: 'unknown unit', detail: unknownDetail(unknown ?? fromUnit) } };
    }
    if (!fromParsed.equalBase(toParsed)) {
      const detail = `cannot convert ${from} to ${to}: they measure different things`;
      return { factor: 1, offset: 0, identity: false, failure: { reason: 'wrong unit', detail } };
    }
    if (from === to) return { factor: 1, offset: 0, identity: true };
    const at = (x: number): number => units().withValue(x, from).toNumber(to);
    const offset = at(0);
    // A wide span keeps the factor accurate for offset (temperature) units.
    const factor = offset === 0 ? at(1) : (at(1000) - offset) / 1000;
    return { factor, offset, identity: false };
  }
}

/** Canonical spelling of a unit name, without checking that it exists. */
export function canonicalUnitName(text: string): string {
  const trimmed = text.trim();
  if (trimmed === '') return '';
  const direct = ALIASES.get(trimmed) ?? WORD_ALIASES.get(trimmed.toLowerCase());
  if (direct !== undefined) return direct;
  if (trimmed.length > 64) return trimmed;
  const cleaned = trimmed
    .replace(/[µμ]/g, 'u')
    .replace(/²/g, '^2')
    .replace(/³/g, '^3')
    .replace(/[·⋅×]/g, '*')
    .replace(/°C|℃/g, 'degC')
    .replace(/°F|℉/g, 'degF')
    .replace(/\s*([/*])\s*/g, '$1')
    .replace(/([A-Za-z])([23])(?![0-9])/g, '$1^$2');
  return ALIASES.get(cleaned) ?? WORD_ALIASES.get(cleaned.toLowerCase()) ?? cleaned;
}

type ParsedUnit = Unit;

function parseUnit(name: string): ParsedUnit | undefined {
  if (!UNIT_SHAPE.test(name)) return undefined;
  try {
    const parsed = units().parse(name);
    // "5 m" would parse with a value; a unit name must not carry one.
    return parsed.value === null ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function unknownDetail(unit: string): string {
  const shown = unit.length > 40 ? `${unit.slice(0, 40)}...` : unit;
  return `unknown unit "${shown}"`;
}

function unknownUnit(unit: string, origin: string): InputError {
  return new InputError('unknown unit', unknownDetail(String(unit)), origin);
}

/** Rounds `value` to 12 significant digits of `magnitude` (see the file comment). */
function roundNoise(value: number, magnitude: number): number {
  if (magnitude === 0 || !Number.isFinite(magnitude)) return value + 0;
  const exponent = 12 - Math.ceil(Math.log10(magnitude));
  if (exponent > 290 || exponent < -290) return value + 0;
  const scale = 10 ** exponent;
  // Dividing by the exact power of ten gives the double nearest the decimal result.
  return exponent >= 0 ? Math.round(value * scale) / scale + 0 : Math.round(value / 10 ** -exponent) * 10 ** -exponent + 0;
}

/** Base dimensions (mathjs order: mass, length, time, current, temperature, luminous intensity, amount, angle, bit) and SI scale. */
export interface UnitDimension {
  name: string;
  dimensions: number[];
  /** SI value of one unit step (the scale of a difference, so temperature offsets drop out). */
  scale: number;
}

/** Dimension and scale of a unit in any accepted spelling; InputError 'unknown unit' if unknown. */
export function unitDimension(unit: string, origin: string): UnitDimension {
  const name = canonicalUnitName(unit);
  const parsed = name === '' ? undefined : parseUnit(name);
  if (!parsed) throw unknownUnit(unit, origin);
  const valueOf = (x: number): number => (units().withValue(x, name) as unknown as { value: number }).value;
  return { name, dimensions: [...(parsed as unknown as { dimensions: number[] }).dimensions], scale: valueOf(2) - valueOf(1) };
}
