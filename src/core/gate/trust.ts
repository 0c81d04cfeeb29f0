/**
 * The trust score: how far the twin can be trusted right now for THIS decision, from 0 to 100,
 * built from four parts, each a value in [0, 1] shown with its weight and the reason for it.
 *
 *   fidelity       how well recent predictions matched reality on the signals involved. Per
 *                  signal: from a normalised prediction error e (e.g. mean |residual| / signal
 *                  scale) the score max(0, 1 - e / errorLimit); from the deviation detector's
 *                  severity ok 1, warning 0.5, alarm 0; with both, the lower. The part is the
 *                  mean over the signals that have evidence.
 *   availability   the share of involved signals that are fresh, of good quality and have a value,
 *                  times uncalibratedFactor when the model is reported not calibrated, times
 *                  driftFactor when any involved signal drifts.
 *   counterfactual the share of checked KPIs whose worst case over the scenario set is within the
 *                  constraints and at least as good as the current settings' (counterfactual.ts).
 *   envelope       the share of setpoints inside the safety envelope; also a HARD gate: any
 *                  violation, or no envelope check at all, makes the verdict 'fail' whatever the
 *                  score.
 *
 * Missing evidence scores 0 for its part, never a neutral value: without evidence the gate must not
 * reach 'pass' on its own, so a person decides (the verdict is at best marginal).
 *
 *   score   = 100 * sum(weight_i * value_i) / sum(weight_i), rounded to 0.1
 *   verdict = fail if the envelope gate fails; else pass if score >= passAt (default 80);
 *             else marginal if score >= marginalAt (default 60); else fail.
 * Default weights: fidelity 0.35, availability 0.25, counterfactual 0.3, envelope 0.1.
 */
import { ConfigError, InputError, clip } from '../errors';
import type { CounterfactualResult } from './counterfactual';
import type { EnvelopeResult } from './envelope';
import { isRecord } from './util';

export type Verdict = 'pass' | 'marginal' | 'fail';
export type PartName = 'fidelity' | 'availability' | 'counterfactual' | 'envelope';

export interface FidelitySignal {
  key: string;
  /** Normalised prediction error (>= 0; 0 is perfect). */
  error?: number;
  /** Severity from twin-deviation for this signal. */
  severity?: 'ok' | 'warning' | 'alarm';
}

/** What twin-state reports per signal (a SignalSnapshot fits). */
export interface SignalStatus {
  key: string;
  stale?: boolean;
  quality?: 'good' | 'uncertain' | 'bad' | null;
  value?: unknown;
}

export interface AvailabilityEvidence {
  /** Per involved signal (preferred)... */
  signals?: SignalStatus[];
  /** ...or twin-state's summary for the subtree (Fidelity: signals, fresh, badQuality). */
  summary?: { signals: number; fresh: number; badQuality: number };
  /** Whether the model is calibrated now (false lowers the part; unknown does not). */
  calibrated?: boolean;
  /** Keys of involved signals in drift (twin-deviation's `drift` events). */
  drifting?: string[];
}

export interface TrustEvidence {
  fidelity?: FidelitySignal[];
  availability?: AvailabilityEvidence;
  counterfactual?: CounterfactualResult;
  envelope?: EnvelopeResult;
}

export type TrustWeights = Record<PartName, number>;

export interface TrustOptions {
  weights?: Partial<TrustWeights>;
  /** Score for 'pass' (default 80). */
  passAt?: number;
  /** Score for 'marginal' (default 60). */
  marginalAt?: number;
  /** Normalised error that scores 0 (default 0.2, i.e. 20 % of the signal's scale). */
  errorLimit?: number;
  uncalibratedFactor?: number;
  driftFactor?: number;
}

export interface TrustPart {
  name: PartName;
  value: number;
  weight: number;
  detail: string;
}

export interface TrustResult {
  score: number;
  verdict: Verdict;
  parts: TrustPart[];
  reasons: string[];
  passAt: number;
  marginalAt: number;
}

export interface AvailabilityResult {
  value: number;
  /** Every involved signal fresh and good, the model not reported uncalibrated, no drift. */
  ok: boolean;
  stale: string[];
  badQuality: string[];
  missing: string[];
  drifting: string[];
  detail: string;
}

const DEFAULT_WEIGHTS: TrustWeights = { fidelity: 0.35, availability: 0.25, counterfactual: 0.3, envelope: 0.1 };
const SEVERITY_SCORE = { ok: 1, warning: 0.5, alarm: 0 } as const;

interface Settings {
  weights: TrustWeights;
  passAt: number;
  marginalAt: number;
  errorLimit: number;
  uncalibratedFactor: number;
  driftFactor: number;
}

function between(v: unknown, lo: number, hi: number, name: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi) throw new ConfigError('bad trust settings', `${name} must be a number from ${lo} to ${hi}`);
  return v;
}

