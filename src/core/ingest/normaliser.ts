/**
 * RawSample -> TwinSample: one value in the plant's canonical unit with quality and times.
 *
 * Policies (these go into the user documentation):
 *  - Signal rules: the FIRST rule whose `match` (an MQTT-style filter over
 *    "<asset>/<signal>", e.g. "+/+/press1/temperature" or "plant/#") fits the signal
 *    applies. A rule may scale raw counts linearly (rawLow..rawHigh -> low..high; done
 *    BEFORE unit conversion, the scaled value is in the unit the source states) and name
 *    a canonical unit: values are converted to it; a value with no stated unit is taken
 *    to be in it already. Without a rule unit, the source's unit is kept under its
 *    canonical name (°C -> degC), or null; an unknown unit is refused.
 *    A rule with a unit or scaling refuses booleans and text ('not a number').
 *  - Times: sourceTime is the source's timestamp (see timestamps.ts), else the receive
 *    time; latencyMs = receivedTime - sourceTime, never below 0.
 *  - Per signal the normaliser remembers the last ACCEPTED sample (time, value, quality,
 *    unit). Against it:
 *      out of order: older than the last accepted -> dropped (outOfOrder 'drop', default)
 *        or passed on ('keep', and it becomes the remembered sample);
 *      duplicate: same source time, value, quality and unit -> dropped ('drop', default)
 *        or passed on ('keep');
 *      deadband (absolute, in the output unit; a rule's deadband overrides the global
 *        one; 0 = off): a numeric value closer than the deadband to the last accepted
 *        one is dropped, unless its quality or unit changed. Since the remembered value
 *        only moves on acceptance, a slow drift still gets through once it adds up.
 *    Dropped samples return null and are counted in stats().
 *  - Bad quality without a usable value (missing, NaN, garbage): the signal's last
 *    accepted value is repeated with quality 'bad', so dashboards show the fault at the
 *    right time; with no value known yet it is refused with 'no value'.
 *  - Refused samples throw InputError and change nothing remembered: the next good
 *    sample is handled exactly as if the refused one had never arrived.
 *  - At most maxSignals distinct signals are remembered; a new one beyond that is refused
 *    with 'too many signals' (forget() frees them).
 */
import { ConfigError, InputError, TwinError } from '../errors';
import { describeValue } from './guards';
import { parseQuality } from './quality';
import type { Quality, RawSample, SampleValue, TwinSample } from './sample';
import { parseTimestamp } from './timestamps';
import { isValidTopicFilter, topicMatchesFilter } from './topic-template';
import { UnitConverter } from './units';
import { parseValue } from './value-parser';

export interface ScaleRule {
  rawLow: number;
  rawHigh: number;
  low: number;
  high: number;
}

export interface SignalRule {
  /** MQTT-style filter over "<asset>/<signal>". */
  match: string;
  /** Canonical unit for this signal (any accepted spelling, see units.ts). */
  unit?: string;
  scale?: ScaleRule;
  /** Absolute deadband in the output unit; overrides the global deadband. */
  deadband?: number;
}

export interface NormaliserOptions {
  signals: SignalRule[];
  /** Absolute deadband in the output unit, 0 = off. */
  deadband: number;
  duplicates: 'drop' | 'keep';
  outOfOrder: 'drop' | 'keep';
  textValues: boolean;
  maxSignals: number;
}

export interface NormaliserStats {
  accepted: number;
  duplicates: number;
  outOfOrder: number;
  deadbanded: number;
  /** Samples refused with an error. */
  rejected: number;
  /** Signals currently remembered. */
  signals: number;
}

export const defaultNormaliserOptions: Readonly<NormaliserOptions> = Object.freeze({
  signals: [],
  deadband: 0,
  duplicates: 'drop',
  outOfOrder: 'drop',
  textValues: false,
  maxSignals: 100_000,
});

const MAX_KEY_LENGTH = 1024;

interface CompiledRule {
  match: string;
  unit: string | null;
  hasScale: boolean;
  rawLow: number;
  rawSpan: number;
  low: number;
  span: number;
  deadband: number;
}

interface SignalMemory {
  asset: string;
  rule: CompiledRule | null;
  lastTime: number;
  lastValue: SampleValue;
  lastQuality: Quality;
  lastUnit: string | null;
}

export class Normaliser {
  private readonly rules: CompiledRule[];
  private readonly deadband: number;
  private readonly dropDuplicates: boolean;
  private readonly dropOutOfOrder: boolean;
  private readonly parseOptions: { textValues: boolean };
  private readonly maxSignals: number;
  private readonly converter = new UnitConverter();
  /** Keyed by "<asset>/<signal>" (just "<signal>" when the asset is ''). */
  private readonly memory = new Map<string, SignalMemory>();
  private readonly counts = { accepted: 0, duplicates: 0, outOfOrder: 0, deadbanded: 0, rejected: 0 };

