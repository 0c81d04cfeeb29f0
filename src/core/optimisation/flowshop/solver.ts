/**
 * solveFlowShop: validation, lower bounds, constructive heuristics (simple orders, Johnson / CDS,
 * NEH by total processing time, NEH in due-date order for tardiness), then the iterated greedy with
 * insertion local search until the time limit, the iteration limit, cancellation or a proven
 * optimum. Synchronous (meant for a worker thread); cancel through `shouldStop` or an AbortSignal.
 */
import { performance } from 'node:perf_hooks';
import { SeededRandom } from '../../simulation/des/random';
import type { ObjectiveWeights } from '../jobshop/validate';
import { johnsonOrder, lowerBounds } from './bounds';
import { Decoder, buildInstance, objectiveOf, type FlowInstance } from './instance';
import { iteratedGreedy, neh } from './search';
import type { FlowShopImprovement, FlowShopOperation, FlowShopOptions, FlowShopProblem, FlowShopResult } from './types';
import { requireDueDates, validateFlowShop, validateFlowShopOptions, type ValidatedFlowShopOptions } from './validate';

export function solveFlowShop(problem: FlowShopProblem, options: FlowShopOptions = {}): FlowShopResult {
  const t0 = performance.now();
  const opts = validateFlowShopOptions(options);
  const vp = validateFlowShop(problem, options);
  requireDueDates(vp, opts.objective);
  return solveInstance(buildInstance(vp), opts, t0);
}

/** Whether the objective has tardiness terms (and there are due dates to be late for). */
function tardy(inst: FlowInstance, w: ObjectiveWeights): boolean {
  return inst.hasDueDates && (w.tardiness > 0 || w.weightedTardiness > 0);
}

/** Job orders of the simple rules (each decoded once). */
export function ruleOrders(inst: FlowInstance): { rule: string; order: number[] }[] {
  const n = inst.nJobs;
  const S = inst.nStages;
  const total = Array.from({ length: n }, (_, j) => {
    let t = 0;
    for (let k = 0; k < S; k++) t += inst.p[j * S + k];
    return t;
  });
  const ids = Array.from({ length: n }, (_, j) => j);
  const out: { rule: string; order: number[] }[] = [
    { rule: 'LPT', order: ids.slice().sort((a, b) => total[b] - total[a] || a - b) },
    { rule: 'SPT', order: ids.slice().sort((a, b) => total[a] - total[b] || a - b) },
  ];
  if (inst.hasDueDates) out.push({ rule: 'EDD', order: ids.slice().sort((a, b) => inst.due[a] - inst.due[b] || inst.release[a] - inst.release[b] || a - b) });
  if (inst.release.some((r) => r !== inst.release[0])) out.push({ rule: 'ERD', order: ids.slice().sort((a, b) => inst.release[a] - inst.release[b] || a - b) });
  for (let s = 0; s + 1 < S; s++) out.push({ rule: S === 2 ? 'Johnson' : `CDS ${s + 1}`, order: johnsonOrder(inst, s, s + 1) });
  return out;
}

/** The search on a built instance (also used by rescheduling); `initial` competes with the rules. */
export function solveInstance(inst: FlowInstance, opts: ValidatedFlowShopOptions, t0: number, initial?: { rule: string; order: number[] }): FlowShopResult {
  const w = opts.objective;
  const now = (): number => performance.now();
  const deadline = t0 + opts.timeLimitMs;
  const bounds = lowerBounds(inst);
  const objLb = objectiveOf(bounds, w);
  const tol = (v: number): number => 1e-9 * Math.max(1, Math.abs(v));
  const dec = new Decoder(inst);
  const rng = new SeededRandom(opts.seed);
  const signal = opts.signal;
  const userStop = opts.shouldStop;
  const shouldStop = signal || userStop ? () => (signal !== undefined && signal.aborted) || (userStop !== undefined && userStop()) : undefined;

  // --- Constructive heuristics -------------------------------------------------------------------
  let init: { rule: string; seq: Int32Array; value: number } | undefined;
  const offer = (rule: string, seq: Int32Array, value: number): void => {
    if (!init || value < init.value) init = { rule, seq, value };
  };
  const decodeOrder = (rule: string, order: number[]): void => {
    const seq = Int32Array.from(order);
    offer(rule, seq, dec.decode(seq, seq.length, w));
  };
  if (initial) decodeOrder(initial.rule, initial.order);
  const rules = ruleOrders(inst);
  for (const r of rules) decodeOrder(r.rule, r.order);
  // NEH takes O(n²) decodes: it gets at most 30 % of the time (what is left is appended).
  const constructUntil = t0 + 0.3 * opts.timeLimitMs;
  const nehStop = (): boolean => now() >= constructUntil || (shouldStop !== undefined && shouldStop());
  const nehOrders = [rules[0]];
  if (tardy(inst, w)) nehOrders.unshift(rules.find((r) => r.rule === 'EDD')!);
  for (const r of nehOrders) {
    if (init!.value <= objLb + tol(objLb) || nehStop()) break;
    const res = neh(dec, w, r.order, nehStop);
    offer(`NEH (${r.rule})`, res.seq, res.value);
  }
  const start = init!;

  // --- Iterated greedy ------------------------------------------------------------------------------
  const onImprovement = opts.onImprovement;
  const report = (value: number, seq: Int32Array, iterations: number): void => {
    if (!onImprovement) return;
    const copy = Array.from(seq);
    const d = new Decoder(inst);
    d.decode(copy, copy.length, w);
    const kpis = d.kpis();
    let operations: FlowShopOperation[] | undefined;
    const improvement = { makespan: kpis.makespan, objectiveValue: value, iterations, elapsedMs: now() - t0, permutation: copy } as FlowShopImprovement;
    Object.defineProperty(improvement, 'operations', { enumerable: true, get: () => (operations ??= d.operations(copy, copy.length)) });
    onImprovement(improvement);
  };
  report(start.value, start.seq, 0);
  const res = iteratedGreedy(inst, start.seq, {
    objective: w,
    rng,
    destruction: opts.destruction,
    temperature: opts.temperature,
    maxIterations: opts.maxIterations,
    target: objLb + tol(objLb),
    now,
    deadline,
    shouldStop,
    onImprove: report,
  });

  const value = dec.decode(res.best, res.best.length, w);
  const kpis = dec.kpis();
  const optimal = value <= objLb + tol(objLb);
  const pureMakespan = w.makespan > 0 && w.tardiness === 0 && w.weightedTardiness === 0;
  return {
    makespan: kpis.makespan,
    status: optimal ? 'optimal' : 'feasible',
    lowerBound: optimal && pureMakespan ? Math.max(bounds.makespan, kpis.makespan) : bounds.makespan,
    operations: dec.operations(res.best, res.best.length),
    iterations: res.iterations,
    elapsedMs: now() - t0,
    objective: w.name,
    objectiveValue: value,
    objectiveLowerBound: optimal ? Math.max(objLb, value) : objLb,
    totalTardiness: kpis.totalTardiness,
    weightedTardiness: kpis.weightedTardiness,
    permutation: Array.from(res.best),
    timeToBestMs: Math.max(0, res.bestAt - t0),
    stopReason: optimal ? 'optimal' : res.stopReason,
    initialRule: start.rule,
    initialObjectiveValue: start.value,
  };
}
