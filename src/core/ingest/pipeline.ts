import { InputError, isTwinError } from '../errors';
import { Normaliser, type NormaliserOptions } from './normaliser';
import { decodePayload, type PayloadOptions } from './payload-decoder';
import type { Quality, RawSample, TwinSample } from './sample';
import type { SparkplugSession } from './sparkplug';
import { compileTopicTemplate, splitTopic, type TopicTemplate } from './topic-template';

export type IngestFormat = 'auto' | 'json' | 'value' | 'sparkplug';

export interface IngestSettings {
  /** MQTT topic template with named parts (`plant/+line/+machine/+signal`); empty: default rule. */
  topicTemplate: string;
  format: IngestFormat;
  payload: Omit<PayloadOptions, 'format'>;
  normaliser: NormaliserOptions;
}

export interface OpcuaItemReading {
  /** Where the reading belongs in the twin: "<asset>/<signal>". */
  topic: string;
  /** Unit the item is known to be in (from the server's EngineeringUnits or the editor). */
  unit?: string | null;
  nodeId: string;
  value: unknown;
  statusCode: number;
  sourceTimestamp: number | null;
  serverTimestamp: number | null;
}

export interface IngestResult {
  samples: TwinSample[];
  errors: InputError[];
  /** A Sparkplug rebirth command the adapter should publish (unknown alias, data before birth). */
  rebirthRequest?: { topic: string; payload: Uint8Array };
}

/** Anything that is not a TwinError is a defect; it still must not stop the stream. */
function asInputError(err: unknown, origin: string): InputError {
  if (err instanceof InputError) return err;
  const reason = isTwinError(err) ? err.shortReason : 'internal error';
  return new InputError(reason, err instanceof Error ? err.message : String(err), origin);
}

/** OPC UA StatusCode severity lives in the top two bits: 00 good, 01 uncertain, 1x bad. */
export function opcuaQuality(statusCode: number): Quality {
  const severity = (statusCode >>> 30) & 0b11;
  return severity === 0 ? 'good' : severity === 1 ? 'uncertain' : 'bad';
}

/**
 * Turns whatever arrives (an MQTT message, an OPC UA reading, a Node-RED message) into twin
 * samples. One bad value yields one error and never stops the values beside or after it.
 */
export class IngestPipeline {
  private readonly template: TopicTemplate | undefined;
  private readonly normaliser: Normaliser;
  /** Created with the first Sparkplug message: protobufjs is only loaded by flows that need it. */
  private sparkplug: SparkplugSession | undefined;
  private readonly payloadOptions: PayloadOptions;

  constructor(private readonly settings: IngestSettings) {
    this.template = settings.topicTemplate ? compileTopicTemplate(settings.topicTemplate) : undefined;
    this.normaliser = new Normaliser(settings.normaliser);
    const format = settings.format === 'sparkplug' ? 'auto' : settings.format;
    this.payloadOptions = { ...settings.payload, format };
  }

  get subscription(): string | undefined {
    return this.template?.subscription;
  }

  get signalCount(): number {
    return this.normaliser.signalCount;
  }

  stats(): ReturnType<Normaliser['stats']> {
    return this.normaliser.stats();
  }

  /** A message from a subscription or from the node's input (`msg.topic`, `msg.payload`). */
  fromMessage(topic: string, payload: unknown, receivedTime: number, names?: { asset?: unknown; signal?: unknown }): IngestResult {
    if (this.isSparkplug(topic)) return this.fromSparkplug(topic, payload, receivedTime);
    const result: IngestResult = { samples: [], errors: [] };
    try {
      const { asset, signal } = this.nameSample(topic, names);
      const decoded = decodePayload(payload, topic, this.payloadOptions);
      this.push(result, { origin: topic, asset, signal, value: decoded.value, unit: decoded.unit, quality: decoded.quality, sourceTime: decoded.sourceTime, receivedTime });
    } catch (err) {
      result.errors.push(asInputError(err, topic));
    }
    return result;
  }

  fromOpcua(reading: OpcuaItemReading, receivedTime: number): IngestResult {
    const result: IngestResult = { samples: [], errors: [] };
    try {
      const { asset, signal } = splitTopic(reading.topic);
      this.push(result, {
        origin: `${reading.topic} (${reading.nodeId})`,
        asset,
        signal,
        value: reading.value,
        unit: reading.unit,
        quality: opcuaQuality(reading.statusCode),
        sourceTime: reading.sourceTimestamp ?? reading.serverTimestamp ?? undefined,
        receivedTime,
      });
    } catch (err) {
      result.errors.push(asInputError(err, reading.topic));
    }
    return result;
  }

  private isSparkplug(topic: string): boolean {
    if (this.settings.format === 'sparkplug') return true;
    return this.settings.format === 'auto' && topic.startsWith('spBv1.0/');
  }

  private fromSparkplug(topic: string, payload: unknown, receivedTime: number): IngestResult {
    const result: IngestResult = { samples: [], errors: [] };
    if (!(payload instanceof Uint8Array)) {
      result.errors.push(new InputError('not Sparkplug', 'a Sparkplug B payload must be binary (set the mqtt in node to output a Buffer)', topic));
      return result;
    }
    try {
      if (!this.sparkplug) {
        const { SparkplugSession: Session } = require('./sparkplug') as typeof import('./sparkplug');
        this.sparkplug = new Session();
      }
      const decoded = this.sparkplug.handle(topic, payload, receivedTime);
      result.rebirthRequest = decoded.rebirthRequest;
      result.errors.push(...decoded.errors);
      for (const raw of decoded.samples) this.push(result, raw);
    } catch (err) {
      result.errors.push(asInputError(err, topic));
    }
    return result;
  }

  private nameSample(topic: string, names?: { asset?: unknown; signal?: unknown }): { asset: string; signal: string } {
    if (names && typeof names.signal === 'string' && names.signal) {
      return { asset: typeof names.asset === 'string' ? names.asset : '', signal: names.signal };
    }
    if (!topic) throw new InputError('no topic', 'a sample needs msg.topic "<asset>/<signal>" (or msg.asset and msg.signal)');
    if (this.template) {
      const match = this.template.match(topic);
      if (match) return match;
    }
    return splitTopic(topic);
  }

  private push(result: IngestResult, raw: RawSample): void {
    try {
      const sample = this.normaliser.normalise(raw);
      if (sample) result.samples.push(sample);
    } catch (err) {
      result.errors.push(asInputError(err, raw.origin));
    }
  }
}
