/**
 * Small dense linear algebra for the multivariate deviation model: a handful of signals per asset
 * (2 to a few dozen), so plain arrays of numbers and textbook algorithms are enough and keep the
 * core free of dependencies. Matrices are arrays of rows.
 */

export type Matrix = number[][];

export function zeros(rows: number, cols: number): Matrix {
  return Array.from({ length: rows }, () => new Array<number>(cols).fill(0));
}

export function identity(n: number): Matrix {
  const m = zeros(n, n);
  for (let i = 0; i < n; i++) m[i][i] = 1;
  return m;
}

/** Column means of a batch of rows. */
export function mean(rows: readonly number[][]): number[] {
  if (rows.length === 0) throw new RangeError('mean of no rows');
  const out = new Array<number>(rows[0].length).fill(0);
  for (const row of rows) for (let j = 0; j < out.length; j++) out[j] += row[j];
  return out.map((s) => s / rows.length);
}

/** Sample covariance (divides by n - 1) of a batch of rows. */
export function covariance(rows: readonly number[][], centre: readonly number[] = mean(rows)): Matrix {
  if (rows.length < 2) throw new RangeError('covariance needs at least 2 rows');
  const m = centre.length;
  const out = zeros(m, m);
  for (const row of rows) {
    for (let i = 0; i < m; i++) {
      const di = row[i] - centre[i];
      for (let j = i; j < m; j++) out[i][j] += di * (row[j] - centre[j]);
    }
  }
  for (let i = 0; i < m; i++) {
    for (let j = i; j < m; j++) {
      out[i][j] /= rows.length - 1;
      out[j][i] = out[i][j];
    }
  }
  return out;
}

/**
 * Mean and co-moments updated one row at a time (Welford), so an asset can learn its normal window
 * from a stream without keeping the rows: memory is one m x m matrix whatever the window length.
 */
export class RunningCovariance {
  count = 0;
  readonly mean: number[];
  /** Sum of products of deviations from the running mean (upper triangle kept in sync). */
  readonly comoment: Matrix;

  constructor(readonly size: number) {
    this.mean = new Array<number>(size).fill(0);
    this.comoment = zeros(size, size);
  }

  push(row: readonly number[]): void {
    this.count++;
    const before = new Array<number>(this.size);
    for (let i = 0; i < this.size; i++) {
      before[i] = row[i] - this.mean[i];
      this.mean[i] += before[i] / this.count;
    }
    for (let i = 0; i < this.size; i++) {
      const after = row[i] - this.mean[i];
      for (let j = 0; j <= i; j++) {
        this.comoment[i][j] += before[j] * after;
        this.comoment[j][i] = this.comoment[i][j];
      }
    }
  }

  /** Sample covariance (n - 1). */
  covariance(): Matrix {
    if (this.count < 2) throw new RangeError('covariance needs at least 2 rows');
    return this.comoment.map((r) => r.map((v) => v / (this.count - 1)));
  }
}

/** Correlation matrix from a covariance; a zero-variance signal gets a 1 on the diagonal and 0 elsewhere. */
export function correlation(cov: Matrix): Matrix {
  const sd = cov.map((r, i) => Math.sqrt(Math.max(r[i], 0)));
  return cov.map((r, i) => r.map((v, j) => {
    if (i === j) return 1;
    return sd[i] > 0 && sd[j] > 0 ? v / (sd[i] * sd[j]) : 0;
  }));
}

export interface Eigen {
  /** Eigenvalues, largest first. */
  values: number[];
  /** vectors[k] is the unit eigenvector of values[k] (a row, not a column). */
  vectors: Matrix;
}

/**
 * Eigen decomposition of a symmetric matrix by cyclic Jacobi rotations. Chosen over QR because it is
 * short, unconditionally stable for symmetric input and accurate for small eigenvalues, which the
 * residual (Q) space is made of. Sign of each vector: its largest component is positive, so a model
 * serialised and fitted again gives the same numbers.
 */
export function jacobiEigen(input: Matrix, tolerance = 1e-12, maxSweeps = 100): Eigen {
  const n = input.length;
  const a = input.map((r) => r.slice());
  const v = identity(n); // columns are the eigenvectors
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let off = 0;
    let diag = 0;
    for (let i = 0; i < n; i++) {
      diag += a[i][i] * a[i][i];
      for (let j = i + 1; j < n; j++) off += a[i][j] * a[i][j];
    }
    if (off <= tolerance * tolerance * Math.max(diag, 1e-300)) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        if (a[p][q] === 0) continue;
        const theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          // rotate columns p and q
          const akp = a[k][p];
          const akq = a[k][q];
          a[k][p] = c * akp - s * akq;
          a[k][q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          // rotate rows p and q
          const apk = a[p][k];
          const aqk = a[q][k];
          a[p][k] = c * apk - s * aqk;
          a[q][k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k][p];
          const vkq = v[k][q];
          v[k][p] = c * vkp - s * vkq;
          v[k][q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => a[y][y] - a[x][x]);
  const values = order.map((i) => a[i][i]);
  const vectors = order.map((i) => {
    const vec = v.map((row) => row[i]);
    let big = 0;
    for (let k = 1; k < n; k++) if (Math.abs(vec[k]) > Math.abs(vec[big]) + 1e-12) big = k;
    return vec[big] < 0 ? vec.map((x) => -x) : vec;
  });
  return { values, vectors };
}

/** Solves A x = b by Gaussian elimination with partial pivoting; throws on a singular A. */
export function solve(matrix: Matrix, rhs: readonly number[]): number[] {
  const n = matrix.length;
  const a = matrix.map((r, i) => [...r, rhs[i]]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r][col]) > Math.abs(a[pivot][col])) pivot = r;
    if (Math.abs(a[pivot][col]) < 1e-14) throw new RangeError('singular matrix');
    [a[col], a[pivot]] = [a[pivot], a[col]];
    for (let r = col + 1; r < n; r++) {
      const f = a[r][col] / a[col][col];
      for (let k = col; k <= n; k++) a[r][k] -= f * a[col][k];
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = a[r][n];
    for (let k = r + 1; k < n; k++) s -= a[r][k] * x[k];
    x[r] = s / a[r][r];
  }
  return x;
}

export function dot(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
