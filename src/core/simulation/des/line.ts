/**
 * Discrete-event simulation of a tandem production line (FIFO), fast enough for hundreds of
 * thousands of parts per call.
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
import { ConfigError, InputError } from '../../errors';
import { EventQueue } from './event-queue';
import { IntFifo } from './int-fifo';
import { Distribution, SeededRandom, makeSampler, streamSeed, validateDistribution } from './random';

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

const SOURCE = -1;

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
  const m = spec.stations.length;
  const warmup = options.warmupParts ?? 0;
  const targetDepartures = options.parts !== undefined ? warmup + options.parts : Infinity;
  const until = options.until ?? Infinity;
  const maxEvents = options.maxEvents ?? 50_000_000;

  const nextInterarrival = makeSampler(spec.source.interarrival, new SeededRandom(streamSeed(options.seed, 0)));
  const process: Array<() => number> = spec.stations.map((s, i) => makeSampler(s.processing, new SeededRandom(streamSeed(options.seed, i + 1))));
  const servers = Int32Array.from(spec.stations, (s) => s.servers);
  const capacity = Float64Array.from(spec.stations, (s) => s.buffer);

  // Station state.
  const busy = new Int32Array(m);
  const queues = spec.stations.map(() => new IntFifo(16));
  const blockedParts = spec.stations.map((s) => new IntFifo(s.servers));
  // Time integrals, advanced lazily per station.
  const last = new Float64Array(m);
  const busyArea = new Float64Array(m);
  const blockedArea = new Float64Array(m);
  const queueArea = new Float64Array(m);
  const maxQueue = new Float64Array(m);
  const processed = new Float64Array(m);

  // Part slots: entry time, reused through a free list.
  let entry = new Float64Array(1024);
  let free = new Int32Array(1024);
  let freeCount = 0;
  let slots = 0;
  const newPart = (): number => {
    if (freeCount > 0) return free[--freeCount];
    if (slots === entry.length) {
      const e = new Float64Array(slots * 2);
      e.set(entry);
      entry = e;
      const f = new Int32Array(slots * 2);
      f.set(free);
      free = f;
    }
    return slots++;
  };

  // Line-wide state.
  let now = 0;
  let statsStart = 0;
  let wip = 0;
  let wipArea = 0;
  let wipLast = 0;
  let heldPart = -1;
  let heldSince = 0;
  let heldArrivals = 0;
  let sourceBlocked = 0;
  let departures = 0;
  let counted = 0;
  let leadSum = 0;
  let leadMax = 0;
  let events = 0;

  const touch = (i: number): void => {
    const dt = now - last[i];
    if (dt > 0) {
      busyArea[i] += busy[i] * dt;
      blockedArea[i] += blockedParts[i].length * dt;
      queueArea[i] += queues[i].length * dt;
      last[i] = now;
    }
  };
  const touchWip = (): void => {
    wipArea += wip * (now - wipLast);
    wipLast = now;
  };

  const queue = new EventQueue(64 + 4 * m);

  /** Station i has a free server or a free buffer place. */
  const canAccept = (i: number): boolean => busy[i] + blockedParts[i].length < servers[i] || queues[i].length < capacity[i];

  const startService = (i: number, p: number): void => {
    busy[i]++;
    queue.push(now + process[i](), i, p);
  };

  /** Puts part p into station i (the caller checked canAccept). */
  const accept = (i: number, p: number): void => {
    touch(i);
    if (busy[i] + blockedParts[i].length < servers[i]) startService(i, p);
    else {
      queues[i].push(p);
      if (queues[i].length > maxQueue[i]) maxQueue[i] = queues[i].length;
    }
  };

  const enterLine = (p: number): void => {
    touchWip();
    wip++;
    entry[p] = now;
    accept(0, p);
    queue.push(now + nextInterarrival(), SOURCE, 0);
  };

  /**
   * A server of station i became free (its part left or moved on): take the next waiting part,
   * then let one blocked part of the upstream station (or the held part of the source) in,
   * which in turn frees a server there.
   */
  const serverFreed = (start: number): void => {
    for (let i = start; ; i--) {
      touch(i);
      if (queues[i].length > 0) startService(i, queues[i].shift());
      if (i === 0) {
        if (heldPart >= 0 && canAccept(0)) {
          sourceBlocked += now - Math.max(heldSince, statsStart);
          const p = heldPart;
          heldPart = -1;
          enterLine(p);
        }
        return;
      }
      const up = i - 1;
      if (blockedParts[up].length === 0 || !canAccept(i)) return;
      touch(up);
      accept(i, blockedParts[up].shift());
    }
  };

  const resetStats = (): void => {
    for (let i = 0; i < m; i++) {
      touch(i);
      busyArea[i] = 0;
      blockedArea[i] = 0;
      queueArea[i] = 0;
      maxQueue[i] = queues[i].length;
      processed[i] = 0;
    }
    touchWip();
    wipArea = 0;
    sourceBlocked = 0;
    statsStart = now;
  };

  let stopReason: 'parts' | 'until' = 'until';
  queue.push(nextInterarrival(), SOURCE, 0);
  if (warmup === 0) resetStats();

  while (queue.size > 0) {
    if (queue.peekTime() > until) {
      now = until;
      stopReason = 'until';
      break;
    }
    if (++events > maxEvents) throw new InputError('step limit', `more than ${maxEvents} events before the stop rule was reached`);
    queue.pop();
    now = queue.time;
    const i = queue.a;
    if (i === SOURCE) {
      const p = newPart();
      if (canAccept(0)) enterLine(p);
      else {
        heldPart = p;
        heldSince = now;
        if (departures >= warmup) heldArrivals++;
      }
      continue;
    }
    const p = queue.b;
    touch(i);
    busy[i]--;
    if (departures >= warmup) processed[i]++;
    if (i === m - 1) {
      // Departure from the line.
      touchWip();
      wip--;
      departures++;
      if (departures > warmup) {
        const lead = now - entry[p];
        leadSum += lead;
        if (lead > leadMax) leadMax = lead;
        counted++;
      }
      free[freeCount++] = p;
      serverFreed(i);
      if (departures === warmup) resetStats();
      if (departures >= targetDepartures) {
        stopReason = 'parts';
        break;
      }
    } else if (canAccept(i + 1)) {
      accept(i + 1, p);
      serverFreed(i);
    } else {
      blockedParts[i].push(p); // blocked after service: stays on its server
    }
  }
  if (queue.size === 0 && stopReason === 'until' && now < until && until < Infinity) now = until;

  for (let i = 0; i < m; i++) touch(i);
  touchWip();
  if (heldPart >= 0) sourceBlocked += now - Math.max(heldSince, statsStart);
  const T = now - statsStart;
  const stations: StationResult[] = spec.stations.map((s, i) => {
    const cap = s.servers * T;
    const working = T > 0 ? busyArea[i] / cap : 0;
    const blocked = T > 0 ? blockedArea[i] / cap : 0;
    return {
      name: s.name,
      servers: s.servers,
      working,
      blocked,
      starved: T > 0 ? Math.max(0, 1 - working - blocked) : 0,
      meanQueue: T > 0 ? queueArea[i] / T : 0,
      maxQueue: maxQueue[i],
      processed: processed[i],
    };
  });
  let b = 0;
  for (let i = 1; i < m; i++) if (stations[i].working > stations[b].working) b = i;
  return {
    endTime: now,
    observedTime: T,
    stopReason,
    partsCompleted: counted,
    throughput: T > 0 ? counted / T : 0,
    meanTimeInSystem: counted > 0 ? leadSum / counted : NaN,
    maxTimeInSystem: leadMax,
    meanWip: T > 0 ? wipArea / T : 0,
    source: { heldArrivals, blockedShare: T > 0 ? sourceBlocked / T : 0 },
    stations,
    bottleneck: stations[b].name,
    bottleneckIndex: b,
    events,
  };
}
