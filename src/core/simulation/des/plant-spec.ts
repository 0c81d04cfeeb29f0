/**
 * Spec and option types of the plant engine (result types: plant.ts) and their validation.
 * `compilePlant` turns a spec into index-based tables for the engine and throws ConfigError naming
 * the station / source and field for anything unusable; nothing here runs the model.
 */
import { ConfigError } from '../../errors';
import { MaintenanceSpec, ShiftCalendarSpec, validateCalendar, validateMaintenance } from './calendar';
import { Distribution, distributionMean, validateDistribution } from './random';

export type { Distribution } from './random';
export type { MaintenanceSpec, ShiftCalendarSpec, ShiftSpec } from './calendar';

/** Product type of parts from a source that gives no `products`. */
export const DEFAULT_PRODUCT = 'part';

/** Most parallel servers a station may have: the engine keeps per-server arrays (1e308 would not fit). */
export const MAX_SERVERS = 10_000;

/** One product type, or relative weights per type (they need not sum to 1). */
export type ProductMix = string | Record<string, number>;

export interface PlantSourceSpec {
  /** Name in the results (default "source 1", "source 2", …). */
  name?: string;
  interarrival: Distribution;
  products?: ProductMix;
  /** Station the parts enter. */
  to: string;
  /** No part is released after this (absolute) time. */
  until?: number;
  /** At most this many parts are released. */
  maxParts?: number;
}

export interface RouteBranch {
  /** Station name, or null: the part leaves the plant. */
  to: string | null;
  probability: number;
}

/** Where a finished part goes: a station, null (leaves the plant), a random split, or by product type. */
export type Route = string | null | RouteBranch[] | { byProduct: Record<string, string | null> };

export interface FailureSpec {
  /** Up time between failures (time-based: runs whether the station works or not). */
  mtbf: Distribution;
  /** Repair time. */
  mttr: Distribution;
}

/** Electrical power in kW of ONE server (machine) in each state. */
export interface PowerSpec {
  working: number;
  idle: number;
  blocked: number;
  /** Default: idle. */
  starved?: number;
  /** Default: working. */
  setup?: number;
  /** Default: idle. */
  down?: number;
  /** Default: idle. */
  off?: number;
}

export interface PlantStationSpec {
  name: string;
  /** Parallel identical servers, an integer >= 1 (default 1). */
  servers?: number;
  /** Places in the buffer in front of the station (not counting servers): integer >= 0 or Infinity (default). */
  buffer?: number;
  /** One distribution for every product, or one per product type (an object with `kind` is a distribution). */
  processing: Distribution | Record<string, Distribution>;
  /** Setup time when a server switches to another product type. */
  setup?: Distribution;
  /** Probability that a processed part is scrap (leaves the plant as bad). */
  scrap?: number;
  /** Default: the part leaves the plant. */
  next?: Route;
  failures?: FailureSpec;
  maintenance?: MaintenanceSpec[];
  /** Overrides the plant calendar for this station. */
  calendar?: ShiftCalendarSpec;
  power?: PowerSpec;
}

export interface PlantSpec {
  sources: PlantSourceSpec[];
  stations: PlantStationSpec[];
  /** Shifts of the whole plant (stations without their own calendar, and the sources). Default: always on. */
  calendar?: ShiftCalendarSpec;
}

export interface InitialStationState {
  /** Parts waiting in the buffer (at most its capacity). */
  queue?: number;
  /** Servers busy with a part; it gets a fresh processing time (the elapsed part is not known). */
  busy?: number;
  /** The station is failed at the start. */
  down?: boolean;
  /** Repair time left when down (default: a fresh draw from failures.mttr). */
  remainingRepair?: number;
  /** Product the servers are set up for (may be a product not in the model: then any part needs a setup). */
  lastProduct?: string;
  /** Product type of the initial parts (default: lastProduct if it is a model product, else the first product type). */
  product?: string;
}

