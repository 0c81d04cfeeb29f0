/**
 * Discrete-event engine for a production plant: sources → stations → routing (merges, splits,
 * rework loops) with finite buffers, setups, scrap, failures, maintenance, shifts and energy.
 *
 * Model (time in the model's unit; `options.timeUnitHours` converts it for kWh, default 1/3600 =
 * seconds):
 * - a source releases a part per interarrival draw, of a type drawn from its product mix, into its
 *   station; when that station cannot take it, the source holds the part (not lost) and draws no
 *   new interarrival until it got in. Outside the plant calendar's shifts a due part waits for the
 *   next shift start.
 * - a station has `servers` identical servers and a FIFO buffer of `buffer` places in front. A server
 *   switching product type first does a setup. A processed part is scrap with probability `scrap`
 *   (it leaves as bad), else it is routed; if the target cannot take it, it stays on its server,
 *   which is blocked (blocking after service; blocked parts and held source parts enter a station
 *   in the order they became blocked).
 * - failures are time-based (the up-time clock runs whether busy or not); a failure or a
 *   maintenance window stops every server, a part in service (or setup) pauses and resumes its
 *   remaining time afterwards (preempt-resume). Blocked parts may still leave a down station.
 * - outside its shifts a station starts no new part; a started part (setup included) finishes.
 *
 * Server states and KPIs (shares of server time over the observation, summing to 1):
 *   working, setup      — processing / setting up (counted in and out of shifts);
 *   down                — inside a shift while failed or in maintenance;
 *   off                 — outside shifts and not working / setting up (blocked or not);
 *   blocked             — inside a shift, up, holding a finished part;
 *   starved             — the rest: inside a shift, up and without a part.
 * OEE per station (planned time P = station time inside shifts, D = down time inside shifts):
 *   availability = (P − D) / P; performance = Σ ideal processing time of the processed parts
 *   (the mean of their processing distribution) / run time, where run time = servers × (P − D)
 *   plus the server time spent finishing parts after a shift ended (overtime is run time too, so a
 *   part straddling the shift end does not push performance above 1); quality = good / processed
 *   (good = not scrapped here). Line OEE = bottleneck's availability × its performance × plant
 *   quality (good / all parts out). Undefined figures (0 / 0) are NaN.
 * Bottleneck: the station with the highest working + setup share (active-period method).
 * Energy: Σ over states of power (kW per server) × server time in that state × timeUnitHours.
 * Lead time runs from entering the plant (accepted by the first station, or the start for initial
 * parts) to leaving it good. After warm-up (time, or a count of good parts out) all statistics
 * restart. The run stops at `until`, after `parts` good parts out, or (with no `until`) when the
 * plant is empty and every source is exhausted ('drained'), or when no event is left ('stalled':
 * a deadlock of full buffers).
 *
 * Files: plant-spec.ts (spec / options types, validation), calendar.ts (shifts, maintenance windows),
 * plant-state.ts (typed-array state, time accounting), plant-engine.ts (event logic), this file
 * (result types, KPIs, the entry point).
 */
import { PlantEngine } from './plant-engine';
import { PlantOptions, PlantSpec, StopReason, compileOptions, compilePlant } from './plant-spec';

export { DEFAULT_PRODUCT } from './plant-spec';
export type {
  Distribution, FailureSpec, InitialStationState, MaintenanceSpec, PlantInitialState, PlantOptions, PlantSourceSpec, PlantSpec,
  PlantStationSpec, PowerSpec, ProductMix, Route, RouteBranch, ShiftCalendarSpec, ShiftSpec, StopReason,
} from './plant-spec';

export interface OeeFigures {
  availability: number;
  performance: number;
  quality: number;
  oee: number;
}

export interface PlantStationResult extends OeeFigures {
  name: string;
  servers: number;
  /** Shares of server time over the observation; the six sum to 1. */
  working: number;
  setup: number;
  blocked: number;
  starved: number;
  down: number;
  off: number;
  meanQueue: number;
  maxQueue: number;
  /** Parts that finished processing here (good and scrap). */
  processed: number;
  scrapped: number;
  setups: number;
  /** Station time inside shifts, and down time inside shifts (model time units). */
  plannedTime: number;
  downTime: number;
  energyKwh: number;
}

export interface PlantSourceResult {
  name: string;
  released: number;
  /** Parts that had to wait because the station fed was full. */
  heldArrivals: number;
  /** Share of the observation during which the source held a part. */
  blockedShare: number;
}

export interface ProductResult {
  good: number;
  scrap: number;
  leadTimeMean: number;
  leadTimeMax: number;
}

export interface PlantResult {
  startTime: number;
  endTime: number;
  observedTime: number;
  stopReason: StopReason;
  goodParts: number;
  scrapParts: number;
  /** Good parts out per time unit. */
  throughput: number;
  meanWip: number;
  leadTimeMean: number;
  leadTimeMax: number;
  products: Record<string, ProductResult>;
  sources: PlantSourceResult[];
  stations: PlantStationResult[];
  bottleneck: string;
  bottleneckIndex: number;
  /** working + setup share per station. */
  bottleneckShares: Record<string, number>;
  /** Line OEE: the bottleneck's availability and performance, the plant's quality. */
  oee: OeeFigures;
  energyKwh: number;
  energyPerGoodPartKwh: number;
  events: number;
}

