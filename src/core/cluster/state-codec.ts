/**
 * The compact twin state of one asset, as a retained MQTT message on `<prefix>/<asset>/state`:
 *
 *   {"v":1,"at":<published, epoch ms>,"by":"<member id>",
 *    "s":{"<signal>":[<value>,<quality 0 good|1 uncertain|2 bad>,<source time, epoch ms>,<unit|null>], ...}}
 *
 * It holds what the samples say of the asset (latest value, quality and time per signal), so an
 * instance that takes the asset over, a dashboard or the gate can read the whole plant's state.
 */
import { InputError } from '../errors';
import type { Quality, SampleValue, TwinSample } from '../ingest/sample';

export const STATE_CODEC_VERSION = 1;
const QUALITIES: Quality[] = ['good', 'uncertain', 'bad'];
const MAX_STATE_BYTES = 4 * 1024 * 1024;

export interface SignalState {
  value: SampleValue;
  quality: Quality;
  sourceTime: number;
  unit: string | null;
}

export interface AssetState {
  asset: string;
  /** When it was published, epoch ms. */
  publishedAt: number;
  /** The member that published it. */
  by: string;
  signals: Map<string, SignalState>;
}

export function stateTopic(prefix: string, asset: string): string {
  return `${prefix}/${asset}/state`;
}

/** The asset of a state topic under `prefix`, or undefined when the topic is not one. */
export function assetOfStateTopic(prefix: string, topic: string): string | undefined {
  if (!topic.startsWith(`${prefix}/`) || !topic.endsWith('/state')) return undefined;
  const asset = topic.slice(prefix.length + 1, -'/state'.length);
  return asset.length > 0 ? asset : undefined;
}

/** The compact form as a plain object (what encodeAssetState writes as JSON). */
export function assetStateObject(state: AssetState): { v: number; at: number; by: string; s: Record<string, [SampleValue, number, number, string | null]> } {
  const signals: Record<string, [SampleValue, number, number, string | null]> = {};
  for (const [name, s] of state.signals) signals[name] = [s.value, QUALITIES.indexOf(s.quality), s.sourceTime, s.unit];
  return { v: STATE_CODEC_VERSION, at: state.publishedAt, by: state.by, s: signals };
}

export function encodeAssetState(state: AssetState): string {
  return JSON.stringify(assetStateObject(state));
}

const bad = (asset: string, detail: string): InputError => new InputError('bad state message', `${asset}: ${detail}`, asset);

/**
 * Reads a state message (its payload, or the object already parsed); undefined for an empty one
 * (a cleared retained state). InputError if malformed.
 */
export function decodeAssetState(asset: string, payload: Buffer | string | object): AssetState | undefined {
  let raw: unknown = payload;
  if (typeof payload === 'string' || Buffer.isBuffer(payload)) {
    const text = typeof payload === 'string' ? payload : payload.toString('utf8');
    if (text.length === 0) return undefined;
    if (text.length > MAX_STATE_BYTES) throw bad(asset, 'too large');
    try {
      raw = JSON.parse(text);
    } catch {
      throw bad(asset, 'not JSON');
    }
  }
  const o = raw as { v?: unknown; at?: unknown; by?: unknown; s?: unknown };
  if (typeof o !== 'object' || o === null || o.v !== STATE_CODEC_VERSION) throw bad(asset, 'unknown version');
  if (typeof o.s !== 'object' || o.s === null || Array.isArray(o.s)) throw bad(asset, 'no signals');
  const signals = new Map<string, SignalState>();
  for (const [name, entry] of Object.entries(o.s as Record<string, unknown>)) {
    if (!Array.isArray(entry) || entry.length !== 4) throw bad(asset, `signal ${name.slice(0, 40)}: not [value, quality, time, unit]`);
    const [value, quality, sourceTime, unit] = entry as unknown[];
    const valueOk = (typeof value === 'number' && Number.isFinite(value)) || typeof value === 'boolean' || typeof value === 'string';
    if (!valueOk) throw bad(asset, `signal ${name.slice(0, 40)}: bad value`);
    if (typeof quality !== 'number' || !QUALITIES[quality]) throw bad(asset, `signal ${name.slice(0, 40)}: bad quality`);
    if (typeof sourceTime !== 'number' || !Number.isFinite(sourceTime)) throw bad(asset, `signal ${name.slice(0, 40)}: bad time`);
    if (unit !== null && typeof unit !== 'string') throw bad(asset, `signal ${name.slice(0, 40)}: bad unit`);
    signals.set(name, { value: value as SampleValue, quality: QUALITIES[quality], sourceTime, unit: unit as string | null });
  }
  return { asset, publishedAt: typeof o.at === 'number' ? o.at : 0, by: typeof o.by === 'string' ? o.by : '', signals };
}

/** The samples a restored state stands for (receivedTime now), one per signal. */
export function samplesOfState(state: AssetState, now: number): TwinSample[] {
  const samples: TwinSample[] = [];
  for (const [signal, s] of state.signals) {
    samples.push({
      asset: state.asset, signal, value: s.value, unit: s.unit, quality: s.quality,
      sourceTime: s.sourceTime, receivedTime: now, latencyMs: Math.max(0, now - s.sourceTime),
    });
  }
  return samples;
}

interface BookEntry {
  signals: Map<string, SignalState>;
  dirty: boolean;
}

/**
 * The states of the assets one member holds: samples mark an asset changed; `takeChanged()` hands
 * out the changed ones (a timer publishes them, so an asset is published at most once a period).
 */
export class AssetStateBook {
  private readonly entries = new Map<string, BookEntry>();

  constructor(private readonly memberId: string) {}

  observe(sample: TwinSample): void {
    let entry = this.entries.get(sample.asset);
    if (!entry) {
      entry = { signals: new Map(), dirty: false };
      this.entries.set(sample.asset, entry);
    }
    const previous = entry.signals.get(sample.signal);
    if (previous && previous.sourceTime > sample.sourceTime) return; // an older sample never rolls the state back
    entry.signals.set(sample.signal, { value: sample.value, quality: sample.quality, sourceTime: sample.sourceTime, unit: sample.unit });
    entry.dirty = true;
  }

  /** Starts an asset from a restored state (not marked changed). */
  restore(asset: string, state: AssetState | undefined): void {
    this.entries.set(asset, { signals: new Map(state?.signals ?? []), dirty: false });
  }

  has(asset: string): boolean {
    return (this.entries.get(asset)?.signals.size ?? 0) > 0;
  }

  /** The asset's state now, or undefined when nothing is known of it. */
  stateOf(asset: string, now: number): AssetState | undefined {
    const entry = this.entries.get(asset);
    if (!entry || entry.signals.size === 0) return undefined;
    return { asset, publishedAt: now, by: this.memberId, signals: new Map(entry.signals) };
  }

  /** The assets changed since the last call, with their states; marks them unchanged. */
  takeChanged(now: number): AssetState[] {
    const changed: AssetState[] = [];
    for (const [asset, entry] of this.entries) {
      if (!entry.dirty) continue;
      entry.dirty = false;
      changed.push({ asset, publishedAt: now, by: this.memberId, signals: entry.signals });
    }
    return changed;
  }

  forget(asset: string): void {
    this.entries.delete(asset);
  }
}
