import { InputError } from '../../core/errors';
import type { MonitoredSample } from '../../core/deviation/deviation-monitor';
import type { NodeMessage } from '../common/red';

export const controlCommands = ['freeze', 'resume', 'reset', 'compare'] as const;
export type ControlCommand = (typeof controlCommands)[number];

export type DeviationInput =
  | { kind: 'control'; command: ControlCommand; key?: string }
  | { kind: 'prediction'; key: string; value: unknown; time: number }
  | { kind: 'sample'; sample: MonitoredSample };

function split(key: string): { asset: string; signal: string } {
  const at = key.lastIndexOf('/');
  return at < 0 ? { asset: '', signal: key } : { asset: key.slice(0, at), signal: key.slice(at + 1) };
}

function numeric(value: unknown, key: string): number {
  if (typeof value === 'boolean') return value ? 1 : 0; // running/stopped and the like score as 1/0
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  throw new InputError('not a number', 'only numbers (and booleans as 1/0) can be scored', key);
}

/**
 * What a message means to the detector: a learning command (`msg.topic` freeze, resume, reset),
 * a prediction of the twin (`payload.predicted === true`), or a sample: a twin sample object
 * from ingest or twin-state, or a plain number named by `msg.topic`.
 */
export function readInput(msg: NodeMessage, now: number): DeviationInput {
  const payload = msg.payload as Record<string, unknown> | null | undefined;
  const isObject = payload !== null && typeof payload === 'object' && !Array.isArray(payload);
  const topic = typeof msg.topic === 'string' ? msg.topic : '';
  if ((controlCommands as readonly string[]).includes(topic) && !(isObject && 'signal' in payload)) {
    return { kind: 'control', command: topic as ControlCommand, key: typeof payload === 'string' && payload ? payload : undefined };
  }
  if (isObject) {
    const asset = typeof payload.asset === 'string' ? payload.asset : undefined;
    const signal = typeof payload.signal === 'string' ? payload.signal : undefined;
    const key = signal ? (asset ? `${asset}/${signal}` : signal) : topic;
    if (!key) throw new InputError('no signal', 'a sample needs payload.asset and payload.signal, or msg.topic', 'twin-deviation');
    const time = typeof payload.sourceTime === 'number' ? payload.sourceTime : now;
    if (payload.predicted === true) return { kind: 'prediction', key, value: payload.value, time };
    const names = signal ? { asset: asset ?? '', signal } : split(key);
    return { kind: 'sample', sample: { key, ...names, value: numeric(payload.value, key), time } };
  }
  if (!topic) throw new InputError('no topic', 'a plain value needs msg.topic "<asset>/<signal>"', 'twin-deviation');
  return { kind: 'sample', sample: { key: topic, ...split(topic), value: numeric(payload, topic), time: now } };
}
