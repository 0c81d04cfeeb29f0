import { randomBytes } from 'node:crypto';
import { connect as mqttConnect, Store } from 'mqtt';
import type { IClientOptions, IConnackPacket, IPublishPacket, MqttClient } from 'mqtt';
import { ConfigError, ConnectionError, InputError } from '../errors';
import { BackoffOptions, ConnectionStateMachine, backoffDelay, defaultBackoff } from './connection-state';
import { publishTopicProblem, stripSharePrefix, subscriptionIdentifierFor, topicFilterProblem, topicMatchesFilter } from './mqtt-topic';

export { topicMatchesFilter } from './mqtt-topic';

export interface MqttSourceOptions {
  url: string; // mqtt://, mqtts://, ws://, wss://
  clientId: string; // '' → 'twinloop_' + random; a persistent session needs a fixed id
  protocolVersion: 4 | 5;
  username?: string;
  password?: string;
  tls?: { ca?: string; cert?: string; key?: string; passphrase?: string; rejectUnauthorized: boolean };
  keepaliveS: number;
  persistentSession: boolean;
  sessionExpiryS?: number;
  backoff?: BackoffOptions;
  /** Last will: published by the broker when the connection ends without a DISCONNECT. */
  will?: MqttWill;
}

export interface MqttWill { topic: string; payload: string | Buffer; qos: 0 | 1 | 2; retain: boolean }

export interface MqttDelivery { qos: 0 | 1 | 2; retain: boolean; duplicate: boolean }

export type MqttMessageHandler = (topic: string, payload: Buffer, delivery: MqttDelivery) => void;

type Qos = 0 | 1 | 2;

interface ReceivedMessage { topic: string; payload: Buffer; delivery: MqttDelivery }

interface Subscriber {
  onMessage: MqttMessageHandler;
  active: boolean;
  /** Non-null while held messages are being handed over; live messages queue behind them. */
  backlog: ReceivedMessage[] | null;
}

/** One subscription at the broker, shared by every subscriber of the same filter. */
interface BrokerSubscription {
  filter: string;
  /** The filter used for matching: `$share/<group>/` removed. */
  matchFilter: string;
  qos: Qos;
  id: number;
  subscribers: Set<Subscriber>;
  /** QoS sent to the broker in the current session; undefined when the broker does not have it. */
  sentQos: Qos | undefined;
}

export const HOLD_LIMIT = 10_000;
export const HOLD_WINDOW_MS = 10_000;
/** How long a drained subscription takes late messages when nobody ends it. */
export const DRAIN_LINGER_MS = 30_000;
const CLOSE_TIMEOUT_MS = 4_000;
const STABLE_CONNECTION_MS = 10_000;
const SCHEMES = new Set(['mqtt:', 'mqtts:', 'ws:', 'wss:']);

/** CONNACK codes that retrying cannot fix (3.1.1 return codes and MQTT 5 reason codes). */
const FATAL_CONNACK: Record<number, string> = {
  1: 'protocol version refused', 2: 'client id rejected', 4: 'bad credentials', 5: 'bad credentials',
  132: 'protocol version refused', 133: 'client id rejected', 134: 'bad credentials',
  135: 'bad credentials', 138: 'client banned', 140: 'bad auth method',
};
const UNREACHABLE = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'ECONNRESET', 'EPIPE']);

/**
 * One MQTT broker connection shared by every twin-source node that reads from it.
 *
 * Reconnecting: mqtt.js's own timer is switched off (`reconnectPeriod: 0`, it only knows a fixed
 * period); after every lost or failed attempt this class waits `backoffDelay(attempt)` and calls
 * `client.reconnect()` itself, keeping the same message stores so unacknowledged QoS 1/2
 * publishes are resent. The state stays `reconnecting` (with the delay) until the next CONNACK.
 *
 * Held messages: with a persistent session the broker sends queued messages right after CONNACK,
 * often before the nodes have called subscribe(). A message no handler wants is held (at most
 * 10,000, oldest dropped first) until 10 s after the connection came up, and handed, in arrival
 * order, to the first subscribe() whose filter matches it. After that window it is dropped.
 *
 * Routing: MQTT 5 subscriptions carry a subscription identifier derived from the filter (the same
 * in every process, so messages queued for an earlier run route correctly), so a message goes
 * only to the handlers of the subscription it was sent for. MQTT 3.1.1 has no identifiers: each
 * copy goes to every handler whose filter matches. Mosquitto sends one copy for overlapping
 * filters; a broker that sends one per matching subscription (allowed by 3.1.1) makes those
 * handlers see the message twice. The same filter subscribed twice is one broker subscription at
 * the highest QoS asked; the broker sends retained messages only for the first subscribe().
 */
