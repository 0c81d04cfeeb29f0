/**
 * The worker thread behind OptimizerRunner: one job at a time; the stop flag is shared memory so
 * that even a synchronous search loop sees it; changes of the goal arrive as messages and are
 * picked up between the steps of a setpoint search.
 */
import { parentPort } from 'node:worker_threads';
import { isTwinError } from '../../errors';
import { runOptimisationTask } from '../tasks';
import type { SetpointChange } from '../setpoint-task';

interface StartMessage {
  type: 'start';
  id: number;
  task: string;
  args: unknown;
  stopFlag: Int32Array;
  timeLimitMs: number;
}

let pendingChange: { id: number; change: SetpointChange } | undefined;

parentPort?.on('message', (message: StartMessage | { type: 'change'; id: number; change: SetpointChange }) => {
  if (message.type === 'change') {
    pendingChange = { id: message.id, change: message.change };
    return;
  }
  const { id, stopFlag } = message;
  const post = (type: string, payload: unknown): void => parentPort?.postMessage({ type, id, payload });
  runOptimisationTask(message.task, message.args, {
    shouldStop: () => Atomics.load(stopFlag, 0) === 1,
    improvement: (payload) => post('improvement', payload),
    progress: (payload) => post('progress', payload),
    pause: () => new Promise<void>((resolve) => setImmediate(resolve)),
  }, () => {
    if (!pendingChange || pendingChange.id !== id) return undefined;
    const change = pendingChange.change;
    pendingChange = undefined;
    return change;
  }).then(
    (result) => post('done', result),
    (err: unknown) => {
      const e = err as Error;
      parentPort?.postMessage({
        type: 'error',
        id,
        error: isTwinError(err) ? { code: err.code, shortReason: err.shortReason, message: err.message } : { code: 'INTERNAL', shortReason: 'internal error', message: e?.message ?? String(err) },
      });
    },
  );
});
