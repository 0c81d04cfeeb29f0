/**
 * The gray-scale rollout of one candidate as an explicit state machine. It does no I/O: every
 * event returns the ACTIONS the node must carry out (writes for `mqtt out` / OPC UA through
 * twin-source, desired values for twin-state, read-backs to await, notifications), so the logic is
 * testable with an injected clock and survives restarts through toJSON/fromJSON.
 *
 * States and transitions (terminal states in capitals):
 *
 *   create ─ marginal verdict or every-step approval ─> pending-approval ─ approve ─> promoting
 *          └ otherwise ────────────────────────────────────────────────────────────> promoting
 *   pending-approval ─ reject / approval timeout ─> REJECTED (nothing exposed) or rolling-back
 *   promoting (transient) ─ new keys to write ─> applying ─ all writes acknowledged ─> verifying
 *             └ nothing new to write ─> observing
 *   applying / verifying ─ every read-back matches ─> observing (the step's clock starts)
 *                        └ write failed, mismatch, deadline ─> rolling-back
 *   observing / holding ─ analysis at start + max(minDuration, window):
 *        promote ─> promoting (next step) | pending-approval (every-step) | COMPLETED (last step)
 *        hold    ─> holding (next window; more than maxHolds holds ─> rolling-back)
 *        rollback ─> rolling-back
 *   any exposed state ─ anomaly / drift on an exposed target ─> rolling-back
 *   pending-approval / observing / holding ─ pause ─> paused ─ resume ─> back (timers shifted)
 *   applying / verifying ─ pause ─> paused once verified (a write is never cut in half)
 *   any non-terminal ─ abort ─> ABORTED (nothing exposed) or rolling-back
 *   rolling-back ─ previous values verified ─> ROLLED-BACK | ABORTED | REJECTED (why it began)
 *                └ write failed / not verified by the deadline ─> FAILED (alert: values unknown)
 *
 * The last good settings are always known: `current` at creation (refused if any key is missing),
 * replaced by the candidate's values only at COMPLETED. Every key carries where the plant is known
 * to be ('old', 'new', or 'unknown' while a write is unverified); a rollback writes the previous
 * value to every key that is not verified 'old'.
 *
 * Time: `tick(now)` drives deadlines, analyses and time windows; other events use their `time`,
 * never going back (the machine's clock is the latest time seen). All times are epoch ms from the
 * same clock.
 */
import { InputError } from '../errors';
import { analyseStep } from './analysis';
import type { AuditType } from './audit';
import { settingsOf, validateCandidate, type Candidate } from './candidate';
import { parseCommand, type GateCommand } from './commands';
import { resolveRolloutConfig } from './rollout-config';
import { restoreData } from './rollout-restore';
import {
  TERMINAL_STATES,
  type AlarmEvent,
  type AnalysisRecord,
  type AvailabilityEvent,
  type EndState,
  type KeyAt,
  type KeyRecord,
  type Pending,
  type ReadBackEvent,
  type RealisedEvent,
  type RolloutAction,
  type RolloutData,
  type RolloutEvent,
  type RolloutHooks,
  type RolloutInit,
  type RolloutSnapshot,
  type RolloutState,
  type Sample,
  type SavedRollout,
  type WritePurpose,
  type WrittenEvent,
} from './rollout-types';
import type { Verdict } from './trust';
import { describeValue, hasOwn, jsonClone, keepLast, pathsOverlap, requireFinite, requireRecord, requireText, sameSetting, type SettingValue } from './util';

export * from './rollout-types';

const AUDIT_FOR_END: Record<EndState, AuditType> = { 'rolled-back': 'rolled-back', aborted: 'aborted', rejected: 'rejected' };

function timeOf(v: unknown, field: string): number {
  return requireFinite(v, field);
}

export class RolloutMachine {
  private d: RolloutData;
  private readonly hooks: RolloutHooks;
  private needsRecovery = false;

  private constructor(data: RolloutData, hooks: RolloutHooks) {
    this.d = data;
    this.hooks = hooks;
  }

