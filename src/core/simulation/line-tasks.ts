/**
 * The production line as the simulator node uses it: the plant definition (des/plant-spec.ts) plus
 * default run settings and the signals that give each station's current state, so a what-if starts
 * from the buffer levels and machine states of now. A what-if is a set of Monte Carlo replications
 * (seeds derived from one seed, the same for every scenario: common random numbers) summarised with
 * Student-t confidence intervals.
 */
import { ConfigError, InputError, isTwinError } from '../errors';
import { summariseKpis, type KpiSummary } from '../scenarios/statistics';
import { simulatePlant, type PlantResult } from './des/plant';
import { compilePlant, type InitialStationState, type PlantOptions, type PlantSpec } from './des/plant-spec';
import { streamSeed } from './des/random';
import type { SignalHistory } from './signal-history';

export interface LineRunSettings {
  /** Simulated time per replication, in the line's time unit (default 28,800: one 8-hour shift in seconds). */
  until?: number;
  parts?: number;
  warmup?: { time: number } | { parts: number };
  /** Hours per time unit of the line (default 1/3600: seconds). */
  timeUnitHours?: number;
}

/** Signals that give a station's state now: parts waiting, servers busy, down (non-zero = down). */
export interface StationSignals {
  queue?: string;
  busy?: string;
  down?: string;
}

export interface CompiledLine {
  spec: PlantSpec;
  run: LineRunSettings;
  sync: Record<string, StationSignals>;
}

export interface LineRequest {
  /** Changes per station by name, merged into the definition ({"Press": {"servers": 2}}). */
  stations?: Record<string, Record<string, unknown>>;
  /** Changes per source, by name or index. */
  sources?: Record<string, Record<string, unknown>>;
  until?: number;
  parts?: number;
  warmup?: { time: number } | { parts: number };
  replications?: number;
  seed?: number;
  /** Start from the synchronised state (default true) or from an empty line. */
  fromNow?: boolean;
}

export interface LineStart {
  stations: Record<string, InitialStationState>;
}

export interface LineAnswer {
  replications: number;
  seed: number;
  /** Each KPI over the replications: mean, sd, confidence interval. */
  kpis: Record<string, KpiSummary>;
  replicationKpis: Array<Record<string, number>>;
  /** The bottleneck most often, and how often each station was it. */
  bottleneck: string;
  bottleneckVotes: Record<string, number>;
  /** Changes this run made to the definition, flattened ("line.Press.servers"). */
  settings: Record<string, number>;
  startedFromNow: boolean;
}

const isRecord = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === 'object' && !Array.isArray(x);
const UNSAFE = new Set(['__proto__', 'constructor', 'prototype']);

/** Checks the definition (ConfigError naming the station or field) and splits off run and sync. */
export function compileLine(definition: unknown): CompiledLine {
  if (!isRecord(definition)) throw new ConfigError('bad line', 'the line definition must be an object with sources and stations');
  const { run = {}, sync = {}, ...spec } = definition;
  compilePlant(spec);
  if (!isRecord(run)) throw new ConfigError('bad line', 'line.run must be an object');
  if (!isRecord(sync)) throw new ConfigError('bad line', 'line.sync must be an object of station: {queue, busy, down}');
  const names = new Set((spec.stations as Array<{ name: string }>).map((s) => s.name));
  for (const [station, signals] of Object.entries(sync)) {
    if (!names.has(station)) throw new ConfigError('bad line', `line.sync names station "${station}", which the line does not have`);
    if (!isRecord(signals)) throw new ConfigError('bad line', `line.sync.${station} must be an object`);
    for (const [k, v] of Object.entries(signals)) {
      if (!['queue', 'busy', 'down'].includes(k) || typeof v !== 'string' || v.trim() === '') throw new ConfigError('bad line', `line.sync.${station}.${k}: use queue, busy or down with a signal key`);
    }
  }
  const compiled: CompiledLine = { spec: spec as unknown as PlantSpec, run: run as LineRunSettings, sync: sync as Record<string, StationSignals> };
  // A short dry run: options errors (until, warm-up) show at deploy, not at the first request.
  try {
    simulatePlant(compiled.spec, { ...runOptions(compiled, {}, 1), until: Math.min(compiled.run.until ?? 28800, 1), parts: undefined, warmup: undefined, maxWallMs: 1000 });
  } catch (err) {
    if (isTwinError(err) && err.code === 'CONFIG') throw err;
  }
  return compiled;
}

