/**
 * The gate as the node runs it: one audit trail, one queue, the running rollouts, and the evidence
 * the node has seen (latest values of signals, deviation severities, drift, twin-state's fidelity
 * report). Every method puts what must leave the node in `outbox`; the adapter sends it even when
 * the method throws (a verdict goes out before the refusal that follows it).
 *
 * Outputs: 0 writes for `mqtt out` (topic = key), 1 desired values for twin-state, 2 notifications,
 * approval requests, verdicts and audit answers.
 */
import { InputError } from '../../core/errors';
import {
  AuditTrail,
  CandidateQueue,
  RolloutMachine,
  parseCommand,
  receiveCandidate,
  scoreCandidate,
  availabilityOf,
  type AuditQuery,
  type AvailabilityEvidence,
  type Candidate,
  type CounterfactualResult,
  type FidelitySignal,
  type RolloutAction,
  type SettingValue,
  type TrustResult,
} from '../../core/gate';
import { isAtOrBelow, isRecord, pathsOverlap } from '../../core/gate/util';
import type { NodeMessage } from '../common/red';
import type { GateSettings } from './options';
import { Promotions } from './promotions';

type Received = ReturnType<typeof receiveCandidate>;

export interface CandidateEvidence {
  fidelity?: FidelitySignal[];
  availability?: AvailabilityEvidence;
  counterfactual?: CounterfactualResult;
}

export interface SignalSeen {
  value: unknown;
  time: number;
  quality?: 'good' | 'uncertain' | 'bad' | null;
  stale?: boolean;
}

export interface Outbox {
  writes: NodeMessage[];
  desired: NodeMessage[];
  notes: NodeMessage[];
  /** adopt-model / discard-model for twin-simulator. */
  models: NodeMessage[];
}

export interface SavedGate {
  format: 'twinloop-gate-node';
  version: 1;
  rollouts: unknown[];
  queue: unknown;
  audit: unknown;
  lastWriteTimes: Record<string, number>;
  waitingEvidence: Record<string, CandidateEvidence>;
  signals: Record<string, SignalSeen>;
  promotions?: unknown[];
}

const SEVERITIES = ['ok', 'warning', 'alarm'];

export class Gate {
  audit = new AuditTrail();
  private queue = new CandidateQueue();
  readonly rollouts = new Map<string, RolloutMachine>();
  private readonly signals = new Map<string, SignalSeen>();
  private readonly severities = new Map<string, { severity: 'ok' | 'warning' | 'alarm'; time: number }>();
  /** Targets with drift, and since when: a mark holds until drift-end, a refit, or driftHoldMs. */
  private readonly driftMarks = new Map<string, number>();
  private summary: { signals: number; fresh: number; badQuality: number } | undefined;
  private lastWriteTimes: Record<string, number> = {};
  private waitingEvidence: Record<string, CandidateEvidence> = {};
  /** The last rollout that ended, for the status. */
  lastEnded: { id: string; state: string } | undefined;
  outbox: Outbox = { writes: [], desired: [], notes: [], models: [] };
  readonly promotions: Promotions;
  /** Whether the twin's model is calibrated (the chosen simulator's answer); undefined: not known. */
  calibrated: () => boolean | undefined = () => undefined;

  constructor(private readonly settings: GateSettings) {
    this.promotions = new Promotions({ ...settings.promotion, approval: settings.approval === 'every-step' }, () => this.sink, {
      model: (msg) => this.outbox.models.push(msg),
      note: (topic, payload) => this.note(topic, payload),
    });
  }

  private get sink() {
    return this.audit.sink();
  }

  takeOutbox(): Outbox {
    const out = this.outbox;
    this.outbox = { writes: [], desired: [], notes: [], models: [] };
    return out;
  }

  // ------------------------------------------------------------------ candidates

  /**
   * The front door: validation and the envelope (InputError when refused). A model candidate goes
   * to its shadow phase here and returns undefined; a decision for the plant returns what
   * `decide` needs once its counterfactual evidence is known.
   */
  receive(raw: unknown, now: number, origin = 'candidate'): Received | undefined {
    const received = receiveCandidate(raw, { envelope: this.settings.envelope, current: this.currentNumbers(), lastWriteTimes: this.lastWriteTimes, now, audit: this.sink, origin });
    if (received.candidate.kind === 'model') {
      this.promotions.start(received.candidate, now);
      return undefined;
    }
    return received;
  }

