import { ConfigError, InputError, isTwinError } from '../../core/errors';
import { translator } from '../common/i18n';
import { LiveStatus, Rejections } from '../common/live-status';
import type { Node, NodeAPI, NodeMessage, NodeStatus } from '../common/red';
import { reportError } from '../common/report-error';
import { statusOf } from '../common/status';
import { candidateFromOptimizer } from '../../core/gate';
import type { SimulatorNode } from '../twin-simulator/spec';
import { Gate, type CandidateEvidence } from './gate';
import { readInput } from './messages';
import { simulatorEvidence } from './simulator-evidence';
import { gateSettings, migrateGateDef, type GateSettings, type TwinGateDef } from './options';

const savedStateKey = 'twinGate';
const saveEveryMs = 10000;

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
    try {
      settings = gateSettings(def);
      gate = new Gate(settings);
    } catch (err) {
      configError = isTwinError(err) ? (err as ConfigError) : new ConfigError('bad configuration', String(err));
      node.error(configError.message);
    }

    const context = node.context();
    let unsaved = false;
    const save = (callback?: (err?: Error) => void): void => {
      if (!gate || !settings?.persist || !unsaved) return callback?.();
      unsaved = false;
      context.set(savedStateKey, gate.toJSON(), settings.store, callback);
    };

    /** Sends what the gate produced (writes, desired values, notes), then saves if a rollout moved. */
    const flush = (): void => {
      if (!gate) return;
      const out = gate.takeOutbox();
      if (out.writes.length + out.desired.length + out.notes.length + out.models.length === 0) return;
      const some = (list: NodeMessage[]) => (list.length ? list : null);
      node.send([some(out.writes), some(out.desired), some(out.notes), some(out.models)] as unknown as NodeMessage[]);
      unsaved = true;
      save();
      status.markDirty();
    };

    /** Candidates whose counterfactual check is running on the simulator. */
    let checking = 0;
    const status = new LiveStatus(node, (): NodeStatus => {
      if (configError || !gate) return statusOf.failed(configError?.shortReason ?? 'not configured');
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
        const problems = gate.restore(context.get(savedStateKey, settings.store), Date.now());
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
            await receiveCandidate(gate, settings, candidateFromOptimizer(input.topic, input.answer, settings.mapping, { id, modelRevision }), {}, input.topic);
            break;
          }
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
            gate.driftEnded(input.target);
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
    const saver = setInterval(() => save(), saveEveryMs);
    saver.unref();

    node.on('close', (_removed, done) => {
      if (ticker) clearInterval(ticker);
      clearInterval(saver);
      status.dispose();
      unsaved = true;
      save(() => done());
    });
  }

  RED.nodes.registerType('twin-gate', TwinGateNode as unknown as (this: Node, def: TwinGateDef) => void);
};