export function lineSignalKeys(line: CompiledLine): string[] {
  return Object.values(line.sync).flatMap((s) => Object.values(s).filter((k): k is string => typeof k === 'string'));
}

/** Each synchronised station's state from the newest samples. */
export function lineStartFrom(line: CompiledLine, history: SignalHistory): LineStart {
  const stations: Record<string, InitialStationState> = {};
  for (const [name, signals] of Object.entries(line.sync)) {
    const at = (key?: string): number | undefined => (key ? history.latest(key)?.value : undefined);
    const queue = at(signals.queue);
    const busy = at(signals.busy);
    const down = at(signals.down);
    const state: InitialStationState = {};
    if (queue !== undefined) state.queue = Math.max(0, Math.round(queue));
    if (busy !== undefined) state.busy = Math.max(0, Math.round(busy));
    if (down !== undefined) state.down = down !== 0;
    if (Object.keys(state).length > 0) stations[name] = state;
  }
  return { stations };
}

function runOptions(line: CompiledLine, request: LineRequest, seed: number): PlantOptions {
  const until = request.until ?? (request.parts === undefined ? line.run.until ?? 28800 : undefined);
  return { seed, until, parts: request.parts ?? line.run.parts, warmup: request.warmup ?? line.run.warmup, timeUnitHours: line.run.timeUnitHours };
}

/** Deep merge of plain objects (arrays and values replace); records numeric leaves as settings. */
function merge(base: Record<string, unknown>, change: Record<string, unknown>, path: string, settings: Record<string, number>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(change)) {
    if (UNSAFE.has(k)) throw new InputError('bad line settings', `"${k}" cannot be a setting name`);
    if (isRecord(v) && isRecord(base[k])) out[k] = merge(base[k] as Record<string, unknown>, v, `${path}.${k}`, settings);
    else {
      out[k] = v;
      if (typeof v === 'number') settings[`${path}.${k}`] = v;
      else if (isRecord(v)) for (const [k2, v2] of Object.entries(v)) if (typeof v2 === 'number') settings[`${path}.${k}.${k2}`] = v2;
    }
  }
  return out;
}

/** The definition with the request's changes; InputError for unknown stations or sources. */
export function changedSpec(line: CompiledLine, request: LineRequest, settings: Record<string, number>): PlantSpec {
  const stations = [...line.spec.stations] as unknown as Array<Record<string, unknown>>;
  const sources = [...line.spec.sources] as unknown as Array<Record<string, unknown>>;
  if (request.stations !== undefined && !isRecord(request.stations)) throw new InputError('bad line settings', 'line.stations must be an object of station name: changes');
  for (const [name, change] of Object.entries(request.stations ?? {})) {
    const i = stations.findIndex((s) => s.name === name);
    if (i < 0) throw new InputError('unknown station', `the line has no station "${name}" (known: ${stations.map((s) => s.name).join(', ')})`);
    if (!isRecord(change)) throw new InputError('bad line settings', `line.stations.${name} must be an object`);
    stations[i] = merge(stations[i], change, `line.${name}`, settings);
  }
  if (request.sources !== undefined && !isRecord(request.sources)) throw new InputError('bad line settings', 'line.sources must be an object of source name or index: changes');
  for (const [name, change] of Object.entries(request.sources ?? {})) {
    const i = sources.findIndex((s, index) => s.name === name || String(index) === name);
    if (i < 0) throw new InputError('unknown source', `the line has no source "${name}"`);
    if (!isRecord(change)) throw new InputError('bad line settings', `line.sources.${name} must be an object`);
    sources[i] = merge(sources[i], change, `line.source.${name}`, settings);
  }
  return { ...line.spec, stations, sources } as unknown as PlantSpec;
}