/** Checked settings with defaults filled in; ConfigError for bad ones. */
export function trustSettings(options: TrustOptions = {}): Settings {
  if (!isRecord(options as unknown)) throw new ConfigError('bad trust settings', 'trust options must be an object');
  const weights = { ...DEFAULT_WEIGHTS };
  for (const [k, v] of Object.entries(options.weights ?? {})) {
    if (!(k in DEFAULT_WEIGHTS)) throw new ConfigError('bad trust settings', `unknown weight "${k}" (known: ${Object.keys(DEFAULT_WEIGHTS).join(', ')})`);
    weights[k as PartName] = between(v, 0, 1000, `weight ${k}`);
  }
  if (Object.values(weights).reduce((s, w) => s + w, 0) <= 0) throw new ConfigError('bad trust settings', 'the weights must not all be 0');
  const passAt = between(options.passAt ?? 80, 0, 100, 'passAt');
  const marginalAt = between(options.marginalAt ?? 60, 0, 100, 'marginalAt');
  if (marginalAt > passAt) throw new ConfigError('bad trust settings', `marginalAt ${marginalAt} is above passAt ${passAt}`);
  const errorLimit = between(options.errorLimit ?? 0.2, 1e-12, 1e12, 'errorLimit');
  return {
    weights,
    passAt,
    marginalAt,
    errorLimit,
    uncalibratedFactor: between(options.uncalibratedFactor ?? 0.5, 0, 1, 'uncalibratedFactor'),
    driftFactor: between(options.driftFactor ?? 0.5, 0, 1, 'driftFactor'),
  };
}

/** The first five keys, each clipped: a reason stays one readable line. */
function someKeys(keys: string[]): string {
  return `${keys.slice(0, 5).map((k) => clip(k)).join(', ')}${keys.length > 5 ? '...' : ''}`;
}

function pct(x: number): string {
  return `${Math.round(x * 1000) / 10} %`;
}

function fidelityPart(signals: FidelitySignal[] | undefined, s: Settings): { value: number; detail: string } {
  if (signals === undefined || signals.length === 0) return { value: 0, detail: 'no fidelity evidence for the involved signals' };
  if (!Array.isArray(signals)) throw new InputError('bad evidence', 'evidence.fidelity must be a list of {key, error?, severity?}');
  const scores: Array<{ key: string; score: number }> = [];
  signals.forEach((sig, i) => {
    if (!isRecord(sig) || typeof sig.key !== 'string') throw new InputError('bad evidence', `evidence.fidelity[${i}] needs a key`);
    const parts: number[] = [];
    if (sig.error !== undefined) {
      if (typeof sig.error !== 'number' || !Number.isFinite(sig.error) || sig.error < 0) throw new InputError('bad evidence', `evidence.fidelity[${i}].error must be a finite number >= 0`);
      parts.push(Math.max(0, 1 - sig.error / s.errorLimit));
    }
    if (sig.severity !== undefined) {
      if (typeof sig.severity !== 'string' || !Object.prototype.hasOwnProperty.call(SEVERITY_SCORE, sig.severity)) throw new InputError('bad evidence', `evidence.fidelity[${i}].severity must be ok, warning or alarm`);
      parts.push(SEVERITY_SCORE[sig.severity]);
    }
    if (parts.length > 0) scores.push({ key: sig.key, score: Math.min(...parts) });
  });
  if (scores.length === 0) return { value: 0, detail: 'no signal had an error or a severity' };
  const value = scores.reduce((a, b) => a + b.score, 0) / scores.length;
  const worst = scores.reduce((a, b) => (b.score < a.score ? b : a));
  return { value, detail: `mean over ${scores.length} signals ${pct(value)}; weakest ${clip(worst.key)} at ${pct(worst.score)}` };
}

/**
 * The availability part on its own: the rollout uses `ok` to hold a promotion while an involved
 * signal is stale, of bad quality, missing or drifting.
 */
