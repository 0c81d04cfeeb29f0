/**
 * Facility layout as one optimizer job: machines on a grid of locations (a quadratic assignment
 * problem: QAPLIB text, or flows with locations or distances) by the memetic search, or on a
 * continuous floor with footprints, clearances and aisles by iterated local search. The answer is
 * checked independently before it is returned.
 */
import { InputError } from '../errors';
import { checkPermutation, checkPlaneLayout, createPlaneLayoutSearch, createQapSearch, gridLayoutInstance, parseQaplibDat, qapCost, type GridLayoutInput, type PlaneLayoutProblem } from './layout';
import type { JobControl } from './setpoint-task';

export interface LayoutArgs {
  problem: Record<string, unknown>;
  seed: number;
  timeLimitMs: number;
}

const isRecord = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === 'object' && !Array.isArray(x);

export async function runLayoutJob(args: LayoutArgs, control: JobControl): Promise<Record<string, unknown>> {
  const p = args.problem;
  if (Array.isArray(p.machines) && isRecord(p.hall)) return planeLayout(p as unknown as PlaneLayoutProblem, args, control);
  const inst = typeof p.instance === 'string' ? parseQaplibDat(p.instance) : Array.isArray(p.flows) ? gridLayoutInstance(p as unknown as GridLayoutInput) : undefined;
  if (!inst) throw new InputError('bad request', 'layout needs {instance: QAPLIB text}, {flows, locations | distances} or {machines, flows, hall}');
  const search = createQapSearch(inst, {
    seed: args.seed,
    maxWallMs: args.timeLimitMs,
    shouldStop: control.shouldStop,
    targetCost: typeof p.target === 'number' ? p.target : undefined,
    onImprovement: (best, progress) => control.improvement({ cost: best.cost, elapsedMs: progress.elapsedMs }),
  });
  while (!search.done) {
    search.step(50);
    await control.pause();
  }
  const best = search.best();
  if (!best) throw new InputError('no layout', 'the search was stopped before it found a layout');
  checkPermutation(best.permutation, inst.n);
  const machines = Array.isArray(p.flows) ? (p.flows as unknown[]).length : inst.n;
  const locations = Array.isArray(p.locations) ? (p.locations as Array<{ x: number; y: number }>) : undefined;
  return {
    kind: 'grid',
    cost: qapCost(inst, best.permutation),
    permutation: best.permutation,
    assignments: best.permutation.slice(0, machines).map((location, machine) => ({ machine, location, ...(locations ? locations[location] : {}) })),
    progress: search.progress(),
  };
}

async function planeLayout(problem: PlaneLayoutProblem, args: LayoutArgs, control: JobControl): Promise<Record<string, unknown>> {
  const search = createPlaneLayoutSearch(problem, { seed: args.seed, maxWallMs: args.timeLimitMs, shouldStop: control.shouldStop, onImprovement: (best) => control.improvement({ cost: best.cost }) });
  while (!search.done) {
    search.step(50);
    await control.pause();
  }
  const best = search.best();
  const check = checkPlaneLayout(problem, best.placements);
  return { kind: 'plane', cost: best.cost, placements: best.placements, order: best.order, rows: best.rows, valid: check.valid, violations: check.violations };
}
