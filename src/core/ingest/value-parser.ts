/**
 * Turns whatever a sender put where a value belongs into a number, boolean or text.
 *
 * Numbers: finite numbers; bigint within +-(2^53 - 1); text "23.5", " 1e3 ", "-4";
 * "23,5" (a decimal comma is accepted only when it is the only separator, so "1,234"
 * is 1.234 and "1,234.5" is refused as ambiguous); with a unit "23.5 °C", "85%",
 * "-3.2degF" (the unit is returned as written, the converter checks it).
 * Booleans: true/false and the words true/false/on/off in any case.
 * -0 becomes 0 (it would otherwise look like a change to change detection).
 * Text (only when textValues is on): trimmed, at most 256 characters.
 */
import { InputError } from '../errors';
import { describeValue } from './guards';

export interface ParsedValue {
  value: number | boolean | string;
  unit?: string;
}

export interface ValueParseOptions {
  textValues: boolean;
}

export const MAX_TEXT_LENGTH = 256;

const PLAIN_NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/i;
const COMMA_NUMBER = /^[+-]?(?:\d+,\d*|,\d+)(?:e[+-]?\d+)?$/i;
const NUMBER_WITH_UNIT = /^([+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:e[+-]?\d+)?)\s*([A-Za-z°℃℉%µμΩ][A-Za-z0-9°%µμΩ²³^/*·_-]{0,31})$/i;
const NOT_FINITE = /^[+-]?(?:nan|inf|infinity)$/i;
/** Hex/binary/octal literals would otherwise read as 0 with a unit "x10". */
const RADIX_LITERAL = /^[+-]?0(?:x[0-9a-f]|b[01]|o[0-7])/i;

const BOOLEAN_WORDS: ReadonlyMap<string, boolean> = new Map([
  ['true', true], ['false', false], ['on', true], ['off', false],
]);

export function parseValue(raw: unknown, origin: string, opts: ValueParseOptions): ParsedValue {
  switch (typeof raw) {
    case 'number':
      if (!Number.isFinite(raw)) throw notFinite(raw, origin);
      return { value: raw + 0 };
    case 'boolean':
      return { value: raw };
    case 'string':
      return parseText(raw, origin, opts);
    case 'bigint':
      if (raw > BigInt(Number.MAX_SAFE_INTEGER) || raw < BigInt(Number.MIN_SAFE_INTEGER)) {
        throw new InputError('out of range', `value ${describeValue(raw)} is too large to use exactly`, origin);
      }
      return { value: Number(raw) + 0 };
    case 'undefined':
      throw noValue(origin);
    case 'symbol':
    case 'function':
      throw wrongType(raw, origin);
    default:
      if (raw === null) throw noValue(origin);
      if (ArrayBuffer.isView(raw) || raw instanceof ArrayBuffer) throw wrongType(raw, origin);
      throw new InputError('object, not a value', `expected a value but got ${describeValue(raw)}`, origin);
  }
}

function parseText(raw: string, origin: string, opts: ValueParseOptions): ParsedValue {
  const text = raw.trim();
  if (text === '') throw noValue(origin);
  if (text.length <= 64) {
    if (PLAIN_NUMBER.test(text)) return finiteNumber(Number(text), raw, origin);
    if (COMMA_NUMBER.test(text)) return finiteNumber(Number(text.replace(',', '.')), raw, origin);
    const withUnit = RADIX_LITERAL.test(text) ? null : NUMBER_WITH_UNIT.exec(text);
    if (withUnit) {
      const number = Number(withUnit[1].replace(',', '.'));
      if (!Number.isFinite(number)) throw notFinite(raw, origin);
      return { value: number + 0, unit: withUnit[2] };
    }
    const word = BOOLEAN_WORDS.get(text.toLowerCase());
    if (word !== undefined) return { value: word };
    if (NOT_FINITE.test(text)) throw notFinite(raw, origin);
  }
  if (!opts.textValues) {
    throw new InputError('not a number', `value ${describeValue(raw)} is not a number`, origin);
  }
  if (text.length > MAX_TEXT_LENGTH) {
    throw new InputError('text too long', `text value has ${text.length} characters, the limit is ${MAX_TEXT_LENGTH}`, origin);
  }
  return { value: text };
}

function finiteNumber(number: number, raw: string, origin: string): ParsedValue {
  if (!Number.isFinite(number)) throw notFinite(raw, origin);
  return { value: number + 0 };
}

function notFinite(raw: unknown, origin: string): InputError {
  return new InputError('not finite', `value ${describeValue(raw)} is not a finite number`, origin);
}

function noValue(origin: string): InputError {
  return new InputError('no value', 'the message carries no value', origin);
}

function wrongType(raw: unknown, origin: string): InputError {
  return new InputError('wrong type', `expected a value but got ${describeValue(raw)}`, origin);
}
