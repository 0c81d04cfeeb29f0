/**
 * Seeded random numbers for the discrete-event core: mulberry32 (the same algorithm as
 * scripts/lib/seeded-random.js) and the distributions a line model uses. All parameters are in
 * the model's time unit; every distribution is described by its own mean / spread, not by the
 * parameters of an underlying normal.
 */
import { ConfigError } from '../../errors';

export type Distribution =
  | { kind: 'exponential'; mean: number }
  | { kind: 'deterministic'; value: number }
  | { kind: 'uniform'; min: number; max: number }
  | { kind: 'triangular'; min: number; mode: number; max: number }
  /** Normal truncated at 0 (negative draws are drawn again). */
  | { kind: 'normal'; mean: number; sd: number }
  /** Lognormal with the given mean and standard deviation of the variable itself. */
  | { kind: 'lognormal'; mean: number; sd: number };

export class SeededRandom {
  private state: number;
  private spare = 0;
  private hasSpare = false;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Standard normal N(0, 1), Box-Muller (both values of a pair are used). */
  gauss(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    const r = Math.sqrt(-2 * Math.log(1 - this.next()));
    const a = 2 * Math.PI * this.next();
    this.spare = r * Math.sin(a);
    this.hasSpare = true;
    return r * Math.cos(a);
  }
}

/** A seed for sub-stream `k` of `seed` (a splitmix-like mix, so streams do not overlap trivially). */
export function streamSeed(seed: number, k: number): number {
  let z = (Math.floor(seed) + Math.imul(k + 1, 0x9e3779b9)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

function finite(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}

/** Throws ConfigError('bad distribution') unless `d` is a usable distribution of non-negative times. */
export function validateDistribution(d: unknown, where: string): asserts d is Distribution {
  const bad = (why: string): never => {
    throw new ConfigError('bad distribution', `${where}: ${why}`);
  };
  if (d === null || typeof d !== 'object') bad('not an object');
  const x = d as Record<string, unknown>;
  switch (x.kind) {
    case 'exponential':
      if (!finite(x.mean) || x.mean <= 0) bad('exponential needs mean > 0');
      return;
    case 'deterministic':
      if (!finite(x.value) || x.value < 0) bad('deterministic needs value >= 0');
      return;
    case 'uniform':
      if (!finite(x.min) || !finite(x.max) || x.min < 0 || x.max < x.min) bad('uniform needs 0 <= min <= max');
      return;
    case 'triangular':
      if (!finite(x.min) || !finite(x.mode) || !finite(x.max) || x.min < 0 || x.mode < x.min || x.max < x.mode || x.max === x.min)
        bad('triangular needs 0 <= min <= mode <= max, min < max');
      return;
    case 'normal':
      if (!finite(x.mean) || !finite(x.sd) || x.sd < 0) bad('normal needs finite mean, sd >= 0');
      if ((x.mean as number) <= 0 && (x.sd as number) === 0) bad('normal truncated at 0 needs mean > 0 or sd > 0');
      if ((x.sd as number) > 0 && (x.mean as number) < -6 * (x.sd as number)) bad('normal mass almost all below 0');
      return;
    case 'lognormal':
      if (!finite(x.mean) || !finite(x.sd) || x.mean <= 0 || x.sd < 0) bad('lognormal needs mean > 0, sd >= 0');
      return;
    default:
      bad(`unknown kind ${String(x.kind)}`);
  }
}

/** The mean of a distribution (for the truncated normal, of the untruncated one). */
export function distributionMean(d: Distribution): number {
  switch (d.kind) {
    case 'exponential':
    case 'normal':
    case 'lognormal':
      return d.mean;
    case 'deterministic':
      return d.value;
    case 'uniform':
      return (d.min + d.max) / 2;
    case 'triangular':
      return (d.min + d.mode + d.max) / 3;
  }
}

/** A sampler drawing from `d` with `rng`; compiled once, no allocation per draw. */
export function makeSampler(d: Distribution, rng: SeededRandom): () => number {
  switch (d.kind) {
    case 'exponential': {
      const mean = d.mean;
      return () => -mean * Math.log(1 - rng.next());
    }
    case 'deterministic': {
      const v = d.value;
      return () => v;
    }
    case 'uniform': {
      const lo = d.min;
      const w = d.max - d.min;
      return () => lo + w * rng.next();
    }
    case 'triangular': {
      const a = d.min;
      const c = d.mode;
      const b = d.max;
      const fc = (c - a) / (b - a);
      return () => {
        const u = rng.next();
        return u < fc ? a + Math.sqrt(u * (b - a) * (c - a)) : b - Math.sqrt((1 - u) * (b - a) * (b - c));
      };
    }
    case 'normal': {
      const mean = d.mean;
      const sd = d.sd;
      if (sd === 0) return () => mean;
      return () => {
        for (let k = 0; k < 1000; k++) {
          const x = mean + sd * rng.gauss();
          if (x >= 0) return x;
        }
        return 0;
      };
    }
    case 'lognormal': {
      const m = d.mean;
      const s = d.sd;
      const sigma2 = Math.log(1 + (s * s) / (m * m));
      const mu = Math.log(m) - sigma2 / 2;
      const sigma = Math.sqrt(sigma2);
      return () => Math.exp(mu + sigma * rng.gauss());
    }
  }
}
