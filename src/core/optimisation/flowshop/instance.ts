/**
 * The flow-shop instance in flat arrays, and the permutation decoder: jobs enter the first stage in
 * permutation order; at each later stage they are taken first-come-first-served (by the time they
 * finished their previous stage, or their release date if they skipped every stage so far; ties in
 * permutation order); each operation goes to the machine of its stage where it finishes earliest
 * (ties: the lowest machine index), starting at the earliest time when the job and the machine are
 * both ready and the operation does not overlap an unavailability window of that machine.
 */
import type { ObjectiveWeights } from '../jobshop/validate';
import type { FlowShopKpis, FlowShopOperation } from './types';
import type { ValidatedFlowShop } from './validate';
import { scheduleKpis } from '../schedule-kpis';

export interface FlowInstance {
  nJobs: number;
  nStages: number;
  /** p[j * nStages + k]: processing time of job j at stage k (0 = skipped). */
  p: Float64Array;
  /** Machines of stage k are stageFirst[k] .. stageFirst[k + 1] - 1 (global numbering). */
  stageFirst: Int32Array;
  nMachines: number;
  speed: Float64Array;
  machineStage: Int32Array;
  release: Float64Array;
  due: Float64Array;
  weight: Float64Array;
  hasDueDates: boolean;
  /** Per global machine: merged, sorted unavailability windows. */
  winStart: Float64Array[];
  winEnd: Float64Array[];
  hasWindows: boolean;
  /** Per global machine: the earliest time it may start (0 unless rescheduling). */
  machineReady: Float64Array;
  /** Whether machine ready times were given (rescheduling). */
  hasMachineReady: boolean;
}

/** Builds the flat instance. `machineReady` (per stage, per machine) delays machines (rescheduling). */
export function buildInstance(vp: ValidatedFlowShop, machineReady?: number[][]): FlowInstance {
  const nJobs = vp.jobs.length;
  const nStages = vp.stages.length;
  const stageFirst = new Int32Array(nStages + 1);
  for (let k = 0; k < nStages; k++) stageFirst[k + 1] = stageFirst[k] + vp.stages[k].speeds.length;
  const nMachines = stageFirst[nStages];
  const speed = new Float64Array(nMachines);
  const machineStage = new Int32Array(nMachines);
  const ready = new Float64Array(nMachines).fill(-Infinity);
  for (let k = 0; k < nStages; k++) {
    vp.stages[k].speeds.forEach((s, l) => {
      speed[stageFirst[k] + l] = s;
      machineStage[stageFirst[k] + l] = k;
      if (machineReady) ready[stageFirst[k] + l] = machineReady[k][l];
    });
  }
  const p = new Float64Array(nJobs * nStages);
  vp.jobs.forEach((times, j) => times.forEach((t, k) => (p[j * nStages + k] = t)));
  const lists: { s: number; e: number }[][] = Array.from({ length: nMachines }, () => []);
  for (const w of vp.unavailable) lists[stageFirst[w.stage] + w.machine].push({ s: w.start, e: w.end });
  const winStart: Float64Array[] = [];
  const winEnd: Float64Array[] = [];
  for (const list of lists) {
    list.sort((a, b) => a.s - b.s || a.e - b.e);
    const merged: { s: number; e: number }[] = [];
    for (const w of list) {
      const last = merged[merged.length - 1];
      if (last && w.s <= last.e) last.e = Math.max(last.e, w.e);
      else merged.push({ ...w });
    }
    winStart.push(Float64Array.from(merged.map((w) => w.s)));
    winEnd.push(Float64Array.from(merged.map((w) => w.e)));
  }
  return {
    nJobs,
    nStages,
    p,
    stageFirst,
    nMachines,
    speed,
    machineStage,
    release: Float64Array.from(vp.releaseDates),
    due: Float64Array.from(vp.dueDates),
    weight: Float64Array.from(vp.weights),
    hasDueDates: vp.dueDates.some((d) => d !== Infinity),
    winStart,
    winEnd,
    hasWindows: vp.unavailable.length > 0,
    machineReady: ready,
    hasMachineReady: machineReady !== undefined,
  };
}

/** The earliest start >= t of an operation of length d on machine m that overlaps no window. */
export function earliestStart(inst: FlowInstance, m: number, t: number, d: number): number {
  const ws = inst.winStart[m];
  const n = ws.length;
  if (n === 0) return t;
  const we = inst.winEnd[m];
  // First window ending after t (binary search; windows are merged, so ends are sorted too).
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (we[mid] <= t) lo = mid + 1;
    else hi = mid;
  }
  // [t, t + d) against [ws, we): a zero-length operation may only touch a window's boundary.
  for (let i = lo; i < n; i++) {
    if (ws[i] < t + d) t = Math.max(t, we[i]);
    else break;
  }
  return t;
}

/**
 * Decodes permutations (full or partial: any list of distinct jobs) into schedules. Reuses its
 * buffers: the arrays below describe the last decoded permutation only.
 */
