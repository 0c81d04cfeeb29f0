/**
 * Student-t distribution for confidence intervals on scenario KPIs. The CDF comes from the
 * regularized incomplete beta function (Lentz continued fraction, Numerical Recipes §6.4), so any
 * df > 0 works, fractional too (Welch intervals need that). The quantile is solved from the tail
 * probability by safeguarded Newton steps, which keeps full precision far into the tails.
 * Above 1e7 degrees of freedom the continued fraction needs too many terms; there the quantile uses
 * the Cornish–Fisher expansion (exact to the normal quantile's 1e-9) and the CDF is evaluated at
 * 1e7 df (off by at most about 2e-8; t and normal differ by less than that much there anyway).
 */
import { ConfigError } from '../errors';
import { normalQuantile } from '../deviation/multivariate-limits';

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
  -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0 (Lanczos, g = 7; about 15 significant digits). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const z = x - 1;
  let sum = LANCZOS[0];
  for (let i = 1; i < LANCZOS.length; i++) sum += LANCZOS[i] / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** Stirling series remainder ω(x) in ln Γ(x) = (x - ½)ln x - x + ½ln 2π + ω(x); accurate for x >= 10. */
function stirlingRemainder(x: number): number {
  const x2 = x * x;
  return (1 / 12 - (1 / 360 - 1 / (1260 * x2)) / x2) / x;
}

/**
 * ln Γ(a + s) - ln Γ(a). Subtracting two huge ln Γ values loses digits when a is large (df in the
 * millions), so for a >= 10 the difference is formed from Stirling's series directly.
 */
export function logGammaRatio(a: number, s: number): number {
  if (a < 10) return logGamma(a + s) - logGamma(a);
  return (a - 0.5) * Math.log1p(s / a) + s * Math.log(a + s) - s + stirlingRemainder(a + s) - stirlingRemainder(a);
}

/** ln B(a, b) without cancellation when one argument is large. */
function logBeta(a: number, b: number): number {
  const big = Math.max(a, b), small = Math.min(a, b);
  return logGamma(small) - logGammaRatio(big, small);
}

/** Continued fraction of the incomplete beta function (modified Lentz). */
function betaFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 10000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return h;
}

/**
 * Regularized incomplete beta I_x(a, b). `y` = 1 - x may be passed when the caller knows it more
 * precisely than 1 - x can be computed (x close to 1).
 */
export function incompleteBeta(x: number, a: number, b: number, y = 1 - x): number {
  if (x <= 0) return 0;
  if (y <= 0) return 1;
  const logX = x < 0.5 ? Math.log(x) : Math.log1p(-y);
  const logY = y < 0.5 ? Math.log(y) : Math.log1p(-x);
  const front = Math.exp(a * logX + b * logY - logBeta(a, b));
  // The fraction converges fast only below the mean; use the symmetry I_x(a,b) = 1 - I_{1-x}(b,a).
  if (x < (a + 1) / (a + b + 2)) return (front * betaFraction(a, b, x)) / a;
  return 1 - (front * betaFraction(b, a, y)) / b;
}

function checkDf(df: number): void {
  if (typeof df !== 'number' || !(df > 0) || !Number.isFinite(df)) throw new ConfigError('bad degrees of freedom', `degrees of freedom must be > 0, got ${String(df)}`);
}

const LARGE_DF = 1e7;

/** P(T > t) for t >= 0, computed directly so small tails keep their precision. */
function upperTail(t: number, dfIn: number): number {
  const df = Math.min(dfIn, LARGE_DF);
  // ½·I_x(df/2, ½) with x = df/(df+t²); 1 - x = t²/(df+t²) is passed along to keep its digits.
  const t2 = t * t;
  return 0.5 * incompleteBeta(df / (df + t2), df / 2, 0.5, t2 / (df + t2));
}

export function studentTCdf(t: number, df: number): number {
  checkDf(df);
  if (Number.isNaN(t)) return NaN;
  const tail = upperTail(Math.abs(t), df);
  return t >= 0 ? 1 - tail : tail;
}

export function studentTPdf(t: number, df: number): number {
  checkDf(df);
  const logNorm = logGammaRatio(df / 2, 0.5) - 0.5 * Math.log(df * Math.PI);
  return Math.exp(logNorm - ((df + 1) / 2) * Math.log1p((t * t) / df));
}

/** Quantile t such that P(T <= t) = p, for 0 < p < 1 and df > 0. */
export function studentTQuantile(p: number, df: number): number {
  checkDf(df);
  if (typeof p !== 'number' || !(p > 0 && p < 1)) throw new ConfigError('bad probability', `probability must be in (0, 1), got ${String(p)}`);
  if (p === 0.5) return 0;
  const sign = p > 0.5 ? 1 : -1;
  const q = p > 0.5 ? 1 - p : p; // the tail probability to match, exact for p in [0.5, 1)
  if (df === 1) return sign * Math.tan(Math.PI * (0.5 - q)); // Cauchy, closed form
  if (df === 2) return (sign * (1 - 2 * q)) / Math.sqrt(2 * q * (1 - q)); // closed form

  // Start from the Cornish–Fisher expansion around the normal quantile, then bracket and refine.
  const z = normalQuantile(1 - q);
  const z2 = z * z;
  let t = z + (z * (z2 + 1)) / (4 * df) + (z * ((5 * z2 + 16) * z2 + 3)) / (96 * df * df);
  if (df > LARGE_DF) return sign * t;
  if (!(t > 0) || !Number.isFinite(t)) t = 1;
  let lo = 0;
  let hi = Infinity;
  for (let i = 0; i < 200; i++) {
    const f = upperTail(t, df) - q; // decreasing in t
    if (f > 0) lo = t;
    else hi = t;
    if (f === 0) break;
    let next = t + f / studentTPdf(t, df);
    if (!(next > lo && next < hi)) next = Number.isFinite(hi) ? 0.5 * (lo + hi) : 2 * t;
    if (Math.abs(next - t) <= 1e-15 * t) {
      t = next;
      break;
    }
    t = next;
  }
  return sign * t;
}
