/**
 * A small complete search for the decision problem "is there a schedule with makespan <= T?",
 * used to prove a makespan optimal (T = best − 1 infeasible) on small instances with whole-number
 * data. Constraint propagation on time windows [est, lct] of every operation: job precedences, the
 * machine orders fixed so far, and edge finding on each machine (both directions, with overload
 * check); branching ranks the operations of the machine with the least slack, first to last (every
 * unranked operation may come next: the search is complete). Without unavailability windows only.
 */
import type { Instance } from './instance';

export type DecisionResult = ({ kind: 'infeasible' } | { kind: 'feasible'; start: Float64Array } | { kind: 'unknown' }) & { nodes: number };

interface State {
  est: Float64Array;
  lct: Float64Array;
  /** Ranked operations of machine m: seq[machineFirst[m] .. machineFirst[m] + count[m] − 1]. */
  seq: Int32Array;
  count: Int32Array;
  ranked: Uint8Array;
}

/** Instances the decision search is tried on (it is exponential: keep it to small ones). */
export function canDecide(inst: Instance): boolean {
  if (inst.hasWindows || inst.nOps > 400 || inst.maxOpsPerMachine > 40) return false;
  for (let o = 0; o < inst.nOps; o++) if (!Number.isInteger(inst.dur[o])) return false;
  for (let j = 0; j < inst.nJobs; j++) if (!Number.isInteger(inst.release[j])) return false;
  for (let m = 0; m < inst.nMachines; m++) if (inst.machineReady[m] !== -Infinity && !Number.isInteger(inst.machineReady[m])) return false;
  return true;
}

/**
 * Decides "makespan <= T?". `stop` is polled at every node and `maxNodes` bounds the search (a node
 * budget keeps the answer independent of the machine's speed); either ends it with "unknown".
 */
