import { describeValue, isTwinError } from '../../core/errors';
import type { DoneFn, Node, NodeMessage } from './red';

/**
 * The one error path. With `done` (an input message) the error goes to `done(err)`, which
 * Node-RED logs and routes to Catch nodes; without one (data that arrived from a connection)
 * `node.error(err, msg)` does the same for the message we built. Returns the short reason
 * for the caller's status.
 */
export function reportError(node: Pick<Node, 'error'>, err: unknown, msg: NodeMessage, done?: DoneFn): string {
  const error = err instanceof Error ? err : new Error(typeof err === 'string' ? err : describeValue(err));
  const shortReason = isTwinError(error) ? error.shortReason : 'internal error';
  try {
    if (done) done(error);
    else node.error(error, msg);
  } catch {
    // Node-RED copies the message for each Catch node, and some messages cannot be copied (nested
    // thousands of levels deep, a Buffer under an own "__proto__" key). Rather than let that escape
    // the input handler (an async one would reject unhandled and stop the runtime), the refusal
    // is reported without the message: logged, and Catch nodes still get it.
    node.error(error);
  }
  return shortReason;
}
