import { InputError } from '../../errors';
import type { Quality, RawSample } from '../sample';
import { decodeSparkplugPayload, encodeSparkplugPayload, type SparkplugMetric, type SparkplugPayload, type SparkplugValue } from './codec';
import { SparkplugDataType } from './schema';
import { nodeCommandTopic, parseSparkplugTopic, type SparkplugTopic } from './topic';

/**
 * The host side of Sparkplug B for one subscription: remembers what each edge node and device
 * announced in its BIRTH (alias -> metric name, datatypes, units, last values) so DATA by alias
 * can be named, DEATH can mark every signal bad, and gaps can be healed by asking for a rebirth.
 *
 * Memory is bounded: at most `maxEdgeNodes` (10,000) edge nodes, `maxDevicesPerNode` (10,000)
 * devices per node and `maxSignalsPerScope` (100,000) remembered signals per node or device. The
 * edge node (or device) heard from least recently is forgotten first; if it speaks again, its
 * DATA is not understood and it is asked to rebirth, which rebuilds its state.
 */
export interface SparkplugResult {
  samples: RawSample[];
  /** A rebirth command the adapter should publish (QoS 0, not retained). */
  rebirthRequest?: { topic: string; payload: Uint8Array };
  /** Metrics that gave no sample: unsupported types, unknown aliases, data before birth, wrong values. */
  skipped: number;
  /** What was wrong with skipped metrics (value too large, type mismatch ...), for the node status. */
  errors: InputError[];
}

export interface SparkplugSessionOptions {
  maxEdgeNodes?: number;
  maxDevicesPerNode?: number;
  maxSignalsPerScope?: number;
  /** At most one rebirth request per edge node within this many ms of receivedTime (5000). */
  rebirthIntervalMs?: number;
}

type LastValue = number | boolean | string;

/** What one edge node or one device declared in its BIRTH, and what it last reported. */
class MetricScope {
  readonly aliases = new Map<number, string>();
  readonly datatypes = new Map<string, number>();
  readonly units = new Map<string, string>();
  readonly last = new Map<string, LastValue>();
  alive = true;

  nameOf(metric: { name?: string; alias?: number }): string | undefined {
    return metric.name ?? (metric.alias !== undefined ? this.aliases.get(metric.alias) : undefined);
  }
}

interface EdgeNodeState {
  node: MetricScope;
  devices: Map<string, MetricScope>;
  bdSeq?: number;
  lastRebirthAt?: number;
}

const REBIRTH_METRIC = 'Node Control/Rebirth';
const UNIT_KEYS = new Set(['engunit', 'engunits', 'unit', 'units']);

/** Session mechanics, not plant signals: registered but never emitted as samples. */
function isBookkeeping(name: string): boolean {
  return name === 'bdSeq' || name.startsWith('Node Control/');
}

/** The "Quality" property: OPC DA style 192..255 good, 64..127 uncertain, everything else bad. */
function propertyQuality(properties: Record<string, SparkplugValue> | undefined): Quality | undefined {
  const q = properties?.Quality;
  if (q === undefined || q === null) return undefined;
  if (typeof q === 'boolean') return q ? 'good' : 'bad';
  if (typeof q === 'string') {
    const word = q.toLowerCase();
    return word === 'good' || word === 'uncertain' || word === 'bad' ? word : 'uncertain';
  }
  if (q >= 192 && q <= 255) return 'good';
  if (q >= 64 && q <= 127) return 'uncertain';
  return 'bad';
}

function propertyUnit(properties: Record<string, SparkplugValue> | undefined): string | undefined {
  if (!properties) return undefined;
  for (const key of Object.keys(properties)) {
    const value = properties[key];
    if (UNIT_KEYS.has(key.toLowerCase()) && typeof value === 'string' && value.trim()) return value.trim();
  }
  return undefined;
}

/** Puts `key` last in insertion order and forgets the oldest entries beyond `max`. */
function touch<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > max) map.delete(map.keys().next().value as K);
}

