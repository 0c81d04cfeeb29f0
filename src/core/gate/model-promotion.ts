/**
 * Promoting a recalibrated or retrained model through the gate: shadow first, then swap.
 *
 * During the shadow window the new model predicts beside the current one and both are scored
 * against what the plant then did; nothing the plant sees changes. At the end of the window:
 *   per signal key, MAE of each model over the window's samples;
 *   ratio_k = (MAE_new_k + e) / (MAE_current_k + e), e = 1e-9 · (mean |actual_k| + 1) (no 0 / 0);
 *   ratio   = geometric mean of ratio_k over keys (scale-free: a key in bar and one in rpm
 *             count alike, and one key 2x better and another 2x worse cancel out);
 *   swap when there are at least minSamples samples and ratio <= 1 - margin (default margin 0.05:
 *   the new model must be clearly better, not just different). Fewer samples extend the shadow by
 *   another window (at most maxExtensions times), then the current model is kept.
 * With approval on, a swap decision waits for a person (approve / reject). The decision is an
 * audit entry (model-swap or model-kept) with the errors per key.
 */
import { ConfigError, InputError } from '../errors';
import type { AuditSink } from './audit';
import { validateCandidate, type Candidate } from './candidate';
import { parseCommand } from './commands';
import { isRecord, requireFinite, requireRecord, requireText } from './util';

/** Most signal keys scored in one shadow phase. */
const MAX_KEYS = 10_000;

export type PromotionState = 'shadow' | 'pending-approval' | 'swapped' | 'kept' | 'rejected';

export interface ModelPromotionOptions {
  shadowWindowMs: number;
  minSamples?: number;
  margin?: number;
  maxExtensions?: number;
  approval?: boolean;
}

export interface ShadowSample {
  key: string;
  actual: number;
  /** Prediction of the model in use. */
  current: number;
  /** Prediction of the model being promoted. */
  candidate: number;
  time: number;
}

export type PromotionAction =
  | { type: 'swap-model'; revision: string; replaces: string | null; candidateId: string }
  | { type: 'notify'; level: 'info' | 'warning'; event: string; message: string; candidateId: string; evidence?: PromotionResult };

export interface KeyError {
  key: string;
  samples: number;
  maeCurrent: number;
  maeCandidate: number;
  ratio: number;
}

export interface PromotionResult {
  samples: number;
  ratio: number | null;
  keys: KeyError[];
  decision: 'swap' | 'keep';
  reason: string;
}

interface Data {
  candidate: Candidate;
  options: Required<ModelPromotionOptions>;
  state: PromotionState;
  startedAt: number;
  windowEnd: number;
  extensions: number;
  /** Sums per key: n, sum |err current|, sum |err candidate|, sum |actual|. */
  sums: Record<string, [number, number, number, number]>;
  result: PromotionResult | null;
}

export interface SavedPromotion {
  format: 'twinloop-gate-model-promotion';
  version: 1;
  data: Data;
}

/** Defaults filled in and every setting checked (ConfigError naming the setting). */
export function resolvePromotionOptions(options: ModelPromotionOptions): Required<ModelPromotionOptions> {
  if (!isRecord(options as unknown)) throw new ConfigError('bad promotion settings', 'model promotion settings must be an object');
  const o = { shadowWindowMs: options.shadowWindowMs, minSamples: options.minSamples ?? 30, margin: options.margin ?? 0.05, maxExtensions: options.maxExtensions ?? 2, approval: options.approval ?? false };
  if (!(Number.isFinite(o.shadowWindowMs) && o.shadowWindowMs > 0)) throw new ConfigError('bad promotion settings', 'shadowWindowMs must be > 0');
  if (!(Number.isInteger(o.minSamples) && o.minSamples >= 1)) throw new ConfigError('bad promotion settings', 'minSamples must be a whole number >= 1');
  if (!(Number.isFinite(o.margin) && o.margin >= 0 && o.margin < 1)) throw new ConfigError('bad promotion settings', 'margin must be from 0 to below 1');
  if (!(Number.isInteger(o.maxExtensions) && o.maxExtensions >= 0)) throw new ConfigError('bad promotion settings', 'maxExtensions must be a whole number >= 0');
  if (typeof o.approval !== 'boolean') throw new ConfigError('bad promotion settings', 'approval must be true or false');
  return o;
}

export class ModelPromotion {
  private constructor(
    private d: Data,
    private readonly hooks: { audit?: AuditSink },
  ) {}