  /**
   * A new rollout and its first actions. InputError when the candidate cannot be rolled out (a
   * model candidate, a 'fail' verdict, a key whose present value is unknown); ConfigError for bad
   * settings.
   */
  static create(init: RolloutInit, hooks: RolloutHooks = {}): { rollout: RolloutMachine; actions: RolloutAction[] } {
    const rec = requireRecord(init, 'rollout');
    const now = timeOf(rec.now, 'rollout.now');
    const candidate = validateCandidate(init.candidate);
    if (candidate.kind === 'model') throw new InputError('model candidate', `candidate ${candidate.id} is a model: promote it with ModelPromotion (shadow, then swap)`);
    const config = resolveRolloutConfig(init.config ?? {});
    const trustRec = requireRecord(init.trust, 'rollout.trust');
    const verdict = trustRec.verdict as Verdict;
    if (verdict !== 'pass' && verdict !== 'marginal' && verdict !== 'fail') throw new InputError('bad trust', 'rollout.trust.verdict must be pass, marginal or fail');
    const score = requireFinite(trustRec.score, 'rollout.trust.score');
    const reasons = Array.isArray(trustRec.reasons) ? trustRec.reasons.filter((r): r is string => typeof r === 'string') : [];
    if (verdict === 'fail') throw new InputError('trust fail', `candidate ${candidate.id} failed the trust gate (score ${score}): ${reasons.join('; ') || 'no reason given'}`);
    const current = requireRecord(init.current, 'rollout.current');
    const keys: KeyRecord[] = settingsOf(candidate).map((s) => {
      if (!hasOwn(current, s.key) || current[s.key] === undefined) {
        throw new InputError('previous value unknown', `the present value of ${s.key} is not known, so the rollout could not roll back: give it in current`);
      }
      const old = jsonClone(current[s.key] as SettingValue, `rollout.current.${s.key}`);
      if (typeof s.value === 'number' && (typeof old !== 'number' || !Number.isFinite(old))) throw new InputError('bad current', `rollout.current.${s.key} must be a finite number, got ${describeValue(old)}`);
      return { key: s.key, target: s.target, old, next: s.value, at: 'old' as KeyAt };
    });
    const data: RolloutData = {
      candidate,
      trust: { score, verdict, reasons, parts: trustRec.parts !== undefined ? jsonClone(trustRec.parts, 'rollout.trust.parts') : undefined },
      config,
      state: 'promoting',
      endState: 'rolled-back',
      reason: '',
      keys,
      exposedTargets: [],
      step: { index: -1, startedAt: null, analysisAt: null, holds: 0, slotOrigin: null, slotIndex: 0, slotExposed: false },
      slots: [],
      samples: [],
      pending: null,
      pauseRequested: false,
      pausedAt: null,
      resumeTo: null,
      approvalFor: null,
      approvalDeadline: null,
      availability: null,
      analyses: [],
      transitions: [],
      approvals: [],
      lastGood: Object.fromEntries(keys.map((k) => [k.key, k.old])),
      createdAt: now,
      clock: now,
    };
    const rollout = new RolloutMachine(data, hooks);
    const actions: RolloutAction[] = [];
    rollout.audit('started', { trust: data.trust, steps: config.steps, exposure: config.exposure, approval: config.approval, previous: data.lastGood }, now);
    if (verdict === 'marginal' || config.approval === 'every-step') rollout.requestApproval(0, now, actions, verdict === 'marginal' ? `trust verdict marginal (score ${score}): a person decides` : 'every step needs approval');
    else rollout.beginStep(0, now, actions);
    return { rollout, actions };
  }

  get state(): RolloutState {
    return this.d.state;
  }

  get candidateId(): string {
    return this.d.candidate.id;
  }

  get candidate(): Candidate {
    return JSON.parse(JSON.stringify(this.d.candidate)) as Candidate;
  }

  get done(): boolean {
    return TERMINAL_STATES.includes(this.d.state);
  }

  /** Whether the rollout has written (or may have written) anything to the plant that is not undone. */
  get exposed(): boolean {
    return this.d.pending !== null || this.d.keys.some((k) => k.at !== 'old');
  }

  /** The last good settings (the previous ones until COMPLETED, the candidate's after). */
  lastGood(): Record<string, SettingValue> {
    return JSON.parse(JSON.stringify(this.d.lastGood)) as Record<string, SettingValue>;
  }

  // ---------------------------------------------------------------- events

  /** Deadlines, analyses at the end of a window, time-window switches. Call it every second or so. */
  tick(now: number): RolloutAction[] {
    const t = this.advance(timeOf(now, 'tick.now'));
    const actions = this.recoverIfNeeded(t);
    if (this.done) return actions;
    const d = this.d;
    if (d.pending && t > d.pending.deadline) {
      const missing = d.pending.keys.filter((k) => !k.verified).map((k) => `${k.key}${k.lastRead !== undefined ? ` (read ${describeValue(k.lastRead)}, wrote ${describeValue(k.value)})` : ' (no read-back)'}`);
      this.readBackFailed(`not verified by the deadline: ${missing.join(', ')}`, t, actions);
      return actions;
    }
    if (d.state === 'pending-approval' && d.approvalDeadline !== null && t >= d.approvalDeadline) {
      this.rejectOrRollBack('approval timed out', t, actions);
      return actions;
    }
    if ((d.state === 'observing' || d.state === 'holding') && d.step.analysisAt !== null && t >= d.step.analysisAt) {
      this.analyse(t, actions);
    }
    if ((d.state === 'observing' || d.state === 'holding') && d.config.exposure === 'windows' && d.step.slotOrigin !== null) {
      const slot = Math.floor((t - d.step.slotOrigin) / d.config.windowMs);
      if (slot > d.step.slotIndex) {
        d.step.slotIndex = slot;
        this.applySlot(t, actions);
      }
    }
    return actions;
  }