  /** Score, admit and start (or queue) a received candidate; InputError when refused. */
  decide(received: Received, evidence: CandidateEvidence, now: number, origin = 'candidate'): void {
    const candidate = received.candidate;
    const trust = this.score(received, evidence, now);
    this.checkVerdict(candidate, trust, now, origin);
    const admission = this.queue.admit(candidate, now);
    for (const id of admission.superseded) this.supersede(id, candidate.id, now);
    if (admission.decision === 'queued') {
      this.waitingEvidence[candidate.id] = evidence;
      this.audit.record('queued', candidate.id, { behind: admission.behind, position: admission.position, reason: admission.reason }, now);
      this.note('queued', { level: 'info', event: 'queued', candidateId: candidate.id, message: `candidate ${candidate.id} ${admission.reason}`, position: admission.position });
      return;
    }
    this.start(candidate, trust, now);
  }

  /** Both steps at once, for candidates whose evidence is complete. */
  candidate(raw: unknown, evidence: CandidateEvidence, now: number, origin = 'candidate'): void {
    const received = this.receive(raw, now, origin);
    if (received) this.decide(received, evidence, now, origin);
  }

  /** The present values of these setpoint keys, as the gate has seen them (null when unknown). */
  currentSettings(keys: string[]): Record<string, SettingValue> {
    return Object.fromEntries(keys.map((k) => [k, (this.signals.get(k)?.value ?? null) as SettingValue]));
  }

  private score(received: Received, evidence: CandidateEvidence, now: number): TrustResult {
    const trust = scoreCandidate(received, this.evidenceFor(received.candidate, evidence, now), { now, audit: this.sink, options: this.settings.trust });
    this.note('verdict', { candidateId: received.candidate.id, verdict: trust.verdict, score: trust.score, passAt: trust.passAt, marginalAt: trust.marginalAt, parts: trust.parts, reasons: trust.reasons });
    return trust;
  }

  private checkVerdict(candidate: Candidate, trust: TrustResult, now: number, origin: string): void {
    if (trust.verdict === 'fail') {
      throw new InputError('trust fail', `candidate ${candidate.id} failed the trust gate (score ${trust.score}): ${trust.reasons.join('; ')}`, origin);
    }
    if (trust.verdict === 'marginal' && this.settings.approval === 'none') {
      this.audit.record('refused', candidate.id, { stage: 'approval', reason: 'marginal verdict and approval mode none' }, now);
      throw new InputError('needs approval', `candidate ${candidate.id} scored ${trust.score} (marginal): with approval mode "none" only a pass (>= ${trust.passAt}) rolls out`, origin);
    }
  }

  private start(candidate: Candidate, trust: TrustResult, now: number): void {
    const current: Record<string, SettingValue> = {};
    for (const [key, seen] of this.signals) current[key] = seen.value as SettingValue;
    let created: ReturnType<typeof RolloutMachine.create>;
    try {
      created = RolloutMachine.create({ candidate, trust, current, config: this.settings.rollout, now }, { audit: this.sink });
    } catch (err) {
      this.queue.finish(candidate.id, now);
      throw err;
    }
    this.rollouts.set(candidate.id, created.rollout);
    this.carryOut(created.actions, now);
    this.settle(now);
  }

  private supersede(id: string, by: string, now: number): void {
    delete this.waitingEvidence[id];
    this.audit.record('superseded', id, { by }, now);
    const rollout = this.rollouts.get(id);
    if (rollout && !rollout.done) this.carryOut(rollout.command({ action: 'abort', reason: `superseded by ${by}` }, now), now);
    this.note('superseded', { level: 'info', event: 'superseded', candidateId: id, message: `candidate ${id} is superseded by ${by}` });
  }