export class SparkplugSession {
  private readonly edgeNodes = new Map<string, EdgeNodeState>();
  private readonly maxEdgeNodes: number;
  private readonly maxDevicesPerNode: number;
  private readonly maxSignalsPerScope: number;
  private readonly rebirthIntervalMs: number;

  constructor(options: SparkplugSessionOptions = {}) {
    this.maxEdgeNodes = options.maxEdgeNodes ?? 10_000;
    this.maxDevicesPerNode = options.maxDevicesPerNode ?? 10_000;
    this.maxSignalsPerScope = options.maxSignalsPerScope ?? 100_000;
    this.rebirthIntervalMs = options.rebirthIntervalMs ?? 5_000;
  }

  /** How many edge nodes are tracked now (bounded by maxEdgeNodes). */
  get edgeNodeCount(): number {
    return this.edgeNodes.size;
  }

  /**
   * One MQTT message on a Sparkplug topic. Commands and STATE are ignored. Throws InputError only
   * for a topic that is not Sparkplug B or a payload that is not a Sparkplug B payload.
   */
  handle(topic: string, bytes: Uint8Array, receivedTime: number): SparkplugResult {
    const where = parseSparkplugTopic(topic);
    if (!where) {
      throw new InputError('bad Sparkplug topic', `"${String(topic).slice(0, 200)}" is not a Sparkplug B topic (spBv1.0/<group>/<message type>/<edge node>[/<device>])`);
    }
    if (typeof receivedTime !== 'number' || !Number.isFinite(receivedTime)) {
      throw new InputError('bad time', `receivedTime must be epoch ms, not ${String(receivedTime)}`, topic);
    }
    const result: SparkplugResult = { samples: [], skipped: 0, errors: [] };
    const type = where.messageType;
    if (type === 'NCMD' || type === 'DCMD' || type === 'STATE') return result;

    const key = `${where.group}/${where.edgeNode}`;
    const state = this.edgeNodes.get(key);
    const scope = where.device === undefined ? state?.node : state?.devices.get(where.device);
    const resolve = (name: string | undefined, alias: number | undefined) => {
      const resolved = scope?.nameOf({ name, alias });
      return resolved === undefined ? undefined : scope?.datatypes.get(resolved);
    };
    const payload = decodeSparkplugPayload(bytes, topic, type.endsWith('DATA') ? resolve : undefined);
    for (const skipped of payload.skipped ?? []) if (skipped.error) result.errors.push(skipped.error);

    switch (type) {
      case 'NBIRTH':
        this.nodeBirth(where, key, payload, topic, receivedTime, result);
        break;
      case 'DBIRTH':
        this.deviceBirth(where, key, payload, topic, receivedTime, result);
        break;
      case 'NDATA':
      case 'DDATA':
        this.data(where, key, payload, topic, receivedTime, result);
        break;
      case 'NDEATH':
        this.nodeDeath(where, key, payload, topic, receivedTime, result);
        break;
      case 'DDEATH':
        this.deviceDeath(where, key, payload, topic, receivedTime, result);
        break;
    }
    return result;
  }

  private nodeBirth(where: SparkplugTopic, key: string, payload: SparkplugPayload, topic: string, receivedTime: number, result: SparkplugResult): void {
    // A new session of the node: its devices must rebirth too, so their old state is dropped.
    const state: EdgeNodeState = { node: new MetricScope(), devices: new Map(), lastRebirthAt: this.edgeNodes.get(key)?.lastRebirthAt };
    const bdSeq = payload.metrics.find((m) => m.name === 'bdSeq')?.value;
    if (typeof bdSeq === 'number') state.bdSeq = bdSeq;
    touch(this.edgeNodes, key, state, this.maxEdgeNodes);
    this.birth(state.node, where, payload, topic, receivedTime, result);
  }

