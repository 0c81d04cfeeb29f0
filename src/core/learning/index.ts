/** Learning layer: brain.js networks trained in event-loop-friendly slices, and the models built on them. */
export { MinMaxScaler } from './scaler';
export type { ScalerOptions, ScalerJSON } from './scaler';
export { createNetwork, restoreNetwork, runNetwork, networkSizes } from './network';
export type { NetworkSpec, Activation, NeuralNetworkJSON } from './network';
export { SlicedTrainer, trainSliced, forEachSliced } from './sliced-trainer';
export type { TrainingRow, TrainingMatrix, TrainingData, SlicedTrainOptions, SlicedTrainResult, EpochProgress, StopReason, SlicedLoopResult } from './sliced-trainer';
export { ResidualModel, blockHoldout } from './residual-model';
export type { ResidualModelOptions, ResidualStats, ResidualTrainResult, ResidualModelJSON, ResidualTrainingOptions } from './residual-model';
export { KpiSurrogate } from './surrogate';
export type { ScenarioResult, SurrogateOptions, SurrogateTrainResult, SurrogateJSON, KpiError, SurrogateTrainingOptions } from './surrogate';
export { HealthModel, parseCmapss, windowFeatures } from './health-model';
export type { CmapssUnit, HealthModelOptions, HealthTrainResult, HealthModelJSON, HealthTrainingOptions } from './health-model';