export interface PlantInitialState {
  /** Clock at the start (default 0); calendars and maintenance windows are absolute in time. */
  time?: number;
  stations?: Record<string, InitialStationState>;
}

export interface PlantOptions {
  seed: number;
  /** Stop at this absolute time. */
  until?: number;
  /** Stop when this many good parts left the plant after the warm-up. */
  parts?: number;
  /** Statistics restart after this time (from the start) or after this many good parts out. */
  warmup?: { time: number } | { parts: number };
  /** Events before InputError('step limit') (default 50,000,000). */
  maxEvents?: number;
  /** Wall-clock budget in ms before InputError('time limit') (checked every 10,000 events). */
  maxWallMs?: number;
  /** Hours per model time unit, for energy in kWh (default 1/3600: the model counts in seconds). */
  timeUnitHours?: number;
  initial?: PlantInitialState;
}

/**
 * Why a run ended: `until` reached; `parts` good parts out; the plant empty with every source
 * exhausted ('drained', only without `until`); or no event left while parts are inside ('stalled':
 * a deadlock of full buffers).
 */
export type StopReason = 'parts' | 'until' | 'drained' | 'stalled';

// ---- compiled form ------------------------------------------------------------------------------

export const ROUTE_EXIT = 0;
export const ROUTE_TO = 1;
export const ROUTE_RANDOM = 2;
export const ROUTE_BY_PRODUCT = 3;

export interface CompiledRoute {
  kind: number;
  /** ROUTE_TO: the station; ROUTE_RANDOM: targets per branch; ROUTE_BY_PRODUCT: target per type (-1: leave). */
  to: number;
  targets: Int32Array;
  cumulative: Float64Array;
}

export interface CompiledStation {
  name: string;
  servers: number;
  buffer: number;
  /** Per product type index. */
  processing: Distribution[];
  idealTime: Float64Array;
  setup: Distribution | null;
  scrap: number;
  route: CompiledRoute;
  failures: FailureSpec | null;
  maintenance: MaintenanceSpec[];
  /** Index into CompiledPlant.calendars, or -1 (always on). */
  calendar: number;
  /** kW per server: working, setup, blocked, starved, down, off. */
  power: Required<Omit<PowerSpec, 'idle'>> | null;
}

export interface CompiledSource {
  name: string;
  interarrival: Distribution;
  types: Int32Array;
  /** Cumulative normalised weights of `types`. */
  cumulative: Float64Array;
  to: number;
  until: number;
  maxParts: number;
}

export interface CompiledPlant {
  productTypes: string[];
  stations: CompiledStation[];
  sources: CompiledSource[];
  calendars: ShiftCalendarSpec[];
  /** Calendar of the sources (the plant's), or -1. */
  plantCalendar: number;
}

const finite = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const isObject = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === 'object' && !Array.isArray(x);
const own = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

function productTypesOf(sources: PlantSourceSpec[]): string[] {
  const types: string[] = [];
  const add = (t: string): void => {
    if (!types.includes(t)) types.push(t);
  };
  sources.forEach((s, k) => {
    const where = `source "${s.name ?? k + 1}"`;
    if (s.products === undefined) add(DEFAULT_PRODUCT);
    else if (typeof s.products === 'string') {
      if (s.products.trim() === '') throw new ConfigError('bad products', `${where}: products must be a non-empty type name or {type: weight}`);
      add(s.products);
    } else if (isObject(s.products)) {
      const entries = Object.entries(s.products);
      if (entries.length === 0) throw new ConfigError('bad products', `${where}: products must name at least one type`);
      let sum = 0;
      for (const [t, w] of entries) {
        if (!finite(w) || w < 0) throw new ConfigError('bad products', `${where}: weight of product "${t}" must be a finite number >= 0`);
        sum += w;
        add(t);
      }
      if (!(sum > 0)) throw new ConfigError('bad products', `${where}: product weights must not all be 0`);
    } else throw new ConfigError('bad products', `${where}: products must be a type name or {type: weight}`);
  });
  return types;
}

