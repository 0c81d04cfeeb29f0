/**
 * Gaussian tail helpers for the deviation statistics. Node has no erf, so we use the Chebyshev
 * fit of erfc from Numerical Recipes (fractional error below 1.2e-7 everywhere): good enough for
 * alarm thresholds like 0.9999, where an absolute-error fit (Abramowitz-Stegun 7.1.26) would not be.
 */

/** Complementary error function erfc(x) = 1 - erf(x). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 +
          t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** P(Z > z) for a standard normal Z: the upper tail probability. */
export function upperTail(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

/**
 * Anomaly score in [0, 1] of a normalised residual: P(|Z| < |z|) = erf(|z| / sqrt 2).
 * Under normal running (Gaussian residuals) the score is uniform on [0, 1], which is what the
 * likelihood stage expects; |z| = 3 gives 0.9973, |z| = 4 gives 0.99994.
 */
export function scoreOf(normalised: number): number {
  if (Number.isNaN(normalised)) return 0;
  return 1 - erfc(Math.abs(normalised) / Math.SQRT2);
}
