/**
 * Confidence intervals for simulation replications and the comparison of two scenarios.
 * Intervals use the Student-t quantile (student-t.ts); two scenarios are compared with Welch's
 * unequal-variance interval on the difference of means, because replication counts and spreads
 * usually differ between scenarios.
 *
 * With a single value the spread is unknown: sd, halfWidth, low and high are NaN (null in JSON).
 */
import { ConfigError, InputError } from '../errors';
import { studentTQuantile } from './student-t';

export { studentTCdf, studentTQuantile } from './student-t';

export interface Summary {
  n: number;
  mean: number;
  /** Sample standard deviation (n - 1 in the denominator). */
  sd: number;
  min: number;
  max: number;
  /** Half the width of the confidence interval of the mean. */
  halfWidth: number;
  low: number;
  high: number;
}

export interface KpiSummary extends Summary {
  /** Replications whose value for this KPI was missing or not a finite number. */
  ignored: number;
}

export interface KpiComparison {
  /** Means of the baseline and the alternative. */
  base: number;
  alt: number;
  /** alt - base. */
  difference: number;
  /** difference / |base| (NaN when base is 0). */
  relative: number;
  /** Welch interval of the difference at the requested confidence. */
  halfWidth: number;
  low: number;
  high: number;
  /** Welch–Satterthwaite degrees of freedom. */
  df: number;
  /** True when the interval excludes 0. */
  significant: boolean;
  nBase: number;
  nAlt: number;
}

const RESERVED = new Set(['__proto__', 'constructor', 'prototype']);

function checkConfidence(confidence: number): void {
  if (typeof confidence !== 'number' || !(confidence > 0 && confidence < 1)) throw new ConfigError('bad confidence', `confidence must be between 0 and 1 (e.g. 0.95), got ${String(confidence)}`);
}

/** Two-sided t multiplier for a confidence level. */
function tMultiplier(confidence: number, df: number): number {
  return studentTQuantile(1 - (1 - confidence) / 2, df);
}

export function summarise(values: number[], confidence = 0.95): Summary {
  checkConfidence(confidence);
  if (!Array.isArray(values) || values.length === 0) throw new InputError('no values', 'summarise needs a non-empty list of numbers');
  values.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new InputError('not finite', `values[${i}] = ${String(v)} is not a finite number`);
  });
  const n = values.length;
  const mean = values.reduce((s, v) => s + v, 0) / n;
  // Two passes: the second corrects the rounding of the first (Chan et al.), so sd stays accurate
  // for values with a large common offset.
  let sq = 0, err = 0, min = Infinity, max = -Infinity;
  for (const v of values) {
    sq += (v - mean) ** 2;
    err += v - mean;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const sd = n > 1 ? Math.sqrt(Math.max(0, (sq - (err * err) / n) / (n - 1))) : NaN;
  const halfWidth = n > 1 ? (tMultiplier(confidence, n - 1) * sd) / Math.sqrt(n) : NaN;
  return { n, mean, sd, min, max, halfWidth, low: mean - halfWidth, high: mean + halfWidth };
}

/** Summary per KPI over replications; values that are not finite numbers are skipped and counted. */
export function summariseKpis(replications: Array<Record<string, number>>, confidence = 0.95): Record<string, KpiSummary> {
  checkConfidence(confidence);
  if (!Array.isArray(replications)) throw new InputError('bad replications', 'replications must be a list of KPI records');
  const values = new Map<string, number[]>();
  const records = replications.filter((r): r is Record<string, number> => r !== null && typeof r === 'object' && !Array.isArray(r));
  for (const record of records) {
    for (const [kpi, v] of Object.entries(record)) {
      if (RESERVED.has(kpi) || typeof v !== 'number' || !Number.isFinite(v)) continue;
      let list = values.get(kpi);
      if (!list) values.set(kpi, (list = []));
      list.push(v);
    }
  }
  const out: Record<string, KpiSummary> = {};
  for (const [kpi, list] of values) out[kpi] = { ...summarise(list, confidence), ignored: replications.length - list.length };
  return out;
}

/** Raw replications or their summaries (summariseKpis output). */
export type ScenarioSample = Array<Record<string, number>> | Record<string, Summary>;

function asSummaries(sample: ScenarioSample, which: string, confidence: number): Record<string, Summary> {
  if (Array.isArray(sample)) return summariseKpis(sample, confidence);
  if (sample === null || typeof sample !== 'object') throw new InputError('bad scenario', `${which} must be a list of replications or a record of KPI summaries`);
  const out: Record<string, Summary> = {};
  for (const [kpi, s] of Object.entries(sample)) {
    if (RESERVED.has(kpi)) continue;
    const ok = s && typeof s === 'object' && Number.isInteger(s.n) && s.n >= 1 && Number.isFinite(s.mean) && (s.n === 1 || (Number.isFinite(s.sd) && s.sd >= 0));
    if (!ok) throw new InputError('bad summary', `${which}.${kpi} needs n >= 1, a finite mean and (with n > 1) a finite sd`);
    out[kpi] = s;
  }
  return out;
}

/**
 * Difference alt - base per KPI present in both, with Welch's interval. Either argument may be the
 * raw replications or their summaries. With fewer than 2 values on a side the interval is NaN and
 * the difference is never called significant.
 */
export function compareScenarios(base: ScenarioSample, alt: ScenarioSample, confidence = 0.95): Record<string, KpiComparison> {
  checkConfidence(confidence);
  const a = asSummaries(base, 'base', confidence);
  const b = asSummaries(alt, 'alt', confidence);
  const out: Record<string, KpiComparison> = {};
  for (const kpi of Object.keys(a)) {
    if (!Object.prototype.hasOwnProperty.call(b, kpi)) continue;
    const sa = a[kpi], sb = b[kpi];
    const difference = sb.mean - sa.mean;
    let halfWidth = NaN, df = NaN;
    if (sa.n > 1 && sb.n > 1) {
      const va = (sa.sd * sa.sd) / sa.n, vb = (sb.sd * sb.sd) / sb.n;
      const se2 = va + vb;
      // Welch–Satterthwaite; with no spread on either side the pooled df is the natural limit.
      df = se2 > 0 ? (se2 * se2) / ((va * va) / (sa.n - 1) + (vb * vb) / (sb.n - 1)) : sa.n + sb.n - 2;
      halfWidth = se2 > 0 ? tMultiplier(confidence, df) * Math.sqrt(se2) : 0;
    }
    const low = difference - halfWidth, high = difference + halfWidth;
    out[kpi] = {
      base: sa.mean,
      alt: sb.mean,
      difference,
      relative: sa.mean !== 0 ? difference / Math.abs(sa.mean) : NaN,
      halfWidth,
      low,
      high,
      df,
      significant: low > 0 || high < 0,
      nBase: sa.n,
      nAlt: sb.n,
    };
  }
  return out;
}
