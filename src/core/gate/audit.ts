/**
 * The audit trail: an append-only, bounded list of every decision step of the gate (received,
 * scored with its evidence, verdict, approvals, writes, read-backs, analyses, promotions,
 * rollbacks, completion, model swaps). Entries are never edited; when the bound is reached the
 * oldest are dropped (and counted), so a long-running gate cannot eat the memory or the disk.
 *
 * `seq` increases by one per entry for the life of the trail (also across save and restore), so a
 * reader can tell that entries were dropped or that an export is complete. Details are detached
 * JSON copies: changing an object after recording it does not change the record.
 */
import { ConfigError, InputError } from '../errors';
import { isRecord } from './util';

export type AuditType =
  | 'received'
  | 'refused'
  | 'scored'
  | 'verdict'
  | 'queued'
  | 'superseded'
  | 'started'
  | 'approval-requested'
  | 'approved'
  | 'rejected'
  | 'paused'
  | 'resumed'
  | 'aborted'
  | 'write'
  | 'write-failed'
  | 'read-back'
  | 'verified'
  | 'analysis'
  | 'promoted'
  | 'held'
  | 'anomaly'
  | 'drift'
  | 'rollback'
  | 'rolled-back'
  | 'completed'
  | 'failed'
  | 'restored'
  | 'model-shadow'
  | 'model-swap'
  | 'model-kept';

export interface AuditEntry {
  seq: number;
  /** Epoch ms. */
  time: number;
  type: AuditType | string;
  candidateId: string | null;
  detail: unknown;
}

/** What the rollout and the promotion call to record a step (an AuditTrail's `record`, bound). */
export type AuditSink = (type: AuditType, candidateId: string | null, detail: unknown, time: number) => void;

export interface AuditQuery {
  candidateId?: string;
  /** Inclusive epoch ms bounds. */
  from?: number;
  to?: number;
  type?: string | string[];
  /** Most entries returned, the newest ones (default all). */
  limit?: number;
}

export interface SavedAudit {
  format: 'twinloop-gate-audit';
  version: 1;
  nextSeq: number;
  dropped: number;
  entries: AuditEntry[];
}

export interface AuditOptions {
  /** Entries kept (default 10,000). */
  maxEntries?: number;
  /** Largest detail kept as is, in JSON characters (default 64 KiB); larger ones are cut. */
  maxDetailChars?: number;
}

const QUERY_FIELDS = ['candidateId', 'from', 'to', 'type', 'limit'];

export class AuditTrail {
  private entries: AuditEntry[] = [];
  private nextSeq = 1;
  private droppedCount = 0;
  private readonly maxEntries: number;
  private readonly maxDetailChars: number;

  constructor(options: AuditOptions = {}) {
    this.maxEntries = options.maxEntries ?? 10_000;
    this.maxDetailChars = options.maxDetailChars ?? 65_536;
    if (!Number.isInteger(this.maxEntries) || this.maxEntries < 1) throw new ConfigError('bad audit size', 'maxEntries must be a whole number >= 1');
    if (!Number.isInteger(this.maxDetailChars) || this.maxDetailChars < 100) throw new ConfigError('bad audit size', 'maxDetailChars must be a whole number >= 100');
  }

  /** Appends one entry and returns it (a copy: the trail's own stays unchanged). */
  record(type: AuditType | string, candidateId: string | null, detail: unknown, time: number): AuditEntry {
    if (typeof type !== 'string' || type === '') throw new InputError('bad audit entry', 'an audit entry needs a type');
    if (typeof time !== 'number' || !Number.isFinite(time)) throw new InputError('bad audit entry', 'an audit entry needs a finite time');
    const entry: AuditEntry = { seq: this.nextSeq++, time, type, candidateId: candidateId ?? null, detail: this.detach(detail) };
    this.entries.push(entry);
    if (this.entries.length > this.maxEntries) {
      const extra = this.entries.length - this.maxEntries;
      this.entries.splice(0, extra);
      this.droppedCount += extra;
    }
    return { ...entry };
  }

  /** A bound `record` for the rollout and the model promotion. */
  sink(): AuditSink {
    return (type, candidateId, detail, time) => {
      this.record(type, candidateId, detail, time);
    };
  }

  get size(): number {
    return this.entries.length;
  }

  /** Entries dropped at the bound since the trail began. */
  get dropped(): number {
    return this.droppedCount;
  }

