/**
 * Lower bounds. Unavailability windows and machine ready times only delay a schedule, so bounds
 * that ignore them stay valid.
 *  - Job bound: r_j + Σ_k p_jk / (fastest speed of stage k).
 *  - Stage bound, identical machines (speed s, m machines): if u machines of the stage are used,
 *    each machine's first job has a head (release + work before the stage) and its last job a tail
 *    (work after the stage), all distinct jobs, so u·Cmax ≥ (u smallest heads) + W/s + (u smallest
 *    tails); the bound is the minimum over u = 1..min(m, jobs visiting the stage).
 *  - Stage bound, machines with speeds: min head + W / Σ speeds + min tail.
 *  - Stage capacity bound: the stage's work W must fit in the machines' available time (speed ×
 *    time outside windows and after the machine's ready time) from the min head on; the time X
 *    where that capacity first reaches W, plus the min tail, bounds the makespan.
 *  - Two stages of one machine each, equal release dates, no windows: Johnson's rule is optimal.
 *  - Tardiness: Σ w_j max(0, r_j + length_j − d_j).
 */
import type { FlowInstance } from './instance';

export interface FlowBounds {
  makespan: number;
  totalTardiness: number;
  weightedTardiness: number;
  /** True when `makespan` is the exact optimum (Johnson's two-machine case). */
  exactMakespan: boolean;
}

export function lowerBounds(inst: FlowInstance): FlowBounds {
  const { nJobs: n, nStages: S, p, stageFirst, speed, release } = inst;
  const maxSpeed = new Float64Array(S);
  const sumSpeed = new Float64Array(S);
  const identical: boolean[] = [];
  for (let k = 0; k < S; k++) {
    let mx = 0;
    let sum = 0;
    let same = true;
    for (let m = stageFirst[k]; m < stageFirst[k + 1]; m++) {
      mx = Math.max(mx, speed[m]);
      sum += speed[m];
      if (speed[m] !== speed[stageFirst[k]]) same = false;
    }
    maxSpeed[k] = mx;
    sumSpeed[k] = sum;
    identical.push(same);
  }
  // head[j*S+k]: release + fastest work before stage k; tail: fastest work after stage k.
  const head = new Float64Array(n * S);
  const tail = new Float64Array(n * S);
  let makespan = -Infinity;
  let tt = 0;
  let wt = 0;
  for (let j = 0; j < n; j++) {
    let h = release[j];
    for (let k = 0; k < S; k++) {
      head[j * S + k] = h;
      h += p[j * S + k] / maxSpeed[k];
    }
    let t = 0;
    for (let k = S - 1; k >= 0; k--) {
      tail[j * S + k] = t;
      t += p[j * S + k] / maxSpeed[k];
    }
    makespan = Math.max(makespan, h);
    const late = h - inst.due[j];
    if (late > 0) {
      tt += late;
      wt += inst.weight[j] * late;
    }
  }
  for (let k = 0; k < S; k++) {
    const heads: number[] = [];
    const tails: number[] = [];
    let work = 0;
    for (let j = 0; j < n; j++) {
      const pj = p[j * S + k];
      if (!(pj > 0)) continue;
      work += pj;
      heads.push(head[j * S + k]);
      tails.push(tail[j * S + k]);
    }
    if (heads.length === 0) continue;
    heads.sort((a, b) => a - b);
    tails.sort((a, b) => a - b);
    const m = stageFirst[k + 1] - stageFirst[k];
    let lb: number;
    if (identical[k]) {
      const w = work / speed[stageFirst[k]];
      lb = Infinity;
      let hs = 0;
      let ts = 0;
      for (let u = 1; u <= Math.min(m, heads.length); u++) {
        hs += heads[u - 1];
        ts += tails[u - 1];
        lb = Math.min(lb, (hs + w + ts) / u);
      }
    } else {
      lb = heads[0] + work / sumSpeed[k] + tails[0];
    }
    if (inst.hasWindows || inst.hasMachineReady) lb = Math.max(lb, capacityReached(inst, k, heads[0], work) + tails[0]);
    makespan = Math.max(makespan, lb);
  }
  let exactMakespan = false;
  const johnson = johnsonMakespan(inst);
  if (johnson !== undefined) {
    makespan = Math.max(makespan, johnson);
    exactMakespan = true;
  }
  return { makespan, totalTardiness: tt, weightedTardiness: wt, exactMakespan };
}

