/**
 * Event logic of the plant engine (see plant.ts for the model and the KPI definitions): one
 * method per event kind, plus the flow of parts between sources, stations and the exit. No
 * closure or object is made per event; parts and servers are integer indices into typed arrays.
 */
import { InputError } from '../../errors';
import { firstMaintenanceWindow, maintenanceStart } from './calendar';
import { ROUTE_BY_PRODUCT, ROUTE_EXIT, ROUTE_TO } from './plant-spec';
import { PlantState, Sampler } from './plant-state';

// Event kinds in the low bits of the event's `a`; the high bits carry the source / server /
// station / maintenance window / calendar index.
const ARRIVAL = 0;
const SERVICE_END = 1;
const FAILURE = 2;
const REPAIR = 3;
const MAINTENANCE_START = 4;
const MAINTENANCE_END = 5;
const SHIFT_CHANGE = 6;
const WARMUP_END = 7;
const KIND_BITS = 4;
const KIND_MASK = 15;

// Server states.
const IDLE = 0;
const SETUP = 1;
const WORK = 2;
const BLOCKED = 3;
const PAUSED = 4;

const WALL_CHECK_EVENTS = 10_000;

export class PlantEngine extends PlantState {
  /** Runs to a stop rule; returns the number of events processed. */
  run(): number {
    this.start();
    const queue = this.queue;
    const until = this.until;
    const maxEvents = this.options.maxEvents ?? 50_000_000;
    const wallDeadline = this.options.maxWallMs !== undefined ? Date.now() + this.options.maxWallMs : Infinity;
    let wallCountdown = WALL_CHECK_EVENTS;
    let events = 0;
    while (this.stopReason === null) {
      if (queue.peekTime() > until) {
        this.now = until;
        this.stopReason = 'until';
        break;
      }
      if (queue.size === 0) {
        this.stopReason = this.wip === 0 && this.activeSources === 0 ? 'drained' : 'stalled';
        break;
      }
      if (++events > maxEvents) throw new InputError('step limit', `more than ${maxEvents} events before the stop rule was reached`);
      if (--wallCountdown === 0) {
        wallCountdown = WALL_CHECK_EVENTS;
        if (Date.now() > wallDeadline) throw new InputError('time limit', `the run took more than ${this.options.maxWallMs} ms (${events} events)`);
      }
      queue.pop();
      this.now = queue.time;
      const id = queue.a >> KIND_BITS;
      switch (queue.a & KIND_MASK) {
        case SERVICE_END:
          this.serviceEnd(id, queue.b);
          break;
        case ARRIVAL:
          this.arrival(id);
          break;
        case FAILURE:
          this.failure(id);
          break;
        case REPAIR:
          this.repair(id);
          break;
        case MAINTENANCE_START:
          this.maintenanceStart(id);
          break;
        case MAINTENANCE_END:
          this.maintenanceEnd(id);
          break;
        case SHIFT_CHANGE:
          this.shiftChange(id);
          break;
        case WARMUP_END:
          this.resetStats();
          break;
      }
    }
    return events;
  }

  // ---- start ----------------------------------------------------------------------------------

