/**
 * Concurrent candidates. The optimizer may answer again before a rollout has finished; the rule
 * that decides what happens is stated here and nowhere else:
 *
 *  1. Candidates whose targets do not overlap (no target equal to or inside another's) run in
 *     parallel: they touch different equipment, and holding one back for the other gains nothing.
 *  2. A new candidate SUPERSEDES an overlapping one that is still pending (admitted but not yet
 *     writing, e.g. waiting for approval): the newest answer was computed from the freshest plant
 *     state, and nothing of the older one has reached the plant. The caller aborts the old rollout.
 *  3. A new candidate that overlaps a RUNNING one (writing, observing, rolling back...) waits in the
 *     queue behind it: a rollout in progress is never cut short by a newer idea. An older QUEUED
 *     candidate that overlaps the new one is superseded (newest wins again), so queued candidates
 *     never overlap each other.
 *  4. At most `maxQueued` candidates wait (default 5); one more is refused (InputError 'queue full').
 *     A queued candidate older than `maxAgeMs` (default 1 h) is dropped when its turn comes: its
 *     evidence is stale. The caller should score a candidate again when it starts for the same
 *     reason.
 *  5. The same candidate id while it is active or queued is refused (InputError 'duplicate').
 */
import { ConfigError, InputError } from '../errors';
import { validateCandidate, type Candidate } from './candidate';
import { isRecord, targetsOverlap } from './util';

export type QueuePhase = 'pending' | 'running';

export interface ActiveEntry {
  id: string;
  targets: string[];
  phase: QueuePhase;
  since: number;
}

export interface WaitingEntry {
  candidate: Candidate;
  since: number;
}

export interface Admission {
  decision: 'start' | 'queued';
  id: string;
  /** Ids dropped by this candidate (pending rollouts to abort, queued candidates to forget). */
  superseded: string[];
  /** Running candidates it waits for (queued only). */
  behind: string[];
  /** 1-based place in the queue (queued only). */
  position?: number;
  reason: string;
}

export interface QueueOptions {
  maxQueued?: number;
  maxAgeMs?: number;
}

export interface SavedQueue {
  format: 'twinloop-gate-queue';
  version: 1;
  active: ActiveEntry[];
  waiting: WaitingEntry[];
}

export class CandidateQueue {
  private activeList: ActiveEntry[] = [];
  private waitingList: WaitingEntry[] = [];
  private readonly maxQueued: number;
  private readonly maxAgeMs: number;

  constructor(options: QueueOptions = {}) {
    this.maxQueued = options.maxQueued ?? 5;
    this.maxAgeMs = options.maxAgeMs ?? 3_600_000;
    if (!Number.isInteger(this.maxQueued) || this.maxQueued < 0) throw new ConfigError('bad queue size', 'maxQueued must be a whole number >= 0');
    if (!(this.maxAgeMs > 0)) throw new ConfigError('bad queue age', 'maxAgeMs must be > 0');
  }

  /** Applies the rule to a new (validated) candidate; InputError 'queue full' or 'duplicate'. */
  admit(candidate: Candidate, now: number): Admission {
    const id = candidate.id;
    if (this.has(id)) throw new InputError('duplicate', `candidate ${id} is already active or queued`);
    const overlapping = this.activeList.filter((a) => targetsOverlap(a.targets, candidate.targets));
    const pending = overlapping.filter((a) => a.phase === 'pending');
    const running = overlapping.filter((a) => a.phase === 'running');
    const queuedOverlap = this.waitingList.filter((w) => targetsOverlap(w.candidate.targets, candidate.targets));
    const superseded = [...pending.map((a) => a.id), ...queuedOverlap.map((w) => w.candidate.id)];
    if (running.length > 0 && this.waitingList.length - queuedOverlap.length >= this.maxQueued) {
      // Checked before anything changes: a refused candidate supersedes nothing.
      throw new InputError('queue full', `candidate ${id} cannot wait: ${this.waitingList.length} candidates are queued already (limit ${this.maxQueued})`);
    }
    this.activeList = this.activeList.filter((a) => !pending.includes(a));
    this.waitingList = this.waitingList.filter((w) => !queuedOverlap.includes(w));
    const note = superseded.length ? `; supersedes ${superseded.join(', ')}` : '';
    if (running.length > 0) {
      this.waitingList.push({ candidate: clone(candidate), since: now });
      return { decision: 'queued', id, superseded, behind: running.map((a) => a.id), position: this.waitingList.length, reason: `waits behind running ${running.map((a) => a.id).join(', ')} (overlapping targets)${note}` };
    }
    this.activeList.push({ id, targets: [...candidate.targets], phase: 'pending', since: now });
    return { decision: 'start', id, superseded, behind: [], reason: `no running candidate on these targets${note}` };
  }

