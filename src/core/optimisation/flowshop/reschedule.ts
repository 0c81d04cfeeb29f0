/**
 * Dynamic rescheduling of a running flow-shop schedule at time `now`:
 *  - operations that started before `now` keep their times (finished ones and running ones);
 *  - an operation that started before `now` but overlaps a new unavailability window (a breakdown
 *    hitting it) is interrupted: it is redone from the start, with the job's later stages;
 *  - everything else (and any rush job) is re-optimised from `now`: each job continues after its
 *    last kept operation, each machine after the kept operation it is running; the breakdown
 *    window is kept free.
 * The result carries the new full schedule, the updated problem (to check it against) and the KPIs
 * before (the running plan), with a right shift (the old order decoded again: the naive repair)
 * and after the re-optimisation.
 */
import { performance } from 'node:perf_hooks';
import { InputError } from '../../errors';
import { checkFlowShopSchedule } from './check';
import { lowerBounds } from './bounds';
import { Decoder, buildInstance, kpisOfOperations, objectiveOf } from './instance';
import { solveInstance } from './solver';
import {
  FLOWSHOP_LIMITS,
  type FlowShopKpis,
  type FlowShopOperation,
  type FlowShopOptions,
  type FlowShopProblem,
  type FlowShopResult,
  type FlowShopUnavailability,
} from './types';
import { requireDueDates, validateFlowShop, validateFlowShopOptions, type ValidatedFlowShop } from './validate';
import { kpiChange, type ScheduleKpiChange } from '../schedule-kpis';

/** Machine `machine` of stage `stage` is down from `start` for `duration`. */
export interface FlowShopMachineDown {
  type: 'machineDown';
  stage: number;
  machine: number;
  start: number;
  duration: number;
}

/** A new job with one processing time per stage; released at `releaseDate` (default and at the earliest: now). */
export interface FlowShopRushJob {
  type: 'rushJob';
  times: number[];
  releaseDate?: number;
  dueDate?: number;
  weight?: number;
}

export type FlowShopDisturbance = FlowShopMachineDown | FlowShopRushJob;

export type FlowShopKpiChange = ScheduleKpiChange;

