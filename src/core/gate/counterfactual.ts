/**
 * The counterfactual check: the candidate and the current settings each run on the simulator over
 * the same scenario set (the caller's function does the running, e.g. through the simulator's
 * `scenarioSet`), then per KPI:
 *   - within constraints: the candidate's WORST case over the scenarios respects the KPI's min/max;
 *   - better than current: the candidate's worst case is at least as good as the current settings'
 *     worst case (a relative slack `tolerance` may be allowed, default 0).
 * A KPI passes when both hold. The worst case, not the mean, is compared because the gate guards
 * against the bad day: a candidate that wins on average but loses badly in one scenario of the
 * set is not better for the plant.
 *
 * The KPIs checked are those with a goal or a constraint. A KPI missing from any run fails.
 */
import { ConfigError, InputError } from '../errors';
import type { SettingValue } from './util';
import { hasOwn, isRecord } from './util';

export type KpiGoal = 'max' | 'min';

export interface KpiConstraint {
  min?: number;
  max?: number;
}

export interface CounterfactualSpec {
  /** Which way is better per KPI. */
  goals: Record<string, KpiGoal>;
  constraints?: Record<string, KpiConstraint>;
  /** Relative slack for "at least as good as current" (default 0). */
  tolerance?: number;
}

export type KpiRecord = Record<string, number>;

export interface CounterfactualKpi {
  name: string;
  goal: KpiGoal | null;
  worstCandidate: number | null;
  worstCurrent: number | null;
  meanCandidate: number | null;
  meanCurrent: number | null;
  withinConstraints: boolean;
  betterThanCurrent: boolean;
  pass: boolean;
  detail: string;
}

export interface CounterfactualResult {
  ok: boolean;
  /** Share of the checked KPIs that pass (0 when none could be checked). */
  value: number;
  scenarios: number;
  kpis: CounterfactualKpi[];
  reasons: string[];
}

/** Runs one side of the check: returns the KPIs of each scenario, in scenario order. */
export type ScenarioRunner = (settings: Record<string, SettingValue>, side: 'candidate' | 'current') => Promise<KpiRecord[]> | KpiRecord[];

function checkSpec(spec: CounterfactualSpec): void {
  if (!isRecord(spec as unknown) || !isRecord(spec.goals as unknown)) throw new ConfigError('bad counterfactual', 'the counterfactual check needs goals: a record of KPI to "max" or "min"');
  for (const [k, g] of Object.entries(spec.goals)) if (g !== 'max' && g !== 'min') throw new ConfigError('bad counterfactual', `goal of KPI ${k} must be "max" or "min"`);
  if (spec.constraints !== undefined && !isRecord(spec.constraints)) throw new ConfigError('bad counterfactual', 'constraints must be a record of KPI to {min, max}');
  for (const [k, c] of Object.entries(spec.constraints ?? {})) {
    if (!isRecord(c)) throw new ConfigError('bad counterfactual', `constraint of KPI ${k} must be {min?, max?}`);
    for (const f of ['min', 'max'] as const) if (c[f] !== undefined && !Number.isFinite(c[f])) throw new ConfigError('bad counterfactual', `constraint ${f} of KPI ${k} must be a finite number`);
  }
  if (spec.tolerance !== undefined && !(Number.isFinite(spec.tolerance) && spec.tolerance >= 0)) throw new ConfigError('bad counterfactual', 'tolerance must be a number >= 0');
}

function checkRuns(runs: unknown, side: string): KpiRecord[] {
  if (!Array.isArray(runs) || runs.length === 0) throw new InputError('bad counterfactual', `the ${side} runs must be a non-empty list of KPI records`);
  return runs.map((r, i) => {
    if (!isRecord(r)) throw new InputError('bad counterfactual', `${side} run ${i} is not a KPI record`);
    return r as KpiRecord;
  });
}