export class MqttConnection {
  readonly state = new ConnectionStateMachine();
  private readonly options: MqttSourceOptions;
  private readonly backoff: BackoffOptions;
  private client: MqttClient | undefined;
  // Reused across reconnects so in-flight QoS 1/2 publishes survive a lost connection.
  private readonly incomingStore = new Store();
  private readonly outgoingStore = new Store();
  private readonly subscriptions = new Map<string, BrokerSubscription>();
  /** Unsubscribed with drain: still routed until ended, so nothing the broker sent us is lost. */
  private readonly draining = new Map<BrokerSubscription, () => void>();
  /** MQTT 5 routing: subscription identifier → subscriptions (thousands of filters stay fast). */
  private readonly byId = new Map<number, Set<BrokerSubscription>>();
  private readonly pendingUnsubscribes = new Set<string>();
  private readonly pendingPublishes = new Set<(err?: Error) => void>();
  private held: ReceivedMessage[] = [];
  private holdUntil = 0;
  private holdTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private attempt = 0;
  private connectedAt = 0;
  /** True between our handling of `connect` and the next `close`: subscriptions may be sent. */
  private brokerReady = false;
  private wasUp = false;
  private lastProblem: string | undefined;
  private fatalProblem: string | undefined;
  private closing: Promise<void> | undefined;

  constructor(options: MqttSourceOptions) {
    const problem = optionsProblem(options);
    if (problem) throw new ConfigError(problem[0], problem[1]);
    this.options = {
      ...options,
      clientId: options.clientId || `twinloop_${randomBytes(6).toString('hex')}`,
      keepaliveS: options.keepaliveS ?? 60,
    };
    this.backoff = options.backoff ?? defaultBackoff;
  }

  /** Starts connecting (again, after `failed`). Never throws: every failure shows in `state`. */
  connect(): void {
    if (this.closing) return;
    if (this.client && this.state.state.name !== 'failed') return;
    this.fatalProblem = undefined;
    this.lastProblem = undefined;
    this.attempt = 0;
    this.state.transition('connecting');
    try {
      if (this.client) {
        this.client.reconnect({ incomingStore: this.incomingStore, outgoingStore: this.outgoingStore });
      } else {
        this.client = mqttConnect(this.options.url, this.clientOptions());
        this.listen(this.client);
      }
    } catch (err) {
      this.state.transition('failed', { reason: 'cannot connect' });
      process.emitWarning(`MQTT ${this.options.url}: ${(err as Error).message}`);
    }
  }