  /** The trust evidence: what came with the candidate, completed by what the node has seen. */
  private evidenceFor(candidate: Candidate, given: CandidateEvidence, now: number): Omit<CandidateEvidence, never> {
    const keys = candidate.setpoints ? Object.keys(candidate.setpoints) : candidate.targets.map((t) => `${t}/schedule`);
    const involved = (key: string): boolean => candidate.targets.some((t) => isAtOrBelow(key, t));
    const fidelity: FidelitySignal[] = [...(given.fidelity ?? [])];
    for (const [key, s] of this.severities) if (involved(key) && !fidelity.some((f) => f.key === key)) fidelity.push({ key, severity: s.severity });
    let availability = given.availability;
    if (availability === undefined) {
      const drifting = this.drifting(now).filter((k) => candidate.targets.some((t) => pathsOverlap(k, t)));
      const seen = keys.filter((k) => this.signals.has(k));
      if (seen.length > 0 || this.summary === undefined) {
        availability = {
          signals: keys.map((key) => {
            const s = this.signals.get(key);
            return s ? { key, value: s.value, quality: s.quality ?? 'good', stale: s.stale === true } : { key, value: null };
          }),
          drifting,
          calibrated: this.calibrated(),
        };
      } else {
        availability = { summary: this.summary, drifting, calibrated: this.calibrated() };
      }
    }
    return { fidelity, availability, counterfactual: given.counterfactual };
  }

  // ------------------------------------------------------------------ evidence and events

  /** A value of a signal: the latest value (for the envelope and rollbacks) and a read-back. */
  sample(key: string, value: unknown, now: number, extra: { quality?: SignalSeen['quality']; stale?: boolean } = {}): void {
    const before = this.signals.get(key);
    this.signals.set(key, { value, time: now, quality: extra.quality, stale: extra.stale });
    this.each(now, (r) => r.readBack({ key, value, time: now }));
    if (!before || before.stale !== extra.stale || before.quality !== extra.quality) this.reportAvailability(now);
  }

  /** twin-state's stale / fresh event for a signal. */
  freshness(key: string, stale: boolean, now: number): void {
    const seen = this.signals.get(key);
    if (seen) seen.stale = stale;
    else this.signals.set(key, { value: null, time: now, stale });
    this.reportAvailability(now);
  }

  /**
   * Tells each rollout whether its setpoint signals are usable (fresh, good, no drift on its
   * targets); a rollout does not promote a step while they are not. Sent on change only.
   */
  private reportAvailability(now: number): void {
    for (const r of this.rollouts.values()) {
      if (r.done) continue;
      const keys = r.settingKeys;
      const targets = [...new Set(r.snapshot().keys.map((k) => k.target))];
      const drifting = this.drifting(now).filter((k) => targets.some((t) => pathsOverlap(k, t)));
      const signals = keys.map((key) => {
        const s = this.signals.get(key);
        return s ? { key, value: s.value, quality: s.quality ?? 'good', stale: s.stale === true } : { key, value: null };
      });
      const result = availabilityOf({ signals, drifting, calibrated: true }, this.settings.trust);
      const ok = result.stale.length + result.badQuality.length + result.missing.length + result.drifting.length === 0;
      if (r.availabilityOk === ok) continue;
      this.carryOut(r.availability({ ok, reason: result.detail, time: now }), now);
      this.note(ok ? 'available' : 'unavailable', { level: ok ? 'info' : 'warning', event: ok ? 'available' : 'unavailable', candidateId: r.candidateId, message: `rollout ${r.candidateId}: ${ok ? 'signals usable again' : `promotion held: ${result.detail}`}` });
    }
  }

  severity(key: string, severity: unknown, now: number): void {
    if (typeof severity === 'string' && SEVERITIES.includes(severity)) this.severities.set(key, { severity: severity as 'ok' | 'warning' | 'alarm', time: now });
  }

  fidelityReport(overall: unknown): void {
    if (isRecord(overall) && [overall.signals, overall.fresh, overall.badQuality].every((v) => typeof v === 'number')) {
      this.summary = { signals: overall.signals as number, fresh: overall.fresh as number, badQuality: overall.badQuality as number };
    }
  }

  alarm(type: 'anomaly' | 'drift', target: string, now: number, detail?: string): void {
    if (type === 'drift') {
      this.driftMarks.set(target, now);
      this.reportAvailability(now);
    }
    this.each(now, (r) => (type === 'anomaly' ? r.anomaly({ target, time: now, detail }) : r.drift({ target, time: now, detail })));
  }

  /** Targets whose drift mark is still on at `now`. */
  private drifting(now: number): string[] {
    return [...this.driftMarks].filter(([, since]) => now - since < this.settings.driftHoldMs).map(([target]) => target);
  }

  /** The twin was refitted (calibration applied, model adopted): its drift marks no longer hold. */
  refitted(now: number): void {
    if (this.driftMarks.size === 0) return;
    this.driftMarks.clear();
    this.reportAvailability(now);
  }

