/**
 * Independent flow-shop schedule checker. It shares nothing with the decoder or the search but the
 * input validation: it looks only at the problem and the list of operations and reports, one
 * message per finding, every violation of completeness (each job once at each stage it visits and
 * nowhere else), machine range, duration (processing time / machine speed), stage order within a
 * job, release date, machine overlap and machine unavailability. Each message starts with its kind
 * (`missing:`, `duplicate:`, `unknown:`, `skipped:`, `not-finite:`, `machine:`, `duration:`,
 * `order:`, `release:`, `overlap:`, `unavailable:`). Times are compared with a relative tolerance
 * of 1e-9.
 */
import type { FlowShopOperation, FlowShopOptions, FlowShopProblem } from './types';
import { validateFlowShop } from './validate';

type Extras = Pick<FlowShopOptions, 'releaseDates' | 'unavailable'>;

/**
 * Every violation of `operations` against `problem` (with its release dates and windows, which
 * `extras` may also give). An empty list means a valid schedule. Throws InputError only when the
 * problem itself is invalid.
 */
export function checkFlowShopSchedule(problem: FlowShopProblem, operations: FlowShopOperation[], extras: Extras = {}): string[] {
  const p = validateFlowShop(problem, extras);
  const out: string[] = [];
  if (!Array.isArray(operations)) return ['unknown: operations is not an array'];
  const S = p.stages.length;
  let scale = 1;
  for (const o of operations) {
    if (o && typeof o === 'object') scale = Math.max(scale, Math.abs(Number(o.start)) || 0, Math.abs(Number(o.end)) || 0);
  }
  const eps = 1e-9 * scale;

  const at: (FlowShopOperation | undefined)[][] = p.jobs.map(() => new Array<FlowShopOperation | undefined>(S).fill(undefined));
  for (let i = 0; i < operations.length; i++) {
    const o = operations[i];
    if (!o || typeof o !== 'object' || !Number.isInteger(o.job) || !Number.isInteger(o.stage) || o.job < 0 || o.job >= p.jobs.length || o.stage < 0 || o.stage >= S) {
      out.push(`unknown: entry ${i} names no job and stage of the problem (job ${o && o.job}, stage ${o && o.stage})`);
      continue;
    }
    const { job, stage } = o;
    if (!(p.jobs[job][stage] > 0)) {
      out.push(`skipped: job ${job} has processing time 0 at stage ${stage}, so it skips the stage, but entry ${i} schedules it there`);
      continue;
    }
    if (!Number.isFinite(o.start) || !Number.isFinite(o.end)) {
      out.push(`not-finite: job ${job} stage ${stage}: start ${o.start} / end ${o.end} not finite`);
      continue;
    }
    if (!Number.isInteger(o.machine) || o.machine < 0 || o.machine >= p.stages[stage].speeds.length) {
      out.push(`machine: job ${job} stage ${stage} is on machine ${o.machine}, but stage ${stage} has machines 0..${p.stages[stage].speeds.length - 1}`);
      continue;
    }
    if (at[job][stage]) {
      out.push(`duplicate: job ${job} stage ${stage} is scheduled more than once`);
      continue;
    }
    at[job][stage] = o;
  }

  for (let j = 0; j < p.jobs.length; j++) {
    let prev: FlowShopOperation | undefined;
    for (let k = 0; k < S; k++) {
      const time = p.jobs[j][k];
      if (!(time > 0)) continue;
      const o = at[j][k];
      if (!o) {
        out.push(`missing: job ${j} stage ${k} is not scheduled`);
        continue;
      }
      const speed = p.stages[k].speeds[o.machine];
      const need = time / speed;
      if (Math.abs(o.end - o.start - need) > eps) {
        out.push(`duration: job ${j} stage ${k} lasts ${o.end - o.start} on machine ${o.machine}, needs ${need} (time ${time} / speed ${speed})`);
      }
      if (o.start < p.releaseDates[j] - eps) out.push(`release: job ${j} stage ${k} starts at ${o.start}, before the release date ${p.releaseDates[j]}`);
      if (prev && o.start < prev.end - eps) {
        out.push(`order: job ${j} stage ${k} starts at ${o.start}, before its stage ${prev.stage} ends at ${prev.end}`);
      }
      prev = o;
    }
  }

  // Per machine: overlaps (sweep by start against those still open) and windows.
  const overlaps = (s1: number, e1: number, s2: number, e2: number): boolean => s1 < e2 - eps && s2 < e1 - eps;
  for (let k = 0; k < S; k++) {
    for (let m = 0; m < p.stages[k].speeds.length; m++) {
      const list: FlowShopOperation[] = [];
      for (let j = 0; j < p.jobs.length; j++) {
        const o = at[j][k];
        if (o && o.machine === m) list.push(o);
      }
      list.sort((a, b) => a.start - b.start || a.end - b.end);
      let open: FlowShopOperation[] = [];
      for (const o of list) {
        open = open.filter((x) => x.end > o.start + eps);
        for (const x of open) {
          if (overlaps(x.start, x.end, o.start, o.end)) {
            out.push(`overlap: stage ${k} machine ${m}: job ${x.job} [${x.start}, ${x.end}) overlaps job ${o.job} [${o.start}, ${o.end})`);
          }
        }
        open.push(o);
      }
      for (const w of p.unavailable) {
        if (w.stage !== k || w.machine !== m) continue;
        for (const o of list) {
          if (overlaps(w.start, w.end, o.start, o.end)) {
            out.push(`unavailable: stage ${k} machine ${m} is unavailable in [${w.start}, ${w.end}) but job ${o.job} runs in [${o.start}, ${o.end})`);
          }
        }
      }
    }
  }
  return out;
}
