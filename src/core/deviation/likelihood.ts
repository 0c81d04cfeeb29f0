/**
 * AnomalyLikelihood: how unusual the recent anomaly scores are, after Numenta's anomaly
 * likelihood (Ahmad et al. 2017, "Unsupervised real-time anomaly detection for streaming data").
 *
 * A single high score is common on a noisy signal; a run of them is not. So:
 *   short mean  = mean of the last `shortWindow` scores
 *   long window = the last `longWindow` short means, with mean mu and standard deviation s
 *                 (s floored at `minStd`, as Numenta floors the variance at 0.0003)
 *   likelihood  = 1 - P(Z > (short mean - mu) / s)      in [0, 1]
 * The current short mean is compared to the long window *before* it joins it, so a burst does
 * not dilute itself. Until the long window holds `minHistory` means, the likelihood is 0.5
 * ("no opinion", as Numenta's learning period).
 */
import { ConfigError, InputError } from '../errors';
import { upperTail } from './gaussian';
import { finite, positive } from './robust-scale';

export interface LikelihoodOptions {
  /** Scores averaged into the short mean. Default 10. */
  shortWindow?: number;
  /** Short means kept as the reference distribution. Default 1000. */
  longWindow?: number;
  /** Short means needed before an opinion. Default 100. */
  minHistory?: number;
  /** Floor of the reference standard deviation. Default sqrt(0.0003) = 0.0173. */
  minStd?: number;
}

export interface LikelihoodState {
  /** Recent scores, oldest first. */
  short: number[];
  /** Reference short means, oldest first. */
  long: number[];
  /** The running sums (long sum, long squares, updates since recomputed, short sum), so a restored copy rounds alike. */
  sums?: number[];
}

export class AnomalyLikelihood {
  readonly shortWindow: number;
  readonly longWindow: number;
  readonly minHistory: number;
  readonly minStd: number;
  private readonly short: Float64Array;
  private shortNext = 0;
  private shortCount = 0;
  private shortSum = 0;
  private readonly long: Float64Array;
  private longNext = 0;
  private longCount = 0;
  private longSum = 0;
  private longSquares = 0;
  private sinceExactSums = 0;

  constructor(options: LikelihoodOptions = {}) {
    this.shortWindow = positive('shortWindow', options.shortWindow, 10, true);
    this.longWindow = positive('longWindow', options.longWindow, 1000, true);
    this.minHistory = positive('minHistory', options.minHistory, 100, true);
    if (this.minHistory > this.longWindow) throw new ConfigError('bad minHistory', 'minHistory must not exceed longWindow');
    this.minStd = positive('minStd', options.minStd, Math.sqrt(0.0003));
    this.short = new Float64Array(this.shortWindow);
    this.long = new Float64Array(this.longWindow);
  }

  /** Mean of the recent scores (0 when none). */
  get shortMean(): number {
    return this.shortCount > 0 ? this.shortSum / this.shortCount : 0;
  }
  /** Short means in the reference window. */
  get history(): number {
    return this.longCount;
  }

  /**
   * Adds a score in [0, 1] and returns the likelihood. With `learn` false (a frozen detector)
   * the reference window is left as it is; the short window always moves, it is the present.
   */
  update(score: number, learn = true): number {
    if (this.shortCount === this.shortWindow) this.shortSum -= this.short[this.shortNext];
    else this.shortCount++;
    this.short[this.shortNext] = score;
    this.shortSum += score;
    this.shortNext = (this.shortNext + 1) % this.shortWindow;
    const recent = this.shortSum / this.shortCount;
    const likelihood = this.likelihoodOf(recent);
    if (learn) this.remember(recent);
    return likelihood;
  }

  /** The likelihood of a short mean against the reference window, without changing anything. */
  likelihoodOf(shortMean: number): number {
    if (this.longCount < this.minHistory) return 0.5;
    const mean = this.longSum / this.longCount;
    const variance = this.longSquares / this.longCount - mean * mean;
    const sd = variance > 0 ? Math.sqrt(variance) : 0;
    return 1 - upperTail((shortMean - mean) / (sd > this.minStd ? sd : this.minStd));
  }

  /** Forgets the recent scores only (after a gap the present starts again). */
  clearRecent(): void {
    this.short.fill(0);
    this.shortNext = 0;
    this.shortCount = 0;
    this.shortSum = 0;
  }

  reset(): void {
    this.clearRecent();
    this.long.fill(0);
    this.longNext = 0;
    this.longCount = 0;
    this.longSum = 0;
    this.longSquares = 0;
    this.sinceExactSums = 0;
  }

  private remember(value: number): void {
    if (this.longCount === this.longWindow) {
      const old = this.long[this.longNext];
      this.longSum -= old;
      this.longSquares -= old * old;
    } else this.longCount++;
    this.long[this.longNext] = value;
    this.longSum += value;
    this.longSquares += value * value;
    this.longNext = (this.longNext + 1) % this.longWindow;
    // Running sums lose precision by subtraction; recompute them once per window (O(1) amortised).
    if (++this.sinceExactSums >= this.longWindow) this.exactSums();
  }

  private exactSums(): void {
    let sum = 0;
    let squares = 0;
    for (let i = 0; i < this.longCount; i++) {
      sum += this.long[i];
      squares += this.long[i] * this.long[i];
    }
    this.longSum = sum;
    this.longSquares = squares;
    this.sinceExactSums = 0;
  }

  toJSON(): LikelihoodState {
    return {
      short: ordered(this.short, this.shortNext, this.shortCount),
      long: ordered(this.long, this.longNext, this.longCount),
      sums: [this.longSum, this.longSquares, this.sinceExactSums, this.shortSum],
    };
  }

  restore(data: LikelihoodState): void {
    if (!data || !Array.isArray(data.short) || !Array.isArray(data.long) || !data.short.every(finite) || !data.long.every(finite)) {
      throw new InputError('bad saved state', 'likelihood: short and long must be arrays of finite numbers');
    }
    this.reset();
    // Keep the newest values when the saved windows were longer than ours.
    for (const v of data.long.slice(-this.longWindow)) this.remember(v);
    for (const v of data.short.slice(-this.shortWindow)) {
      this.short[this.shortNext] = v;
      this.shortSum += v;
      this.shortCount++;
      this.shortNext = (this.shortNext + 1) % this.shortWindow;
    }
    this.exactSums();
    const sums = data.sums;
    if (Array.isArray(sums) && sums.length === 4 && sums.every(finite) && data.long.length <= this.longWindow && data.short.length <= this.shortWindow) {
      [this.longSum, this.longSquares, this.sinceExactSums, this.shortSum] = sums;
    }
  }
}

/** Ring contents oldest first. */
function ordered(ring: Float64Array, next: number, count: number): number[] {
  const out: number[] = [];
  const start = count < ring.length ? 0 : next;
  for (let i = 0; i < count; i++) out.push(ring[(start + i) % ring.length]);
  return out;
}