  driftEnded(target: string, now: number): void {
    this.driftMarks.delete(target);
    this.reportAvailability(now);
  }

  realised(target: string, kpis: unknown, now: number): void {
    if (!isRecord(kpis)) throw new InputError('bad realised', 'realised KPIs need msg.payload = {target, kpis: {name: number}}', 'realised');
    this.each(now, (r) => r.realised({ target, kpis: kpis as Record<string, number>, time: now }));
  }

  written(key: string, ok: boolean, error: string | undefined, now: number): void {
    this.each(now, (r) => r.written({ key, ok, error, time: now }));
  }

  batch(now: number): void {
    this.each(now, (r) => r.batch({ time: now }));
  }

  tick(now: number): void {
    this.each(now, (r) => r.tick(now));
    const expired = [...this.driftMarks].filter(([, since]) => now - since >= this.settings.driftHoldMs);
    for (const [target] of expired) this.driftMarks.delete(target);
    if (expired.length > 0) this.reportAvailability(now);
    this.promotions.tick(now);
  }

  shadow(payload: unknown): number {
    return this.promotions.shadow(payload);
  }

  /** approve / reject / pause / resume / abort: the rollout named, or the only one running. */
  command(raw: unknown, now: number, origin: string): void {
    const cmd = parseCommand(raw, origin);
    let id = cmd.candidateId;
    if (id !== undefined && this.promotions.live.has(id)) {
      this.promotions.command(raw, now, origin);
      return;
    }
    if (id !== undefined && !this.rollouts.has(id) && (cmd.action === 'abort' || cmd.action === 'reject') && this.queue.withdraw(id)) {
      delete this.waitingEvidence[id];
      this.audit.record(cmd.action === 'abort' ? 'aborted' : 'rejected', id, { by: cmd.by, reason: cmd.reason, queued: true }, now);
      this.note(cmd.action === 'abort' ? 'aborted' : 'rejected', { level: 'info', event: cmd.action, candidateId: id, message: `queued candidate ${id} withdrawn` });
      return;
    }
    if (id === undefined) {
      const live = [...this.rollouts.values()].filter((r) => !r.done);
      if (live.length === 0 && this.promotions.command(raw, now, origin)) return;
      if (live.length === 0) throw new InputError('nothing to command', `no rollout is running, so "${cmd.action}" does nothing`, origin);
      if (live.length > 1) throw new InputError('which candidate', `${live.length} rollouts are running (${live.map((r) => r.candidateId).join(', ')}): give payload.candidateId`, origin);
      id = live[0].candidateId;
    }
    const rollout = this.rollouts.get(id);
    if (!rollout) throw new InputError('unknown candidate', `no rollout for candidate ${id}`, origin);
    const actions = rollout.command(cmd, now);
    this.carryOut(actions, now);
    this.settle(now);
  }

  /** Audit entries, or JSON lines. */
  query(raw: unknown, format: 'json' | 'jsonl'): unknown {
    const q = (raw === undefined || raw === null || raw === '' ? {} : raw) as AuditQuery;
    return format === 'jsonl' ? this.audit.toJSONLines(q) : this.audit.query(q);
  }

  private each(now: number, event: (r: RolloutMachine) => RolloutAction[]): void {
    for (const r of [...this.rollouts.values()]) {
      if (r.done) continue;
      this.carryOut(event(r), now);
    }
    this.settle(now);
  }

  /** Finished rollouts leave; queued candidates that may start now are scored again and started. */
  private settle(now: number): void {
    const phases = new Map(this.queue.active().map((a) => [a.id, a.phase]));
    for (const [id, r] of [...this.rollouts]) {
      if (!r.done) {
        if (r.state !== 'pending-approval' && phases.get(id) === 'pending') this.queue.markRunning(id);
        continue;
      }
      this.rollouts.delete(id);
      this.lastEnded = { id, state: r.state };
      const { start, expired } = this.queue.finish(id, now);
      for (const e of expired) {
        delete this.waitingEvidence[e];
        this.audit.record('aborted', e, { reason: 'waited in the queue too long (stale evidence)' }, now);
      }
      for (const candidate of start) {
        const evidence = this.waitingEvidence[candidate.id] ?? {};
        delete this.waitingEvidence[candidate.id];
        try {
          const received = receiveCandidate(candidate, { envelope: this.settings.envelope, current: this.currentNumbers(), lastWriteTimes: this.lastWriteTimes, now, audit: this.sink, origin: 'queue' });
          const trust = this.score(received, evidence, now);
          this.checkVerdict(candidate, trust, now, 'queue');
          this.start(candidate, trust, now);
        } catch (err) {
          this.queue.finish(candidate.id, now);
          this.note('refused', { level: 'warning', event: 'refused', candidateId: candidate.id, message: err instanceof Error ? err.message : String(err) });
        }
      }
    }
  }