  /**
   * Returns the unsubscribe function. `unsubscribe(true)` (drain) keeps delivering what the broker
   * sent before it took the UNSUBSCRIBE and resolves at the UNSUBACK (at once when offline). Mosquitto
   * still sends, after the UNSUBACK, what it had queued for this client beyond its in-flight window:
   * those go on reaching the subscriber until the function is called once more (or DRAIN_LINGER_MS).
   */
  subscribe(filter: string, qos: Qos, onMessage: MqttMessageHandler): (drain?: boolean) => Promise<void> {
    const problem = topicFilterProblem(filter);
    if (problem) throw new ConfigError('bad topic filter', `${filter}: ${problem}`);
    if (qos !== 0 && qos !== 1 && qos !== 2) throw new ConfigError('bad QoS', `QoS must be 0, 1 or 2, got ${qos}`);
    if (this.closing) return () => Promise.resolve();
    const subscriber: Subscriber = { onMessage, active: true, backlog: null };
    let subscription = this.subscriptions.get(filter);
    if (!subscription) {
      subscription = {
        filter, matchFilter: stripSharePrefix(filter), qos, id: subscriptionIdentifierFor(filter),
        subscribers: new Set(), sentQos: undefined,
      };
      this.subscriptions.set(filter, subscription);
      this.indexSubscription(subscription);
      this.pendingUnsubscribes.delete(filter);
    } else if (qos > subscription.qos) {
      subscription.qos = qos;
    }
    subscription.subscribers.add(subscriber);
    if (this.brokerReady && subscription.sentQos !== subscription.qos) this.sendSubscribe(subscription);
    this.handOverHeld(subscription.matchFilter, subscriber);
    const owner = subscription;
    return (drain = false) => this.unsubscribe(owner, subscriber, drain);
  }

  /** Sets the last will for the next connect; false when already connected (it applies from the next session). */
  setWill(will: MqttWill | undefined): boolean {
    this.options.will = will;
    return this.client === undefined;
  }

  publish(topic: string, payload: string | Buffer, options: { qos?: Qos; retain?: boolean } = {}): Promise<void> {
    if (this.closing) return Promise.reject(new ConnectionError('connection closed'));
    const client = this.client;
    const stateName = this.state.state.name;
    if (!client || stateName === 'failed' || stateName === 'idle') {
      return Promise.reject(new ConnectionError('not connected', `cannot publish to ${topic}: ${stateName}`));
    }
    const problem = publishTopicProblem(topic);
    if (problem) return Promise.reject(new InputError('bad topic', problem, topic));
    return new Promise<void>((resolve, reject) => {
      // Settled once: by the broker's acknowledgement or by close(), whichever comes first.
      const settle = (err?: Error) => this.pendingPublishes.delete(settle) && (err ? reject(err) : resolve());
      this.pendingPublishes.add(settle);
      client.publish(topic, payload, { qos: options.qos ?? 0, retain: options.retain ?? false }, (err) =>
        settle(err && new ConnectionError('publish failed', `${topic}: ${err.message}`)));
    });
  }