  /** The node's confirmation that a write went out (optional: a read-back implies it). */
  written(ev: WrittenEvent): RolloutAction[] {
    const rec = requireRecord(ev, 'written');
    const key = requireText(rec.key, 'written.key', 1000);
    if (typeof rec.ok !== 'boolean') throw new InputError('bad written', 'written.ok must be true or false');
    const t = this.advance(timeOf(rec.time, 'written.time'));
    const actions = this.recoverIfNeeded(t);
    const p = this.d.pending;
    const pk = p?.keys.find((k) => k.key === key);
    if (!p || !pk || pk.verified) return actions;
    if (rec.ok) {
      pk.acked = true;
      this.maybeVerifying(t);
      return actions;
    }
    const error = typeof rec.error === 'string' ? rec.error.slice(0, 500) : 'write failed';
    this.audit('write-failed', { key, value: pk.value, purpose: p.purpose, error }, t);
    this.readBackFailed(`the write of ${key} failed: ${error}`, t, actions);
    return actions;
  }

  /** A value read back from the plant after a write (twin-source read, or twin-state's report). */
  readBack(ev: ReadBackEvent): RolloutAction[] {
    const rec = requireRecord(ev, 'readBack');
    const key = requireText(rec.key, 'readBack.key', 1000);
    const t = this.advance(timeOf(rec.time, 'readBack.time'));
    const actions = this.recoverIfNeeded(t);
    const d = this.d;
    const p = d.pending;
    const pk = p?.keys.find((k) => k.key === key);
    if (!p || !pk || pk.verified) return actions;
    pk.acked = true;
    if (sameSetting(pk.value, rec.value, d.config.readBackTolerance)) {
      pk.verified = true;
      this.audit('read-back', { key, value: rec.value, expected: pk.value, ok: true, purpose: p.purpose }, t);
    } else {
      pk.mismatches++;
      pk.lastRead = jsonClone(rec.value as SettingValue, 'readBack.value');
      this.audit('read-back', { key, value: pk.lastRead, expected: pk.value, ok: false, purpose: p.purpose, mismatches: pk.mismatches }, t);
      if (p.reverify || pk.mismatches >= d.config.maxReadBackMismatches) {
        this.readBackFailed(`read-back of ${key} is ${describeValue(rec.value)}, expected ${describeValue(pk.value)}`, t, actions);
        return actions;
      }
    }
    this.maybeVerifying(t);
    if (p.keys.every((k) => k.verified)) this.onVerified(t, actions);
    return actions;
  }

  /** Realised KPIs of one target; samples of unknown targets or outside an observed step are ignored. */
  realised(ev: RealisedEvent): RolloutAction[] {
    const rec = requireRecord(ev, 'realised');
    const target = requireText(rec.target, 'realised.target', 1000);
    const time = timeOf(rec.time, 'realised.time');
    const kpisRaw = requireRecord(rec.kpis, 'realised.kpis');
    const kpis: Record<string, number> = {};
    for (const k of Object.keys(kpisRaw)) kpis[k] = requireFinite(kpisRaw[k], `realised.kpis.${k}`);
    const actions = this.recoverIfNeeded(this.d.clock);
    const d = this.d;
    if (this.done || d.state === 'rolling-back' || d.step.startedAt === null || time < d.step.startedAt) return actions;
    if (!d.candidate.targets.includes(target)) return actions;
    let group: Sample['group'] | null;
    if (d.config.exposure === 'targets') {
      group = d.exposedTargets.includes(target) ? 'exposed' : 'control';
    } else {
      const period = d.slots.find((s) => s.from <= time && (s.to === null || time < s.to));
      group = period ? (period.exposed ? 'exposed' : 'control') : null;
    }
    if (group === null) return actions;
    d.samples.push({ target, kpis, time, group });
    keepLast(d.samples, d.config.maxSamples);
    return actions;
  }

  /** Whether the involved signals are usable now (trust.ts `availabilityOf(...).ok`); not ok holds promotion. */
  availability(ev: AvailabilityEvent): RolloutAction[] {
    const rec = requireRecord(ev, 'availability');
    if (typeof rec.ok !== 'boolean') throw new InputError('bad availability', 'availability.ok must be true or false');
    const reason = rec.reason === undefined ? '' : requireText(rec.reason, 'availability.reason', 1000);
    const t = this.advance(timeOf(rec.time, 'availability.time'));
    const actions = this.recoverIfNeeded(t);
    const before = this.d.availability;
    this.d.availability = { ok: rec.ok, reason, time: t };
    if (!before || before.ok !== rec.ok) this.audit('analysis', { availability: this.d.availability }, t);
    return actions;
  }

  /** An anomaly on an exposed target rolls back at once. */
  anomaly(ev: AlarmEvent): RolloutAction[] {
    return this.alarm('anomaly', ev);
  }

  /** Drift on an exposed target rolls back at once. */
  drift(ev: AlarmEvent): RolloutAction[] {
    return this.alarm('drift', ev);
  }

  /** Batches mode: the next batch starts (ignored in the other modes). */
  batch(ev: { time: number }): RolloutAction[] {
    const rec = requireRecord(ev, 'batch');
    const t = this.advance(timeOf(rec.time, 'batch.time'));
    const actions = this.recoverIfNeeded(t);
    const d = this.d;
    if (d.config.exposure !== 'batches' || (d.state !== 'observing' && d.state !== 'holding') || d.step.slotOrigin === null) return actions;
    d.step.slotIndex++;
    this.applySlot(t, actions);
    return actions;
  }