  private start(): void {
    const { plant, initial } = this;
    const t0 = initial.time;
    // Statistics start first, so that work started by the initial state counts.
    const warmup = this.options.warmup;
    if (warmup && 'time' in warmup && warmup.time > 0) this.queue.push(t0 + warmup.time, WARMUP_END, 0);
    else if (this.warmupParts <= 0) this.resetStats();
    plant.calendars.forEach((_, c) => {
      const on = this.clocks[c].start(t0) ? 1 : 0;
      plant.stations.forEach((s, i) => {
        if (s.calendar === c) this.inShift[i] = on;
      });
      if (c === plant.plantCalendar) this.sourcesInShift = on;
      if (this.clocks[c].nextChange < Infinity) this.queue.push(this.clocks[c].nextChange, SHIFT_CHANGE | (c << KIND_BITS), 0);
    });
    this.maintenance.forEach(({ i, w }, e) => {
      const k = firstMaintenanceWindow(w, t0);
      this.maintenanceIndex[e] = k;
      const start = maintenanceStart(w, k);
      if (start <= t0) {
        this.downCount[i]++;
        this.queue.push(start + w.duration, MAINTENANCE_END | (e << KIND_BITS), 0);
      } else this.queue.push(start, MAINTENANCE_START | (e << KIND_BITS), 0);
    });
    for (let i = 0; i < this.m; i++) {
      if (initial.down[i]) {
        this.downCount[i]++;
        const left = initial.remainingRepair[i];
        this.queue.push(t0 + (Number.isNaN(left) ? (this.timeToRepair[i] as Sampler)() : left), REPAIR | (i << KIND_BITS), 0);
      } else if (this.timeToFailure[i]) this.queue.push(t0 + (this.timeToFailure[i] as Sampler)(), FAILURE | (i << KIND_BITS), 0);
      for (let b = 0; b < initial.busy[i]; b++) {
        const p = this.newInitialPart(initial.product[i]);
        const s = this.serverBase[i] + b;
        this.lastType[s] = initial.product[i];
        this.idleServers[i]--;
        this.serverPart[s] = p;
        this.beginWork(s, i);
      }
      for (let q = 0; q < initial.queue[i]; q++) this.waiting[i].push(this.newInitialPart(initial.product[i]));
      if (this.downCount[i] > 0) this.pause(i);
    }
    for (let i = 0; i < this.m; i++) {
      this.pull(i);
      this.maxQueue[i] = this.waiting[i].length;
    }
    plant.sources.forEach((s, k) => {
      if (s.maxParts === 0) this.activeSources--;
      else this.scheduleArrival(k);
    });
    this.checkDrained();
  }

  // ---- sources --------------------------------------------------------------------------------

  private scheduleArrival(k: number): void {
    const source = this.plant.sources[k];
    if (this.released[k] >= source.maxParts) return this.sourceExhausted();
    const at = this.now + this.nextInterarrival[k]();
    if (at > source.until) return this.sourceExhausted();
    this.queue.push(at, ARRIVAL | (k << KIND_BITS), 0);
  }

  private sourceExhausted(): void {
    this.activeSources--;
    this.checkDrained();
  }

  private arrival(k: number): void {
    if (this.sourcesInShift === 0) this.waitingForShift[k] = 1;
    else this.release(k);
  }

  private release(k: number): void {
    const source = this.plant.sources[k];
    if (this.now > source.until) return this.sourceExhausted();
    const p = this.newPart();
    let t = source.types[0];
    if (source.types.length > 1) {
      const u = this.mixRandom[k].next();
      let j = 0;
      while (u >= source.cumulative[j]) j++;
      t = source.types[j];
    }
    this.partType[p] = t;
    this.released[k]++;
    if (this.observing) this.observedReleases[k]++;
    if (this.canAccept(source.to)) this.enterPlant(k, p);
    else {
      this.heldPart[k] = p;
      this.heldSince[k] = this.now;
      if (this.observing) this.heldArrivals[k]++;
      this.waiters[source.to].push(-(k + 1));
    }
  }

  private enterPlant(k: number, p: number): void {
    this.touchWip();
    this.wip++;
    this.entry[p] = this.now;
    this.accept(this.plant.sources[k].to, p);
    this.scheduleArrival(k);
  }

  // ---- stations -------------------------------------------------------------------------------

  private available(i: number): boolean {
    return this.downCount[i] === 0 && this.inShift[i] === 1;
  }

  /** Station i can take a part: a free server it may start now, or a free buffer place. */
  private canAccept(i: number): boolean {
    return (this.idleServers[i] > 0 && this.downCount[i] === 0 && this.inShift[i] === 1) || this.waiting[i].length < this.capacity[i];
  }

  /** Puts part p into station i (the caller checked canAccept). */
  private accept(i: number, p: number): void {
    this.touch(i);
    if (this.idleServers[i] > 0 && this.available(i)) this.startOn(this.pickIdle(i, this.partType[p]), i, p);
    else {
      const q = this.waiting[i];
      q.push(p);
      if (q.length > this.maxQueue[i]) this.maxQueue[i] = q.length;
    }
  }

