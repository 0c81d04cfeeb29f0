/**
 * Dynamic rescheduling. Given the running schedule, the current time `now` and one or more
 * disturbances, it repairs the schedule:
 *  - operations that started before `now` keep their times (a running one continues to its end,
 *    with its new duration if the disturbance changed it); operations that finished stay as they were;
 *  - an operation that started before `now` but overlaps a new unavailability window (a breakdown
 *    hitting it, or a longer duration running into a window) is interrupted: it is redone from the
 *    start after the repair, together with the later operations of its job;
 *  - everything else (and any rush job) is re-optimised from `now`: each job continues after its
 *    last kept operation, each machine after the kept operation it is running.
 * The result carries the new full schedule, the updated problem (to check it against) and the KPI
 * change: before (the running schedule as planned), right shift (the old machine orders simply
 * pushed later, the rush job appended; the naive repair) and after the re-optimisation.
 */
import { performance } from 'node:perf_hooks';
import { InputError } from '../../errors';
import { checkSchedule } from './check';
import { lowerBounds } from './bounds';
import { buildInstance, decodeSequences, type Kpis } from './instance';
import { objectiveValue, operationsOf, requireDueDates, solveValidated } from './solver';
import {
  JOBSHOP_LIMITS,
  type JobShopOperationSpec,
  type JobShopOptions,
  type JobShopProblem,
  type JobShopResult,
  type MachineUnavailability,
  type ScheduledOperation,
} from './types';
import { validateOptions, validateProblem, type ValidatedProblem } from './validate';
import { kpiChange, scheduleKpis, type ScheduleKpiChange } from '../schedule-kpis';

/** Machine `machine` is down from `start` for `duration`. */
export interface MachineDownDisturbance {
  type: 'machineDown';
  machine: number;
  start: number;
  duration: number;
}

/** A new job; released at `releaseDate` (default and at the earliest: now). */
export interface RushJobDisturbance {
  type: 'rushJob';
  operations: JobShopOperationSpec[];
  releaseDate?: number;
  dueDate?: number;
  weight?: number;
}

/** Operation `op` of job `job` now takes `duration` (it must not have finished). */
export interface DurationChangeDisturbance {
  type: 'durationChange';
  job: number;
  op: number;
  duration: number;
}

export type Disturbance = MachineDownDisturbance | RushJobDisturbance | DurationChangeDisturbance;

export type KpiChange = ScheduleKpiChange;