/** Worst and mean of one KPI over runs; null when a run lacks it or it is not finite. */
function stats(runs: KpiRecord[], kpi: string, goal: KpiGoal | null): { worst: number; mean: number } | null {
  const values: number[] = [];
  for (const r of runs) {
    const v = hasOwn(r, kpi) ? r[kpi] : undefined;
    if (typeof v !== 'number' || !Number.isFinite(v)) return null;
    values.push(v);
  }
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  // With no goal the worst case is judged against the constraints only: take the extreme that
  // is nearer to breaking one, which the caller does by checking both min and max.
  const worst = goal === 'min' ? Math.max(...values) : Math.min(...values);
  return { worst, mean };
}

/** The pure part of the check, from the runs of both sides. */
export function assessCounterfactual(candidateRuns: KpiRecord[], currentRuns: KpiRecord[], spec: CounterfactualSpec): CounterfactualResult {
  checkSpec(spec);
  const cand = checkRuns(candidateRuns, 'candidate');
  const cur = checkRuns(currentRuns, 'current');
  const tol = spec.tolerance ?? 0;
  const constraints = spec.constraints ?? {};
  const names = [...new Set([...Object.keys(spec.goals), ...Object.keys(constraints)])];
  const kpis: CounterfactualKpi[] = names.map((name) => {
    const goal = hasOwn(spec.goals, name) ? spec.goals[name] : null;
    const c = stats(cand, name, goal);
    const p = stats(cur, name, goal);
    const entry: CounterfactualKpi = { name, goal, worstCandidate: c?.worst ?? null, worstCurrent: p?.worst ?? null, meanCandidate: c?.mean ?? null, meanCurrent: p?.mean ?? null, withinConstraints: false, betterThanCurrent: false, pass: false, detail: '' };
    if (!c) {
      entry.detail = `${name}: not reported by every candidate scenario`;
      return entry;
    }
    const problems: string[] = [];
    const limit = hasOwn(constraints, name) ? constraints[name] : undefined;
    // Both extremes are checked against the constraints, whatever the goal.
    const lo = Math.min(...cand.map((r) => r[name])), hi = Math.max(...cand.map((r) => r[name]));
    if (limit?.min !== undefined && lo < limit.min) problems.push(`worst case ${lo} is below the constraint ${limit.min}`);
    if (limit?.max !== undefined && hi > limit.max) problems.push(`worst case ${hi} is above the constraint ${limit.max}`);
    entry.withinConstraints = problems.length === 0;
    if (goal === null) {
      entry.betterThanCurrent = true; // a pure constraint: nothing to be better at
    } else if (!p) {
      problems.push('not reported by every current-settings scenario, so it cannot be compared');
    } else {
      const slack = tol * Math.abs(p.worst);
      entry.betterThanCurrent = goal === 'max' ? c.worst >= p.worst - slack : c.worst <= p.worst + slack;
      if (!entry.betterThanCurrent) problems.push(`worst case ${c.worst} is worse than the current settings' ${p.worst}`);
    }
    entry.pass = entry.withinConstraints && entry.betterThanCurrent;
    entry.detail = entry.pass ? `${name}: worst case ${c.worst} within constraints${goal ? ` and at least as good as current ${p?.worst}` : ''}` : `${name}: ${problems.join('; ')}`;
    return entry;
  });
  const passed = kpis.filter((k) => k.pass).length;
  return {
    ok: kpis.length > 0 && passed === kpis.length,
    value: kpis.length === 0 ? 0 : passed / kpis.length,
    scenarios: cand.length,
    kpis,
    reasons: kpis.filter((k) => !k.pass).map((k) => k.detail),
  };
}

/** Runs both sides through the caller's runner (one after the other) and assesses them. */
export async function runCounterfactual(
  run: ScenarioRunner,
  candidateSettings: Record<string, SettingValue>,
  currentSettings: Record<string, SettingValue>,
  spec: CounterfactualSpec,
): Promise<CounterfactualResult> {
  checkSpec(spec);
  const candidateRuns = await run(candidateSettings, 'candidate');
  const currentRuns = await run(currentSettings, 'current');
  return assessCounterfactual(candidateRuns, currentRuns, spec);
}
