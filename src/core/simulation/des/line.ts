/**
 * Discrete-event simulation of a tandem production line (FIFO), fast enough for hundreds of
 * thousands of parts per call. A thin wrapper over the plant engine (plant.ts: simulatePlant), kept
 * for its simpler spec and result: the line maps to one source feeding station 1, each station
 * feeding the next and the last one the exit; the same seed gives the same numbers as the engine.
 *
 * Model:
 * - a source releases parts with the given interarrival distribution into the buffer in front of
 *   the first station; when that buffer (and every server of station 1) is full, the source holds
 *   the part (it is not lost) and makes no new part until it got in — counted as `heldArrivals`
 *   and `blockedTime`;
 * - each station has `servers` identical parallel servers and a FIFO buffer in front of it of
 *   capacity `buffer` (parts waiting, not counting those in service; 0 and Infinity allowed);
 * - blocking after service: a part finished at a station whose downstream station cannot take it
 *   (no free server and full buffer) stays on its server, which is blocked until a place frees;
 *   blocked parts move on in the order they became blocked.
 *
 * Lead time (time in system) runs from the moment a part enters the line (is accepted into the
 * first buffer or server) to its departure from the last station. With `warmupParts = W`, every
 * statistic is collected from the W-th departure on (time averages restart at that instant, and
 * only parts departing later count for lead time and throughput).
 */
import { ConfigError } from '../../errors';
import { simulatePlant } from './plant';
import { Distribution, validateDistribution } from './random';

export type { Distribution } from './random';

export interface StationSpec {
  name: string;
  /** Parallel servers (capacity), a positive integer. */
  servers: number;
  processing: Distribution;
  /** Capacity of the buffer in front of the station: a non-negative integer or Infinity. */
  buffer: number;
}

export interface LineSpec {
  source: { interarrival: Distribution };
  stations: StationSpec[];
}

export interface SimulateOptions {
  seed: number;
  /** Stop when this many parts departed after the warm-up. */
  parts?: number;
  /** Stop at this simulation time (whichever of `parts` / `until` comes first). */
  until?: number;
  /** Departures before statistics start (default 0). */
  warmupParts?: number;
  /** Events processed before giving up with InputError('step limit') (default 50,000,000). */
  maxEvents?: number;
}

export interface StationResult {
  name: string;
  servers: number;
  /** Shares of server time (sum 1): processing, holding a finished part, idle for lack of parts. */
  working: number;
  blocked: number;
  starved: number;
  /** Mean number of parts in the buffer in front of the station. */
  meanQueue: number;
  maxQueue: number;
  /** Parts that finished processing here during the observation. */
  processed: number;
}

export interface LineResult {
  /** Simulation clock at the stop. */
  endTime: number;
  /** Length of the observation (end minus end of warm-up). */
  observedTime: number;
  stopReason: 'parts' | 'until';
  /** Parts departed during the observation. */
  partsCompleted: number;
  /** Parts per time unit during the observation. */
  throughput: number;
  /** Mean lead time of the parts departed during the observation (NaN if none). */
  meanTimeInSystem: number;
  maxTimeInSystem: number;
  /** Time-average number of parts in the line (buffers, servers, blocked). */
  meanWip: number;
  source: {
    /** Parts that had to wait at the source because the first station was full. */
    heldArrivals: number;
    /** Share of the observation during which the source held a part. */
    blockedShare: number;
  };
  stations: StationResult[];
  /** Station with the highest working share (first on ties). */
  bottleneck: string;
  bottleneckIndex: number;
  /** Events processed (warm-up included). */
  events: number;
}

