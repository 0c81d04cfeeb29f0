/**
 * Runs simulation tasks in a worker thread, one at a time, so a long what-if or a calibration
 * never blocks Node-RED's event loop; a task over its time limit is stopped for sure (see
 * WorkerJobQueue).
 */
import * as path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { WorkerJobQueue, rebuildWorkerError, type QueuedJob, type WorkerError } from '../../worker/job-queue';

export interface TaskRequest {
  task: string;
  /** The simulator definition (JSON-safe); the worker compiles it once per distinct text. */
  spec: unknown;
  args: unknown;
}

interface Task extends QueuedJob {
  request: TaskRequest;
}

interface WorkerReply {
  id: number;
  result?: unknown;
  error?: WorkerError;
}

export class TaskRunner extends WorkerJobQueue<Task> {
  constructor(maxQueued = 20, entry = path.join(__dirname, 'simulation-worker.js')) {
    super(entry, maxQueued, 0, 'the simulator');
  }

  run<T>(request: TaskRequest, timeLimitMs: number): Promise<T> {
    return this.enqueue<T>({ request, timeLimitMs });
  }

  protected start(worker: Worker, task: Task): void {
    worker.postMessage({ id: task.id, ...task.request });
  }

  protected handle(task: Task, message: unknown): void {
    const reply = message as WorkerReply;
    if (reply.id !== task.id) return;
    if (reply.error) this.finish(rebuildWorkerError(reply.error));
    else this.finish(undefined, reply.result);
  }
}