  /** An idle server of station i, preferring one already set up for type t. */
  private pickIdle(i: number, t: number): number {
    const base = this.serverBase[i];
    const n = this.servers[i];
    if (n === 1) return base;
    let first = -1;
    for (let s = base; s < base + n; s++) {
      if (this.serverState[s] !== IDLE) continue;
      if (this.lastType[s] === t) return s;
      if (first < 0) first = s;
    }
    return first;
  }

  private startOn(s: number, i: number, p: number): void {
    this.idleServers[i]--;
    this.serverPart[s] = p;
    const t = this.partType[p];
    const previous = this.lastType[s];
    this.lastType[s] = t;
    const setup = this.setupTime[i];
    if (setup !== null && previous !== t && previous !== -1) {
      this.serverState[s] = SETUP;
      this.setupServers[i]++;
      if (this.observing) this.setups[i]++;
      this.endTime[s] = this.now + setup();
      this.queue.push(this.endTime[s], SERVICE_END | (s << KIND_BITS), this.epoch[s]);
    } else this.beginWork(s, i);
  }

  private beginWork(s: number, i: number): void {
    this.serverState[s] = WORK;
    this.workingServers[i]++;
    this.endTime[s] = this.now + this.processTime[i * this.nTypes + this.partType[this.serverPart[s]]]();
    this.queue.push(this.endTime[s], SERVICE_END | (s << KIND_BITS), this.epoch[s]);
  }

  private serviceEnd(s: number, epoch: number): void {
    if (epoch !== this.epoch[s]) return; // superseded by a pause
    const i = this.stationOf[s];
    this.touch(i);
    if (this.serverState[s] === SETUP) {
      this.setupServers[i]--;
      return this.beginWork(s, i);
    }
    this.workingServers[i]--;
    const p = this.serverPart[s];
    const t = this.partType[p];
    if (this.observing) {
      this.processed[i]++;
      this.idealWork[i] += this.idealTime[i * this.nTypes + t];
    }
    if (this.scrapProbability[i] > 0 && this.scrapRandom[i].next() < this.scrapProbability[i]) {
      if (this.observing) this.scrapped[i]++;
      return this.leave(s, i, p, false);
    }
    const to = this.route(i, t);
    if (to < 0) return this.leave(s, i, p, true);
    if (this.canAccept(to)) {
      this.accept(to, p);
      this.freeServer(s, i);
    } else {
      this.serverState[s] = BLOCKED; // blocked after service: the part stays on its server
      this.blockedServers[i]++;
      this.waiters[to].push(s);
    }
  }

  private route(i: number, t: number): number {
    const kind = this.routeKind[i];
    if (kind === ROUTE_TO) return this.routeTo[i];
    if (kind === ROUTE_EXIT) return -1;
    const route = this.plant.stations[i].route;
    if (kind === ROUTE_BY_PRODUCT) return route.targets[t];
    const u = this.routeRandom[i].next();
    let j = 0;
    while (u >= route.cumulative[j]) j++;
    return route.targets[j];
  }

  private freeServer(s: number, i: number): void {
    this.serverState[s] = IDLE;
    this.serverPart[s] = -1;
    this.idleServers[i]++;
    this.pull(i);
  }

  /**
   * Station i may have room now: idle servers take waiting parts, then blocked parts / held
   * source parts enter in FIFO order; each blocked part that moves frees a server upstream, which
   * is handled the same way (an explicit stack, so long lines and loops cannot overflow the stack).
   */
  private pull(i: number): void {
    const stack = this.cascade;
    stack.push(i);
    while (stack.length > 0) {
      const j = stack.pop() as number;
      this.touch(j);
      if (this.available(j)) {
        const q = this.waiting[j];
        while (this.idleServers[j] > 0 && q.length > 0) {
          const p = q.shift();
          this.startOn(this.pickIdle(j, this.partType[p]), j, p);
        }
      }
      const w = this.waiters[j];
      while (w.length > 0 && this.canAccept(j)) {
        const x = w.shift();
        if (x >= 0) {
          const u = this.stationOf[x];
          this.touch(u);
          const p = this.serverPart[x];
          this.blockedServers[u]--;
          this.serverState[x] = IDLE;
          this.serverPart[x] = -1;
          this.idleServers[u]++;
          this.accept(j, p);
          stack.push(u);
        } else {
          const k = -x - 1;
          const p = this.heldPart[k];
          this.heldPart[k] = -1;
          this.sourceBlocked[k] += this.now - Math.max(this.heldSince[k], this.statsStart);
          this.enterPlant(k, p);
        }
      }
    }
  }

