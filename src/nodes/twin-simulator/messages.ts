import { InputError, describeValue } from '../../core/errors';
import type { NodeMessage } from '../common/red';

export const requestTopics = ['predict', 'whatif', 'scenarios', 'calibrate', 'train'] as const;
export type RequestTopic = (typeof requestTopics)[number];

/** twin-gate's word on a shadow model: adopt it (swap) or discard it (keep the current one). */
export type ModelCommand = { action: 'adopt'; revision: string; replaces?: string } | { action: 'discard'; revision: string; reason?: string };

export type SimulatorInput =
  | { kind: 'request'; topic: RequestTopic; payload: Record<string, unknown> }
  | { kind: 'model'; topic: 'adopt-model' | 'discard-model'; command: ModelCommand }
  /** A sample of the plant (ingest contract, or a number named by msg.topic). */
  | { kind: 'sample'; key: string; value: number; time: number }
  /** twin-state's snapshot answer: every signal at once. */
  | { kind: 'snapshot'; samples: Array<{ key: string; value: number; time: number }> }
  /** A drift event from twin-deviation. */
  | { kind: 'drift'; key: string }
  /** A message meant for other nodes (events, predictions): passed over without complaint. */
  | { kind: 'ignored' };

const isRecord = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === 'object' && !Array.isArray(x);

function numeric(value: unknown): number | undefined {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return undefined;
}

/** Topics of the model commands, and the gate's payload type accepted for each (on any topic). */
const modelTopics = { 'adopt-model': 'swap-model', 'discard-model': 'model-kept' } as const;
type ModelTopic = keyof typeof modelTopics;

function readModelCommand(topic: string, payload: unknown): SimulatorInput | undefined {
  const gateType = isRecord(payload) ? payload.type : undefined;
  const named = Object.prototype.hasOwnProperty.call(modelTopics, topic) ? (topic as ModelTopic) : undefined;
  const byType = (Object.keys(modelTopics) as ModelTopic[]).find((t) => modelTopics[t] === gateType);
  const which = named ?? byType;
  if (!which) return undefined;
  if (!isRecord(payload)) throw new InputError('bad request', `msg.payload of "${which}" must be {revision}: the shadow model's revision`, topic || which);
  if (named && gateType !== undefined && gateType !== modelTopics[named]) throw new InputError('bad request', `"${named}" does not take a payload of type ${describeValue(gateType)}`, topic);
  const revision = payload.revision;
  if (typeof revision !== 'string' || revision === '' || revision.length > 200) throw new InputError('bad request', `${which} needs payload.revision: the shadow model's revision`, topic || which);
  if (which === 'adopt-model') {
    // The gate's swap names what the model replaces (null when unknown); a mismatch is refused later.
    if (payload.replaces !== undefined && payload.replaces !== null && typeof payload.replaces !== 'string') throw new InputError('bad request', 'payload.replaces must be a revision', topic || which);
    const replaces = typeof payload.replaces === 'string' ? payload.replaces : undefined;
    return { kind: 'model', topic: which, command: replaces === undefined ? { action: 'adopt', revision } : { action: 'adopt', revision, replaces } };
  }
  if (payload.reason !== undefined && typeof payload.reason !== 'string') throw new InputError('bad request', 'payload.reason must be text', topic || which);
  const reason = typeof payload.reason === 'string' ? payload.reason.slice(0, 1000) : undefined;
  return { kind: 'model', topic: which, command: reason === undefined ? { action: 'discard', revision } : { action: 'discard', revision, reason } };
}

/** What a message asks of the simulator; InputError for what cannot be read. */
export function readSimulatorInput(msg: NodeMessage, now: number): SimulatorInput {
  const topic = typeof msg.topic === 'string' ? msg.topic : '';
  const payload = msg.payload;
  if ((requestTopics as readonly string[]).includes(topic)) {
    if (payload !== undefined && payload !== null && payload !== '' && !isRecord(payload)) {
      throw new InputError('bad request', `msg.payload of "${topic}" must be an object (or empty for the defaults)`, topic);
    }
    return { kind: 'request', topic: topic as RequestTopic, payload: isRecord(payload) ? payload : {} };
  }
  const command = readModelCommand(topic, payload);
  if (command) return command;
  if (isRecord(payload) && (payload.type === 'drift' || topic === 'drift')) {
    const key = typeof payload.key === 'string' ? payload.key : '';
    return { kind: 'drift', key };
  }
  if (topic === 'snapshot' && isRecord(payload) && Array.isArray(payload.table)) {
    const samples = payload.table.flatMap((row: unknown) => {
      if (!isRecord(row) || typeof row.key !== 'string') return [];
      const value = numeric(row.value);
      const time = typeof row.sourceTime === 'number' ? row.sourceTime : now;
      return value === undefined ? [] : [{ key: row.key, value, time }];
    });
    return { kind: 'snapshot', samples };
  }
  if (isRecord(payload)) {
    if (payload.predicted === true) return { kind: 'ignored' }; // our own kind of output, looped back
    // Events of other nodes (twin-deviation's anomaly-start, twin-state's stale ...) carry a type, no value.
    if (typeof payload.type === 'string' && !('value' in payload)) return { kind: 'ignored' };
    if (typeof payload.signal !== 'string') {
      if (typeof payload.type === 'string') return { kind: 'ignored' }; // an event of another node
      throw new InputError('bad message', 'expected a sample ({asset, signal, value}) or msg.topic predict, whatif, scenarios, calibrate, train, adopt-model or discard-model', topic || 'twin-simulator');
    }
    const key = typeof payload.asset === 'string' && payload.asset ? `${payload.asset}/${payload.signal}` : payload.signal;
    const value = numeric(payload.value);
    if (value === undefined) throw new InputError('not a number', 'the simulator only follows numeric signals', key);
    const time = typeof payload.sourceTime === 'number' && Number.isFinite(payload.sourceTime) ? payload.sourceTime : now;
    return { kind: 'sample', key, value, time };
  }
  if (!topic) throw new InputError('no topic', 'a plain value needs msg.topic "<asset>/<signal>"', 'twin-simulator');
  const value = numeric(payload);
  if (value === undefined) throw new InputError('not a number', 'the simulator only follows numeric signals', topic);
  return { kind: 'sample', key: topic, value, time: now };
}
