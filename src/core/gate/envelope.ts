/**
 * The safety envelope: per setpoint key, the range a value may take and how far and how fast it
 * may move in one write. It is a hard gate: one setpoint outside refuses the whole candidate,
 * whatever the trust score says, because a score trades evidence off against other evidence and a
 * limit must not be traded.
 *
 * Rules are matched by exact key first, then by pattern in the order given (first match wins);
 * patterns are the model's level patterns ("line1/*\/temperatureSetpoint", "**\/speedSetpoint").
 * A setpoint no rule covers is refused by default ('refuse'): a limit that nobody wrote down is
 * not a reason to write anything.
 *
 * maxStep limits |new - current| for one write. maxRate (per minute) limits the change against the
 * time since the key was last written: |new - current| / minutes since the last write. A key with
 * no recorded last write is treated as written long ago (only maxStep applies).
 */
import { ConfigError, InputError } from '../errors';
import { compilePathPattern, type PathPattern } from '../model/paths';
import type { Candidate } from './candidate';
import { hasOwn, isRecord } from './util';

export interface EnvelopeLimits {
  min?: number;
  max?: number;
  /** Largest absolute change in one write. */
  maxStep?: number;
  /** Largest change per minute since the key was last written. */
  maxRate?: number;
}

export interface EnvelopeRule extends EnvelopeLimits {
  /** Exact signal key... */
  key?: string;
  /** ...or a level pattern (one of the two). */
  pattern?: string;
}

/** A list of rules, or a record of key-or-pattern to limits (a "*" makes it a pattern). */
export type EnvelopeConfig = EnvelopeRule[] | Record<string, EnvelopeLimits>;

export interface EnvelopeOptions {
  /** What to do with a setpoint no rule covers (default 'refuse'). */
  unlisted?: 'refuse' | 'allow';
}

interface CompiledRule {
  name: string;
  limits: EnvelopeLimits;
  pattern?: PathPattern;
}

export interface Envelope {
  readonly exact: ReadonlyMap<string, CompiledRule>;
  readonly patterns: readonly CompiledRule[];
  readonly unlisted: 'refuse' | 'allow';
}

export interface SetpointCheck {
  key: string;
  value: number;
  current: number | null;
  ok: boolean;
  /** Why it fails (empty when ok). */
  reasons: string[];
  /** The rule that applied (key or pattern), null when none. */
  rule: string | null;
  limits: EnvelopeLimits | null;
}

export interface EnvelopeResult {
  ok: boolean;
  checks: SetpointCheck[];
  /** One line per failing setpoint, ready for a refusal message. */
  reasons: string[];
  /** Share of setpoints inside the envelope (1 when there is none), for the trust score. */
  value: number;
}

const LIMIT_FIELDS = ['min', 'max', 'maxStep', 'maxRate'] as const;

function compileLimits(raw: unknown, name: string): EnvelopeLimits {
  if (!isRecord(raw)) throw new ConfigError('bad envelope', `envelope rule ${name} must be an object of limits`);
  const out: EnvelopeLimits = {};
  for (const field of LIMIT_FIELDS) {
    const v = raw[field];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new ConfigError('bad envelope', `envelope rule ${name}: ${field} must be a finite number`);
    if ((field === 'maxStep' || field === 'maxRate') && v < 0) throw new ConfigError('bad envelope', `envelope rule ${name}: ${field} must not be negative`);
    out[field] = v;
  }
  for (const k of Object.keys(raw)) {
    if (!(LIMIT_FIELDS as readonly string[]).includes(k) && k !== 'key' && k !== 'pattern') throw new ConfigError('bad envelope', `envelope rule ${name}: unknown field "${k}"`);
  }
  if (out.min !== undefined && out.max !== undefined && out.min > out.max) throw new ConfigError('bad envelope', `envelope rule ${name}: min ${out.min} is above max ${out.max}`);
  if (Object.keys(out).length === 0) throw new ConfigError('bad envelope', `envelope rule ${name} sets no limit (min, max, maxStep or maxRate)`);
  return out;
}

