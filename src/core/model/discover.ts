/**
 * Automatic construction: a proposed model from what a server or the incoming data shows, so the
 * technician starts from the plant's own structure instead of typing it. Every proposal has
 * revision 0 and notes (see ModelProposal); accepting it (and numbering its revision) is the
 * caller's job, after the technician has reviewed it, e.g. with diffModels.
 */
import { ConfigError } from '../errors';
import type { BrowseEntry } from '../source/opcua-browse';
import { MODEL_LIMITS, modelUnits, quote } from './checks';
import { ProposalBuilder, type ModelProposal } from './proposal';
import type { AssetKind, SignalDefinition } from './types';

export { diffModels, type ModelDiff } from './diff';
export type { ModelProposal } from './proposal';

/**
 * Asset kind from the depth below Objects. A guess, kept simple on purpose: servers are usually
 * laid out line / machine / component; the technician corrects the rest in the editor.
 */
export function kindAtDepth(depth: number): AssetKind {
  return depth === 1 ? 'line' : depth === 2 ? 'machine' : depth === 3 ? 'component' : 'other';
}

function checkName(name: unknown, fallback: string): string {
  if (name === undefined) return fallback;
  if (typeof name !== 'string' || name.trim() === '' || name.length > MODEL_LIMITS.maxNameLength) {
    throw new ConfigError('bad name', `the model needs a name of 1 to ${MODEL_LIMITS.maxNameLength} characters`);
  }
  return name;
}

/** A canonical unit, or null with a note when the unit is not one TwinLoop knows. */
function knownUnit(unit: unknown, key: string, builder: ProposalBuilder): string | null {
  if (typeof unit !== 'string' || unit.trim() === '') return null;
  if (modelUnits.isKnown(unit)) return modelUnits.normaliseUnitName(unit);
  builder.note(`${quote(key)}: unit ${quote(unit)} is not known, left empty`);
  return null;
}

/**
 * A model from an OPC UA browse (OpcuaConnection.browseVariables, or browse levels joined):
 * objects become assets (kind by depth, see kindAtDepth), variables signals with the unit of
 * their EngineeringUnits, paths are the browse paths without the leading "Objects/". Methods are
 * skipped; a variable straight under Objects has no asset and is left out (noted).
 */
export function modelFromBrowse(entries: BrowseEntry[], options: { name?: string; maxAgeMs?: number } = {}): ModelProposal {
  if (!Array.isArray(entries)) throw new ConfigError('bad browse', 'browse results must be a list');
  const opts: Record<string, unknown> = options !== null && typeof options === 'object' ? options : {};
  const name = checkName(opts.name, 'OPC UA model');
  const maxAgeMs = opts.maxAgeMs;
  if (maxAgeMs !== undefined && (typeof maxAgeMs !== 'number' || !Number.isFinite(maxAgeMs) || maxAgeMs <= 0)) {
    throw new ConfigError('bad max age', 'maxAgeMs must be a number above 0');
  }
  const builder = new ProposalBuilder(kindAtDepth);
  for (const entry of entries) {
    if (entry === null || typeof entry !== 'object' || typeof entry.path !== 'string' || entry.path === '') continue;
    if (entry.path.length > (MODEL_LIMITS.maxNameLength + 1) * (MODEL_LIMITS.maxDepth + 2)) {
      builder.note(`${quote(entry.path)}: path too long, left out`);
      continue;
    }
    const raw = entry.path.split('/');
    if (raw[0] === 'Objects') raw.shift();
    const shown = raw.join('/');
    if (entry.nodeClass === 'Object') {
      const levels = builder.levels(raw, shown);
      if (levels && levels.length <= MODEL_LIMITS.maxDepth) builder.asset(levels);
    } else if (entry.nodeClass === 'Variable') {
      if (raw.length < 2) {
        builder.note(`${quote(shown)}: a variable outside any object, left out`);
        continue;
      }
      const levels = builder.levels(raw, shown);
      if (!levels) continue;
      const signal: SignalDefinition = { name: levels[levels.length - 1], unit: knownUnit(entry.unit, shown, builder) };
      if (maxAgeMs !== undefined) signal.maxAgeMs = maxAgeMs as number;
      builder.signal(levels.slice(0, -1), signal);
    }
  }
  return builder.build(name);
}

/** What an ingest sample offers the learner (the fields of the ingest message contract). */
export interface ObservedSample {
  asset: string;
  signal: string;
  unit: string | null;
  value: unknown;
}