export interface FlowShopRescheduleResult extends FlowShopResult {
  /** The problem the new schedule solves (rush jobs appended, windows added). */
  problem: FlowShopProblem;
  now: number;
  /** Operations kept as they were: finished, and running (continuing). */
  kept: { finished: number; running: number };
  /** Operations that had started but are redone because a new window overlaps them. */
  interrupted: { job: number; stage: number }[];
  /** Number of operations that were re-optimised. */
  reoptimised: number;
  kpi: FlowShopKpiChange;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function rescheduleFlowShop(
  problem: FlowShopProblem,
  schedule: FlowShopOperation[] | { operations: FlowShopOperation[] },
  now: number,
  disturbances: FlowShopDisturbance | FlowShopDisturbance[],
  options: FlowShopOptions = {},
): FlowShopRescheduleResult {
  const t0 = performance.now();
  const opts = validateFlowShopOptions(options);
  const original = validateFlowShop(problem, options);
  if (typeof now !== 'number' || !Number.isFinite(now) || Math.abs(now) > FLOWSHOP_LIMITS.maxTime) {
    throw new InputError('bad time', `now must be a finite number, got ${String(now)}`);
  }
  const plan = Array.isArray(schedule) ? schedule : isObject(schedule) ? (schedule as { operations: FlowShopOperation[] }).operations : undefined;
  if (!Array.isArray(plan)) throw new InputError('bad schedule', 'the running schedule must be an array of {job, stage, machine, start, end} (or a result with `operations`)');
  const violations = checkFlowShopSchedule(toProblem(original), plan);
  if (violations.length > 0) {
    throw new InputError('bad schedule', `the running schedule is not valid for the problem: ${violations.slice(0, 3).join('; ')}${violations.length > 3 ? ` (and ${violations.length - 3} more)` : ''}`);
  }
  const S = original.stages.length;
  const byOp: FlowShopOperation[][] = original.jobs.map(() => new Array<FlowShopOperation>(S));
  for (const o of plan) byOp[o.job][o.stage] = o;

  // --- The disturbed problem -------------------------------------------------------------------
  const jobs = original.jobs.map((t) => t.slice());
  const releaseDates = original.releaseDates.slice();
  const dueDates: (number | null)[] = original.dueDates.map((d) => (d === Infinity ? null : d));
  const weights = original.weights.slice();
  const unavailable: FlowShopUnavailability[] = original.unavailable.map((w) => ({ ...w }));
  const list = Array.isArray(disturbances) ? disturbances : [disturbances];
  if (list.length === 0) throw new InputError('no disturbance', 'give at least one disturbance');
  list.forEach((d: unknown, i) => {
    const where = `disturbance ${i}`;
    if (!isObject(d)) throw new InputError('bad disturbance', `${where} must be an object with a type`);
    if (d.type === 'machineDown') {
      const { stage, machine, start, duration } = d;
      if (typeof stage !== 'number' || !Number.isInteger(stage) || stage < 0 || stage >= S) {
        throw new InputError('bad disturbance', `${where} (machineDown): stage must be a whole number in 0..${S - 1}, got ${String(stage)}`);
      }
      const m = original.stages[stage].speeds.length;
      if (typeof machine !== 'number' || !Number.isInteger(machine) || machine < 0 || machine >= m) {
        throw new InputError('bad disturbance', `${where} (machineDown): stage ${stage} has machines 0..${m - 1}, got machine ${String(machine)}`);
      }
      if (typeof start !== 'number' || !Number.isFinite(start)) throw new InputError('bad disturbance', `${where} (machineDown): start must be a finite number, got ${String(start)}`);
      if (typeof duration !== 'number' || !Number.isFinite(duration) || duration <= 0) {
        throw new InputError('bad disturbance', `${where} (machineDown): duration must be a finite number > 0, got ${String(duration)}`);
      }
      unavailable.push({ stage, machine, start, end: start + duration });
    } else if (d.type === 'rushJob') {
      if (!Array.isArray(d.times) || d.times.length !== S) throw new InputError('bad disturbance', `${where} (rushJob): times must be an array of ${S} processing times (one per stage)`);
      const release = d.releaseDate ?? now;
      if (typeof release !== 'number' || !Number.isFinite(release)) throw new InputError('bad disturbance', `${where} (rushJob): releaseDate must be a finite number`);
      if (d.dueDate !== undefined && (typeof d.dueDate !== 'number' || !Number.isFinite(d.dueDate))) throw new InputError('bad disturbance', `${where} (rushJob): dueDate must be a finite number`);
      if (d.weight !== undefined && (typeof d.weight !== 'number' || !Number.isFinite(d.weight) || d.weight < 0)) throw new InputError('bad disturbance', `${where} (rushJob): weight must be a finite number >= 0`);
      jobs.push((d.times as number[]).slice());
      releaseDates.push(Math.max(release, now));
      dueDates.push((d.dueDate as number | undefined) ?? null);
      weights.push((d.weight as number | undefined) ?? 1);
    } else {
      throw new InputError('bad disturbance', `${where}: type must be machineDown or rushJob, got ${JSON.stringify(d.type)}`);
    }
  });
  const stages = original.stages.map((s) => ({ machines: s.speeds.map((speed) => ({ speed })) }));
  const vp = validateFlowShop({ stages, jobs, releaseDates, dueDates, weights, unavailable });
  requireDueDates(vp, opts.objective);

  // --- What is kept --------------------------------------------------------------------------------
  const nOrig = original.jobs.length;
  const n = vp.jobs.length;
  const kept: boolean[][] = vp.jobs.map(() => new Array<boolean>(S).fill(false));
  const interrupted: { job: number; stage: number }[] = [];
  let finished = 0;
  let running = 0;
  const hitsWindow = (o: FlowShopOperation): boolean =>
    vp.unavailable.some((w) => w.stage === o.stage && w.machine === o.machine && w.start < o.end && o.start < w.end);
  for (let j = 0; j < nOrig; j++) {
    for (let k = 0; k < S; k++) {
      if (!(vp.jobs[j][k] > 0)) continue;
      const o = byOp[j][k];
      if (!(o.start < now)) break;
      if (hitsWindow(o)) {
        for (let r = k; r < S; r++) if (vp.jobs[j][r] > 0 && byOp[j][r].start < now) interrupted.push({ job: j, stage: r });
        break;
      }
      kept[j][k] = true;
      if (o.end <= now) finished++;
      else running++;
    }
  }

  // --- The residual problem: the free operations, from now -----------------------------------------
  const machineReady = vp.stages.map((s) => s.speeds.map(() => now));
  const jobReady = vp.releaseDates.map((r) => Math.max(r, now));
  const fixedOps: FlowShopOperation[] = [];
  for (let j = 0; j < nOrig; j++) {
    for (let k = 0; k < S; k++) {
      if (!kept[j][k]) continue;
      const o = byOp[j][k];
      fixedOps.push({ job: j, stage: k, machine: o.machine, start: o.start, end: o.end });
      machineReady[k][o.machine] = Math.max(machineReady[k][o.machine], o.end);
      jobReady[j] = Math.max(jobReady[j], o.end);
    }
  }
  const resJobs: number[] = [];
  for (let j = 0; j < n; j++) if (vp.jobs[j].some((t, k) => t > 0 && !kept[j][k])) resJobs.push(j);
  const residual: ValidatedFlowShop = {
    stages: vp.stages,
    jobs: resJobs.map((j) => vp.jobs[j].map((t, k) => (kept[j][k] ? 0 : t))),
    releaseDates: resJobs.map((j) => jobReady[j]),
    dueDates: resJobs.map((j) => vp.dueDates[j]),
    weights: resJobs.map((j) => vp.weights[j]),
    unavailable: vp.unavailable,
  };
  const reoptimised = residual.jobs.reduce((a, t) => a + t.filter((x) => x > 0).length, 0);

  const before = kpisOfOperations(original, plan);
  let operations: FlowShopOperation[];
  let rightShiftOps: FlowShopOperation[];
  let result: FlowShopResult | undefined;
  let lbMakespan = -Infinity;
  let lbTard = 0;
  let lbWTard = 0;
  for (const o of fixedOps) lbMakespan = Math.max(lbMakespan, o.end);
  for (let j = 0; j < nOrig; j++) {
    if (resJobs.includes(j)) continue;
    const late = jobReady[j] - vp.dueDates[j];
    if (late > 0) {
      lbTard += late;
      lbWTard += vp.weights[j] * late;
    }
  }
  if (resJobs.length === 0) {
    operations = fixedOps.slice();
    rightShiftOps = operations;
  } else {
    const inst = buildInstance(residual, machineReady);
    const toFull = (ops: FlowShopOperation[]): FlowShopOperation[] => ops.map((o) => ({ ...o, job: resJobs[o.job] }));
    // Right shift: the old order (by the old start of the first remaining operation; rush jobs last).
    const oldStart = (i: number): number => {
      const j = resJobs[i];
      if (j >= nOrig) return Infinity;
      for (let k = 0; k < S; k++) if (residual.jobs[i][k] > 0) return byOp[j][k].start;
      return Infinity;
    };
    const order = resJobs.map((_, i) => i).sort((a, b) => oldStart(a) - oldStart(b) || a - b);
    const dec = new Decoder(inst);
    dec.decode(order, order.length, opts.objective);
    rightShiftOps = fixedOps.concat(toFull(dec.operations(order, order.length)));
    result = solveInstance(inst, opts, t0, { rule: 'right shift', order });
    operations = fixedOps.concat(toFull(result.operations));
    const b = lowerBounds(inst);
    lbMakespan = Math.max(lbMakespan, result.lowerBound);
    lbTard += b.totalTardiness;
    lbWTard += b.weightedTardiness;
  }
  operations.sort((a, b) => a.job - b.job || a.stage - b.stage);
  const after = kpisOfOperations(vp, operations);
  const rightShift = kpisOfOperations(vp, rightShiftOps);
  const value = objectiveOf(after, opts.objective);
  const lbValue = objectiveOf({ makespan: lbMakespan, totalTardiness: lbTard, weightedTardiness: lbWTard }, opts.objective);
  const optimal = value <= lbValue + 1e-9 * Math.max(1, Math.abs(lbValue));
  const permutation = result ? result.permutation.map((i) => resJobs[i]) : [];
  return {
    makespan: after.makespan,
    status: optimal ? 'optimal' : 'feasible',
    lowerBound: lbMakespan,
    operations,
    iterations: result ? result.iterations : 0,
    elapsedMs: performance.now() - t0,
    objective: opts.objective.name,
    objectiveValue: value,
    objectiveLowerBound: lbValue,
    totalTardiness: after.totalTardiness,
    weightedTardiness: after.weightedTardiness,
    permutation,
    timeToBestMs: result ? result.timeToBestMs : 0,
    stopReason: optimal ? 'optimal' : result ? result.stopReason : 'optimal',
    initialRule: result ? result.initialRule : 'none',
    initialObjectiveValue: result ? result.initialObjectiveValue : value,
    problem: toProblem(vp),
    now,
    kept: { finished, running },
    interrupted,
    reoptimised,
    kpi: kpiChange(before, rightShift, after),
  };
}

/** A validated problem as a plain problem (identical machines as a count). */
export function toProblem(vp: ValidatedFlowShop): FlowShopProblem {
  return {
    stages: vp.stages.map((s) => ({ machines: s.speeds.every((v) => v === 1) ? s.speeds.length : s.speeds.map((speed) => ({ speed })) })),
    jobs: vp.jobs.map((t) => t.slice()),
    releaseDates: vp.releaseDates.slice(),
    dueDates: vp.dueDates.map((d) => (d === Infinity ? null : d)),
    weights: vp.weights.slice(),
    unavailable: vp.unavailable.map((w) => ({ ...w })),
  };
}