  constructor(options: Partial<NormaliserOptions> = {}) {
    const o = options ?? {};
    this.deadband = checkDeadband(o.deadband ?? defaultNormaliserOptions.deadband, 'the deadband');
    this.dropDuplicates = checkChoice(o.duplicates ?? 'drop', 'duplicates') === 'drop';
    this.dropOutOfOrder = checkChoice(o.outOfOrder ?? 'drop', 'outOfOrder') === 'drop';
    this.parseOptions = { textValues: o.textValues === true };
    const maxSignals = o.maxSignals ?? defaultNormaliserOptions.maxSignals;
    if (typeof maxSignals !== 'number' || !Number.isInteger(maxSignals) || maxSignals < 1) {
      throw new ConfigError('bad signal limit', 'the most signals to remember must be a whole number, at least 1');
    }
    this.maxSignals = maxSignals;
    const signals = o.signals ?? [];
    if (!Array.isArray(signals)) throw new ConfigError('bad signal rule', 'signal rules must be a list');
    this.rules = signals.map((rule, i) => this.compileRule(rule, i));
  }

  /** The TwinSample, or null when a policy drops it. Throws InputError when refused. */
  normalise(raw: RawSample): TwinSample | null {
    try {
      return this.process(raw);
    } catch (err) {
      this.counts.rejected++;
      if (err instanceof TwinError) throw err;
      const detail = err instanceof Error ? err.message : 'unreadable sample';
      throw new InputError('bad sample', `could not read the sample: ${detail}`, originOf(raw));
    }
  }

  stats(): NormaliserStats {
    return { ...this.counts, signals: this.memory.size };
  }

  /** How many distinct signals have been accepted (without building the stats object). */
  get signalCount(): number {
    return this.memory.size;
  }

  /** Forgets what was remembered for one asset's signals, or for all signals. */
  forget(asset?: string): void {
    if (asset === undefined) {
      this.memory.clear();
      return;
    }
    for (const [key, memory] of this.memory) {
      if (memory.asset === asset) this.memory.delete(key);
    }
  }

  private process(raw: RawSample): TwinSample | null {
    if (raw === null || typeof raw !== 'object') {
      throw new InputError('bad sample', `expected a sample but got ${describeValue(raw)}`);
    }
    const origin = originOf(raw);
    const { asset, signal, receivedTime } = raw;
    if (typeof asset !== 'string' || typeof signal !== 'string' || signal === '') {
      throw new InputError('no signal name', 'the sample names no signal', origin);
    }
    if (typeof receivedTime !== 'number' || !Number.isFinite(receivedTime)) {
      throw new InputError('bad receive time', 'the sample has no valid receive time', origin);
    }
    const key = asset === '' ? signal : `${asset}/${signal}`;
    if (key.length > MAX_KEY_LENGTH) {
      throw new InputError('name too long', `asset and signal name exceed ${MAX_KEY_LENGTH} characters`, origin);
    }
    const memory = this.memory.get(key);
    if (memory === undefined && this.memory.size >= this.maxSignals) {
      throw new InputError('too many signals', `more than ${this.maxSignals} signals; raise the limit or forget old ones`, origin);
    }
    const rule = memory !== undefined ? memory.rule : this.findRule(key);
    const quality = parseQuality(raw.quality);

    let value: SampleValue;
    let unit: string | null;
    const rawValue = raw.value;
    if (typeof rawValue === 'number' && Number.isFinite(rawValue)) {
      // Fast path: no parsing, no allocation.
      value = this.numeric(rawValue, statedUnit(raw.unit, origin), rule, key, origin);
      unit = rule !== null && rule.unit !== null ? rule.unit : this.sourceUnit(raw.unit, origin);
    } else {
      let parsed: ReturnType<typeof parseValue> | undefined;
      try {
        parsed = parseValue(rawValue, origin, this.parseOptions);
      } catch (err) {
        if (quality !== 'bad' || !(err instanceof TwinError)) throw err;
      }
      if (parsed === undefined) {
        if (memory === undefined) {
          throw new InputError('no value', 'bad-quality sample without a value and no earlier value to repeat', origin);
        }
        value = memory.lastValue;
        unit = memory.lastUnit;
      } else if (typeof parsed.value === 'number') {
        const stated = this.mergeUnits(parsed.unit, statedUnit(raw.unit, origin), origin);
        value = this.numeric(parsed.value, stated, rule, key, origin);
        unit = rule !== null && rule.unit !== null ? rule.unit : this.sourceUnit(stated, origin);
      } else {
        if (rule !== null && (rule.unit !== null || rule.hasScale)) {
          throw new InputError('not a number', `${key} expects a number but got ${describeValue(parsed.value)}`, origin);
        }
        value = parsed.value;
        unit = null;
      }
    }

    const parsedTime = parseTimestamp(raw.sourceTime, origin, receivedTime);
    const sourceTime = parsedTime === undefined ? receivedTime : parsedTime;

    if (memory !== undefined) {
      if (sourceTime < memory.lastTime) {
        if (this.dropOutOfOrder) {
          this.counts.outOfOrder++;
          return null;
        }
      } else if (
        this.dropDuplicates &&
        sourceTime === memory.lastTime &&
        value === memory.lastValue &&
        quality === memory.lastQuality &&
        unit === memory.lastUnit
      ) {
        this.counts.duplicates++;
        return null;
      }
      const deadband = rule !== null && rule.deadband >= 0 ? rule.deadband : this.deadband;
      if (
        deadband > 0 &&
        typeof value === 'number' &&
        typeof memory.lastValue === 'number' &&
        quality === memory.lastQuality &&
        unit === memory.lastUnit &&
        Math.abs(value - memory.lastValue) < deadband
      ) {
        this.counts.deadbanded++;
        return null;
      }
      memory.lastTime = sourceTime;
      memory.lastValue = value;
      memory.lastQuality = quality;
      memory.lastUnit = unit;
    } else {
      this.memory.set(key, { asset, rule, lastTime: sourceTime, lastValue: value, lastQuality: quality, lastUnit: unit });
    }
    this.counts.accepted++;
    return {
      asset,
      signal,
      value,
      unit,
      quality,
      sourceTime,
      receivedTime,
      latencyMs: receivedTime > sourceTime ? receivedTime - sourceTime : 0,
    };
  }

