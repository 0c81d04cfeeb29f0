/**
 * Runs simulation tasks in a worker thread, one at a time, so a long what-if or a calibration
 * never blocks Node-RED's event loop. A task over its time limit is stopped for sure: the worker
 * is terminated (a runaway model cannot be interrupted from inside) and a new one starts with
 * the next task.
 */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { InputError, TwinError } from '../../errors';

export interface TaskRequest {
  task: string;
  /** The simulator definition (JSON-safe); the worker compiles it once per distinct text. */
  spec: unknown;
  args: unknown;
}

interface Pending {
  id: number;
  request: TaskRequest;
  timeLimitMs: number;
  resolve(value: unknown): void;
  reject(err: Error): void;
}

interface WorkerReply {
  id: number;
  result?: unknown;
  error?: { code: string; shortReason: string; message: string };
}

/**
 * A TwinError rebuilt from the worker's reply (the class does not cross threads). The definition was
 * checked at deploy, so what fails now comes from the request: an InputError either way.
 */
function rebuild(e: NonNullable<WorkerReply['error']>): Error {
  if (e.code === 'CONFIG' || e.code === 'INPUT') return new InputError(e.shortReason, e.message);
  return new Error(e.message);
}

export class TaskRunner {
  private worker: Worker | undefined;
  private readonly queue: Pending[] = [];
  private running: (Pending & { timer: NodeJS.Timeout; worker: Worker }) | undefined;
  private nextId = 1;
  private closed = false;

  constructor(private readonly maxQueued = 20, private readonly entry = path.join(__dirname, 'simulation-worker.js')) {}

  run<T>(request: TaskRequest, timeLimitMs: number): Promise<T> {
    if (this.closed) return Promise.reject(new InputError('closed', 'the simulator is shutting down'));
    if (this.queue.length >= this.maxQueued) {
      return Promise.reject(new InputError('busy', `${this.queue.length} requests are already waiting; try again later`));
    }
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, request, timeLimitMs, resolve: resolve as (v: unknown) => void, reject });
      this.pump();
    });
  }

  /** Rejects what waits, stops the worker. */
  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0)) p.reject(new InputError('closed', 'the simulator was stopped before this request ran'));
    this.finish(new InputError('closed', 'the simulator was stopped while this request ran'));
    const w = this.worker;
    this.worker = undefined;
    if (w) await w.terminate();
  }

  private spawn(): Worker {
    const worker = new Worker(this.entry);
    worker.unref();
    // Events of a worker that was replaced (terminated after a time limit) concern no task any more.
    const ours = (): boolean => this.running?.worker === worker;
    worker.on('message', (reply: WorkerReply) => {
      if (!ours() || reply.id !== this.running?.id) return;
      if (reply.error) this.finish(rebuild(reply.error));
      else this.finish(undefined, reply.result);
    });
    worker.on('error', (err) => {
      if (this.worker === worker) this.worker = undefined;
      if (ours()) this.finish(new InputError('simulation failed', err.message));
    });
    worker.on('exit', () => {
      if (this.worker === worker) this.worker = undefined;
      if (ours()) this.finish(new InputError('simulation failed', 'the simulation worker stopped'));
    });
    return worker;
  }

  private pump(): void {
    if (this.running || this.closed) return;
    const next = this.queue.shift();
    if (!next) return;
    this.worker ??= this.spawn();
    const worker = this.worker;
    const timer = setTimeout(() => {
      if (this.worker === worker) this.worker = undefined;
      this.finish(new InputError('time limit', `the request took longer than ${Math.round(next.timeLimitMs)} ms and was stopped`));
      void worker.terminate();
    }, next.timeLimitMs);
    timer.unref();
    this.running = { ...next, timer, worker };
    worker.postMessage({ id: next.id, ...next.request });
  }

  private finish(error?: Error, result?: unknown): void {
    const done = this.running;
    if (!done) return;
    this.running = undefined;
    clearTimeout(done.timer);
    if (error) done.reject(error instanceof TwinError || error instanceof Error ? error : new Error(String(error)));
    else done.resolve(result);
    setImmediate(() => this.pump());
  }
}
