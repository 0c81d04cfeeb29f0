/**
 * LevelPredictor: what the signal should read next when no model sends an expected value.
 * Holt's level + trend smoothing in error-correction form, with the error winsorised so an
 * outlier cannot drag the expectation along (which would hide the samples after it):
 *   prediction = level + trend
 *   e          = (value - prediction) clipped to +-limit   (limit = clip * residual sigma)
 *   level      = prediction + levelRate * e
 *   trend      = trend + levelRate * trendRate * e
 * trendRate 0 (the default) is a plain EWMA of the level; give it 0.05..0.2 for ramping signals.
 * Time between samples is not used: the predictor works per sample.
 */
import { ConfigError, InputError } from '../errors';
import { finite, positive } from './robust-scale';

export interface LevelPredictorOptions {
  /** Default 0.1 (memory about 10 samples). */
  levelRate?: number;
  /** Default 0 (no trend). */
  trendRate?: number;
}

export class LevelPredictor {
  readonly levelRate: number;
  readonly trendRate: number;
  private level = 0;
  private trend = 0;
  private count = 0;

  constructor(options: LevelPredictorOptions = {}) {
    this.levelRate = positive('levelRate', options.levelRate, 0.1);
    this.trendRate = options.trendRate ?? 0;
    if (this.levelRate > 1 || !finite(this.trendRate) || this.trendRate < 0 || this.trendRate > 1) {
      throw new ConfigError('bad rate', 'levelRate must be in (0, 1], trendRate in [0, 1]');
    }
  }

  get ready(): boolean {
    return this.count > 0;
  }

  /** The expected next value; NaN before the first sample. */
  predict(): number {
    return this.count > 0 ? this.level + this.trend : NaN;
  }

  update(value: number, limit = Infinity): void {
    if (this.count++ === 0) {
      this.level = value;
      this.trend = 0;
      return;
    }
    const prediction = this.level + this.trend;
    const r = value - prediction;
    const e = r > limit ? limit : r < -limit ? -limit : r;
    this.level = prediction + this.levelRate * e;
    this.trend += this.levelRate * this.trendRate * e;
  }

  /** Starts again from this value (after a gap the old level may be stale). */
  reseed(value: number): void {
    this.level = value;
    this.trend = 0;
    this.count = Math.max(this.count, 1);
  }

  reset(): void {
    this.level = 0;
    this.trend = 0;
    this.count = 0;
  }

  toJSON(): number[] {
    return [this.count, this.level, this.trend];
  }

  restore(data: number[]): void {
    if (!Array.isArray(data) || data.length !== 3 || !data.every(finite)) throw new InputError('bad saved state', 'predictor: three finite numbers expected');
    [this.count, this.level, this.trend] = data;
  }
}
