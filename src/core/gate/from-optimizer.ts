/**
 * Turning an optimizer's answer into a gate candidate.
 *
 * The optimizer speaks in simulator variables ("input.P", "line.Press.servers") and machine
 * numbers; the plant speaks in setpoint keys ("line1/oven1/heaterPower") and asset paths. The
 * gate's setpoint map (variable -> setpoint key) and machine list (machine number -> asset path)
 * are the translation, written once by the person who also wrote the envelope. A variable or a
 * machine the map does not name is refused, not dropped: a decision applied in part is not the
 * decision that was optimised.
 *
 * A setpoint key's target is its parent asset ("line1/oven1/heaterPower" -> "line1/oven1"),
 * in the order the map lists them (the order a rollout exposes them).
 */
import { ConfigError, InputError, clip, describeValue } from '../errors';
import { FORBIDDEN_KEYS, hasOwn, isRecord } from './util';

export interface OptimizerMapping {
  /** Optimizer variable name -> setpoint key. */
  variables: Record<string, string>;
  /** Machine number (index) -> asset path, for schedules. */
  machines: string[];
}

export interface OptimizerMeta {
  /** An id for the candidate (msg._msgid or a counter). */
  id: string;
  /** Revision of the twin model the optimizer used, when known. */
  modelRevision?: string | null;
  /**
   * The KPIs the plant reports per target (the rollout's and the counterfactual's KPIs). The
   * prediction keeps only these: a step analysis waits for every predicted KPI, and an optimizer
   * answer predicts all of the twin's (line totals, other stations) which no target reports.
   */
  measured?: string[];
}

const SCHEDULE_TOPICS = ['schedule', 'reschedule', 'rul-low', 'flowshop'];
const SETPOINT_TOPICS = ['optimise', 'optimize'];

/** True when msg.topic and payload look like a twin-optimizer answer the gate can take. */
export function isOptimizerAnswer(topic: string, payload: unknown): boolean {
  if (!isRecord(payload)) return false;
  if (SETPOINT_TOPICS.includes(topic)) return isRecord(payload.best) || payload.best === null;
  if (SCHEDULE_TOPICS.includes(topic)) return Array.isArray(payload.operations);
  return false;
}

function checkPath(path: unknown, what: string): string {
  if (typeof path !== 'string' || path.trim() === '') throw new ConfigError('bad setpoint map', `${what} must be a non-empty asset path`);
  const levels = path.split('/');
  if (levels.some((l) => l === '' || l === '*' || l === '**' || l === '#' || l === '+' || FORBIDDEN_KEYS.has(l))) {
    throw new ConfigError('bad setpoint map', `${what} "${path}" must be a plain asset path (no empty levels or patterns)`);
  }
  return path;
}

/** Validates the node's setpoint map and machine list (ConfigError at deploy). */
export function parseOptimizerMapping(variablesRaw: unknown, machinesRaw: unknown): OptimizerMapping {
  const variables: Record<string, string> = {};
  if (variablesRaw !== undefined) {
    if (!isRecord(variablesRaw)) throw new ConfigError('bad setpoint map', 'the setpoint map must be an object of optimizer variable: setpoint key');
    for (const [name, key] of Object.entries(variablesRaw)) {
      if (FORBIDDEN_KEYS.has(name)) throw new ConfigError('bad setpoint map', `"${name}" is not allowed as a variable name`);
      const k = checkPath(key, `the setpoint key of "${name}"`);
      if (!k.includes('/')) throw new ConfigError('bad setpoint map', `the setpoint key of "${name}" ("${k}") must be asset/signal, e.g. line1/oven1/heaterPower`);
      variables[name] = k;
    }
    const keys = Object.values(variables);
    const twice = keys.find((k, i) => keys.indexOf(k) !== i);
    if (twice) throw new ConfigError('bad setpoint map', `two variables write the same setpoint key "${twice}"`);
  }
  let machines: string[] = [];
  if (machinesRaw !== undefined) {
    if (!Array.isArray(machinesRaw)) throw new ConfigError('bad machine list', 'the machine list must be a JSON list of asset paths, machine 0 first');
    machines = machinesRaw.map((m, i) => checkPath(m, `machine ${i}`));
  }
  return { variables, machines };
}

