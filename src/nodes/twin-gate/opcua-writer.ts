/**
 * Writes the gate's setpoints to an OPC UA server through a twin-source connection, one at a
 * time, and reads each back so the rollout can verify it. It never retries and never compares:
 * the rollout decides (a failed write rolls back; a missing read-back times out).
 */
import { StatusCodes, resolveNodeId } from 'node-opcua-client';
import { ConfigError, ConnectionError, InputError, isTwinError } from '../../core/errors';
import { FORBIDDEN_KEYS, describeValue, isPlainObject } from '../../core/ingest/guards';
import type { ConnectionStateName } from '../../core/source/connection-state';
import type { OpcuaConnection } from '../../core/source/opcua-connection';

export interface WriteTarget { key: string; nodeId: string }

/** Listeners must not throw: a throw is swallowed so that later writes still go out. */
export interface WriterEvents {
  /** After the write completed (ok) or failed (error: a short reason for the audit). */
  written(key: string, ok: boolean, error: string | undefined, time: number): void;
  /** The value read after a successful write. */
  readBack(key: string, value: unknown, time: number): void;
}

export interface WriterOptions {
  /** Pause between a write and its read-back, for servers that apply writes late. Default 0. */
  readBackDelayMs?: number;
  /** Operations (write + read-back) running at once, never two for one key. Default 1. */
  maxInFlight?: number;
  /** How long a write waits for a connection that is down before failing. Default 5000. */
  connectWaitMs?: number;
}

type WriterConnection = Pick<OpcuaConnection, 'read' | 'write' | 'state'>;
type WritableValue = number | boolean | string;
interface QueuedWrite { key: string; value: unknown }

const MAX_MAP_ENTRIES = 5000;
const MAX_NODE_ID_LENGTH = 4096;
/** [ns=<index>;]<i|s|g|b>=<identifier>; resolveNodeId then checks the details (GUID shape...). */
const NODE_ID_SYNTAX = /^(ns=\d+;)?(i=\d+|s=.+|g=[0-9a-fA-F-]+|b=[A-Za-z0-9+/=]+)$/s;
const BAD_SEVERITY = 0x80000000;
const MAX_REASON_LENGTH = 300;

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return 'an array';
  return /^[aeiou]/.test(typeof value) ? `an ${typeof value}` : `a ${typeof value}`;
}

function isWritable(value: unknown): value is WritableValue {
  return typeof value === 'number' || typeof value === 'boolean' || typeof value === 'string';
}

/** "write refused: BadNotWritable", "not a number: ns=1;s=X is Double: cannot write \"hot\"": fit for the audit. */
function reasonOf(err: unknown): string {
  if (!isTwinError(err)) return String((err as Error)?.message ?? err).slice(0, MAX_REASON_LENGTH);
  // the last word that is a StatusCode name (a node id such as s=BadgeReader may come before it)
  const status = [...err.message.matchAll(/\b(?:Bad|Uncertain)[A-Za-z]+\b/g)].map((m) => m[0]).filter((w) => w in StatusCodes).pop();
  // the connection prefixes its details with the endpoint URL, an InputError with its topic
  const prefix = err instanceof InputError && err.topic ? `${err.topic}: ` : '';
  const detail = status ?? err.message.replace(/^opc\.tcp:\/\/\S+: /, '').replace(prefix, '');
  return (detail && detail !== err.shortReason ? `${err.shortReason}: ${detail}` : err.shortReason).slice(0, MAX_REASON_LENGTH);
}

export class OpcuaWriter {
  private readonly nodeIds: ReadonlyMap<string, string>;
  private readonly readBackDelayMs: number;
  private readonly maxInFlight: number;
  private readonly connectWaitMs: number;
  /** Waiting writes in start order; a key appears at most once. */
  private queue: QueuedWrite[] = [];
  private readonly inFlight = new Set<string>();
  /** Timers and state listeners to drop on close(). */
  private readonly cancels = new Set<() => void>();
  private closed = false;

  constructor(private readonly connection: WriterConnection, nodeIds: Record<string, string>, private readonly events: WriterEvents, options: WriterOptions = {}) {
    this.nodeIds = new Map(Object.entries(nodeIds));
    this.readBackDelayMs = Math.max(0, options.readBackDelayMs ?? 0);
    this.maxInFlight = Math.max(1, Math.floor(options.maxInFlight ?? 1));
    this.connectWaitMs = Math.max(0, options.connectWaitMs ?? 5000);
  }

  /** True when this writer can write that key (it has a node id for it). */
  handles(key: string): boolean {
    return this.nodeIds.has(key);
  }

  /**
   * Queues a write. A waiting write of the same key is replaced and the key moves to the end, so
   * the plant sees the keys in the order of the rollout's latest decision, each with its newest value.
   */
  write(key: string, value: number | boolean | string): void {
    if (!this.nodeIds.has(key)) throw new InputError('no node id', `no OPC UA node id is configured for setpoint "${key}"`, key);
    if (this.closed) return;
    this.queue = this.queue.filter((w) => w.key !== key);
    this.queue.push({ key, value });
    this.pump();
  }

  /** Keys waiting or in flight. */
  get pending(): number {
    return this.queue.length + this.inFlight.size;
  }

  /** Drops the queue; a write already sent completes, but no event is delivered any more. */
  close(): void {
    this.closed = true;
    this.queue = [];
    for (const cancel of [...this.cancels]) cancel();
  }

  private pump(): void {
    // head of line blocks while its key is in flight: two writes of one key must not overtake
    while (!this.closed && this.inFlight.size < this.maxInFlight && this.queue.length && !this.inFlight.has(this.queue[0].key)) {
      const next = this.queue.shift() as QueuedWrite;
      this.inFlight.add(next.key);
      void this.run(next).catch(() => undefined).then((lastEvent) => {
        // leave `pending` before the operation's last event, so listeners see the count it ends with
        this.inFlight.delete(next.key);
        if (lastEvent) this.emit(lastEvent);
        this.pump();
      });
    }
  }

