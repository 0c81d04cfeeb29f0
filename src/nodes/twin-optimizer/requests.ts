import { InputError, clip } from '../../core/errors';
import type { JobShopProblem } from '../../core/optimisation/jobshop';
import type { SetpointArgs } from '../../core/optimisation/setpoint-task';
import type { SimulationGoal } from '../../core/optimisation/simulation-problem';
import type { NodeMessage } from '../common/red';
import type { SimulatorNode } from '../twin-simulator/spec';
import type { OptimizerSettings } from './options';

export const optimizerTopics = ['optimise', 'optimize', 'stop', 'objective', 'schedule', 'flowshop', 'reschedule', 'rul-low', 'layout'] as const;
export type OptimizerTopic = (typeof optimizerTopics)[number];

const isRecord = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === 'object' && !Array.isArray(x);

export function readTopic(msg: NodeMessage): OptimizerTopic {
  const topic = typeof msg.topic === 'string' ? msg.topic : '';
  if (!(optimizerTopics as readonly string[]).includes(topic)) {
    throw new InputError('unknown request', `msg.topic must be one of ${optimizerTopics.filter((t) => t !== 'optimize').join(', ')}, got "${clip(topic)}"`, topic || 'twin-optimizer');
  }
  return topic as OptimizerTopic;
}

export function payloadObject(msg: NodeMessage, topic: string): Record<string, unknown> {
  const p = msg.payload;
  if (p === undefined || p === null || p === '') return {};
  if (!isRecord(p)) throw new InputError('bad request', `msg.payload of "${topic}" must be an object`, topic);
  return p;
}

function seconds(raw: unknown, fallback: number, what: string): number {
  if (raw === undefined) return fallback;
  const v = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || v > 86400) throw new InputError('bad request', `${what} must be a number of seconds from 0 to 86400`);
  return v;
}

/** A setpoint job: the configured goal with the request's parts on top, against the simulator's core. */
export function setpointArgs(settings: OptimizerSettings, simulatorNode: SimulatorNode | null, payload: Record<string, unknown>, now: number): SetpointArgs {
  const runtime = simulatorNode?.simulator;
  if (!runtime) throw new InputError('no simulator', settings.simulator ? 'the chosen twin simulator is not deployed or not working' : 'choose a twin simulator in the node to optimise setpoints');
  const base = isRecord(settings.goal) ? settings.goal : {};
  const goal = { ...base } as Record<string, unknown>;
  for (const key of ['variables', 'objectives', 'constraints', 'evaluation'] as const) if (payload[key] !== undefined) goal[key] = payload[key];
  if (!Array.isArray(goal.variables) || !Array.isArray(goal.objectives)) throw new InputError('no goal', 'give variables and objectives in the node or in msg.payload');
  const timeLimitMs = seconds(payload.timeLimit, settings.timeLimitMs / 1000, 'timeLimit') * 1000;
  const maxEvaluations = payload.maxEvaluations ?? settings.maxEvaluations;
  if (typeof maxEvaluations !== 'number' || !Number.isInteger(maxEvaluations) || maxEvaluations < 1) throw new InputError('bad request', 'maxEvaluations must be a whole number >= 1');
  const seed = payload.seed ?? settings.seed;
  if (typeof seed !== 'number' || !Number.isFinite(seed)) throw new InputError('bad request', 'seed must be a number');
  const { spec, context } = runtime.optimisationContext(now, timeLimitMs);
  return {
    spec,
    context,
    goal: goal as unknown as SimulationGoal,
    options: {
      algorithm: settings.algorithm,
      compromise: settings.compromise,
      weights: payload.weights as SetpointArgs['options']['weights'],
      seed,
      maxEvaluations,
      timeLimitMs,
      confirmReplications: typeof payload.confirm === 'number' ? payload.confirm : settings.confirmReplications,
    },
  };
}

/** A job-shop request: the problem from the payload, the time limit from msg.timeLimit (seconds, default 10). */
export function scheduleArgs(msg: NodeMessage, payload: Record<string, unknown>, settings: OptimizerSettings): { problem: JobShopProblem; options: Record<string, unknown>; timeLimitMs: number } {
  if (payload.instance === undefined && payload.jobs === undefined) throw new InputError('bad request', 'schedule needs msg.payload.instance (OR-Library text) or msg.payload.jobs', 'schedule');
  const timeLimit = seconds(msg.timeLimit ?? payload.timeLimit, 10, 'msg.timeLimit');
  const { instance, jobs, machines, releaseDates, dueDates, weights, unavailable, objective, seed } = payload;
  return {
    problem: { instance, jobs, machines, releaseDates, dueDates, weights, unavailable } as JobShopProblem,
    options: { timeLimit, seed: seed ?? settings.seed, objective },
    timeLimitMs: timeLimit * 1000,
  };
}

/** The last schedule the node made: what a reschedule repairs when the request names none. */
export interface LastSchedule {
  kind: 'jobshop' | 'flowshop';
  problem: unknown;
  operations: unknown[];
}

/**
 * A flexible flow shop: `{stages: [{machines: 2}, ...], jobs: [[time at stage 0, at stage 1, ...], ...]}`
 * (0: the job skips the stage), with the same dates, weights, windows (`{stage, machine, start, end}`)
 * and objectives as a job shop.
 */