/** The setpoint key's asset: everything before its last level. */
export function targetOfKey(key: string): string {
  return key.slice(0, key.lastIndexOf('/'));
}

/** The inverse map (setpoint key -> variable), for running settings on the simulator. */
export function variablesByKey(mapping: OptimizerMapping): Record<string, string> {
  return Object.fromEntries(Object.entries(mapping.variables).map(([name, key]) => [key, name]));
}

function finiteKpis(raw: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  if (!isRecord(raw)) return out;
  for (const [k, v] of Object.entries(raw)) if (typeof v === 'number' && Number.isFinite(v) && !FORBIDDEN_KEYS.has(k)) out[k] = v;
  return out;
}

/** A setpoint answer (topic optimise): best.point through the map; KPIs and their confirmation. */
function fromSetpoints(payload: Record<string, unknown>, mapping: OptimizerMapping, meta: OptimizerMeta): Record<string, unknown> {
  const best = payload.best;
  if (!isRecord(best) || !isRecord(best.point)) throw new InputError('no result', 'the optimizer answer has no best point: nothing to roll out', 'optimise');
  if (best.feasible === false) throw new InputError('infeasible', 'the optimizer found no point that meets the constraints: nothing to roll out', 'optimise');
  const names = Object.keys(best.point);
  const unmapped = names.filter((n) => !hasOwn(mapping.variables, n));
  if (unmapped.length > 0) {
    const named = unmapped.slice(0, 5).map((n) => `"${clip(n)}"`).join(', ') + (unmapped.length > 5 ? ` and ${unmapped.length - 5} more` : '');
    throw new InputError('unmapped variable', `the gate's setpoint map does not name ${named}: add them (variable: setpoint key) so the whole decision can be written`, 'optimise');
  }
  const setpoints: Record<string, number> = {};
  for (const name of names) {
    const value = best.point[name];
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new InputError('bad result', `variable "${clip(name)}" of the best point is not a finite number, got ${describeValue(value)}`, 'optimise');
    setpoints[mapping.variables[name]] = value;
  }
  // Targets in the map's order, so the rollout exposes assets in a stated order.
  const targets: string[] = [];
  for (const key of Object.values(mapping.variables)) {
    const t = targetOfKey(key);
    if (hasOwn(setpoints, key) && !targets.includes(t)) targets.push(t);
  }
  const kpis = finiteKpis(best.kpis);
  if (meta.measured && meta.measured.length > 0) {
    for (const k of Object.keys(kpis)) if (!meta.measured.includes(k)) delete kpis[k];
    if (Object.keys(kpis).length === 0) throw new InputError('no measured KPI', `the optimizer's answer predicts none of the KPIs the plant reports (${meta.measured.join(', ')})`, 'optimise');
  }
  const predicted: Record<string, unknown> = { kpis };
  const confirmation = isRecord(payload.confirmation) ? payload.confirmation : undefined;
  if (confirmation && isRecord(confirmation.comparison)) {
    // The confirmation's Welch interval is about the difference; the candidate's own interval is
    // its mean (alt) plus that half-width, a fair prediction interval for the rollout to test.
    const intervals: Record<string, { low: number; high: number }> = {};
    for (const [k, c] of Object.entries(confirmation.comparison)) {
      if (!hasOwn(kpis, k) || !isRecord(c) || typeof c.alt !== 'number' || typeof c.halfWidth !== 'number' || !Number.isFinite(c.halfWidth)) continue;
      intervals[k] = { low: c.alt - c.halfWidth, high: c.alt + c.halfWidth };
      kpis[k] = c.alt; // fresh seeds: the honest prediction, not the search's own estimate
    }
    if (Object.keys(intervals).length > 0) predicted.intervals = intervals;
  }
  const progress = isRecord(payload.progress) ? payload.progress : {};
  const objectives = finiteKpis(best.objectives);
  const firstObjective = Object.values(objectives)[0];
  const optimizer: Record<string, unknown> = { runId: meta.id };
  if (typeof progress.evaluations === 'number') optimizer.evaluations = progress.evaluations;
  if (firstObjective !== undefined) optimizer.objective = firstObjective;
  if (confirmation && typeof confirmation.seed === 'number') optimizer.seed = confirmation.seed;
  return { id: meta.id, kind: 'setpoints', targets, setpoints, predicted, optimizer, ...(meta.modelRevision ? { modelRevision: meta.modelRevision } : {}) };
}

