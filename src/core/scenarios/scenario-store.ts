/**
 * A bounded, in-memory store of scenario results (what-if runs) for listing, comparing and training
 * a surrogate model. Entries are validated and frozen on the way in, so a stored result cannot be
 * changed behind the store's back, and a saved store that is partly damaged loads what it can.
 * "Oldest" means added first: eviction and list order follow insertion, not createdAt.
 * Ids are keys: adding a result with an id already stored replaces that result (it becomes newest).
 */
import { ConfigError, InputError } from '../errors';

export interface ScenarioResult {
  id: string;
  /** Epoch milliseconds. */
  createdAt: number;
  settings: Record<string, number>;
  kpis: Record<string, number>;
  /** Replications the KPIs are means over. */
  replications: number;
  modelRevision?: number;
  label?: string;
}

/** What add() accepts: id and createdAt are filled in when missing. */
export type NewScenarioResult = Omit<ScenarioResult, 'id' | 'createdAt'> & { id?: string; createdAt?: number };

export interface ScenarioRow {
  settings: Record<string, number>;
  kpis: Record<string, number>;
}

export interface SavedScenarioStore {
  version: 1;
  capacity: number;
  results: ScenarioResult[];
}

export interface LoadedScenarioStore {
  store: ScenarioStore;
  /** Saved entries that could not be used. */
  dropped: number;
  /** Why (the first few), e.g. "results[3]: kpis.oee = null is not a finite number". */
  problems: string[];
}

export const DEFAULT_CAPACITY = 500;
const MAX_CAPACITY = 100_000;
const MAX_KEYS = 1000;
const MAX_TEXT = 200;
const MAX_PROBLEMS = 10;
const RESERVED = new Set(['__proto__', 'constructor', 'prototype']);

function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (x === null || typeof x !== 'object' || Array.isArray(x)) return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

function numberRecord(x: unknown, what: string): Record<string, number> {
  if (!isPlainObject(x)) throw new InputError(`bad ${what}`, `${what} must be a plain object of numbers`);
  const keys = Object.keys(x);
  if (keys.length > MAX_KEYS) throw new InputError(`bad ${what}`, `${what} has ${keys.length} entries (limit ${MAX_KEYS})`);
  const out: Record<string, number> = {};
  for (const key of keys) {
    if (RESERVED.has(key) || key.length === 0 || key.length > MAX_TEXT) throw new InputError(`bad ${what}`, `${what} key ${JSON.stringify(key.slice(0, 40))} is not allowed`);
    const v = x[key];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new InputError(`bad ${what}`, `${what}.${key} = ${String(v)} is not a finite number`);
    out[key] = v;
  }
  return Object.freeze(out);
}

function text(x: unknown, what: string): string {
  if (typeof x !== 'string' || x.length === 0 || x.length > MAX_TEXT) throw new InputError(`bad ${what}`, `${what} must be a non-empty string of at most ${MAX_TEXT} characters`);
  return x;
}

/** A validated, frozen copy; InputError naming the field at fault. */
function validEntry(x: unknown, newId: () => string, createdAt: number): ScenarioResult {
  if (!isPlainObject(x)) throw new InputError('bad scenario', 'a scenario result must be a plain object');
  const entry: ScenarioResult = {
    id: text(x.id ?? newId(), 'id'),
    createdAt: (x.createdAt ?? createdAt) as number,
    settings: numberRecord(x.settings, 'settings'),
    kpis: numberRecord(x.kpis, 'kpis'),
    replications: x.replications as number,
  };
  if (typeof entry.createdAt !== 'number' || !Number.isFinite(entry.createdAt) || entry.createdAt < 0) throw new InputError('bad createdAt', `createdAt must be epoch milliseconds, got ${String(x.createdAt)}`);
  if (!Number.isInteger(entry.replications) || entry.replications < 1) throw new InputError('bad replications', `replications must be a positive integer, got ${String(x.replications)}`);
  if (x.modelRevision !== undefined) {
    if (!Number.isInteger(x.modelRevision) || (x.modelRevision as number) < 0) throw new InputError('bad modelRevision', `modelRevision must be an integer >= 0, got ${String(x.modelRevision)}`);
    entry.modelRevision = x.modelRevision as number;
  }
  if (x.label !== undefined) entry.label = text(x.label, 'label');
  return Object.freeze(entry);
}

