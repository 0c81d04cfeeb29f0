/**
 * Streaming drift tests on a residual stream. Both answer, per sample, 'none', 'warning' or
 * 'drift', and reset themselves after a drift so the next change is measured from the new level.
 *
 * PageHinkley: fast on a sustained mean shift of known size (two-sided). Adwin: needs no shift
 * size, keeps an adaptive window and cuts it where its two halves differ beyond a Hoeffding/
 * Bernstein bound; slower but with a guaranteed false-alarm rate. SignalDetector runs both.
 */
import { ConfigError, InputError } from '../errors';
import { finite, positive } from './robust-scale';

export type DriftState = 'none' | 'warning' | 'drift';

export interface PageHinkleyOptions {
  /** Tolerated change of the mean, in the input's units. Default 0.5. */
  delta?: number;
  /** Detection threshold on the cumulative deviation. Default 25. */
  lambda?: number;
  /** Forgetting factor of the cumulative sums (1 = none). Default 0.9999. */
  alpha?: number;
  /** Samples after a (re)start before a drift can be declared. Default 30. */
  minSamples?: number;
  /** A warning once the statistic passes this fraction of lambda. Default 0.5. */
  warningFraction?: number;
}

/**
 * Page-Hinkley, two-sided (as in River): with the running mean m of the inputs,
 *   up   = alpha * up   + (x - m - delta),  stat up   = up - min(up)
 *   down = alpha * down + (x - m + delta),  stat down = max(down) - down
 * drift when a stat exceeds lambda, warning above warningFraction * lambda.
 */
export class PageHinkley {
  readonly delta: number;
  readonly lambda: number;
  readonly alpha: number;
  readonly minSamples: number;
  readonly warningFraction: number;
  private count = 0;
  private mean = 0;
  private up = 0;
  private upMin = 0;
  private down = 0;
  private downMax = 0;

  constructor(options: PageHinkleyOptions = {}) {
    this.delta = options.delta ?? 0.5;
    if (!finite(this.delta) || this.delta < 0) throw new ConfigError('bad delta', 'delta must be a number >= 0');
    this.lambda = positive('lambda', options.lambda, 25);
    this.alpha = positive('alpha', options.alpha, 0.9999);
    if (this.alpha > 1) throw new ConfigError('bad alpha', 'alpha must be at most 1');
    this.minSamples = positive('minSamples', options.minSamples, 30, true);
    this.warningFraction = positive('warningFraction', options.warningFraction, 0.5);
  }

  /** The larger of the two statistics (for display and tests). */
  get statistic(): number {
    return Math.max(this.up - this.upMin, this.downMax - this.down);
  }

  update(x: number): DriftState {
    this.count++;
    this.mean += (x - this.mean) / this.count;
    const dev = x - this.mean;
    this.up = this.alpha * this.up + dev - this.delta;
    this.down = this.alpha * this.down + dev + this.delta;
    if (this.up < this.upMin) this.upMin = this.up;
    if (this.down > this.downMax) this.downMax = this.down;
    const stat = this.statistic;
    if (this.count < this.minSamples) return 'none';
    if (stat > this.lambda) {
      this.reset();
      return 'drift';
    }
    return stat > this.warningFraction * this.lambda ? 'warning' : 'none';
  }

  reset(): void {
    this.count = 0;
    this.mean = 0;
    this.up = 0;
    this.upMin = 0;
    this.down = 0;
    this.downMax = 0;
  }

  toJSON(): number[] {
    return [this.count, this.mean, this.up, this.upMin, this.down, this.downMax];
  }

  restore(data: number[]): void {
    if (!Array.isArray(data) || data.length !== 6 || !data.every(finite)) {
      throw new InputError('bad saved state', 'page-hinkley: six finite numbers expected');
    }
    [this.count, this.mean, this.up, this.upMin, this.down, this.downMax] = data;
  }
}

export interface AdwinOptions {
  /** Confidence of a cut: a false drift has probability below about delta. Default 0.002. */
  delta?: number;
  /** The same test with a looser confidence gives 'warning'. Default 0.05. */
  warningDelta?: number;
  /** Buckets kept per size before two are merged (memory and precision). Default 5. */
  maxBuckets?: number;
  /** Cut test every `clock` samples (cost). Default 32. */
  clock?: number;
  /** Smallest sub-window on either side of a cut. Default 5. */
  minSubWindow?: number;
  /** Longest window in samples; older buckets are dropped (bounded memory). Default 32768. */
  maxWindow?: number;
}

/** A bucket row: buckets of 2^row samples each, oldest first. */
interface Row {
  totals: number[];
  /** Sum of squared deviations from the bucket's own mean. */
  variances: number[];
}

/**
 * ADWIN (Bifet and Gavalda 2007) over an exponential histogram: rows of at most maxBuckets
 * buckets of 1, 2, 4, ... samples, so memory is O(maxBuckets * log2(maxWindow)). Every `clock`
 * samples each split between buckets is tested, with n0, n1 the sizes, m = 1/n0 + 1/n1,
 * v the window's variance and d = ln(2 ln(W) / delta):
 *   |mean0 - mean1| > sqrt(2 m v d) + 2/3 d m   ->  drop the oldest bucket (drift), repeat.
 */
export class Adwin {
  readonly delta: number;
  readonly warningDelta: number;
  readonly maxBuckets: number;
  readonly clock: number;
  readonly minSubWindow: number;
  readonly maxWindow: number;
  private rows: Row[] = [];
  private width = 0;
  private total = 0;
  private variance = 0;
  private tick = 0;
  private warning = false;

