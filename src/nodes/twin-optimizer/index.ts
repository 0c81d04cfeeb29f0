import { ConfigError, InputError, isTwinError } from '../../core/errors';
import { OptimizerRunner } from '../../core/optimisation/worker/optimizer-runner';
import { translator } from '../common/i18n';
import { LiveStatus, Rejections } from '../common/live-status';
import type { Node, NodeAPI, NodeMessage, NodeStatus } from '../common/red';
import { reportError } from '../common/report-error';
import { statusOf } from '../common/status';
import type { SimulatorNode } from '../twin-simulator/spec';
import { migrateOptimizerDef, optimizerSettings, type OptimizerSettings, type TwinOptimizerDef } from './options';
import { downWindows, faultDisturbance, flowshopArgs, layoutArgs, payloadObject, readTopic, rescheduleArgs, scheduleArgs, setpointArgs, type LastSchedule, type OptimizerTopic } from './requests';

/** What the status shows of the running job. */
interface Running {
  topic: OptimizerTopic;
  evaluations?: number;
  best?: number;
}

export = function registerTwinOptimizer(RED: NodeAPI): void {
  const t = translator(RED);

  function TwinOptimizerNode(this: Node, rawDef: TwinOptimizerDef): void {
    RED.nodes.createNode(this, rawDef);
    const node = this;
    const def = migrateOptimizerDef(rawDef);
    const rejections = new Rejections();
    const runner = new OptimizerRunner();
    let configError: ConfigError | undefined;
    let settings: OptimizerSettings | undefined;
    try {
      settings = optimizerSettings(def);
    } catch (err) {
      configError = isTwinError(err) ? (err as ConfigError) : new ConfigError('bad configuration', String(err));
      node.error(configError.message);
    }

    let running: Running | undefined;
    let lastSchedule: LastSchedule | undefined;
    /** Signals of `availability` that read down now (0 / false). */
    const down = new Set<string>();
    /** Follows the machine signals it was told about; true when the message was such a sample. */
    const followAvailability = (msg: NodeMessage): boolean => {
      const p = msg.payload as Record<string, unknown> | undefined;
      const key = p && typeof p === 'object' && typeof p.signal === 'string' ? (typeof p.asset === 'string' && p.asset ? `${p.asset}/${p.signal}` : p.signal) : typeof msg.topic === 'string' ? msg.topic : '';
      if (!settings || !Object.prototype.hasOwnProperty.call(settings.availability, key)) return false;
      const value = p && typeof p === 'object' && 'value' in p ? p.value : msg.payload;
      if (value === false || value === 0 || value === '0' || value === 'false') down.add(key);
      else down.delete(key);
      status.markDirty();
      return true;
    };
    let last = '';
    const status = new LiveStatus(node, (): NodeStatus => {
      if (configError || !settings) return statusOf.failed(configError?.shortReason ?? 'not configured');
      if (rejections.isRecent(Date.now())) return statusOf.refused(t('twin-optimizer.status.rejected', { count: rejections.count, reason: rejections.lastReason }));
      if (running) {
        const best = running.best === undefined ? '' : `, ${t('twin-optimizer.status.best', { value: Number(running.best.toPrecision(6)) })}`;
        const evaluations = running.evaluations === undefined ? '' : `, ${t('twin-optimizer.status.evaluations', { count: running.evaluations })}`;
        return statusOf.working(`${t('twin-optimizer.status.running', { request: running.topic })}${evaluations}${best}`);
      }
      const downText = down.size > 0 ? `, ${t('twin-optimizer.status.down', { count: down.size })}` : '';
      return last ? statusOf.working(last + downText) : statusOf.idle(t('twin-optimizer.status.ready') + downText);
    });

    /** Anytime results leave on output 2 as they come; the status follows them. */
    const handlers = (topic: OptimizerTopic, msg: NodeMessage) => ({
      onImprovement: (payload: unknown) => {
        const p = payload as { best?: { objectives?: Record<string, number> }; progress?: { evaluations: number; bestValue?: number }; objectiveValue?: number };
        if (running) {
          running.best = p.progress?.bestValue ?? p.objectiveValue ?? running.best;
          running.evaluations = p.progress?.evaluations ?? running.evaluations;
        }
        node.send([null, { ...msg, topic: 'improvement', request: topic, payload }] as unknown as NodeMessage[]);
        status.markDirty();
      },
      onProgress: (payload: unknown) => {
        const p = payload as { evaluations?: number; bestValue?: number };
        if (running) {
          running.evaluations = p.evaluations ?? running.evaluations;
          running.best = p.bestValue ?? running.best;
        }
        node.send([null, { ...msg, topic: 'progress', request: topic, payload }] as unknown as NodeMessage[]);
        status.markDirty();
      },
    });

    const summary = (topic: OptimizerTopic, answer: Record<string, unknown>): string => {
      if (typeof answer.makespan === 'number') return t('twin-optimizer.status.scheduled', { makespan: answer.makespan, status: String(answer.status ?? '') });
      if (typeof answer.cost === 'number') return t('twin-optimizer.status.laid-out', { cost: answer.cost });
      const best = answer.best as { objectives?: Record<string, number> } | null | undefined;
      const value = best?.objectives ? Object.values(best.objectives)[0] : undefined;
      return value === undefined ? t('twin-optimizer.status.no-result', { request: topic }) : t('twin-optimizer.status.optimised', { value: Number(value.toPrecision(6)) });
    };

    node.on('input', async (msg, send, done) => {
      try {
        if (!settings) throw configError ?? new ConfigError('not configured');
        if (followAvailability(msg)) return done();
        const topic = readTopic(msg);
        if (topic === 'stop') {
          if (!runner.stop()) throw new InputError('not running', 'nothing to stop: no optimisation is running', topic);
          return done();
        }
        const payload = payloadObject(msg, topic);
        if (topic === 'objective') {
          if (runner.current !== 'setpoints') throw new InputError('not running', 'objectives can change while a setpoint optimisation runs; none does', topic);
          runner.change({ objectives: payload.objectives, constraints: payload.constraints, weights: payload.weights });
          return done();
        }
        const now = Date.now();
        let job: { task: string; args: unknown; timeLimitMs: number };
        if (topic === 'optimise' || topic === 'optimize') {
          const args = setpointArgs(settings, settings.simulator ? (RED.nodes.getNode(settings.simulator) as SimulatorNode | null) : null, payload, now);
          job = { task: 'setpoints', args, timeLimitMs: args.options.timeLimitMs };
        } else if (topic === 'schedule') {
          const { problem, options, timeLimitMs } = scheduleArgs(msg, payload, settings);
          const windows = downWindows(settings.availability, down, false);
          if (windows.length) problem.unavailable = [...(problem.unavailable ?? []), ...(windows as unknown as NonNullable<typeof problem.unavailable>)];
          job = { task: 'schedule', args: { problem, options }, timeLimitMs };
        } else if (topic === 'flowshop') {
          job = flowshopArgs(msg, payload, settings);
          const windows = downWindows(settings.availability, down, true);
          const problem = (job.args as { problem: { unavailable?: unknown[] } }).problem;
          if (windows.length) problem.unavailable = [...(Array.isArray(problem.unavailable) ? problem.unavailable : []), ...windows];
        } else if (topic === 'reschedule' || topic === 'rul-low') {
          job = rescheduleArgs(msg, topic === 'rul-low' ? faultDisturbance(payload) : payload, settings, lastSchedule);
        } else {
          job = layoutArgs(msg, payload, settings, settings.simulator ? (RED.nodes.getNode(settings.simulator) as SimulatorNode | null) : null, now);
        }
        running = { topic };
        status.markDirty();
        let answer: Record<string, unknown>;
        try {
          answer = await runner.run<Record<string, unknown>>(job.task, job.args, job.timeLimitMs, handlers(topic, msg));
        } finally {
          running = runner.busy ? running : undefined;
        }
        last = summary(topic, answer);
        if (job.task === 'schedule' || job.task === 'flowshop') {
          lastSchedule = { kind: job.task === 'schedule' ? 'jobshop' : 'flowshop', problem: (job.args as { problem: unknown }).problem, operations: answer.operations as unknown[] };
        }
        if (job.task === 'reschedule' || job.task === 'reschedule-flowshop') {
          lastSchedule = { kind: job.task === 'reschedule' ? 'jobshop' : 'flowshop', problem: answer.problem, operations: answer.operations as unknown[] };
        }
        send([{ ...msg, topic, payload: answer }, null] as unknown as NodeMessage[]);
        status.markDirty();
        done();
      } catch (err) {
        if (err instanceof InputError) rejections.report(node, [err], msg, done);
        else reportError(node, err, msg, done);
        status.markDirty();
      }
    });

    node.on('close', (_removed, done) => {
      status.dispose();
      void runner.close().then(() => done(), () => done());
    });
  }

  RED.nodes.registerType('twin-optimizer', TwinOptimizerNode as unknown as (this: Node, def: TwinOptimizerDef) => void);
};
