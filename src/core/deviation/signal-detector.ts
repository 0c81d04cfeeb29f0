/**
 * SignalDetector: where one plant signal departs from its twin, sample by sample.
 *
 *   residual   = value - expected        (expected from the twin, or predicted by LevelPredictor)
 *   normalised = (residual - centre) / sigma            (RobustScale of the residual)
 *   score      = erf(|normalised| / sqrt 2)  in [0, 1]
 *   likelihood = AnomalyLikelihood of the recent scores
 *   severity   = SeverityGate(likelihood), ok / warning / alarm
 *   driftState = worst of PageHinkley and Adwin on residual / sigma (so their defaults are in sigmas)
 *   stuck      = StuckCheck on the raw values (stuck.ts): a run of (near-)identical values far
 *                longer than the learned normal runs; it raises severity to at least warning
 *   isAnomaly  = |normalised| >= anomalyZ, or severity is not ok (stuck included)
 *
 * Learning: the first `warmupSamples` learned samples only learn (learning true, isAnomaly false,
 * severity ok, likelihood 0.5). freeze() stops learning (centre, sigma, predictor, the likelihood's
 * reference) while scoring goes on, so a slow departure is not learned away; the drift tests keep
 * running then, they are what should notice it. A constant bias of the residual is learned as
 * normal at the scale's rate, which is why the drift tests look at the raw residual.
 * A stuck signal is still learned (as any other sample while not frozen): over a long freeze its
 * near-zero residuals shrink sigma, so the release may be flagged as well. freeze() on the stuck
 * warning avoids that.
 *
 * Bad input, none of which changes the state unless said:
 *   value / time not finite numbers, expected given but not finite  -> InputError 'bad value' etc.
 *   time before the last sample's                                  -> InputError 'time went back'
 *   same time and value as the last sample (a duplicate)            -> the last result again, duplicate: true
 *   same time, other value                                          -> a new sample (both were measured)
 *   time - last time > maxGapMs (a gap)                             -> statistics kept; this sample is
 *     learning (gap: true): the self-prediction restarts from it, the recent scores and severity are
 *     cleared, and it teaches neither scale, likelihood nor drift tests (the plant may be restarting).
 * Saved form: toJSON() / SignalDetector.fromJSON(data, options); options are not saved. A state
 * saved before the stuck check existed (no `stuck`) loads with a fresh stuck check.
 */
import { ConfigError, InputError } from '../errors';
import { Adwin, AdwinOptions, DriftState, PageHinkley, PageHinkleyOptions } from './drift';
import { scoreOf } from './gaussian';
import { LevelPredictor, LevelPredictorOptions } from './level-predictor';
import { AnomalyLikelihood, LikelihoodOptions, LikelihoodState } from './likelihood';
import { finite, RobustScale, RobustScaleOptions, RobustScaleState } from './robust-scale';
import { Severity, SeverityGate, SeverityOptions, SeverityState } from './severity';
import { StuckCheck, StuckOptions, StuckState } from './stuck';

export interface DeviationSample {
  value: number;
  /** Epoch ms (or any monotonic ms clock). */
  time: number;
  /** The twin's value for this sample; omitted: predicted online. */
  expected?: number;
}

export interface DeviationResult {
  value: number;
  expected: number;
  residual: number;
  normalised: number;
  score: number;
  likelihood: number;
  isAnomaly: boolean;
  severity: Severity;
  driftState: DriftState;
  learning: boolean;
  /** The sample repeated the last one (same time and value) and was ignored. */
  duplicate: boolean;
  /** The sample came after a gap longer than maxGapMs. */
  gap: boolean;
  /** The value has stayed (near-)identical for far longer than normal (stuck.ts); severity is at least warning then. */
  stuck?: boolean;
}

export interface SignalDetectorOptions {
  /** Named in errors, e.g. "plant/line1/press1/temperature". */
  name?: string;
  /** Learned samples before scoring counts. Default 100. */
  warmupSamples?: number;
  /** A longer silence is a gap (see above). Default Infinity (no gaps). */
  maxGapMs?: number;
  /** |normalised| at or above this marks a single sample anomalous. Default 4. */
  anomalyZ?: number;
  scale?: RobustScaleOptions;
  predictor?: LevelPredictorOptions;
  likelihood?: LikelihoodOptions;
  severity?: SeverityOptions;
  pageHinkley?: PageHinkleyOptions;
  adwin?: AdwinOptions;
  stuck?: StuckOptions;
}

