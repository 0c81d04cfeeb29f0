import { ConfigError } from '../../core/errors';
import type { IngestFormat, IngestSettings } from '../../core/ingest/pipeline';
import type { SignalRule } from '../../core/ingest/normaliser';
import { defaultPayloadOptions } from '../../core/ingest/payload-decoder';
import type { MonitoredItemSpec } from '../../core/source/opcua-connection';
import { compileTopicTemplate } from '../../core/ingest/topic-template';
import { assetFilter, assetLevelCount, clusterFilterProblem, groupProblem, parseAssetList, prefixProblem } from '../../core/cluster';
import type { NodeDef } from '../common/red';

/** One OPC UA monitored item as the editor saves it. */
export interface SavedOpcuaItem {
  nodeId?: string;
  topic?: string;
  unit?: string;
  samplingInterval?: string | number;
  queueSize?: string | number;
  deadbandType?: 'none' | 'absolute' | 'percent';
  deadband?: string | number;
}

/** One row of the signal table: canonical unit, scaling and deadband for matching signals. */
export interface SavedSignalRule {
  match?: string;
  unit?: string;
  rawLow?: string | number;
  rawHigh?: string | number;
  low?: string | number;
  high?: string | number;
  deadband?: string | number;
}

export interface TwinIngestDef extends NodeDef {
  configVersion?: number;
  source?: string;
  topic?: string;
  qos?: string | number;
  format?: IngestFormat;
  valuePath?: string;
  timePath?: string;
  unitPath?: string;
  qualityPath?: string;
  items?: SavedOpcuaItem[];
  signals?: SavedSignalRule[];
  deadband?: string | number;
  duplicates?: 'drop' | 'keep';
  outOfOrder?: 'drop' | 'keep';
  textValues?: boolean;
  maxBytes?: string | number;
  /** Scale-out: the share group of the instances that split this topic's assets ('' = not clustered). */
  clusterGroup?: string;
  /** Topic prefix of the cluster's records and of the asset states (`<prefix>/<asset>/state`). */
  clusterPrefix?: string;
  /** The assets to share out: paths separated by commas or new lines, `{1..20}` ranges. */
  clusterAssets?: string;
  /** Seconds between state messages of a changed asset; 0: none. */
  stateInterval?: string | number;
  /** Seconds a handover may take before the instance goes on without it. */
  handoverTimeout?: string | number;
}

export interface ClusterSettings {
  group: string;
  prefix: string;
  assets: string[];
  /** asset → the filter of its samples (without $share). */
  filters: Map<string, string>;
  assetLevels: number;
  stateIntervalMs: number;
  handoverTimeoutMs: number;
}

export interface OpcuaItem extends MonitoredItemSpec {
  topic: string;
  unit?: string;
}

export interface IngestNodeSettings {
  pipeline: IngestSettings;
  qos: 0 | 1 | 2;
  items: OpcuaItem[];
  /** Set when the node shares its assets with other instances. */
  cluster?: ClusterSettings;
}

export const currentConfigVersion = 1;

export function migrateIngestDef(def: TwinIngestDef): TwinIngestDef {
  const migrated = { ...def };
  if (!migrated.configVersion) migrated.configVersion = currentConfigVersion;
  return migrated;
}