  private leave(s: number, i: number, p: number, good: boolean): void {
    this.touchWip();
    this.wip--;
    const t = this.partType[p];
    if (good) this.goodDepartures++;
    if (this.observing) {
      if (good) {
        this.observedGood++;
        this.goodOut[t]++;
        const lead = this.now - this.entry[p];
        this.leadSum[t] += lead;
        if (lead > this.leadMax[t]) this.leadMax[t] = lead;
      } else this.scrapOut[t]++;
    }
    this.freeSlots[this.freeCount++] = p;
    this.freeServer(s, i);
    if (good && this.goodDepartures === this.warmupParts && !this.observing) this.resetStats();
    if (this.observedGood >= this.partsTarget) this.stopReason = 'parts';
    this.checkDrained();
  }

  private checkDrained(): void {
    if (this.wip === 0 && this.activeSources === 0 && this.until === Infinity && this.stopReason === null) this.stopReason = 'drained';
  }

  // ---- down time and shifts --------------------------------------------------------------------

  private goDown(i: number): void {
    this.touch(i);
    if (++this.downCount[i] === 1) this.pause(i);
  }

  private goUp(i: number): void {
    this.touch(i);
    if (--this.downCount[i] > 0) return;
    const base = this.serverBase[i];
    for (let s = base; s < base + this.servers[i]; s++) {
      if (this.serverState[s] !== PAUSED) continue;
      const state = (this.serverState[s] = this.pausedState[s]);
      if (state === SETUP) this.setupServers[i]++;
      else this.workingServers[i]++;
      this.endTime[s] = this.now + this.remaining[s];
      this.queue.push(this.endTime[s], SERVICE_END | (s << KIND_BITS), this.epoch[s]);
    }
    this.pull(i);
  }

  /** Preempt: parts in service or setup keep their remaining time; their pending events go stale. */
  private pause(i: number): void {
    const base = this.serverBase[i];
    for (let s = base; s < base + this.servers[i]; s++) {
      const state = this.serverState[s];
      if (state !== WORK && state !== SETUP) continue;
      if (state === WORK) this.workingServers[i]--;
      else this.setupServers[i]--;
      this.pausedState[s] = state;
      this.serverState[s] = PAUSED;
      this.remaining[s] = this.endTime[s] - this.now;
      this.epoch[s]++;
    }
  }

  private failure(i: number): void {
    this.goDown(i);
    this.queue.push(this.now + (this.timeToRepair[i] as Sampler)(), REPAIR | (i << KIND_BITS), 0);
  }

  private repair(i: number): void {
    const nextFailure = this.timeToFailure[i];
    if (nextFailure) this.queue.push(this.now + nextFailure(), FAILURE | (i << KIND_BITS), 0);
    this.goUp(i);
  }

  private maintenanceStart(e: number): void {
    const { i, w } = this.maintenance[e];
    this.goDown(i);
    this.queue.push(maintenanceStart(w, this.maintenanceIndex[e]) + w.duration, MAINTENANCE_END | (e << KIND_BITS), 0);
  }

  private maintenanceEnd(e: number): void {
    const { i, w } = this.maintenance[e];
    this.queue.push(maintenanceStart(w, ++this.maintenanceIndex[e]), MAINTENANCE_START | (e << KIND_BITS), 0);
    this.goUp(i);
  }

  private shiftChange(c: number): void {
    const clock = this.clocks[c];
    const on = clock.advance() ? 1 : 0;
    this.queue.push(clock.nextChange, SHIFT_CHANGE | (c << KIND_BITS), 0);
    for (let i = 0; i < this.m; i++) {
      if (this.plant.stations[i].calendar !== c) continue;
      this.touch(i);
      this.inShift[i] = on;
      if (on) this.pull(i);
    }
    if (c !== this.plant.plantCalendar) return;
    this.sourcesInShift = on;
    if (on)
      for (let k = 0; k < this.plant.sources.length; k++) {
        if (!this.waitingForShift[k]) continue;
        this.waitingForShift[k] = 0;
        this.release(k);
      }
  }
}
