/**
 * A recalibrated parameter set held as a shadow while twin-gate decides ("shadow first, then
 * swap"). The shadow predicts beside the parameters in use; each pair of predictions waits for the
 * plant's sample at its due time and then becomes a ShadowSample for the gate's ModelPromotion.
 * Nothing here changes what the simulator predicts: only adopt() does, on the gate's word.
 */
import { InputError } from '../errors';
import type { ShadowSample } from '../gate/model-promotion';

export type { ShadowSample };

/** The revision of the parameters of the model definition, before any calibration. */
export const initialRevision = 'initial';
/** Pending prediction pairs kept per signal key; beyond that the oldest go (a silent signal). */
export const maxPendingPerKey = 64;
/** Resolved samples kept until taken; the node drains after every sample, so this is a backstop. */
const maxResolved = 10_000;
const maxRevisionLength = 200;

export interface ShadowModel {
  revision: string;
  /** The revision in use when the shadow was made: what it would replace. */
  replaces: string;
  /** The full calibrated set with the fit merged in. */
  parameters: Record<string, number>;
  createdAt: number;
  rmseBefore: number;
  rmseAfter: number;
}

interface PendingPair {
  due: number;
  current: number;
  candidate: number;
}

const isRecord = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === 'object' && !Array.isArray(x);
const isRevision = (x: unknown): x is string => typeof x === 'string' && x.length > 0 && x.length <= maxRevisionLength;

/** Prediction pairs waiting for the plant, and the samples they became. */
export class ShadowComparison {
  private readonly pending = new Map<string, PendingPair[]>();
  private resolved: ShadowSample[] = [];

  /** Both models' prediction of `key` for epoch ms `due`. */
  expect(key: string, due: number, current: number, candidate: number): void {
    if (![due, current, candidate].every(Number.isFinite)) return;
    let pairs = this.pending.get(key);
    if (!pairs) this.pending.set(key, (pairs = []));
    pairs.push({ due, current, candidate });
    if (pairs.length > maxPendingPerKey) pairs.splice(0, pairs.length - maxPendingPerKey);
  }

  /** A plant sample: it resolves every pair of its key that is due at or before its time. */
  observe(key: string, value: number, time: number): void {
    const pairs = this.pending.get(key);
    if (!pairs || !Number.isFinite(value) || !Number.isFinite(time)) return;
    const waiting = pairs.filter((p) => p.due > time);
    if (waiting.length === pairs.length) return;
    for (const p of pairs) if (p.due <= time) this.resolved.push({ key, actual: value, current: p.current, candidate: p.candidate, time: p.due });
    if (this.resolved.length > maxResolved) this.resolved.splice(0, this.resolved.length - maxResolved);
    if (waiting.length > 0) this.pending.set(key, waiting);
    else this.pending.delete(key);
  }

  pendingCount(key: string): number {
    return this.pending.get(key)?.length ?? 0;
  }

  /** The resolved samples since the last call. */
  take(): ShadowSample[] {
    const out = this.resolved;
    this.resolved = [];
    return out;
  }

  clear(): void {
    this.pending.clear();
    this.resolved = [];
  }
}

/** A saved shadow, checked against the model it must run in; a reason when it cannot be used. */
export function parseShadowModel(raw: unknown, parameterNames: readonly string[], inUse: string): ShadowModel | string {
  if (!isRecord(raw)) return 'not an object';
  if (!isRevision(raw.revision) || !isRevision(raw.replaces)) return 'no valid revision';
  if (raw.revision === inUse) return `${raw.revision} is already in use`;
  // A shadow made for other parameters would be compared, and adopted, against the wrong model.
  if (raw.replaces !== inUse) return `${raw.revision} replaces ${raw.replaces}, but ${inUse} is in use`;
  if (!isRecord(raw.parameters)) return 'no parameters';
  const parameters: Record<string, number> = {};
  for (const [name, v] of Object.entries(raw.parameters)) {
    if (!parameterNames.includes(name)) return `unknown parameter ${name}`;
    if (typeof v !== 'number' || !Number.isFinite(v)) return `parameter ${name} is not a finite number`;
    parameters[name] = v;
  }
  const { createdAt, rmseBefore, rmseAfter } = raw;
  if (![createdAt, rmseBefore, rmseAfter].every((x) => typeof x === 'number' && Number.isFinite(x))) return 'bad time or error figures';
  return { revision: raw.revision, replaces: raw.replaces, parameters, createdAt: createdAt as number, rmseBefore: rmseBefore as number, rmseAfter: rmseAfter as number };
}