export interface SignalDetectorState {
  format: 'twinloop-signal-detector';
  version: 1;
  learned: number;
  frozen: boolean;
  lastTime: number | null;
  lastValue: number | null;
  last: DeviationResult | null;
  scale: RobustScaleState;
  predictor: number[];
  likelihood: LikelihoodState;
  severity: SeverityState;
  pageHinkley: number[];
  adwin: ReturnType<Adwin['toJSON']>;
  /** Missing in states saved before the stuck check existed. */
  stuck?: StuckState;
}

const DRIFT_RANK: Record<DriftState, number> = { none: 0, warning: 1, drift: 2 };

export class SignalDetector {
  readonly name: string | undefined;
  readonly warmupSamples: number;
  readonly maxGapMs: number;
  readonly anomalyZ: number;
  private readonly scale: RobustScale;
  private readonly predictor: LevelPredictor;
  private readonly likelihood: AnomalyLikelihood;
  private readonly severity: SeverityGate;
  private readonly pageHinkley: PageHinkley;
  private readonly adwin: Adwin;
  private readonly stuckCheck: StuckCheck;
  private learned = 0;
  private frozen = false;
  private lastTime: number | undefined;
  private lastValue: number | undefined;
  private last: DeviationResult | undefined;

  constructor(options: SignalDetectorOptions = {}) {
    this.name = options.name;
    this.warmupSamples = options.warmupSamples ?? 100;
    if (!Number.isInteger(this.warmupSamples) || this.warmupSamples < 0) throw new ConfigError('bad warm-up', 'warmupSamples must be an integer >= 0');
    this.maxGapMs = options.maxGapMs ?? Infinity;
    if (typeof this.maxGapMs !== 'number' || !(this.maxGapMs > 0)) throw new ConfigError('bad max gap', 'maxGapMs must be a number > 0');
    this.anomalyZ = options.anomalyZ ?? 4;
    if (!finite(this.anomalyZ) || this.anomalyZ <= 0) throw new ConfigError('bad anomalyZ', 'anomalyZ must be a number > 0');
    this.scale = new RobustScale(options.scale);
    this.predictor = new LevelPredictor(options.predictor);
    this.likelihood = new AnomalyLikelihood(options.likelihood);
    this.severity = new SeverityGate(options.severity);
    this.pageHinkley = new PageHinkley(options.pageHinkley);
    this.adwin = new Adwin(options.adwin);
    this.stuckCheck = new StuckCheck(options.stuck);
  }

  /** True while learning is stopped by freeze(). */
  get isFrozen(): boolean {
    return this.frozen;
  }
  /** Learned samples so far (warm-up ends at warmupSamples). */
  get learnedSamples(): number {
    return this.learned;
  }

  /** The residual's robust sigma as learned so far: the yardstick for a lasting bias of the twin. */
  get residualSigma(): number {
    return this.scale.sigma;
  }