/** A schedule answer: each machine's operations go to its asset, in start order. */
function fromSchedule(topic: string, payload: Record<string, unknown>, mapping: OptimizerMapping, meta: OptimizerMeta): Record<string, unknown> {
  const operations = payload.operations as unknown[];
  if (mapping.machines.length === 0) throw new InputError('no machine list', 'the gate needs its machine list (machine 0 first) to send a schedule to the plant', topic);
  const perTarget: Record<string, Array<Record<string, number>>> = {};
  for (const [i, op] of operations.entries()) {
    if (!isRecord(op)) throw new InputError('bad schedule', `operation ${i} is not an object`, topic);
    const machine = op.machine;
    if (typeof machine !== 'number' || !Number.isInteger(machine) || machine < 0 || machine >= mapping.machines.length) {
      throw new InputError('unmapped machine', `operation ${i} runs on machine ${describeValue(machine)}, which the gate's machine list (${mapping.machines.length} machines) does not name`, topic);
    }
    const entry: Record<string, number> = {};
    for (const f of ['job', 'op', 'stage', 'start', 'end']) if (typeof op[f] === 'number') entry[f] = op[f] as number;
    (perTarget[mapping.machines[machine]] ??= []).push(entry);
  }
  for (const list of Object.values(perTarget)) list.sort((a, b) => (a.start ?? 0) - (b.start ?? 0));
  const targets = mapping.machines.filter((m) => hasOwn(perTarget, m));
  if (targets.length === 0) throw new InputError('empty schedule', 'the schedule has no operations', topic);
  const kpis = finiteKpis({ makespan: payload.makespan, totalTardiness: payload.totalTardiness, weightedTardiness: payload.weightedTardiness });
  const optimizer: Record<string, unknown> = { runId: meta.id };
  if (typeof payload.objectiveValue === 'number') optimizer.objective = payload.objectiveValue;
  else if (typeof payload.objective === 'string') optimizer.objective = payload.objective;
  if (typeof payload.iterations === 'number') optimizer.evaluations = payload.iterations;
  const bound = payload.objectiveLowerBound;
  if (typeof payload.objectiveValue === 'number' && typeof bound === 'number' && bound > 0) optimizer.gap = (payload.objectiveValue - bound) / bound;
  return { id: meta.id, kind: 'schedule', targets, schedule: Object.fromEntries(targets.map((t) => [t, perTarget[t]])), predicted: { kpis }, optimizer, ...(meta.modelRevision ? { modelRevision: meta.modelRevision } : {}) };
}

/** The raw candidate for an optimizer answer (validated afterwards like any other candidate). */
export function candidateFromOptimizer(topic: string, payload: unknown, mapping: OptimizerMapping, meta: OptimizerMeta): Record<string, unknown> {
  if (!isRecord(payload)) throw new InputError('bad optimizer answer', 'an optimizer answer must be an object', topic);
  if (SETPOINT_TOPICS.includes(topic)) return fromSetpoints(payload, mapping, meta);
  if (SCHEDULE_TOPICS.includes(topic)) {
    if (!Array.isArray(payload.operations)) throw new InputError('bad optimizer answer', 'a schedule answer needs operations', topic);
    return fromSchedule(topic, payload, mapping, meta);
  }
  throw new InputError('bad optimizer answer', `"${clip(topic)}" is not an optimizer answer the gate can roll out (optimise, schedule, reschedule, flowshop)`, topic);
}
