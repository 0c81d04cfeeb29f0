/**
 * The counterfactual check run on the twin's simulator: the candidate's settings and the current
 * ones, each under every scenario of the set, in ONE scenario-set request so that both sides use
 * the same random numbers (common random numbers: the difference comes from the settings alone).
 *
 * A scenario is a what-if overlay in the simulator's request format ({label, duration, inputs,
 * parameters, line: {...}}), e.g. a high-demand product mix or a slower supplier; with none given
 * the set is the plant as it is. Each line replication of each scenario is one KPI record, so the
 * worst case is taken over scenarios x replications. KPI names are the optimizer's expression
 * symbols ("line_throughput", "T"), so one vocabulary serves objectives, constraints and the gate.
 */
import { ConfigError, InputError } from '../errors';
import type { CounterfactualSpec, KpiRecord, ScenarioRunner } from './counterfactual';
import { FORBIDDEN_KEYS, hasOwn, isRecord, type SettingValue } from './util';

export interface SimulatorCheckConfig extends CounterfactualSpec {
  /** Line replications per scenario and side (default 10). */
  replications: number;
  /** Seed shared by both sides (default 1). */
  seed: number;
  /** What-if overlays; default one: the plant as it is. */
  scenarios: Array<Record<string, unknown>>;
  /** Physics horizon (s) and line length, when the simulator's defaults do not fit. */
  duration?: number;
  until?: number;
}

/** What the check needs from a simulator: its scenario-set request (twin-simulator's runtime). */
export type ScenarioSetFunction = (payload: { scenarios: Array<Record<string, unknown>> }) => Promise<{ scenarios: Array<{ kpis: Record<string, number>; line?: { replicationKpis: Array<Record<string, number>> } }> }>;

const MAX_SCENARIOS = 20;

export function parseSimulatorCheck(raw: unknown): SimulatorCheckConfig | undefined {
  if (raw === undefined) return undefined;
  if (!isRecord(raw)) throw new ConfigError('bad counterfactual', 'the counterfactual check must be an object {goals, constraints?, replications?, scenarios?}');
  const known = ['goals', 'constraints', 'tolerance', 'replications', 'seed', 'scenarios', 'duration', 'until'];
  for (const k of Object.keys(raw)) if (!known.includes(k)) throw new ConfigError('bad counterfactual', `unknown counterfactual setting "${k}" (known: ${known.join(', ')})`);
  if (!isRecord(raw.goals) || Object.keys(raw.goals).length === 0) throw new ConfigError('bad counterfactual', 'the counterfactual check needs goals: KPI symbol to "max" or "min", e.g. {"line_throughput": "max"}');
  const int = (v: unknown, fallback: number, what: string, max: number): number => {
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max) throw new ConfigError('bad counterfactual', `${what} must be a whole number from 1 to ${max}`);
    return v;
  };
  const scenarios = raw.scenarios === undefined ? [{}] : raw.scenarios;
  if (!Array.isArray(scenarios) || scenarios.length === 0 || scenarios.length > MAX_SCENARIOS || !scenarios.every(isRecord)) {
    throw new ConfigError('bad counterfactual', `scenarios must be a list of 1 to ${MAX_SCENARIOS} what-if objects`);
  }
  const positive = (v: unknown, what: string): number | undefined => {
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) throw new ConfigError('bad counterfactual', `${what} must be a number > 0`);
    return v;
  };
  return {
    goals: raw.goals as CounterfactualSpec['goals'],
    constraints: raw.constraints as CounterfactualSpec['constraints'],
    tolerance: raw.tolerance as number | undefined,
    replications: int(raw.replications, 10, 'replications', 200),
    seed: int(raw.seed, 1, 'seed', 2 ** 31 - 1),
    scenarios: scenarios as Array<Record<string, unknown>>,
    duration: positive(raw.duration, 'duration'),
    until: positive(raw.until, 'until'),
  };
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (FORBIDDEN_KEYS.has(k)) continue;
    out[k] = isRecord(v) && isRecord(out[k]) ? deepMerge(out[k] as Record<string, unknown>, v) : v;
  }
  return out;
}

