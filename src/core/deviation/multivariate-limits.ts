/**
 * Control limits for the multivariate deviation model. Closed forms only, so an asset model carries
 * no table and no special-function library:
 *
 *   T²: chi-square quantile with k degrees of freedom (Wilson–Hilferty cube-root approximation).
 *       The exact limit for a model learned on n rows is an F quantile scaled by k(n²-1)/(n(n-k));
 *       with the few hundred rows a normal window has, the two differ by a few per cent, and the
 *       chi-square form needs no incomplete beta function.
 *   Q:  Jackson–Mudholkar (1979) from the eigenvalues left in the residual space; when its h0 is not
 *       positive (very uneven residual eigenvalues) Box's scaled chi-square g·χ²(h) is used instead.
 */

/** Standard normal quantile (Acklam's rational approximation, relative error below 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError('probability must be in (0, 1)');
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

/** Chi-square quantile with `dof` degrees of freedom (Wilson–Hilferty); dof may be fractional. */
export function chiSquareQuantile(p: number, dof: number): number {
  const z = normalQuantile(p);
  const h = 2 / (9 * dof);
  const cube = 1 - h + z * Math.sqrt(h);
  return dof * Math.max(cube, 0) ** 3;
}

/** Upper limit of Hotelling's T² on k retained components at significance alpha. */
export function t2Limit(components: number, alpha: number): number {
  return chiSquareQuantile(1 - alpha, components);
}

/** Upper limit of Q (SPE) given the eigenvalues of the discarded components; 0 when there are none. */
export function qLimit(residualEigenvalues: readonly number[], alpha: number): number {
  const theta = [1, 2, 3].map((power) => residualEigenvalues.reduce((s, l) => s + Math.max(l, 0) ** power, 0));
  const [t1, t2, t3] = theta;
  if (!(t1 > 0) || !(t2 > 0)) return 0;
  const h0 = 1 - (2 * t1 * t3) / (3 * t2 * t2);
  if (h0 > 0) {
    const z = normalQuantile(1 - alpha);
    const inner = (z * Math.sqrt(2 * t2 * h0 * h0)) / t1 + 1 + (t2 * h0 * (h0 - 1)) / (t1 * t1);
    if (inner > 0) return t1 * inner ** (1 / h0);
  }
  const g = t2 / t1;
  const h = (t1 * t1) / t2;
  return g * chiSquareQuantile(1 - alpha, h);
}