  /**
   * approve / reject / pause / resume / abort. InputError for a malformed command, a command for
   * another candidate, or one the present state does not allow (e.g. approve while observing).
   */
  command(raw: unknown, now: number): RolloutAction[] {
    const cmd = parseCommand(raw);
    if (cmd.candidateId !== undefined && cmd.candidateId !== this.d.candidate.id) throw new InputError('wrong candidate', `the command is for ${cmd.candidateId}, this rollout is ${this.d.candidate.id}`);
    const t = this.advance(timeOf(now, 'command.now'));
    const actions = this.recoverIfNeeded(t);
    const d = this.d;
    const who = cmd.by ? ` by ${cmd.by}` : '';
    const why = cmd.reason ? `: ${cmd.reason}` : '';
    const record = (): void => {
      d.approvals.push({ action: cmd.action, by: cmd.by, reason: cmd.reason, time: t, step: d.approvalFor ?? (d.step.index >= 0 ? d.step.index : null) });
      keepLast(d.approvals, 50);
    };
    switch (cmd.action) {
      case 'approve': {
        if (d.state !== 'pending-approval' || d.approvalFor === null) throw this.notAllowed(cmd);
        record();
        this.audit('approved', { step: d.approvalFor, by: cmd.by, reason: cmd.reason }, t);
        const step = d.approvalFor;
        d.approvalFor = null;
        d.approvalDeadline = null;
        this.beginStep(step, t, actions);
        break;
      }
      case 'reject': {
        if (d.state !== 'pending-approval') throw this.notAllowed(cmd);
        record();
        this.rejectOrRollBack(`rejected${who}${why}`, t, actions);
        break;
      }
      case 'pause': {
        if (d.state === 'pending-approval' || d.state === 'observing' || d.state === 'holding') {
          record();
          d.resumeTo = d.state;
          d.pausedAt = t;
          this.go('paused', t, `paused${who}${why}`);
          this.audit('paused', { by: cmd.by, reason: cmd.reason, resumeTo: d.resumeTo }, t);
          actions.push(this.notify('info', 'paused', `rollout ${d.candidate.id} paused${who}${why}`));
        } else if ((d.state === 'applying' || d.state === 'verifying') && !d.pauseRequested && d.pending?.purpose !== 'rollback') {
          record();
          d.pauseRequested = true;
          this.audit('paused', { by: cmd.by, reason: cmd.reason, deferred: true }, t);
          actions.push(this.notify('info', 'pause-deferred', `rollout ${d.candidate.id} pauses once the writes in progress are verified`));
        } else {
          throw this.notAllowed(cmd);
        }
        break;
      }
      case 'resume': {
        if (d.state === 'paused') {
          record();
          const shift = Math.max(0, t - (d.pausedAt ?? t));
          // Time paused does not count towards a step's duration or an approval's timeout.
          if (d.step.analysisAt !== null) d.step.analysisAt += shift;
          if (d.step.slotOrigin !== null) d.step.slotOrigin += shift;
          if (d.approvalDeadline !== null) d.approvalDeadline += shift;
          const to = d.resumeTo ?? 'observing';
          d.resumeTo = null;
          d.pausedAt = null;
          this.go(to, t, `resumed${who}${why}`);
          this.audit('resumed', { by: cmd.by, reason: cmd.reason, pausedMs: shift }, t);
          actions.push(this.notify('info', 'resumed', `rollout ${d.candidate.id} resumed${who}`));
        } else if (d.pauseRequested) {
          record();
          d.pauseRequested = false;
          this.audit('resumed', { by: cmd.by, reason: cmd.reason, deferredPauseCancelled: true }, t);
          actions.push(this.notify('info', 'resumed', `rollout ${d.candidate.id}: the deferred pause is cancelled`));
        } else {
          throw this.notAllowed(cmd);
        }
        break;
      }
      case 'abort': {
        if (this.done) throw this.notAllowed(cmd);
        record();
        if (d.state === 'rolling-back') {
          this.audit('aborted', { by: cmd.by, reason: cmd.reason, note: 'already rolling back' }, t);
          actions.push(this.notify('info', 'abort', `rollout ${d.candidate.id} is already rolling back`));
        } else if (!this.exposed) {
          this.end('aborted', `aborted${who}${why}`, t, actions);
        } else {
          this.startRollback(`aborted${who}${why}`, t, actions, 'aborted');
        }
        break;
      }
    }
    return actions;
  }

  /** One entry point for message-driven callers: `{type, ...}` (see RolloutEvent). */
  handle(event: RolloutEvent): RolloutAction[] {
    const rec = requireRecord(event, 'event');
    switch (rec.type) {
      case 'tick':
        return this.tick(rec.now as number);
      case 'read-back':
        return this.readBack(rec as unknown as ReadBackEvent);
      case 'written':
        return this.written(rec as unknown as WrittenEvent);
      case 'realised':
        return this.realised(rec as unknown as RealisedEvent);
      case 'availability':
        return this.availability(rec as unknown as AvailabilityEvent);
      case 'anomaly':
        return this.anomaly(rec as unknown as AlarmEvent);
      case 'drift':
        return this.drift(rec as unknown as AlarmEvent);
      case 'batch':
        return this.batch(rec as unknown as { time: number });
      case 'command':
        return this.command(rec.command, rec.now as number);
      default:
        throw new InputError('bad event', `unknown rollout event type ${describeValue(rec.type)} (tick, read-back, written, realised, availability, anomaly, drift, batch, command)`);
    }
  }

