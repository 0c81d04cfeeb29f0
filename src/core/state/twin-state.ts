/**
 * The live twin: the latest value of every signal with its history, freshness, desired value
 * and the watchdog that reports changes of the plant's configuration.
 *
 * Time is always `now()` (injected), never read elsewhere, so tests can step a fake clock.
 * Every input is checked before anything changes: a refused sample leaves no trace.
 */
import { ConfigError, InputError } from '../errors';
import type { SignalDefinition, TwinModel } from '../model/types';
import { checkCount, checkName, checkOptionalMs, checkSample, checkValue, guarded } from './checks';
import { DeadlineHeap } from './deadlines';
import { indexModel, outOfRange, type ModelIndex } from './model-index';
import { readSaved, savedForm } from './persistence';
import { fidelityOf, query, snapshotAll } from './queries';
import { AssetNode, SignalRecord } from './record';
import { findMissing, UnknownSignals, watchSample } from './watchdog';
import type { Fidelity, GetOptions, PersistedState, SignalSnapshot, TwinEvent, TwinSnapshot, TwinStateOptions, UnknownSignalPolicy, UpdateResult } from './types';

export class TwinState {
  private readonly now: () => number;
  private readonly historyLength: number;
  private readonly policy: UnknownSignalPolicy;
  private readonly defaultMaxAgeMs: number | undefined;
  private readonly maxSignals: number;
  private readonly startedAt: number;
  private readonly records = new Map<string, SignalRecord>();
  private readonly root = new AssetNode('', '', undefined);
  private readonly deadlines = new DeadlineHeap<SignalRecord>();
  private readonly unknown = new UnknownSignals();
  private model: ModelIndex | undefined;
  /** Signals of a saved state that fromJSON could not use. */
  skippedOnRestore = 0;

  constructor(options: TwinStateOptions = {}) {
    if (options.now !== undefined && typeof options.now !== 'function') throw new ConfigError('bad clock', 'now must be a function');
    this.now = options.now ?? Date.now;
    this.historyLength = checkCount(options.historyLength, 'history length', 100, 100_000);
    this.maxSignals = checkCount(options.maxSignals, 'signal limit', 100_000, 10_000_000);
    const policy = options.unknownSignals ?? 'error';
    if (policy !== 'error' && policy !== 'add' && policy !== 'ignore') {
      throw new ConfigError('bad unknown-signal policy', 'unknownSignals must be error, add or ignore');
    }
    this.policy = policy;
    this.defaultMaxAgeMs = checkOptionalMs(options.defaultMaxAgeMs, 'default max age');
    this.startedAt = this.now();
    if (options.model !== undefined) this.setModel(options.model);
  }

  /** Takes one ingest sample. Throws InputError (and changes nothing) for a sample it refuses. */
  update(sample: unknown): UpdateResult {
    const s = guarded(() => checkSample(sample, this.now), 'bad sample');
    const events: TwinEvent[] = [];
    let record = this.records.get(s.key);
    if (!record) {
      if (this.model && this.policy !== 'add') {
        if (this.policy === 'error') throw new InputError('unknown signal', `"${s.key}" is not in the model`, s.key);
        this.unknown.report(s.key, s.asset, 'ignored: not in the model', events);
        return { events };
      }
      record = this.addRecord(s.key, s.asset, s.signal, undefined);
      if (this.model) this.unknown.report(s.key, s.asset, 'added: not in the model', events);
    }
    const now = this.now();

    watchSample(record, s, events);

    record.arrived = true;
    record.value = s.value;
    record.unit = s.unit;
    record.quality = s.quality;
    record.sourceTime = s.sourceTime;
    record.receivedTime = s.receivedTime;
    record.latencyMs = s.latencyMs;
    record.outOfRange = outOfRange(record.definition, s.value);
    record.history.push(s.sourceTime, s.value, s.quality);

    // Freshness: the age of the measurement (source time), not of its arrival.
    record.deadline = record.maxAgeMs === undefined ? Infinity : s.sourceTime + record.maxAgeMs;
    const staleNow = record.deadline <= now;
    if (record.stale && !staleNow) events.push({ type: 'fresh', key: s.key });
    else if (!record.stale && staleNow) events.push({ type: 'stale', key: s.key, ageMs: now - s.sourceTime });
    record.stale = staleNow;
    if (!staleNow) this.deadlines.schedule(record);
    if (this.deadlines.size > 2 * this.records.size + 1024) this.rescheduleAll();

    const second = Math.floor(now / 1000);
    for (let node: AssetNode | undefined = record.node; node; node = node.parent) node.stats.add(now, second, s.latencyMs);
    return { events };
  }

