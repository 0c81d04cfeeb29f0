/**
 * Runs optimisation jobs in a worker thread, one at a time (later ones wait in a short queue), with
 * what an anytime search needs: improving results and progress reported while it runs, a stop
 * that the worker sees between iterations (a shared flag, since a synchronous search loop cannot
 * read messages), changes of objectives, weights and constraints sent to the running job, and a
 * hard stop: a job still running 5 s past its time limit loses its worker.
 */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { InputError } from '../../errors';

export interface JobHandlers {
  onImprovement?(payload: unknown): void;
  onProgress?(payload: unknown): void;
}

interface Job extends JobHandlers {
  id: number;
  task: string;
  args: unknown;
  timeLimitMs: number;
  resolve(value: unknown): void;
  reject(err: Error): void;
}

interface Reply {
  type: 'improvement' | 'progress' | 'done' | 'error';
  id: number;
  payload?: unknown;
  error?: { code: string; shortReason: string; message: string };
}

const hardStopGraceMs = 5000;

export class OptimizerRunner {
  private worker: Worker | undefined;
  private readonly queue: Job[] = [];
  private running: (Job & { timer: NodeJS.Timeout; worker: Worker; stopFlag: Int32Array }) | undefined;
  private nextId = 1;
  private closed = false;

  constructor(private readonly maxQueued = 5, private readonly entry = path.join(__dirname, 'optimizer-worker.js')) {}

  get busy(): boolean {
    return this.running !== undefined;
  }

  get waiting(): number {
    return this.queue.length;
  }

  /** The running job's task name, if any. */
  get current(): string | undefined {
    return this.running?.task;
  }

  run<T>(task: string, args: unknown, timeLimitMs: number, handlers: JobHandlers = {}): Promise<T> {
    if (this.closed) return Promise.reject(new InputError('closed', 'the optimizer is shutting down'));
    if (this.queue.length >= this.maxQueued) return Promise.reject(new InputError('busy', `${this.queue.length} requests are already waiting; send stop or try later`));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, task, args, timeLimitMs, ...handlers, resolve: resolve as (v: unknown) => void, reject });
      this.pump();
    });
  }

  /** Asks the running job to stop; it answers with the best found so far. False when none runs. */
  stop(): boolean {
    if (!this.running) return false;
    Atomics.store(this.running.stopFlag, 0, 1);
    return true;
  }

  /** Sends new objectives, weights or constraints to the running job. False when none runs. */
  change(change: unknown): boolean {
    if (!this.running) return false;
    this.running.worker.postMessage({ type: 'change', id: this.running.id, change });
    return true;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new InputError('closed', 'the optimizer was stopped before this request ran'));
    this.finish(new InputError('closed', 'the optimizer was stopped while this request ran'));
    const w = this.worker;
    this.worker = undefined;
    if (w) await w.terminate();
  }

  private spawn(): Worker {
    const worker = new Worker(this.entry);
    worker.unref();
    const ours = (): boolean => this.running?.worker === worker;
    worker.on('message', (reply: Reply) => {
      const job = this.running;
      if (!job || !ours() || reply.id !== job.id) return;
      if (reply.type === 'improvement') job.onImprovement?.(reply.payload);
      else if (reply.type === 'progress') job.onProgress?.(reply.payload);
      else if (reply.type === 'done') this.finish(undefined, reply.payload);
      else if (reply.error) {
        const e = reply.error;
        // The definition was checked at deploy: what fails now comes from the request's data.
        this.finish(e.code === 'CONFIG' || e.code === 'INPUT' ? new InputError(e.shortReason, e.message) : new Error(e.message));
      }
    });
    worker.on('error', (err) => {
      if (this.worker === worker) this.worker = undefined;
      if (ours()) this.finish(new InputError('optimisation failed', err.message));
    });
    worker.on('exit', () => {
      if (this.worker === worker) this.worker = undefined;
      if (ours()) this.finish(new InputError('optimisation failed', 'the optimisation worker stopped'));
    });
    return worker;
  }

  private pump(): void {
    if (this.running || this.closed) return;
    const job = this.queue.shift();
    if (!job) return;
    this.worker ??= this.spawn();
    const worker = this.worker;
    const stopFlag = new Int32Array(new SharedArrayBuffer(4));
    const timer = setTimeout(() => {
      if (this.worker === worker) this.worker = undefined;
      this.finish(new InputError('time limit', `the optimisation did not stop within ${Math.round((job.timeLimitMs + hardStopGraceMs) / 1000)} s and was ended`));
      void worker.terminate();
    }, job.timeLimitMs + hardStopGraceMs);
    timer.unref();
    this.running = { ...job, timer, worker, stopFlag };
    worker.postMessage({ type: 'start', id: job.id, task: job.task, args: job.args, stopFlag, timeLimitMs: job.timeLimitMs });
  }

  private finish(error?: Error, result?: unknown): void {
    const job = this.running;
    if (!job) return;
    this.running = undefined;
    clearTimeout(job.timer);
    if (error) job.reject(error);
    else job.resolve(result);
    setImmediate(() => this.pump());
  }
}
