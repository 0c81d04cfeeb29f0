import * as path from 'node:path';
import { ConfigError, InputError, isTwinError } from '../../core/errors';
import { candidateFromOptimizer } from '../../core/gate';
import type { ConnectionState } from '../../core/source/connection-state';
import { translator } from '../common/i18n';
import { LiveStatus, Rejections } from '../common/live-status';
import type { Node, NodeAPI, NodeMessage, NodeStatus } from '../common/red';
import { reportError } from '../common/report-error';
import { statusOf } from '../common/status';
import { gateSummary, GateNotes, register as registerTwinNode } from '../common/twin-registry';
import { sourceStatus, type SourceUser, type TwinSourceNode } from '../twin-source/source-node';
import type { SimulatorNode } from '../twin-simulator/spec';
import { Gate, type CandidateEvidence } from './gate';
import { newerState, WriteAheadJournal } from './journal';
import { readInput } from './messages';
import type * as WriterModule from './opcua-writer';
import { gateSettings, migrateGateDef, type GateSettings, type TwinGateDef } from './options';
import { simulatorEvidence } from './simulator-evidence';

const savedStateKey = 'twinGate';
/** Events are saved to the context store within this delay; writes go to the journal at once. */
const saveDelayMs = 1000;

/** node-opcua is large: only gates that write over OPC UA load the writer. */
function writerModule(): typeof WriterModule {
  return require('./opcua-writer') as typeof WriterModule;
}

