/**
 * Time windows for the plant engine: a periodic shift calendar and periodic maintenance windows.
 * Both step through their change points by index (cycle × period + offset), never by adding
 * durations, so long runs do not drift and a boundary always falls exactly where it is defined.
 */
import { ConfigError } from '../../errors';

export interface ShiftSpec {
  start: number;
  end: number;
}

/**
 * Shifts repeat every `period` (e.g. 168 h = one week, in the model's time unit). Each shift is
 * [start, end) with 0 <= start < end <= period; a night shift across the period boundary is given
 * as two shifts (e.g. 22–24 and 0–6). Touching shifts merge.
 */
export interface ShiftCalendarSpec {
  shifts: ShiftSpec[];
  period: number;
}

/** Periodic planned maintenance: windows [offset + k·every, offset + k·every + duration), k any integer. */
export interface MaintenanceSpec {
  every: number;
  duration: number;
  /** Start of one window (default 0: a window starts at time 0). */
  offset?: number;
}

const finite = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

export function validateCalendar(c: unknown, where: string): asserts c is ShiftCalendarSpec {
  const bad = (why: string): never => {
    throw new ConfigError('bad calendar', `${where}: ${why}`);
  };
  if (c === null || typeof c !== 'object') bad('calendar must be an object {shifts, period}');
  const cal = c as Record<string, unknown>;
  if (!finite(cal.period) || cal.period <= 0) bad('calendar period must be a finite number > 0');
  const period = cal.period as number;
  if (!Array.isArray(cal.shifts) || cal.shifts.length === 0) bad('calendar shifts must be a non-empty list of {start, end}');
  const shifts = (cal.shifts as unknown[]).map((s, k) => {
    if (s === null || typeof s !== 'object') bad(`shift ${k + 1} must be an object {start, end}`);
    const { start, end } = s as Record<string, unknown>;
    if (!finite(start) || !finite(end) || start < 0 || end <= start || end > period)
      bad(`shift ${k + 1} needs 0 <= start < end <= period (${period})`);
    return { start: start as number, end: end as number };
  });
  shifts.sort((a, b) => a.start - b.start);
  for (let k = 1; k < shifts.length; k++)
    if (shifts[k].start < shifts[k - 1].end) bad(`shifts overlap (${shifts[k - 1].start}–${shifts[k - 1].end} and ${shifts[k].start}–${shifts[k].end})`);
}

export function validateMaintenance(list: unknown, where: string): asserts list is MaintenanceSpec[] {
  const bad = (why: string): never => {
    throw new ConfigError('bad maintenance', `${where}: ${why}`);
  };
  if (!Array.isArray(list)) bad('maintenance must be a list of {every, duration, offset?}');
  (list as unknown[]).forEach((w, k) => {
    if (w === null || typeof w !== 'object') bad(`maintenance ${k + 1} must be an object {every, duration, offset?}`);
    const { every, duration, offset } = w as Record<string, unknown>;
    if (!finite(every) || every <= 0) bad(`maintenance ${k + 1}: every must be a finite number > 0`);
    if (!finite(duration) || duration <= 0 || duration >= (every as number)) bad(`maintenance ${k + 1}: duration must be > 0 and < every`);
    if (offset !== undefined && !finite(offset)) bad(`maintenance ${k + 1}: offset must be a finite number`);
  });
}

/**
 * Walks the change points of a shift calendar. `start(t)` positions the clock at time t and
 * tells whether t is inside a shift; `nextChange` is then the next time the state flips and
 * `advance()` steps past it (returning the state after the flip).
 */
export class ShiftClock {
  /** Change points within [0, period) and the state after each. */
  private readonly points: number[] = [];
  private readonly onAfter: boolean[] = [];
  private readonly intervals: ShiftSpec[];
  private readonly period: number;
  private cycle = 0;
  private index = 0;
  nextChange = Infinity;

  constructor(spec: ShiftCalendarSpec) {
    this.period = spec.period;
    const sorted = spec.shifts.map((s) => ({ start: s.start, end: s.end })).sort((a, b) => a.start - b.start);
    const merged: ShiftSpec[] = [];
    for (const s of sorted) {
      const last = merged[merged.length - 1];
      if (last && s.start <= last.end) last.end = Math.max(last.end, s.end);
      else merged.push(s);
    }
    this.intervals = merged;
    const first = merged[0];
    const last = merged[merged.length - 1];
    // A shift ending at the period and one starting at 0 join across the boundary: no change there.
    const wraps = first.start === 0 && last.end === this.period;
    const changes: Array<[number, boolean]> = [];
    for (const s of merged) {
      if (!(wraps && s.start === 0)) changes.push([s.start, true]);
      if (!(wraps && s.end === this.period)) changes.push([s.end === this.period ? 0 : s.end, false]);
    }
    changes.sort((a, b) => a[0] - b[0]);
    for (const [t, on] of changes) {
      this.points.push(t);
      this.onAfter.push(on);
    }
  }

  /** Whether time t is inside a shift (shift start inclusive, end exclusive). */
  inShift(t: number): boolean {
    const phase = t - Math.floor(t / this.period) * this.period;
    for (const s of this.intervals) if (phase >= s.start && phase < s.end) return true;
    return false;
  }

  /** Positions the clock at t; returns whether t is inside a shift. */
  start(t: number): boolean {
    if (this.points.length === 0) {
      this.nextChange = Infinity;
      return true; // shifts cover the whole period
    }
    this.cycle = Math.floor(t / this.period);
    this.index = 0;
    this.nextChange = this.timeOf();
    while (this.nextChange <= t) this.step();
    return !this.onAfter[this.index]; // change points alternate on / off
  }

  /** Steps past the change at `nextChange`; returns the state from then on. */
  advance(): boolean {
    const on = this.onAfter[this.index];
    this.step();
    return on;
  }

  private step(): void {
    this.index++;
    if (this.index === this.points.length) {
      this.index = 0;
      this.cycle++;
    }
    this.nextChange = this.timeOf();
  }

  private timeOf(): number {
    return this.cycle * this.period + this.points[this.index];
  }
}

/** First window k (k·every + offset) whose end lies after t; its start may be <= t (t inside it). */
export function firstMaintenanceWindow(w: MaintenanceSpec, t: number): number {
  const offset = w.offset ?? 0;
  let k = Math.floor((t - offset) / w.every);
  if (offset + k * w.every + w.duration <= t) k++;
  return k;
}

export function maintenanceStart(w: MaintenanceSpec, k: number): number {
  return (w.offset ?? 0) + k * w.every;
}
