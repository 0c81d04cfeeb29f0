/** The live twin state (layer 3, synchronisation): see twin-state.ts. */
export { TwinState } from './twin-state';
export * from './types';
