import { ConfigError, InputError, isTwinError } from '../../core/errors';
import { SimulatorRuntime, type Prediction } from '../../core/simulation/runtime';
import { translator } from '../common/i18n';
import { LiveStatus, Rejections } from '../common/live-status';
import type { Node, NodeAPI, NodeMessage, NodeStatus } from '../common/red';
import { reportError } from '../common/report-error';
import { statusOf } from '../common/status';
import { LastPredictions, register as registerTwinNode, simulatorSummary } from '../common/twin-registry';
import type { TwinModelNode } from '../twin-model/model-node';
import { readSimulatorInput, type ModelCommand, type RequestTopic } from './messages';
import { migrateSimulatorDef, simulatorSettings, type SimulatorSettings, type TwinSimulatorDef } from './options';
import { resolveSpec, type SimulatorNode } from './spec';

const savedStateKey = 'twinSimulator';
const saveEveryMs = 10000;
/** Drift on a followed signal starts at most one calibration per this interval. */
const driftCalibrationGapMs = 60000;

export = function registerTwinSimulator(RED: NodeAPI): void {
  const t = translator(RED);

  function TwinSimulatorNode(this: Node, rawDef: TwinSimulatorDef): void {
    RED.nodes.createNode(this, rawDef);
    const node = this as SimulatorNode;
    const def = migrateSimulatorDef(rawDef);
    const rejections = new Rejections();
    const modelNode = def.model ? (RED.nodes.getNode(def.model) as TwinModelNode | null) : null;
    let configError: ConfigError | undefined;
    let runtime: SimulatorRuntime | undefined;
    let settings: SimulatorSettings | undefined;
    try {
      settings = simulatorSettings(def);
      runtime = new SimulatorRuntime(resolveSpec(settings, modelNode?.model), settings);
    } catch (err) {
      configError = isTwinError(err) ? (err as ConfigError) : new ConfigError('bad configuration', String(err));
      node.error(configError.message);
    }

    node.simulator = runtime;
    const context = node.context();
    if (runtime && settings?.persist) {
      try {
        const dropped = runtime.restore(context.get(savedStateKey, settings.store));
        if (dropped.length > 0) node.warn(t('twin-simulator.log.dropped', { what: dropped.join(', ') }));
      } catch (err) {
        node.warn(t('twin-simulator.log.not-restored', { reason: err instanceof Error ? err.message : String(err) }));
      }
    }
    let unsaved = false;
    const save = (callback?: (err?: Error) => void): void => {
      if (!runtime || !settings?.persist || !unsaved) return callback?.();
      unsaved = false;
      context.set(savedStateKey, runtime.toJSON(), settings.store, callback);
    };

    // Requests in flight (they queue for the worker) and the newest one's topic, for the status.
    let inFlight = 0;
    let running: RequestTopic | undefined;
    let lastPredictionError = ''; // the status text while predictions fail
    let lastPredictionReason = ''; // its short reason: logged once, not on every tick
    const status = new LiveStatus(node, (): NodeStatus => {
      if (configError || !runtime) return statusOf.failed(configError?.shortReason ?? 'not configured');
      if (rejections.isRecent(Date.now())) return statusOf.refused(t('twin-simulator.status.rejected', { count: rejections.count, reason: rejections.lastReason }));
      if (inFlight > 0 && running) return statusOf.working(t('twin-simulator.status.running', { request: running, waiting: inFlight - 1 }));
      const followed = runtime.followed.length;
      const synced = runtime.synced;
      const learned = runtime.learning.summary();
      const shadow = runtime.shadow ? t('twin-simulator.status.shadow', { revision: runtime.shadow.revision }) : '';
      const extra = [runtime.lastCalibration ? t('twin-simulator.status.calibrated') : '', shadow, learned].filter(Boolean).join(', ');
      if (lastPredictionError) return statusOf.degraded(lastPredictionError);
      if (followed > 0 && synced < followed) return statusOf.degraded(t('twin-simulator.status.syncing', { synced, followed }) + (extra ? `, ${extra}` : ''));
      return statusOf.working((followed > 0 ? t('twin-simulator.status.synced', { count: followed }) : t('twin-simulator.status.ready')) + (extra ? `, ${extra}` : ''));
    });

    const predictionMessage = (p: Prediction): NodeMessage => {
      const at = p.key.lastIndexOf('/');
      return {
        topic: p.key,
        payload: { asset: at > 0 ? p.key.slice(0, at) : '', signal: p.key.slice(at + 1), value: p.value, unit: null, predicted: true, sourceTime: p.time, physics: p.physics, hybrid: p.hybrid },
      };
    };
    const event = (topic: string, payload: unknown): NodeMessage => ({ topic, payload });

    const handle = async (topic: RequestTopic, payload: Record<string, unknown>, now: number): Promise<unknown> => {
      const r = runtime as SimulatorRuntime;
      switch (topic) {
        case 'predict':
          return r.predict(payload, now);
        case 'whatif':
          return r.whatif(payload, now);
        case 'scenarios':
          return r.scenarios(payload, now);
        case 'calibrate':
          return r.calibrate(payload, now);
        case 'train':
          return r.train(payload);
      }
    };

    /** twin-gate's decision on the shadow model: the answer, and the event that tells the flow. */
    const decide = (command: ModelCommand): { answer: Record<string, unknown>; event: NodeMessage } => {
      const r = runtime as SimulatorRuntime;
      if (command.action === 'adopt') {
        const adopted = r.adoptShadow(command.revision, command.replaces);
        return { answer: adopted, event: event('model-adopted', adopted) };
      }
      const discarded = r.discardShadow(command.revision, command.reason);
      return { answer: discarded, event: event('model-discarded', discarded) };
    };

    /** Shadow samples the plant's samples resolved: one message for all of them, not one each. */
    const sendShadowSamples = (send: (msg: NodeMessage[]) => void): void => {
      const r = runtime as SimulatorRuntime;
      if (!r.shadow) return;
      const samples = r.takeShadowSamples();
      if (samples.length > 0) send([null, null, event('shadow', { revision: r.shadow.revision, samples })] as unknown as NodeMessage[]);
    };

    let lastDriftCalibration = 0;
    node.on('input', async (msg, send, done) => {
      try {
        if (!runtime) throw configError ?? new ConfigError('not configured');
        const input = readSimulatorInput(msg, Date.now());
        if (input.kind === 'sample') {
          runtime.observe(input.key, input.value, input.time);
          sendShadowSamples(send);
          status.markDirty();
          return done();
        }
        if (input.kind === 'snapshot') {
          for (const s of input.samples) runtime.observe(s.key, s.value, s.time);
          sendShadowSamples(send);
          status.markDirty();
          return done();
        }
        if (input.kind === 'ignored') return done();
        if (input.kind === 'model') {
          const decided = decide(input.command);
          unsaved = true;
          send([{ ...msg, topic: input.topic, payload: decided.answer, modelRevision: modelNode?.model?.revision ?? null }, null, decided.event] as unknown as NodeMessage[]);
          status.markDirty();
          return done();
        }
        const now = Date.now();
        if (input.kind === 'drift') {
          const followed = !input.key || runtime.followed.includes(input.key);
          if (!settings?.calibrateOnDrift || !followed || !runtime.sim.physics || now - lastDriftCalibration < driftCalibrationGapMs) return done();
          lastDriftCalibration = now;
        }
        const topic: RequestTopic = input.kind === 'drift' ? 'calibrate' : input.topic;
        const payload = input.kind === 'drift' ? {} : input.payload;
        running = topic;
        inFlight++;
        status.markDirty();
        let answer: Record<string, unknown>;
        try {
          answer = (await handle(topic, payload, now)) as Record<string, unknown>;
        } finally {
          inFlight--;
        }
        unsaved = true;
        const out: NodeMessage = { ...msg, topic, payload: answer, modelRevision: modelNode?.model?.revision ?? null };
        const events: NodeMessage[] = [];
        if (topic === 'calibrate') events.push(event('calibrated', { trigger: input.kind === 'drift' ? 'drift' : 'request', ...answer }));
        // A shadow model goes to twin-gate as a model candidate: shadow first, then swap.
        const candidate = topic === 'calibrate' && answer.shadow === true ? runtime.shadowCandidate() : undefined;
        if (candidate) events.push(event('candidate', candidate));
        if (topic === 'train') events.push(event('trained', answer));
        if (topic === 'predict' && answer.health && (answer.health as { warning?: boolean }).warning) events.push(event('rul-low', answer.health));
        send([out, null, events.length ? events : null] as unknown as NodeMessage[]);
        status.markDirty();
        done();
      } catch (err) {
        if (err instanceof InputError) rejections.report(node, [err], msg, done);
        else reportError(node, err, msg, done);
        status.markDirty();
      }
    });

    // Predict mode: one prediction per horizon-ahead signal, for twin-deviation and chained twins.
    const predictor = settings && runtime && settings.predictEveryMs > 0
      ? setInterval(() => {
          try {
            const predictions = (runtime as SimulatorRuntime).predictNow(Date.now());
            if (lastPredictionError) status.markDirty();
            lastPredictionError = '';
            lastPredictionReason = '';
            if (predictions.length) node.send([null, predictions.map(predictionMessage), null] as unknown as NodeMessage[]);
            lastPredictions.keep(predictions); // twin sidebar
          } catch (err) {
            const reason = isTwinError(err) ? err.shortReason : 'internal error';
            if (reason !== lastPredictionReason) node.error(err);
            lastPredictionReason = reason;
            lastPredictionError = t('twin-simulator.status.prediction-failed', { reason });
            status.markDirty();
          }
        }, settings.predictEveryMs)
      : undefined;
    predictor?.unref();

    const saver = setInterval(() => save(), saveEveryMs);
    saver.unref();

    // Twin sidebar (src/plugins/twin-sidebar.ts): this node's live summary, until it closes.
    const lastPredictions = new LastPredictions();
    const deregisterTwin = registerTwinNode('simulator', node, () => simulatorSummary(runtime, lastPredictions));

    node.on('close', (_removed, done) => {
      deregisterTwin();
      if (predictor) clearInterval(predictor);
      clearInterval(saver);
      status.dispose();
      unsaved = true;
      save(() => {
        if (runtime) void runtime.close().then(() => done(), () => done());
        else done();
      });
    });
  }

  RED.nodes.registerType('twin-simulator', TwinSimulatorNode as unknown as (this: Node, def: TwinSimulatorDef) => void);
};
