/**
 * RobustScale: an online centre and scale (sigma) of one stream, robust to outliers.
 *
 * Why not mean and standard deviation: one spike of 1000 sigma would move them for hundreds of
 * samples and hide the next real anomaly. Here each sample's influence is bounded (a one-step
 * Huber M-estimate):
 *
 *   bootstrap (the first `bootstrapSamples`): exact mean and sample standard deviation (Welford);
 *   then, with k = max(rate, 1 / (count + 1)) and r = x - centre (centre before this sample),
 *     w      = r clipped to +-clip * sigma          (winsorised residual)
 *     centre = centre + k * w
 *     sigma  = sigma + k * (|w| * sqrt(pi/2) - sigma)
 *
 * sqrt(pi/2) = 1.2533 turns a mean absolute deviation into sigma for Gaussian data
 * (E|Z| = sqrt(2/pi)); clipping at 3 sigma lowers it by about 0.1 %, which we accept.
 * An outlier moves the centre by at most k*clip*sigma. A sustained change is still learned:
 * sigma grows by a factor of up to 1 + k*(clip*1.2533 - 1) per sample.
 * `minScale` keeps the normalised residual finite on a signal that has never moved.
 */
import { ConfigError, InputError } from '../errors';

export interface RobustScaleOptions {
  /** EWMA rate once past the bootstrap (effective memory about 1/rate samples). Default 0.01. */
  rate?: number;
  /** Winsorising limit in sigmas. Default 3. */
  clip?: number;
  /** Samples averaged exactly before the robust updates start. Default 20. */
  bootstrapSamples?: number;
  /** Smallest sigma used to normalise. Default 1e-9. */
  minScale?: number;
}

export interface RobustScaleState {
  count: number;
  centre: number;
  sigma: number;
  /** Welford's sum of squared deviations, used during the bootstrap only. */
  m2: number;
}

const SQRT_HALF_PI = Math.sqrt(Math.PI / 2);

export function positive(name: string, value: number | undefined, fallback: number, integer = false): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v))) {
    throw new ConfigError(`bad ${name}`, `${name} must be a positive ${integer ? 'integer' : 'number'}, got ${String(v)}`);
  }
  return v;
}

export class RobustScale {
  readonly rate: number;
  readonly clip: number;
  readonly bootstrapSamples: number;
  readonly minScale: number;
  private count = 0;
  private centreValue = 0;
  private sigmaValue = 0;
  private m2 = 0;

  constructor(options: RobustScaleOptions = {}) {
    this.rate = positive('rate', options.rate, 0.01);
    if (this.rate > 1) throw new ConfigError('bad rate', 'rate must be at most 1');
    this.clip = positive('clip', options.clip, 3);
    this.bootstrapSamples = positive('bootstrapSamples', options.bootstrapSamples, 20, true);
    this.minScale = positive('minScale', options.minScale, 1e-9);
  }

  get centre(): number {
    return this.centreValue;
  }
  /** The sigma estimate (0 until two samples are in). */
  get sigma(): number {
    return this.sigmaValue;
  }
  get samples(): number {
    return this.count;
  }
  /** True once the bootstrap is over and the scale can be trusted for clipping. */
  get ready(): boolean {
    return this.count >= this.bootstrapSamples;
  }

  /** Sigma floored at minScale: what to divide by. */
  scale(): number {
    return this.sigmaValue > this.minScale ? this.sigmaValue : this.minScale;
  }

  /** (x - centre) / scale. */
  normalise(x: number): number {
    return (x - this.centreValue) / this.scale();
  }

  update(x: number): void {
    const n = this.count;
    if (n < this.bootstrapSamples) {
      const d = x - this.centreValue;
      this.centreValue += d / (n + 1);
      this.m2 += d * (x - this.centreValue);
      this.sigmaValue = n >= 1 ? Math.sqrt(this.m2 / n) : 0;
    } else {
      const k = this.rate > 1 / (n + 1) ? this.rate : 1 / (n + 1);
      const limit = this.clip * this.scale();
      const r = x - this.centreValue;
      const w = r > limit ? limit : r < -limit ? -limit : r;
      this.centreValue += k * w;
      this.sigmaValue += k * ((w < 0 ? -w : w) * SQRT_HALF_PI - this.sigmaValue);
    }
    this.count = n + 1;
  }

  reset(): void {
    this.count = 0;
    this.centreValue = 0;
    this.sigmaValue = 0;
    this.m2 = 0;
  }

  toJSON(): RobustScaleState {
    return { count: this.count, centre: this.centreValue, sigma: this.sigmaValue, m2: this.m2 };
  }

  static fromJSON(data: RobustScaleState, options: RobustScaleOptions = {}): RobustScale {
    const s = new RobustScale(options);
    s.restore(data);
    return s;
  }

  /** Loads saved state into this instance (options stay as constructed). */
  restore(data: RobustScaleState): void {
    if (!data || !finite(data.count) || data.count < 0 || !finite(data.centre) || !finite(data.sigma) || data.sigma < 0 || !finite(data.m2)) {
      throw new InputError('bad saved state', 'robust scale: count, centre, sigma and m2 must be finite numbers');
    }
    this.count = data.count;
    this.centreValue = data.centre;
    this.sigmaValue = data.sigma;
    this.m2 = data.m2;
  }
}

export function finite(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}
