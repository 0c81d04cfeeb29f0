/**
 * The analysis at the end of a rollout step's window: realised KPIs of the exposed targets (or
 * exposed time windows / batches) against the prediction and against the control group still on
 * the old settings. The outcome is promote, hold or rollback.
 *
 * Per predicted KPI, with E the exposed values in the window and C the control values:
 *
 *   vs prediction  The accepted band is the prediction ± tolerance·|prediction| (tolerance per KPI,
 *                  default 0.1), or the prediction interval widened by the same amount when the
 *                  candidate gave one. The mean of E inside the band is 'ok'. Outside it, with
 *                  n >= 2 the t-interval of the mean (scenarios/statistics `summarise`) decides: it
 *                  must lie wholly outside the band to call it a departure, otherwise 'unclear'
 *                  (hold: more data decides). With a goal, a departure on the better side is
 *                  'better' (noted, not a reason to roll back); without a goal either side departs.
 *   vs control     Only with a goal. With >= welchMinSamples on both sides: Welch's interval
 *                  (compareScenarios, control as base): 'worse' when significant AND the worsening
 *                  exceeds controlMargin·|control mean| (machine-to-machine differences make tiny
 *                  significant gaps common). With fewer samples (>= 1 each): 'worse' when the means
 *                  differ the wrong way by more than the KPI's tolerance. No control: 'none'.
 *
 * Outcome: rollback when any KPI departed or is worse than control; else hold when any KPI has fewer
 * than minSamples exposed values or is unclear, or availability is not ok; else promote.
 */
import { compareScenarios, summarise, type KpiComparison } from '../scenarios/statistics';
import type { Prediction } from './candidate';
import type { KpiGoal } from './counterfactual';
import { hasOwn } from './util';

export interface KpiRule {
  /** Relative tolerance around the prediction (default: the rollout's defaultTolerance). */
  tolerance?: number;
  /** Which way is better; without one, the control comparison is skipped. */
  goal?: KpiGoal;
}

export interface AnalysisSettings {
  kpis: Record<string, KpiRule>;
  defaultTolerance: number;
  minSamples: number;
  welchMinSamples: number;
  confidence: number;
  controlMargin: number;
}

export type Outcome = 'promote' | 'hold' | 'rollback';

export interface KpiAnalysis {
  name: string;
  predicted: number;
  band: { low: number; high: number };
  nExposed: number;
  exposedMean: number | null;
  nControl: number;
  controlMean: number | null;
  vsPrediction: 'ok' | 'better' | 'departed' | 'unclear' | 'insufficient';
  vsControl: 'ok' | 'worse' | 'none' | 'insufficient';
  method: 'welch' | 'rule' | 'none';
  comparison?: KpiComparison;
  detail: string;
}

export interface StepAnalysis {
  outcome: Outcome;
  kpis: KpiAnalysis[];
  reasons: string[];
  availabilityOk: boolean;
}

export interface AnalysisInput {
  predicted: Prediction;
  exposed: Array<Record<string, number>>;
  control: Array<Record<string, number>>;
  availability: { ok: boolean; reason?: string } | null;
  settings: AnalysisSettings;
}

