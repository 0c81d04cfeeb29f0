/**
 * solveJobShop: validation, lower bounds (longest job, one-machine preemptive bound with heads and
 * tails), the best of several Giffler–Thompson dispatching rules as the start, then the tabu search
 * until the time limit, the iteration limit, cancellation or a proven optimum. On small instances
 * with whole-number data and the makespan objective, a bounded decision search (prove.ts, at most
 * 10 % of the time) tries to prove "best − 1" infeasible, i.e. the best optimal (ft06: 55).
 * Synchronous (meant for a worker thread); cancel through `shouldStop` (e.g. reading a
 * SharedArrayBuffer flag with Atomics) or an AbortSignal aborted from the same thread's callbacks.
 * Determinism: a seed fixes the trajectory; with `maxIterations` (and a generous time limit) the
 * result is reproducible, with a time limit it depends on how far the search got.
 */
import { performance } from 'node:perf_hooks';
import { InputError } from '../../errors';
import { lowerBounds, type Bounds } from './bounds';
import { gifflerThompson, type DispatchRule } from './dispatch';
import { buildInstance, decodeSequences, kpisOf, type Instance, type Kpis } from './instance';
import { Rng } from './random';
import { TabuSearch } from './tabu';
import { canDecide, decideMakespan } from './prove';
import type { JobShopImprovement, JobShopOptions, JobShopProblem, JobShopResult, JobShopStopReason, ScheduledOperation } from './types';
import { validateOptions, validateProblem, type ObjectiveWeights, type ValidatedOptions, type ValidatedProblem } from './validate';

export function solveJobShop(problem: JobShopProblem, options: JobShopOptions = {}): JobShopResult {
  const t0 = performance.now();
  const opts = validateOptions(options);
  const vp = validateProblem(problem, options);
  requireDueDates(vp, opts.objective);
  return solveValidated(buildInstance(vp), opts, t0);
}

export function requireDueDates(vp: ValidatedProblem, objective: ObjectiveWeights): void {
  if ((objective.tardiness > 0 || objective.weightedTardiness > 0) && !vp.dueDates.some((d) => d !== Infinity)) {
    throw new InputError('no due dates', `the objective "${objective.name}" needs dueDates (one per job)`);
  }
}

export function objectiveValue(k: Kpis, w: ObjectiveWeights): number {
  let v = 0;
  if (w.makespan > 0) v += w.makespan * k.makespan;
  if (w.tardiness > 0) v += w.tardiness * k.totalTardiness;
  if (w.weightedTardiness > 0) v += w.weightedTardiness * k.weightedTardiness;
  return v;
}

export function objectiveLowerBound(b: Bounds, w: ObjectiveWeights): number {
  return objectiveValue({ makespan: b.makespan, totalTardiness: b.totalTardiness, weightedTardiness: b.weightedTardiness }, w);
}

export function operationsOf(inst: Instance, start: ArrayLike<number>): ScheduledOperation[] {
  const out: ScheduledOperation[] = new Array(inst.nOps);
  for (let j = 0; j < inst.nJobs; j++) {
    for (let o = inst.jobFirst[j]; o < inst.jobFirst[j + 1]; o++) {
      out[o] = { job: j, op: o - inst.jobFirst[j], machine: inst.opMachine[o], start: start[o], end: start[o] + inst.dur[o] };
    }
  }
  return out;
}

/**
 * The best initial solution among the dispatching rules (ties: the first tried). The first rule
 * always runs; the others only while `now()` is before `until` (they matter on big instances).
 */
export function bestDispatch(
  inst: Instance,
  objective: ObjectiveWeights,
  rng: Rng,
  now: () => number = () => 0,
  until = Infinity,
): { rule: DispatchRule; seq: Int32Array; start: Float64Array; value: number } {
  const tardy = inst.hasDueDates && (objective.tardiness > 0 || objective.weightedTardiness > 0);
  const rules: DispatchRule[] = tardy ? ['SLACK', 'EDD', 'MWKR', 'MOR', 'SPT', 'FIFO', 'LPT'] : ['MWKR', 'MOR', 'SPT', 'FIFO', 'LPT'];
  if (inst.hasDueDates && !tardy) rules.push('EDD', 'SLACK');
  rules.push('RANDOM', 'RANDOM', 'RANDOM');
  let best: { rule: DispatchRule; seq: Int32Array; start: Float64Array; value: number } | undefined;
  for (const rule of rules) {
    if (best && now() >= until) break;
    const d = gifflerThompson(inst, rule, rule === 'RANDOM' ? rng : undefined);
    const value = objectiveValue(kpisOf(inst, d.start), objective);
    if (!best || value < best.value) best = { rule, seq: d.seq, start: d.start, value };
  }
  return best!;
}

/**
 * The search on a built instance (also used by rescheduling). `t0` is the performance.now() of the
 * request. `initial` (machine sequences, e.g. the old plan) competes with the dispatching rules as
 * the start.
 */