/** Runs the plant model; throws ConfigError for an unusable spec / options, InputError past maxEvents / maxWallMs. */
export function simulatePlant(spec: PlantSpec, options: PlantOptions): PlantResult {
  const plant = compilePlant(spec);
  const initial = compileOptions(options, plant);
  const engine = new PlantEngine(plant, options, initial);
  const events = engine.run();
  return plantResult(engine, events);
}

/** KPIs of a finished run (definitions in the header). */
function plantResult(e: PlantEngine, events: number): PlantResult {
  for (let i = 0; i < e.m; i++) e.touch(i);
  e.touchWip();
  const { plant } = e;
  const T = e.now - e.statsStart;
  const hours = e.options.timeUnitHours ?? 1 / 3600;
  const ratio = (a: number, b: number): number => (b > 0 ? a / b : NaN);
  const stations: PlantStationResult[] = plant.stations.map((s, i) => {
    const serverTime = s.servers * T;
    const share = (area: number): number => (serverTime > 0 ? area / serverTime : 0);
    const down = s.servers * e.downTime[i];
    const starvedArea = Math.max(0, serverTime - e.workArea[i] - e.setupArea[i] - e.blockedArea[i] - down - e.offArea[i]);
    const pw = s.power;
    const energy = pw
      ? hours * (pw.working * e.workArea[i] + pw.setup * e.setupArea[i] + pw.blocked * e.blockedArea[i] + pw.starved * starvedArea + pw.down * down + pw.off * e.offArea[i])
      : 0;
    const runTime = e.plannedTime[i] - e.downTime[i];
    const availability = ratio(runTime, e.plannedTime[i]);
    const performance = ratio(e.idealWork[i], s.servers * runTime + e.overtimeArea[i]);
    const oee = oeeOf(availability, performance, ratio(e.processed[i] - e.scrapped[i], e.processed[i]));
    return {
      name: s.name,
      servers: s.servers,
      working: share(e.workArea[i]),
      setup: share(e.setupArea[i]),
      blocked: share(e.blockedArea[i]),
      starved: share(starvedArea),
      down: share(down),
      off: share(e.offArea[i]),
      meanQueue: T > 0 ? e.queueArea[i] / T : 0,
      maxQueue: e.maxQueue[i],
      processed: e.processed[i],
      scrapped: e.scrapped[i],
      setups: e.setups[i],
      plannedTime: e.plannedTime[i],
      downTime: e.downTime[i],
      energyKwh: energy,
      ...oee,
    };
  });
  let b = 0;
  for (let i = 1; i < e.m; i++) if (stations[i].working + stations[i].setup > stations[b].working + stations[b].setup) b = i;
  const sum = (a: Float64Array): number => a.reduce((x, y) => x + y, 0);
  const good = sum(e.goodOut);
  const scrap = sum(e.scrapOut);
  const energy = stations.reduce((x, s) => x + s.energyKwh, 0);
  const products: Array<[string, ProductResult]> = plant.productTypes.map((name, t) => [
    name,
    { good: e.goodOut[t], scrap: e.scrapOut[t], leadTimeMean: ratio(e.leadSum[t], e.goodOut[t]), leadTimeMax: e.leadMax[t] },
  ]);
  return {
    startTime: e.initial.time,
    endTime: e.now,
    observedTime: T,
    stopReason: e.stopReason as PlantResult['stopReason'],
    goodParts: good,
    scrapParts: scrap,
    throughput: T > 0 ? good / T : 0,
    meanWip: T > 0 ? e.wipArea / T : 0,
    leadTimeMean: ratio(sum(e.leadSum), good),
    leadTimeMax: e.leadMax.reduce((x, y) => Math.max(x, y), 0),
    products: Object.fromEntries(products),
    sources: plant.sources.map((s, k) => {
      const held = e.heldPart[k] >= 0 ? e.now - Math.max(e.heldSince[k], e.statsStart) : 0;
      return { name: s.name, released: e.observedReleases[k], heldArrivals: e.heldArrivals[k], blockedShare: T > 0 ? (e.sourceBlocked[k] + held) / T : 0 };
    }),
    stations,
    bottleneck: stations[b].name,
    bottleneckIndex: b,
    bottleneckShares: Object.fromEntries(stations.map((s) => [s.name, s.working + s.setup])),
    oee: oeeOf(stations[b].availability, stations[b].performance, ratio(good, good + scrap)),
    energyKwh: energy,
    energyPerGoodPartKwh: ratio(energy, good),
    events,
  };
}

function oeeOf(availability: number, performance: number, quality: number): OeeFigures {
  return { availability, performance, quality, oee: availability * performance * quality };
}
