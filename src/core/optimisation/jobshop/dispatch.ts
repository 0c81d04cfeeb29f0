/**
 * Giffler–Thompson active schedules driven by a priority rule. Each step takes the schedulable
 * operation (next of its job) that can finish first, on machine m*; the conflict set is the
 * schedulable operations of m* that could start before that finish, and the rule picks one of them.
 * Release dates, machine ready times and unavailability windows are respected (an operation starts
 * at the earliest time its job and machine allow at which it overlaps no window).
 */
import { fitWindows, type Instance } from './instance';
import type { Rng } from './random';

export type DispatchRule = 'SPT' | 'LPT' | 'MWKR' | 'MOR' | 'FIFO' | 'EDD' | 'SLACK' | 'RANDOM';

export const DISPATCH_RULES: readonly DispatchRule[] = ['SPT', 'LPT', 'MWKR', 'MOR', 'FIFO', 'EDD', 'SLACK', 'RANDOM'];

export interface DispatchResult {
  rule: DispatchRule;
  start: Float64Array;
  /** Machine sequences: operations of machine m are seq[inst.machineFirst[m] .. machineFirst[m + 1] − 1]. */
  seq: Int32Array;
}

/** One active schedule. `rng` breaks ties at random; without it ties go to the lower job number. */
export function gifflerThompson(inst: Instance, rule: DispatchRule, rng?: Rng): DispatchResult {
  const { nJobs, nOps, jobFirst, dur, opMachine, machineFirst } = inst;
  const next = Int32Array.from(jobFirst.subarray(0, nJobs));
  const jobReady = Float64Array.from(inst.release);
  const machReady = Float64Array.from(inst.machineReady);
  const workLeft = new Float64Array(nJobs);
  for (let j = 0; j < nJobs; j++) for (let o = jobFirst[j]; o < jobFirst[j + 1]; o++) workLeft[j] += dur[o];
  const start = new Float64Array(nOps);
  const seq = new Int32Array(nOps);
  const fillPos = Int32Array.from(machineFirst.subarray(0, inst.nMachines));
  // Earliest start and completion of each job's next operation (Infinity when the job is done),
  // refreshed only for the jobs whose job or machine just changed.
  const es = new Float64Array(nJobs);
  const ec = new Float64Array(nJobs);
  const refresh = (j: number): void => {
    const o = next[j];
    if (o >= jobFirst[j + 1]) {
      es[j] = Infinity;
      ec[j] = Infinity;
      return;
    }
    const m = opMachine[o];
    es[j] = fitWindows(inst, m, Math.max(jobReady[j], machReady[m]), dur[o]);
    ec[j] = es[j] + dur[o];
  };
  for (let j = 0; j < nJobs; j++) refresh(j);

  for (let step = 0; step < nOps; step++) {
    // Earliest completion among schedulable operations.
    let bestEc = Infinity;
    let first = -1;
    for (let j = 0; j < nJobs; j++) {
      if (ec[j] < bestEc) {
        bestEc = ec[j];
        first = j;
      }
    }
    const mStar = opMachine[next[first]];
    // Conflict set on m*: schedulable operations there starting before bestEc (or at it, for zero-length ones).
    let chosen = -1;
    let chosenKey = Infinity;
    let ties = 0;
    for (let j = 0; j < nJobs; j++) {
      if (es[j] === Infinity) continue;
      const o = next[j];
      if (opMachine[o] !== mStar) continue;
      if (!(es[j] < bestEc || (es[j] === bestEc && dur[o] === 0))) continue;
      let key: number;
      switch (rule) {
        case 'SPT': key = dur[o]; break;
        case 'LPT': key = -dur[o]; break;
        case 'MWKR': key = -workLeft[j]; break;
        case 'MOR': key = -(jobFirst[j + 1] - o); break;
        case 'FIFO': key = jobReady[j]; break;
        case 'EDD': key = inst.due[j] === Infinity ? Number.MAX_VALUE : inst.due[j]; break;
        case 'SLACK': key = inst.due[j] === Infinity ? Number.MAX_VALUE : inst.due[j] - es[j] - workLeft[j]; break;
        default: key = 0;
      }
      if (key < chosenKey || chosen < 0) {
        chosenKey = key;
        chosen = j;
        ties = 1;
      } else if (key === chosenKey && rng) {
        ties++;
        if (rng.int(ties) === 0) chosen = j;
      }
    }
    const o = next[chosen];
    const t = es[chosen];
    start[o] = t;
    jobReady[chosen] = t + dur[o];
    machReady[mStar] = t + dur[o];
    workLeft[chosen] -= dur[o];
    next[chosen]++;
    seq[fillPos[mStar]++] = o;
    refresh(chosen);
    for (let j = 0; j < nJobs; j++) if (es[j] !== Infinity && opMachine[next[j]] === mStar) refresh(j);
  }
  return { rule, start, seq };
}
