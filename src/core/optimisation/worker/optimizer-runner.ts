/**
 * Runs optimisation jobs in a worker thread, one at a time (later ones wait in a short queue), with
 * what an anytime search needs: improving results and progress reported while it runs, a stop
 * that the worker sees between iterations (a shared flag, since a synchronous search loop cannot
 * read messages), changes of objectives, weights and constraints sent to the running job, and a
 * hard stop: a job still running 5 s past its time limit loses its worker (see WorkerJobQueue).
 */
import * as path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { WorkerJobQueue, rebuildWorkerError, type QueuedJob, type WorkerError } from '../../worker/job-queue';

export interface JobHandlers {
  onImprovement?(payload: unknown): void;
  onProgress?(payload: unknown): void;
}

interface Job extends QueuedJob, JobHandlers {
  task: string;
  args: unknown;
  stopFlag: Int32Array;
}

interface Reply {
  type: 'improvement' | 'progress' | 'done' | 'error';
  id: number;
  payload?: unknown;
  error?: WorkerError;
}

const hardStopGraceMs = 5000;

export class OptimizerRunner extends WorkerJobQueue<Job> {
  constructor(maxQueued = 5, entry = path.join(__dirname, 'optimizer-worker.js')) {
    super(entry, maxQueued, hardStopGraceMs, 'the optimizer');
  }

  get busy(): boolean {
    return this.running !== undefined;
  }

  /** The running job's task name, if any. */
  get current(): string | undefined {
    return this.running?.task;
  }

  run<T>(task: string, args: unknown, timeLimitMs: number, handlers: JobHandlers = {}): Promise<T> {
    return this.enqueue<T>({ task, args, timeLimitMs, ...handlers, stopFlag: new Int32Array(new SharedArrayBuffer(4)) });
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

  protected start(worker: Worker, job: Job): void {
    worker.postMessage({ type: 'start', id: job.id, task: job.task, args: job.args, stopFlag: job.stopFlag, timeLimitMs: job.timeLimitMs });
  }

  protected handle(job: Job, message: unknown): void {
    const reply = message as Reply;
    if (reply.id !== job.id) return;
    if (reply.type === 'improvement') job.onImprovement?.(reply.payload);
    else if (reply.type === 'progress') job.onProgress?.(reply.payload);
    else if (reply.type === 'done') this.finish(undefined, reply.payload);
    else if (reply.error) this.finish(rebuildWorkerError(reply.error));
  }
}