/** The first time at which stage k's machines, available from `from`, can have done `work`. */
function capacityReached(inst: FlowInstance, k: number, from: number, work: number): number {
  const events: { t: number; d: number }[] = [];
  let rate = 0;
  for (let m = inst.stageFirst[k]; m < inst.stageFirst[k + 1]; m++) {
    const s = inst.speed[m];
    rate += s;
    const down = (a: number, b: number): void => {
      if (b <= from) return;
      events.push({ t: Math.max(a, from), d: -s }, { t: b, d: s });
    };
    if (inst.hasMachineReady && inst.machineReady[m] > from) down(from, inst.machineReady[m]);
    const ws = inst.winStart[m];
    const we = inst.winEnd[m];
    for (let i = 0; i < ws.length; i++) down(ws[i], we[i]);
  }
  events.sort((a, b) => a.t - b.t || a.d - b.d);
  let cur = from;
  let done = 0;
  for (const e of events) {
    if (rate > 0 && done + rate * (e.t - cur) >= work) return cur + (work - done) / rate;
    done += rate * (e.t - cur);
    cur = e.t;
    rate += e.d;
  }
  return cur + (work - done) / rate;
}

/**
 * Johnson's rule for two stages of one machine each: jobs with a ≤ b first by increasing a, then
 * the rest by decreasing b. Returns the order, or undefined when the instance is not of that kind.
 */
export function johnsonOrder(inst: FlowInstance, stageA = 0, stageB = 1): number[] {
  const { nJobs: n, nStages: S, p } = inst;
  // Aggregated times (stages before/after the split, work per unit of capacity) so that the rule
  // also gives a heuristic order for more stages and parallel machines (CDS-like).
  const cap = (k: number): number => {
    let c = 0;
    for (let m = inst.stageFirst[k]; m < inst.stageFirst[k + 1]; m++) c += inst.speed[m];
    return c;
  };
  const caps = Array.from({ length: S }, (_, k) => cap(k));
  const a = new Float64Array(n);
  const b = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    for (let k = 0; k <= stageA; k++) a[j] += p[j * S + k] / caps[k];
    for (let k = stageB; k < S; k++) b[j] += p[j * S + k] / caps[k];
  }
  const first: number[] = [];
  const second: number[] = [];
  for (let j = 0; j < n; j++) (a[j] <= b[j] ? first : second).push(j);
  first.sort((x, y) => a[x] - a[y] || x - y);
  second.sort((x, y) => b[y] - b[x] || x - y);
  return first.concat(second);
}

/** The optimal makespan when the instance is a classic F2||Cmax (else undefined). */
export function johnsonMakespan(inst: FlowInstance): number | undefined {
  const { nJobs: n, nStages: S, p, stageFirst, release } = inst;
  if (S !== 2 || stageFirst[1] !== 1 || stageFirst[2] !== 2 || inst.hasWindows) return undefined;
  const r = release[0];
  for (let j = 1; j < n; j++) if (release[j] !== r) return undefined;
  if (inst.hasMachineReady && (inst.machineReady[0] > r || inst.machineReady[1] > r)) return undefined;
  const order = johnsonOrder(inst);
  let c1 = r;
  let c2 = r;
  for (const j of order) {
    c1 += p[j * S] / inst.speed[0];
    c2 = Math.max(c1, c2) + p[j * S + 1] / inst.speed[1];
  }
  return Math.max(c1, c2);
}