  // ---------------------------------------------------------------- status and persistence

  /** The setpoint keys this rollout writes (cheap; for availability checks on every sample). */
  get settingKeys(): string[] {
    return this.d.keys.map((k) => k.key);
  }

  /** The availability last reported to it (null: none yet). */
  get availabilityOk(): boolean | null {
    return this.d.availability ? this.d.availability.ok : null;
  }

  snapshot(): RolloutSnapshot {
    const d = this.d;
    const share = d.step.index >= 0 ? d.config.steps[d.step.index].share : null;
    return JSON.parse(
      JSON.stringify({
        candidateId: d.candidate.id,
        kind: d.candidate.kind,
        state: d.state,
        reason: d.reason,
        trust: d.trust,
        step: { index: d.step.index, of: d.config.steps.length, share, exposedTargets: d.exposedTargets, startedAt: d.step.startedAt, analysisAt: d.step.analysisAt, holds: d.step.holds },
        keys: d.keys.map((k) => ({ key: k.key, target: k.target, previous: k.old, candidate: k.next, at: k.at })),
        pending: d.pending ? { purpose: d.pending.purpose, deadline: d.pending.deadline, unverified: d.pending.keys.filter((k) => !k.verified).map((k) => k.key) } : null,
        lastGood: d.lastGood,
        lastAnalysis: d.analyses.length ? d.analyses[d.analyses.length - 1] : null,
        availability: d.availability,
        approvals: d.approvals,
        transitions: d.transitions.slice(-20),
        createdAt: d.createdAt,
        updatedAt: d.clock,
      }),
    ) as RolloutSnapshot;
  }

  toJSON(): SavedRollout {
    return { format: 'twinloop-gate-rollout', version: 1, data: JSON.parse(JSON.stringify(this.d)) as RolloutData };
  }

  /**
   * A rollout from its saved form. Call `recover(now)` next (the first event does it otherwise):
   * an interrupted write is re-verified by read-back, or a rollback is written again.
   * InputError 'bad saved rollout' when the saved form is damaged.
   */
  static fromJSON(saved: unknown, hooks: RolloutHooks = {}): RolloutMachine {
    const m = new RolloutMachine(restoreData(saved), hooks);
    m.needsRecovery = !m.done;
    return m;
  }

  /**
   * After a restart. applying/verifying: the writes may or may not have gone out, so nothing is
   * written again: the keys are read back, and the first value that is not the one written rolls
   * back (to values that are known). rolling-back: the previous values are written again (always
   * safe) and verified. Other states go on where they were; their values were verified before.
   */
  recover(now: number): RolloutAction[] {
    const t = this.advance(timeOf(now, 'recover.now'));
    this.needsRecovery = false;
    const actions: RolloutAction[] = [];
    const d = this.d;
    if (this.done) return actions;
    const p = d.pending;
    this.audit('restored', { state: d.state, pending: p ? { purpose: p.purpose, unverified: p.keys.filter((k) => !k.verified).map((k) => k.key) } : null }, t);
    if (p && p.purpose === 'rollback') {
      const again = p.keys.filter((k) => !k.verified).map((k) => ({ key: k.key, value: k.value, side: 'old' as const }));
      d.pending = null;
      if (again.length === 0) {
        this.end(d.endState, d.reason, t, actions);
        return actions;
      }
      this.issue('rollback', again, t, actions, null);
      actions.push(this.notify('warning', 'restored', `rollout ${d.candidate.id} restarted while rolling back: writing the previous values again`));
    } else if (p) {
      p.reverify = true;
      p.issuedAt = t;
      p.deadline = t + d.config.readBackTimeoutMs;
      const keys = p.keys.filter((k) => !k.verified);
      for (const k of keys) k.acked = true;
      if (d.state !== 'verifying') this.go('verifying', t, 'restart: re-verifying the writes in progress');
      actions.push({ type: 'await-read-back', keys: keys.map((k) => k.key), deadline: p.deadline, candidateId: d.candidate.id });
      actions.push(this.notify('warning', 'restored', `rollout ${d.candidate.id} restarted during a write: reading back ${keys.length} keys before going on`));
    } else {
      // What happened while the gate was down is not evidence it saw: the step under analysis
      // gets a fresh window from now, so a long outage cannot promote on stale samples.
      if ((d.state === 'observing' || d.state === 'holding') && d.step.index >= 0 && d.step.analysisAt !== null) {
        const window = d.config.steps[d.step.index].analysisWindowMs;
        d.step.analysisAt = Math.max(d.step.analysisAt, t + window);
        d.samples = d.samples.filter((x) => x.time >= t);
      }
      actions.push(this.notify('info', 'restored', `rollout ${d.candidate.id} restored in state ${d.state}`));
    }
    return actions;
  }

  // ---------------------------------------------------------------- the machine

  private advance(t: number): number {
    this.d.clock = Math.max(this.d.clock, t);
    return this.d.clock;
  }

  private recoverIfNeeded(t: number): RolloutAction[] {
    return this.needsRecovery ? this.recover(t) : [];
  }

