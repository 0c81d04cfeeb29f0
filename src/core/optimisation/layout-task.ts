/**
 * Facility layout as one optimizer job: machines on a grid of locations (a quadratic assignment
 * problem: QAPLIB text, or flows with locations or distances) by the memetic search, or on a
 * continuous floor with footprints, clearances and aisles by iterated local search. The answer is
 * checked independently before it is returned.
 */
import { InputError } from '../errors';
import type { PlantSpec } from '../simulation/des/plant-spec';
import { cachedSimulator, whatIf, type WhatIfContext } from '../simulation/simulator-tasks';
import { checkPermutation, checkPlaneLayout, createPlaneLayoutSearch, createQapSearch, gridLayoutInstance, parseQaplibDat, qapCost, type GridLayoutInput, type PlaneLayoutProblem } from './layout';
import type { JobControl } from './setpoint-task';

export interface LayoutArgs {
  problem: Record<string, unknown>;
  seed: number;
  timeLimitMs: number;
  /** Check the proposal on the simulator's line: transport between stations takes distance / speed. */
  simulation?: { spec: unknown; context: WhatIfContext; stations: string[]; speed: number; replications?: number };
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
  const answer: Record<string, unknown> = {
    kind: 'grid',
    cost: qapCost(inst, best.permutation),
    permutation: best.permutation,
    assignments: best.permutation.slice(0, machines).map((location, machine) => ({ machine, location, ...(locations ? locations[location] : {}) })),
    progress: search.progress(),
  };
  if (args.simulation) {
    if (!locations) throw new InputError('bad request', 'checking a layout in the simulator needs the locations ({x, y}) of the grid');
    const metric = p.metric === 'euclidean' ? 'euclidean' : 'manhattan';
    const at = (perm: ArrayLike<number>) => (i: number) => locations[perm[i]];
    const current = Array.isArray(p.current) ? (p.current as number[]) : undefined;
    answer.simulation = {
      proposed: simulateLayout(args.simulation, at(best.permutation), metric),
      current: current ? simulateLayout(args.simulation, at(current), metric) : undefined,
    };
  }
  return answer;
}

/**
 * The line with a transport step on every route between two stations: an infinite-server delay of
 * distance / speed (a conveyor or a vehicle fleet that is never the constraint), so lead time and
 * WIP show what the layout costs in time. Returns the line KPIs (means over the replications).
 */
export function simulateLayout(sim: NonNullable<LayoutArgs['simulation']>, position: (machine: number) => { x: number; y: number }, metric: 'manhattan' | 'euclidean'): Record<string, number> {
  const compiled = cachedSimulator(sim.spec);
  if (!compiled.line) throw new InputError('no line', 'the simulator has no line to check the layout on');
  if (!(sim.speed > 0)) throw new InputError('bad request', 'simulate.speed must be a positive speed (m/s)');
  const index = new Map(sim.stations.map((name, i) => [name, i]));
  for (const name of sim.stations) if (!compiled.line.spec.stations.some((s) => s.name === name)) throw new InputError('unknown station', `simulate.stations names "${name}", which the line does not have`);
  const distance = (a: string, b: string): number => {
    const i = index.get(a);
    const j = index.get(b);
    if (i === undefined || j === undefined) return 0; // a station not placed by this layout: no transport
    const pa = position(i);
    const pb = position(j);
    return metric === 'euclidean' ? Math.hypot(pa.x - pb.x, pa.y - pb.y) : Math.abs(pa.x - pb.x) + Math.abs(pa.y - pb.y);
  };
  const stations: Array<Record<string, unknown>> = [];
  const via = (from: string, to: string | null): string | null => {
    if (to === null) return null;
    const d = distance(from, to);
    if (d === 0) return to;
    const name = `move ${from}>${to}`;
    if (!stations.some((s) => s.name === name)) stations.push({ name, servers: 10000, buffer: 0, processing: { kind: 'deterministic', value: d / sim.speed }, next: to });
    return name;
  };
  const line = compiled.line.spec;
  const changed = line.stations.map((s) => {
    const next = s.next;
    let route: unknown = next;
    if (typeof next === 'string') route = via(s.name, next);
    else if (Array.isArray(next)) route = next.map((b) => ({ ...b, to: via(s.name, b.to) }));
    else if (next && typeof next === 'object' && 'byProduct' in next) route = { byProduct: Object.fromEntries(Object.entries(next.byProduct).map(([k, to]) => [k, via(s.name, to)])) };
    return { ...s, next: route };
  });
  const spec = { ...line, stations: [...changed, ...stations] } as unknown as PlantSpec;
  const answer = whatIf({ line: { ...compiled.line, spec } }, { line: { replications: sim.replications } }, sim.context);
  return Object.fromEntries(Object.entries(answer.line?.kpis ?? {}).filter(([k]) => !k.includes('move ')).map(([k, v]) => [k, v.mean]));
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