export = function registerTwinGate(RED: NodeAPI): void {
  const t = translator(RED);

  function TwinGateNode(this: Node, rawDef: TwinGateDef): void {
    RED.nodes.createNode(this, rawDef);
    const node = this;
    const def = migrateGateDef(rawDef);
    const rejections = new Rejections();
    let configError: ConfigError | undefined;
    let settings: GateSettings | undefined;
    let gate: Gate | undefined;
    const source = def.source ? (RED.nodes.getNode(def.source) as TwinSourceNode | null) : null;
    let sourceState: ConnectionState | undefined;
    let writer: WriterModule.OpcuaWriter | undefined;
    try {
      settings = gateSettings(def);
      gate = new Gate(settings);
      const simulatorId = settings.simulator;
      // A physics model counts as calibrated once it has been fitted to the plant (line models are not fitted).
      gate.calibrated = () => {
        const runtime = simulatorId ? (RED.nodes.getNode(simulatorId) as SimulatorNode | null)?.simulator : undefined;
        return runtime?.sim.physics ? runtime.lastCalibration !== undefined : undefined;
      };
      if (def.source) {
        if (!source) throw new ConfigError('no source', 'the chosen twin-source is not deployed');
        if (source.configError) throw source.configError;
        if (!source.opcua) throw new ConfigError('not OPC UA', 'the gate writes through an OPC UA twin-source only; send MQTT writes through an mqtt out node (output 1)');
        const nodeIds = writerModule().parseNodeIdMap(def.nodeIds ?? '');
        if (Object.keys(nodeIds).length === 0) throw new ConfigError('no node ids', 'give the node id of each setpoint key the gate writes over OPC UA');
        const g = gate;
        writer = new (writerModule().OpcuaWriter)(source.opcua, nodeIds, {
          written: (key, ok, error, time) => {
            g.written(key, ok, error, time);
            flush();
          },
          readBack: (key, value, time) => {
            g.sample(key, value, time, { quality: 'good' });
            flush();
          },
        });
      }
    } catch (err) {
      configError = isTwinError(err) ? (err as ConfigError) : new ConfigError('bad configuration', String(err));
      node.error(configError.message);
    }

    const context = node.context();
    const userDir = (RED.settings as { userDir?: string }).userDir;
    const journal = gate && settings?.persist && userDir ? new WriteAheadJournal(path.join(userDir, 'twinloop', `gate-${node.id}.json`)) : undefined;
    let unsaved = false;
    let saveTimer: NodeJS.Timeout | undefined;
    const save = (callback?: (err?: Error) => void): void => {
      if (saveTimer) clearTimeout(saveTimer);
      saveTimer = undefined;
      if (!gate || !settings?.persist || !unsaved) return callback?.();
      unsaved = false;
      context.set(savedStateKey, { ...gate.toJSON(), savedAt: Date.now() }, settings.store, callback);
    };
    /** Any event may have moved a rollout: saved within a second (the journal covers writes). */
    const saveSoon = (): void => {
      unsaved = true;
      if (saveTimer || !settings?.persist) return;
      saveTimer = setTimeout(() => save(), saveDelayMs);
      saveTimer.unref();
    };

    /** Sends what the gate produced (writes, desired values, notes, model commands). */
    const flush = (): void => {
      if (!gate) return;
      const out = gate.takeOutbox();
      gateNotes.watch(out.notes); // twin sidebar
      if (out.writes.length > 0 && journal) {
        // Write-ahead: the state that says these writes went out is on disk before they go.
        try {
          journal.write(gate.toJSON(), Date.now());
          journalError = '';
        } catch (err) {
          // A rollback must still reach the plant, so the writes go; the status says what is at risk.
          journalError = err instanceof Error ? err.message : String(err);
          node.error(t('twin-gate.log.journal', { reason: journalError }));
        }
      }
      if (writer) {
        // Keys with an OPC UA node id are written (and read back) through twin-source, not output 1.
        const w = writer;
        out.writes = out.writes.filter((msg) => {
          if (!w.handles(msg.topic as string)) return true;
          w.write(msg.topic as string, msg.payload as number);
          return false;
        });
      }
      saveSoon();
      if (out.writes.length + out.desired.length + out.notes.length + out.models.length === 0) return;
      const some = (list: NodeMessage[]) => (list.length ? list : null);
      node.send([some(out.writes), some(out.desired), some(out.notes), some(out.models)] as unknown as NodeMessage[]);
      status.markDirty();
    };

    /** Candidates whose counterfactual check is running on the simulator. */
    let checking = 0;
    let journalError = '';
    const status = new LiveStatus(node, (): NodeStatus => {
      if (configError || !gate) return statusOf.failed(configError?.shortReason ?? 'not configured');
      if (journalError) return statusOf.failed(t('twin-gate.status.journal'));
      if (source && sourceState && sourceState.name !== 'connected') return sourceStatus(sourceState, t);
      if (rejections.isRecent(Date.now())) return statusOf.refused(t('twin-gate.status.rejected', { count: rejections.count, reason: rejections.lastReason }));
      const live = [...gate.rollouts.values()];
      if (live.length === 0 && checking === 0) {
        const shadow = [...gate.promotions.live.values()][0]?.snapshot();
        if (shadow) return (shadow.state === 'pending-approval' ? statusOf.degraded : statusOf.working)(t('twin-gate.status.shadow', { revision: shadow.revision, state: shadow.state }));
        if (gate.lastEnded?.state === 'failed') return statusOf.failed(t('twin-gate.status.failed', { id: gate.lastEnded.id }));
        const last = gate.lastEnded ? ` · ${t('twin-gate.status.last', { id: gate.lastEnded.id, state: gate.lastEnded.state })}` : '';
        return statusOf.idle(t('twin-gate.status.ready') + last);
      }
      if (live.length === 0 && checking > 0) return statusOf.working(t('twin-gate.status.checking', { count: checking }));
      const r = live[0];
      const s = r.snapshot();
      const share = s.step.share === null ? '' : ` ${Math.round(s.step.share * 100)} %`;
      const more = live.length > 1 ? ` (+${live.length - 1})` : '';
      const text = `${s.candidateId}: ${s.state}${share}${more}`;
      if (s.state === 'pending-approval') return statusOf.degraded(t('twin-gate.status.approval', { text }));
      if (s.state === 'rolling-back' || s.state === 'holding' || s.state === 'paused') return statusOf.degraded(text);
      return statusOf.working(text);
    });

    if (gate && settings?.persist) {
      try {
        let journaled: ReturnType<WriteAheadJournal['read']>;
        try {
          journaled = journal?.read();
        } catch (err) {
          node.warn(t('twin-gate.log.not-restored', { what: `the journal (${err instanceof Error ? err.message : String(err)})` }));
        }
        const problems = gate.restore(newerState(context.get(savedStateKey, settings.store), journaled), Date.now());
        if (problems.length > 0) node.warn(t('twin-gate.log.not-restored', { what: problems.join(', ') }));
      } catch (err) {
        node.warn(t('twin-gate.log.not-restored', { what: err instanceof Error ? err.message : String(err) }));
      }
      // Recovery actions (read-backs to await, rollbacks written again) leave once the flow runs.
      setImmediate(flush);
    }

    /** Validate and envelope, check on the simulator when the evidence lacks it, then decide. */
    const receiveCandidate = async (g: Gate, s: GateSettings, raw: unknown, given: CandidateEvidence, origin: string): Promise<void> => {
      const received = g.receive(raw, Date.now(), origin);
      if (!received) return; // a model: its shadow phase has started
      let evidence = given;
      if (evidence.counterfactual === undefined && s.check && received.candidate.kind === 'setpoints') {
        flush();
        checking++;
        status.markDirty();
        try {
          const simulatorNode = s.simulator ? (RED.nodes.getNode(s.simulator) as SimulatorNode | null) : null;
          const current = g.currentSettings(Object.keys(received.candidate.setpoints ?? {}));
          evidence = { ...evidence, counterfactual: await simulatorEvidence(received.candidate, current, s, simulatorNode) };
        } finally {
          checking--;
        }
      }
      g.decide(received, evidence, Date.now(), origin);
    };

    node.on('input', async (msg, send, done) => {
      try {
        if (!gate || !settings) throw configError ?? new ConfigError('not configured');
        const now = Date.now();
        const input = readInput(msg);
        switch (input.kind) {
          case 'candidate':
            await receiveCandidate(gate, settings, input.candidate, input.evidence, 'candidate');
            break;
          case 'optimizer-answer': {
            const id = `${input.topic}-${typeof msg._msgid === 'string' ? msg._msgid : now.toString(36)}`;
            const modelRevision = typeof msg.modelRevision === 'string' || typeof msg.modelRevision === 'number' ? String(msg.modelRevision) : null;
            const measured = [...Object.keys(settings.resolved.kpis ?? {}), ...Object.keys(settings.check?.goals ?? {}), ...Object.keys(settings.check?.constraints ?? {})];
            await receiveCandidate(gate, settings, candidateFromOptimizer(input.topic, input.answer, settings.mapping, { id, modelRevision, measured }), {}, input.topic);
            break;
          }
          case 'refitted':
            gate.refitted(now);
            break;
          case 'freshness':
            gate.freshness(input.key, input.stale, now);
            break;
          case 'shadow':
            gate.shadow(input.payload);
            break;
          case 'command':
            gate.command(input.command, now, typeof msg.topic === 'string' ? msg.topic : 'command');
            break;
          case 'audit':
            send([null, null, { ...msg, topic: 'audit', payload: gate.query(input.query, input.format) }]);
            break;
          case 'samples':
            for (const s of input.samples) gate.sample(s.key, s.value, now, { quality: s.quality, stale: s.stale });
            break;
          case 'severity':
            gate.severity(input.key, input.severity, now);
            break;
          case 'fidelity-report':
            gate.fidelityReport(input.overall);
            break;
          case 'alarm':
            gate.alarm(input.type, input.target, now, input.detail);
            break;
          case 'drift-end':
            gate.driftEnded(input.target, now);
            break;
          case 'realised':
            gate.realised(input.target, input.kpis, now);
            break;
          case 'written':
            gate.written(input.key, input.ok, input.error, now);
            break;
          case 'batch':
            gate.batch(now);
            break;
          case 'ignore':
            break;
        }
        unsaved = true;
        flush();
        status.markDirty();
        done();
      } catch (err) {
        flush();
        if (err instanceof InputError) rejections.report(node, [err], msg, done);
        else reportError(node, err, msg, done);
        status.markDirty();
      }
    });

    const ticker = gate && settings
      ? setInterval(() => {
          try {
            (gate as Gate).tick(Date.now());
          } catch (err) {
            node.error(err);
          }
          flush();
        }, settings.tickMs)
      : undefined;
    ticker?.unref();

    const sourceUser: SourceUser = {
      onSourceState: (state) => {
        sourceState = state;
        status.markDirty();
      },
    };
    if (writer && source) source.register(sourceUser);

    // Twin sidebar (src/plugins/twin-sidebar.ts): this node's live summary, until it closes.
    const gateNotes = new GateNotes();
    const deregisterTwin = registerTwinNode('gate', node, () => gateSummary(gate, gateNotes));

    node.on('close', (removed: boolean, done: () => void) => {
      deregisterTwin();
      writer?.close();
      if (removed) journal?.remove();
      source?.deregister(sourceUser);
      if (ticker) clearInterval(ticker);
      status.dispose();
      unsaved = true;
      save(() => done());
    });
  }

  RED.nodes.registerType('twin-gate', TwinGateNode as unknown as (this: Node, def: TwinGateDef) => void);
};
