import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { ClusterMember, samplesOfState } from '../../core/cluster';
import { ConfigError, isTwinError } from '../../core/errors';
import { IngestPipeline, type IngestResult } from '../../core/ingest/pipeline';
import { sampleTopic } from '../../core/ingest/sample';
import type { ConnectionState } from '../../core/source/connection-state';
import type { DoneFn, Node, NodeAPI, NodeMessage, NodeStatus, SendFn } from '../common/red';
import { translator } from '../common/i18n';
import { LiveStatus, Rejections } from '../common/live-status';
import { reportError } from '../common/report-error';
import { statusOf } from '../common/status';
import { sourceStatus, type SourceUser, type TwinSourceNode } from '../twin-source/source-node';
import { ingestSettings, migrateIngestDef, type ClusterSettings, type IngestNodeSettings, type TwinIngestDef } from './options';

/** A connected source silent for this long is worth a yellow status. */
const silenceWarningMs = 60000;

export = function registerTwinIngest(RED: NodeAPI): void {
  const t = translator(RED);

  function TwinIngest(this: Node, rawDef: TwinIngestDef): void {
    RED.nodes.createNode(this, rawDef);
    const node = this;
    const def = migrateIngestDef(rawDef);
    const source = def.source ? (RED.nodes.getNode(def.source) as TwinSourceNode | null) : null;
    const cleanups: Array<() => void> = [];
    const rejections = new Rejections();
    let lastSampleAt = 0;
    let sourceState: ConnectionState | undefined;
    let configError: ConfigError | undefined;
    let settings: IngestNodeSettings | undefined;
    let pipeline: IngestPipeline | undefined;
    let member: ClusterMember | undefined;

    try {
      settings = ingestSettings(def);
      pipeline = new IngestPipeline(settings.pipeline);
    } catch (err) {
      configError = isTwinError(err) ? (err as ConfigError) : new ConfigError('bad configuration', String(err));
      node.error(configError.message);
    }

    function currentStatus(): NodeStatus {
      if (configError) return statusOf.failed(configError.shortReason);
      if (def.source && !source) return statusOf.failed(t('twin-ingest.status.no-source'));
      if (source?.configError) return statusOf.failed(source.configError.shortReason);
      const now = Date.now();
      if (rejections.isRecent(now)) {
        return statusOf.refused(t('twin-ingest.status.rejected', { count: rejections.count, reason: rejections.lastReason }));
      }
      const rejected = rejections.count ? t('twin-ingest.status.rejected-suffix', { count: rejections.count }) : '';
      // Until the source reports its state it has not connected: say so rather than a green guess.
      if (source && !sourceState) return statusOf.connecting(t('twin-source.status.connecting'));
      if (source && sourceState && sourceState.name !== 'connected') return sourceStatus(sourceState, t);
      const signalCount = pipeline?.signalCount ?? 0;
      if (signalCount === 0) {
        return source ? statusOf.working(t('twin-ingest.status.connected-waiting')) : statusOf.idle(t('twin-ingest.status.waiting') + rejected);
      }
      const cluster = member?.summary();
      const share = cluster ? `, ${cluster.owned}/${cluster.assets} assets` : '';
      const signals = t(source ? 'twin-ingest.status.connected-signals' : 'twin-ingest.status.signals', { count: signalCount }) + share;
      if (source && now - lastSampleAt > silenceWarningMs) {
        return statusOf.degraded(`${signals}, ${t('twin-ingest.status.silent', { seconds: Math.round((now - lastSampleAt) / 1000) })}`);
      }
      return statusOf.working(signals + rejected);
    }
    let shownSignalCount = 0;
    const status = new LiveStatus(node, () => {
      shownSignalCount = pipeline?.signalCount ?? 0;
      return currentStatus();
    }, () => shownSignalCount !== (pipeline?.signalCount ?? 0));

    /** Sends the samples, reports the refusals, and asks for a Sparkplug rebirth if needed. */
    function deliver(result: IngestResult, origin: NodeMessage, send: SendFn, done?: DoneFn): void {
      if (result.samples.length) {
        lastSampleAt = Date.now();
        const messages = result.samples.map((sample, index): NodeMessage => {
          const topic = sampleTopic(sample);
          // A single sample keeps the rest of the input message (correlation ids, etc.).
          return index === 0 && result.samples.length === 1 && done ? { ...origin, topic, payload: sample } : { topic, payload: sample };
        });
        send([messages]);
      }
      if (result.rebirthRequest && source?.mqtt) {
        const { topic, payload } = result.rebirthRequest;
        source.mqtt.publish(topic, Buffer.from(payload), { qos: 0 }).catch((err: unknown) => node.warn(`rebirth request not sent: ${String(err)}`));
      }
      if (result.errors.length) {
        rejections.report(node, result.errors, origin, done);
        status.markDirty();
      } else done?.();
    }

    node.on('input', (msg, send, done) => {
      if (!pipeline) {
        reportError(node, configError, msg, done);
        return;
      }
      const result = pipeline.fromMessage(typeof msg.topic === 'string' ? msg.topic : '', msg.payload, Date.now(), {
        asset: msg.asset,
        signal: msg.signal,
      });
      deliver(result, msg, send, done);
    });

    const send: SendFn = (msg) => node.send(msg as NodeMessage[]);
    if (source && pipeline && settings) {
      let wasConnected = false;
      const user: SourceUser = {
        onSourceState: (state) => {
          sourceState = state;
          if (member && state.name === 'connected') {
            const joining = wasConnected ? member.rejoin() : member.start();
            joining.catch((err: unknown) => node.warn(`cluster: ${err instanceof Error ? err.message : String(err)}`));
            wasConnected = true;
          }
          status.refresh();
        },
      };
      const activePipeline = pipeline;
      if (source.mqtt) {
        const filter = activePipeline.subscription ?? (def.topic ?? '').trim();
        if (filter && settings.cluster) {
          member = clusterMember(source, settings.cluster, settings.qos, activePipeline);
        } else if (filter) {
          cleanups.push(source.mqtt.subscribe(filter, settings.qos, (topic, payload) => {
            deliver(activePipeline.fromMessage(topic, payload, Date.now()), { topic, payload }, send);
          }));
        } else {
          configError = new ConfigError(t('twin-ingest.status.no-topic'), 'An MQTT source needs a topic to subscribe to');
        }
      } else if (source.opcua) {
        const itemsByNodeId = new Map(settings.items.map((item) => [item.nodeId, item]));
        if (itemsByNodeId.size) {
          cleanups.push(source.opcua.monitor(settings.items, (reading) => {
            const item = itemsByNodeId.get(reading.nodeId);
            if (!item) return;
            const result = activePipeline.fromOpcua({ ...reading, topic: item.topic, unit: item.unit }, Date.now());
            deliver(result, { topic: item.topic, payload: reading.value }, send);
          }));
        } else {
          configError = new ConfigError(t('twin-ingest.status.no-items'), 'An OPC UA source needs at least one item to monitor');
        }
      }
      source.register(user);
      cleanups.push(() => source.deregister(user));
    }

    /** Shares the topic's assets with the other instances of the group (src/core/cluster/member.ts). */
    function clusterMember(from: TwinSourceNode, cluster: ClusterSettings, qos: 0 | 1 | 2, activePipeline: IngestPipeline): ClusterMember {
      const memberId = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`.replace(/[^A-Za-z0-9_.-]/g, '_').slice(-128);
      const connection = from.mqtt as NonNullable<TwinSourceNode['mqtt']>;
      const created: ClusterMember = new ClusterMember(connection, {
        prefix: cluster.prefix, group: cluster.group, memberId, assets: cluster.assets,
        filterOf: (asset) => cluster.filters.get(asset) as string, assetLevels: cluster.assetLevels, qos,
        stateIntervalMs: cluster.stateIntervalMs, handoverTimeoutMs: cluster.handoverTimeoutMs,
      }, {
        onSample: (_asset, topic, payload) => {
          const result = activePipeline.fromMessage(topic, payload, Date.now());
          for (const sample of result.samples) created.observe(sample);
          deliver(result, { topic, payload }, send);
        },
        onRestore: (asset, state) => {
          // The asset's state before the takeover goes first, so twin-state starts from it: one message
          // per asset (payload: a sample per signal), since a message per signal made a large takeover slow.
          send([{ topic: asset, payload: samplesOfState(state, Date.now()), restored: true } as NodeMessage]);
        },
        onChange: () => status.markDirty(),
        onProblem: (err) => node.warn(`cluster: ${err.message}`),
      });
      // Without the will a killed instance keeps its record (and its assets) until it comes back.
      if (!connection.setWill(created.will)) node.warn('cluster: the source was already connected, so a killed instance is not detected until its source reconnects; restart the flows');
      return created;
    }

    status.refresh();

    node.on('close', (_removed, done) => {
      const finish = (): void => {
        for (const cleanup of cleanups.splice(0)) cleanup();
        status.dispose();
        done();
      };
      if (!member) return finish();
      // Hand the assets over before the source closes its connection.
      const leaving = member.leave();
      source?.holdOpen(leaving);
      leaving.then(finish, finish);
    });
  }

  RED.nodes.registerType('twin-ingest', TwinIngest as unknown as (this: Node, def: TwinIngestDef) => void);
};