export class ScenarioStore {
  readonly capacity: number;
  private entries: ScenarioResult[] = [];
  private readonly byId = new Map<string, ScenarioResult>();
  private sequence = 0;

  constructor(capacity = DEFAULT_CAPACITY) {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > MAX_CAPACITY) throw new ConfigError('bad capacity', `capacity must be an integer from 1 to ${MAX_CAPACITY}, got ${String(capacity)}`);
    this.capacity = capacity;
  }

  get size(): number {
    return this.entries.length;
  }

  /** Stores a validated copy (the oldest entries leave beyond capacity) and returns it. */
  add(result: NewScenarioResult): ScenarioResult {
    const entry = validEntry(result, () => this.freshId(), Date.now());
    if (this.byId.has(entry.id)) this.entries = this.entries.filter((e) => e.id !== entry.id);
    this.entries.push(entry);
    this.byId.set(entry.id, entry);
    while (this.entries.length > this.capacity) this.byId.delete((this.entries.shift() as ScenarioResult).id);
    return entry;
  }

  get(id: string): ScenarioResult | undefined {
    return this.byId.get(id);
  }

  /** Newest first, optionally only one label and at most `limit` entries. */
  list(options: { limit?: number; label?: string } = {}): ScenarioResult[] {
    const { limit, label } = options ?? {};
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) throw new InputError('bad limit', `limit must be an integer >= 0, got ${String(limit)}`);
    const out: ScenarioResult[] = [];
    for (let i = this.entries.length - 1; i >= 0 && (limit === undefined || out.length < limit); i--) {
      if (label === undefined || this.entries[i].label === label) out.push(this.entries[i]);
    }
    return out;
  }

  /** Settings and KPIs of every entry, oldest first, for surrogate training. */
  rows(): ScenarioRow[] {
    return this.entries.map((e) => ({ settings: e.settings, kpis: e.kpis }));
  }

  clear(): void {
    this.entries = [];
    this.byId.clear();
  }

  toJSON(): SavedScenarioStore {
    return { version: 1, capacity: this.capacity, results: this.entries.slice() };
  }

  /**
   * Rebuilds a store from toJSON() output (object or JSON text). Never throws on bad saved data:
   * damaged entries are dropped and counted, and data that is not a saved store gives an empty store.
   * `capacity` overrides the saved one (the newest entries are kept when it is smaller).
   */
  static fromJSON(json: unknown, capacity?: number): LoadedScenarioStore {
    const problems: string[] = [];
    let dropped = 0;
    const drop = (why: string): void => {
      dropped++;
      if (problems.length < MAX_PROBLEMS) problems.push(why);
    };
    let data = json;
    if (typeof json === 'string') {
      try {
        data = JSON.parse(json);
      } catch (err) {
        data = undefined;
        problems.push(`not valid JSON: ${(err as Error).message}`);
      }
    }
    const saved = isPlainObject(data) ? data.capacity : undefined;
    const savedCapacity = Number.isInteger(saved) && (saved as number) >= 1 && (saved as number) <= MAX_CAPACITY ? (saved as number) : DEFAULT_CAPACITY;
    const store = new ScenarioStore(capacity ?? savedCapacity);
    if (!isPlainObject(data) || !Array.isArray(data.results)) {
      if (data !== undefined && problems.length === 0) problems.push('not a saved scenario store (no "results" list)');
      return { store, dropped, problems };
    }
    data.results.forEach((raw: unknown, index: number) => {
      try {
        // Saved entries must carry their own id and time: inventing them would rewrite history.
        if (!isPlainObject(raw) || typeof raw.id !== 'string' || raw.createdAt === undefined) throw new InputError('bad scenario', 'not a result with an id and createdAt');
        store.add(raw as unknown as ScenarioResult);
      } catch (err) {
        drop(`results[${index}]: ${err instanceof Error ? err.message : String(err)}`);
      }
    });
    return { store, dropped, problems };
  }

  private freshId(): string {
    let id: string;
    do id = `scn-${Date.now().toString(36)}-${(++this.sequence).toString(36)}`;
    while (this.byId.has(id));
    return id;
  }
}
