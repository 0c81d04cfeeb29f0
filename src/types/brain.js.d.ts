/**
 * Minimal ambient types for brain.js 1.6.1 (the package ships none): only what
 * src/core/learning uses. `train` is synchronous and continues from the current weights once the
 * network is initialised; `timeout` (ms) is checked between epochs.
 */
declare module 'brain.js' {
  export type Activation = 'sigmoid' | 'relu' | 'leaky-relu' | 'tanh';

  export interface NeuralNetworkOptions {
    hiddenLayers?: number[];
    activation?: Activation;
  }

  export interface TrainingDatum {
    input: ArrayLike<number>;
    output: ArrayLike<number>;
  }

  export interface TrainOptions {
    iterations?: number;
    errorThresh?: number;
    learningRate?: number;
    momentum?: number;
    timeout?: number;
    log?: boolean | ((status: string) => void);
    praxis?: 'adam' | null;
  }

  export interface TrainStatus {
    error: number;
    iterations: number;
  }

  /** What toJSON() returns and fromJSON() takes (layer 0 has one empty entry per input). */
  export interface NeuralNetworkJSON {
    sizes: number[];
    layers: Array<Record<string, { bias?: number; weights?: Record<string, number> }>>;
    /** brain.js writes booleans; fromJSON copies the value onto the network, so pass null there. */
    outputLookup: boolean | null;
    inputLookup: boolean | null;
    activation: Activation;
    trainOpts?: Record<string, unknown>;
  }

  export class NeuralNetwork {
    constructor(options?: NeuralNetworkOptions);
    train(data: TrainingDatum[], options?: TrainOptions): TrainStatus;
    run(input: ArrayLike<number>): Float32Array | number[];
    toJSON(): NeuralNetworkJSON;
    fromJSON(json: NeuralNetworkJSON): this;
  }
}