/** Checks and compiles the envelope settings; ConfigError naming the rule at fault. */
export function compileEnvelope(config: EnvelopeConfig, options: EnvelopeOptions = {}): Envelope {
  const unlisted = options.unlisted ?? 'refuse';
  if (unlisted !== 'refuse' && unlisted !== 'allow') throw new ConfigError('bad envelope', 'unlisted must be "refuse" or "allow"');
  const entries: Array<{ match: string; isPattern: boolean; raw: unknown }> = [];
  if (Array.isArray(config)) {
    config.forEach((rule, i) => {
      if (!isRecord(rule)) throw new ConfigError('bad envelope', `envelope rule ${i} must be an object`);
      const hasKey = typeof rule.key === 'string' && rule.key !== '';
      const hasPattern = typeof rule.pattern === 'string' && rule.pattern !== '';
      if (hasKey === hasPattern) throw new ConfigError('bad envelope', `envelope rule ${i} needs exactly one of key or pattern`);
      entries.push({ match: (hasKey ? rule.key : rule.pattern) as string, isPattern: hasPattern, raw: rule });
    });
  } else if (isRecord(config)) {
    for (const k of Object.keys(config)) entries.push({ match: k, isPattern: k.split('/').some((l) => l === '*' || l === '**'), raw: config[k] });
  } else {
    throw new ConfigError('bad envelope', 'the envelope must be a list of rules or a record of key to limits');
  }
  const exact = new Map<string, CompiledRule>();
  const patterns: CompiledRule[] = [];
  for (const e of entries) {
    const limits = compileLimits(e.raw, `"${e.match}"`);
    if (e.isPattern) {
      let pattern: PathPattern;
      try {
        pattern = compilePathPattern(e.match);
      } catch (err) {
        throw new ConfigError('bad envelope', `envelope pattern "${e.match}": ${(err as Error).message}`);
      }
      patterns.push({ name: e.match, limits, pattern });
    } else {
      if (exact.has(e.match)) throw new ConfigError('bad envelope', `envelope key "${e.match}" is given twice`);
      exact.set(e.match, { name: e.match, limits });
    }
  }
  return { exact, patterns, unlisted };
}

function ruleFor(envelope: Envelope, key: string): CompiledRule | undefined {
  return envelope.exact.get(key) ?? envelope.patterns.find((r) => r.pattern?.matches(key));
}

function finiteOrNull(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/**
 * Each setpoint against its rule: range, step from the current value, rate since the last write.
 * `current` and `lastWriteTimes` are keyed by signal key (epoch ms); `now` is epoch ms.
 */
export function checkEnvelope(
  candidate: Candidate,
  current: Record<string, number | null | undefined>,
  envelope: Envelope,
  lastWriteTimes: Record<string, number | undefined>,
  now: number,
): EnvelopeResult {
  const checks: SetpointCheck[] = [];
  const setpoints = candidate.setpoints ?? {};
  for (const key of Object.keys(setpoints)) {
    const value = setpoints[key];
    const cur = hasOwn(current, key) ? finiteOrNull(current[key]) : null;
    const rule = ruleFor(envelope, key);
    const check: SetpointCheck = { key, value, current: cur, ok: true, reasons: [], rule: rule?.name ?? null, limits: rule ? { ...rule.limits } : null };
    if (!rule) {
      if (envelope.unlisted === 'refuse') check.reasons.push(`${key}: no envelope rule covers this setpoint`);
    } else {
      const { min, max, maxStep, maxRate } = rule.limits;
      if (min !== undefined && value < min) check.reasons.push(`${key}: ${value} is below the minimum ${min}`);
      if (max !== undefined && value > max) check.reasons.push(`${key}: ${value} is above the maximum ${max}`);
      if ((maxStep !== undefined || maxRate !== undefined) && cur === null) {
        check.reasons.push(`${key}: the current value is unknown, so the step and rate limits cannot be checked`);
      } else if (cur !== null) {
        const change = Math.abs(value - cur);
        if (maxStep !== undefined && change > maxStep) check.reasons.push(`${key}: a change of ${round(change)} from ${cur} exceeds the step limit ${maxStep}`);
        const last = hasOwn(lastWriteTimes, key) ? finiteOrNull(lastWriteTimes[key]) : null;
        if (maxRate !== undefined && last !== null && change > 0) {
          const minutes = Math.max(0, now - last) / 60_000;
          const allowed = maxRate * minutes;
          if (change > allowed) check.reasons.push(`${key}: a change of ${round(change)} ${round(minutes)} min after the last write exceeds the rate limit ${maxRate}/min (at most ${round(allowed)} now)`);
        }
      }
    }
    check.ok = check.reasons.length === 0;
    checks.push(check);
  }
  const failed = checks.filter((c) => !c.ok);
  return {
    ok: failed.length === 0,
    checks,
    reasons: failed.flatMap((c) => c.reasons),
    value: checks.length === 0 ? 1 : (checks.length - failed.length) / checks.length,
  };
}

/** Refuses a candidate outside the envelope: InputError 'outside envelope' with every reason. */
export function assertWithinEnvelope(result: EnvelopeResult, candidateId?: string): void {
  if (result.ok) return;
  const who = candidateId ? `candidate ${candidateId}` : 'the candidate';
  throw new InputError('outside envelope', `${who} is refused: ${result.reasons.join('; ')}`);
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