function numberOr(raw: unknown, fallback: number, what: string): number {
  if (raw === undefined || raw === null || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new ConfigError(`bad ${what}`, `${what} must be a number, got "${String(raw)}"`);
  return value;
}

function optionalNumber(raw: unknown, what: string): number | undefined {
  return raw === undefined || raw === null || raw === '' ? undefined : numberOr(raw, 0, what);
}

function signalRule(rule: SavedSignalRule, index: number): SignalRule {
  const match = (rule.match ?? '').trim();
  if (!match) throw new ConfigError('bad signal row', `signal row ${index + 1} has no pattern`);
  const scaleParts = [rule.rawLow, rule.rawHigh, rule.low, rule.high].map((v, i) => optionalNumber(v, `scaling of row ${index + 1} (${i})`));
  const hasScale = scaleParts.some((v) => v !== undefined);
  if (hasScale && scaleParts.some((v) => v === undefined)) {
    throw new ConfigError('bad scaling', `signal row ${index + 1}: scaling needs raw low, raw high, low and high`);
  }
  if (hasScale && scaleParts[0] === scaleParts[1]) throw new ConfigError('bad scaling', `signal row ${index + 1}: raw low equals raw high`);
  const [rawLow, rawHigh, low, high] = scaleParts as number[];
  return {
    match,
    unit: rule.unit?.trim() || undefined,
    scale: hasScale ? { rawLow, rawHigh, low, high } : undefined,
    deadband: optionalNumber(rule.deadband, `deadband of row ${index + 1}`),
  };
}

function opcuaItem(item: SavedOpcuaItem, index: number): OpcuaItem {
  const nodeId = (item.nodeId ?? '').trim();
  if (!nodeId) throw new ConfigError('bad OPC UA item', `OPC UA item ${index + 1} has no node id`);
  const topic = (item.topic ?? '').trim() || nodeId;
  const deadbandValue = numberOr(item.deadband, 0, 'deadband');
  return {
    nodeId,
    topic,
    unit: item.unit?.trim() || undefined,
    samplingIntervalMs: numberOr(item.samplingInterval, 1000, 'sampling interval'),
    queueSize: Math.max(1, Math.round(numberOr(item.queueSize, 10, 'queue size'))),
    deadband: item.deadbandType && item.deadbandType !== 'none' && deadbandValue > 0 ? { type: item.deadbandType, value: deadbandValue } : undefined,
  };
}

/** Reads the saved node into settings; every mistake is a ConfigError naming the field. */
export function ingestSettings(def: TwinIngestDef): IngestNodeSettings {
  const qos = numberOr(def.qos, 1, 'QoS');
  if (qos !== 0 && qos !== 1 && qos !== 2) throw new ConfigError('bad QoS', `QoS must be 0, 1 or 2, got ${qos}`);
  const timePaths = (def.timePath ?? '').split(',').map((p) => p.trim()).filter(Boolean);
  return {
    qos,
    cluster: clusterSettings(def),
    items: (def.items ?? []).map(opcuaItem),
    pipeline: {
      topicTemplate: (def.topic ?? '').trim(),
      format: def.format ?? 'auto',
      payload: {
        paths: {
          value: def.valuePath?.trim() || defaultPayloadOptions.paths.value,
          time: timePaths.length ? timePaths : defaultPayloadOptions.paths.time,
          unit: def.unitPath?.trim() || defaultPayloadOptions.paths.unit,
          quality: def.qualityPath?.trim() || defaultPayloadOptions.paths.quality,
        },
        maxBytes: numberOr(def.maxBytes, defaultPayloadOptions.maxBytes, 'maximum payload size'),
        textValues: def.textValues === true,
      },
      normaliser: {
        signals: (def.signals ?? []).map(signalRule),
        deadband: numberOr(def.deadband, 0, 'deadband'),
        duplicates: def.duplicates === 'keep' ? 'keep' : 'drop',
        outOfOrder: def.outOfOrder === 'keep' ? 'keep' : 'drop',
        textValues: def.textValues === true,
        maxSignals: 100000,
      },
    },
  };
}

/** The scale-out settings; undefined when the node is not clustered (no group). */
function clusterSettings(def: TwinIngestDef): ClusterSettings | undefined {
  const group = (def.clusterGroup ?? '').trim();
  if (!group) return undefined;
  const groupIssue = groupProblem(group);
  if (groupIssue) throw new ConfigError('bad cluster group', groupIssue);
  const prefix = (def.clusterPrefix ?? '').trim() || 'twinloop';
  const prefixIssue = prefixProblem(prefix);
  if (prefixIssue) throw new ConfigError('bad cluster prefix', prefixIssue);
  const subscription = compileTopicTemplate((def.topic ?? '').trim()).subscription;
  const filterIssue = clusterFilterProblem(subscription);
  if (filterIssue) throw new ConfigError('bad cluster topic', filterIssue);
  const assets = parseAssetList(def.clusterAssets ?? '');
  const filters = new Map(assets.map((asset) => [asset, assetFilter(subscription, asset)]));
  const stateInterval = numberOr(def.stateInterval, 1, 'state interval');
  if (stateInterval < 0 || stateInterval > 3600) throw new ConfigError('bad state interval', 'state interval: 0 to 3600 s');
  const handoverTimeout = numberOr(def.handoverTimeout, 5, 'handover timeout');
  if (handoverTimeout < 0.1 || handoverTimeout > 60) throw new ConfigError('bad handover timeout', 'handover timeout: 0.1 to 60 s');
  return {
    group, prefix, assets, filters, assetLevels: assetLevelCount(subscription),
    stateIntervalMs: Math.round(stateInterval * 1000), handoverTimeoutMs: Math.round(handoverTimeout * 1000),
  };
}