  private deviceBirth(where: SparkplugTopic, key: string, payload: SparkplugPayload, topic: string, receivedTime: number, result: SparkplugResult): void {
    let state = this.edgeNodes.get(key);
    if (!state) {
      state = { node: new MetricScope(), devices: new Map() };
      state.node.alive = false;
    }
    touch(this.edgeNodes, key, state, this.maxEdgeNodes);
    const device = new MetricScope();
    touch(state.devices, where.device as string, device, this.maxDevicesPerNode);
    this.birth(device, where, payload, topic, receivedTime, result);
    // The device is understood, but its node's birth was missed (or it died): ask for both.
    if (!state.node.alive) this.requestRebirth(state, where, receivedTime, result);
  }

  private birth(scope: MetricScope, where: SparkplugTopic, payload: SparkplugPayload, topic: string, receivedTime: number, result: SparkplugResult): void {
    for (const skipped of payload.skipped ?? []) {
      result.skipped++;
      // Still registered, so DATA for an unsupported metric does not look like an unknown alias.
      if (skipped.name !== undefined) this.register(scope, skipped.name, skipped.alias, skipped.datatype, undefined);
    }
    for (const metric of payload.metrics) {
      if (metric.name === undefined) {
        result.skipped++;
        result.errors.push(new InputError('no metric name', `a BIRTH metric${metric.alias !== undefined ? ` (alias ${metric.alias})` : ''} has no name`, topic));
        continue;
      }
      this.register(scope, metric.name, metric.alias, metric.datatype, propertyUnit(metric.properties));
      if (!isBookkeeping(metric.name)) this.emit(scope, where, metric.name, metric, payload, topic, receivedTime, result);
    }
  }

  private register(scope: MetricScope, name: string, alias: number | undefined, datatype: number | undefined, unit: string | undefined): void {
    if (scope.datatypes.size >= this.maxSignalsPerScope && !scope.datatypes.has(name)) return;
    if (alias !== undefined) scope.aliases.set(alias, name);
    if (datatype !== undefined) scope.datatypes.set(name, datatype);
    if (unit !== undefined) scope.units.set(name, unit);
  }

  private data(where: SparkplugTopic, key: string, payload: SparkplugPayload, topic: string, receivedTime: number, result: SparkplugResult): void {
    const state = this.edgeNodes.get(key);
    const scope = where.device === undefined ? state?.node : state?.devices.get(where.device);
    const total = payload.metrics.length + (payload.skipped?.length ?? 0);
    if (!state || !scope || !state.node.alive || !scope.alive) {
      // Never born, forgotten or dead: the aliases and datatypes cannot be trusted.
      result.skipped += total;
      const tracked = state ?? { node: Object.assign(new MetricScope(), { alive: false }), devices: new Map() };
      touch(this.edgeNodes, key, tracked, this.maxEdgeNodes);
      this.requestRebirth(tracked, where, receivedTime, result);
      return;
    }
    touch(this.edgeNodes, key, state, this.maxEdgeNodes);
    let unknown = false;
    for (const skipped of payload.skipped ?? []) {
      result.skipped++;
      if (scope.nameOf(skipped) === undefined) unknown = true;
    }
    for (const metric of payload.metrics) {
      const name = scope.nameOf(metric);
      if (name === undefined) {
        result.skipped++;
        unknown = true;
        continue;
      }
      if (!isBookkeeping(name)) this.emit(scope, where, name, metric, payload, topic, receivedTime, result);
    }
    if (unknown) this.requestRebirth(state, where, receivedTime, result);
  }

  private nodeDeath(where: SparkplugTopic, key: string, payload: SparkplugPayload, topic: string, receivedTime: number, result: SparkplugResult): void {
    const state = this.edgeNodes.get(key);
    if (!state) return;
    const bdSeq = payload.metrics.find((m) => m.name === 'bdSeq')?.value;
    // A will from an older connection, delivered late: the current session is still alive.
    if (typeof bdSeq === 'number' && state.bdSeq !== undefined && bdSeq !== state.bdSeq) return;
    // The NDEATH is the will registered at connect time: its timestamp is not the time of death.
    // Devices born while their node's birth was missed are still alive here and die with it.
    if (state.node.alive) this.die(state.node, where, undefined, topic, receivedTime, result);
    for (const [device, scope] of state.devices) {
      if (scope.alive) this.die(scope, { ...where, device }, undefined, topic, receivedTime, result);
    }
  }

