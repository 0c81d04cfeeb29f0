import { ConfigError, InputError, isTwinError } from '../../core/errors';
import { TwinState, type TwinEvent, type TwinStateOptions } from '../../core/state';
import { localContextFile, writtenSince } from '../common/context-file';
import { translator } from '../common/i18n';
import { LiveStatus, Rejections } from '../common/live-status';
import type { HttpRequest, HttpResponse, Node, NodeAPI, NodeMessage, NodeStatus } from '../common/red';
import { reportError } from '../common/report-error';
import { statusOf } from '../common/status';
import { register as registerTwinNode, stateSummary } from '../common/twin-registry';
import type { TwinModelNode } from '../twin-model/model-node';
import { answer, commandOf } from './commands';
import { LearningWindow } from './learning';
import { migrateStateDef, stateSettings, type TwinStateDef } from './options';

/** The context key the state is persisted under. */
const savedStateKey = 'twinState';
const saveEveryMs = 10000;
/** setTimeout cannot wait longer than about 24.8 days; a far deadline is simply re-checked. */
const longestWaitMs = 3600000;

interface TwinStateNodeWithLearning extends Node {
  learning?: LearningWindow;
}

/**
 * POST /twinloop/states/:id/learn {seconds} opens a learning window on a deployed twin state;
 * GET /twinloop/states/:id/learn tells how it goes and returns the proposal so far.
 */
function registerLearningEndpoints(RED: NodeAPI): void {
  const learningOf = (id: string): LearningWindow | undefined => (RED.nodes.getNode(id) as TwinStateNodeWithLearning | null)?.learning;
  RED.httpAdmin.post('/twinloop/states/:id/learn', RED.auth.needsPermission('twin-state.write'), (req: HttpRequest, res: HttpResponse) => {
    const learning = learningOf(req.params.id);
    if (!learning) return void res.status(404).json({ error: 'Deploy the twin state first.' });
    try {
      learning.start((req.body as { seconds?: unknown } | undefined)?.seconds);
      res.json(learning.status('learned'));
    } catch (err) {
      res.status(400).json({ error: err instanceof Error ? err.message : String(err) });
    }
  });
  RED.httpAdmin.get('/twinloop/states/:id/learn', RED.auth.needsPermission('twin-state.read'), (req: HttpRequest, res: HttpResponse) => {
    const learning = learningOf(req.params.id);
    if (!learning) return void res.status(404).json({ error: 'Deploy the twin state first.' });
    res.json(learning.status('learned'));
  });
}