/**
 * The what-if overlay that applies settings given by setpoint key, through the inverse setpoint
 * map: "input.P" -> inputs.P, "line.Press.servers" -> line.stations.Press.servers, "k" -> parameters.k.
 */
export function settingsOverlay(settings: Record<string, SettingValue>, variableOf: Record<string, string>): Record<string, unknown> {
  const overlay: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(settings)) {
    if (!hasOwn(variableOf, key)) continue; // a setpoint the simulator does not model stays as defined
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new InputError('no current value', `the current value of ${key} is not a number (${JSON.stringify(value)}), so it cannot be simulated`);
    const parts = variableOf[key].split('.');
    let path: string[];
    if (parts[0] === 'line') path = parts[1] === 'source' ? ['line', 'sources', ...parts.slice(2)] : ['line', 'stations', ...parts.slice(1)];
    else if (parts[0] === 'input') path = ['inputs', parts[1]];
    else path = ['parameters', variableOf[key]];
    let at = overlay;
    for (const p of path.slice(0, -1)) at = (isRecord(at[p]) ? at[p] : (at[p] = {})) as Record<string, unknown>;
    at[path[path.length - 1]] = value;
  }
  return overlay;
}

const symbol = (name: string): string => name.replace(/[^A-Za-z0-9_]/g, '_');

/** KPI records of one scenario answer: one per line replication (physics KPIs in each), else one. */
function recordsOf(answer: { kpis: Record<string, number>; line?: { replicationKpis: Array<Record<string, number>> } }): KpiRecord[] {
  const physics: KpiRecord = {};
  for (const [k, v] of Object.entries(answer.kpis ?? {})) if (!k.startsWith('line.')) physics[symbol(k)] = v;
  const reps = answer.line?.replicationKpis;
  if (!reps || reps.length === 0) return [{ ...physics, ...Object.fromEntries(Object.entries(answer.kpis ?? {}).filter(([k]) => k.startsWith('line.')).map(([k, v]) => [symbol(k), v])) }];
  return reps.map((r) => ({ ...physics, ...Object.fromEntries(Object.entries(r).map(([k, v]) => [symbol(`line.${k}`), v])) }));
}

/**
 * A ScenarioRunner for runCounterfactual that runs both sides in one request: the first call
 * (candidate) runs everything, the second (current) takes its half from the same answer.
 */
export function simulatorRunner(
  run: ScenarioSetFunction,
  config: SimulatorCheckConfig,
  variableOf: Record<string, string>,
  bothSides: { candidate: Record<string, SettingValue>; current: Record<string, SettingValue> },
  hasLine: boolean,
): ScenarioRunner {
  let answer: Promise<{ candidate: KpiRecord[]; current: KpiRecord[] }> | undefined;
  const request = async (): Promise<{ candidate: KpiRecord[]; current: KpiRecord[] }> => {
    // A physics-only simulator refuses line settings; it is deterministic, one run per scenario.
    const evaluation: Record<string, unknown> = hasLine ? { line: { replications: config.replications, seed: config.seed, ...(config.until ? { until: config.until } : {}) } } : {};
    if (config.duration) evaluation.duration = config.duration;
    const sides = [settingsOverlay(bothSides.candidate, variableOf), settingsOverlay(bothSides.current, variableOf)];
    const scenarios = sides.flatMap((overlay, side) => config.scenarios.map((s, i) => ({ ...deepMerge(deepMerge(evaluation, s), overlay), label: `${side === 0 ? 'candidate' : 'current'} ${String(s.label ?? i)}` })));
    const result = await run({ scenarios });
    if (!result || !Array.isArray(result.scenarios) || result.scenarios.length !== scenarios.length) throw new InputError('bad simulator answer', 'the simulator did not answer every scenario');
    const n = config.scenarios.length;
    return { candidate: result.scenarios.slice(0, n).flatMap(recordsOf), current: result.scenarios.slice(n).flatMap(recordsOf) };
  };
  return async (_settings, side) => {
    answer ??= request();
    return (await answer)[side];
  };
}