  /** Starts the shadow phase of a model candidate (kind 'model'). */
  static start(candidateRaw: Candidate, options: ModelPromotionOptions, now: number, hooks: { audit?: AuditSink } = {}): ModelPromotion {
    const candidate = validateCandidate(candidateRaw);
    if (candidate.kind !== 'model' || !candidate.model) throw new InputError('not a model', `candidate ${candidate.id} is ${candidate.kind}, not a model`);
    const o = resolvePromotionOptions(options);
    requireFinite(now, 'now');
    const p = new ModelPromotion({ candidate, options: o, state: 'shadow', startedAt: now, windowEnd: now + o.shadowWindowMs, extensions: 0, sums: Object.create(null) as Data['sums'], result: null }, hooks);
    p.audit('model-shadow', { revision: candidate.model.revision, replaces: candidate.model.replaces ?? null, until: p.d.windowEnd, options: o }, now);
    return p;
  }

  get state(): PromotionState {
    return this.d.state;
  }

  /** One prediction pair scored against reality; ignored outside the shadow phase or window. */
  observe(sample: ShadowSample): void {
    const rec = requireRecord(sample, 'shadow');
    const key = requireText(rec.key, 'shadow.key', 1000);
    const actual = requireFinite(rec.actual, 'shadow.actual');
    const cur = requireFinite(rec.current, 'shadow.current');
    const cand = requireFinite(rec.candidate, 'shadow.candidate');
    const time = requireFinite(rec.time, 'shadow.time');
    if (this.d.state !== 'shadow' || time < this.d.startedAt || time > this.d.windowEnd) return;
    // Invented keys must not grow the saved state without bound.
    if (!(key in this.d.sums) && Object.keys(this.d.sums).length >= MAX_KEYS) return;
    const s = (this.d.sums[key] ??= [0, 0, 0, 0]);
    s[0]++;
    s[1] += Math.abs(actual - cur);
    s[2] += Math.abs(actual - cand);
    s[3] += Math.abs(actual);
  }

  /** Decides at the end of the shadow window. */
  tick(now: number): PromotionAction[] {
    requireFinite(now, 'now');
    const d = this.d;
    if (d.state !== 'shadow' || now < d.windowEnd) return [];
    const result = this.evaluate();
    if (result.samples < d.options.minSamples && d.extensions < d.options.maxExtensions) {
      d.extensions++;
      d.windowEnd += d.options.shadowWindowMs;
      this.audit('model-shadow', { extended: d.extensions, samples: result.samples, until: d.windowEnd }, now);
      return [this.notify('info', 'shadow-extended', `model ${this.revision}: ${result.samples} samples of ${d.options.minSamples}, shadow extended`)];
    }
    d.result = result;
    if (result.decision === 'keep') return this.keep(result.reason, now, 'kept');
    if (d.options.approval) {
      d.state = 'pending-approval';
      this.audit('approval-requested', { model: this.revision, result }, now);
      return [this.notify('info', 'approval-required', `model ${this.revision} is better (${result.reason}): approve the swap or reject`, true)];
    }
    return this.swap(now);
  }

  /** approve / reject (pending approval) or abort (shadow or pending approval). */
  command(raw: unknown, now: number): PromotionAction[] {
    const cmd = parseCommand(raw);
    if (cmd.candidateId !== undefined && cmd.candidateId !== this.d.candidate.id) throw new InputError('wrong candidate', `the command is for ${cmd.candidateId}, this promotion is ${this.d.candidate.id}`);
    requireFinite(now, 'now');
    const st = this.d.state;
    if (cmd.action === 'approve' && st === 'pending-approval') {
      this.audit('approved', { model: this.revision, by: cmd.by, reason: cmd.reason }, now);
      return this.swap(now);
    }
    if ((cmd.action === 'reject' && st === 'pending-approval') || (cmd.action === 'abort' && (st === 'shadow' || st === 'pending-approval'))) {
      this.audit(cmd.action === 'reject' ? 'rejected' : 'aborted', { model: this.revision, by: cmd.by, reason: cmd.reason }, now);
      return this.keep(`${cmd.action === 'reject' ? 'rejected' : 'aborted'}${cmd.by ? ` by ${cmd.by}` : ''}`, now, 'rejected');
    }
    throw new InputError('not allowed', `cannot ${cmd.action} the promotion of model ${this.revision}: it is ${st}`);
  }

  snapshot(): { candidateId: string; revision: string; state: PromotionState; windowEnd: number; extensions: number; current: PromotionResult; result: PromotionResult | null } {
    return JSON.parse(JSON.stringify({ candidateId: this.d.candidate.id, revision: this.revision, state: this.d.state, windowEnd: this.d.windowEnd, extensions: this.d.extensions, current: this.evaluate(), result: this.d.result }));
  }