  private carryOut(actions: RolloutAction[], now: number): void {
    for (const a of actions) {
      if (a.type === 'write') {
        this.lastWriteTimes[a.key] = now;
        this.outbox.writes.push({ topic: a.key, payload: a.value, candidateId: a.candidateId, purpose: a.purpose, target: a.target });
      } else if (a.type === 'desired') {
        this.outbox.desired.push({ topic: 'desired', payload: { key: a.key, value: a.value, writtenAt: now } });
      } else if (a.type === 'await-read-back') {
        this.note('read-back', { keys: a.keys, deadline: a.deadline, candidateId: a.candidateId });
      } else {
        this.note(a.event, { level: a.level, event: a.event, message: a.message, candidateId: a.candidateId, state: a.state, evidence: a.evidence });
      }
    }
  }

  private note(topic: string, payload: Record<string, unknown>): void {
    this.outbox.notes.push({ topic, payload });
  }

  private currentNumbers(): Record<string, number | null> {
    const out: Record<string, number | null> = {};
    for (const [key, s] of this.signals) out[key] = typeof s.value === 'number' && Number.isFinite(s.value) ? s.value : null;
    return out;
  }

  // ------------------------------------------------------------------ persistence

  toJSON(): SavedGate {
    return {
      format: 'twinloop-gate-node',
      version: 1,
      rollouts: [...this.rollouts.values()].map((r) => r.toJSON()),
      queue: this.queue.toJSON(),
      audit: this.audit.toJSON(),
      lastWriteTimes: { ...this.lastWriteTimes },
      waitingEvidence: JSON.parse(JSON.stringify(this.waitingEvidence)) as Record<string, CandidateEvidence>,
      signals: Object.fromEntries(this.signals),
      promotions: this.promotions.toJSON(),
    };
  }

  /** Restores a saved gate and recovers interrupted rollouts; returns what could not be restored. */
  restore(saved: unknown, now: number): string[] {
    const problems: string[] = [];
    if (saved === undefined || saved === null) return problems;
    if (!isRecord(saved) || saved.format !== 'twinloop-gate-node') return ['not a saved twin-gate state'];
    try {
      const { trail, skipped } = AuditTrail.fromJSON(saved.audit);
      this.audit = trail;
      if (skipped) problems.push(`${skipped} audit entries`);
    } catch (err) {
      problems.push(`the audit trail (${(err as Error).message})`);
    }
    try {
      const { queue, skipped } = CandidateQueue.fromJSON(saved.queue);
      this.queue = queue;
      if (skipped) problems.push(`${skipped} queue entries`);
    } catch (err) {
      problems.push(`the queue (${(err as Error).message})`);
    }
    if (isRecord(saved.lastWriteTimes)) for (const [k, v] of Object.entries(saved.lastWriteTimes)) if (typeof v === 'number') this.lastWriteTimes[k] = v;
    if (isRecord(saved.waitingEvidence)) this.waitingEvidence = saved.waitingEvidence as Record<string, CandidateEvidence>;
    if (isRecord(saved.signals)) for (const [k, v] of Object.entries(saved.signals)) if (isRecord(v) && typeof v.time === 'number') this.signals.set(k, v as unknown as SignalSeen);
    problems.push(...this.promotions.restore(saved.promotions));
    for (const raw of Array.isArray(saved.rollouts) ? saved.rollouts : []) {
      try {
        const rollout = RolloutMachine.fromJSON(raw, { audit: this.sink });
        this.rollouts.set(rollout.candidateId, rollout);
        this.carryOut(rollout.recover(now), now);
      } catch (err) {
        problems.push(`a rollout (${(err as Error).message})`);
      }
    }
    this.settle(now);
    return problems;
  }
}