export function availabilityOf(evidence: AvailabilityEvidence | undefined, options: TrustOptions = {}): AvailabilityResult {
  const s = trustSettings(options);
  const none: AvailabilityResult = { value: 0, ok: false, stale: [], badQuality: [], missing: [], drifting: [], detail: 'no availability evidence' };
  if (evidence === undefined) return none;
  if (!isRecord(evidence as unknown)) throw new InputError('bad evidence', 'evidence.availability must be an object');
  const drifting = Array.isArray(evidence.drifting) ? evidence.drifting.filter((k): k is string => typeof k === 'string') : [];
  let share: number;
  const out: AvailabilityResult = { ...none, drifting };
  const notes: string[] = [];
  if (Array.isArray(evidence.signals) && evidence.signals.length > 0) {
    for (const [i, sig] of evidence.signals.entries()) {
      if (!isRecord(sig) || typeof sig.key !== 'string') throw new InputError('bad evidence', `evidence.availability.signals[${i}] needs a key`);
      if (sig.value === null || (sig.quality === null && sig.value === undefined)) out.missing.push(sig.key);
      else if (sig.stale === true) out.stale.push(sig.key);
      else if (sig.quality !== 'good') out.badQuality.push(sig.key);
    }
    const n = evidence.signals.length;
    share = (n - out.missing.length - out.stale.length - out.badQuality.length) / n;
    notes.push(`${pct(share)} of ${n} signals fresh and good`);
    if (out.stale.length) notes.push(`stale: ${someKeys(out.stale)}`);
    if (out.badQuality.length) notes.push(`not good quality: ${someKeys(out.badQuality)}`);
    if (out.missing.length) notes.push(`never received: ${someKeys(out.missing)}`);
  } else if (isRecord(evidence.summary)) {
    const { signals, fresh, badQuality } = evidence.summary as Record<string, unknown>;
    if (![signals, fresh, badQuality].every((v) => typeof v === 'number' && Number.isFinite(v) && v >= 0)) throw new InputError('bad evidence', 'evidence.availability.summary needs signals, fresh and badQuality counts');
    const n = signals as number;
    share = n === 0 ? 0 : Math.max(0, Math.min(1, ((fresh as number) - (badQuality as number)) / n));
    notes.push(`${pct(share)} of ${n} signals fresh and good (summary)`);
  } else {
    return none;
  }
  let value = share;
  if (evidence.calibrated === false) {
    value *= s.uncalibratedFactor;
    notes.push('model not calibrated');
  } else if (evidence.calibrated === undefined) {
    notes.push('calibration not reported');
  }
  if (drifting.length > 0) {
    value *= s.driftFactor;
    notes.push(`drift on ${someKeys(drifting)}`);
  }
  out.value = value;
  out.ok = share === 1 && evidence.calibrated !== false && drifting.length === 0;
  out.detail = notes.join('; ');
  return out;
}

/** The score, its parts and the verdict, from the evidence (see the file comment for the formula). */
export function trustScore(evidence: TrustEvidence, options: TrustOptions = {}): TrustResult {
  const s = trustSettings(options);
  if (!isRecord(evidence as unknown)) throw new InputError('bad evidence', 'trust evidence must be an object');
  const reasons: string[] = [];

  const fid = fidelityPart(evidence.fidelity, s);
  const avail = availabilityOf(evidence.availability, options);

  const cf = evidence.counterfactual;
  const cfPart = cf === undefined
    ? { value: 0, detail: 'no counterfactual check' }
    : { value: cf.value, detail: cf.kpis.length === 0 ? (cf.reasons.length ? cf.reasons.join('; ') : 'no KPI checked') : `${cf.kpis.filter((k) => k.pass).length} of ${cf.kpis.length} KPIs pass over ${cf.scenarios} scenarios${cf.reasons.length ? `: ${cf.reasons.join('; ')}` : ''}` };

  const env = evidence.envelope;
  const envPart = env === undefined
    ? { value: 0, detail: 'the envelope was not checked' }
    : { value: env.value, detail: env.ok ? `all ${env.checks.length} setpoints within the envelope` : env.reasons.join('; ') };

  const parts: TrustPart[] = [
    { name: 'fidelity', value: fid.value, weight: s.weights.fidelity, detail: fid.detail },
    { name: 'availability', value: avail.value, weight: s.weights.availability, detail: avail.detail },
    { name: 'counterfactual', value: cfPart.value, weight: s.weights.counterfactual, detail: cfPart.detail },
    { name: 'envelope', value: envPart.value, weight: s.weights.envelope, detail: envPart.detail },
  ];
  const totalWeight = parts.reduce((a, p) => a + p.weight, 0);
  const score = Math.round((1000 * parts.reduce((a, p) => a + p.weight * p.value, 0)) / totalWeight) / 10;

  for (const p of parts) if (p.value < 1 && p.weight > 0) reasons.push(`${p.name} ${pct(p.value)}: ${p.detail}`);

  let verdict: Verdict;
  if (env === undefined || !env.ok) {
    verdict = 'fail';
    reasons.unshift(env === undefined ? 'hard gate: the safety envelope was not checked' : `hard gate: outside the safety envelope (${env.reasons.join('; ')})`);
  } else if (score >= s.passAt) {
    verdict = 'pass';
  } else if (score >= s.marginalAt) {
    verdict = 'marginal';
    reasons.unshift(`score ${score} is below ${s.passAt}: a person decides`);
  } else {
    verdict = 'fail';
    reasons.unshift(`score ${score} is below ${s.marginalAt}`);
  }
  return { score, verdict, parts, reasons, passAt: s.passAt, marginalAt: s.marginalAt };
}
