import { ConfigError, isTwinError } from '../../core/errors';
import { MqttConnection } from '../../core/source/mqtt-connection';
import type * as OpcuaModule from '../../core/source/opcua-connection';
import { translator } from '../common/i18n';
import type { Node, NodeAPI } from '../common/red';
import { registerBrowseEndpoint } from './browse-endpoint';
import { migrateSourceDef, mqttOptions, opcuaOptions, type TwinSourceCredentials, type TwinSourceDef } from './options';
import type { SourceUser, TwinSourceNode } from './source-node';

const closeTimeoutMs = 10000;

/** node-opcua is large: only flows with an OPC UA source load it. */
function opcuaModule(): typeof OpcuaModule {
  return require('../../core/source/opcua-connection') as typeof OpcuaModule;
}

export = function registerTwinSource(RED: NodeAPI): void {
  const t = translator(RED);

  function TwinSource(this: TwinSourceNode, def: TwinSourceDef): void {
    RED.nodes.createNode(this, def);
    const config = migrateSourceDef(def);
    const credentials = (this.credentials ?? {}) as TwinSourceCredentials;
    const users = new Set<SourceUser>();
    this.protocol = config.protocol === 'opcua' ? 'opcua' : 'mqtt';

    try {
      if (this.protocol === 'opcua') this.opcua = new (opcuaModule().OpcuaConnection)(opcuaOptions(config, credentials, RED.settings.userDir ?? process.cwd()));
      else this.mqtt = new MqttConnection(mqttOptions(config, credentials));
    } catch (err) {
      this.configError = isTwinError(err) ? (err as ConfigError) : new ConfigError('bad configuration', String(err));
      this.error(this.configError.message);
    }
    const connection = this.mqtt ?? this.opcua;
    // The log gets the whole story (which certificate, which file to copy); statuses get the short reason.
    let loggedReason: string | undefined;
    connection?.state.onState((state) => {
      const detail = this.opcua?.lastError?.message ?? state.reason ?? '';
      if (state.name === 'failed') this.error(`${t('twin-source.log.failed')}: ${detail}`);
      else if (state.name === 'reconnecting' && state.reason !== loggedReason) this.warn(`${t('twin-source.log.reconnecting')}: ${detail}`);
      else if (state.name === 'connected' && loggedReason !== undefined) this.log(t('twin-source.log.connected'));
      loggedReason = state.name === 'reconnecting' ? state.reason : state.name === 'connected' ? undefined : loggedReason;
      for (const user of users) user.onSourceState(state);
    });

    let connectScheduled = false;
    this.register = (user) => {
      users.add(user);
      if (!connection) return;
      user.onSourceState(connection.state.state);
      // Connect once every user of this deploy has registered, so queued messages of a
      // persistent session find their subscriptions.
      if (!connectScheduled && connection.state.state.name === 'idle') {
        connectScheduled = true;
        setImmediate(() => connection.connect());
      }
    };
    this.deregister = (user) => {
      users.delete(user);
    };
    // Users closing in the same stop (nodes close before their config nodes) may still need the connection.
    const holds = new Set<Promise<unknown>>();
    this.holdOpen = (work) => {
      const hold = work.catch(() => undefined);
      holds.add(hold);
      void hold.then(() => holds.delete(hold));
    };

    this.on('close', (_removed, done) => {
      users.clear();
      if (!connection) return done();
      const timer = setTimeout(done, closeTimeoutMs);
      let holdTimer: NodeJS.Timeout | undefined;
      const held = holds.size === 0 ? undefined : new Promise<void>((resolve) => {
        holdTimer = setTimeout(resolve, closeTimeoutMs / 2);
        void Promise.all([...holds]).then(() => resolve());
      });
      const closed = held ? held.then(() => {
        clearTimeout(holdTimer);
        return connection.close();
      }) : connection.close();
      closed.then(
        () => { clearTimeout(timer); done(); },
        () => { clearTimeout(timer); done(); },
      );
    });
  }

  RED.nodes.registerType('twin-source', TwinSource as unknown as (this: Node, def: TwinSourceDef) => void, {
    credentials: { username: { type: 'text' }, password: { type: 'password' }, tlsKey: { type: 'password' }, tlsPassphrase: { type: 'password' } },
  });
  registerBrowseEndpoint(RED);
};
