import { isTwinError } from '../../core/errors';
import type { DoneFn, Node, NodeMessage } from './red';

/**
 * The one error path. With `done` (an input message) the error goes to `done(err)`, which
 * Node-RED logs and routes to Catch nodes; without one (data that arrived from a connection)
 * `node.error(err, msg)` does the same for the message we built. Returns the short reason
 * for the caller's status.
 */
export function reportError(node: Pick<Node, 'error'>, err: unknown, msg: NodeMessage, done?: DoneFn): string {
  const error = err instanceof Error ? err : new Error(String(err));
  const shortReason = isTwinError(error) ? error.shortReason : 'internal error';
  if (done) done(error);
  else node.error(error, msg);
  return shortReason;
}
