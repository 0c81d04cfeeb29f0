/**
 * Trains a brain.js network without holding the event loop for long: brain.js's `train` is
 * synchronous and runs whole epochs over the data it is given, so we give it shuffled chunks
 * (mini-batches) of the data, one `train(chunk, {iterations: 1, timeout})` call each, and yield
 * with setImmediate whenever the current slice has used its budget (`sliceMs`, default 5 ms, which
 * leaves room under 20 ms for a GC pause or the OS taking the CPU away).
 *
 * - One epoch is one pass over every row, in a fresh seeded shuffle (mulberry32) per epoch; brain.js
 *   trains pattern by pattern, so feeding the chunks in order is exactly its online SGD over the
 *   shuffled data.
 * - The chunk size adapts to the measured cost per row (fast upward, slow downward) so one chunk
 *   takes about a quarter of the slice budget, and a slice runs further chunks (for a tiny set
 *   such as XOR, further epochs) only while the predicted time still fits.
 * - Each call is `iterations: 1`: as brain.js keeps its momentum state between calls, the weight
 *   updates are then exactly those of online SGD over the shuffled epoch whatever the chunk size,
 *   so a training is repeatable from its seed on any machine (unless a time limit cuts it).
 * - `maxSliceMs` in the result is the longest synchronous stretch actually measured (from a
 *   slice's start to its yield), not the budget; the rows are validated in slices too.
 * - Data is a list of {input, output} rows or, for large sets, a TrainingMatrix (two flat typed
 *   arrays), which spares the garbage collector from copying thousands of small arrays: such GC
 *   pauses would otherwise land outside any slice and block the loop all the same.
 * - Stops after `epochs`, when an epoch's mean training error (brain.js's: mean over rows of the
 *   mean squared output error, in scaled units) drops to `errorThresh`, at `timeLimitMs`, when
 *   `onEpoch` returns false, or on cancel (AbortSignal or cancel()). Cancelling resolves (the
 *   network keeps the weights reached so far) with stopReason 'cancelled'; it does not reject.
 * - The learning rate can be annealed geometrically from `learningRate` to `finalLearningRate`
 *   over the epochs, which per-pattern SGD needs to settle.
 */
import type { NeuralNetwork } from 'brain.js';
import { ConfigError } from '../errors';
import { SeededRandom } from '../simulation/des/random';
import { networkSizes } from './network';

export interface TrainingRow {
  input: number[];
  output: number[];
}

/**
 * Training data as two row-major matrices: row i's inputs are inputs[i·inputSize …], its outputs
 * outputs[i·outputSize …]. For large sets: two typed arrays instead of thousands of small arrays
 * that the garbage collector would copy around (the chunks handed to brain.js are built on the
 * fly and die young).
 */
export interface TrainingMatrix {
  inputs: Float64Array | Float32Array;
  outputs: Float64Array | Float32Array;
  inputSize: number;
  outputSize: number;
}

export type TrainingData = TrainingRow[] | TrainingMatrix;

export interface EpochProgress {
  epoch: number;
  /** Mean training error of this epoch (brain.js MSE, scaled units). */
  error: number;
  learningRate: number;
  elapsedMs: number;
}

export interface SlicedTrainOptions {
  /** Most passes over the data (default 100). */
  epochs?: number;
  /** Stop once an epoch's mean training error is at most this (default 0: never). */
  errorThresh?: number;
  /** Learning rate of the first epoch, in (0, 1) (default 0.3, brain.js's default). */
  learningRate?: number;
  /** Learning rate of the last epoch, annealed geometrically (default: learningRate). */
  finalLearningRate?: number;
  /** Momentum in [0, 1) (default 0.1, brain.js's default). */
  momentum?: number;
  /** Longest synchronous stretch aimed for, ms (default 5; 1..50). */
  sliceMs?: number;
  /** Total time limit, ms (default 60000). */
  timeLimitMs?: number;
  /** Fixed rows per train call; default: adaptive from the measured time per row. */
  batchSize?: number;
  /** Seed of the per-epoch shuffle (default 1). */
  seed?: number;
  /** Cancels the training (it then resolves with stopReason 'cancelled'). */
  signal?: AbortSignal;
  /** Called after each epoch; returning false stops the training (stopReason 'callback'). */
  onEpoch?: (progress: EpochProgress) => boolean | void;
}

