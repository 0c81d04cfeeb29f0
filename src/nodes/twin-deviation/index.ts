import { ConfigError, InputError, isTwinError } from '../../core/errors';
import { DeviationMonitor, type DeviationEvent } from '../../core/deviation/deviation-monitor';
import { translator } from '../common/i18n';
import { LiveStatus, Rejections } from '../common/live-status';
import type { Node, NodeAPI, NodeMessage, NodeStatus } from '../common/red';
import { reportError } from '../common/report-error';
import { statusOf } from '../common/status';
import { deviationSummary, LastScores, register as registerTwinNode } from '../common/twin-registry';
import type { TwinModelNode } from '../twin-model/model-node';
import { readInput } from './messages';
import { deviationSettings, migrateDeviationDef, type TwinDeviationDef } from './options';

const savedStateKey = 'twinDeviation';
const saveEveryMs = 10000;

export = function registerTwinDeviation(RED: NodeAPI): void {
  const t = translator(RED);

  function TwinDeviationNode(this: Node, rawDef: TwinDeviationDef): void {
    RED.nodes.createNode(this, rawDef);
    const node = this;
    const def = migrateDeviationDef(rawDef);
    const rejections = new Rejections();
    let configError: ConfigError | undefined;
    let settings = deviationSettings({ id: def.id, type: def.type });
    try {
      settings = deviationSettings(def);
    } catch (err) {
      configError = isTwinError(err) ? (err as ConfigError) : new ConfigError('bad configuration', String(err));
      node.error(configError.message);
    }

    const modelNode = def.model ? (RED.nodes.getNode(def.model) as TwinModelNode | null) : null;
    const model = modelNode?.model;

    // What earlier runs learned comes back: detectors keep their baselines across redeploys and restarts.
    const context = node.context();
    let monitor = new DeviationMonitor(settings.monitor);
    try {
      const saved = settings.persist ? context.get(savedStateKey, settings.store) : undefined;
      if (saved) monitor = DeviationMonitor.fromJSON(saved, settings.monitor).monitor;
    } catch (err) {
      node.warn(t('twin-deviation.log.not-restored', { reason: err instanceof Error ? err.message : String(err) }));
    }
    let unsaved = false;
    const save = (callback?: (err?: Error) => void): void => {
      if (!settings.persist || !unsaved) return callback?.();
      unsaved = false;
      context.set(savedStateKey, monitor.toJSON(), settings.store, callback);
    };

    const status = new LiveStatus(node, (): NodeStatus => {
      if (configError) return statusOf.failed(configError.shortReason);
      if (rejections.isRecent(Date.now())) return statusOf.refused(t('twin-deviation.status.rejected', { count: rejections.count, reason: rejections.lastReason }));
      if (monitor.size === 0) return statusOf.idle(t('twin-deviation.status.waiting'));
      const signals = t('twin-deviation.status.signals', { count: monitor.size }) + (monitor.isFrozen ? `, ${t('twin-deviation.status.frozen')}` : '');
      const { warning, alarm } = monitor.severities();
      if (warning + alarm > 0) return statusOf.degraded(`${signals}, ${t('twin-deviation.status.anomalies', { warning, alarm })}`);
      return statusOf.working(signals);
    });

    const eventMessage = (event: DeviationEvent): NodeMessage => ({ topic: event.type, payload: event });

    node.on('input', (msg, send, done) => {
      // An asset's state restored after a cluster takeover (twin-ingest): no new observation to score.
      if ((msg as { restored?: unknown }).restored === true) return done();
      try {
        const input = readInput(msg, Date.now());
        if (input.kind === 'control' && input.command === 'compare') {
          send([null, null, { ...msg, topic: 'compare', payload: monitor.compare(model), modelRevision: model?.revision ?? null }] as unknown as NodeMessage[]);
          return done();
        }
        if (input.kind === 'control') {
          if (input.command === 'freeze') monitor.freeze();
          if (input.command === 'resume') monitor.resume();
          if (input.command === 'reset') monitor.reset(input.key);
          unsaved = true;
          status.markDirty();
          return done();
        }
        if (input.kind === 'prediction') {
          monitor.predict(input.key, input.value, input.time);
          return done();
        }
        const { output, events } = monitor.score(input.sample);
        lastScores.set(input.sample.key, output, input.sample.time); // twin sidebar
        unsaved = true;
        send([{ ...msg, payload: output }, events.length ? events.map(eventMessage) : null] as unknown as NodeMessage[]);
        if (events.length) status.markDirty();
        done();
      } catch (err) {
        if (err instanceof InputError) rejections.report(node, [err], msg, done);
        else reportError(node, err, msg, done);
        status.markDirty();
      }
    });

    const saver = setInterval(() => save(), saveEveryMs);
    saver.unref();

    // Twin sidebar (src/plugins/twin-sidebar.ts): this node's live summary, until it closes.
    const lastScores = new LastScores();
    const deregisterTwin = registerTwinNode('deviation', node, () => deviationSummary(monitor, lastScores));

    node.on('close', (_removed, done) => {
      deregisterTwin();
      clearInterval(saver);
      status.dispose();
      save(() => done());
    });
  }

  RED.nodes.registerType('twin-deviation', TwinDeviationNode as unknown as (this: Node, def: TwinDeviationDef) => void);
};
