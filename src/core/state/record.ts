/**
 * What the state keeps per signal and per asset level. Records are plain classes with a
 * fixed shape (fast property access on the hot path); asset levels form a tree so a
 * subtree query or fidelity figure never scans the whole plant.
 */
import type { Quality, SampleValue } from '../ingest/sample';
import type { SignalDefinition } from '../model/types';
import { sameValue } from './checks';
import { HistoryRing } from './history';
import type { Scheduled } from './deadlines';
import type { SignalSnapshot } from './types';
import { WindowStats } from './window-stats';

export class AssetNode {
  readonly children = new Map<string, AssetNode>();
  readonly signals = new Map<string, SignalRecord>();
  readonly stats = new WindowStats();
  constructor(
    readonly path: string,
    readonly name: string,
    readonly parent: AssetNode | undefined,
  ) {}

  /** The node of `assetPath` below this (root) node; created on the way if `create`. */
  find(assetPath: string, create: boolean): AssetNode | undefined {
    let node: AssetNode = this;
    for (const level of assetPath.split('/')) {
      let child = node.children.get(level);
      if (!child) {
        if (!create) return undefined;
        child = new AssetNode(node.path ? `${node.path}/${level}` : level, level, node);
        node.children.set(level, child);
      }
      node = child;
    }
    return node;
  }

  /** Drops asset levels left without signals that the model does not name either; true if this one goes. */
  prune(modelAssets: Set<string>): boolean {
    for (const child of [...this.children.values()]) {
      if (child.prune(modelAssets)) this.children.delete(child.name);
    }
    return this.parent !== undefined && this.signals.size === 0 && this.children.size === 0 && !modelAssets.has(this.path);
  }

  *records(): Generator<SignalRecord> {
    yield* this.signals.values();
    for (const child of this.children.values()) yield* child.records();
  }
}

export class SignalRecord implements Scheduled {
  definition: SignalDefinition | undefined;
  maxAgeMs: number | undefined;
  arrived = false;
  value: SampleValue = 0;
  unit: string | null = null;
  quality: Quality = 'good';
  sourceTime = 0;
  receivedTime = 0;
  latencyMs = 0;
  stale = false;
  outOfRange = false;
  deadline = Infinity;
  scheduled = Infinity;
  removed = false;
  /** The unit the next sample is compared with (model unit, then the last one seen). */
  expectedUnit: string | null | undefined;
  desired: SampleValue | undefined;
  desiredAt = 0;
  tolerance = 0;
  missingReported = false;
  readonly history: HistoryRing;

  constructor(
    readonly key: string,
    readonly asset: string,
    readonly name: string,
    readonly node: AssetNode,
    historyLength: number,
    /** When the signal became known: the grace period for "missing" counts from here. */
    readonly since: number,
  ) {
    this.history = new HistoryRing(historyLength);
  }

  get inModel(): boolean {
    return this.definition !== undefined;
  }

  /** Applies the model's rules (or the defaults for a signal outside the model). */
  define(definition: SignalDefinition | undefined, defaultMaxAgeMs: number | undefined): void {
    const unitChanged = definition !== undefined && definition.unit !== this.definition?.unit;
    this.definition = definition;
    this.maxAgeMs = definition?.maxAgeMs ?? defaultMaxAgeMs;
    if (unitChanged) this.expectedUnit = definition.unit ?? null;
    this.deadline = this.arrived && this.maxAgeMs !== undefined ? this.sourceTime + this.maxAgeMs : Infinity;
  }

  isStaleAt(now: number): boolean {
    return this.stale || (this.arrived && this.deadline <= now);
  }

  mismatch(): boolean | undefined {
    if (this.desired === undefined) return undefined;
    return !this.arrived || !sameValue(this.value, this.desired, this.tolerance);
  }

  snapshot(now: number, withHistory: boolean): SignalSnapshot {
    const arrived = this.arrived;
    const snap: SignalSnapshot = {
      key: this.key,
      asset: this.asset,
      signal: this.name,
      value: arrived ? this.value : null,
      unit: arrived ? this.unit : (this.definition?.unit ?? null),
      quality: arrived ? this.quality : null,
      sourceTime: arrived ? this.sourceTime : null,
      receivedTime: arrived ? this.receivedTime : null,
      latencyMs: arrived ? this.latencyMs : null,
      ageMs: arrived ? Math.max(0, now - this.sourceTime) : null,
      stale: this.isStaleAt(now),
      outOfRange: this.outOfRange,
    };
    if (this.desired !== undefined) {
      snap.desired = this.desired;
      snap.desiredAt = this.desiredAt;
      snap.sinceWriteMs = Math.max(0, now - this.desiredAt);
      snap.mismatch = this.mismatch();
    }
    if (withHistory) snap.history = this.history.points();
    return snap;
  }
}