  /** Records the value last written to the plant (setpoint, recipe), to compare with what it reports. */
  setDesired(key: string, value: unknown, writtenAt: number, tolerance?: number): void {
    const record = this.recordFor(key, true);
    const checked = checkValue(value, key);
    if (typeof writtenAt !== 'number' || !Number.isFinite(writtenAt)) throw new InputError('bad time', 'writtenAt must be a finite number of ms', key);
    if (tolerance !== undefined && !(typeof tolerance === 'number' && tolerance >= 0 && Number.isFinite(tolerance))) {
      throw new InputError('bad tolerance', 'tolerance must be a number >= 0', key);
    }
    const target = record ?? this.addRecord(key, key.slice(0, key.lastIndexOf('/')), key.slice(key.lastIndexOf('/') + 1), undefined);
    target.desired = checked;
    target.desiredAt = writtenAt;
    target.tolerance = tolerance ?? 0;
  }

  clearDesired(key: string): boolean {
    const record = this.records.get(key);
    if (!record || record.desired === undefined) return false;
    record.desired = undefined;
    return true;
  }

  /** The earliest time a fresh signal turns stale: set the one timer to this. */
  nextDeadline(): number | undefined {
    return this.deadlines.peek()?.time;
  }

  /** Turns every signal whose deadline has come stale; one event each. */
  checkFreshness(): TwinEvent[] {
    const now = this.now();
    const events: TwinEvent[] = [];
    for (let top = this.deadlines.peek(); top && top.time <= now; top = this.deadlines.peek()) {
      this.deadlines.take();
      const record = top.item;
      if (!record.stale) {
        record.stale = true;
        events.push({ type: 'stale', key: record.key, ageMs: now - record.sourceTime });
      }
    }
    // Dead entries pile up only when deadlines move earlier or signals go: shed them now and then.
    if (this.deadlines.size > 2 * this.records.size + 1024) this.rescheduleAll();
    return events;
  }

  /** Model signals that sent nothing within `graceMs` of becoming known; each reported once. */
  missingSignals(graceMs: number): TwinEvent[] {
    const grace = checkOptionalMs(graceMs, 'grace period') ?? 0;
    return findMissing(this.records.values(), grace, this.now());
  }

  get(pattern: string, options: GetOptions = {}): SignalSnapshot[] {
    return query(this.records, this.root, pattern, this.now(), options?.history === true);
  }

  snapshot(): TwinSnapshot {
    return snapshotAll(this.root, this.now());
  }

  fidelity(assetPath?: string): Fidelity {
    return fidelityOf(this.root, assetPath, this.now(), this.startedAt);
  }

  /** Fidelity of every asset that holds signals itself (machines, usually), at most `limit` of them. */
  fidelityByAsset(limit = 1000): Record<string, Fidelity> {
    const result: Record<string, Fidelity> = Object.create(null) as Record<string, Fidelity>;
    const now = this.now();
    let count = 0;
    const visit = (node: AssetNode): void => {
      if (count >= limit) return;
      if (node.signals.size > 0 && node.path) {
        result[node.path] = fidelityOf(this.root, node.path, now, this.startedAt);
        count += 1;
      }
      for (const child of node.children.values()) visit(child);
    };
    visit(this.root);
    return result;
  }

  get size(): number {
    return this.records.size;
  }

