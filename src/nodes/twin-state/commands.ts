import { InputError } from '../../core/errors';
import type { TwinState } from '../../core/state';
import type { NodeMessage } from '../common/red';

export const stateCommands = ['get', 'snapshot', 'fidelity', 'desired'] as const;
export type StateCommand = (typeof stateCommands)[number];

/**
 * A message is a query when its topic is a command word and its payload is not a sample
 * (samples are objects with a `signal`), so a signal that happens to be named "get" still counts
 * as a sample when it arrives as one.
 */
export function commandOf(msg: NodeMessage): StateCommand | undefined {
  const topic = msg.topic;
  if (typeof topic !== 'string' || !(stateCommands as readonly string[]).includes(topic)) return undefined;
  const payload = msg.payload as { signal?: unknown } | null | undefined;
  if (payload !== null && typeof payload === 'object' && 'signal' in payload) return undefined;
  return topic as StateCommand;
}

/** Runs a query; the answer keeps the rest of the message (http in/out, correlation ids). */
export function answer(state: TwinState, command: StateCommand, msg: NodeMessage, modelRevision: number | null): NodeMessage {
  const reply = (payload: unknown, extra: Record<string, unknown> = {}): NodeMessage => ({ ...msg, topic: command, payload, modelRevision, ...extra });
  switch (command) {
    case 'get': {
      const pattern = typeof msg.payload === 'string' && msg.payload ? msg.payload : typeof msg.pattern === 'string' ? msg.pattern : '**';
      return reply(state.get(pattern, { history: msg.history === true }), { pattern });
    }
    case 'snapshot':
      return reply(state.snapshot());
    case 'fidelity': {
      const asset = typeof msg.payload === 'string' && msg.payload ? msg.payload : undefined;
      return reply(state.fidelity(asset), { asset: asset ?? '' });
    }
    case 'desired': {
      const request = msg.payload as { key?: unknown; value?: unknown; tolerance?: unknown; writtenAt?: unknown } | null;
      if (!request || typeof request !== 'object' || typeof request.key !== 'string') {
        throw new InputError('bad desired value', 'a desired value needs msg.payload = {key: "<asset>/<signal>", value}', 'desired');
      }
      const writtenAt = typeof request.writtenAt === 'number' && Number.isFinite(request.writtenAt) ? request.writtenAt : Date.now();
      state.setDesired(request.key, request.value, writtenAt, typeof request.tolerance === 'number' ? request.tolerance : undefined);
      return reply(state.get(request.key)[0] ?? null, { key: request.key });
    }
  }
}