  constructor(options: AdwinOptions = {}) {
    this.delta = positive('delta', options.delta, 0.002);
    this.warningDelta = positive('warningDelta', options.warningDelta, 0.05);
    if (this.delta >= 1 || this.warningDelta >= 1) throw new ConfigError('bad delta', 'delta and warningDelta must be below 1');
    this.maxBuckets = positive('maxBuckets', options.maxBuckets, 5, true);
    if (this.maxBuckets < 2) throw new ConfigError('bad maxBuckets', 'maxBuckets must be at least 2');
    this.clock = positive('clock', options.clock, 32, true);
    this.minSubWindow = positive('minSubWindow', options.minSubWindow, 5, true);
    this.maxWindow = positive('maxWindow', options.maxWindow, 32768, true);
  }

  /** Samples in the current window. */
  get windowLength(): number {
    return this.width;
  }
  get windowMean(): number {
    return this.width > 0 ? this.total / this.width : 0;
  }
  /** Buckets held: the memory bound. */
  get buckets(): number {
    let n = 0;
    for (const row of this.rows) n += row.totals.length;
    return n;
  }

  update(x: number): DriftState {
    this.insert(x);
    while (this.width > this.maxWindow) this.dropOldest();
    if (++this.tick < this.clock) return this.warning ? 'warning' : 'none';
    this.tick = 0;
    let cut = false;
    while (this.cutOnce()) cut = true;
    if (cut) {
      this.warning = false;
      return 'drift';
    }
    return this.warning ? 'warning' : 'none';
  }

  private insert(x: number): void {
    if (this.rows.length === 0) this.rows.push({ totals: [], variances: [] });
    if (this.width > 0) {
      const mean = this.total / this.width;
      this.variance += (this.width / (this.width + 1)) * (x - mean) * (x - mean);
    }
    this.width++;
    this.total += x;
    this.rows[0].totals.push(x);
    this.rows[0].variances.push(0);
    // Merge the two oldest buckets of any full row into one of the next row (the newest there).
    for (let i = 0; i < this.rows.length; i++) {
      const row = this.rows[i];
      if (row.totals.length <= this.maxBuckets) break;
      const size = 2 ** i;
      const [t1, t2] = row.totals.splice(0, 2);
      const [v1, v2] = row.variances.splice(0, 2);
      const diff = t1 / size - t2 / size;
      if (i + 1 === this.rows.length) this.rows.push({ totals: [], variances: [] });
      this.rows[i + 1].totals.push(t1 + t2);
      this.rows[i + 1].variances.push(v1 + v2 + (size / 2) * diff * diff);
    }
  }

  private dropOldest(): void {
    let i = this.rows.length - 1;
    while (i > 0 && this.rows[i].totals.length === 0) i--;
    const row = this.rows[i];
    const n = 2 ** i;
    const t = row.totals.shift() as number;
    const v = row.variances.shift() as number;
    const rest = this.width - n;
    if (rest > 0) {
      const diff = t / n - (this.total - t) / rest;
      this.variance -= v + ((n * rest) / this.width) * diff * diff;
      if (this.variance < 0) this.variance = 0;
    } else this.variance = 0;
    this.width = rest;
    this.total -= t;
    while (this.rows.length > 1 && this.rows[this.rows.length - 1].totals.length === 0) this.rows.pop();
  }

  /** Tests every split, oldest first; drops the oldest bucket on the first cut found. */
  private cutOnce(): boolean {
    if (this.width < 2 * this.minSubWindow) return false;
    const v = this.variance / this.width;
    const logW = Math.log(this.width);
    const d = Math.log((2 * logW) / this.delta);
    const dWarn = Math.log((2 * logW) / this.warningDelta);
    let n0 = 0;
    let s0 = 0;
    this.warning = false;
    for (let i = this.rows.length - 1; i >= 0; i--) {
      const size = 2 ** i;
      for (const t of this.rows[i].totals) {
        n0 += size;
        s0 += t;
        const n1 = this.width - n0;
        if (n1 < this.minSubWindow) return false;
        if (n0 < this.minSubWindow) continue;
        const diff = Math.abs(s0 / n0 - (this.total - s0) / n1);
        const m = 1 / n0 + 1 / n1;
        if (diff > Math.sqrt(2 * m * v * d) + (2 / 3) * d * m) {
          this.dropOldest();
          return true;
        }
        if (diff > Math.sqrt(2 * m * v * dWarn) + (2 / 3) * dWarn * m) this.warning = true;
      }
    }
    return false;
  }

  reset(): void {
    this.rows = [];
    this.width = 0;
    this.total = 0;
    this.variance = 0;
    this.tick = 0;
    this.warning = false;
  }

  toJSON(): { rows: Row[]; width: number; total: number; variance: number; tick: number; warning: boolean } {
    return { rows: this.rows.map((r) => ({ totals: [...r.totals], variances: [...r.variances] })), width: this.width, total: this.total, variance: this.variance, tick: this.tick, warning: this.warning };
  }

  restore(data: ReturnType<Adwin['toJSON']>): void {
    const ok = data && Array.isArray(data.rows) && finite(data.width) && finite(data.total) && finite(data.variance) && finite(data.tick) &&
      data.rows.every((r) => r && Array.isArray(r.totals) && Array.isArray(r.variances) && r.totals.length === r.variances.length && r.totals.every(finite) && r.variances.every(finite));
    if (!ok) throw new InputError('bad saved state', 'adwin: rows of finite totals and variances expected');
    this.rows = data.rows.map((r) => ({ totals: [...r.totals], variances: [...r.variances] }));
    this.width = data.width;
    this.total = data.total;
    this.variance = data.variance;
    this.tick = data.tick;
    this.warning = data.warning === true;
  }
}
