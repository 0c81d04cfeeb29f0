/**
 * One worker thread running jobs one at a time, with a short queue and a hard time limit: a job
 * still running at its limit (plus a grace) loses its worker, which is terminated (a runaway loop
 * cannot be interrupted from inside) and replaced with the next job. Messages of a replaced
 * worker concern no job any more and are ignored. The simulator's and the optimizer's runners
 * build on it; subclasses say how a job starts and what its messages mean.
 */
import { Worker } from 'node:worker_threads';
import { InputError } from '../errors';

export interface QueuedJob {
  id: number;
  timeLimitMs: number;
  resolve(value: unknown): void;
  reject(err: Error): void;
}

/** An error from the worker, as plain data (classes do not cross threads). */
export interface WorkerError {
  code: string;
  shortReason: string;
  message: string;
}

/**
 * The error rebuilt on this side. Definitions were checked at deploy, so what fails now comes from
 * the request's data: an InputError either way.
 */
export function rebuildWorkerError(e: WorkerError): Error {
  if (e.code === 'CONFIG' || e.code === 'INPUT') return new InputError(e.shortReason, e.message);
  return new Error(e.message);
}

export abstract class WorkerJobQueue<J extends QueuedJob> {
  private worker: Worker | undefined;
  private readonly queue: J[] = [];
  protected running: (J & { timer: NodeJS.Timeout; worker: Worker }) | undefined;
  private nextId = 1;
  private closed = false;

  /** `what` names the owner in messages ("the simulator"). */
  constructor(private readonly entry: string, private readonly maxQueued: number, private readonly graceMs: number, private readonly what: string) {}

  protected enqueue<T>(job: Omit<J, 'id' | 'resolve' | 'reject'>): Promise<T> {
    if (this.closed) return Promise.reject(new InputError('closed', `${this.what} is shutting down`));
    if (this.queue.length >= this.maxQueued) return Promise.reject(new InputError('busy', `${this.queue.length} requests are already waiting; try again later`));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ ...job, id: this.nextId++, resolve: resolve as (v: unknown) => void, reject } as J);
      this.pump();
    });
  }

  /** Posts the job to its worker. */
  protected abstract start(worker: Worker, job: J): void;
  /** A message of the running job's worker; call finish() when it ends the job. */
  protected abstract handle(job: J, message: unknown): void;

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new InputError('closed', `${this.what} was stopped before this request ran`));
    this.finish(new InputError('closed', `${this.what} was stopped while this request ran`));
    const w = this.worker;
    this.worker = undefined;
    if (w) await w.terminate();
  }

  protected finish(error?: Error, result?: unknown): void {
    const job = this.running;
    if (!job) return;
    this.running = undefined;
    clearTimeout(job.timer);
    if (error) job.reject(error);
    else job.resolve(result);
    setImmediate(() => this.pump());
  }

  private spawn(): Worker {
    const worker = new Worker(this.entry);
    worker.unref();
    const ours = (): boolean => this.running?.worker === worker;
    worker.on('message', (message: unknown) => {
      if (this.running && ours()) this.handle(this.running, message);
    });
    worker.on('error', (err) => {
      if (this.worker === worker) this.worker = undefined;
      if (ours()) this.finish(new InputError('worker failed', err.message));
    });
    worker.on('exit', () => {
      if (this.worker === worker) this.worker = undefined;
      if (ours()) this.finish(new InputError('worker failed', `the worker thread of ${this.what} stopped`));
    });
    return worker;
  }

  private pump(): void {
    if (this.running || this.closed) return;
    const job = this.queue.shift();
    if (!job) return;
    this.worker ??= this.spawn();
    const worker = this.worker;
    const limitMs = job.timeLimitMs + this.graceMs;
    const timer = setTimeout(() => {
      if (this.worker === worker) this.worker = undefined;
      this.finish(new InputError('time limit', `the request took longer than ${Math.round(limitMs)} ms and was stopped`));
      void worker.terminate();
    }, limitMs);
    timer.unref();
    this.running = { ...job, timer, worker };
    this.start(worker, job);
  }
}
