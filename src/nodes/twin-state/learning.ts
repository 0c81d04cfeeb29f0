import { InputError, describeValue } from '../../core/errors';
import { TopicLearner, type ModelProposal } from '../../core/model/discover';
import type { TwinModel } from '../../core/model/types';

export interface LearningStatus {
  running: boolean;
  /** ms left in the window (0 when finished). */
  remainingMs: number;
  /** Distinct signals seen so far. */
  signals: number;
  samples: number;
  proposal?: TwinModel;
  notes?: string[];
}

const longestWindowS = 24 * 3600;

/**
 * A learning window: for `seconds`, every sample the twin state takes is shown to a
 * TopicLearner; at the end (or on request) it proposes a model built from what arrived,
 * for the technician to review in the twin-model editor before accepting it.
 */
export class LearningWindow {
  private learner: TopicLearner | undefined;
  private until = 0;
  private last: ModelProposal | undefined;
  private lastSamples = 0;

  start(seconds: unknown, now = Date.now()): void {
    const window = typeof seconds === 'number' || typeof seconds === 'string' ? Number(seconds) : NaN;
    if (!Number.isFinite(window) || window <= 0 || window > longestWindowS) {
      throw new InputError('bad learning window', `a learning window is 1 to ${longestWindowS} seconds, got ${describeValue(seconds)}`, 'learn');
    }
    this.learner = new TopicLearner();
    this.last = undefined;
    this.until = now + window * 1000;
  }

  /** Called per sample: cheap when no window is open. Returns the proposal when the window just ended. */
  observe(sample: { asset: string; signal: string; unit: string | null; value: unknown }, now = Date.now()): ModelProposal | undefined {
    if (!this.learner) return undefined;
    if (now < this.until) {
      this.learner.observe(sample);
      return undefined;
    }
    return this.finish();
  }

  /** Ends an expired window even when no sample comes to notice it. */
  tick(now = Date.now()): ModelProposal | undefined {
    return this.learner && now >= this.until ? this.finish() : undefined;
  }

  status(name: string, now = Date.now()): LearningStatus {
    const running = this.learner !== undefined && now < this.until;
    const proposal = this.learner ? this.learner.propose(name) : this.last;
    return {
      running,
      remainingMs: running ? this.until - now : 0,
      signals: this.learner ? this.learner.count : countSignals(proposal),
      samples: this.learner ? this.learner.samples : this.lastSamples,
      proposal,
      notes: proposal?.notes,
    };
  }

  private finish(): ModelProposal | undefined {
    const proposal = this.learner?.propose();
    this.lastSamples = this.learner?.samples ?? 0;
    this.learner = undefined;
    this.last = proposal;
    return proposal;
  }
}

function countSignals(model: TwinModel | undefined): number {
  let count = 0;
  const walk = (assets: TwinModel['assets']): void => {
    for (const asset of assets) {
      count += asset.signals.length;
      walk(asset.children);
    }
  };
  if (model) walk(model.assets);
  return count;
}