function validateSpec(spec: LineSpec): void {
  if (spec === null || typeof spec !== 'object') throw new ConfigError('bad line', 'line spec is not an object');
  if (!spec.source || typeof spec.source !== 'object') throw new ConfigError('no source', 'line spec needs source.interarrival');
  validateDistribution(spec.source.interarrival, 'source.interarrival');
  if (!Array.isArray(spec.stations) || spec.stations.length === 0) throw new ConfigError('no stations', 'line spec needs at least one station');
  const names = new Set<string>();
  spec.stations.forEach((s, i) => {
    const where = `station ${i + 1}`;
    if (s === null || typeof s !== 'object') throw new ConfigError('bad station', `${where} is not an object`);
    if (typeof s.name !== 'string' || s.name.trim() === '') throw new ConfigError('bad station', `${where} needs a name`);
    if (names.has(s.name)) throw new ConfigError('duplicate station', `station name ${s.name} used twice`);
    names.add(s.name);
    if (!Number.isInteger(s.servers) || s.servers < 1) throw new ConfigError('bad servers', `${s.name}: servers must be an integer >= 1`);
    if (typeof s.buffer !== 'number' || !(s.buffer === Infinity || (Number.isInteger(s.buffer) && s.buffer >= 0)))
      throw new ConfigError('bad buffer', `${s.name}: buffer must be an integer >= 0 or Infinity`);
    validateDistribution(s.processing, `${s.name}.processing`);
  });
}

function validateOptions(o: SimulateOptions): void {
  if (o === null || typeof o !== 'object') throw new ConfigError('bad options', 'options are not an object');
  if (typeof o.seed !== 'number' || !Number.isFinite(o.seed)) throw new ConfigError('bad seed', 'seed must be a finite number');
  if (o.parts !== undefined && (!Number.isInteger(o.parts) || o.parts < 1)) throw new ConfigError('bad parts', 'parts must be an integer >= 1');
  if (o.until !== undefined && (typeof o.until !== 'number' || !(o.until > 0))) throw new ConfigError('bad until', 'until must be a time > 0');
  if (o.parts === undefined && (o.until === undefined || o.until === Infinity)) throw new ConfigError('no stop rule', 'give parts or a finite until');
  if (o.warmupParts !== undefined && (!Number.isInteger(o.warmupParts) || o.warmupParts < 0))
    throw new ConfigError('bad warm-up', 'warmupParts must be an integer >= 0');
  if (o.maxEvents !== undefined && (!Number.isInteger(o.maxEvents) || o.maxEvents < 1))
    throw new ConfigError('bad step limit', 'maxEvents must be an integer >= 1');
}

export function simulateLine(spec: LineSpec, options: SimulateOptions): LineResult {
  validateSpec(spec);
  validateOptions(options);
  const last = spec.stations.length - 1;
  const r = simulatePlant(
    {
      sources: [{ interarrival: spec.source.interarrival, to: spec.stations[0].name }],
      stations: spec.stations.map((s, i) => ({
        name: s.name,
        servers: s.servers,
        buffer: s.buffer,
        processing: s.processing,
        next: i < last ? spec.stations[i + 1].name : null,
      })),
    },
    { seed: options.seed, parts: options.parts, until: options.until, warmup: { parts: options.warmupParts ?? 0 }, maxEvents: options.maxEvents },
  );
  // Without setups, failures or shifts, the plant's setup / down / off shares are 0; starved is the rest.
  const stations: StationResult[] = r.stations.map((s) => ({
    name: s.name,
    servers: s.servers,
    working: s.working,
    blocked: s.blocked,
    starved: r.observedTime > 0 ? Math.max(0, 1 - s.working - s.blocked) : 0,
    meanQueue: s.meanQueue,
    maxQueue: s.maxQueue,
    processed: s.processed,
  }));
  return {
    endTime: r.endTime,
    observedTime: r.observedTime,
    // An unbounded source never drains, and a tandem line cannot deadlock.
    stopReason: r.stopReason === 'parts' ? 'parts' : 'until',
    partsCompleted: r.goodParts,
    throughput: r.throughput,
    meanTimeInSystem: r.leadTimeMean,
    maxTimeInSystem: r.leadTimeMax,
    meanWip: r.meanWip,
    source: { heldArrivals: r.sources[0].heldArrivals, blockedShare: r.sources[0].blockedShare },
    stations,
    bottleneck: r.bottleneck,
    bottleneckIndex: r.bottleneckIndex,
    events: r.events,
  };
}