const LINE_KPIS = ['throughput', 'goodParts', 'scrapParts', 'meanWip', 'leadTimeMean', 'oee', 'availability', 'performance', 'quality', 'energyKwh', 'energyPerGoodPartKwh'];
const STATION_KPIS = ['working', 'blocked', 'starved', 'down', 'oee', 'energyKwh'];

/** The KPI names kpisOf gives for this line, known before any run (for checking expressions). */
export function lineKpiNames(line: CompiledLine): string[] {
  return [...LINE_KPIS, ...line.spec.stations.flatMap((s) => STATION_KPIS.map((k) => `${s.name}.${k}`))];
}

/** Numbers worth comparing, flattened from one replication. */
export function kpisOf(result: PlantResult): Record<string, number> {
  const kpis: Record<string, number> = {
    throughput: result.throughput,
    goodParts: result.goodParts,
    scrapParts: result.scrapParts,
    meanWip: result.meanWip,
    leadTimeMean: result.leadTimeMean,
    oee: result.oee.oee,
    availability: result.oee.availability,
    performance: result.oee.performance,
    quality: result.oee.quality,
    energyKwh: result.energyKwh,
    energyPerGoodPartKwh: result.energyPerGoodPartKwh,
  };
  for (const s of result.stations) {
    kpis[`${s.name}.working`] = s.working;
    kpis[`${s.name}.blocked`] = s.blocked;
    kpis[`${s.name}.starved`] = s.starved;
    kpis[`${s.name}.down`] = s.down;
    kpis[`${s.name}.oee`] = s.oee;
    kpis[`${s.name}.energyKwh`] = s.energyKwh;
  }
  return kpis;
}

export interface LineRunContext {
  start?: LineStart;
  replications: number;
  seed: number;
  maxWallMs: number;
}

/** Monte Carlo replications of the line with the request's changes. */
export function runLine(line: CompiledLine, request: LineRequest, ctx: LineRunContext): LineAnswer {
  if (!isRecord(request as unknown)) throw new InputError('bad line settings', 'line settings must be an object');
  const replications = request.replications ?? ctx.replications;
  if (!Number.isInteger(replications) || replications < 1 || replications > 1000) throw new InputError('bad replications', 'replications must be a whole number from 1 to 1000');
  const seed = request.seed ?? ctx.seed;
  if (typeof seed !== 'number' || !Number.isFinite(seed)) throw new InputError('bad seed', 'seed must be a number');
  const settings: Record<string, number> = {};
  const spec = changedSpec(line, request, settings);
  const fromNow = request.fromNow !== false && ctx.start !== undefined && Object.keys(ctx.start.stations).length > 0;
  const deadline = Date.now() + ctx.maxWallMs;
  const replicationKpis: Array<Record<string, number>> = [];
  const votes: Record<string, number> = {};
  for (let r = 0; r < replications; r++) {
    const left = deadline - Date.now();
    if (left <= 0) throw new InputError('time limit', `the line ran out of time after ${r} of ${replications} replications`);
    let result: PlantResult;
    try {
      result = simulatePlant(spec, { ...runOptions(line, request, streamSeed(seed, r)), maxWallMs: left, initial: fromNow ? { stations: ctx.start?.stations } : undefined });
    } catch (err) {
      if (isTwinError(err) && err.code === 'CONFIG') throw new InputError('bad line settings', err.message);
      throw err;
    }
    replicationKpis.push(kpisOf(result));
    votes[result.bottleneck] = (votes[result.bottleneck] ?? 0) + 1;
  }
  const bottleneck = Object.entries(votes).sort((a, b) => b[1] - a[1])[0][0];
  return { replications, seed, kpis: summariseKpis(replicationKpis), replicationKpis, bottleneck, bottleneckVotes: votes, settings, startedFromNow: fromNow };
}