function values(records: Array<Record<string, number>>, kpi: string): number[] {
  const out: number[] = [];
  for (const r of records) if (hasOwn(r, kpi) && Number.isFinite(r[kpi])) out.push(r[kpi]);
  return out;
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

function fmt(x: number): string {
  return String(Math.round(x * 1e4) / 1e4);
}

function analyseKpi(name: string, input: AnalysisInput): KpiAnalysis {
  const { settings, predicted } = input;
  const rule = hasOwn(settings.kpis, name) ? settings.kpis[name] : {};
  const tol = rule.tolerance ?? settings.defaultTolerance;
  const goal = rule.goal ?? null;
  const p = predicted.kpis[name];
  const slack = tol * Math.max(Math.abs(p), 1e-9);
  const iv = predicted.intervals && hasOwn(predicted.intervals, name) ? predicted.intervals[name] : undefined;
  const band = { low: (iv ? iv.low : p) - slack, high: (iv ? iv.high : p) + slack };
  const e = values(input.exposed, name);
  const c = values(input.control, name);
  const out: KpiAnalysis = { name, predicted: p, band, nExposed: e.length, exposedMean: e.length ? mean(e) : null, nControl: c.length, controlMean: c.length ? mean(c) : null, vsPrediction: 'insufficient', vsControl: 'none', method: 'none', detail: '' };
  const notes: string[] = [];

  if (e.length < settings.minSamples) {
    out.vsPrediction = 'insufficient';
    notes.push(`${e.length} exposed values (need ${settings.minSamples})`);
  } else {
    const m = out.exposedMean as number;
    if (m >= band.low && m <= band.high) {
      out.vsPrediction = 'ok';
      notes.push(`realised ${fmt(m)} within ${fmt(band.low)}..${fmt(band.high)} of prediction ${fmt(p)}`);
    } else {
      const above = m > band.high;
      // The interval of the mean must clear the band: noise alone is not a departure.
      const s = e.length >= 2 ? summarise(e, settings.confidence) : null;
      const clear = s === null || !Number.isFinite(s.halfWidth) ? true : above ? s.low > band.high : s.high < band.low;
      const betterSide = goal !== null && ((goal === 'max' && above) || (goal === 'min' && !above));
      if (betterSide) out.vsPrediction = 'better';
      else out.vsPrediction = clear ? 'departed' : 'unclear';
      notes.push(`realised ${fmt(m)} ${above ? 'above' : 'below'} the band ${fmt(band.low)}..${fmt(band.high)} of prediction ${fmt(p)}${out.vsPrediction === 'unclear' ? ' (not clear of it yet)' : ''}`);
    }
  }

  if (goal !== null && c.length > 0 && e.length > 0) {
    const sign = goal === 'max' ? 1 : -1;
    if (e.length >= settings.welchMinSamples && c.length >= settings.welchMinSamples) {
      out.method = 'welch';
      const cmp = compareScenarios(c.map((v) => ({ [name]: v })), e.map((v) => ({ [name]: v })), settings.confidence)[name];
      out.comparison = cmp;
      const worsening = -sign * cmp.difference;
      out.vsControl = cmp.significant && worsening > settings.controlMargin * Math.abs(cmp.base) ? 'worse' : 'ok';
      notes.push(`vs control ${fmt(cmp.base)}: difference ${fmt(cmp.difference)} ± ${fmt(cmp.halfWidth)} (Welch, ${out.vsControl})`);
    } else {
      out.method = 'rule';
      const em = out.exposedMean as number, cm = out.controlMean as number;
      const worsening = -sign * (em - cm);
      out.vsControl = worsening > tol * Math.max(Math.abs(cm), 1e-9) ? 'worse' : 'ok';
      notes.push(`vs control ${fmt(cm)}: ${out.vsControl} (few values, rule: worse by more than ${tol * 100} %)`);
    }
  } else if (goal !== null && c.length === 0 && input.control.length > 0) {
    out.vsControl = 'insufficient';
  }
  out.detail = `${name}: ${notes.join('; ')}`;
  return out;
}

/** The step's outcome from the window's realised KPIs (see the file comment). */
export function analyseStep(input: AnalysisInput): StepAnalysis {
  const kpis = Object.keys(input.predicted.kpis).map((name) => analyseKpi(name, input));
  const reasons: string[] = [];
  const bad = kpis.filter((k) => k.vsPrediction === 'departed' || k.vsControl === 'worse');
  const availabilityOk = input.availability?.ok !== false;
  let outcome: Outcome;
  if (bad.length > 0) {
    outcome = 'rollback';
    for (const k of bad) reasons.push(k.vsPrediction === 'departed' ? `reality departs from the prediction: ${k.detail}` : `worse than the targets on the old settings: ${k.detail}`);
  } else {
    const waiting = kpis.filter((k) => k.vsPrediction === 'insufficient' || k.vsPrediction === 'unclear');
    for (const k of waiting) reasons.push(`not enough evidence: ${k.detail}`);
    if (!availabilityOk) reasons.push(`signals not available: ${input.availability?.reason ?? 'availability not ok'}`);
    outcome = waiting.length > 0 || !availabilityOk ? 'hold' : 'promote';
    if (outcome === 'promote') reasons.push('realised KPIs follow the prediction');
  }
  return { outcome, kpis, reasons, availabilityOk };
}
