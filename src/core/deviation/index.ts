/** Univariate deviation detection (twin-deviation): see signal-detector.ts for the whole chain. */
export { SignalDetector } from './signal-detector';
export type { DeviationResult, DeviationSample, SignalDetectorOptions, SignalDetectorState } from './signal-detector';
export { RobustScale } from './robust-scale';
export type { RobustScaleOptions, RobustScaleState } from './robust-scale';
export { LevelPredictor } from './level-predictor';
export type { LevelPredictorOptions } from './level-predictor';
export { PageHinkley, Adwin } from './drift';
export type { DriftState, PageHinkleyOptions, AdwinOptions } from './drift';
export { AnomalyLikelihood } from './likelihood';
export type { LikelihoodOptions, LikelihoodState } from './likelihood';
export { SeverityGate } from './severity';
export type { Severity, SeverityOptions, SeverityState } from './severity';
export { StuckCheck } from './stuck';
export type { StuckOptions, StuckState } from './stuck';
export { erfc, upperTail, scoreOf } from './gaussian';