  score(sample: DeviationSample): DeviationResult {
    if (sample === null || typeof sample !== 'object') throw new InputError('bad sample', 'a sample is an object {value, time, expected?}', this.name);
    const { value, time, expected } = sample;
    if (!finite(value)) throw new InputError('bad value', `value must be a finite number, got ${String(value)}`, this.name);
    if (!finite(time)) throw new InputError('bad time', `time must be a finite number, got ${String(time)}`, this.name);
    if (expected !== undefined && !finite(expected)) throw new InputError('bad expected', `expected must be a finite number, got ${String(expected)}`, this.name);
    const lastTime = this.lastTime;
    if (lastTime !== undefined) {
      if (time < lastTime) throw new InputError('time went back', `time ${time} is before the last sample's ${lastTime}`, this.name);
      if (time === lastTime && value === this.lastValue && this.last) return { ...this.last, duplicate: true };
    }
    // Checks done: from here on the sample changes the state.
    const gap = lastTime !== undefined && time - lastTime > this.maxGapMs;
    const learn = !this.frozen;
    const prediction = expected !== undefined ? expected : this.predictor.ready ? this.predictor.predict() : value;
    const residual = value - prediction;
    const normalised = this.scale.samples >= 2 ? this.scale.normalise(residual) : 0;
    const score = scoreOf(normalised);
    const learning = gap || this.learned < this.warmupSamples;
    let likelihood = 0.5;
    let severity: Severity = 'ok';
    let driftState: DriftState = 'none';
    let isAnomaly = false;
    let stuck = false;
    if (gap) {
      this.likelihood.clearRecent();
      this.severity.reset();
      this.stuckCheck.restart(value, learn);
      if (learn) this.predictor.reseed(value);
    } else {
      // Tolerance from sigma before this sample (minScale, i.e. exact repeats, until it is known).
      stuck = this.stuckCheck.update(value, this.stuckCheck.relTolerance * this.scale.scale(), learn) && !learning;
      if (!learning) {
        likelihood = this.likelihood.update(score, learn);
        const x = residual / this.scale.scale();
        const a = this.pageHinkley.update(x);
        const b = this.adwin.update(x);
        driftState = DRIFT_RANK[a] >= DRIFT_RANK[b] ? a : b;
        severity = this.severity.update(likelihood, time);
        if (stuck && severity === 'ok') severity = 'warning';
        isAnomaly = severity !== 'ok' || Math.abs(normalised) >= this.anomalyZ;
      }
      if (learn) {
        this.predictor.update(value, this.scale.ready ? this.scale.clip * this.scale.scale() : Infinity);
        this.scale.update(residual);
        this.learned++;
      }
    }
    this.lastTime = time;
    this.lastValue = value;
    const result: DeviationResult = { value, expected: prediction, residual, normalised, score, likelihood, isAnomaly, severity, driftState, learning, duplicate: false, gap, stuck };
    this.last = result;
    return result;
  }

  /** Stops learning; scoring goes on against what was learned. */
  freeze(): void {
    this.frozen = true;
  }

  resume(): void {
    this.frozen = false;
  }

  /** Forgets everything learned and the last sample (back to warm-up); frozen stays as it is. */
  reset(): void {
    this.scale.reset();
    this.predictor.reset();
    this.likelihood.reset();
    this.severity.reset();
    this.pageHinkley.reset();
    this.adwin.reset();
    this.stuckCheck.reset();
    this.learned = 0;
    this.lastTime = undefined;
    this.lastValue = undefined;
    this.last = undefined;
  }

  toJSON(): SignalDetectorState {
    return {
      format: 'twinloop-signal-detector',
      version: 1,
      learned: this.learned,
      frozen: this.frozen,
      lastTime: this.lastTime ?? null,
      lastValue: this.lastValue ?? null,
      last: this.last ? { ...this.last } : null,
      scale: this.scale.toJSON(),
      predictor: this.predictor.toJSON(),
      likelihood: this.likelihood.toJSON(),
      severity: this.severity.toJSON(),
      pageHinkley: this.pageHinkley.toJSON(),
      adwin: this.adwin.toJSON(),
      stuck: this.stuckCheck.toJSON(),
    };
  }

  /** Rebuilds a detector from toJSON() output; throws InputError 'bad saved state' if it is not one. */
  static fromJSON(data: SignalDetectorState, options: SignalDetectorOptions = {}): SignalDetector {
    const d = new SignalDetector(options);
    if (!data || typeof data !== 'object' || data.format !== 'twinloop-signal-detector' || data.version !== 1) {
      throw new InputError('bad saved state', 'not a saved signal detector (format/version)', options.name);
    }
    const ok = finite(data.learned) && data.learned >= 0 && typeof data.frozen === 'boolean' &&
      (data.lastTime === null || finite(data.lastTime)) && (data.lastValue === null || finite(data.lastValue));
    if (!ok) throw new InputError('bad saved state', 'learned, frozen, lastTime or lastValue is wrong', options.name);
    d.scale.restore(data.scale);
    d.predictor.restore(data.predictor);
    d.likelihood.restore(data.likelihood);
    d.severity.restore(data.severity);
    d.pageHinkley.restore(data.pageHinkley);
    d.adwin.restore(data.adwin);
    if (data.stuck !== undefined && data.stuck !== null) d.stuckCheck.restore(data.stuck);
    d.learned = data.learned;
    d.frozen = data.frozen;
    d.lastTime = data.lastTime ?? undefined;
    d.lastValue = data.lastValue ?? undefined;
    d.last = data.last && typeof data.last === 'object' ? { ...data.last } : undefined;
    return d;
  }
}
