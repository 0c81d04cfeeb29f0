/**
 * The ingest message contract. Every later node consumes `TwinSample` as `msg.payload`,
 * with `msg.topic = "<asset>/<signal>"`. Keep ARCHITECTURE.md in step with this file.
 */
export type Quality = 'good' | 'uncertain' | 'bad';

export type SampleValue = number | boolean | string;

export interface TwinSample {
  /** Asset path, levels joined by "/" (e.g. "plant/line1/press1"). */
  asset: string;
  /** Signal name within the asset (e.g. "temperature"). */
  signal: string;
  /** Finite number in `unit`, a boolean, or text (text only where enabled). */
  value: SampleValue;
  /** Canonical unit (mathjs syntax, e.g. "degC", "bar", "Hz"); null when unitless. */
  unit: string | null;
  quality: Quality;
  /** When the plant measured it, epoch ms (falls back to receivedTime when unknown). */
  sourceTime: number;
  /** When TwinLoop received it, epoch ms. */
  receivedTime: number;
  /** receivedTime - sourceTime, ms (never negative: clock skew is clamped to 0). */
  latencyMs: number;
}

/**
 * A value as a protocol delivered it, before normalisation. Decoders (plain/JSON payloads,
 * Sparkplug B, OPC UA data values) produce these; the Normaliser turns each into a TwinSample.
 */
export interface RawSample {
  /** Where it came from (MQTT topic, OPC UA node id, msg.topic), for error messages. */
  origin: string;
  asset: string;
  signal: string;
  value: unknown;
  /** Unit the source stated, if any (payload field, text suffix, EngineeringUnits). */
  unit?: string | null;
  /** Raw quality: 'good' | 'uncertain' | 'bad', an OPC UA StatusCode number, a boolean, etc. */
  quality?: unknown;
  /** Raw timestamp: Date, ISO string, epoch s or ms. */
  sourceTime?: unknown;
  receivedTime: number;
}

export function sampleTopic(sample: Pick<TwinSample, 'asset' | 'signal'>): string {
  return sample.asset ? `${sample.asset}/${sample.signal}` : sample.signal;
}