  toJSON(): SavedPromotion {
    return { format: 'twinloop-gate-model-promotion', version: 1, data: JSON.parse(JSON.stringify(this.d)) as Data };
  }

  static fromJSON(saved: unknown, hooks: { audit?: AuditSink } = {}): ModelPromotion {
    if (!isRecord(saved) || saved.format !== 'twinloop-gate-model-promotion' || !isRecord(saved.data)) throw new InputError('bad saved promotion', 'not a saved model promotion');
    const raw = saved.data;
    try {
      const candidate = validateCandidate(raw.candidate);
      const options = resolvePromotionOptions(raw.options as ModelPromotionOptions);
      if (!['shadow', 'pending-approval', 'swapped', 'kept', 'rejected'].includes(raw.state as string)) throw new Error('unknown state');
      if (![raw.startedAt, raw.windowEnd].every((v) => typeof v === 'number' && Number.isFinite(v))) throw new Error('bad times');
      const sums = Object.create(null) as Data['sums'];
      if (isRecord(raw.sums)) {
        for (const [k, v] of Object.entries(raw.sums)) if (Array.isArray(v) && v.length === 4 && v.every((x) => typeof x === 'number' && Number.isFinite(x))) sums[k] = v as [number, number, number, number];
      }
      return new ModelPromotion({ candidate, options, state: raw.state as PromotionState, startedAt: raw.startedAt as number, windowEnd: raw.windowEnd as number, extensions: Number.isInteger(raw.extensions) ? (raw.extensions as number) : 0, sums, result: isRecord(raw.result) ? (raw.result as unknown as PromotionResult) : null }, hooks);
    } catch (err) {
      throw new InputError('bad saved promotion', `the saved model promotion cannot be restored: ${(err as Error).message}`);
    }
  }

  private get revision(): string {
    return this.d.candidate.model?.revision ?? '?';
  }

  private evaluate(): PromotionResult {
    const keys: KeyError[] = Object.entries(this.d.sums).map(([key, [n, ec, en, a]]) => {
      const e = 1e-9 * (a / n + 1);
      const maeCurrent = ec / n, maeCandidate = en / n;
      return { key, samples: n, maeCurrent, maeCandidate, ratio: (maeCandidate + e) / (maeCurrent + e) };
    });
    const samples = keys.reduce((s, k) => s + k.samples, 0);
    const ratio = keys.length ? Math.exp(keys.reduce((s, k) => s + Math.log(k.ratio), 0) / keys.length) : null;
    const need = 1 - this.d.options.margin;
    let decision: 'swap' | 'keep' = 'keep';
    let reason: string;
    if (samples < this.d.options.minSamples || ratio === null) reason = `${samples} samples, fewer than ${this.d.options.minSamples}`;
    else if (ratio <= need) {
      decision = 'swap';
      reason = `error ratio ${ratio.toFixed(3)} <= ${need.toFixed(3)} over ${samples} samples`;
    } else reason = `error ratio ${ratio.toFixed(3)} is not below ${need.toFixed(3)} (the new model is not clearly better)`;
    return { samples, ratio, keys, decision, reason };
  }

  private swap(now: number): PromotionAction[] {
    const d = this.d;
    d.state = 'swapped';
    this.audit('model-swap', { model: this.revision, replaces: d.candidate.model?.replaces ?? null, result: d.result }, now);
    return [
      { type: 'swap-model', revision: this.revision, replaces: d.candidate.model?.replaces ?? null, candidateId: d.candidate.id },
      this.notify('info', 'model-swapped', `model ${this.revision} swapped in: ${d.result?.reason ?? ''}`, true),
    ];
  }

  private keep(reason: string, now: number, state: 'kept' | 'rejected'): PromotionAction[] {
    this.d.state = state;
    this.audit('model-kept', { model: this.revision, reason, result: this.d.result }, now);
    return [this.notify('warning', 'model-kept', `model ${this.revision} not promoted: ${reason}`, true)];
  }

  private notify(level: 'info' | 'warning', event: string, message: string, withEvidence = false): PromotionAction {
    const a: PromotionAction = { type: 'notify', level, event, message, candidateId: this.d.candidate.id };
    if (withEvidence) a.evidence = this.d.result ?? this.evaluate();
    return a;
  }

  private audit(type: Parameters<AuditSink>[0], detail: unknown, now: number): void {
    this.hooks.audit?.(type, this.d.candidate.id, detail, now);
  }
}
