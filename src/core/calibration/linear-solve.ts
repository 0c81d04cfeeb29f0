/**
 * Gaussian elimination with partial pivoting for the small (n <= ~20) systems of the least-squares
 * step. Returns undefined for a singular or non-finite system so the caller can damp harder.
 */
export function solveLinearSystem(a: readonly (readonly number[])[], b: readonly number[]): number[] | undefined {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]]);
  let scale = 0;
  for (const row of m) for (let j = 0; j < n; j++) scale = Math.max(scale, Math.abs(row[j]));
  if (!(scale > 0) || !Number.isFinite(scale)) return undefined;
  const tiny = scale * n * Number.EPSILON;

  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r][col]) > Math.abs(m[pivot][col])) pivot = r;
    if (!(Math.abs(m[pivot][col]) > tiny)) return undefined;
    [m[col], m[pivot]] = [m[pivot], m[col]];
    for (let r = col + 1; r < n; r++) {
      const factor = m[r][col] / m[col][col];
      if (factor === 0) continue;
      for (let c = col; c <= n; c++) m[r][c] -= factor * m[col][c];
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let sum = m[r][n];
    for (let c = r + 1; c < n; c++) sum -= m[r][c] * x[c];
    x[r] = sum / m[r][r];
  }
  return x.every(Number.isFinite) ? x : undefined;
}