  /** Stops for good: no reconnect, no more messages. Resolves once the socket is released (≤ 5 s). */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    clearTimeout(this.retryTimer);
    clearTimeout(this.holdTimer);
    this.retryTimer = this.holdTimer = undefined;
    this.held = [];
    for (const settle of [...this.pendingPublishes]) settle(new ConnectionError('connection closed'));
    for (const subscription of this.subscriptions.values()) {
      for (const subscriber of subscription.subscribers) subscriber.active = false;
    }
    this.subscriptions.clear();
    this.byId.clear();
    for (const settle of [...this.draining.values()]) settle();
    const client = this.client;
    const graceful = this.brokerReady && client !== undefined && Object.keys(client.outgoing).length === 0;
    this.brokerReady = false;
    this.closing = new Promise<void>((resolve) => {
      if (!client) return resolve();
      // A broker that never answers our DISCONNECT must not keep the socket open.
      const hardStop = setTimeout(() => {
        client.stream?.destroy();
        resolve();
      }, CLOSE_TIMEOUT_MS);
      client.end(!graceful, () => {
        clearTimeout(hardStop);
        resolve();
      });
    });
    // Last, so a state listener that calls connect() or subscribe() finds everything closed.
    this.state.transition('closed');
    return this.closing;
  }

  private clientOptions(): IClientOptions {
    const o = this.options;
    const persistent = o.persistentSession;
    return {
      clientId: o.clientId, protocolVersion: o.protocolVersion, keepalive: o.keepaliveS,
      username: o.username, password: o.password,
      clean: !persistent,
      properties: o.protocolVersion === 5 && persistent ? { sessionExpiryInterval: o.sessionExpiryS ?? 3600 } : undefined,
      reconnectPeriod: 0, // our own backoff, see the class comment
      resubscribe: false, // we restore subscriptions ourselves, knowing sessionPresent
      connectTimeout: 30_000,
      incomingStore: this.incomingStore, outgoingStore: this.outgoingStore,
      // Once closing, a QoS 1/2 message that still arrives is not acknowledged (and not delivered):
      // the broker keeps it in the persistent session and sends it again to the next connection.
      customHandleAcks: (_topic, _payload, _packet, acknowledge) => {
        if (!this.closing) acknowledge(0);
      },
      will: o.will ? { topic: o.will.topic, payload: Buffer.from(o.will.payload), qos: o.will.qos, retain: o.will.retain } : undefined,
      ...o.tls, // ca, cert, key (PEM), passphrase and rejectUnauthorized; only used by mqtts:// and wss://
    };
  }

  private listen(client: MqttClient): void {
    client.on('connect', (connack: IConnackPacket) => this.onConnected(connack));
    client.on('close', () => this.onConnectionClosed());
    client.on('error', (err: Error & { code?: string | number }) => this.onError(err));
    client.on('disconnect', (packet) => {
      // MQTT 5 broker-initiated DISCONNECT; 142 = another client took over our client id.
      this.lastProblem = packet.reasonCode === 142 ? 'client id in use elsewhere' : 'broker disconnected us';
    });
    client.on('message', (topic: string, payload: Buffer, packet: IPublishPacket) => this.onMessage(topic, payload, packet));
  }

  private onConnected(connack: IConnackPacket): void {
    if (this.closing) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.connectedAt = Date.now();
    this.wasUp = true;
    this.lastProblem = undefined;
    this.brokerReady = true;
    this.holdUntil = Date.now() + HOLD_WINDOW_MS;
    clearTimeout(this.holdTimer);
    this.holdTimer = setTimeout(() => this.dropExpiredHeld(), HOLD_WINDOW_MS + 10);
    this.holdTimer.unref();
    this.state.transition('connected');
    if (!connack.sessionPresent) {
      // A fresh session has no subscriptions at all: everything must be subscribed again.
      this.pendingUnsubscribes.clear();
      for (const subscription of this.subscriptions.values()) subscription.sentQos = undefined;
    }
    for (const filter of this.pendingUnsubscribes) this.client?.unsubscribe(filter);
    this.pendingUnsubscribes.clear();
    for (const subscription of this.subscriptions.values()) {
      if (subscription.sentQos !== subscription.qos) this.sendSubscribe(subscription);
    }
  }

  private onError(err: Error & { code?: string | number }): void {
    if (this.wasUp) return; // a drop while connected is reported as "connection lost"
    if (typeof err.code === 'number' && err.message.startsWith('Connection refused')) {
      const fatal = FATAL_CONNACK[err.code];
      if (fatal) this.fatalProblem = fatal;
      else this.lastProblem = `broker refused (code ${err.code})`;
    } else if (typeof err.code === 'string') {
      if (UNREACHABLE.has(err.code)) this.lastProblem = 'broker unreachable';
      else if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') this.lastProblem = 'broker host not found';
      else if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/.test(err.code)) {
        this.fatalProblem = 'certificate not trusted';
      } else this.lastProblem = 'connection error';
    } else if (err.message === 'connack timeout') this.lastProblem = 'broker not answering';
  }

  private onConnectionClosed(): void {
    this.brokerReady = false;
    for (const settle of [...this.draining.values()]) settle();
    if (this.closing || this.retryTimer) return;
    if (this.fatalProblem) {
      // No retry loop: bad credentials stay bad until someone changes the configuration.
      this.state.transition('failed', { reason: this.fatalProblem });
      return;
    }
    const reason = this.lastProblem ?? (this.wasUp ? 'connection lost' : 'broker unreachable');
    // Backoff restarts only after a connection that held: a flapping one (e.g. two flows with the
    // same client id taking the session from each other) keeps backing off.
    if (this.wasUp && Date.now() - this.connectedAt >= STABLE_CONNECTION_MS) this.attempt = 0;
    this.wasUp = false;
    const delay = backoffDelay(this.attempt++, this.backoff);
    this.state.transition('reconnecting', { reason, retryInMs: delay });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.closing || !this.client) return;
      this.client.reconnect({ incomingStore: this.incomingStore, outgoingStore: this.outgoingStore });
    }, delay);
  }

  private sendSubscribe(subscription: BrokerSubscription): void {
    const client = this.client;
    const qos = subscription.qos;
    if (!client) return;
    subscription.sentQos = qos;
    const properties = this.options.protocolVersion === 5 ? { subscriptionIdentifier: subscription.id } : undefined;
    client.subscribe(subscription.filter, { qos, properties }, (err, granted) => {
      const refused = !err && granted?.some((grant) => grant.qos >= 0x80);
      if (err || refused) {
        // Not on the broker: try again at the next connect.
        if (subscription.sentQos === qos) subscription.sentQos = undefined;
        if (refused) process.emitWarning(`MQTT broker refused the subscription to ${subscription.filter}`);
      }
    });
  }

  private indexSubscription(subscription: BrokerSubscription): void {
    let set = this.byId.get(subscription.id);
    if (!set) this.byId.set(subscription.id, (set = new Set()));
    set.add(subscription);
  }

  private unindexSubscription(subscription: BrokerSubscription): void {
    const set = this.byId.get(subscription.id);
    set?.delete(subscription);
    if (set?.size === 0) this.byId.delete(subscription.id);
  }

  private unsubscribe(subscription: BrokerSubscription, subscriber: Subscriber, drain: boolean): Promise<void> {
    // Called again while draining (a drain has one subscriber): no more late messages.
    const endDrain = this.draining.get(subscription);
    if (endDrain) {
      endDrain();
      return Promise.resolve();
    }
    if (!subscriber.active) return Promise.resolve();
    const last = subscription.subscribers.size === 1 && this.subscriptions.get(subscription.filter) === subscription;
    const client = this.client;
    if (drain && last && this.brokerReady && client) {
      this.subscriptions.delete(subscription.filter);
      return new Promise<void>((resolve) => {
        let linger: NodeJS.Timeout | undefined;
        // Ends the drain for good: no more late messages for this subscriber.
        const settle = (): void => {
          clearTimeout(linger);
          resolve();
          if (!this.draining.delete(subscription)) return;
          subscriber.active = false;
          subscription.subscribers.delete(subscriber);
          this.unindexSubscription(subscription);
        };
        this.draining.set(subscription, settle);
        client.unsubscribe(subscription.filter, () => {
          resolve();
          if (!this.draining.has(subscription)) return;
          linger = setTimeout(settle, DRAIN_LINGER_MS);
          linger.unref();
        });
      });
    }
    subscriber.active = false;
    subscription.subscribers.delete(subscriber);
    if (subscription.subscribers.size > 0 || this.subscriptions.get(subscription.filter) !== subscription) return Promise.resolve();
    this.subscriptions.delete(subscription.filter);
    this.unindexSubscription(subscription);
    // Told to the broker a moment later, and not at all when the connection closes meanwhile: Node-RED
    // closes a flow's nodes before its config nodes in one go, so on a redeploy or a restart the
    // persistent session keeps the subscription and the broker queues the samples for the next run.
    setImmediate(() => {
      if (this.closing || this.subscriptions.has(subscription.filter)) return;
      if (this.brokerReady) this.client?.unsubscribe(subscription.filter);
      // Offline: a persistent session still holds the subscription, so drop it once we are back.
      else if (this.options.persistentSession) this.pendingUnsubscribes.add(subscription.filter);
    });
    return Promise.resolve();
  }

  private onMessage(topic: string, payload: Buffer, packet: IPublishPacket): void {
    if (this.closing) return;
    const message = { topic, payload, delivery: { qos: packet.qos, retain: packet.retain, duplicate: packet.dup } };
    const receivers = this.receiversOf(topic, packet.properties?.subscriptionIdentifier);
    if (receivers.length > 0) {
      for (const subscriber of receivers) this.deliver(subscriber, message);
    } else if (!this.brokerReady || Date.now() < this.holdUntil) {
      this.held.push(message);
      if (this.held.length > HOLD_LIMIT) this.held.shift();
    }
  }

  private receiversOf(topic: string, ids: number | number[] | undefined): Subscriber[] {
    let candidates: BrokerSubscription[] | undefined;
    if (ids !== undefined) {
      const idList = Array.isArray(ids) ? ids : [ids];
      const known: BrokerSubscription[] = [];
      for (const id of idList) for (const s of this.byId.get(id) ?? []) known.push(s);
      // Unknown identifiers (a subscription from an earlier configuration): fall back to matching.
      if (known.length > 0) candidates = known;
    }
    candidates ??= [...this.subscriptions.values(), ...this.draining.keys()];
    const receivers: Subscriber[] = [];
    for (const subscription of candidates) {
      // A filter subscribed again while its old subscription drains: the new one receives.
      if (this.draining.has(subscription) && this.subscriptions.has(subscription.filter)) continue;
      if (topicMatchesFilter(subscription.matchFilter, topic)) receivers.push(...subscription.subscribers);
    }
    return receivers;
  }

  private deliver(subscriber: Subscriber, message: ReceivedMessage): void {
    if (!subscriber.active) return;
    if (subscriber.backlog) {
      subscriber.backlog.push(message);
      return;
    }
    try {
      subscriber.onMessage(message.topic, message.payload, message.delivery);
    } catch (err) {
      // One faulty handler must not stop delivery to the others or break the MQTT client.
      process.emitWarning(`MQTT message handler for ${message.topic} threw: ${(err as Error).message}`);
    }
  }

  private handOverHeld(matchFilter: string, subscriber: Subscriber): void {
    if (this.held.length === 0) return;
    const claimed: ReceivedMessage[] = [];
    const kept: ReceivedMessage[] = [];
    for (const message of this.held) {
      (topicMatchesFilter(matchFilter, message.topic) ? claimed : kept).push(message);
    }
    if (claimed.length === 0) return;
    this.held = kept;
    // Delivered after subscribe() returns, so the caller has its unsubscribe function first.
    subscriber.backlog = claimed;
    process.nextTick(() => {
      const backlog = subscriber.backlog ?? [];
      subscriber.backlog = null;
      for (let i = 0; i < backlog.length; i++) this.deliver(subscriber, backlog[i]);
    });
  }

  private dropExpiredHeld(): void {
    this.holdTimer = undefined;
    // Not while a newer connection is between CONNACK and `connect`: those messages are its own.
    if (this.brokerReady && Date.now() >= this.holdUntil) this.held = [];
  }
}