  private go(to: RolloutState, t: number, reason: string): void {
    const from = this.d.state;
    if (from === to && this.d.transitions.length > 0) return;
    this.d.transitions.push({ from: this.d.transitions.length === 0 ? null : from, to, time: t, reason });
    keepLast(this.d.transitions, 200);
    this.d.state = to;
    if (reason) this.d.reason = reason;
  }

  private audit(type: AuditType, detail: unknown, t: number): void {
    this.hooks.audit?.(type, this.d.candidate.id, detail, t);
  }

  private notify(level: 'info' | 'warning' | 'alert', event: string, message: string, withEvidence = false): RolloutAction {
    const action: RolloutAction = { type: 'notify', level, event, message, candidateId: this.d.candidate.id, state: this.d.state };
    if (withEvidence) action.evidence = this.snapshot();
    return action;
  }

  private notAllowed(cmd: GateCommand): InputError {
    return new InputError('not allowed', `cannot ${cmd.action} rollout ${this.d.candidate.id}: it is ${this.d.state}${this.d.pauseRequested ? ' (pause requested)' : ''}`);
  }

  /** How many exposure units (targets, or slots per cycle) a step's share means: ceil(share·n), at least 1. */
  private unitsFor(stepIndex: number): number {
    const d = this.d;
    const n = d.config.exposure === 'targets' ? d.candidate.targets.length : d.config.slotsPerCycle;
    // The small epsilon keeps 0.3·10 (3.0000000000000004 in floating point) at 3.
    return Math.min(n, Math.max(1, Math.ceil(d.config.steps[stepIndex].share * n - 1e-9)));
  }

  private requestApproval(stepIndex: number, t: number, actions: RolloutAction[], why: string): void {
    const d = this.d;
    d.approvalFor = stepIndex;
    d.approvalDeadline = d.config.approvalTimeoutMs === null ? null : t + d.config.approvalTimeoutMs;
    this.go('pending-approval', t, `approval needed for step ${stepIndex + 1} (${d.config.steps[stepIndex].share * 100} %): ${why}`);
    this.audit('approval-requested', { step: stepIndex, share: d.config.steps[stepIndex].share, why, trust: d.trust, lastAnalysis: d.analyses[d.analyses.length - 1] ?? null }, t);
    actions.push(this.notify('info', 'approval-required', `rollout ${d.candidate.id}: approve or reject step ${stepIndex + 1} of ${d.config.steps.length} (${d.config.steps[stepIndex].share * 100} %): ${why}`, true));
  }

  private beginStep(index: number, t: number, actions: RolloutAction[]): void {
    const d = this.d;
    const step = d.config.steps[index];
    d.step = { index, startedAt: null, analysisAt: null, holds: 0, slotOrigin: null, slotIndex: 0, slotExposed: true };
    d.samples = [];
    d.slots = [];
    let toWrite: KeyRecord[];
    if (d.config.exposure === 'targets') {
      d.exposedTargets = d.candidate.targets.slice(0, this.unitsFor(index));
      toWrite = d.keys.filter((k) => d.exposedTargets.includes(k.target) && k.at !== 'new');
    } else {
      d.exposedTargets = [...d.candidate.targets];
      toWrite = d.keys.filter((k) => k.at !== 'new');
    }
    this.go('promoting', t, `step ${index + 1} of ${d.config.steps.length}: ${step.share * 100} %`);
    this.audit('promoted', { step: index, share: step.share, exposedTargets: d.exposedTargets, writes: toWrite.length }, t);
    actions.push(this.notify('info', 'step', `rollout ${d.candidate.id}: step ${index + 1} of ${d.config.steps.length} (${step.share * 100} %, ${d.config.exposure === 'targets' ? `${d.exposedTargets.length} of ${d.candidate.targets.length} targets` : `${this.unitsFor(index)} of ${d.config.slotsPerCycle} ${d.config.exposure}`})`));
    if (toWrite.length === 0) this.stepStarted(t, actions);
    else this.issue('apply', toWrite.map((k) => ({ key: k.key, value: k.next, side: 'new' as const })), t, actions, null);
  }

  /** The step's writes are verified: its clock starts now. */
  private stepStarted(t: number, actions: RolloutAction[]): void {
    const d = this.d;
    const step = d.config.steps[d.step.index];
    d.step.startedAt = t;
    d.step.analysisAt = t + Math.max(step.minDurationMs, step.analysisWindowMs);
    if (d.config.exposure !== 'targets') {
      d.step.slotOrigin = t;
      d.step.slotIndex = 0;
      d.step.slotExposed = true;
      d.slots.push({ from: t, to: null, exposed: true });
    }
    this.settle('observing', t, `step ${d.step.index + 1} observing until ${new Date(d.step.analysisAt).toISOString()}`, actions);
  }

  /** Go to `to`, or to paused when a pause was asked for during the writes. */
  private settle(to: 'observing' | 'holding', t: number, reason: string, actions: RolloutAction[]): void {
    const d = this.d;
    if (d.pauseRequested) {
      d.pauseRequested = false;
      d.resumeTo = to;
      d.pausedAt = t;
      this.go('paused', t, 'paused (requested during the writes)');
      actions.push(this.notify('info', 'paused', `rollout ${d.candidate.id} paused after its writes were verified`));
    } else {
      this.go(to, t, reason);
    }
  }