  /** Scaling, then conversion to the rule's unit. */
  private numeric(value: number, stated: string | null, rule: CompiledRule | null, key: string, origin: string): number {
    if (rule === null) return value + 0;
    let result = value;
    if (rule.hasScale) result = rule.low + ((result - rule.rawLow) * rule.span) / rule.rawSpan;
    if (rule.unit !== null) result = this.converter.convert(result, stated, rule.unit, origin);
    if (!Number.isFinite(result)) {
      throw new InputError('not finite', `${key}: ${value} does not scale to a finite number`, origin);
    }
    return result + 0;
  }

  private sourceUnit(stated: unknown, origin: string): string | null {
    if (typeof stated !== 'string' || stated === '') return null;
    return this.converter.knownUnitName(stated, origin) || null;
  }

  /** The unit written after the value and the unit field must agree. */
  private mergeUnits(fromText: string | undefined, fromField: string | null, origin: string): string | null {
    if (fromText === undefined) return fromField;
    if (fromField === null || fromField === fromText) return fromText;
    if (this.converter.normaliseUnitName(fromText) !== this.converter.normaliseUnitName(fromField)) {
      throw new InputError('unit conflict', `value says "${fromText}" but the unit says "${fromField}"`, origin);
    }
    return fromText;
  }

  private findRule(key: string): CompiledRule | null {
    for (const rule of this.rules) {
      if (topicMatchesFilter(rule.match, key)) return rule;
    }
    return null;
  }

  private compileRule(rule: SignalRule, index: number): CompiledRule {
    const where = `signal rule ${index + 1}`;
    if (rule === null || typeof rule !== 'object') throw new ConfigError('bad signal rule', `${where} is not a rule`);
    if (typeof rule.match !== 'string' || !isValidTopicFilter(rule.match)) {
      throw new ConfigError('bad signal rule', `${where}: "${String(rule.match)}" is not a valid topic filter`);
    }
    let unit: string | null = null;
    if (rule.unit !== undefined && rule.unit !== null && rule.unit !== '') {
      if (typeof rule.unit !== 'string' || !this.converter.isKnown(rule.unit)) {
        throw new ConfigError('unknown unit', `${where}: unknown unit "${String(rule.unit)}"`);
      }
      unit = this.converter.normaliseUnitName(rule.unit);
    }
    const compiled: CompiledRule = { match: rule.match, unit, hasScale: false, rawLow: 0, rawSpan: 1, low: 0, span: 1, deadband: -1 };
    if (rule.scale !== undefined && rule.scale !== null) {
      const s = rule.scale;
      const numbers = [s.rawLow, s.rawHigh, s.low, s.high];
      if (!numbers.every((n) => typeof n === 'number' && Number.isFinite(n)) || s.rawHigh === s.rawLow) {
        throw new ConfigError('bad scaling', `${where}: scaling needs four numbers and rawLow different from rawHigh`);
      }
      Object.assign(compiled, { hasScale: true, rawLow: s.rawLow, rawSpan: s.rawHigh - s.rawLow, low: s.low, span: s.high - s.low });
    }
    if (rule.deadband !== undefined && rule.deadband !== null) compiled.deadband = checkDeadband(rule.deadband, `${where}: the deadband`);
    return compiled;
  }
}

/** The unit field of a raw sample: text, or nothing. */
function statedUnit(unit: unknown, origin: string): string | null {
  if (unit === undefined || unit === null || unit === '') return null;
  if (typeof unit !== 'string' || unit.length > 64) {
    throw new InputError('bad unit', `unit ${describeValue(unit)} is not a unit name`, origin);
  }
  return unit;
}

function originOf(raw: unknown): string {
  try {
    const origin = (raw as { origin?: unknown } | null)?.origin;
    return typeof origin === 'string' ? origin : '';
  } catch {
    return '';
  }
}

function checkDeadband(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ConfigError('bad deadband', `${what} must be a number, 0 or more`);
  }
  return value;
}

function checkChoice(value: unknown, what: string): 'drop' | 'keep' {
  if (value !== 'drop' && value !== 'keep') throw new ConfigError('bad option', `${what} must be "drop" or "keep"`);
  return value;
}