export type StopReason = 'epochs' | 'error' | 'time' | 'cancelled' | 'callback';

export interface SlicedTrainResult {
  /** Mean training error of the last complete epoch (of the partial one if none completed). */
  error: number;
  /** Completed epochs. */
  epochs: number;
  /** Synchronous stretches between yields. */
  slices: number;
  /** brain.js train() calls. */
  trainCalls: number;
  elapsedMs: number;
  /** Longest measured synchronous stretch, ms. */
  maxSliceMs: number;
  meanSliceMs: number;
  /** 99th percentile of the training slices, ms (one OS hiccup moves the max, not this). */
  p99SliceMs: number;
  /** Rows per train call at the end (adaptive) or as given. */
  batchSize: number;
  stopReason: StopReason;
}

const now = (): number => performance.now();

/** The q-quantile (nearest rank) of `values`; 0 for none. */
function percentile(values: number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

function checkNumber(name: string, v: unknown, lo: number, hi: number, loOpen: boolean, hiOpen: boolean): number {
  const ok = typeof v === 'number' && Number.isFinite(v) && (loOpen ? v > lo : v >= lo) && (hiOpen ? v < hi : v <= hi);
  if (!ok) throw new ConfigError(`bad ${name}`, `${name} must be in ${loOpen ? '(' : '['}${lo}, ${hi}${hiOpen ? ')' : ']'}, got ${String(v)}`);
  return v as number;
}

interface Resolved {
  epochs: number;
  errorThresh: number;
  learningRate: number;
  finalLearningRate: number;
  momentum: number;
  sliceMs: number;
  timeLimitMs: number;
  batchSize: number | undefined;
  seed: number;
}

function resolveOptions(o: SlicedTrainOptions): Resolved {
  const epochs = o.epochs ?? 100;
  if (!Number.isInteger(epochs) || epochs < 1) throw new ConfigError('bad epochs', `epochs must be a positive integer, got ${String(epochs)}`);
  const learningRate = checkNumber('learningRate', o.learningRate ?? 0.3, 0, 1, true, true);
  const batchSize = o.batchSize;
  if (batchSize !== undefined && (!Number.isInteger(batchSize) || batchSize < 1)) throw new ConfigError('bad batchSize', `batchSize must be a positive integer, got ${String(batchSize)}`);
  return {
    epochs,
    errorThresh: checkNumber('errorThresh', o.errorThresh ?? 0, 0, 1, false, true),
    learningRate,
    finalLearningRate: checkNumber('finalLearningRate', o.finalLearningRate ?? learningRate, 0, 1, true, true),
    momentum: checkNumber('momentum', o.momentum ?? 0.1, 0, 1, false, true),
    sliceMs: checkNumber('sliceMs', o.sliceMs ?? 5, 1, 50, false, false),
    timeLimitMs: checkNumber('timeLimitMs', o.timeLimitMs ?? 60000, 0, Infinity, true, true),
    batchSize,
    seed: o.seed ?? 1,
  };
}

interface DataAccess {
  rows: number;
  nIn: number;
  nOut: number;
  row(i: number): TrainingRow;
  /** ConfigError 'bad data' unless rows [from, to) are complete and finite. */
  check(from: number, to: number): void;
}

function badValue(i: number, what: string, v: unknown): never {
  throw new ConfigError('bad data', `training row ${i} has an ${what} ${String(v)}, not a finite number`);
}

/** Uniform access to rows or matrices; ConfigError 'no data' / 'bad data' for an unusable shape. */
function dataAccess(net: NeuralNetwork, data: TrainingData): DataAccess {
  const sizes = networkSizes(net);
  if (Array.isArray(data)) {
    if (data.length === 0) throw new ConfigError('no data', 'the training data is empty');
    const nIn = sizes ? sizes[0] : data[0]?.input?.length;
    const nOut = sizes ? sizes[sizes.length - 1] : data[0]?.output?.length;
    return {
      rows: data.length,
      nIn,
      nOut,
      row: (i) => data[i],
      check(from, to) {
        for (let i = from; i < to; i++) {
          const row = data[i];
          if (!row || !Array.isArray(row.input) || !Array.isArray(row.output) || row.input.length !== nIn || row.output.length !== nOut) {
            throw new ConfigError('bad data', `training row ${i} needs ${nIn} inputs and ${nOut} outputs (lists of numbers)`);
          }
          for (const v of row.input) if (typeof v !== 'number' || !Number.isFinite(v)) badValue(i, 'input', v);
          for (const v of row.output) if (typeof v !== 'number' || !Number.isFinite(v)) badValue(i, 'output', v);
        }
      },
    };
  }
  const m = data as TrainingMatrix;
  const typed = (a: unknown): boolean => a instanceof Float64Array || a instanceof Float32Array;
  if (!m || !typed(m.inputs) || !typed(m.outputs) || !Number.isInteger(m.inputSize) || !Number.isInteger(m.outputSize) || m.inputSize < 1 || m.outputSize < 1) {
    throw new ConfigError('bad data', 'training data must be a list of {input, output} or a matrix {inputs, outputs, inputSize, outputSize} of Float64Array/Float32Array');
  }
  const rows = m.inputs.length / m.inputSize;
  if (!Number.isInteger(rows) || rows * m.outputSize !== m.outputs.length) throw new ConfigError('bad data', `the input matrix has ${m.inputs.length} values and the output matrix ${m.outputs.length}: not whole rows of ${m.inputSize} and ${m.outputSize}`);
  if (rows === 0) throw new ConfigError('no data', 'the training data is empty');
  if (sizes && (sizes[0] !== m.inputSize || sizes[sizes.length - 1] !== m.outputSize)) {
    throw new ConfigError('bad data', `the network takes ${sizes[0]} inputs and gives ${sizes[sizes.length - 1]} outputs, the data has ${m.inputSize} and ${m.outputSize}`);
  }
  return {
    rows,
    nIn: m.inputSize,
    nOut: m.outputSize,
    row: (i) => ({
      input: Array.from(m.inputs.subarray(i * m.inputSize, (i + 1) * m.inputSize)),
      output: Array.from(m.outputs.subarray(i * m.outputSize, (i + 1) * m.outputSize)),
    }),
    check(from, to) {
      for (let k = from * m.inputSize; k < to * m.inputSize; k++) if (!Number.isFinite(m.inputs[k])) badValue(Math.floor(k / m.inputSize), 'input', m.inputs[k]);
      for (let k = from * m.outputSize; k < to * m.outputSize; k++) if (!Number.isFinite(m.outputs[k])) badValue(Math.floor(k / m.outputSize), 'output', m.outputs[k]);
    },
  };
}

/** Trains one network at a time in event-loop-friendly slices; cancel() stops the running one. */
export class SlicedTrainer {
  private readonly options: SlicedTrainOptions;
  private controller: AbortController | undefined;

  constructor(options: SlicedTrainOptions = {}) {
    resolveOptions(options); // refuse bad options early
    this.options = options;
  }

  get running(): boolean {
    return this.controller !== undefined;
  }

  /** Stops the running training (it resolves with stopReason 'cancelled'); no-op when idle. */
  cancel(): void {
    this.controller?.abort();
  }

  /** Trains `net` on `data`; `options` override the constructor's for this run. ConfigError 'busy' while running. */
  async train(net: NeuralNetwork, data: TrainingData, options: SlicedTrainOptions = {}): Promise<SlicedTrainResult> {
    if (this.controller) throw new ConfigError('busy', 'this trainer is already training; cancel it or wait');
    const controller = new AbortController();
    this.controller = controller;
    const outer = options.signal ?? this.options.signal;
    const onAbort = (): void => controller.abort();
    if (outer) {
      if (outer.aborted) controller.abort();
      else outer.addEventListener('abort', onAbort, { once: true });
    }
    try {
      return await trainSliced(net, data, { ...this.options, ...options, signal: controller.signal });
    } finally {
      outer?.removeEventListener('abort', onAbort);
      this.controller = undefined;
    }
  }
}

/** Trains `net` on `data` in slices of at most ~`sliceMs` of synchronous work. See the file comment. */
export function trainSliced(net: NeuralNetwork, data: TrainingData, options: SlicedTrainOptions = {}): Promise<SlicedTrainResult> {
  let o: Resolved;
  let access: DataAccess;
  try {
    o = resolveOptions(options);
    access = dataAccess(net, data);
  } catch (err) {
    return Promise.reject(err);
  }
  const started = now();
  // The rows are checked in slices too (a large set takes tens of ms), then trained.
  const CHECK_CHUNK = 512;
  const n = access.rows;
  return forEachSliced(Math.ceil(n / CHECK_CHUNK), (c) => access.check(c * CHECK_CHUNK, Math.min(n, (c + 1) * CHECK_CHUNK)), {
    sliceMs: o.sliceMs,
    signal: options.signal,
  }).then((checked) => trainChecked(net, access, o, options, checked, started));
}

function trainChecked(net: NeuralNetwork, data: DataAccess, o: Resolved, options: SlicedTrainOptions, checked: SlicedLoopResult, t0: number): Promise<SlicedTrainResult> {
  const signal = options.signal;
  const onEpoch = options.onEpoch;
  const n = data.rows;
  const rnd = new SeededRandom(o.seed);
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const shuffle = (): void => {
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(rnd.next() * (i + 1));
      const t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
  };
  // Target time of one train call: a quarter of the slice (well under the 15 ms an epoch may take).
  const chunkTargetMs = o.sliceMs / 4;
  const adaptive = o.batchSize === undefined;
  let batch = Math.min(n, o.batchSize ?? 8);
  let msPerRow = 0; // estimate, 0 = unknown
  let epoch = 0; // completed epochs
  let pos = 0; // position in the current epoch's order
  let epochErrSum = 0;
  let lastEpochError = NaN;
  let slices = 0;
  let trainCalls = 0;
  let stop: StopReason | undefined;
  let maxSliceMs = checked.maxSliceMs;
  let sliceSum = 0;
  const sliceTimes: number[] = [];
  if (checked.cancelled) stop = 'cancelled';
  shuffle();

  const learningRateAt = (e: number): number =>
    o.epochs <= 1 ? o.learningRate : o.learningRate * (o.finalLearningRate / o.learningRate) ** (Math.min(e, o.epochs - 1) / (o.epochs - 1));

  const observe = (ms: number, rowsTrained: number): void => {
    if (rowsTrained === 0) return;
    const perRow = ms / rowsTrained;
    msPerRow = msPerRow === 0 || perRow > msPerRow ? perRow : 0.8 * msPerRow + 0.2 * perRow;
    if (!adaptive) return;
    const want = Math.max(1, Math.floor(chunkTargetMs / Math.max(msPerRow, 1e-6)));
    batch = Math.min(n, want, Math.max(1, batch * 2));
  };

  const endEpoch = (error: number): void => {
    epoch++;
    lastEpochError = error;
    epochErrSum = 0;
    pos = 0;
    if (epoch >= o.epochs) stop = 'epochs';
    else if (error <= o.errorThresh) stop = 'error';
    if (onEpoch && onEpoch({ epoch, error, learningRate: learningRateAt(epoch - 1), elapsedMs: now() - t0 }) === false && !stop) stop = 'callback';
    if (!stop) shuffle();
  };

  /** One brain.js train call: one epoch over the next chunk of this epoch's shuffled order. */
  const step = (): void => {
    const size = Math.min(batch, n - pos);
    const rows = new Array<TrainingRow>(size);
    for (let i = 0; i < size; i++) rows[i] = data.row(order[pos + i]);
    const start = now();
    const status = net.train(rows, {
      iterations: 1,
      errorThresh: 1e-12,
      learningRate: learningRateAt(epoch),
      momentum: o.momentum > 0 ? o.momentum : 1e-12,
      log: false,
      // A guard only: the chunk size already keeps a call within a fraction of the slice.
      timeout: o.sliceMs,
    });
    trainCalls++;
    observe(now() - start, size * status.iterations);
    if (status.iterations === 0) return; // timed out before starting: nothing trained, try again
    epochErrSum += status.error * size;
    pos += size;
    if (pos >= n) endEpoch(epochErrSum / n);
  };

  /** Predicted duration of the next step, ms. */
  const predictNext = (): number => (msPerRow > 0 ? msPerRow * Math.min(batch, n - pos) : chunkTargetMs);

  return new Promise<SlicedTrainResult>((resolve, reject) => {
    const finish = (): void => {
      const elapsedMs = now() - t0;
      resolve({
        error: Number.isNaN(lastEpochError) ? (pos > 0 ? epochErrSum / pos : NaN) : lastEpochError,
        epochs: epoch,
        slices,
        trainCalls,
        elapsedMs,
        maxSliceMs,
        meanSliceMs: slices > 0 ? sliceSum / slices : 0,
        p99SliceMs: percentile(sliceTimes, 0.99),
        batchSize: batch,
        stopReason: stop ?? 'epochs',
      });
    };
    const slice = (): void => {
      const sliceStart = now();
      try {
        for (;;) {
          if (signal?.aborted) stop = 'cancelled';
          else if (sliceStart - t0 >= o.timeLimitMs || now() - t0 >= o.timeLimitMs) stop = 'time';
          if (stop) break;
          step();
          if (stop) break;
          if (now() - sliceStart + predictNext() > o.sliceMs) break;
        }
      } catch (err) {
        reject(err);
        return;
      }
      const ms = now() - sliceStart;
      slices++;
      sliceSum += ms;
      if (sliceTimes.length < 1_000_000) sliceTimes.push(ms);
      if (ms > maxSliceMs) maxSliceMs = ms;
      if (stop) finish();
      else setImmediate(slice);
    };
    setImmediate(slice);
  });
}

export interface SlicedLoopResult {
  /** Items processed (fewer than asked when cancelled). */
  done: number;
  slices: number;
  maxSliceMs: number;
  cancelled: boolean;
}

/**
 * Runs fn(0) … fn(count − 1) in slices of about `sliceMs` (default 5), yielding with setImmediate
 * between slices: for data preparation that would otherwise hold the event loop (one fn call
 * should take well under the budget). Stops early, with cancelled: true, when `signal` aborts.
 */
export function forEachSliced(count: number, fn: (i: number) => void, options: { sliceMs?: number; signal?: AbortSignal } = {}): Promise<SlicedLoopResult> {
  const sliceMs = options.sliceMs ?? 5;
  return new Promise((resolve, reject) => {
    let i = 0;
    let slices = 0;
    let maxSliceMs = 0;
    const slice = (): void => {
      const start = now();
      try {
        while (i < count && !options.signal?.aborted) {
          fn(i++);
          if (now() - start >= sliceMs) break;
        }
      } catch (err) {
        reject(err);
        return;
      }
      const ms = now() - start;
      slices++;
      if (ms > maxSliceMs) maxSliceMs = ms;
      if (i >= count || options.signal?.aborted) resolve({ done: i, slices, maxSliceMs, cancelled: i < count });
      else setImmediate(slice);
    };
    setImmediate(slice);
  });
}