/** A per-product table: every model product needs an entry, and no unknown product may appear. */
function checkProductKeys(map: Record<string, unknown>, types: string[], where: string): void {
  for (const t of types) if (!own(map, t)) throw new ConfigError('missing product', `${where} has no entry for product "${t}"`);
  for (const k of Object.keys(map)) if (!types.includes(k)) throw new ConfigError('unknown product', `${where} names unknown product "${k}"`);
}

function compileRoute(next: unknown, where: string, index: Map<string, number>, types: string[]): CompiledRoute {
  const none = { targets: new Int32Array(0), cumulative: new Float64Array(0) };
  const target = (to: unknown, what: string): number => {
    if (to === null) return -1;
    if (typeof to !== 'string' || !index.has(to)) throw new ConfigError('unknown station', `${where}: ${what} names unknown station ${JSON.stringify(to)}`);
    return index.get(to) as number;
  };
  if (next === undefined || next === null) return { kind: ROUTE_EXIT, to: -1, ...none };
  if (typeof next === 'string') return { kind: ROUTE_TO, to: target(next, 'next'), ...none };
  if (Array.isArray(next)) {
    if (next.length === 0) throw new ConfigError('bad route', `${where}: next must not be an empty list`);
    const targets = new Int32Array(next.length);
    const cumulative = new Float64Array(next.length);
    let sum = 0;
    next.forEach((b, k) => {
      if (!isObject(b)) throw new ConfigError('bad route', `${where}: next[${k}] must be {to, probability}`);
      if (!finite(b.probability) || b.probability < 0 || b.probability > 1)
        throw new ConfigError('bad route', `${where}: next[${k}].probability must be a number in [0, 1]`);
      targets[k] = target(b.to, `next[${k}].to`);
      sum += b.probability;
      cumulative[k] = sum;
    });
    if (Math.abs(sum - 1) > 1e-9) throw new ConfigError('bad route', `${where}: next probabilities must sum to 1 (they sum to ${sum})`);
    cumulative[next.length - 1] = 1; // no gap from rounding
    return { kind: ROUTE_RANDOM, to: -1, targets, cumulative };
  }
  if (isObject(next) && isObject(next.byProduct)) {
    const map = next.byProduct;
    checkProductKeys(map, types, `${where}: next.byProduct`);
    const targets = Int32Array.from(types, (t) => target(map[t], `next.byProduct["${t}"]`));
    return { kind: ROUTE_BY_PRODUCT, to: -1, targets, cumulative: new Float64Array(0) };
  }
  throw new ConfigError('bad route', `${where}: next must be a station name, null, [{to, probability}] or {byProduct}`);
}

function compilePower(p: unknown, where: string): CompiledStation['power'] {
  if (p === undefined) return null;
  if (!isObject(p)) throw new ConfigError('bad power', `${where}: power must be an object of kW per state`);
  const kw = (key: string, fallback?: number): number => {
    const v = p[key] === undefined ? fallback : p[key];
    if (!finite(v) || v < 0) throw new ConfigError('bad power', `${where}: power.${key} must be a number of kW >= 0`);
    return v;
  };
  const working = kw('working');
  const idle = kw('idle');
  return { working, setup: kw('setup', working), blocked: kw('blocked'), starved: kw('starved', idle), down: kw('down', idle), off: kw('off', idle) };
}