  /**
   * Entries matching every given filter, oldest first. The query comes from messages, so it is
   * checked: InputError for unknown fields or values of the wrong kind.
   */
  query(q: AuditQuery = {}): AuditEntry[] {
    if (!isRecord(q as unknown)) throw new InputError('bad query', 'an audit query must be an object like {candidateId, from, to, type, limit}');
    for (const k of Object.keys(q)) if (!QUERY_FIELDS.includes(k)) throw new InputError('bad query', `unknown audit query field "${k}" (known: ${QUERY_FIELDS.join(', ')})`);
    if (q.candidateId !== undefined && typeof q.candidateId !== 'string') throw new InputError('bad query', 'candidateId must be text');
    for (const f of ['from', 'to'] as const) if (q[f] !== undefined && !Number.isFinite(q[f])) throw new InputError('bad query', `${f} must be a time in epoch ms`);
    const types = q.type === undefined ? undefined : Array.isArray(q.type) ? q.type : [q.type];
    if (types && !types.every((t) => typeof t === 'string')) throw new InputError('bad query', 'type must be text or a list of text');
    if (q.limit !== undefined && !(Number.isInteger(q.limit) && q.limit >= 0)) throw new InputError('bad query', 'limit must be a whole number >= 0');
    let out = this.entries.filter(
      (e) =>
        (q.candidateId === undefined || e.candidateId === q.candidateId) &&
        (q.from === undefined || e.time >= q.from) &&
        (q.to === undefined || e.time <= q.to) &&
        (types === undefined || types.includes(e.type)),
    );
    if (q.limit !== undefined) out = q.limit === 0 ? [] : out.slice(-q.limit);
    return out.map((e) => JSON.parse(JSON.stringify(e)) as AuditEntry);
  }

  /** One JSON object per line (JSON Lines), oldest first, ending with a newline when not empty. */
  toJSONLines(q: AuditQuery = {}): string {
    const lines = this.query(q).map((e) => JSON.stringify(e));
    return lines.length ? `${lines.join('\n')}\n` : '';
  }

  toJSON(): SavedAudit {
    return { format: 'twinloop-gate-audit', version: 1, nextSeq: this.nextSeq, dropped: this.droppedCount, entries: this.entries.map((e) => ({ ...e })) };
  }

  /**
   * Restores a saved trail. Malformed entries are skipped (and counted in `skipped`) rather than
   * refusing the whole file: one damaged line must not lose the rest of the history.
   */
  static fromJSON(saved: unknown, options: AuditOptions = {}): { trail: AuditTrail; skipped: number } {
    const trail = new AuditTrail(options);
    if (!isRecord(saved) || saved.format !== 'twinloop-gate-audit' || !Array.isArray(saved.entries)) {
      throw new InputError('bad saved audit', 'not a saved gate audit trail (format twinloop-gate-audit)');
    }
    let skipped = 0;
    let lastSeq = 0;
    for (const raw of saved.entries) {
      const ok =
        isRecord(raw) &&
        Number.isInteger(raw.seq) && (raw.seq as number) > lastSeq &&
        typeof raw.time === 'number' && Number.isFinite(raw.time) &&
        typeof raw.type === 'string' && raw.type !== '' &&
        (raw.candidateId === null || typeof raw.candidateId === 'string');
      if (!ok) {
        skipped++;
        continue;
      }
      const detail = trail.detach(raw.detail);
      lastSeq = raw.seq as number;
      trail.entries.push({ seq: lastSeq, time: raw.time as number, type: raw.type as string, candidateId: raw.candidateId as string | null, detail });
    }
    if (trail.entries.length > trail.maxEntries) {
      trail.droppedCount += trail.entries.length - trail.maxEntries;
      trail.entries.splice(0, trail.entries.length - trail.maxEntries);
    }
    const savedNext = Number.isInteger(saved.nextSeq) ? (saved.nextSeq as number) : 0;
    trail.nextSeq = Math.max(savedNext, lastSeq + 1);
    trail.droppedCount += Number.isInteger(saved.dropped) && (saved.dropped as number) >= 0 ? (saved.dropped as number) : 0;
    return { trail, skipped };
  }

  /** A JSON copy of the detail, cut to a preview when it is too large to keep. */
  private detach(detail: unknown): unknown {
    if (detail === undefined) return null;
    let text: string | undefined;
    try {
      // Non-finite numbers become null (as JSON would) rather than failing the whole entry.
      text = JSON.stringify(detail, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v));
    } catch (err) {
      return { unserialisable: (err as Error).message };
    }
    if (text === undefined) return null;
    if (text.length > this.maxDetailChars) return { truncated: true, chars: text.length, preview: text.slice(0, this.maxDetailChars - 100) };
    return JSON.parse(text) as unknown;
  }
}
