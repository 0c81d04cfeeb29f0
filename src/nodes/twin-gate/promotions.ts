/**
 * Model candidates in the node: a recalibrated model from twin-simulator (promotion "gate") runs as
 * a shadow beside the one in use; the simulator's `shadow` samples score both against the plant,
 * and at the end of the window the gate tells the simulator to adopt or discard it (output 4).
 *
 * Rule for concurrent model candidates: a new one whose targets overlap a live promotion
 * supersedes it (the simulator keeps one shadow and has already replaced the old one).
 */
import { InputError } from '../../core/errors';
import { ModelPromotion, parseCommand, type AuditSink, type Candidate, type ModelPromotionOptions, type PromotionAction, type ShadowSample } from '../../core/gate';
import { isRecord, targetsOverlap } from '../../core/gate/util';
import type { NodeMessage } from '../common/red';

export interface PromotionOutput {
  /** adopt-model / discard-model messages for twin-simulator. */
  model(msg: NodeMessage): void;
  note(topic: string, payload: Record<string, unknown>): void;
}

export class Promotions {
  readonly live = new Map<string, ModelPromotion>();
  /** Shadow samples for revisions no live promotion has (after a decision, before the simulator hears it). */
  ignoredSamples = 0;

  constructor(
    private readonly options: ModelPromotionOptions,
    private readonly audit: () => AuditSink,
    private readonly out: PromotionOutput,
  ) {}

  start(candidate: Candidate, now: number): void {
    for (const [id, p] of [...this.live]) {
      const other = p.snapshot();
      if (other.state !== 'shadow' && other.state !== 'pending-approval') continue;
      if (!targetsOverlap(candidateTargets(p), candidate.targets)) continue;
      this.carryOut(p.command({ action: 'abort', reason: `superseded by ${candidate.id}` }, now), 'superseded');
      this.live.delete(id);
    }
    const promotion = ModelPromotion.start(candidate, this.options, now, { audit: this.audit() });
    this.live.set(candidate.id, promotion);
    const s = promotion.snapshot();
    this.out.note('model-shadow', { level: 'info', event: 'model-shadow', candidateId: candidate.id, revision: s.revision, until: s.windowEnd, message: `model ${s.revision} runs in shadow until ${new Date(s.windowEnd).toISOString()}` });
  }

  /** The simulator's `shadow` message: {revision, samples: [{key, actual, current, candidate, time}]}. */
  shadow(payload: unknown): number {
    if (!isRecord(payload) || typeof payload.revision !== 'string' || !Array.isArray(payload.samples)) {
      throw new InputError('bad shadow', 'shadow samples need msg.payload = {revision, samples: [{key, actual, current, candidate, time}]}', 'shadow');
    }
    const promotion = [...this.live.values()].find((p) => p.snapshot().revision === payload.revision && p.state === 'shadow');
    if (!promotion) {
      this.ignoredSamples += payload.samples.length;
      return 0;
    }
    for (const sample of payload.samples) promotion.observe(sample as ShadowSample);
    return payload.samples.length;
  }

  tick(now: number): void {
    for (const p of [...this.live.values()]) this.carryOut(p.tick(now));
    this.settle();
  }

  /** approve / reject / abort for a promotion: the one named, or the only one waiting. */
  command(raw: unknown, now: number, origin: string): boolean {
    const cmd = parseCommand(raw, origin);
    let promotion = cmd.candidateId !== undefined ? this.live.get(cmd.candidateId) : undefined;
    if (cmd.candidateId === undefined) {
      const waiting = [...this.live.values()].filter((p) => p.state === 'pending-approval' || (cmd.action === 'abort' && p.state === 'shadow'));
      if (waiting.length === 1) promotion = waiting[0];
    }
    if (!promotion) return false;
    this.carryOut(promotion.command(cmd, now));
    this.settle();
    return true;
  }

  private carryOut(actions: PromotionAction[], because?: string): void {
    for (const a of actions) {
      if (a.type === 'swap-model') {
        this.out.model({ topic: 'adopt-model', payload: { type: 'swap-model', revision: a.revision, replaces: a.replaces, candidateId: a.candidateId } });
        continue;
      }
      const revision = this.live.get(a.candidateId)?.snapshot().revision;
      if (a.event === 'model-kept' && revision && because !== 'superseded') {
        this.out.model({ topic: 'discard-model', payload: { type: 'model-kept', revision, reason: a.message, candidateId: a.candidateId } });
      }
      this.out.note(a.event, { level: a.level, event: a.event, message: a.message, candidateId: a.candidateId, revision, evidence: a.evidence });
    }
  }

  private settle(): void {
    for (const [id, p] of [...this.live]) if (p.state !== 'shadow' && p.state !== 'pending-approval') this.live.delete(id);
  }

  toJSON(): unknown[] {
    return [...this.live.values()].map((p) => p.toJSON());
  }

  restore(saved: unknown): string[] {
    const problems: string[] = [];
    for (const raw of Array.isArray(saved) ? saved : []) {
      try {
        const p = ModelPromotion.fromJSON(raw, { audit: this.audit() });
        this.live.set(p.snapshot().candidateId, p);
      } catch (err) {
        problems.push(`a model promotion (${(err as Error).message})`);
      }
    }
    return problems;
  }
}

function candidateTargets(p: ModelPromotion): string[] {
  const saved = p.toJSON().data as { candidate: Candidate };
  return saved.candidate.targets;
}
