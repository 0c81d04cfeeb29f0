/**
 * Independent schedule checker. It shares nothing with the solver but the input validation: it
 * looks only at the problem and the list of scheduled operations, and reports every violation of
 * completeness, machine, duration, precedence within a job, release date, machine overlap and
 * machine unavailability. Times are compared with a relative tolerance of 1e-9.
 */
import type { JobShopOptions, JobShopProblem, ScheduleViolation, ScheduledOperation } from './types';
import { validateProblem } from './validate';

type Extras = Pick<JobShopOptions, 'releaseDates' | 'unavailable'>;

/**
 * Every violation of `operations` against `problem` (OR-Library text or jobs, with its release dates
 * and unavailability windows, which `extras` may also give). An empty list means a valid schedule.
 */
export function checkSchedule(problem: JobShopProblem, operations: ScheduledOperation[], extras: Extras = {}): ScheduleViolation[] {
  const p = validateProblem(problem, extras);
  const out: ScheduleViolation[] = [];
  if (!Array.isArray(operations)) {
    out.push({ kind: 'unknown', message: 'operations is not an array' });
    return out;
  }
  let scale = 1;
  for (const o of operations) {
    if (o && typeof o === 'object') scale = Math.max(scale, Math.abs(Number(o.start)) || 0, Math.abs(Number(o.end)) || 0);
  }
  const eps = 1e-9 * scale;

  // Index by job and operation.
  const at: (ScheduledOperation | undefined)[][] = p.jobs.map((ops) => new Array(ops.length).fill(undefined));
  for (let i = 0; i < operations.length; i++) {
    const o = operations[i];
    if (!o || typeof o !== 'object' || !Number.isInteger(o.job) || !Number.isInteger(o.op) || o.job < 0 || o.job >= p.jobs.length || o.op < 0 || o.op >= p.jobs[o.job].length) {
      out.push({ kind: 'unknown', message: `entry ${i} names no operation of the problem (job ${o && o.job}, op ${o && o.op})` });
      continue;
    }
    if (!Number.isFinite(o.start) || !Number.isFinite(o.end)) {
      out.push({ kind: 'not-finite', job: o.job, op: o.op, message: `job ${o.job} op ${o.op}: start ${o.start} / end ${o.end} not finite` });
      continue;
    }
    if (at[o.job][o.op]) {
      out.push({ kind: 'duplicate', job: o.job, op: o.op, message: `job ${o.job} op ${o.op} is scheduled more than once` });
      continue;
    }
    at[o.job][o.op] = o;
  }

  for (let j = 0; j < p.jobs.length; j++) {
    let prev: ScheduledOperation | undefined;
    for (let k = 0; k < p.jobs[j].length; k++) {
      const spec = p.jobs[j][k];
      const o = at[j][k];
      if (!o) {
        out.push({ kind: 'missing', job: j, op: k, machine: spec.machine, message: `job ${j} op ${k} is not scheduled` });
        prev = undefined;
        continue;
      }
      if (o.machine !== undefined && o.machine !== spec.machine) {
        out.push({ kind: 'machine', job: j, op: k, machine: o.machine, message: `job ${j} op ${k} is on machine ${o.machine}, needs machine ${spec.machine}` });
      }
      if (Math.abs(o.end - o.start - spec.duration) > eps) {
        out.push({ kind: 'duration', job: j, op: k, machine: spec.machine, message: `job ${j} op ${k} lasts ${o.end - o.start}, needs ${spec.duration}` });
      }
      if (o.start < p.releaseDates[j] - eps) {
        out.push({ kind: 'release', job: j, op: k, machine: spec.machine, message: `job ${j} op ${k} starts at ${o.start}, before the release date ${p.releaseDates[j]}` });
      }
      if (prev && o.start < prev.end - eps) {
        out.push({ kind: 'precedence', job: j, op: k, machine: spec.machine, message: `job ${j} op ${k} starts at ${o.start}, before op ${k - 1} ends at ${prev.end}` });
      }
      prev = o;
    }
  }

  // Machine overlap: a sweep over each machine's operations sorted by start, against those still open.
  const byMachine = new Map<number, { o: ScheduledOperation; machine: number }[]>();
  for (let j = 0; j < p.jobs.length; j++) {
    for (let k = 0; k < p.jobs[j].length; k++) {
      const o = at[j][k];
      if (!o) continue;
      const machine = p.jobs[j][k].machine;
      let list = byMachine.get(machine);
      if (!list) byMachine.set(machine, (list = []));
      list.push({ o, machine });
    }
  }
  const overlaps = (s1: number, e1: number, s2: number, e2: number): boolean => s1 < e2 - eps && s2 < e1 - eps;
  for (const [machine, list] of byMachine) {
    list.sort((a, b) => a.o.start - b.o.start || a.o.end - b.o.end);
    let open: ScheduledOperation[] = [];
    for (const { o } of list) {
      open = open.filter((x) => x.end > o.start + eps);
      for (const x of open) {
        if (overlaps(x.start, x.end, o.start, o.end)) {
          out.push({ kind: 'overlap', job: o.job, op: o.op, machine, message: `machine ${machine}: job ${x.job} op ${x.op} [${x.start}, ${x.end}) overlaps job ${o.job} op ${o.op} [${o.start}, ${o.end})` });
        }
      }
      open.push(o);
    }
    for (const w of p.unavailable) {
      if (w.machine !== machine) continue;
      for (const { o } of list) {
        // [start, end) against [w.start, w.end): a zero-length operation may sit on a window's
        // boundary but not strictly inside it.
        if (overlaps(w.start, w.end, o.start, o.end)) {
          out.push({ kind: 'unavailable', job: o.job, op: o.op, machine, message: `machine ${machine} is unavailable in [${w.start}, ${w.end}) but job ${o.job} op ${o.op} runs in [${o.start}, ${o.end})` });
        }
      }
    }
  }
  return out;
}
