/**
 * One member of a cluster of instances that share a plant's assets through the MQTT broker.
 *
 * Ownership: every member computes the same owner per asset by rendezvous hashing over the view
 * (the sorted ids of the active members, from their retained member records). A member subscribes
 * `$share/<group>/<asset filter>` for exactly the assets it owns, so each sample goes to one member.
 *
 * Handover of asset A from old owner O to new owner N (a join, a graceful leave):
 *   1. N subscribes A (its samples are buffered, not processed), then publishes `ready` with its view.
 *   2. O, on `ready` from N with the same view, unsubscribes A and waits for the UNSUBACK, then for a
 *      fence message it sends itself: Mosquitto still sends what it had queued for O after the
 *      UNSUBACK, and the fence comes after all of it. O publishes A's final state (retained) and
 *      `released` {assets, states, forwarded}; `forwarded` carries the samples O received but could
 *      not process any more (O is leaving: its flow is already stopped).
 *   3. N restores A's state, processes the forwarded samples, then its buffer, then goes live.
 * Between N's SUBSCRIBE and O's UNSUBSCRIBE the broker splits A's samples between the two: each
 * still reaches exactly one member and is processed once, but within that overlap a sample can be
 * processed after a newer one of the same signal (the overlap rule, docs/scale-out.md).
 *
 * A member that disappears without leaving (killed, network lost) is cleared by its MQTT last will;
 * the others take its assets at once from the last retained state. What the broker had handed to
 * it but it had not processed, and what was published before the others subscribed, is lost.
 */
import { ownerOf } from './rendezvous';
import { AssetStateBook, assetStateObject, assetOfStateTopic, decodeAssetState, encodeAssetState, stateTopic, type AssetState } from './state-codec';
import { clusterTopics, decodeMemberRecord, decodeReady, decodeReleased, viewKey, type ClusterTopics, type MemberState } from './protocol';
import type { TwinSample } from '../ingest/sample';

type Qos = 0 | 1 | 2;

/** What the member needs of an MQTT connection (MqttConnection has it). */
export interface ClusterTransport {
  /** Returns an unsubscribe function; with `drain` it resolves once the broker confirmed it. */
  subscribe(filter: string, qos: Qos, onMessage: (topic: string, payload: Buffer) => void): (drain?: boolean) => unknown;
  /** Resolves when the broker acknowledged (QoS 1) or the message was written (QoS 0). */
  publish(topic: string, payload: string | Buffer, options: { qos?: Qos; retain?: boolean }): Promise<void>;
}

export interface ClusterOptions {
  prefix: string;
  group: string;
  memberId: string;
  assets: readonly string[];
  /** The filter of one asset's samples (without $share). */
  filterOf(asset: string): string;
  /** Topic levels of an asset path (state topics are `<prefix>/<asset>/state`). */
  assetLevels: number;
  qos: Qos;
  /** Publish changed asset states at most this often; 0: no state messages. */
  stateIntervalMs: number;
  /** How long a handover may take before the member goes on without it. */
  handoverTimeoutMs: number;
  now?: () => number;
}

export interface ClusterEvents {
  /** A sample message of an owned asset, in arrival order, after its restore. */
  onSample(asset: string, topic: string, payload: Buffer): void;
  /** The asset's state from before the takeover, before its first sample. */
  onRestore(asset: string, state: AssetState): void;
  /** Membership or ownership changed (for the status). */
  onChange?(): void;
  /** Something went wrong that the member works around (bad message, publish failed). */
  onProblem?(err: Error): void;
}

export type ClusterPhase = 'idle' | 'joining' | 'active' | 'leaving' | 'left';

type HoldingMode = 'waiting' | 'live' | 'releasing' | 'released';

interface Holding {
  asset: string;
  mode: HoldingMode;
  unsubscribe: (drain?: boolean) => unknown;
  /** Samples that arrived while waiting for the old owner's release. */
  buffer: Array<[string, Buffer]>;
  /** Samples that arrived after this member stopped processing (leaving): forwarded to the new owner. */
  forward: Array<[string, Buffer]>;
  waitingFor?: string;
  releaseTo?: string | null;
  since: number;
}

export interface ClusterSummary {
  phase: ClusterPhase;
  memberId: string;
  members: number;
  assets: number;
  owned: number;
  waiting: number;
}