export function flowshopArgs(msg: NodeMessage, payload: Record<string, unknown>, settings: OptimizerSettings): { task: string; args: unknown; timeLimitMs: number } {
  if (!Array.isArray(payload.stages) || !Array.isArray(payload.jobs)) throw new InputError('bad request', 'flowshop needs payload.stages ([{machines}]) and payload.jobs (processing time per stage)', 'flowshop');
  const timeLimit = seconds(msg.timeLimit ?? payload.timeLimit, 10, 'msg.timeLimit');
  const { stages, jobs, releaseDates, dueDates, weights, unavailable, objective, seed } = payload;
  return { task: 'flowshop', args: { problem: { stages, jobs, releaseDates, dueDates, weights, unavailable }, options: { timeLimit, seed: seed ?? settings.seed, objective } }, timeLimitMs: timeLimit * 1000 };
}

/**
 * A repair of a running schedule: `{now, disturbances: [{type: "machineDown", machine, start, duration} |
 * {type: "rushJob", operations, releaseDate?, dueDate?} | {type: "durationChange", job, op, duration}]}`,
 * of the schedule given (`problem` and `schedule`) or else the last one this node made. A `rul-low`
 * event of the simulator's health model with `machine` (and `repair`, its duration) becomes a machine
 * down at now + RUL.
 */
export function rescheduleArgs(msg: NodeMessage, payload: Record<string, unknown>, settings: OptimizerSettings, last: LastSchedule | undefined): { task: string; args: unknown; timeLimitMs: number } {
  const problem = payload.problem ?? last?.problem;
  const schedule = payload.schedule ?? last?.operations;
  const kind = payload.problem !== undefined ? (isRecord(payload.problem) && Array.isArray(payload.problem.stages) ? 'flowshop' : 'jobshop') : last?.kind;
  if (!problem || !Array.isArray(schedule)) throw new InputError('nothing to repair', 'reschedule needs payload.problem and payload.schedule, or a schedule made by this node before', 'reschedule');
  if (typeof payload.now !== 'number' || !Number.isFinite(payload.now)) throw new InputError('bad request', 'reschedule needs payload.now: the current time on the schedule\'s clock', 'reschedule');
  const disturbances = Array.isArray(payload.disturbances) ? payload.disturbances : isRecord(payload.disturbance) ? [payload.disturbance] : undefined;
  if (!disturbances || disturbances.length === 0) throw new InputError('bad request', 'reschedule needs payload.disturbances: machineDown, rushJob or durationChange', 'reschedule');
  const timeLimit = seconds(msg.timeLimit ?? payload.timeLimit, 10, 'msg.timeLimit');
  const task = kind === 'flowshop' ? 'reschedule-flowshop' : 'reschedule';
  return { task, args: { problem, schedule, now: payload.now, disturbances, options: { timeLimit, seed: payload.seed ?? settings.seed, objective: payload.objective } }, timeLimitMs: timeLimit * 1000 };
}

/** A predicted fault (`rul-low`) as a machine-down disturbance of the last schedule. */
export function faultDisturbance(payload: Record<string, unknown>): Record<string, unknown> {
  const { machine, rul, now, repair } = payload;
  if (typeof machine !== 'number' || typeof rul !== 'number' || typeof now !== 'number') {
    throw new InputError('bad event', 'a rul-low event reschedules when it carries machine, rul and now (schedule clock)', 'rul-low');
  }
  const duration = typeof repair === 'number' && repair > 0 ? repair : 1;
  return { now, disturbances: [{ type: 'machineDown', machine, start: now + Math.max(0, rul), duration }] };
}

/**
 * A layout: QAPLIB text, flows with locations or distances, or machines with footprints in a hall.
 * With `simulate: {stations, speed}` (the line station of each machine, transport speed in m/s) the
 * proposal, and `current` (a permutation) if given, are run on the chosen simulator's line.
 */
export function layoutArgs(msg: NodeMessage, payload: Record<string, unknown>, settings: OptimizerSettings, simulatorNode: SimulatorNode | null, now: number): { task: string; args: unknown; timeLimitMs: number } {
  if (payload.instance === undefined && payload.flows === undefined) throw new InputError('bad request', 'layout needs payload.instance (QAPLIB text) or payload.flows with locations, distances or machines and a hall', 'layout');
  const timeLimit = seconds(msg.timeLimit ?? payload.timeLimit, 10, 'msg.timeLimit');
  let simulation: Record<string, unknown> | undefined;
  if (payload.simulate !== undefined) {
    const sim = payload.simulate;
    const runtime = simulatorNode?.simulator;
    if (!runtime) throw new InputError('no simulator', 'checking a layout in the simulator needs a twin simulator chosen in the node', 'layout');
    if (!isRecord(sim) || !Array.isArray(sim.stations) || typeof sim.speed !== 'number') throw new InputError('bad request', 'simulate needs {stations: [line station of each machine], speed: m/s}', 'layout');
    simulation = { ...runtime.optimisationContext(now, timeLimit * 1000), stations: sim.stations, speed: sim.speed, replications: sim.replications };
  }
  return { task: 'layout', args: { problem: payload, seed: typeof payload.seed === 'number' ? payload.seed : settings.seed, timeLimitMs: timeLimit * 1000, simulation }, timeLimitMs: timeLimit * 2000 };
}

/**
 * Windows that keep the machines the twin reports down free from the schedule's start (time 0 = now)
 * for their expected repair time, added to the request's own windows.
 */
export function downWindows(availability: Record<string, { machine: number; stage?: number; repair: number }>, down: ReadonlySet<string>, flowShop: boolean): Array<Record<string, number>> {
  const windows: Array<Record<string, number>> = [];
  for (const key of down) {
    // own entries only: a topic such as "constructor" must not find Object.prototype's
    const m = Object.prototype.hasOwnProperty.call(availability, key) ? availability[key] : undefined;
    if (!m) continue;
    windows.push(flowShop ? { stage: m.stage ?? 0, machine: m.machine, start: 0, end: m.repair } : { machine: m.machine, start: 0, end: m.repair });
  }
  return windows;
}