  /** Writes, desired values and the read-back to await, as one batch. */
  private issue(purpose: WritePurpose, entries: Array<{ key: string; value: SettingValue; side: 'old' | 'new' }>, t: number, actions: RolloutAction[], returnTo: Pending['returnTo']): void {
    const d = this.d;
    const pending: Pending = { purpose, issuedAt: t, deadline: t + d.config.readBackTimeoutMs, keys: [], reverify: false, returnTo };
    for (const e of entries) {
      const rec = d.keys.find((k) => k.key === e.key) as KeyRecord;
      rec.at = 'unknown';
      pending.keys.push({ key: e.key, value: e.value, side: e.side, acked: false, verified: false, mismatches: 0 });
      actions.push({ type: 'write', key: e.key, value: e.value, target: rec.target, purpose, candidateId: d.candidate.id });
      actions.push({ type: 'desired', key: e.key, value: e.value });
    }
    d.pending = pending;
    actions.push({ type: 'await-read-back', keys: entries.map((e) => e.key), deadline: pending.deadline, candidateId: d.candidate.id });
    this.audit('write', { purpose, writes: entries.map((e) => ({ key: e.key, value: e.value })), deadline: pending.deadline }, t);
    if (purpose === 'rollback') this.go('rolling-back', t, d.reason);
    else this.go('applying', t, `${purpose === 'apply' ? 'applying' : 'switching'} ${entries.length} settings`);
  }

  private maybeVerifying(t: number): void {
    const p = this.d.pending;
    if (this.d.state === 'applying' && p && p.keys.every((k) => k.acked)) this.go('verifying', t, 'writes sent, reading back');
  }

  private onVerified(t: number, actions: RolloutAction[]): void {
    const d = this.d;
    const p = d.pending as Pending;
    d.pending = null;
    for (const pk of p.keys) (d.keys.find((k) => k.key === pk.key) as KeyRecord).at = pk.side;
    this.audit('verified', { purpose: p.purpose, keys: p.keys.map((k) => k.key) }, t);
    if (p.purpose === 'rollback') {
      this.end(d.endState, d.reason, t, actions);
    } else if (p.purpose === 'switch') {
      d.slots.push({ from: t, to: null, exposed: p.slotExposed === true });
      keepLast(d.slots, 10_000);
      this.settle(p.returnTo ?? 'observing', t, `${p.slotExposed ? 'new' : 'old'} settings in this ${d.config.exposure === 'windows' ? 'window' : 'batch'}`, actions);
    } else if (d.step.startedAt === null) {
      this.stepStarted(t, actions);
    } else {
      // Re-verified after a restart: the step goes on with its clock.
      this.settle(p.returnTo ?? 'observing', t, 'writes re-verified after a restart', actions);
    }
  }

  /** A write not confirmed: roll back; a rollback not confirmed: failed, people must act. */
  private readBackFailed(reason: string, t: number, actions: RolloutAction[]): void {
    const p = this.d.pending;
    if (p?.purpose === 'rollback') this.fail(`the rollback could not be verified: ${reason}`, t, actions);
    else this.startRollback(`write not verified: ${reason}`, t, actions);
  }

  private startRollback(reason: string, t: number, actions: RolloutAction[], endState: EndState = 'rolled-back'): void {
    const d = this.d;
    if (this.done || d.state === 'rolling-back') return;
    d.endState = endState;
    d.reason = reason;
    d.pauseRequested = false;
    d.approvalFor = null;
    d.approvalDeadline = null;
    d.pausedAt = null;
    d.resumeTo = null;
    const pendingKeys = new Set(d.pending?.keys.map((k) => k.key) ?? []);
    const restore = d.keys.filter((k) => k.at !== 'old' || pendingKeys.has(k.key));
    d.pending = null;
    this.audit('rollback', { reason, keys: restore.map((k) => ({ key: k.key, value: k.old })) }, t);
    if (restore.length === 0) {
      this.end(endState, reason, t, actions);
      return;
    }
    d.slots.forEach((s) => {
      if (s.to === null) s.to = t;
    });
    this.issue('rollback', restore.map((k) => ({ key: k.key, value: k.old, side: 'old' as const })), t, actions, null);
    actions.push(this.notify('warning', 'rollback', `rollout ${d.candidate.id} rolls back: ${reason}`, true));
  }

  private end(state: EndState, reason: string, t: number, actions: RolloutAction[]): void {
    const d = this.d;
    d.pending = null;
    this.go(state, t, reason);
    this.audit(AUDIT_FOR_END[state], { reason, settings: d.lastGood }, t);
    actions.push(this.notify(state === 'rolled-back' ? 'warning' : 'info', state, `rollout ${d.candidate.id} ${state}: ${reason}`, true));
  }