/** Validates the spec (ConfigError naming the station / source and field) and compiles it to index tables. */
export function compilePlant(spec: unknown): CompiledPlant {
  if (!isObject(spec)) throw new ConfigError('bad plant', 'plant spec must be an object {sources, stations, calendar?}');
  if (!Array.isArray(spec.stations) || spec.stations.length === 0) throw new ConfigError('no stations', 'plant spec needs a non-empty stations list');
  if (!Array.isArray(spec.sources) || spec.sources.length === 0) throw new ConfigError('no source', 'plant spec needs a non-empty sources list');
  const index = new Map<string, number>();
  spec.stations.forEach((s: unknown, i: number) => {
    if (!isObject(s)) throw new ConfigError('bad station', `station ${i + 1} must be an object`);
    if (typeof s.name !== 'string' || s.name.trim() === '') throw new ConfigError('bad station', `station ${i + 1} needs a non-empty name`);
    if (index.has(s.name)) throw new ConfigError('duplicate station', `station name "${s.name}" is used twice`);
    index.set(s.name, i);
  });
  spec.sources.forEach((s: unknown, k: number) => {
    if (!isObject(s)) throw new ConfigError('bad source', `source ${k + 1} must be an object`);
    if (s.name !== undefined && (typeof s.name !== 'string' || s.name.trim() === '')) throw new ConfigError('bad source', `source ${k + 1}: name must be a non-empty string`);
  });
  const sourceSpecs = spec.sources as PlantSourceSpec[];
  const types = productTypesOf(sourceSpecs);
  const calendars: ShiftCalendarSpec[] = [];
  let plantCalendar = -1;
  if (spec.calendar !== undefined) {
    validateCalendar(spec.calendar, 'plant');
    plantCalendar = calendars.push(spec.calendar) - 1;
  }

  const sources: CompiledSource[] = sourceSpecs.map((s, k) => {
    const name = s.name ?? `source ${k + 1}`;
    const where = `source "${name}"`;
    validateDistribution(s.interarrival, `${where}: interarrival`);
    if (typeof s.to !== 'string' || !index.has(s.to)) throw new ConfigError('unknown station', `${where}: to names unknown station ${JSON.stringify(s.to)}`);
    if (s.until !== undefined && (typeof s.until !== 'number' || Number.isNaN(s.until))) throw new ConfigError('bad source', `${where}: until must be a time`);
    if (s.maxParts !== undefined && (!Number.isInteger(s.maxParts) || s.maxParts < 0)) throw new ConfigError('bad source', `${where}: maxParts must be an integer >= 0`);
    const mix: Array<[string, number]> = s.products === undefined ? [[DEFAULT_PRODUCT, 1]] : typeof s.products === 'string' ? [[s.products, 1]] : Object.entries(s.products);
    const total = mix.reduce((a, [, w]) => a + w, 0);
    const cumulative = new Float64Array(mix.length);
    let acc = 0;
    mix.forEach(([, w], j) => (cumulative[j] = acc += w / total));
    cumulative[mix.length - 1] = 1;
    return { name, interarrival: s.interarrival, types: Int32Array.from(mix, ([t]) => types.indexOf(t)), cumulative, to: index.get(s.to) as number, until: s.until ?? Infinity, maxParts: s.maxParts ?? Infinity };
  });

  const stations: CompiledStation[] = (spec.stations as PlantStationSpec[]).map((s) => {
    const where = `station "${s.name}"`;
    const servers = s.servers ?? 1;
    if (typeof servers !== 'number' || !Number.isInteger(servers) || servers < 1 || servers > MAX_SERVERS) throw new ConfigError('bad servers', `${where}: servers must be an integer >= 1 and at most ${MAX_SERVERS}`);
    const buffer = s.buffer ?? Infinity;
    if (typeof buffer !== 'number' || !(buffer === Infinity || (Number.isInteger(buffer) && buffer >= 0)))
      throw new ConfigError('bad buffer', `${where}: buffer must be an integer >= 0 or Infinity`);
    let processing: Distribution[];
    if (isObject(s.processing) && typeof s.processing.kind !== 'string') {
      const map = s.processing as Record<string, Distribution>;
      checkProductKeys(map, types, `${where}: processing`);
      processing = types.map((t) => {
        validateDistribution(map[t], `${where}: processing["${t}"]`);
        return map[t];
      });
    } else {
      validateDistribution(s.processing, `${where}: processing`);
      processing = types.map(() => s.processing as Distribution);
    }
    if (s.setup !== undefined) validateDistribution(s.setup, `${where}: setup`);
    const scrap = s.scrap ?? 0;
    if (!finite(scrap) || scrap < 0 || scrap > 1) throw new ConfigError('bad scrap', `${where}: scrap must be a probability in [0, 1]`);
    let failures: FailureSpec | null = null;
    if (s.failures !== undefined) {
      if (!isObject(s.failures)) throw new ConfigError('bad failures', `${where}: failures must be {mtbf, mttr}`);
      validateDistribution(s.failures.mtbf, `${where}: failures.mtbf`);
      validateDistribution(s.failures.mttr, `${where}: failures.mttr`);
      if (distributionMean(s.failures.mtbf) <= 0) throw new ConfigError('bad failures', `${where}: failures.mtbf must have a mean > 0`);
      failures = s.failures;
    }
    if (s.maintenance !== undefined) validateMaintenance(s.maintenance, where);
    let calendar = plantCalendar;
    if (s.calendar !== undefined) {
      validateCalendar(s.calendar, where);
      calendar = calendars.push(s.calendar) - 1;
    }
    return {
      name: s.name,
      servers,
      buffer,
      processing,
      idealTime: Float64Array.from(processing, distributionMean),
      setup: s.setup ?? null,
      scrap,
      route: compileRoute(s.next, where, index, types),
      failures,
      maintenance: s.maintenance ?? [],
      calendar,
      power: compilePower(s.power, where),
    };
  });

  // Every station must be reachable from a source (an unreachable one is a wiring mistake).
  const reached = new Uint8Array(stations.length);
  const todo = sources.map((s) => s.to);
  while (todo.length > 0) {
    const i = todo.pop() as number;
    if (i < 0 || reached[i]) continue;
    reached[i] = 1;
    const r = stations[i].route;
    if (r.kind === ROUTE_TO) todo.push(r.to);
    else todo.push(...r.targets);
  }
  const unreached = stations.filter((_, i) => !reached[i]).map((s) => `"${s.name}"`);
  if (unreached.length > 0) throw new ConfigError('unreachable station', `station ${unreached.join(', ')} cannot be reached from any source`);
  return { productTypes: types, stations, sources, calendars, plantCalendar };
}

