/**
 * The watchdog: notices when the plant no longer matches the model or its own settings
 * changed: signals nobody modelled, modelled signals that never came, a unit that changed,
 * a new value of a configuration signal (recipe, tool, mode). Each is a 'configuration' event.
 */
import type { CheckedSample } from './checks';
import type { SignalRecord } from './record';
import type { TwinEvent } from './types';

/** Unknown keys remembered for "report once"; beyond this they pass without a report. */
const MAX_REPORTED_UNKNOWN = 10_000;

/** Unit and configuration checks of a sample, before it replaces the record's value. */
export function watchSample(record: SignalRecord, s: CheckedSample, events: TwinEvent[]): void {
  if (record.expectedUnit !== undefined && s.unit !== record.expectedUnit) {
    events.push({ type: 'configuration', change: 'unit-changed', key: s.key, asset: s.asset, detail: `${record.expectedUnit ?? 'no unit'} -> ${s.unit ?? 'no unit'}` });
  }
  record.expectedUnit = s.unit;
  if (record.arrived && record.definition?.configuration === true && record.value !== s.value) {
    events.push({ type: 'configuration', change: 'configuration-value', key: s.key, asset: s.asset, detail: `${String(record.value)} -> ${String(s.value)}` });
  }
}

/** Model signals that sent nothing within `graceMs` of becoming known; each reported once. */
export function findMissing(records: Iterable<SignalRecord>, graceMs: number, now: number): TwinEvent[] {
  const events: TwinEvent[] = [];
  for (const record of records) {
    if (record.inModel && !record.arrived && !record.missingReported && now - record.since >= graceMs) {
      record.missingReported = true;
      events.push({ type: 'configuration', change: 'missing-signal', key: record.key, asset: record.asset, detail: `no sample within ${graceMs} ms` });
    }
  }
  return events;
}

export class UnknownSignals {
  private readonly reported = new Set<string>();

  /** Reports an unknown key the first time it shows up (a bounded memory: a flood stays cheap). */
  report(key: string, asset: string, detail: string, events: TwinEvent[]): void {
    if (this.reported.has(key) || this.reported.size >= MAX_REPORTED_UNKNOWN) return;
    this.reported.add(key);
    events.push({ type: 'configuration', change: 'unknown-signal', key, asset, detail });
  }

  /** Marks a key as reported already (restored from a saved state). */
  known(key: string): void {
    if (this.reported.size < MAX_REPORTED_UNKNOWN) this.reported.add(key);
  }
}
