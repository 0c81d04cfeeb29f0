/**
 * Lower bounds of the makespan: the longest job (from its release date, through machine ready
 * times) and, for every machine, the one-machine preemptive relaxation with heads and tails solved
 * exactly by Jackson's preemptive schedule (largest tail first), the machine's unavailability
 * windows kept as times it cannot work. Both relax the problem, so both are proven bounds.
 */
import type { Instance } from './instance';

export interface Bounds {
  /** Earliest possible start of each operation (release date, job predecessors, machine ready). */
  head: Float64Array;
  /** Work that must follow each operation in its job. */
  tail: Float64Array;
  jobBound: number;
  machineBound: number;
  makespan: number;
  /** Σ weight·max(0, earliest completion − due date) and the unweighted sum. */
  weightedTardiness: number;
  totalTardiness: number;
}

export function lowerBounds(inst: Instance): Bounds {
  const { nOps, nJobs, dur, jobFirst, opMachine, machineReady } = inst;
  const head = new Float64Array(nOps);
  const tail = new Float64Array(nOps);
  let jobBound = -Infinity;
  let weightedTardiness = 0;
  let totalTardiness = 0;
  for (let j = 0; j < nJobs; j++) {
    let t = inst.release[j];
    for (let o = jobFirst[j]; o < jobFirst[j + 1]; o++) {
      t = Math.max(t, machineReady[opMachine[o]]);
      head[o] = t;
      t += dur[o];
    }
    jobBound = Math.max(jobBound, t);
    const late = t - inst.due[j];
    if (late > 0) {
      totalTardiness += late;
      weightedTardiness += inst.weight[j] * late;
    }
    let q = 0;
    for (let o = jobFirst[j + 1] - 1; o >= jobFirst[j]; o--) {
      tail[o] = q;
      q += dur[o];
    }
  }
  let machineBound = -Infinity;
  for (let m = 0; m < inst.nMachines; m++) machineBound = Math.max(machineBound, jacksonPreemptive(inst, m, head, tail));
  return { head, tail, jobBound, machineBound, makespan: Math.max(jobBound, machineBound), weightedTardiness, totalTardiness };
}

/** max over the machine's operations of (completion + tail) in Jackson's preemptive schedule. */
export function jacksonPreemptive(inst: Instance, m: number, head: Float64Array, tail: Float64Array): number {
  const first = inst.machineFirst[m];
  const k = inst.machineFirst[m + 1] - first;
  // Zero-length operations take no machine time: each adds only head + tail.
  let bound = -Infinity;
  const ops: number[] = [];
  for (const o of inst.machineOps.subarray(first, first + k)) {
    if (inst.dur[o] > 0) ops.push(o);
    else bound = Math.max(bound, head[o] + tail[o]);
  }
  ops.sort((a, b) => head[a] - head[b]);
  return Math.max(bound, preemptive(inst, m, ops, head, tail));
}

function preemptive(inst: Instance, m: number, ops: number[], head: Float64Array, tail: Float64Array): number {
  const k = ops.length;
  const rem = new Float64Array(k);
  for (let i = 0; i < k; i++) rem[i] = inst.dur[ops[i]];
  // Max-heap of indices into ops, by tail.
  const heap: number[] = [];
  const up = (i: number): void => {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (tail[ops[heap[parent]]] >= tail[ops[heap[i]]]) break;
      [heap[parent], heap[i]] = [heap[i], heap[parent]];
      i = parent;
    }
  };
  const down = (i: number): void => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let best = i;
      if (l < heap.length && tail[ops[heap[l]]] > tail[ops[heap[best]]]) best = l;
      if (r < heap.length && tail[ops[heap[r]]] > tail[ops[heap[best]]]) best = r;
      if (best === i) return;
      [heap[best], heap[i]] = [heap[i], heap[best]];
      i = best;
    }
  };
  const wFirst = inst.winFirst[m];
  const wLast = inst.winFirst[m + 1];
  let w = wFirst;
  let next = 0;
  let t = -Infinity;
  let bound = -Infinity;
  while (next < k || heap.length > 0) {
    if (heap.length === 0 && head[ops[next]] > t) t = head[ops[next]];
    while (next < k && head[ops[next]] <= t) {
      heap.push(next++);
      up(heap.length - 1);
    }
    while (w < wLast && inst.winEnd[w] <= t) w++;
    if (w < wLast && inst.winStart[w] <= t) {
      t = inst.winEnd[w];
      continue;
    }
    const x = heap[0];
    const limit = Math.min(next < k ? head[ops[next]] : Infinity, w < wLast ? inst.winStart[w] : Infinity);
    const finish = t + rem[x];
    if (finish <= limit) {
      t = finish;
      rem[x] = 0;
      bound = Math.max(bound, t + tail[ops[x]]);
      heap[0] = heap[heap.length - 1];
      heap.pop();
      if (heap.length > 0) down(0);
    } else {
      rem[x] -= limit - t;
      t = limit;
    }
  }
  return bound;
}
