import { EventEmitter } from 'node:events';

/**
 * The one connection state machine every twin-source uses, whatever the protocol.
 *
 *   idle -> connecting -> connected -> reconnecting -> connected ...
 *   any  -> failed   (a reason that retrying cannot fix: refused certificate, bad credentials)
 *   any  -> closed   (the flow stopped; final)
 */
export type ConnectionStateName = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'failed' | 'closed';

export interface ConnectionState {
  name: ConnectionStateName;
  /** Short reason for reconnecting/failed ("broker unreachable", "certificate not trusted"). */
  reason?: string;
  /** For reconnecting: the delay before the next attempt, ms. */
  retryInMs?: number;
  /** Epoch ms of the transition. */
  since: number;
}

const allowed: Record<ConnectionStateName, ConnectionStateName[]> = {
  idle: ['connecting', 'closed', 'failed'],
  connecting: ['connected', 'reconnecting', 'failed', 'closed'],
  connected: ['reconnecting', 'failed', 'closed'],
  reconnecting: ['connecting', 'connected', 'reconnecting', 'failed', 'closed'],
  failed: ['connecting', 'closed'],
  closed: [],
};

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  factor: number;
}

export const defaultBackoff: BackoffOptions = { initialMs: 1000, maxMs: 30000, factor: 2 };

/** Exponential backoff: initial, initial*factor, ... capped at max. */
export function backoffDelay(attempt: number, options: BackoffOptions = defaultBackoff): number {
  const delay = options.initialMs * Math.pow(options.factor, Math.max(0, attempt));
  return Math.min(options.maxMs, delay);
}

export class ConnectionStateMachine extends EventEmitter {
  private current: ConnectionState = { name: 'idle', since: Date.now() };

  get state(): ConnectionState {
    return this.current;
  }

  /**
   * Moves to `name`. Returns false (and changes nothing) for a transition the machine does not
   * allow, e.g. anything after `closed`: late protocol events after close must not revive a node.
   */
  transition(name: ConnectionStateName, details: { reason?: string; retryInMs?: number } = {}): boolean {
    const from = this.current.name;
    if (!allowed[from].includes(name)) return false;
    if (from === name && this.current.reason === details.reason && this.current.retryInMs === details.retryInMs) {
      return true;
    }
    this.current = { name, since: Date.now(), ...details };
    this.emit('state', this.current, from);
    return true;
  }

  onState(listener: (state: ConnectionState, from: ConnectionStateName) => void): () => void {
    this.on('state', listener);
    return () => this.off('state', listener);
  }
}