  /** The candidate's rollout started writing: from now on it is waited for, not superseded. */
  markRunning(id: string): void {
    const a = this.activeList.find((x) => x.id === id);
    if (!a) throw new InputError('unknown candidate', `candidate ${id} is not active`);
    a.phase = 'running';
  }

  /**
   * The candidate's rollout ended (any way). Returns the queued candidates that may start now, in
   * queue order (they are active and pending from now), and the ids dropped as too old.
   */
  finish(id: string, now: number): { start: Candidate[]; expired: string[] } {
    this.activeList = this.activeList.filter((a) => a.id !== id);
    const expired = this.waitingList.filter((w) => now - w.since > this.maxAgeMs).map((w) => w.candidate.id);
    this.waitingList = this.waitingList.filter((w) => !expired.includes(w.candidate.id));
    const start: Candidate[] = [];
    for (const w of [...this.waitingList]) {
      if (this.activeList.some((a) => targetsOverlap(a.targets, w.candidate.targets))) continue;
      this.waitingList = this.waitingList.filter((x) => x !== w);
      this.activeList.push({ id: w.candidate.id, targets: [...w.candidate.targets], phase: 'pending', since: now });
      start.push(clone(w.candidate));
    }
    return { start, expired };
  }

  /** Drops a queued candidate (withdrawn by a person); false when it is not queued. */
  withdraw(id: string): boolean {
    const before = this.waitingList.length;
    this.waitingList = this.waitingList.filter((w) => w.candidate.id !== id);
    return this.waitingList.length < before;
  }

  has(id: string): boolean {
    return this.activeList.some((a) => a.id === id) || this.waitingList.some((w) => w.candidate.id === id);
  }

  active(): ActiveEntry[] {
    return this.activeList.map((a) => ({ ...a, targets: [...a.targets] }));
  }

  waiting(): Array<{ id: string; targets: string[]; since: number }> {
    return this.waitingList.map((w) => ({ id: w.candidate.id, targets: [...w.candidate.targets], since: w.since }));
  }

  toJSON(): SavedQueue {
    return { format: 'twinloop-gate-queue', version: 1, active: this.active(), waiting: this.waitingList.map((w) => ({ candidate: clone(w.candidate), since: w.since })) };
  }

  /** Restores a saved queue; damaged entries are skipped (counted), the candidates validated again. */
  static fromJSON(saved: unknown, options: QueueOptions = {}): { queue: CandidateQueue; skipped: number } {
    if (!isRecord(saved) || saved.format !== 'twinloop-gate-queue' || !Array.isArray(saved.active) || !Array.isArray(saved.waiting)) throw new InputError('bad saved queue', 'not a saved gate queue (format twinloop-gate-queue)');
    const queue = new CandidateQueue(options);
    let skipped = 0;
    for (const a of saved.active) {
      if (isRecord(a) && typeof a.id === 'string' && Array.isArray(a.targets) && a.targets.every((t) => typeof t === 'string') && (a.phase === 'pending' || a.phase === 'running') && Number.isFinite(a.since) && !queue.has(a.id)) {
        queue.activeList.push({ id: a.id, targets: [...(a.targets as string[])], phase: a.phase, since: a.since as number });
      } else skipped++;
    }
    for (const w of saved.waiting) {
      try {
        if (!isRecord(w) || !Number.isFinite(w.since)) throw new Error('damaged');
        const candidate = validateCandidate(w.candidate);
        if (queue.has(candidate.id)) throw new Error('duplicate');
        queue.waitingList.push({ candidate, since: w.since as number });
      } catch {
        skipped++;
      }
    }
    return { queue, skipped };
  }
}

function clone(c: Candidate): Candidate {
  return JSON.parse(JSON.stringify(c)) as Candidate;
}
