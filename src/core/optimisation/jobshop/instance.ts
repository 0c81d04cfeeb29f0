/**
 * The solver's internal form of a problem: operations numbered 0..N−1 job after job, in typed
 * arrays, with job links, per-job data, machine ready times and merged unavailability windows.
 */
import type { ValidatedProblem } from './validate';
import type { ScheduleKpis } from '../schedule-kpis';

export interface Instance {
  nJobs: number;
  nMachines: number;
  nOps: number;
  /** Operations of job j are jobFirst[j] .. jobFirst[j + 1] − 1. */
  jobFirst: Int32Array;
  opJob: Int32Array;
  opMachine: Int32Array;
  dur: Float64Array;
  /** Job predecessor and successor of each operation, −1 at the ends. */
  jp: Int32Array;
  js: Int32Array;
  release: Float64Array;
  /** Infinity when a job has no due date. */
  due: Float64Array;
  weight: Float64Array;
  /** Earliest time each machine can start anything (−Infinity when free from the start). */
  machineReady: Float64Array;
  /** Merged windows of machine m: winStart/winEnd[winFirst[m] .. winFirst[m + 1] − 1], sorted. */
  winFirst: Int32Array;
  winStart: Float64Array;
  winEnd: Float64Array;
  hasWindows: boolean;
  /** Operations grouped by machine (input order), with each operation's rank in its group. */
  machineFirst: Int32Array;
  machineOps: Int32Array;
  machineRank: Int32Array;
  maxOpsPerMachine: number;
  hasDueDates: boolean;
}

export function buildInstance(p: ValidatedProblem, machineReady?: ArrayLike<number>): Instance {
  const nJobs = p.jobs.length;
  const nMachines = p.machines;
  let nOps = 0;
  for (const ops of p.jobs) nOps += ops.length;
  const jobFirst = new Int32Array(nJobs + 1);
  const opJob = new Int32Array(nOps);
  const opMachine = new Int32Array(nOps);
  const dur = new Float64Array(nOps);
  const jp = new Int32Array(nOps);
  const js = new Int32Array(nOps);
  let o = 0;
  for (let j = 0; j < nJobs; j++) {
    jobFirst[j] = o;
    const ops = p.jobs[j];
    for (let k = 0; k < ops.length; k++, o++) {
      opJob[o] = j;
      opMachine[o] = ops[k].machine;
      dur[o] = ops[k].duration;
      jp[o] = k === 0 ? -1 : o - 1;
      js[o] = k === ops.length - 1 ? -1 : o + 1;
    }
  }
  jobFirst[nJobs] = nOps;

  const machineFirst = new Int32Array(nMachines + 1);
  for (let i = 0; i < nOps; i++) machineFirst[opMachine[i] + 1]++;
  for (let m = 0; m < nMachines; m++) machineFirst[m + 1] += machineFirst[m];
  const fill = machineFirst.slice(0, nMachines);
  const machineOps = new Int32Array(nOps);
  const machineRank = new Int32Array(nOps);
  let maxOpsPerMachine = 0;
  for (let i = 0; i < nOps; i++) {
    const m = opMachine[i];
    machineRank[i] = fill[m] - machineFirst[m];
    machineOps[fill[m]++] = i;
  }
  for (let m = 0; m < nMachines; m++) maxOpsPerMachine = Math.max(maxOpsPerMachine, machineFirst[m + 1] - machineFirst[m]);

  // Windows arrive sorted by machine then start; merge those that overlap or touch.
  const ws: number[] = [];
  const we: number[] = [];
  const winFirst = new Int32Array(nMachines + 1);
  let wi = 0;
  for (let m = 0; m < nMachines; m++) {
    winFirst[m] = ws.length;
    while (wi < p.unavailable.length && p.unavailable[wi].machine === m) {
      const w = p.unavailable[wi++];
      const last = ws.length - 1;
      if (ws.length > winFirst[m] && w.start <= we[last]) we[last] = Math.max(we[last], w.end);
      else {
        ws.push(w.start);
        we.push(w.end);
      }
    }
  }
  winFirst[nMachines] = ws.length;

  const ready = new Float64Array(nMachines).fill(-Infinity);
  if (machineReady) for (let m = 0; m < nMachines; m++) ready[m] = machineReady[m];
  return {
    nJobs,
    nMachines,
    nOps,
    jobFirst,
    opJob,
    opMachine,
    dur,
    jp,
    js,
    release: Float64Array.from(p.releaseDates),
    due: Float64Array.from(p.dueDates),
    weight: Float64Array.from(p.weights),
    machineReady: ready,
    winFirst,
    winStart: Float64Array.from(ws),
    winEnd: Float64Array.from(we),
    hasWindows: ws.length > 0,
    machineFirst,
    machineOps,
    machineRank,
    maxOpsPerMachine,
    hasDueDates: p.dueDates.some((d) => d !== Infinity),
  };
}