export function decideMakespan(inst: Instance, T: number, stop: () => boolean, maxNodes = Infinity): DecisionResult {
  const N = inst.nOps;
  const M = inst.nMachines;
  const { dur: p, jobFirst, machineFirst, machineOps } = inst;
  const root: State = {
    est: new Float64Array(N),
    lct: new Float64Array(N).fill(T),
    seq: new Int32Array(N),
    count: new Int32Array(M),
    ranked: new Uint8Array(N),
  };
  for (let j = 0; j < inst.nJobs; j++) {
    for (let o = jobFirst[j]; o < jobFirst[j + 1]; o++) root.est[o] = Math.max(inst.release[j], inst.machineReady[inst.opMachine[o]]);
  }
  const U = new Int32Array(inst.maxOpsPerMachine);
  const byEst = new Int32Array(inst.maxOpsPerMachine);
  const negEst = new Float64Array(N);
  const negLct = new Float64Array(N);
  let aborted = false;
  let nodes = 0;

  const unranked = (s: State, m: number): number => {
    let k = 0;
    for (let i = machineFirst[m]; i < machineFirst[m + 1]; i++) if (!s.ranked[machineOps[i]]) U[k++] = machineOps[i];
    return k;
  };

  /** Edge finding raising est (on est/lct as given) over the k operations in U; false on overload. */
  const edgeFind = (est: Float64Array, lct: Float64Array, k: number): number => {
    // Returns −1 on failure, else 1 when something changed.
    let changed = 0;
    for (let i = 0; i < k; i++) byEst[i] = U[i];
    const ord = Array.from(byEst.subarray(0, k)).sort((a, b) => est[b] - est[a]); // est descending
    for (let a = 0; a < k; a++) {
      const L = lct[U[a]];
      // Overload and detection over Ω = {j : lct[j] <= L}, thresholds by est descending.
      // ord was sorted before some est rose: use the running minimum as est of each prefix set.
      let P = 0;
      let ect = -Infinity;
      let eMin = Infinity;
      for (const j of ord) {
        if (lct[j] > L) continue;
        P += p[j];
        if (est[j] < eMin) eMin = est[j];
        if (eMin + P > ect) ect = eMin + P;
      }
      if (ect > L) return -1;
      for (let b = 0; b < k; b++) {
        const i = U[b];
        if (lct[i] <= L) continue;
        let Pe = 0;
        let ectE = -Infinity;
        let bound = -Infinity;
        let e = Infinity;
        for (const j of ord) {
          if (lct[j] > L) continue;
          Pe += p[j];
          if (est[j] < e) e = est[j];
          if (e + Pe > ectE) ectE = e + Pe;
          // Ω' = this prefix: est(Ω' ∪ {i}) + p(Ω') + p(i) > lct(Ω') means i comes after all of Ω'.
          if (Math.min(e, est[i]) + Pe + p[i] > L) bound = ectE;
        }
        if (bound > est[i]) {
          est[i] = bound;
          changed = 1;
        }
      }
    }
    return changed;
  };

  const propagate = (s: State): boolean => {
    const { est, lct, seq, count } = s;
    for (let round = 0; round < 200; round++) {
      let changed = false;
      for (let j = 0; j < inst.nJobs; j++) {
        for (let o = jobFirst[j] + 1; o < jobFirst[j + 1]; o++) {
          const v = est[o - 1] + p[o - 1];
          if (v > est[o]) {
            est[o] = v;
            changed = true;
          }
        }
        for (let o = jobFirst[j + 1] - 2; o >= jobFirst[j]; o--) {
          const v = lct[o + 1] - p[o + 1];
          if (v < lct[o]) {
            lct[o] = v;
            changed = true;
          }
        }
      }
      for (let m = 0; m < M; m++) {
        const base = machineFirst[m];
        const c = count[m];
        for (let i = 1; i < c; i++) {
          const a = seq[base + i - 1];
          const b = seq[base + i];
          if (est[a] + p[a] > est[b]) {
            est[b] = est[a] + p[a];
            changed = true;
          }
        }
        const k = unranked(s, m);
        if (c > 0 && k > 0) {
          const x = seq[base + c - 1];
          let maxLct = -Infinity;
          let sumP = 0;
          for (let i = 0; i < k; i++) {
            const y = U[i];
            if (est[x] + p[x] > est[y]) {
              est[y] = est[x] + p[x];
              changed = true;
            }
            if (lct[y] > maxLct) maxLct = lct[y];
            sumP += p[y];
          }
          if (maxLct - sumP < lct[x]) {
            lct[x] = maxLct - sumP;
            changed = true;
          }
        }
        for (let i = c - 1; i >= 1; i--) {
          const a = seq[base + i - 1];
          const b = seq[base + i];
          if (lct[b] - p[b] < lct[a]) {
            lct[a] = lct[b] - p[b];
            changed = true;
          }
        }
        if (k > 1) {
          const r1 = edgeFind(est, lct, k);
          if (r1 < 0) return false;
          // Mirror: lct side as est of the reversed problem.
          for (let i = 0; i < k; i++) {
            negEst[U[i]] = -lct[U[i]];
            negLct[U[i]] = -est[U[i]];
          }
          const r2 = edgeFind(negEst, negLct, k);
          if (r2 < 0) return false;
          if (r2 > 0) {
            for (let i = 0; i < k; i++) if (-negEst[U[i]] < lct[U[i]]) lct[U[i]] = -negEst[U[i]];
          }
          if (r1 > 0 || r2 > 0) changed = true;
        }
      }
      for (let o = 0; o < N; o++) if (est[o] + p[o] > lct[o]) return false;
      if (!changed) return true;
    }
    return true;
  };

  const copy = (s: State): State => ({ est: s.est.slice(), lct: s.lct.slice(), seq: s.seq.slice(), count: s.count.slice(), ranked: s.ranked.slice() });

  const search = (s: State): { kind: 'feasible'; start: Float64Array; nodes: number } | undefined => {
    // A node costs up to a few milliseconds of propagation: look at the clock at every one.
    if (++nodes > maxNodes || stop()) {
      aborted = true;
      return undefined;
    }
    if (!propagate(s)) return undefined;
    // Machine with the least slack among those not fully ranked.
    let mBest = -1;
    let slackBest = Infinity;
    for (let m = 0; m < M; m++) {
      const k = unranked(s, m);
      if (k === 0) continue;
      let lo = Infinity;
      let hi = -Infinity;
      let sum = 0;
      for (let i = 0; i < k; i++) {
        lo = Math.min(lo, s.est[U[i]]);
        hi = Math.max(hi, s.lct[U[i]]);
        sum += p[U[i]];
      }
      if (hi - lo - sum < slackBest) {
        slackBest = hi - lo - sum;
        mBest = m;
      }
    }
    if (mBest < 0) return { kind: 'feasible', start: s.est.slice(), nodes };
    const k = unranked(s, mBest);
    const cands = Array.from(U.subarray(0, k)).sort((a, b) => s.est[a] - s.est[b] || s.lct[a] - s.lct[b] || a - b);
    for (const y of cands) {
      const child = copy(s);
      child.seq[machineFirst[mBest] + child.count[mBest]++] = y;
      child.ranked[y] = 1;
      const r = search(child);
      if (r) return r;
      if (aborted) return undefined;
    }
    return undefined;
  };

  const res = search(root);
  if (res) return res;
  return aborted ? { kind: 'unknown', nodes } : { kind: 'infeasible', nodes };
}
