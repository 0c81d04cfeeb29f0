/**
 * State of the plant engine (see plant.ts for the model): index tables compiled from the spec,
 * station / server / part / source state in typed arrays, and the time-weighted statistics that
 * `touch` advances lazily per station. The event logic lives in plant-engine.ts.
 */
import { ShiftClock } from './calendar';
import { EventQueue } from './event-queue';
import { IntFifo } from './int-fifo';
import { CompiledInitial, CompiledPlant, MaintenanceSpec, PlantOptions, StopReason } from './plant-spec';
import { Distribution, SeededRandom, makeSampler, streamSeed } from './random';

export type Sampler = () => number;

export class PlantState {
  readonly queue: EventQueue;
  now: number;
  readonly m: number;
  readonly nTypes: number;
  readonly until: number;
  readonly partsTarget: number;
  readonly warmupParts: number;

  // Model tables, by station i (samplers by i * nTypes + type).
  readonly servers: Int32Array;
  readonly capacity: Float64Array;
  readonly serverBase: Int32Array;
  readonly processTime: Sampler[];
  readonly setupTime: Array<Sampler | null>;
  readonly idealTime: Float64Array;
  readonly scrapProbability: Float64Array;
  readonly scrapRandom: SeededRandom[];
  readonly routeKind: Uint8Array;
  readonly routeTo: Int32Array;
  readonly routeRandom: SeededRandom[];
  readonly timeToFailure: Array<Sampler | null>;
  readonly timeToRepair: Array<Sampler | null>;
  readonly nextInterarrival: Sampler[];
  readonly mixRandom: SeededRandom[];
  readonly clocks: ShiftClock[];
  readonly maintenance: Array<{ i: number; w: MaintenanceSpec }>;
  /** Per maintenance window spec: index k of the current / next window. */
  readonly maintenanceIndex: number[] = [];

  // Station state.
  readonly waiting: IntFifo[];
  /** Blocked servers (index >= 0) and held source parts (-(k+1)) waiting for a place here. */
  readonly waiters: IntFifo[];
  readonly idleServers: Int32Array;
  readonly workingServers: Int32Array;
  readonly setupServers: Int32Array;
  readonly blockedServers: Int32Array;
  /** Failure (0/1) plus open maintenance windows: > 0 means down. */
  readonly downCount: Int32Array;
  readonly inShift: Uint8Array;
  readonly cascade: number[] = [];

  // Server state, by global server index.
  readonly stationOf: Int32Array;
  readonly serverState: Uint8Array;
  readonly pausedState: Uint8Array;
  readonly serverPart: Int32Array;
  readonly epoch: Int32Array;
  readonly endTime: Float64Array;
  readonly remaining: Float64Array;
  readonly lastType: Int32Array;

  // Parts: slots reused through a free list.
  entry = new Float64Array(1024);
  partType = new Int32Array(1024);
  freeSlots = new Int32Array(1024);
  freeCount = 0;
  slots = 0;

  // Sources.
  readonly heldPart: Int32Array;
  readonly heldSince: Float64Array;
  readonly waitingForShift: Uint8Array;
  readonly released: Float64Array;
  activeSources: number;
  sourcesInShift = 1;

  // Statistics (time areas advanced lazily per station by `touch`).
  observing = false;
  statsStart: number;
  readonly last: Float64Array;
  readonly workArea: Float64Array;
  readonly setupArea: Float64Array;
  readonly blockedArea: Float64Array;
  readonly offArea: Float64Array;
  /** Server time working or setting up outside shifts (a started part finishing): run time for OEE. */
  readonly overtimeArea: Float64Array;
  readonly queueArea: Float64Array;
  readonly plannedTime: Float64Array;
  readonly downTime: Float64Array;
  readonly maxQueue: Float64Array;
  readonly processed: Float64Array;
  readonly scrapped: Float64Array;
  readonly setups: Float64Array;
  readonly idealWork: Float64Array;
  readonly observedReleases: Float64Array;
  readonly heldArrivals: Float64Array;
  readonly sourceBlocked: Float64Array;
  wip = 0;
  wipArea = 0;
  wipLast: number;
  /** Good parts out since the start, and since the warm-up. */
  goodDepartures = 0;
  observedGood = 0;
  readonly goodOut: Float64Array;
  readonly scrapOut: Float64Array;
  readonly leadSum: Float64Array;
  readonly leadMax: Float64Array;
  stopReason: StopReason | null = null;