  /** Writes and reads back; returns the operation's last event, which pump() delivers. */
  private async run({ key, value }: QueuedWrite): Promise<(() => void) | undefined> {
    await null; // events never fire inside write(): the caller may be mid-way through its actions
    if (this.closed) return undefined;
    const nodeId = this.nodeIds.get(key) as string;
    if (!isWritable(value)) return () => this.events.written(key, false, `cannot write ${kindOf(value)}`, Date.now());
    try {
      if (!(await this.connected())) throw new ConnectionError('not connected', `the OPC UA source is ${this.connection.state.state.name}`);
      if (this.closed) return undefined;
      await this.connection.write(nodeId, value);
    } catch (err) {
      return () => this.events.written(key, false, reasonOf(err), Date.now());
    }
    this.emit(() => this.events.written(key, true, undefined, Date.now()));
    if (this.readBackDelayMs > 0 && !(await this.wait(this.readBackDelayMs, true))) return undefined;
    if (this.closed) return undefined;
    // A failed read-back is not a failed write: report nothing more, the rollout's read-back
    // deadline handles it (a bad-status reading carries no value, so it counts as failed too).
    const reading = await this.connection.read(nodeId).catch(() => undefined);
    if (!reading || (reading.statusCode & BAD_SEVERITY) !== 0) return undefined;
    return () => this.events.readBack(key, reading.value, Date.now());
  }

  /** Resolves true once connected; false after connectWaitMs, when the source closes, or on close(). */
  private connected(): Promise<boolean> {
    const name = this.connection.state.state.name;
    if (name === 'connected' || name === 'closed') return Promise.resolve(name === 'connected');
    return this.wait(this.connectWaitMs, false, (state) => (state === 'connected' || state === 'closed' ? state === 'connected' : undefined));
  }

  /** Resolves `onTimeout` after ms, what `onState` decides on a state change, or false on close(). */
  private wait(ms: number, onTimeout: boolean, onState?: (state: ConnectionStateName) => boolean | undefined): Promise<boolean> {
    return new Promise((resolve) => {
      const done = (result: boolean) => {
        clearTimeout(timer);
        off?.();
        this.cancels.delete(cancel);
        resolve(result);
      };
      const cancel = () => done(false);
      const timer = setTimeout(() => done(onTimeout), ms);
      const off = onState && this.connection.state.onState(({ name }) => {
        const decided = onState(name);
        if (decided !== undefined) done(decided);
      });
      this.cancels.add(cancel);
    });
  }

  private emit(deliver: () => void): void {
    if (this.closed) return;
    try {
      deliver();
    } catch {
      // the node's listeners report their own errors; the queue must keep going
    }
  }
}

function mapError(entry: string, problem: string): ConfigError {
  return new ConfigError('bad node id map', `node id map entry ${entry}: ${problem}`);
}

/**
 * Checks a setpoint key -> OPC UA node id map from the node's configuration (an object or its
 * JSON text). Keys are asset paths ("line1/press1/temperatureSetpoint"), never patterns.
 */
export function parseNodeIdMap(raw: unknown): Record<string, string> {
  let map = raw;
  try {
    if (typeof raw === 'string') map = JSON.parse(raw);
  } catch (err) {
    throw new ConfigError('bad node id map', `the node id map is not valid JSON: ${(err as Error).message}`);
  }
  if (!isPlainObject(map)) throw new ConfigError('bad node id map', `the node id map must be an object of setpoint key -> node id, got ${describeValue(map)}`);
  const entries = Object.entries(map);
  if (entries.length > MAX_MAP_ENTRIES) throw new ConfigError('bad node id map', `the node id map has ${entries.length} entries (limit ${MAX_MAP_ENTRIES})`);
  const result: Record<string, string> = {};
  const keyOfNode = new Map<string, string>();
  for (const [key, nodeId] of entries) {
    const entry = JSON.stringify(key);
    const levels = key.split('/');
    if (levels.length < 2 || levels.some((l) => l.trim() === '')) throw mapError(entry, 'the key must be an asset path like "line1/press1/temperatureSetpoint", without empty levels');
    if (/[*#+]/.test(key)) throw mapError(entry, 'the key is a pattern ("*", "#" or "+"); give each setpoint its own entry');
    if (levels.some((l) => FORBIDDEN_KEYS.has(l))) throw mapError(entry, 'the key contains a level that is not allowed');
    if (typeof nodeId !== 'string' || nodeId.trim() === '') throw mapError(entry, `the node id must be non-empty text, got ${describeValue(nodeId)}`);
    if (nodeId !== nodeId.trim()) throw mapError(entry, `the node id ${describeValue(nodeId)} has spaces at either end`);
    if (nodeId.length > MAX_NODE_ID_LENGTH) throw mapError(entry, `the node id is longer than ${MAX_NODE_ID_LENGTH} characters`);
    let canonical: string;
    try {
      if (!NODE_ID_SYNTAX.test(nodeId)) throw new Error('unknown form');
      canonical = resolveNodeId(nodeId).toString();
    } catch {
      throw mapError(entry, `${describeValue(nodeId)} is not an OPC UA node id like ns=3;s=Press1.Setpoint or ns=3;i=1042`);
    }
    // two setpoints on one variable would overwrite each other's rollouts
    const other = keyOfNode.get(canonical);
    if (other !== undefined) throw mapError(entry, `node id ${nodeId} is already used by ${JSON.stringify(other)}`);
    keyOfNode.set(canonical, key);
    result[key] = nodeId;
  }
  return result;
}