export class Decoder {
  readonly inst: FlowInstance;
  /** start[j * S + k], machine[j * S + k] (global machine; -1 for skipped stages). */
  readonly start: Float64Array;
  readonly machine: Int32Array;
  /** Completion time of each job of the last permutation. */
  readonly completion: Float64Array;
  makespan = 0;
  totalTardiness = 0;
  weightedTardiness = 0;
  /** Number of decodes done (a work counter). */
  decodes = 0;
  private readonly pos: Int32Array;
  private readonly order: Int32Array;
  private readonly free: Float64Array;

  constructor(inst: FlowInstance) {
    this.inst = inst;
    this.start = new Float64Array(inst.nJobs * inst.nStages);
    this.machine = new Int32Array(inst.nJobs * inst.nStages);
    this.completion = new Float64Array(inst.nJobs);
    this.pos = new Int32Array(inst.nJobs);
    this.order = new Int32Array(inst.nJobs);
    this.free = new Float64Array(inst.nMachines);
  }

  /** Decodes the first `len` jobs of `seq`; returns the objective value under `w`. */
  decode(seq: ArrayLike<number>, len: number, w: ObjectiveWeights): number {
    const inst = this.inst;
    const S = inst.nStages;
    const { p, speed, stageFirst, release } = inst;
    const ready = this.completion;
    const { pos, order, free, start, machine } = this;
    const windows = inst.hasWindows;
    this.decodes++;
    for (let i = 0; i < len; i++) {
      const j = seq[i];
      pos[j] = i;
      order[i] = j;
      ready[j] = release[j];
    }
    free.set(inst.machineReady);
    for (let k = 0; k < S; k++) {
      if (k > 0) {
        // First come, first served: insertion sort by (ready, permutation position); the order of
        // the previous stage is nearly sorted already.
        for (let i = 1; i < len; i++) {
          const j = order[i];
          const r = ready[j];
          const pj = pos[j];
          let h = i - 1;
          while (h >= 0) {
            const o = order[h];
            const ro = ready[o];
            if (ro > r || (ro === r && pos[o] > pj)) {
              order[h + 1] = o;
              h--;
            } else break;
          }
          order[h + 1] = j;
        }
      }
      const m0 = stageFirst[k];
      const m1 = stageFirst[k + 1];
      for (let i = 0; i < len; i++) {
        const j = order[i];
        const idx = j * S + k;
        const pj = p[idx];
        if (!(pj > 0)) {
          machine[idx] = -1;
          continue;
        }
        const r = ready[j];
        let bestF = Infinity;
        let bestS = 0;
        let bestM = m0;
        for (let m = m0; m < m1; m++) {
          const d = pj / speed[m];
          let s = free[m] > r ? free[m] : r;
          if (windows) s = earliestStart(inst, m, s, d);
          const f = s + d;
          if (f < bestF) {
            bestF = f;
            bestS = s;
            bestM = m;
          }
        }
        free[bestM] = bestF;
        ready[j] = bestF;
        start[idx] = bestS;
        machine[idx] = bestM;
      }
    }
    let makespan = -Infinity;
    let tt = 0;
    let wt = 0;
    const { due, weight } = inst;
    for (let i = 0; i < len; i++) {
      const j = seq[i];
      const c = ready[j];
      if (c > makespan) makespan = c;
      const late = c - due[j];
      if (late > 0) {
        tt += late;
        wt += weight[j] * late;
      }
    }
    this.makespan = makespan;
    this.totalTardiness = tt;
    this.weightedTardiness = wt;
    return objectiveOf(this.kpis(), w);
  }

  kpis(): FlowShopKpis {
    return { makespan: this.makespan, totalTardiness: this.totalTardiness, weightedTardiness: this.weightedTardiness };
  }

  /** The operations of the last decoded permutation (its first `len` jobs), sorted by job, stage. */
  operations(seq: ArrayLike<number>, len: number): FlowShopOperation[] {
    const inst = this.inst;
    const S = inst.nStages;
    const jobs = Array.from({ length: len }, (_, i) => seq[i]).sort((a, b) => a - b);
    const out: FlowShopOperation[] = [];
    for (const j of jobs) {
      for (let k = 0; k < S; k++) {
        const idx = j * S + k;
        const m = this.machine[idx];
        if (!(inst.p[idx] > 0) || m < 0) continue;
        const s = this.start[idx];
        out.push({ job: j, stage: k, machine: m - inst.stageFirst[k], start: s, end: s + inst.p[idx] / inst.speed[m] });
      }
    }
    return out;
  }
}

/** The objective value of some KPIs. */
export function objectiveOf(k: FlowShopKpis, w: ObjectiveWeights): number {
  let v = 0;
  if (w.makespan > 0) v += w.makespan * k.makespan;
  if (w.tardiness > 0) v += w.tardiness * k.totalTardiness;
  if (w.weightedTardiness > 0) v += w.weightedTardiness * k.weightedTardiness;
  return v;
}

/** KPIs of a list of operations (completion = end of the job's last operation). */
export function kpisOfOperations(vp: ValidatedFlowShop, ops: FlowShopOperation[]): FlowShopKpis {
  return scheduleKpis(vp.jobs.length, ops, vp.dueDates, vp.weights);
}