  constructor(
    readonly plant: CompiledPlant,
    readonly options: PlantOptions,
    readonly initial: CompiledInitial,
  ) {
    const { stations, sources } = plant;
    const m = (this.m = stations.length);
    const T = (this.nTypes = plant.productTypes.length);
    const S = sources.length;
    const seed = options.seed;
    this.until = options.until ?? Infinity;
    this.partsTarget = options.parts ?? Infinity;
    this.warmupParts = options.warmup && 'parts' in options.warmup ? options.warmup.parts : -1;
    this.now = this.statsStart = this.wipLast = initial.time;
    this.queue = new EventQueue(64 + 4 * m);

    // Streams: source k → k, processing of station i → S + i (as in line.ts); the others after.
    const rng = (k: number): SeededRandom => new SeededRandom(streamSeed(seed, k));
    const extra = S + m;
    this.nextInterarrival = sources.map((s, k) => makeSampler(s.interarrival, rng(k)));
    this.mixRandom = sources.map((_, k) => rng(extra + 4 * m + k));
    this.servers = Int32Array.from(stations, (s) => s.servers);
    this.capacity = Float64Array.from(stations, (s) => s.buffer);
    this.serverBase = new Int32Array(m);
    let totalServers = 0;
    stations.forEach((s, i) => {
      this.serverBase[i] = totalServers;
      totalServers += s.servers;
    });
    this.processTime = [];
    this.idealTime = new Float64Array(m * T);
    stations.forEach((s, i) => {
      const r = rng(S + i);
      const byDistribution = new Map<Distribution, Sampler>();
      s.processing.forEach((d, t) => {
        if (!byDistribution.has(d)) byDistribution.set(d, makeSampler(d, r));
        this.processTime[i * T + t] = byDistribution.get(d) as Sampler;
        this.idealTime[i * T + t] = s.idealTime[t];
      });
    });
    this.setupTime = stations.map((s, i) => (s.setup ? makeSampler(s.setup, rng(extra + 4 * i)) : null));
    this.scrapProbability = Float64Array.from(stations, (s) => s.scrap);
    this.scrapRandom = stations.map((_, i) => rng(extra + 4 * i + 1));
    this.routeKind = Uint8Array.from(stations, (s) => s.route.kind);
    this.routeTo = Int32Array.from(stations, (s) => s.route.to);
    this.routeRandom = stations.map((_, i) => rng(extra + 4 * i + 2));
    const failureRandom = stations.map((_, i) => rng(extra + 4 * i + 3));
    this.timeToFailure = stations.map((s, i) => (s.failures ? makeSampler(s.failures.mtbf, failureRandom[i]) : null));
    this.timeToRepair = stations.map((s, i) => (s.failures ? makeSampler(s.failures.mttr, failureRandom[i]) : null));
    this.clocks = plant.calendars.map((c) => new ShiftClock(c));
    this.maintenance = stations.flatMap((s, i) => s.maintenance.map((w) => ({ i, w })));

    this.waiting = stations.map(() => new IntFifo(16));
    this.waiters = stations.map(() => new IntFifo(4));
    this.idleServers = Int32Array.from(stations, (s) => s.servers);
    this.workingServers = new Int32Array(m);
    this.setupServers = new Int32Array(m);
    this.blockedServers = new Int32Array(m);
    this.downCount = new Int32Array(m);
    this.inShift = new Uint8Array(m).fill(1);
    this.stationOf = new Int32Array(totalServers);
    stations.forEach((s, i) => this.stationOf.fill(i, this.serverBase[i], this.serverBase[i] + s.servers));
    this.serverState = new Uint8Array(totalServers);
    this.pausedState = new Uint8Array(totalServers);
    this.serverPart = new Int32Array(totalServers).fill(-1);
    this.epoch = new Int32Array(totalServers);
    this.endTime = new Float64Array(totalServers);
    this.remaining = new Float64Array(totalServers);
    this.lastType = new Int32Array(totalServers);
    stations.forEach((s, i) => this.lastType.fill(initial.lastType[i], this.serverBase[i], this.serverBase[i] + s.servers));

    this.heldPart = new Int32Array(S).fill(-1);
    this.heldSince = new Float64Array(S);
    this.waitingForShift = new Uint8Array(S);
    this.released = new Float64Array(S);
    this.activeSources = S;
    this.last = new Float64Array(m).fill(initial.time);
    const perStation = (): Float64Array => new Float64Array(m);
    this.workArea = perStation();
    this.setupArea = perStation();
    this.blockedArea = perStation();
    this.offArea = perStation();
    this.overtimeArea = perStation();
    this.queueArea = perStation();
    this.plannedTime = perStation();
    this.downTime = perStation();
    this.maxQueue = perStation();
    this.processed = perStation();
    this.scrapped = perStation();
    this.setups = perStation();
    this.idealWork = perStation();
    this.observedReleases = new Float64Array(S);
    this.heldArrivals = new Float64Array(S);
    this.sourceBlocked = new Float64Array(S);
    this.goodOut = new Float64Array(T);
    this.scrapOut = new Float64Array(T);
    this.leadSum = new Float64Array(T);
    this.leadMax = new Float64Array(T);
  }