export interface CompiledInitial {
  time: number;
  queue: Int32Array;
  busy: Int32Array;
  down: Uint8Array;
  remainingRepair: Float64Array;
  /** Per station: type index the servers are set up for (-1 none, -2 a product outside the model). */
  lastType: Int32Array;
  product: Int32Array;
}

/** Validates the options against the plant (ConfigError) and compiles the initial state. */
export function compileOptions(o: unknown, plant: CompiledPlant): CompiledInitial {
  if (!isObject(o)) throw new ConfigError('bad options', 'options must be an object');
  if (!finite(o.seed)) throw new ConfigError('bad seed', 'options.seed must be a finite number');
  if (o.parts !== undefined && (!Number.isInteger(o.parts) || (o.parts as number) < 1)) throw new ConfigError('bad parts', 'options.parts must be an integer >= 1');
  if (o.maxEvents !== undefined && (!Number.isInteger(o.maxEvents) || (o.maxEvents as number) < 1)) throw new ConfigError('bad step limit', 'options.maxEvents must be an integer >= 1');
  if (o.maxWallMs !== undefined && (typeof o.maxWallMs !== 'number' || !(o.maxWallMs > 0))) throw new ConfigError('bad time limit', 'options.maxWallMs must be a number > 0');
  if (o.timeUnitHours !== undefined && (!finite(o.timeUnitHours) || o.timeUnitHours <= 0)) throw new ConfigError('bad time unit', 'options.timeUnitHours must be a finite number > 0');
  if (o.warmup !== undefined) {
    const w = o.warmup;
    const ok = isObject(w) && (w.time !== undefined ? finite(w.time) && w.time >= 0 && w.parts === undefined : Number.isInteger(w.parts) && (w.parts as number) >= 0);
    if (!ok) throw new ConfigError('bad warm-up', 'options.warmup must be {time: >= 0} or {parts: integer >= 0}');
  }
  const init = o.initial === undefined ? {} : o.initial;
  if (!isObject(init)) throw new ConfigError('bad initial state', 'options.initial must be an object {time?, stations?}');
  const time = init.time ?? 0;
  if (!finite(time)) throw new ConfigError('bad initial state', 'options.initial.time must be a finite number');
  if (o.until !== undefined && (typeof o.until !== 'number' || !(o.until > time))) throw new ConfigError('bad until', `options.until must be a time after the start (${time})`);
  if (isObject(o.warmup) && finite(o.warmup.time) && typeof o.until === 'number' && time + o.warmup.time >= o.until)
    throw new ConfigError('bad warm-up', `options.warmup.time must end before until (${time} + ${o.warmup.time} >= ${o.until})`);
  const bounded = plant.sources.every((s) => s.maxParts < Infinity || s.until < Infinity);
  if (o.parts === undefined && !(finite(o.until) || bounded))
    throw new ConfigError('no stop rule', 'give options.parts, a finite options.until, or sources with maxParts / until');

  const m = plant.stations.length;
  const r: CompiledInitial = { time, queue: new Int32Array(m), busy: new Int32Array(m), down: new Uint8Array(m), remainingRepair: new Float64Array(m).fill(NaN), lastType: new Int32Array(m).fill(-1), product: new Int32Array(m) };
  const states = init.stations === undefined ? {} : init.stations;
  if (!isObject(states)) throw new ConfigError('bad initial state', 'options.initial.stations must be an object keyed by station name');
  for (const [name, st] of Object.entries(states)) {
    const i = plant.stations.findIndex((s) => s.name === name);
    const where = `initial state of station "${name}"`;
    if (i < 0) throw new ConfigError('unknown station', `options.initial.stations names unknown station "${name}"`);
    if (!isObject(st)) throw new ConfigError('bad initial state', `${where} must be an object`);
    const station = plant.stations[i];
    const count = (key: string, max: number): number => {
      const v = st[key] ?? 0;
      if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > max) throw new ConfigError('bad initial state', `${where}: ${key} must be an integer in [0, ${max}]`);
      return v as number;
    };
    r.queue[i] = count('queue', station.buffer === Infinity ? Number.MAX_SAFE_INTEGER : station.buffer);
    r.busy[i] = count('busy', station.servers);
    if (st.down !== undefined && typeof st.down !== 'boolean') throw new ConfigError('bad initial state', `${where}: down must be true or false`);
    r.down[i] = st.down ? 1 : 0;
    if (st.remainingRepair !== undefined) {
      if (!finite(st.remainingRepair) || st.remainingRepair < 0) throw new ConfigError('bad initial state', `${where}: remainingRepair must be a time >= 0`);
      r.remainingRepair[i] = st.remainingRepair;
    }
    if (st.down && st.remainingRepair === undefined && station.failures === null)
      throw new ConfigError('bad initial state', `${where}: down needs remainingRepair when the station has no failures.mttr`);
    if (st.lastProduct !== undefined) {
      if (typeof st.lastProduct !== 'string') throw new ConfigError('bad initial state', `${where}: lastProduct must be a string`);
      const t = plant.productTypes.indexOf(st.lastProduct);
      r.lastType[i] = t >= 0 ? t : -2;
    }
    if (st.product !== undefined && (typeof st.product !== 'string' || !plant.productTypes.includes(st.product)))
      throw new ConfigError('unknown product', `${where}: product must be one of ${plant.productTypes.map((t) => `"${t}"`).join(', ')}`);
    r.product[i] = st.product !== undefined ? plant.productTypes.indexOf(st.product as string) : Math.max(0, r.lastType[i]);
  }
  return r;
}