function optionsProblem(o: MqttSourceOptions): [string, string] | undefined {
  const url = URL.canParse(String(o.url)) ? new URL(o.url) : undefined;
  if (!url) return ['bad broker url', `not a URL: ${String(o.url)}`];
  if (!SCHEMES.has(url.protocol)) return ['bad broker url', `${o.url}: use mqtt://, mqtts://, ws:// or wss://`];
  if (!url.hostname) return ['bad broker url', `${o.url}: no host`];
  if (o.protocolVersion !== 4 && o.protocolVersion !== 5) return ['bad MQTT version', 'protocolVersion must be 4 (3.1.1) or 5'];
  if (typeof o.clientId !== 'string') return ['bad client id', 'clientId must be a string'];
  const keepalive = o.keepaliveS ?? 60;
  if (!Number.isInteger(keepalive) || keepalive < 0 || keepalive > 65535) return ['bad keepalive', 'keepalive must be 0..65535 s'];
  const expiry = o.sessionExpiryS ?? 0;
  if (!Number.isInteger(expiry) || expiry < 0 || expiry > 0xffffffff) return ['bad session expiry', 'whole seconds, 0..4294967295'];
  const b = o.backoff;
  if (b && !(b.initialMs > 0 && b.maxMs >= b.initialMs && b.factor >= 1)) return ['bad backoff', 'need initialMs > 0, maxMs >= initialMs, factor >= 1'];
  return undefined;
}