export function solveValidated(inst: Instance, opts: ValidatedOptions, t0: number, initial?: { rule: string; seq: Int32Array }): JobShopResult {
  const objective = opts.objective;
  const bounds = lowerBounds(inst);
  const objLb = objectiveLowerBound(bounds, objective);
  const rng = new Rng(opts.seed);
  const now = (): number => performance.now();
  const init: { rule: string; seq: Int32Array; value: number } = bestDispatch(inst, objective, rng, now, t0 + 0.2 * opts.timeLimitMs);
  if (initial) {
    const start = decodeSequences(inst, initial.seq);
    const value = start ? objectiveValue(kpisOf(inst, start), objective) : Infinity;
    if (value <= init.value) Object.assign(init, { rule: initial.rule, seq: initial.seq, value });
  }
  const signal = opts.signal;
  const userStop = opts.shouldStop;
  const shouldStop = signal || userStop ? () => (signal !== undefined && signal.aborted) || (userStop !== undefined && userStop()) : undefined;
  const onImprovement = opts.onImprovement;
  // Reports strictly improving solutions only (the tabu search's and the decision search's).
  let reported = Infinity;
  const report = (value: number, start: Float64Array, iterations: number): void => {
    if (!onImprovement || !(value < reported)) return;
    reported = value;
    // `operations` is built only when read (most listeners want the figures only).
    const copy = Float64Array.from(start);
    let operations: ScheduledOperation[] | undefined;
    const improvement = { makespan: kpisOf(inst, copy).makespan, objectiveValue: value, iterations, elapsedMs: performance.now() - t0 } as JobShopImprovement;
    Object.defineProperty(improvement, 'operations', { enumerable: true, get: () => (operations ??= operationsOf(inst, copy)) });
    onImprovement(improvement);
  };
  const search = new TabuSearch(inst, {
    objective,
    rng,
    now: () => performance.now(),
    deadline: t0 + opts.timeLimitMs,
    maxIterations: opts.maxIterations,
    shouldStop,
    target: objLb,
    onImprove: onImprovement ? report : undefined,
  });
  // On small instances with whole-number data and the makespan objective, the search pauses at
  // iterations 1000, 3000, 7000, ... (doubling steps): when the best improved, a decision search
  // with a node budget tries to prove "best − 1" infeasible, i.e. the best optimal. Its schedules
  // (rare: better than the tabu search's best) are kept aside, so the tabu trajectory depends on
  // the seed only. The decision search uses at most 10 % of the time limit.
  const deadline = t0 + opts.timeLimitMs;
  const pureMakespan = objective.makespan > 0 && objective.tardiness === 0 && objective.weightedTardiness === 0;
  let proofLeft = pureMakespan && canDecide(inst) ? 0.1 * opts.timeLimitMs : 0;
  let makespanLb = bounds.makespan;
  let triedFor = Infinity;
  let pauseAt = 1000;
  let step = 1000;
  let aside: { value: number; start: Float64Array; at: number } | undefined;
  let stopReason: JobShopStopReason;
  search.start(init.seq);
  for (;;) {
    const r = search.continueUntil(deadline, proofLeft > 1 ? pauseAt : Infinity);
    if (r !== 'pause') {
      stopReason = r;
      break;
    }
    step *= 2;
    pauseAt += step;
    const best = Math.min(search.best, aside ? aside.value : Infinity);
    if (best >= triedFor) continue;
    triedFor = best;
    const ub = best / objective.makespan;
    const t1 = now();
    const budget = Math.min(proofLeft, deadline - t1, 0.05 * opts.timeLimitMs);
    const d = decideMakespan(inst, ub - 1, () => now() > t1 + budget || (shouldStop !== undefined && shouldStop()), 20000);
    proofLeft -= now() - t1;
    if (d.kind === 'infeasible') {
      makespanLb = Math.max(makespanLb, ub);
      stopReason = 'optimal';
      break;
    }
    if (d.kind === 'feasible') {
      const value = objectiveValue(kpisOf(inst, d.start), objective);
      if (value < best) {
        aside = { value, start: d.start, at: now() };
        report(value, d.start, search.iterations);
        if (value <= objLb) {
          stopReason = 'optimal';
          break;
        }
      }
    }
  }
  let res = search.result(stopReason);
  if (aside && aside.value < res.value) res = { ...res, start: aside.start, value: aside.value, bestAt: aside.at };
  const kpis = kpisOf(inst, res.start);
  const value = objectiveValue(kpis, objective);
  let provenObjLb = pureMakespan ? Math.max(objLb, objective.makespan * makespanLb) : objLb;
  if (inst.maxOpsPerMachine <= 1) {
    // No machine is shared: the semi-active schedule is the only one, hence optimal.
    provenObjLb = value;
    if (pureMakespan) makespanLb = kpis.makespan;
  }
  const optimal = value <= provenObjLb;
  return {
    makespan: kpis.makespan,
    status: optimal ? 'optimal' : 'feasible',
    lowerBound: makespanLb,
    operations: operationsOf(inst, res.start),
    iterations: res.iterations,
    elapsedMs: performance.now() - t0,
    objective: objective.name,
    objectiveValue: value,
    objectiveLowerBound: provenObjLb,
    totalTardiness: kpis.totalTardiness,
    weightedTardiness: kpis.weightedTardiness,
    timeToBestMs: Math.max(0, res.bestAt - t0),
    stopReason: optimal ? 'optimal' : stopReason,
    initialRule: init.rule,
    initialObjectiveValue: init.value,
  };
}
