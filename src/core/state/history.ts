/**
 * Bounded history of one signal: (sourceTime, value, quality) in typed arrays, so 10,000
 * signals x 100 points cost about 17 bytes a point instead of a JS object each.
 * Numbers and booleans live in the Float64Array (booleans as 0/1); text values, rare in a
 * plant, in a separate array created only when the first text arrives.
 * The arrays grow by doubling up to the limit, so a signal that barely changes stays small.
 */
import type { Quality, SampleValue } from '../ingest/sample';
import type { HistoryPoint } from './types';

const QUALITY_CODES: Record<Quality, number> = { good: 0, uncertain: 1, bad: 2 };
const QUALITIES: readonly Quality[] = ['good', 'uncertain', 'bad'];
/** Kind of value in the upper bits of the flag byte (quality in the lower two). */
const KIND_NUMBER = 0;
const KIND_BOOLEAN = 4;
const KIND_TEXT = 8;
const FIRST_CAPACITY = 4;

export class HistoryRing {
  readonly limit: number;
  private times: Float64Array;
  private values: Float64Array;
  private flags: Uint8Array;
  private texts: (string | undefined)[] | undefined;
  /** Index of the oldest point; stays 0 until the arrays reached the limit and wrap. */
  private start = 0;
  private count = 0;

  constructor(limit: number) {
    this.limit = limit;
    const capacity = Math.min(limit, FIRST_CAPACITY);
    this.times = new Float64Array(capacity);
    this.values = new Float64Array(capacity);
    this.flags = new Uint8Array(capacity);
  }

  get length(): number {
    return this.count;
  }

  push(sourceTime: number, value: SampleValue, quality: Quality): void {
    if (this.limit === 0) return;
    let index: number;
    if (this.count < this.times.length) {
      index = this.count++;
    } else if (this.times.length < this.limit) {
      this.grow();
      index = this.count++;
    } else {
      index = this.start;
      this.start = this.start + 1 === this.limit ? 0 : this.start + 1;
    }
    this.times[index] = sourceTime;
    let kind = KIND_NUMBER;
    if (typeof value === 'number') {
      this.values[index] = value;
    } else if (typeof value === 'boolean') {
      this.values[index] = value ? 1 : 0;
      kind = KIND_BOOLEAN;
    } else {
      this.values[index] = 0;
      kind = KIND_TEXT;
      if (!this.texts) this.texts = new Array<string | undefined>(this.times.length);
      this.texts[index] = value;
    }
    // A text slot overwritten by a number must not keep the old string alive.
    if (kind !== KIND_TEXT && this.texts) this.texts[index] = undefined;
    this.flags[index] = QUALITY_CODES[quality] | kind;
  }

  /** Oldest first. */
  points(): HistoryPoint[] {
    const out: HistoryPoint[] = new Array(this.count);
    for (let i = 0; i < this.count; i++) {
      const index = (this.start + i) % this.times.length;
      out[i] = { sourceTime: this.times[index], value: this.valueAt(index), quality: QUALITIES[this.flags[index] & 3] };
    }
    return out;
  }

  private valueAt(index: number): SampleValue {
    const kind = this.flags[index] & 12;
    if (kind === KIND_BOOLEAN) return this.values[index] === 1;
    if (kind === KIND_TEXT) return this.texts?.[index] ?? '';
    return this.values[index];
  }

  private grow(): void {
    const capacity = Math.min(this.limit, this.times.length * 2);
    const times = new Float64Array(capacity);
    const values = new Float64Array(capacity);
    const flags = new Uint8Array(capacity);
    times.set(this.times);
    values.set(this.values);
    flags.set(this.flags);
    this.times = times;
    this.values = values;
    this.flags = flags;
    if (this.texts) this.texts.length = capacity;
  }
}