/** Earliest start >= t on machine m at which an operation of length p overlaps no window. */
export function fitWindows(inst: Instance, m: number, t: number, p: number): number {
  let lo = inst.winFirst[m];
  const hi = inst.winFirst[m + 1];
  if (lo === hi) return t;
  const ws = inst.winStart;
  const we = inst.winEnd;
  // First window ending after t (binary search: windows are disjoint and sorted).
  let a = lo;
  let b = hi;
  while (a < b) {
    const mid = (a + b) >> 1;
    if (we[mid] <= t) a = mid + 1;
    else b = mid;
  }
  for (lo = a; lo < hi; lo++) {
    // Overlap of [t, t + p) with [ws, we): t < we (true here) and ws < t + p (for p = 0: ws < t).
    if (ws[lo] < t + p) t = we[lo];
    else break;
  }
  return t;
}

/** The objective's terms of a schedule given by start times. */
export type Kpis = ScheduleKpis;

export function kpisOf(inst: Instance, start: Float64Array): Kpis {
  let makespan = -Infinity;
  let totalTardiness = 0;
  let weightedTardiness = 0;
  for (let j = 0; j < inst.nJobs; j++) {
    const last = inst.jobFirst[j + 1] - 1;
    const c = start[last] + inst.dur[last];
    if (c > makespan) makespan = c;
    const t = c - inst.due[j];
    if (t > 0) {
      totalTardiness += t;
      weightedTardiness += inst.weight[j] * t;
    }
  }
  return { makespan, totalTardiness, weightedTardiness };
}

/**
 * Semi-active schedule of given machine sequences (operations of machine m at
 * seq[machineFirst[m] .. machineFirst[m + 1] − 1], in order): each operation starts as soon as its
 * job and machine predecessors, release date, machine ready time and windows allow. Null when the
 * sequences contradict the job orders (a cycle).
 */
export function decodeSequences(inst: Instance, seq: Int32Array): Float64Array | null {
  const n = inst.nOps;
  const mp = new Int32Array(n).fill(-1);
  const ms = new Int32Array(n).fill(-1);
  for (let m = 0; m < inst.nMachines; m++) {
    for (let i = inst.machineFirst[m] + 1; i < inst.machineFirst[m + 1]; i++) {
      mp[seq[i]] = seq[i - 1];
      ms[seq[i - 1]] = seq[i];
    }
  }
  const indeg = new Int32Array(n);
  const queue = new Int32Array(n);
  let qt = 0;
  for (let o = 0; o < n; o++) {
    indeg[o] = (inst.jp[o] >= 0 ? 1 : 0) + (mp[o] >= 0 ? 1 : 0);
    if (indeg[o] === 0) queue[qt++] = o;
  }
  const start = new Float64Array(n);
  for (let qh = 0; qh < qt; qh++) {
    const o = queue[qh];
    const a = inst.jp[o];
    const b = mp[o];
    const m = inst.opMachine[o];
    let t = a >= 0 ? start[a] + inst.dur[a] : inst.release[inst.opJob[o]];
    t = Math.max(t, b >= 0 ? start[b] + inst.dur[b] : inst.machineReady[m]);
    start[o] = fitWindows(inst, m, t, inst.dur[o]);
    for (const c of [inst.js[o], ms[o]]) if (c >= 0 && --indeg[c] === 0) queue[qt++] = c;
  }
  return qt === n ? start : null;
}