  private deviceDeath(where: SparkplugTopic, key: string, payload: SparkplugPayload, topic: string, receivedTime: number, result: SparkplugResult): void {
    const scope = this.edgeNodes.get(key)?.devices.get(where.device as string);
    if (scope?.alive) this.die(scope, where, payload.timestamp, topic, receivedTime, result);
  }

  /** Every known signal once more with its last value and quality bad; then the scope is dead. */
  private die(scope: MetricScope, where: SparkplugTopic, time: number | undefined, topic: string, receivedTime: number, result: SparkplugResult): void {
    scope.alive = false;
    for (const [name, value] of scope.last) {
      const sample = this.sample(scope, where, name, value, 'bad', time ?? receivedTime, topic, receivedTime);
      if (sample) result.samples.push(sample);
    }
  }

  private emit(scope: MetricScope, where: SparkplugTopic, name: string, metric: SparkplugMetric, payload: SparkplugPayload, topic: string, receivedTime: number, result: SparkplugResult): void {
    const time = metric.timestamp ?? payload.timestamp;
    if (metric.isNull || metric.value === null) {
      // A null is "no valid value now": report the last one as bad, or nothing if there is none.
      const last = scope.last.get(name);
      const sample = last === undefined ? undefined : this.sample(scope, where, name, last, 'bad', time, topic, receivedTime, metric);
      if (sample) result.samples.push(sample);
      else result.skipped++;
      return;
    }
    const sample = this.sample(scope, where, name, metric.value, propertyQuality(metric.properties) ?? 'good', time, topic, receivedTime, metric);
    if (!sample) {
      result.skipped++;
      result.errors.push(new InputError('no metric name', `metric "${name}" has no signal name`, topic));
      return;
    }
    result.samples.push(sample);
    // Historical values are late arrivals, not the current state.
    if (!metric.isHistorical && (scope.last.has(name) || scope.last.size < this.maxSignalsPerScope)) scope.last.set(name, metric.value);
  }

  /** `Motor/Temperature` on device D of node E in group G -> asset G/E/D/Motor, signal Temperature. */
  private sample(scope: MetricScope, where: SparkplugTopic, name: string, value: LastValue, quality: Quality, time: number | undefined, topic: string, receivedTime: number, metric?: SparkplugMetric): RawSample | undefined {
    const levels = name.split('/').filter((level) => level.length > 0);
    const signal = levels.pop();
    if (signal === undefined) return undefined;
    const asset = [where.group, where.edgeNode, ...(where.device !== undefined ? [where.device] : []), ...levels].join('/');
    const unit = propertyUnit(metric?.properties) ?? scope.units.get(name);
    const sample: RawSample = { origin: topic, asset, signal, value, quality, receivedTime };
    if (unit !== undefined) sample.unit = unit;
    if (time !== undefined) sample.sourceTime = time;
    return sample;
  }

  private requestRebirth(state: EdgeNodeState, where: SparkplugTopic, receivedTime: number, result: SparkplugResult): void {
    const since = state.lastRebirthAt === undefined ? Infinity : receivedTime - state.lastRebirthAt;
    // since < 0: the clock went back; do not let that silence rebirths for as long as it jumped.
    if (since >= 0 && since < this.rebirthIntervalMs) return;
    state.lastRebirthAt = receivedTime;
    result.rebirthRequest = {
      topic: nodeCommandTopic(where.group, where.edgeNode),
      payload: encodeSparkplugPayload({
        timestamp: Math.max(0, Math.round(receivedTime)),
        metrics: [{ name: REBIRTH_METRIC, datatype: SparkplugDataType.Boolean, value: true }],
      }),
    };
  }
}