  private fail(reason: string, t: number, actions: RolloutAction[]): void {
    const d = this.d;
    const unknown = d.keys.filter((k) => k.at === 'unknown').map((k) => k.key);
    d.pending = null;
    this.go('failed', t, reason);
    this.audit('failed', { reason, unknownKeys: unknown, lastGood: d.lastGood }, t);
    actions.push(this.notify('alert', 'failed', `rollout ${d.candidate.id} FAILED: ${reason}. Keys not confirmed: ${unknown.join(', ') || 'none'}; their last good values are in the evidence. Check the plant.`, true));
  }

  private rejectOrRollBack(reason: string, t: number, actions: RolloutAction[]): void {
    if (this.exposed) this.startRollback(reason, t, actions, 'rejected');
    else this.end('rejected', reason, t, actions);
  }

  private alarm(type: 'anomaly' | 'drift', ev: AlarmEvent): RolloutAction[] {
    const rec = requireRecord(ev, type);
    const target = requireText(rec.target, `${type}.target`, 1000);
    const t = this.advance(timeOf(rec.time, `${type}.time`));
    const detail = typeof rec.detail === 'string' ? rec.detail.slice(0, 500) : undefined;
    const actions = this.recoverIfNeeded(t);
    const d = this.d;
    if (this.done || d.state === 'rolling-back') return actions;
    const exposedHere = d.exposedTargets.some((x) => pathsOverlap(target, x)) || d.keys.some((k) => k.at !== 'old' && pathsOverlap(target, k.target));
    this.audit(type, { target, detail, exposed: exposedHere }, t);
    // Even with every key back on its old value (a control window), an alarm on the equipment
    // under test ends the rollout: the effect of an exposed window may show late.
    if (exposedHere) this.startRollback(`${type} on exposed target ${target}${detail ? ` (${detail})` : ''}`, t, actions);
    return actions;
  }

  private analyse(t: number, actions: RolloutAction[]): void {
    const d = this.d;
    const s = d.step;
    const step = d.config.steps[s.index];
    const to = s.analysisAt as number;
    const from = Math.max(s.startedAt as number, to - step.analysisWindowMs);
    const inWindow = d.samples.filter((x) => x.time >= from && x.time <= to);
    const result = analyseStep({
      predicted: d.candidate.predicted,
      exposed: inWindow.filter((x) => x.group === 'exposed').map((x) => x.kpis),
      control: inWindow.filter((x) => x.group === 'control').map((x) => x.kpis),
      availability: d.availability,
      settings: d.config,
    });
    const record: AnalysisRecord = { ...result, step: s.index, time: t, window: { from, to } };
    d.analyses.push(record);
    keepLast(d.analyses, 20);
    this.audit('analysis', record, t);
    if (result.outcome === 'rollback') {
      this.startRollback(`step ${s.index + 1} analysis: ${result.reasons.join('; ')}`, t, actions);
    } else if (result.outcome === 'hold') {
      s.holds++;
      if (s.holds > d.config.maxHolds) {
        this.startRollback(`no conclusive evidence after ${s.holds} analysis windows: ${result.reasons.join('; ')}`, t, actions);
        return;
      }
      s.analysisAt = to + step.analysisWindowMs;
      d.samples = d.samples.filter((x) => x.time >= s.analysisAt! - step.analysisWindowMs);
      this.go('holding', t, `holding step ${s.index + 1} (${s.holds} of at most ${d.config.maxHolds}): ${result.reasons.join('; ')}`);
      this.audit('held', { step: s.index, holds: s.holds, reasons: result.reasons, nextAnalysisAt: s.analysisAt }, t);
      actions.push(this.notify('info', 'hold', `rollout ${d.candidate.id} holds step ${s.index + 1}: ${result.reasons.join('; ')}`));
    } else if (s.index === d.config.steps.length - 1) {
      this.complete(t, actions);
    } else if (d.config.approval === 'every-step') {
      this.requestApproval(s.index + 1, t, actions, `step ${s.index + 1} passed its analysis`);
    } else {
      this.beginStep(s.index + 1, t, actions);
    }
  }

  private complete(t: number, actions: RolloutAction[]): void {
    const d = this.d;
    d.lastGood = Object.fromEntries(d.keys.map((k) => [k.key, k.next]));
    d.exposedTargets = [...d.candidate.targets];
    this.go('completed', t, 'every step passed its analysis');
    this.audit('completed', { settings: d.lastGood, analyses: d.analyses.length }, t);
    actions.push(this.notify('info', 'completed', `rollout ${d.candidate.id} completed: the candidate runs on every target`, true));
  }

  /** Windows/batches: switch every key to the new or old settings when the slot's exposure changes. */
  private applySlot(t: number, actions: RolloutAction[]): void {
    const d = this.d;
    const exposedNow = d.step.slotIndex % d.config.slotsPerCycle < this.unitsFor(d.step.index);
    if (exposedNow === d.step.slotExposed) return;
    d.step.slotExposed = exposedNow;
    d.slots.forEach((s) => {
      if (s.to === null) s.to = t;
    });
    const returnTo = d.state === 'holding' ? 'holding' : 'observing';
    this.issue('switch', d.keys.map((k) => ({ key: k.key, value: exposedNow ? k.next : k.old, side: exposedNow ? ('new' as const) : ('old' as const) })), t, actions, returnTo);
    (d.pending as Pending).slotExposed = exposedNow;
  }
}

