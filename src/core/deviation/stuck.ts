/**
 * StuckCheck: a sensor that has frozen (repeats its last reading) gives tiny residuals, which a
 * residual detector reads as "all is well". This check looks at the raw values instead:
 *
 *   run      = consecutive samples within +-tolerance of the run's first value (its anchor),
 *              counted after the anchor (identical repeats, or near-identical ones)
 *   tolerance is given per sample by the caller: SignalDetector passes relTolerance * the learned
 *              residual sigma, so "near-identical" is measured against the signal's own noise
 *   longest  = the longest run learned as normal: a run that ended (a value left the tolerance)
 *              while learning, without ever being flagged and without a gap
 *   moves    = learned samples that left the tolerance (how often the signal was seen moving)
 *   stuck    = run >= max(minRun, runFactor * longest)  and  moves >= minMoves
 *
 * Why `longest`: a coarsely quantised sensor repeats its value often; the limit grows with what
 * the stream has shown to be normal. Why `minMoves`: a signal that never moves (a constant, a
 * setpoint that has not changed yet) is not a stuck sensor; it is never flagged.
 * A flagged run never teaches `longest`, so a long freeze is not learned as normal.
 * Counted in samples, not in time. Saved form: toJSON() / restore().
 */
import { ConfigError, InputError } from '../errors';
import { finite, positive } from './robust-scale';

export interface StuckOptions {
  /** Near-identical = within this fraction of the residual sigma (SignalDetector). Default 0.01. */
  relTolerance?: number;
  /** Shortest run (samples after the anchor) that can be stuck. Default 30. */
  minRun?: number;
  /** A run must also be this many times the longest learned normal run. Default 3. */
  runFactor?: number;
  /** Learned moves needed before anything is flagged. Default 10. */
  minMoves?: number;
}

export interface StuckState {
  /** The run's first value; null before the first sample. */
  anchor: number | null;
  run: number;
  longest: number;
  moves: number;
  /** The current run may teach `longest` when it ends (it was learned and never flagged). */
  learnable: boolean;
}

export class StuckCheck {
  readonly relTolerance: number;
  readonly minRun: number;
  readonly runFactor: number;
  readonly minMoves: number;
  private anchor: number | undefined;
  private run = 0;
  private longest = 0;
  private moves = 0;
  private learnable = true;

  constructor(options: StuckOptions = {}) {
    this.relTolerance = options.relTolerance ?? 0.01;
    if (!finite(this.relTolerance) || this.relTolerance < 0) throw new ConfigError('bad relTolerance', 'stuck relTolerance must be a number >= 0');
    this.minRun = positive('minRun', options.minRun, 30, true);
    this.runFactor = options.runFactor ?? 3;
    if (!finite(this.runFactor) || this.runFactor < 0) throw new ConfigError('bad runFactor', 'stuck runFactor must be a number >= 0');
    this.minMoves = options.minMoves ?? 10;
    if (!Number.isInteger(this.minMoves) || this.minMoves < 0) throw new ConfigError('bad minMoves', 'stuck minMoves must be an integer >= 0');
  }

  /** Samples in the current run after its anchor. */
  get runLength(): number {
    return this.run;
  }
  /** The longest run learned as normal. */
  get longestRun(): number {
    return this.longest;
  }
  /** The run length from which a run is stuck. */
  get limit(): number {
    const f = this.runFactor * this.longest;
    return f > this.minRun ? f : this.minRun;
  }
  /** True when the current run is stuck. */
  get stuck(): boolean {
    return this.moves >= this.minMoves && this.run >= this.limit;
  }

  /**
   * Adds a value; `tolerance` is absolute (>= 0). With `learn` false (warm-up counts as learning;
   * a frozen detector does not) nothing is learned, and the current run will not teach `longest`.
   * Returns whether the run is stuck now.
   */
  update(value: number, tolerance: number, learn = true): boolean {
    if (this.anchor === undefined) {
      this.start(value, learn);
      return false;
    }
    const d = value - this.anchor;
    if ((d < 0 ? -d : d) <= tolerance) {
      this.run++;
      if (!learn) this.learnable = false;
    } else {
      if (learn && this.learnable && this.run > this.longest) this.longest = this.run;
      if (learn) this.moves++;
      this.start(value, learn);
      return false;
    }
    const stuck = this.stuck;
    if (stuck) this.learnable = false;
    return stuck;
  }

  /** Starts a new run at this value, learning nothing from the one before (after a gap). */
  restart(value: number, learn = true): void {
    this.start(value, learn);
  }

  reset(): void {
    this.anchor = undefined;
    this.run = 0;
    this.longest = 0;
    this.moves = 0;
    this.learnable = true;
  }

  private start(value: number, learn: boolean): void {
    this.anchor = value;
    this.run = 0;
    this.learnable = learn;
  }

  toJSON(): StuckState {
    return { anchor: this.anchor ?? null, run: this.run, longest: this.longest, moves: this.moves, learnable: this.learnable };
  }

  restore(data: StuckState): void {
    const count = (v: unknown) => finite(v) && v >= 0;
    if (!data || typeof data !== 'object' || !(data.anchor === null || finite(data.anchor)) || !count(data.run) || !count(data.longest) || !count(data.moves) || typeof data.learnable !== 'boolean') {
      throw new InputError('bad saved state', 'stuck: anchor, run, longest, moves and learnable expected');
    }
    this.anchor = data.anchor ?? undefined;
    this.run = data.run;
    this.longest = data.longest;
    this.moves = data.moves;
    this.learnable = data.learnable;
  }
}
