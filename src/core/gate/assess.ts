/**
 * The gate's front door, in two steps because the counterfactual check in between is
 * asynchronous (the simulator runs in a worker):
 *
 *   receiveCandidate  validate → safety envelope (hard gate: refused with the reasons) → audit
 *   (the caller runs the counterfactual check on the validated candidate: runCounterfactual)
 *   scoreCandidate    trust score from the evidence plus the envelope result → audit
 *
 * Both record their audit entries (received / refused / scored / verdict) with the evidence, the
 * twin model revision and the optimizer run, so a decision can be traced from its very start.
 */
import { InputError, isTwinError } from '../errors';
import { validateCandidate, type Candidate } from './candidate';
import type { AuditSink } from './audit';
import { checkEnvelope, type Envelope, type EnvelopeResult } from './envelope';
import { trustScore, type TrustEvidence, type TrustOptions, type TrustResult } from './trust';
import { isRecord } from './util';

export interface ReceiveContext {
  envelope: Envelope;
  /** Present values of the setpoint keys (twin-state), for the step and rate limits. */
  current: Record<string, number | null | undefined>;
  /** When each key was last written (epoch ms), for the rate limits. */
  lastWriteTimes?: Record<string, number | undefined>;
  now: number;
  audit?: AuditSink;
  /** msg.topic, named in error messages. */
  origin?: string;
}

export interface Received {
  candidate: Candidate;
  envelope: EnvelopeResult;
}

/**
 * A validated candidate inside the envelope. InputError (after a 'refused' audit entry) for a
 * malformed candidate, or 'outside envelope' naming every setpoint at fault.
 */
export function receiveCandidate(raw: unknown, ctx: ReceiveContext): Received {
  const rawId = isRecord(raw) && typeof raw.id === 'string' ? raw.id.slice(0, 200) : null;
  let candidate: Candidate;
  try {
    candidate = validateCandidate(raw, ctx.origin);
  } catch (err) {
    if (isTwinError(err)) ctx.audit?.('refused', rawId, { stage: 'validation', reason: err.message }, ctx.now);
    throw err;
  }
  ctx.audit?.('received', candidate.id, { kind: candidate.kind, targets: candidate.targets, setpoints: candidate.setpoints, schedule: candidate.schedule, model: candidate.model, predicted: candidate.predicted, optimizer: candidate.optimizer ?? null, modelRevision: candidate.modelRevision ?? null }, ctx.now);
  const envelope = checkEnvelope(candidate, ctx.current, ctx.envelope, ctx.lastWriteTimes ?? {}, ctx.now);
  if (!envelope.ok) {
    ctx.audit?.('refused', candidate.id, { stage: 'envelope', reasons: envelope.reasons, checks: envelope.checks }, ctx.now);
    throw new InputError('outside envelope', `candidate ${candidate.id} is refused: ${envelope.reasons.join('; ')}`, ctx.origin);
  }
  return { candidate, envelope };
}

/** The trust result for a received candidate, its parts and verdict audited. */
export function scoreCandidate(received: Received, evidence: Omit<TrustEvidence, 'envelope'>, ctx: { now: number; audit?: AuditSink; options?: TrustOptions }): TrustResult {
  const trust = trustScore({ ...evidence, envelope: received.envelope }, ctx.options);
  const id = received.candidate.id;
  ctx.audit?.('scored', id, { score: trust.score, parts: trust.parts, counterfactual: evidence.counterfactual ?? null }, ctx.now);
  ctx.audit?.('verdict', id, { verdict: trust.verdict, score: trust.score, reasons: trust.reasons, modelRevision: received.candidate.modelRevision ?? null, optimizer: received.candidate.optimizer ?? null }, ctx.now);
  return trust;
}
