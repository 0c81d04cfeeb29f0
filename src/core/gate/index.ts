/**
 * The framework-free core of `twin-gate`: the only way a decision reaches the plant.
 * candidate → envelope (hard gate) → trust score and verdict → queue → gray-scale rollout (or,
 * for a model, shadow then swap), every step written to the audit trail.
 */
export * from './candidate';
export * from './envelope';
export * from './counterfactual';
export * from './trust';
export * from './analysis';
export * from './commands';
export * from './rollout-config';
export * from './rollout';
export * from './queue';
export * from './audit';
export * from './model-promotion';
export * from './assess';
export type { SettingValue } from './util';
export * from './from-optimizer';
export * from './simulator-check';
