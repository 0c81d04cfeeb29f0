/**
 * What the simulator knows of the plant: for each signal it follows, the latest value and a
 * bounded history (a ring of time/value pairs). The latest values are the synchronised start of
 * every run; the history is what calibration and residual learning fit against.
 */
import { InputError } from '../errors';

export interface SeriesPoints {
  /** Epoch ms. */
  t: number[];
  v: number[];
}

class Ring {
  private readonly times: Float64Array;
  private readonly values: Float64Array;
  private start = 0;
  size = 0;

  constructor(capacity: number) {
    this.times = new Float64Array(capacity);
    this.values = new Float64Array(capacity);
  }

  get capacity(): number {
    return this.times.length;
  }

  push(time: number, value: number): void {
    const end = (this.start + this.size) % this.capacity;
    this.times[end] = time;
    this.values[end] = value;
    if (this.size < this.capacity) this.size++;
    else this.start = (this.start + 1) % this.capacity;
  }

  timeAt(i: number): number {
    return this.times[(this.start + i) % this.capacity];
  }

  valueAt(i: number): number {
    return this.values[(this.start + i) % this.capacity];
  }
}

export class SignalHistory {
  private readonly rings = new Map<string, Ring>();

  /** `keys`: the signals followed; others are ignored (observe returns false). */
  constructor(keys: Iterable<string>, private readonly capacity = 20000) {
    for (const key of keys) this.rings.set(key, new Ring(capacity));
  }

  follows(key: string): boolean {
    return this.rings.has(key);
  }

  get keys(): string[] {
    return [...this.rings.keys()];
  }

  /**
   * Records a value; false when the key is not followed. Older than the newest: ignored (the plant
   * does not go back in time; ingest already drops out-of-order samples).
   */
  observe(key: string, value: number, time: number): boolean {
    const ring = this.rings.get(key);
    if (!ring) return false;
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new InputError('not a number', `the simulator follows ${key} and needs a finite number`, key);
    if (!Number.isFinite(time)) throw new InputError('bad time', `sample of ${key} has no valid time`, key);
    if (ring.size > 0 && time < ring.timeAt(ring.size - 1)) return true;
    ring.push(time, value);
    return true;
  }

  latest(key: string): { value: number; time: number } | undefined {
    const ring = this.rings.get(key);
    if (!ring || ring.size === 0) return undefined;
    return { value: ring.valueAt(ring.size - 1), time: ring.timeAt(ring.size - 1) };
  }

  /** Points with from <= t <= to (epoch ms). */
  between(key: string, from: number, to: number): SeriesPoints {
    const ring = this.rings.get(key);
    const out: SeriesPoints = { t: [], v: [] };
    if (!ring) return out;
    for (let i = 0; i < ring.size; i++) {
      const t = ring.timeAt(i);
      if (t >= from && t <= to) {
        out.t.push(t);
        out.v.push(ring.valueAt(i));
      }
    }
    return out;
  }

  /** Value at time t, linear between neighbours; undefined outside the recorded span. */
  valueAt(key: string, t: number): number | undefined {
    const ring = this.rings.get(key);
    if (!ring || ring.size === 0 || t < ring.timeAt(0) || t > ring.timeAt(ring.size - 1)) return undefined;
    let lo = 0;
    let hi = ring.size - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (ring.timeAt(mid) <= t) lo = mid;
      else hi = mid;
    }
    const t0 = ring.timeAt(lo);
    const t1 = ring.timeAt(hi);
    if (t1 === t0) return ring.valueAt(hi);
    return ring.valueAt(lo) + ((ring.valueAt(hi) - ring.valueAt(lo)) * (t - t0)) / (t1 - t0);
  }

  /** Earliest time of a key's recorded span. */
  firstTime(key: string): number | undefined {
    const ring = this.rings.get(key);
    return ring && ring.size > 0 ? ring.timeAt(0) : undefined;
  }

  count(key: string): number {
    return this.rings.get(key)?.size ?? 0;
  }

  toJSON(): Record<string, SeriesPoints> {
    const out: Record<string, SeriesPoints> = {};
    for (const key of this.rings.keys()) out[key] = this.between(key, -Infinity, Infinity);
    return out;
  }

  /** Restores saved points of the keys still followed; malformed entries are skipped. */
  restore(saved: unknown): number {
    if (saved === null || typeof saved !== 'object') return 0;
    let restored = 0;
    for (const [key, points] of Object.entries(saved as Record<string, SeriesPoints>)) {
      if (!this.rings.has(key) || !points || !Array.isArray(points.t) || !Array.isArray(points.v)) continue;
      const n = Math.min(points.t.length, points.v.length);
      for (let i = Math.max(0, n - this.capacity); i < n; i++) {
        if (Number.isFinite(points.t[i]) && Number.isFinite(points.v[i])) {
          this.observe(key, points.v[i], points.t[i]);
          restored++;
        }
      }
    }
    return restored;
  }
}