export interface RescheduleResult extends JobShopResult {
  /** The problem the new schedule solves (rush jobs appended, durations and windows updated). */
  problem: JobShopProblem;
  now: number;
  /** Operations kept as they were: finished, and running (continuing). */
  kept: { finished: number; running: number };
  /** Operations that had started but are redone because a window now overlaps them. */
  interrupted: { job: number; op: number }[];
  /** Number of operations that were re-optimised. */
  reoptimised: number;
  kpi: KpiChange;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function rescheduleJobShop(
  problem: JobShopProblem,
  schedule: ScheduledOperation[],
  now: number,
  disturbances: Disturbance | Disturbance[],
  options: JobShopOptions = {},
): RescheduleResult {
  const t0 = performance.now();
  const opts = validateOptions(options);
  const original = validateProblem(problem, options);
  if (typeof now !== 'number' || !Number.isFinite(now) || Math.abs(now) > JOBSHOP_LIMITS.maxTime) {
    throw new InputError('bad time', `now must be a finite number, got ${String(now)}`);
  }
  const violations = checkSchedule(toProblem(original), schedule);
  if (violations.length > 0) {
    throw new InputError('bad schedule', `the running schedule is not valid for the problem: ${violations.slice(0, 3).map((v) => v.message).join('; ')}${violations.length > 3 ? ` (and ${violations.length - 3} more)` : ''}`);
  }
  const byOp: ScheduledOperation[][] = original.jobs.map((ops) => new Array(ops.length));
  for (const o of schedule) byOp[o.job][o.op] = o;

  // --- The disturbed problem -------------------------------------------------------------------
  const jobs = original.jobs.map((ops) => ops.map((o) => ({ ...o })));
  const releaseDates = original.releaseDates.slice();
  const dueDates: (number | null)[] = original.dueDates.map((d) => (d === Infinity ? null : d));
  const weights = original.weights.slice();
  const unavailable: MachineUnavailability[] = original.unavailable.map((w) => ({ ...w }));
  const list = Array.isArray(disturbances) ? disturbances : [disturbances];
  if (list.length === 0) throw new InputError('no disturbance', 'give at least one disturbance');
  list.forEach((d, i) => {
    const where = `disturbance ${i}`;
    if (!isObject(d)) throw new InputError('bad disturbance', `${where} must be an object with a type`);
    if (d.type === 'machineDown') {
      const { machine, start, duration } = d;
      if (!Number.isInteger(machine) || machine < 0 || machine >= original.machines) {
        throw new InputError('bad disturbance', `${where} (machineDown): machine must be a whole number in 0..${original.machines - 1}, got ${String(machine)}`);
      }
      if (typeof start !== 'number' || !Number.isFinite(start)) throw new InputError('bad disturbance', `${where} (machineDown): start must be a finite number, got ${String(start)}`);
      if (typeof duration !== 'number' || !Number.isFinite(duration) || duration <= 0) {
        throw new InputError('bad disturbance', `${where} (machineDown): duration must be a finite number > 0, got ${String(duration)}`);
      }
      unavailable.push({ machine, start, end: start + duration });
    } else if (d.type === 'rushJob') {
      if (!Array.isArray(d.operations)) throw new InputError('bad disturbance', `${where} (rushJob): operations must be an array of {machine, duration}`);
      const release = d.releaseDate ?? now;
      if (typeof release !== 'number' || !Number.isFinite(release)) throw new InputError('bad disturbance', `${where} (rushJob): releaseDate must be a finite number`);
      if (d.dueDate !== undefined && (typeof d.dueDate !== 'number' || !Number.isFinite(d.dueDate))) throw new InputError('bad disturbance', `${where} (rushJob): dueDate must be a finite number`);
      if (d.weight !== undefined && (typeof d.weight !== 'number' || !Number.isFinite(d.weight) || d.weight < 0)) throw new InputError('bad disturbance', `${where} (rushJob): weight must be a finite number >= 0`);
      jobs.push(d.operations.map((o) => (isObject(o) ? { machine: o.machine, duration: o.duration } : o)) as JobShopOperationSpec[]);
      releaseDates.push(Math.max(release, now));
      dueDates.push(d.dueDate ?? null);
      weights.push(d.weight ?? 1);
    } else if (d.type === 'durationChange') {
      const { job, op, duration } = d;
      if (!Number.isInteger(job) || job < 0 || job >= jobs.length || !Number.isInteger(op) || op < 0 || op >= jobs[job].length) {
        throw new InputError('bad disturbance', `${where} (durationChange): no operation ${String(op)} in job ${String(job)}`);
      }
      if (typeof duration !== 'number' || !Number.isFinite(duration) || duration < 0) {
        throw new InputError('bad disturbance', `${where} (durationChange): duration must be a finite number >= 0, got ${String(duration)}`);
      }
      const s = job < byOp.length ? byOp[job][op] : undefined;
      if (s && s.end <= now) throw new InputError('already finished', `${where} (durationChange): job ${job} op ${op} finished at ${s.end}, before now (${now})`);
      jobs[job][op] = { machine: jobs[job][op].machine, duration };
    } else {
      throw new InputError('bad disturbance', `${where}: type must be machineDown, rushJob or durationChange, got ${JSON.stringify((d as { type?: unknown }).type)}`);
    }
  });
  const nextProblem: JobShopProblem = { jobs, machines: original.machines, releaseDates, dueDates: dueDates as number[], weights, unavailable };
  const vp = validateProblem(nextProblem);
  requireDueDates(vp, opts.objective);

  // --- What is kept --------------------------------------------------------------------------------
  const nOrig = original.jobs.length;
  const fixedCount = new Array<number>(vp.jobs.length).fill(0); // kept prefix length per job
  const interrupted: { job: number; op: number }[] = [];
  let finished = 0;
  let running = 0;
  const overlapsWindow = (machine: number, s: number, e: number): boolean =>
    // [s, e) against [w.start, w.end) (a zero-length operation only strictly inside).
    vp.unavailable.some((w) => w.machine === machine && w.start < e && s < w.end);
  for (let j = 0; j < nOrig; j++) {
    for (let k = 0; k < vp.jobs[j].length; k++) {
      const s = byOp[j][k];
      if (!(s.start < now)) break;
      const end = s.start + vp.jobs[j][k].duration;
      if (overlapsWindow(vp.jobs[j][k].machine, s.start, end)) {
        for (let r = k; r < vp.jobs[j].length && byOp[j][r].start < now; r++) interrupted.push({ job: j, op: r });
        break;
      }
      fixedCount[j] = k + 1;
      if (end <= now) finished++;
      else running++;
    }
  }

  // --- The residual problem: free operations, from now ---------------------------------------------
  const machineReady = new Array<number>(vp.machines).fill(now);
  const fixedOps: ScheduledOperation[] = [];
  const jobReady = vp.releaseDates.map((r) => Math.max(r, now));
  for (let j = 0; j < nOrig; j++) {
    for (let k = 0; k < fixedCount[j]; k++) {
      const s = byOp[j][k];
      const machine = vp.jobs[j][k].machine;
      const end = s.start + vp.jobs[j][k].duration;
      fixedOps.push({ job: j, op: k, machine, start: s.start, end });
      machineReady[machine] = Math.max(machineReady[machine], end);
      jobReady[j] = Math.max(jobReady[j], end);
    }
  }
  const resJobs: number[] = [];
  for (let j = 0; j < vp.jobs.length; j++) if (fixedCount[j] < vp.jobs[j].length) resJobs.push(j);
  const residual: ValidatedProblem = {
    jobs: resJobs.map((j) => vp.jobs[j].slice(fixedCount[j])),
    machines: vp.machines,
    releaseDates: resJobs.map((j) => jobReady[j]),
    dueDates: resJobs.map((j) => vp.dueDates[j]),
    weights: resJobs.map((j) => vp.weights[j]),
    unavailable: vp.unavailable,
  };

  // KPIs before: the running schedule as planned, on the original problem.
  const before = kpisOfOps(original, schedule);

  let operations: ScheduledOperation[];
  let rightShiftOps: ScheduledOperation[];
  let result: JobShopResult | undefined;
  if (resJobs.length === 0) {
    operations = fixedOps.slice();
    rightShiftOps = operations;
  } else {
    const inst = buildInstance(residual, machineReady);
    const toFull = (ops: ScheduledOperation[]): ScheduledOperation[] =>
      ops.map((o) => ({ job: resJobs[o.job], op: o.op + fixedCount[resJobs[o.job]], machine: o.machine, start: o.start, end: o.end }));
    // Right shift: the old machine orders (rush and interrupted operations placed by their old
    // start, rush jobs at the end), decoded from now.
    const seq = Int32Array.from(inst.machineOps);
    const key = (o: number): number => {
      const j = resJobs[inst.opJob[o]];
      const k = o - inst.jobFirst[inst.opJob[o]] + fixedCount[j];
      return j < nOrig ? byOp[j][k].start : Infinity;
    };
    for (let m = 0; m < inst.nMachines; m++) {
      const part = Array.from(seq.subarray(inst.machineFirst[m], inst.machineFirst[m + 1])).sort((a, b) => key(a) - key(b) || a - b);
      seq.set(part, inst.machineFirst[m]);
    }
    const shifted = decodeSequences(inst, seq);
    rightShiftOps = fixedOps.concat(shifted ? toFull(operationsOf(inst, shifted)) : []);
    const solved = solveValidated(inst, opts, t0, { rule: 'right shift', seq });
    result = solved;
    operations = fixedOps.concat(toFull(solved.operations));
  }
  operations.sort((a, b) => a.job - b.job || a.op - b.op);
  const after = kpisOfOps(vp, operations);
  const rightShift = kpisOfOps(vp, rightShiftOps);
  // A lower bound of the whole: the residual's bounds, the kept operations, kept jobs' tardiness.
  let lbMakespan = -Infinity;
  for (const o of fixedOps) lbMakespan = Math.max(lbMakespan, o.end);
  let lbTard = 0;
  let lbWTard = 0;
  for (let j = 0; j < vp.jobs.length; j++) {
    if (fixedCount[j] === vp.jobs[j].length && vp.jobs[j].length > 0) {
      const c = byOp[j][vp.jobs[j].length - 1].start + vp.jobs[j][vp.jobs[j].length - 1].duration;
      const late = Math.max(0, c - vp.dueDates[j]);
      lbTard += late;
      lbWTard += vp.weights[j] * late;
    }
  }
  if (result) {
    lbMakespan = Math.max(lbMakespan, result.lowerBound);
    const b = lowerBounds(buildInstance(residual, machineReady));
    lbTard += b.totalTardiness;
    lbWTard += b.weightedTardiness;
  }
  const value = objectiveValue(after, opts.objective);
  const lbValue = objectiveValue({ makespan: lbMakespan, totalTardiness: lbTard, weightedTardiness: lbWTard }, opts.objective);
  const optimal = value <= lbValue;
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
    timeToBestMs: result ? result.timeToBestMs : 0,
    stopReason: optimal ? 'optimal' : result ? result.stopReason : 'optimal',
    initialRule: result ? result.initialRule : 'none',
    initialObjectiveValue: result ? result.initialObjectiveValue : value,
    problem: toProblem(vp),
    now,
    kept: { finished, running },
    interrupted,
    reoptimised: residual.jobs.reduce((a, ops) => a + ops.length, 0),
    kpi: kpiChange(before, rightShift, after),
  };
}

function toProblem(vp: ValidatedProblem): JobShopProblem {
  return {
    jobs: vp.jobs.map((ops) => ops.map((o) => ({ machine: o.machine, duration: o.duration }))),
    machines: vp.machines,
    releaseDates: vp.releaseDates.slice(),
    dueDates: vp.dueDates.map((d) => (d === Infinity ? null : d)) as number[],
    weights: vp.weights.slice(),
    unavailable: vp.unavailable.map((w) => ({ ...w })),
  };
}

function kpisOfOps(vp: ValidatedProblem, ops: ScheduledOperation[]): Kpis {
  return scheduleKpis(vp.jobs.length, ops, vp.dueDates, vp.weights);
}