const MAX_BUFFERED = 200_000;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => { timer = setTimeout(() => resolve(undefined), ms); });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export class ClusterMember {
  readonly topics: ClusterTopics;
  private readonly now: () => number;
  private readonly assetSet: Set<string>;
  private readonly book: AssetStateBook;
  private phase: ClusterPhase = 'idle';
  private readonly records = new Map<string, MemberState>();
  private view: string[] = [];
  private readonly readyOf = new Map<string, string>();
  private readonly holdings = new Map<string, Holding>();
  /** Latest state message per asset not held here (parsed only when taken over). */
  private readonly cache = new Map<string, Buffer | object>();
  private readonly controls: Array<(drain?: boolean) => unknown> = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private watchTimer: NodeJS.Timeout | undefined;
  private buffered = 0;
  private leaving: Promise<void> | undefined;
  private lastReadyKey = '';
  private readonly releases = new Set<Promise<void>>();
  private flushing: Promise<void> | undefined;
  private readonly fenceWaiters = new Map<string, () => void>();
  private fences = 0;

  constructor(private readonly transport: ClusterTransport, private readonly options: ClusterOptions, private readonly events: ClusterEvents) {
    this.topics = clusterTopics(options.prefix, options.group);
    this.now = options.now ?? Date.now;
    this.assetSet = new Set(options.assets);
    this.book = new AssetStateBook(options.memberId);
  }

  get memberId(): string {
    return this.options.memberId;
  }

  /** The will to give the MQTT connection: the broker clears this member's record when it vanishes. */
  get will(): { topic: string; payload: string; qos: 1; retain: true } {
    return { topic: this.topics.member(this.options.memberId), payload: '', qos: 1, retain: true };
  }

  summary(): ClusterSummary {
    let owned = 0;
    let waiting = 0;
    for (const h of this.holdings.values()) {
      if (h.mode === 'waiting') waiting++;
      else if (h.mode === 'live' || h.mode === 'releasing') owned++;
    }
    return { phase: this.phase, memberId: this.options.memberId, members: this.view.length, assets: this.assetSet.size, owned, waiting };
  }

  /** The assets this member processes now (live or about to hand over). */
  ownedAssets(): string[] {
    return [...this.holdings.values()].filter((h) => h.mode === 'live' || h.mode === 'releasing').map((h) => h.asset);
  }

  /** Joins: reads the members and states (retained), announces itself, takes its assets. Call once connected. */
  async start(): Promise<void> {
    if (this.phase !== 'idle') return;
    this.phase = 'joining';
    const o = this.options;
    this.controls.push(
      this.transport.subscribe(this.topics.members, 1, (topic, payload) => this.onMemberRecord(topic, payload)),
      this.transport.subscribe(this.topics.ready, 1, (_topic, payload) => this.onReady(payload)),
      this.transport.subscribe(this.topics.released, 1, (_topic, payload) => this.onReleased(payload)),
      this.transport.subscribe(this.topics.fence(o.memberId), 1, (_topic, payload) => this.onFence(payload)),
      // QoS 0: a flood of state messages must not fill the broker's QoS 1 queue for this client and
      // push out the member records and handover messages (Mosquitto drops beyond max_queued_messages).
      this.transport.subscribe(`${o.prefix}/${'+/'.repeat(o.assetLevels)}state`, 0, (topic, payload) => this.onState(topic, payload)),
    );
    // The fence's PUBACK comes after the retained member records and states of those subscriptions.
    await this.transport.publish(this.topics.fence(o.memberId), '', { qos: 1 });
    if (this.phase !== 'joining') return;
    await this.announce();
    if (this.phase !== 'joining') return;
    this.phase = 'active';
    this.recompute(true);
    if (o.stateIntervalMs > 0) {
      this.flushTimer = setInterval(() => this.flushStates(), o.stateIntervalMs);
      this.flushTimer.unref();
    }
    this.watchTimer = setInterval(() => this.checkWaiting(), 200);
    this.watchTimer.unref();
  }

  /** After a lost connection came back: the will may have cleared our record, so announce again. */
  async rejoin(): Promise<void> {
    if (this.phase !== 'active') return;
    await this.announce();
    this.lastReadyKey = '';
    this.recompute();
  }

  /** Records a sample this member delivered, for its asset's published state. */
  observe(sample: TwinSample): void {
    const h = this.holdings.get(sample.asset);
    if (h && (h.mode === 'live' || h.mode === 'releasing')) this.book.observe(sample);
  }

  /**
   * Leaves gracefully: announces it, hands every asset to its new owner (bounded by the handover
   * timeout), clears its record. From the first moment on, samples are forwarded, not processed.
   */
  leave(): Promise<void> {
    if (this.leaving) return this.leaving;
    this.leaving = this.doLeave();
    return this.leaving;
  }

  /** Stops without a handover (connection already gone): timers and subscriptions only. */
  dispose(): void {
    this.phase = 'left';
    clearInterval(this.flushTimer);
    clearInterval(this.watchTimer);
    for (const unsubscribe of this.controls.splice(0)) unsubscribe();
    for (const h of this.holdings.values()) h.unsubscribe();
    this.holdings.clear();
  }

  private async doLeave(): Promise<void> {
    const wasActive = this.phase === 'active';
    this.phase = 'leaving';
    if (!wasActive) return this.dispose();
    const deadline = this.now() + this.options.handoverTimeoutMs;
    try {
      await withTimeout(this.transport.publish(this.topics.member(this.options.memberId),
        JSON.stringify({ id: this.options.memberId, state: 'leaving', since: this.now() }), { qos: 1, retain: true }), this.options.handoverTimeoutMs);
      this.recompute();
      while (this.holdings.size > 0 && this.now() < deadline) await sleep(5);
      const left = [...this.holdings.values()].filter((h) => h.mode !== 'released');
      if (left.length > 0) await this.release(left, null);
      await withTimeout(Promise.all([...this.releases]), this.options.handoverTimeoutMs);
      await withTimeout(this.transport.publish(this.topics.member(this.options.memberId), '', { qos: 1, retain: true }), 2000);
    } catch (err) {
      this.events.onProblem?.(err as Error);
    } finally {
      this.dispose();
    }
  }

  private announce(): Promise<void> {
    const record = { id: this.options.memberId, state: 'active', since: this.now() };
    return this.transport.publish(this.topics.member(this.options.memberId), JSON.stringify(record), { qos: 1, retain: true });
  }

  // --- messages from the broker ------------------------------------------------------------

  private onMemberRecord(topic: string, payload: Buffer): void {
    const id = topic.slice(topic.lastIndexOf('/') + 1);
    if (id === this.options.memberId) return; // our own state is what we know, not what the broker echoes
    try {
      const record = decodeMemberRecord(payload);
      if (record) this.records.set(id, record.state);
      else {
        this.records.delete(id);
        this.readyOf.delete(id);
      }
    } catch (err) {
      this.events.onProblem?.(err as Error);
      return;
    }
    if (this.phase === 'active' || this.phase === 'leaving') this.recompute();
  }

  private onReady(payload: Buffer): void {
    try {
      const ready = decodeReady(payload);
      if (ready.from === this.options.memberId) return;
      this.readyOf.set(ready.from, viewKey(ready.view));
    } catch (err) {
      this.events.onProblem?.(err as Error);
      return;
    }
    this.tryReleases();
  }

  private onReleased(payload: Buffer): void {
    let released;
    try {
      released = decodeReleased(payload);
    } catch (err) {
      this.events.onProblem?.(err as Error);
      return;
    }
    if (released.from === this.options.memberId) return;
    for (const asset of released.assets) {
      if (!this.assetSet.has(asset)) continue;
      const state = released.states[asset];
      const h = this.holdings.get(asset);
      if (typeof state === 'object' && state !== null && (!h || h.mode === 'waiting')) this.cache.set(asset, state);
    }
    if (released.to !== this.options.memberId) return;
    const forwarded = new Map<string, Array<[string, Buffer]>>();
    for (const [topic, base64, asset] of released.forwarded) {
      let list = forwarded.get(asset);
      if (!list) forwarded.set(asset, (list = []));
      list.push([topic, Buffer.from(base64, 'base64')]);
    }
    for (const asset of released.assets) {
      const h = this.holdings.get(asset);
      if (h?.mode === 'waiting') this.finishWaiting(h, forwarded.get(asset) ?? []);
      else for (const [topic, message] of forwarded.get(asset) ?? []) this.events.onSample(asset, topic, message);
    }
    this.events.onChange?.();
  }

  private onState(topic: string, payload: Buffer): void {
    const asset = assetOfStateTopic(this.options.prefix, topic);
    if (asset === undefined || !this.assetSet.has(asset)) return;
    const h = this.holdings.get(asset);
    if (h && h.mode !== 'waiting') return; // we write this one
    if (payload.length === 0) this.cache.delete(asset);
    else this.cache.set(asset, payload);
  }

  // --- ownership ---------------------------------------------------------------------------

  private recompute(first = false): void {
    const me = this.options.memberId;
    const others = [...this.records].filter(([, state]) => state === 'active').map(([id]) => id);
    const previous = first ? [...others].sort() : this.view;
    const view = (this.phase === 'active' ? [...others, me] : others).sort();
    this.view = view;
    for (const asset of this.options.assets) {
      const owner = ownerOf(asset, view);
      const h = this.holdings.get(asset);
      if (owner === me) {
        if (!h) {
          const before = ownerOf(asset, previous);
          if (before !== undefined && before !== me && this.records.has(before)) this.hold(asset, before);
          else this.take(asset);
        } else if (h.mode === 'releasing') {
          h.mode = 'live';
          h.releaseTo = undefined;
        } else if (h.mode === 'waiting' && h.waitingFor !== undefined && !this.records.has(h.waitingFor)) {
          this.finishWaiting(h, []); // the old owner vanished: its last retained state is all there is
        }
      } else if (h && h.mode !== 'released') {
        if (h.mode === 'waiting') this.finishWaiting(h, []);
        h.mode = 'releasing';
        h.releaseTo = owner ?? null;
      }
    }
    if (this.phase === 'active') {
      const key = viewKey(view);
      if (key !== this.lastReadyKey) {
        this.lastReadyKey = key;
        this.transport.publish(this.topics.ready, JSON.stringify({ from: me, view }), { qos: 1 }).catch((err: Error) => this.events.onProblem?.(err));
      }
    }
    this.tryReleases();
    this.events.onChange?.();
  }

  private subscribeAsset(holding: Holding): void {
    const filter = `$share/${this.options.group}/${this.options.filterOf(holding.asset)}`;
    holding.unsubscribe = this.transport.subscribe(filter, this.options.qos, (topic, payload) => {
      if (holding.mode === 'waiting') {
        holding.buffer.push([topic, payload]);
        if (++this.buffered > MAX_BUFFERED) this.finishWaiting(holding, []);
      } else if (this.phase === 'leaving' || holding.mode === 'released') {
        holding.forward.push([topic, payload]);
      } else {
        this.events.onSample(holding.asset, topic, payload);
      }
    });
  }

  private newHolding(asset: string, mode: HoldingMode): Holding {
    return { asset, mode, unsubscribe: () => undefined, buffer: [], forward: [], since: this.now() };
  }

  /** Takes an asset nobody holds: restore from the last state seen, then subscribe. */
  private take(asset: string): void {
    const h = this.newHolding(asset, 'live');
    this.holdings.set(asset, h);
    this.restore(asset);
    this.subscribeAsset(h);
  }

  /** Subscribes an asset another member still holds; its samples wait for that member's release. */
  private hold(asset: string, from: string): void {
    const h = this.newHolding(asset, 'waiting');
    h.waitingFor = from;
    this.holdings.set(asset, h);
    this.subscribeAsset(h);
  }

  private finishWaiting(h: Holding, forwarded: Array<[string, Buffer]>): void {
    if (h.mode !== 'waiting') return;
    h.mode = 'live';
    h.waitingFor = undefined;
    this.restore(h.asset);
    const buffer = h.buffer;
    h.buffer = [];
    this.buffered -= buffer.length;
    for (const [topic, payload] of forwarded) this.events.onSample(h.asset, topic, payload);
    for (const [topic, payload] of buffer) this.events.onSample(h.asset, topic, payload);
  }

  private restore(asset: string): void {
    const cached = this.cache.get(asset);
    this.cache.delete(asset);
    let state: AssetState | undefined;
    try {
      state = cached === undefined ? undefined : decodeAssetState(asset, cached);
    } catch (err) {
      this.events.onProblem?.(err as Error);
    }
    this.book.restore(asset, state);
    if (state && state.signals.size > 0) this.events.onRestore(asset, state);
  }

  private checkWaiting(): void {
    const limit = this.now() - 2 * this.options.handoverTimeoutMs;
    for (const h of this.holdings.values()) {
      if (h.mode === 'waiting' && h.since < limit) {
        this.events.onProblem?.(new Error(`no release of ${h.asset} from ${h.waitingFor} in time: restored from the last state seen`));
        this.finishWaiting(h, []);
      }
    }
  }

  // --- releasing ---------------------------------------------------------------------------

  private tryReleases(): void {
    const key = viewKey(this.view);
    const byTarget = new Map<string | null, Holding[]>();
    for (const h of this.holdings.values()) {
      if (h.mode !== 'releasing') continue;
      const to = h.releaseTo ?? null;
      if (to !== null && this.readyOf.get(to) !== key) continue;
      let list = byTarget.get(to);
      if (!list) byTarget.set(to, (list = []));
      list.push(h);
    }
    for (const [to, list] of byTarget) {
      const releasing = this.release(list, to).catch((err: Error) => this.events.onProblem?.(err));
      this.releases.add(releasing);
      void releasing.then(() => this.releases.delete(releasing));
    }
  }

  private async release(list: Holding[], to: string | null): Promise<void> {
    for (const h of list) h.mode = 'released';
    await withTimeout(Promise.all(list.map((h) => Promise.resolve(h.unsubscribe(true)))), this.options.handoverTimeoutMs);
    // After the UNSUBACK Mosquitto still sends what it had queued for us beyond its in-flight window
    // (a member lagging behind): a message we send ourselves comes after all of it. Until then those
    // samples go on arriving (released: into h.forward) and travel with the release.
    await this.fence(this.options.handoverTimeoutMs);
    const now = this.now();
    const states: Record<string, unknown> = {};
    const forwarded: Array<[string, string, string]> = [];
    const publishes: Array<Promise<void>> = [];
    for (const h of list) {
      const state = this.book.stateOf(h.asset, now);
      if (state) {
        states[h.asset] = assetStateObject(state);
        if (this.options.stateIntervalMs > 0) {
          publishes.push(this.transport.publish(stateTopic(this.options.prefix, h.asset), encodeAssetState(state), { qos: 1, retain: true }));
        }
      }
      for (const [topic, payload] of h.forward) forwarded.push([topic, payload.toString('base64'), h.asset]);
      this.book.forget(h.asset);
    }
    const message = JSON.stringify({ from: this.options.memberId, to, assets: list.map((h) => h.asset), states, forwarded });
    publishes.push(this.transport.publish(this.topics.released, message, { qos: 1 }));
    try {
      await withTimeout(Promise.all(publishes), this.options.handoverTimeoutMs);
    } finally {
      for (const h of list) {
        h.unsubscribe(); // ends the drain
        if (this.holdings.get(h.asset) === h) this.holdings.delete(h.asset);
      }
      this.events.onChange?.();
      // Ownership may have changed back while we were releasing.
      if (this.phase === 'active') this.recompute();
    }
  }

  /** Resolves when a message this member sends itself has come back (see release()), or after `timeoutMs`. */
  private fence(timeoutMs: number): Promise<void> {
    const token = `${this.options.memberId}:${++this.fences}`;
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.fenceWaiters.set(token, done);
      this.transport.publish(this.topics.fence(this.options.memberId), token, { qos: 1 }).catch((err: Error) => {
        done();
        this.events.onProblem?.(err);
      });
    }).finally(() => this.fenceWaiters.delete(token));
  }

  private onFence(payload: Buffer): void {
    this.fenceWaiters.get(payload.toString())?.();
  }

  private flushStates(): void {
    if (this.flushing) return; // the last round is still being written: this one waits for the next tick
    const now = this.now();
    const changed = this.book.takeChanged(now);
    this.flushing = (async () => {
      // In slices, each written before the next, so thousands of assets do not pile up on the socket.
      for (let i = 0; i < changed.length && this.phase !== 'left'; i += 100) {
        const writes: Array<Promise<void>> = [];
        for (const state of changed.slice(i, i + 100)) {
          const h = this.holdings.get(state.asset);
          if (!h || (h.mode !== 'live' && h.mode !== 'releasing')) continue;
          // QoS 0: a lost periodic state is replaced by the next one; the handover carries its own.
          writes.push(this.transport.publish(stateTopic(this.options.prefix, state.asset), encodeAssetState(state), { qos: 0, retain: true }));
        }
        await Promise.all(writes);
      }
    })().catch((err: Error) => this.events.onProblem?.(err)).finally(() => { this.flushing = undefined; });
  }
}
