/**
 * brain.js feed-forward networks with seeded starting weights, so a training run is repeatable
 * (brain.js itself draws them from Math.random). The weights are written through brain.js's own
 * fromJSON, which stores them as Float32Array exactly as a trained and saved network does, so a
 * network saved with toJSON and restored with restoreNetwork predicts bit-for-bit the same.
 */
import type { NeuralNetwork } from 'brain.js';
import type { Activation, NeuralNetworkJSON } from 'brain.js';
import { ConfigError, InputError } from '../errors';
import { SeededRandom } from '../simulation/des/random';

export type { Activation, NeuralNetworkJSON } from 'brain.js';

export interface NetworkSpec {
  inputs: number;
  outputs: number;
  /** Sizes of the hidden layers (default [8]). */
  hiddenLayers?: number[];
  /** Default 'sigmoid' (outputs in (0, 1): scale targets into e.g. [0.1, 0.9]). */
  activation?: Activation;
  /** Seed of the starting weights (default 1). */
  seed?: number;
}

const activations: readonly Activation[] = ['sigmoid', 'relu', 'leaky-relu', 'tanh'];

function positiveInt(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new ConfigError(`bad ${name}`, `${name} must be a positive integer, got ${String(v)}`);
  return v;
}

/**
 * A network of the given shape with uniform Glorot starting weights (scaled ×4 for sigmoid, as
 * Glorot & Bengio recommend) and zero biases, drawn from a seeded mulberry32 stream.
 */
/** brain.js is loaded with the first network (about 10 MB): flows without learned models never load it. */
function brain(): typeof import('brain.js') {
  return require('brain.js') as typeof import('brain.js');
}

export function createNetwork(spec: NetworkSpec): NeuralNetwork {
  const inputs = positiveInt('inputs', spec.inputs);
  const outputs = positiveInt('outputs', spec.outputs);
  const hidden = spec.hiddenLayers ?? [8];
  if (!Array.isArray(hidden)) throw new ConfigError('bad hiddenLayers', 'hiddenLayers must be a list of layer sizes');
  hidden.forEach((h, i) => positiveInt(`hiddenLayers[${i}]`, h));
  const activation = spec.activation ?? 'sigmoid';
  if (!activations.includes(activation)) throw new ConfigError('bad activation', `activation must be one of ${activations.join(', ')}, got ${String(activation)}`);
  const rnd = new SeededRandom(spec.seed ?? 1);
  const sizes = [inputs, ...hidden, outputs];
  const layers: NeuralNetworkJSON['layers'] = [];
  layers[0] = {};
  for (let k = 0; k < inputs; k++) layers[0][k] = {};
  for (let l = 1; l < sizes.length; l++) {
    const fanIn = sizes[l - 1];
    const fanOut = sizes[l];
    const limit = Math.sqrt(6 / (fanIn + fanOut)) * (activation === 'sigmoid' ? 4 : 1) * (l === sizes.length - 1 ? 0.5 : 1);
    const layer: NeuralNetworkJSON['layers'][number] = {};
    for (let j = 0; j < fanOut; j++) {
      const weights: Record<string, number> = {};
      for (let k = 0; k < fanIn; k++) weights[k] = (2 * rnd.next() - 1) * limit;
      layer[j] = { bias: 0, weights };
    }
    layers[l] = layer;
  }
  const net = new (brain().NeuralNetwork)({ hiddenLayers: hidden.slice(), activation });
  // null, not false: brain.js copies these onto the network and its toJSON() tests `!== null`.
  net.fromJSON({ sizes, layers, inputLookup: null, outputLookup: null, activation });
  return net;
}

/** Layer sizes [inputs, ...hidden, outputs] of an initialised network, undefined before. */
export function networkSizes(net: NeuralNetwork): number[] | undefined {
  const sizes = (net as unknown as { sizes?: number[] | null }).sizes;
  return Array.isArray(sizes) ? sizes.slice() : undefined;
}

/** Restores a network saved with net.toJSON(); ConfigError 'bad network' if it is not one. */
export function restoreNetwork(json: NeuralNetworkJSON): NeuralNetwork {
  if (!json || typeof json !== 'object' || !Array.isArray(json.sizes) || !Array.isArray(json.layers) || json.layers.length !== json.sizes.length) {
    throw new ConfigError('bad network', 'the saved network has no matching sizes and layers');
  }
  if (json.sizes.length < 2 || !json.sizes.every((s) => Number.isInteger(s) && s > 0)) throw new ConfigError('bad network', `bad layer sizes ${JSON.stringify(json.sizes)}`);
  if (!activations.includes(json.activation)) throw new ConfigError('bad network', `unknown activation ${String(json.activation)}`);
  for (let l = 1; l < json.sizes.length; l++) {
    const layer = json.layers[l];
    if (!layer || Object.keys(layer).length !== json.sizes[l]) throw new ConfigError('bad network', `layer ${l} does not have ${json.sizes[l]} nodes`);
    for (const node of Object.values(layer)) {
      const w = node?.weights ? Object.values(node.weights) : [];
      if (typeof node?.bias !== 'number' || !Number.isFinite(node.bias) || w.length !== json.sizes[l - 1] || !w.every((x) => typeof x === 'number' && Number.isFinite(x))) {
        throw new ConfigError('bad network', `layer ${l} has a node without ${json.sizes[l - 1]} finite weights and a bias`);
      }
    }
  }
  const net = new (brain().NeuralNetwork)({ hiddenLayers: json.sizes.slice(1, -1), activation: json.activation });
  // Training options are not part of a saved model here: the trainer passes its own every call.
  const { trainOpts: _ignored, ...rest } = json;
  // Plain numeric inputs and outputs only: no brain.js lookup tables (see createNetwork).
  net.fromJSON({ ...rest, sizes: json.sizes.slice(), inputLookup: null, outputLookup: null });
  return net;
}

/** Runs the network on one already-scaled input; InputError 'not finite' if an output is not finite. */
export function runNetwork(net: NeuralNetwork, input: ArrayLike<number>): number[] {
  const out = net.run(Array.isArray(input) ? input : Array.from(input));
  if (!out) throw new ConfigError('not trained', 'the network is not initialised');
  const result = Array.from(out);
  for (let i = 0; i < result.length; i++) {
    if (!Number.isFinite(result[i])) throw new InputError('not finite', `network output ${i} is ${result[i]}`);
  }
  return result;
}