  newInitialPart(type: number): number {
    const p = this.newPart();
    this.partType[p] = type;
    this.entry[p] = this.now;
    this.wip++;
    return p;
  }

  newPart(): number {
    if (this.freeCount > 0) return this.freeSlots[--this.freeCount];
    if (this.slots === this.entry.length) {
      const n = this.slots * 2;
      const grow = <A extends Float64Array | Int32Array>(a: A, b: A): A => (b.set(a), b);
      this.entry = grow(this.entry, new Float64Array(n));
      this.partType = grow(this.partType, new Int32Array(n));
      this.freeSlots = grow(this.freeSlots, new Int32Array(n));
    }
    return this.slots++;
  }

  // ---- statistics -----------------------------------------------------------------------------

  touch(i: number): void {
    const dt = this.now - this.last[i];
    if (dt <= 0) return;
    this.last[i] = this.now;
    this.queueArea[i] += this.waiting[i].length * dt;
    this.workArea[i] += this.workingServers[i] * dt;
    this.setupArea[i] += this.setupServers[i] * dt;
    if (this.inShift[i] === 1) {
      this.plannedTime[i] += dt;
      if (this.downCount[i] > 0) this.downTime[i] += dt;
      else this.blockedArea[i] += this.blockedServers[i] * dt;
    } else {
      const active = this.workingServers[i] + this.setupServers[i];
      this.offArea[i] += (this.servers[i] - active) * dt;
      this.overtimeArea[i] += active * dt;
    }
  }

  touchWip(): void {
    this.wipArea += this.wip * (this.now - this.wipLast);
    this.wipLast = this.now;
  }

  resetStats(): void {
    for (let i = 0; i < this.m; i++) this.touch(i);
    for (const a of [this.workArea, this.setupArea, this.blockedArea, this.offArea, this.overtimeArea, this.queueArea, this.plannedTime, this.downTime, this.processed, this.scrapped, this.setups, this.idealWork, this.observedReleases, this.heldArrivals, this.sourceBlocked])
      a.fill(0);
    for (let i = 0; i < this.m; i++) this.maxQueue[i] = this.waiting[i].length;
    this.touchWip();
    this.wipArea = 0;
    this.statsStart = this.now;
    this.observing = true;
  }
}