  /**
   * Applies a new model: signals with the same key keep their state under the new rules
   * (max age, range, unit); signals the model removed are dropped (signals that arrived
   * unknown stay under policy 'add').
   * Returns the stale/fresh changes the new limits cause at once.
   */
  setModel(model: TwinModel): TwinEvent[] {
    const index = indexModel(model);
    // Refuse before changing anything: a model too big for the limit leaves the state as it was.
    let kept = 0;
    for (const record of this.records.values()) if (index.signals.has(record.key) || this.keepsOutsideModel(record)) kept++;
    for (const key of index.signals.keys()) if (!this.records.has(key)) kept++;
    if (kept > this.maxSignals) throw new ConfigError('too many signals', `the model would make more than ${this.maxSignals} signals`);
    const now = this.now();
    const events: TwinEvent[] = [];
    for (const record of [...this.records.values()]) {
      const definition = index.signals.get(record.key);
      if (!definition && !this.keepsOutsideModel(record)) {
        this.removeRecord(record);
        continue;
      }
      record.define(definition, this.defaultMaxAgeMs);
      if (!record.arrived) continue;
      record.outOfRange = outOfRange(definition, record.value);
      const staleNow = record.deadline <= now;
      if (record.stale && !staleNow) events.push({ type: 'fresh', key: record.key });
      else if (!record.stale && staleNow) events.push({ type: 'stale', key: record.key, ageMs: now - record.sourceTime });
      record.stale = staleNow;
    }
    for (const [key, definition] of index.signals) {
      if (this.records.has(key)) continue;
      const cut = key.lastIndexOf('/');
      this.addRecord(key, key.slice(0, cut), key.slice(cut + 1), definition);
    }
    for (const asset of index.assets) this.root.find(asset, true);
    this.model = index;
    this.root.prune(index.assets);
    this.rescheduleAll();
    return events;
  }

  toJSON(): PersistedState {
    return savedForm(this.records.values(), this.now());
  }

  /**
   * A state from `toJSON()` output (after a restart). Garbage as a whole: InputError
   * 'bad saved state'; a bad signal is skipped (counted in skippedOnRestore). Signals the
   * (possibly changed) model no longer has follow the unknown-signal policy.
   */
  static fromJSON(data: unknown, options: TwinStateOptions = {}): TwinState {
    const saved = guarded(() => readSaved(data), 'bad saved state');
    const state = new TwinState(options);
    state.skippedOnRestore = saved.skipped;
    const now = state.now();
    for (const signal of saved.signals) {
      let record = state.records.get(signal.key);
      if (!record) {
        if (state.model && state.policy !== 'add') continue;
        if (state.records.size >= state.maxSignals) break;
        record = state.addRecord(signal.key, signal.asset, signal.signal, undefined);
        state.unknown.known(signal.key);
      }
      signal.restoreInto(record, now);
      if (record.arrived) record.outOfRange = outOfRange(record.definition, record.value);
    }
    state.rescheduleAll();
    return state;
  }

  /** A known signal, or undefined if one may be added; InputError if the policy refuses it. */
  private recordFor(key: unknown, mayAdd: boolean): SignalRecord | undefined {
    if (typeof key !== 'string') throw new InputError('bad key', 'a signal key must be text "<asset>/<signal>"');
    const record = this.records.get(key);
    if (record) return record;
    const cut = key.lastIndexOf('/');
    checkName(cut > 0 ? key.slice(0, cut) : '', key.slice(cut + 1), key);
    if (!mayAdd || (this.model && this.policy !== 'add')) throw new InputError('unknown signal', `"${key}" is not in the twin`, key);
    return undefined;
  }

  private addRecord(key: string, asset: string, signal: string, definition: SignalDefinition | undefined): SignalRecord {
    if (this.records.size >= this.maxSignals) throw new InputError('too many signals', `the twin already holds ${this.maxSignals} signals`, key);
    const node = this.root.find(asset, true) as AssetNode;
    const record = new SignalRecord(key, asset, signal, node, this.historyLength, this.now());
    record.define(definition, this.defaultMaxAgeMs);
    this.records.set(key, record);
    node.signals.set(signal, record);
    return record;
  }

  /** A signal the model removed goes; one that arrived unknown stays under policy 'add'. */
  private keepsOutsideModel(record: SignalRecord): boolean {
    return !record.inModel && this.policy === 'add';
  }

  private removeRecord(record: SignalRecord): void {
    record.removed = true;
    this.records.delete(record.key);
    record.node.signals.delete(record.name);
  }

  private rescheduleAll(): void {
    this.deadlines.rebuild([...this.records.values()].filter((r) => r.arrived && !r.stale));
  }
}
