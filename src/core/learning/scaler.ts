/**
 * Per-column min-max feature scaling into [lo, hi] (default [0, 1]), as a sigmoid network needs:
 * inputs of comparable size, and targets inside the sigmoid's open range (use [0.1, 0.9] for
 * outputs so the extremes of the training data stay reachable).
 *
 * A constant column (max − min below 1e-12 × max(1, |min|)) maps to the middle of [lo, hi] and
 * back to its one value, so it neither divides by zero nor blows up later inputs. Values outside
 * the fitted range extrapolate linearly unless `clip` is set. Serialisable with toJSON/fromJSON.
 */
import { ConfigError, InputError } from '../errors';

export interface ScalerOptions {
  /** Lower end of the scaled range (default 0). */
  lo?: number;
  /** Upper end of the scaled range (default 1). */
  hi?: number;
  /** Clamp transformed values into [lo, hi] (default false: extrapolate linearly). */
  clip?: boolean;
}

export interface ScalerJSON {
  kind: 'min-max';
  lo: number;
  hi: number;
  clip: boolean;
  min: number[];
  max: number[];
}

function isFiniteNumber(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}

export class MinMaxScaler {
  readonly lo: number;
  readonly hi: number;
  readonly clip: boolean;
  private min: number[] = [];
  private max: number[] = [];

  constructor(options: ScalerOptions = {}) {
    const lo = options.lo ?? 0;
    const hi = options.hi ?? 1;
    if (!isFiniteNumber(lo) || !isFiniteNumber(hi) || !(hi > lo)) {
      throw new ConfigError('bad scale range', `the scaled range needs finite lo < hi, got [${lo}, ${hi}]`);
    }
    this.lo = lo;
    this.hi = hi;
    this.clip = options.clip ?? false;
  }

  /** True once fit() (or fromJSON) has set the column ranges. */
  get fitted(): boolean {
    return this.min.length > 0;
  }

  /** Number of columns the scaler was fitted on (0 before fit). */
  get columns(): number {
    return this.min.length;
  }

  /** The fitted per-column minimum and maximum (copies). */
  ranges(): { min: number[]; max: number[] } {
    return { min: this.min.slice(), max: this.max.slice() };
  }

  /**
   * Learns each column's min and max (forgetting earlier fits). ConfigError 'no data' for no rows,
   * 'bad data' for rows of different lengths or a value that is not a finite number (naming row
   * and column).
   */
  fit(rows: ReadonlyArray<ArrayLike<number>>): this {
    if (!Array.isArray(rows) || rows.length === 0) throw new ConfigError('no data', 'the scaler needs at least one row to fit');
    this.min = [];
    this.max = [];
    return this.partialFit(rows);
  }

  /**
   * Widens the fitted ranges with more rows (fits them if nothing was fitted yet), so a large set
   * can be fitted in chunks. Same errors as fit(); row numbers count within this call.
   */
  partialFit(rows: ReadonlyArray<ArrayLike<number>>): this {
    if (!Array.isArray(rows)) throw new ConfigError('no data', 'the scaler needs a list of rows');
    if (rows.length === 0) return this;
    const width = this.fitted ? this.min.length : rows[0]?.length;
    if (!Number.isInteger(width) || width < 1) throw new ConfigError('bad data', 'row 0 is not a non-empty list of numbers');
    const min = this.fitted ? this.min.slice() : new Array<number>(width).fill(Infinity);
    const max = this.fitted ? this.max.slice() : new Array<number>(width).fill(-Infinity);
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i];
      if (!row || row.length !== width) throw new ConfigError('bad data', `row ${i} has ${row?.length} values, expected ${width}`);
      for (let j = 0; j < width; j++) {
        const v = row[j];
        if (!isFiniteNumber(v)) throw new ConfigError('bad data', `row ${i} column ${j} is ${String(v)}, not a finite number`);
        if (v < min[j]) min[j] = v;
        if (v > max[j]) max[j] = v;
      }
    }
    this.min = min;
    this.max = max;
    return this;
  }

  private constantColumn(j: number): boolean {
    return this.max[j] - this.min[j] <= 1e-12 * Math.max(1, Math.abs(this.min[j]));
  }

  private checkRow(row: ArrayLike<number>, what: string): void {
    if (!this.fitted) throw new ConfigError('not fitted', 'the scaler has not been fitted');
    if (!row || row.length !== this.min.length) {
      throw new InputError('bad row', `${what} has ${row?.length} values, the scaler was fitted on ${this.min.length}`);
    }
  }

  /** Scales one value of column `j`. */
  transformValue(value: number, j: number): number {
    if (!isFiniteNumber(value)) throw new InputError('not finite', `column ${j} is ${String(value)}, not a finite number`);
    if (this.constantColumn(j)) return (this.lo + this.hi) / 2;
    const s = this.lo + ((value - this.min[j]) / (this.max[j] - this.min[j])) * (this.hi - this.lo);
    return this.clip ? Math.min(this.hi, Math.max(this.lo, s)) : s;
  }

  /** Maps a scaled value of column `j` back to the original units. */
  inverseValue(scaled: number, j: number): number {
    if (!isFiniteNumber(scaled)) throw new InputError('not finite', `scaled column ${j} is ${String(scaled)}, not a finite number`);
    if (this.constantColumn(j)) return this.min[j];
    return this.min[j] + ((scaled - this.lo) / (this.hi - this.lo)) * (this.max[j] - this.min[j]);
  }

  /** Scales a row. InputError 'bad row' for the wrong length, 'not finite' for NaN/±Infinity. */
  transform(row: ArrayLike<number>): number[] {
    this.checkRow(row, 'the row');
    const out = new Array<number>(row.length);
    for (let j = 0; j < row.length; j++) out[j] = this.transformValue(row[j], j);
    return out;
  }

  /** Maps a scaled row back to the original units. */
  inverse(row: ArrayLike<number>): number[] {
    this.checkRow(row, 'the scaled row');
    const out = new Array<number>(row.length);
    for (let j = 0; j < row.length; j++) out[j] = this.inverseValue(row[j], j);
    return out;
  }

  toJSON(): ScalerJSON {
    return { kind: 'min-max', lo: this.lo, hi: this.hi, clip: this.clip, min: this.min.slice(), max: this.max.slice() };
  }

  /** Restores a scaler from toJSON(); ConfigError 'bad scaler' if the data does not describe one. */
  static fromJSON(json: ScalerJSON): MinMaxScaler {
    const bad = (why: string): never => {
      throw new ConfigError('bad scaler', `cannot restore the scaler: ${why}`);
    };
    if (!json || typeof json !== 'object' || json.kind !== 'min-max') bad('not a min-max scaler');
    if (!Array.isArray(json.min) || !Array.isArray(json.max) || json.min.length !== json.max.length) bad('min and max must be lists of the same length');
    for (let j = 0; j < json.min.length; j++) {
      if (!isFiniteNumber(json.min[j]) || !isFiniteNumber(json.max[j]) || json.max[j] < json.min[j]) bad(`column ${j} has min ${json.min[j]}, max ${json.max[j]}`);
    }
    const s = new MinMaxScaler({ lo: json.lo, hi: json.hi, clip: json.clip === true });
    s.min = json.min.slice();
    s.max = json.max.slice();
    return s;
  }
}
