/**
 * The worker thread behind TaskRunner: compiles a simulator definition once per distinct text,
 * runs the task and posts the result or a plain description of the error.
 */
import { parentPort } from 'node:worker_threads';
import { isTwinError } from '../../errors';
import { runTask } from '../simulator-tasks';

interface TaskMessage {
  id: number;
  task: string;
  spec: unknown;
  args: unknown;
}

parentPort?.on('message', async (message: TaskMessage) => {
  try {
    const result = await runTask(message.task, message.spec, message.args);
    parentPort?.postMessage({ id: message.id, result });
  } catch (err) {
    const e = err as Error;
    parentPort?.postMessage({
      id: message.id,
      error: isTwinError(err) ? { code: err.code, shortReason: err.shortReason, message: err.message } : { code: 'INTERNAL', shortReason: 'internal error', message: e?.message ?? String(err) },
    });
  }
});