/**
 * Asset paths a model candidate applies to: each signal key without its last level, unique, and
 * none below another (the gate refuses nested targets). Keys with no asset level are kept whole
 * when nothing else is left, so the candidate always names a target.
 */
export function modelTargets(signalKeys: readonly string[]): string[] {
  const assets = signalKeys.map((k) => k.slice(0, Math.max(0, k.lastIndexOf('/')))).filter(Boolean);
  const unique = [...new Set(assets.length > 0 ? assets : signalKeys)];
  return unique.filter((path) => !unique.some((other) => other !== path && path.startsWith(`${other}/`)));
}

/** The message payload that hands the shadow to twin-gate as a model candidate. */
export function shadowCandidate(shadow: ShadowModel, signalKeys: readonly string[]): Record<string, unknown> {
  return {
    id: `model-${shadow.revision}`,
    kind: 'model',
    targets: modelTargets(signalKeys),
    predicted: { kpis: { rmse: shadow.rmseAfter } },
    model: { revision: shadow.revision, replaces: shadow.replaces },
  };
}

/** The revision in use, the shadow (if any) and the comparison between them. */
export class ModelShadow {
  inUse = initialRevision;
  shadow: ShadowModel | undefined;
  readonly comparison = new ShadowComparison();

  /** "cal-<ISO time>", with -2, -3 ... when that is taken by the revision in use or the shadow. */
  nextRevision(now: number): string {
    const base = `cal-${new Date(now).toISOString()}`;
    const taken = new Set([this.inUse, this.shadow?.revision]);
    let revision = base;
    for (let n = 2; taken.has(revision); n++) revision = `${base}-${n}`;
    return revision;
  }

  /** Holds a new shadow; returns the revision it supersedes. */
  hold(shadow: ShadowModel): string | undefined {
    const superseded = this.shadow?.revision;
    this.shadow = shadow;
    this.comparison.clear();
    return superseded;
  }

  /** The shadow of that revision, taken out; InputError when it is not the shadow. */
  release(revision: string): ShadowModel {
    const shadow = this.shadow;
    if (!shadow || shadow.revision !== revision) throw new InputError('no such shadow', `no shadow model ${revision} (shadow is ${shadow?.revision ?? 'none'})`);
    this.shadow = undefined;
    this.comparison.clear();
    return shadow;
  }

  /** The shadow of that revision becomes the revision in use; `replaces`, when given, must match it. */
  adopt(revision: string, replaces?: string): ShadowModel {
    const held = this.shadow;
    if (held?.revision === revision && replaces !== undefined && replaces !== held.replaces) {
      throw new InputError('wrong model', `shadow model ${revision} replaces ${held.replaces}, not ${replaces}`);
    }
    const shadow = this.release(revision);
    this.inUse = shadow.revision;
    return shadow;
  }

  /** Both models' final values by signal key, waiting for the plant at `due`. */
  expectAll(signalOf: Record<string, string>, due: number, current: Record<string, number>, candidate: Record<string, number>): void {
    for (const [name, key] of Object.entries(signalOf)) this.comparison.expect(key, due, current[name], candidate[name]);
  }

  /** Parameters applied without a shadow phase (direct mode): a shadow would replace a revision no longer in use. */
  replaceInUse(revision: string): string | undefined {
    const superseded = this.shadow?.revision;
    this.inUse = revision;
    this.shadow = undefined;
    this.comparison.clear();
    return superseded;
  }

  toJSON(): { revision: string; shadow?: ShadowModel } {
    return this.shadow ? { revision: this.inUse, shadow: JSON.parse(JSON.stringify(this.shadow)) as ShadowModel } : { revision: this.inUse };
  }

  /** Restores the revision in use and the shadow; returns what had to be dropped. */
  restore(revision: unknown, shadow: unknown, parameterNames: readonly string[] | undefined): string[] {
    const dropped: string[] = [];
    if (revision !== undefined) {
      if (isRevision(revision)) this.inUse = revision;
      else dropped.push('model revision');
    }
    if (shadow === undefined || shadow === null) return dropped;
    const parsed = parameterNames ? parseShadowModel(shadow, parameterNames, this.inUse) : 'no physics model';
    if (typeof parsed === 'string') dropped.push(`shadow model (${parsed})`);
    else this.hold(parsed);
    return dropped;
  }
}