export = function registerTwinState(RED: NodeAPI): void {
  const t = translator(RED);

  function TwinStateNode(this: Node, rawDef: TwinStateDef): void {
    RED.nodes.createNode(this, rawDef);
    const node = this;
    const def = migrateStateDef(rawDef);
    const rejections = new Rejections();
    let configError: ConfigError | undefined;
    let settings = stateSettings({ id: def.id, type: def.type });
    try {
      settings = stateSettings(def);
    } catch (err) {
      configError = isTwinError(err) ? (err as ConfigError) : new ConfigError('bad configuration', String(err));
      node.error(configError.message);
    }

    const modelNode = def.model ? (RED.nodes.getNode(def.model) as TwinModelNode | null) : null;
    const modelProblem = def.model && !modelNode ? t('twin-state.status.no-model') : modelNode?.configError?.shortReason;
    const model = modelNode?.model;
    const modelRevision = model ? model.revision : null;
    const options: TwinStateOptions = {
      model,
      historyLength: settings.historyLength,
      unknownSignals: settings.unknownSignals,
      defaultMaxAgeMs: settings.defaultMaxAgeMs,
    };

    // Restore what the last run saved; whatever no longer matches the model is left behind.
    const context = node.context();
    let state: TwinState;
    try {
      const saved = settings.persist ? context.get(savedStateKey, settings.store) : undefined;
      state = saved ? TwinState.fromJSON(saved, options) : new TwinState(options);
    } catch (err) {
      node.warn(t('twin-state.log.not-restored', { reason: err instanceof Error ? err.message : String(err) }));
      state = new TwinState(options);
    }

    let unsaved = false;
    // Why the state is not on disk, while it is not (undefined: saved, or nothing to save yet).
    let notSaved: string | undefined;
    const onSaved = (problem: string | undefined): void => {
      if (problem === notSaved) return;
      if (problem && !notSaved) node.warn(t('twin-state.log.not-saved', { reason: problem }));
      if (!problem && notSaved) node.log(t('twin-state.log.saved-again'));
      notSaved = problem;
      status.markDirty();
    };
    // A cached localfilesystem store reports no write error: its file shows whether the save landed.
    // Inside a subflow the context scope is not the node's tab: not looked at.
    const placed = node as Node & { z?: string; _alias?: string };
    const contextFile = settings.persist && !placed._alias && placed.z
      ? localContextFile(RED.settings, settings.store, node.id, placed.z) : undefined;
    let fileCheck: NodeJS.Timeout | undefined;
    const checkFileLater = (savedAt: number): void => {
      if (!contextFile || contextFile.flushMs === 0 || fileCheck) return;
      fileCheck = setTimeout(() => {
        writtenSince(contextFile.file, savedAt).then((problem) => {
          fileCheck = undefined;
          onSaved(problem && t('twin-state.status.not-saved', { reason: problem }));
        }, () => { fileCheck = undefined; });
      }, contextFile.flushMs + 2000);
    };
    const save = (callback?: (err?: Error) => void): void => {
      if (!settings.persist || !unsaved) return callback?.();
      unsaved = false;
      const savedAt = Date.now();
      context.set(savedStateKey, state.toJSON(), settings.store, (err?: Error) => {
        if (err) onSaved(t('twin-state.status.not-saved', { reason: (err as NodeJS.ErrnoException).code ?? err.message }));
        else if (contextFile?.flushMs === 0) onSaved(undefined);
        else checkFileLater(savedAt);
        callback?.(err);
      });
    };

    function currentStatus(): NodeStatus {
      if (configError) return statusOf.failed(configError.shortReason);
      if (modelProblem) return statusOf.failed(modelProblem);
      const now = Date.now();
      if (rejections.isRecent(now)) return statusOf.refused(t('twin-state.status.rejected', { count: rejections.count, reason: rejections.lastReason }));
      if (state.size === 0) return statusOf.idle(t('twin-state.status.waiting'));
      const fidelity = state.fidelity();
      const signals = t('twin-state.status.signals', { count: fidelity.signals });
      const problems = [
        ...(fidelity.stale > 0 ? [t('twin-state.status.stale', { count: fidelity.stale })] : []),
        ...(notSaved ? [notSaved] : []),
      ];
      if (problems.length > 0) return statusOf.degraded([signals, ...problems].join(', '));
      return statusOf.working(signals);
    }
    const status = new LiveStatus(node, currentStatus);

    function eventMessages(events: TwinEvent[]): NodeMessage[] {
      return events.map((event) => ({ topic: event.type === 'configuration' ? `configuration/${event.change}` : event.type, payload: event, modelRevision }));
    }
    function emitEvents(events: TwinEvent[]): void {
      if (events.length === 0) return;
      node.send([null, eventMessages(events), null] as unknown as NodeMessage[]);
      status.markDirty();
    }

    // One timer for all signals, set to the earliest moment one of them turns stale.
    let freshnessTimer: NodeJS.Timeout | undefined;
    let scheduledFor: number | undefined;
    function scheduleFreshness(): void {
      const deadline = state.nextDeadline();
      if (deadline === undefined || (scheduledFor !== undefined && scheduledFor <= deadline)) return;
      if (freshnessTimer) clearTimeout(freshnessTimer);
      scheduledFor = deadline;
      freshnessTimer = setTimeout(() => {
        freshnessTimer = undefined;
        scheduledFor = undefined;
        emitEvents(state.checkFreshness());
        scheduleFreshness();
      }, Math.min(longestWaitMs, Math.max(0, deadline - Date.now()) + 1));
    }
    scheduleFreshness();

    // A learning window proposes a model from the samples that arrive (msg.topic "learn" or the editor).
    const learning = new LearningWindow();
    (node as TwinStateNodeWithLearning).learning = learning;
    const sendProposal = (proposal: unknown): void => {
      if (proposal) node.send([null, null, { topic: 'proposal', payload: proposal, notes: (proposal as { notes?: string[] }).notes ?? [] }] as unknown as NodeMessage[]);
    };

    const startedAt = Date.now();
    let lastFidelityAt = startedAt;
    let lastSaveAt = startedAt;
    const periodic = setInterval(() => {
      if (settings.fidelityIntervalMs > 0 && Date.now() - lastFidelityAt >= settings.fidelityIntervalMs) {
        lastFidelityAt = Date.now();
        const report = { overall: state.fidelity(), assets: state.fidelityByAsset() };
        node.send([null, null, { topic: 'fidelity/report', payload: report, modelRevision }] as unknown as NodeMessage[]);
      }
      sendProposal(learning.tick());
      if (Date.now() - startedAt >= settings.missingGraceMs) emitEvents(state.missingSignals(settings.missingGraceMs));
      if (Date.now() - lastSaveAt >= saveEveryMs) {
        lastSaveAt = Date.now();
        save();
      }
    }, 1000);
    periodic.unref();

    node.on('input', (msg, send, done) => {
      const command = commandOf(msg);
      try {
        if (msg.topic === 'learn' && (typeof msg.payload === 'number' || typeof msg.payload === 'string')) {
          learning.start(msg.payload);
          return done();
        }
        if (command) {
          send([null, null, answer(state, command, msg, modelRevision)]);
          if (command === 'desired') unsaved = true;
          return done();
        }
        if ((msg as { restored?: unknown }).restored === true && Array.isArray(msg.payload)) {
          restore(msg, msg.payload, send, done);
          return;
        }
        const { events } = state.update(msg.payload);
        sendProposal(learning.observe(msg.payload as { asset: string; signal: string; unit: string | null; value: unknown }));
        unsaved = true;
        scheduleFreshness();
        send([msg, events.length ? eventMessages(events) : null, null] as unknown as NodeMessage[]);
        status.markDirty();
        done();
      } catch (err) {
        if (err instanceof InputError) rejections.report(node, [err], msg, done);
        else reportError(node, err, msg, done);
        status.markDirty();
      }
    });

    /**
     * An asset's state restored by a clustered twin-ingest after a takeover: every good sample is taken
     * (the bad ones are refused in one error, the others kept); not passed on, as they are no new observations.
     */
    function restore(msg: NodeMessage, samples: unknown[], send: (msgs: NodeMessage[]) => void, done: (err?: Error) => void): void {
      const events: TwinEvent[] = [];
      const refused: Error[] = [];
      for (const sample of samples) {
        try {
          events.push(...state.update(sample).events);
        } catch (err) {
          refused.push(err as Error);
        }
      }
      unsaved = true;
      scheduleFreshness();
      if (events.length) send([null, eventMessages(events), null] as unknown as NodeMessage[]);
      status.markDirty();
      if (refused.length === 0) return done();
      // One refusal per message, however long the array.
      const first = refused[0];
      if (!(first instanceof InputError)) return void reportError(node, first, msg, done);
      const summary = new InputError(first.shortReason, `${refused.length} of ${samples.length} restored samples refused, the first: ${first.message}`);
      rejections.report(node, [summary], msg, done);
    }

    // Twin sidebar (src/plugins/twin-sidebar.ts): this node's live summary, until it closes.
    const deregisterTwin = registerTwinNode('state', node, () => stateSummary(state, { id: def.model || null, name: modelNode?.name, model }));

    node.on('close', (_removed, done) => {
      deregisterTwin();
      clearInterval(periodic);
      if (freshnessTimer) clearTimeout(freshnessTimer);
      if (fileCheck) clearTimeout(fileCheck);
      status.dispose();
      // After the messages Node-RED already dispatched to this node (delivered on setImmediate): the
      // broker acknowledged them, so they belong in the saved state.
      setImmediate(() => save(() => done()));
    });
  }

  RED.nodes.registerType('twin-state', TwinStateNode as unknown as (this: Node, def: TwinStateDef) => void);
  registerLearningEndpoints(RED);
};
