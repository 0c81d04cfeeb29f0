import type { ConfigError } from '../../core/errors';
import type { ConnectionState } from '../../core/source/connection-state';
import type { MqttConnection } from '../../core/source/mqtt-connection';
import type { OpcuaConnection } from '../../core/source/opcua-connection';
import type { Translate } from '../common/i18n';
import type { Node, NodeStatus } from '../common/red';
import { statusOf } from '../common/status';
import type { SourceProtocol } from './options';

/** A node that uses a twin-source: told of every connection state change, and once on register. */
export interface SourceUser {
  onSourceState(state: ConnectionState): void;
}

export interface TwinSourceNode extends Node {
  protocol: SourceProtocol;
  mqtt?: MqttConnection;
  opcua?: OpcuaConnection;
  /** Set when the configuration cannot work; users show it instead of connecting. */
  configError?: ConfigError;
  register(user: SourceUser): void;
  deregister(user: SourceUser): void;
  /** Keeps the connection open on close until `work` settles (a cluster handover), bounded. */
  holdOpen(work: Promise<unknown>): void;
}

/** The status words a user node shows for its source's state. */
export function sourceStatus(state: ConnectionState, t: Translate): NodeStatus {
  switch (state.name) {
    case 'idle':
    case 'connecting':
      return statusOf.connecting(t('twin-source.status.connecting'));
    case 'connected':
      return statusOf.working(t('twin-source.status.connected'));
    case 'reconnecting': {
      const seconds = Math.max(1, Math.round((state.retryInMs ?? 0) / 1000));
      const retry = t('twin-source.status.retry', { seconds });
      return statusOf.connecting(state.reason ? `${state.reason}, ${retry}` : retry);
    }
    case 'failed':
      return statusOf.failed(state.reason ?? t('twin-source.status.failed'));
    case 'closed':
      return statusOf.idle(t('twin-source.status.closed'));
  }
}