interface Learned {
  asset: string;
  signal: string;
  /** Unit ('' for none) -> samples seen with it, in the order first seen. */
  units: Map<string, number>;
}

/** Distinct units remembered per signal: enough to spot a sender that mixes them. */
const MAX_UNITS_PER_SIGNAL = 8;
/** Longest asset path accepted from a sample: the deepest model path. */
const MAX_ASSET_LENGTH = (MODEL_LIMITS.maxNameLength + 1) * MODEL_LIMITS.maxDepth;

/**
 * Learns a model from the samples that arrive during a learning window: asset paths become
 * assets (kind 'other': topic layouts differ too much to guess), signals get the unit they came
 * with, or the most frequent one (noted) if they came with several. Memory is bounded by
 * `maxSignals` (default 10,000, at most 100,000): samples of further signals are counted in
 * `dropped`, as are samples without a usable asset and signal. `observe` never throws.
 */
export class TopicLearner {
  private readonly maxSignals: number;
  private readonly learned = new Map<string, Learned>();
  private seen = 0;
  private refused = 0;
  private overflow = 0;

  constructor(options: { maxSignals?: number } = {}) {
    const max = options !== null && typeof options === 'object' ? options.maxSignals : undefined;
    if (max !== undefined && (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > MODEL_LIMITS.maxSignals)) {
      throw new ConfigError('bad limit', `maxSignals must be a whole number from 1 to ${MODEL_LIMITS.maxSignals}`);
    }
    this.maxSignals = max ?? 10_000;
  }

  observe(sample: ObservedSample): void {
    this.seen++;
    try {
      this.learn(sample);
    } catch {
      // A hostile object (throwing getter): not learned, and the ingest flow is not disturbed.
      this.refused++;
    }
  }

  private learn(sample: ObservedSample): void {
    if (sample === null || typeof sample !== 'object') return void this.refused++;
    const { asset, signal, unit } = sample;
    if (typeof asset !== 'string' || asset === '' || asset.length > MAX_ASSET_LENGTH ||
        typeof signal !== 'string' || signal === '' || signal.length > MODEL_LIMITS.maxNameLength) {
      return void this.refused++;
    }
    const key = `${asset}/${signal}`;
    let entry = this.learned.get(key);
    if (!entry) {
      if (this.learned.size >= this.maxSignals) return void this.overflow++;
      entry = { asset, signal, units: new Map() };
      this.learned.set(key, entry);
    }
    // Unit names are short; a longer text is kept cut (it stays unknown) so it cannot fill memory.
    const unitName = typeof unit === 'string' ? unit.slice(0, 64) : '';
    const count = entry.units.get(unitName);
    if (count !== undefined) entry.units.set(unitName, count + 1);
    else if (entry.units.size < MAX_UNITS_PER_SIGNAL) entry.units.set(unitName, 1);
  }

  /** Distinct signals learned so far. */
  get count(): number {
    return this.learned.size;
  }

  /** Samples observed, learned or not. */
  get samples(): number {
    return this.seen;
  }

  /** Samples not learned: unusable, or of signals beyond maxSignals. */
  get dropped(): number {
    return this.refused + this.overflow;
  }

  /** Forgets everything, for a new learning window. */
  reset(): void {
    this.learned.clear();
    this.seen = this.refused = this.overflow = 0;
  }

  /** The proposed model of what was learned (revision 0, with notes). */
  propose(name?: string): ModelProposal {
    const builder = new ProposalBuilder();
    const modelName = checkName(name, 'Learned model');
    if (this.refused > 0) builder.note(`${this.refused} samples without a usable asset and signal were not learned`);
    if (this.overflow > 0) builder.note(`${this.overflow} samples of signals beyond the first ${this.maxSignals} were not learned`);
    for (const [key, entry] of this.learned) {
      const levels = builder.levels([...entry.asset.split('/'), entry.signal], key);
      if (!levels) continue;
      let best = '';
      let bestCount = -1;
      for (const [unit, count] of entry.units) {
        if (count > bestCount) [best, bestCount] = [unit, count];
      }
      if (entry.units.size > 1) {
        const seenWith = [...entry.units].map(([unit, count]) => `${unit || 'no unit'} (${count})`).join(', ');
        builder.note(`${quote(key)}: seen with ${seenWith}; ${best || 'no unit'} proposed`);
      }
      builder.signal(levels.slice(0, -1), { name: levels[levels.length - 1], unit: knownUnit(best, key, builder) });
    }
    return builder.build(modelName);
  }
}
