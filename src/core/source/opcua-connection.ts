import {
  AttributeIds,
  OPCUAClient,
  UserTokenType,
  type ClientMonitoredItemBase,
  type ClientSession,
  type ClientSubscription,
  type OPCUAClientOptions,
  type UserIdentityInfo,
} from 'node-opcua-client';
import { ConfigError, ConnectionError, TwinError } from '../errors';
import { ConnectionStateMachine, backoffDelay, defaultBackoff, type BackoffOptions } from './connection-state';
import { browseAllVariables, browseLevel, OBJECTS_FOLDER, type BrowseEntry } from './opcua-browse';
import {
  checkSecuritySettings,
  classifyAttemptFailure,
  createPkiStore,
  fetchSecuredEndpoint,
  forgetRejectedCopiesOfTrusted,
  toMessageSecurityMode,
  toSecurityPolicyUri,
  verifyServerCertificate,
  type OpcuaSecurityMode,
  type OpcuaSecurityPolicy,
  type PkiStore,
} from './opcua-security';
import { createMonitoredItems, type MonitoredItemSpec } from './opcua-monitor';
import { coerceForWrite, parseNodeId, toReading, type OpcuaReading } from './opcua-values';

export type { OpcuaSecurityMode, OpcuaSecurityPolicy } from './opcua-security';
export type { OpcuaReading } from './opcua-values';
export type { BrowseEntry } from './opcua-browse';
export type { MonitoredItemSpec } from './opcua-monitor';

export interface OpcuaSourceOptions {
  /** opc.tcp://host:port/path */
  endpointUrl: string;
  /** None requires policy None; Sign/SignAndEncrypt require a real policy (else ConfigError). */
  securityMode: OpcuaSecurityMode;
  securityPolicy: OpcuaSecurityPolicy;
  /** Both given: user name identity; otherwise anonymous. */
  username?: string;
  password?: string;
  /** PKI folder: own certificate in own/, trust list in trusted/certs/, refused ones in rejected/. */
  pkiDir: string;
  /** false: only certificates in the trust list are accepted. */
  trustOnFirstUse: boolean;
  /** Default 'TwinLoop'. */
  applicationName?: string;
  backoff?: BackoffOptions;
}

/** One client + session + subscription; a new one is built for every (re)connection. */
interface Link {
  client: OPCUAClient;
  session?: ClientSession;
  subscription?: ClientSubscription;
  /** Set by any loss event, even one that arrives while the link is still being built. */
  broken?: boolean;
  disposed?: Promise<void>;
}

interface Watch {
  items: MonitoredItemSpec[];
  onReading: (reading: OpcuaReading) => void;
  /** Monitored items on the current link; dropped (not terminated) when the link is lost. */
  created: ClientMonitoredItemBase[];
  stopped: boolean;
}

/** A connection attempt that has not finished in this time is abandoned and retried. */
const ATTEMPT_TIMEOUT_MS = 20_000;
const CLOSE_BUDGET_MS = 4_500;
const PUBLISHING_INTERVAL_MS = 250;

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}

/**
 * An OPC UA source: one server, its monitored items, browse/read/write for the editor and flows.
 *
 * Reconnection is ours, not node-opcua's (its retries are disabled): every loss tears the client
 * down and `state` goes to `reconnecting` with the backoff delay; the next attempt builds a new
 * client, session and subscription and re-creates every monitored item. So a PLC that was
 * power-cycled (new server instance, old session gone) delivers values again without any action.
 *
 * Errors: `lastError` holds the TwinError behind the latest `reconnecting` or `failed` state (set
 * before the state event is emitted, so a state listener can read it); it is null while connected.
 * `failed` (no more retries) is for what retrying cannot fix: an untrusted server certificate
 * (CertificateError, message names the certificate, its thumbprint and the trust path), bad
 * credentials (ConnectionError 'bad credentials'), settings that cannot work (ConfigError).
 */
export class OpcuaConnection {
  readonly state = new ConnectionStateMachine();
  lastError: TwinError | null = null;

  private readonly options: OpcuaSourceOptions;
  private readonly backoff: BackoffOptions;
  private pki: PkiStore | null = null;
  private pkiReady: Promise<void> | null = null;
  private link: Link | null = null;
  private readonly links = new Set<Link>();
  private readonly watches = new Set<Watch>();
  private generation = 0;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private closing: Promise<void> | null = null;

  constructor(options: OpcuaSourceOptions) {
    this.options = { ...options, applicationName: options.applicationName || 'TwinLoop' };
    this.backoff = options.backoff ?? defaultBackoff;
  }

  /** Starts connecting. Never throws: problems go into `state` and `lastError`. */
  connect(): void {
    if (this.closed) return;
    const current = this.state.state.name;
    if (current !== 'idle' && current !== 'failed') return;
    try {
      this.checkOptions();
      if (this.pki && current === 'failed') {
        // connect() again after a refusal: pick up certificates the technician trusted meanwhile
        forgetRejectedCopiesOfTrusted(this.options.pkiDir);
        const pki = this.pki;
        this.pkiReady = (this.pkiReady ?? pki.initialize()).then(() => pki.reloadCertificates());
      }
      this.pki ??= createPkiStore(this.options.pkiDir, this.options.trustOnFirstUse);
    } catch (err) {
      this.fail(err instanceof TwinError ? err : new ConfigError('bad PKI folder', `${this.options.pkiDir}: ${(err as Error).message}`));
      return;
    }
    this.failures = 0;
    void this.attempt().catch(() => undefined);
  }

  /** Watches items; they are (re)created whenever a session is (re)established. Returns stop(). */
  monitor(items: MonitoredItemSpec[], onReading: (reading: OpcuaReading) => void): () => void {
    const watch: Watch = { items: [...items], onReading, created: [], stopped: false };
    if (this.closed) return () => undefined;
    this.watches.add(watch);
    const link = this.link;
    if (link?.subscription) void this.createItems(watch, link);
    return () => {
      if (watch.stopped) return;
      watch.stopped = true;
      this.watches.delete(watch);
      const created = watch.created;
      watch.created = [];
      for (const item of created) item.terminate().catch(() => undefined);
    };
  }

  browse(nodeId: string = OBJECTS_FOLDER): Promise<BrowseEntry[]> {
    return this.withSession(async (session) => {
      parseNodeId(nodeId);
      return browseLevel(session, nodeId);
    });
  }

  browseVariables(rootNodeId: string = OBJECTS_FOLDER, maxDepth = 6, maxResults = 2000): Promise<BrowseEntry[]> {
    return this.withSession(async (session) => {
      parseNodeId(rootNodeId);
      return browseAllVariables(session, rootNodeId, maxDepth, maxResults);
    });
  }

  read(nodeId: string): Promise<OpcuaReading> {
    return this.withSession(async (session) => {
      const dataValue = await session.read({ nodeId: parseNodeId(nodeId), attributeId: AttributeIds.Value });
      return toReading(nodeId, dataValue);
    });
  }

  /** Writes with the variable's own data type (read from the server first). */
  write(nodeId: string, value: number | boolean | string): Promise<void> {
    return this.withSession(async (session) => {
      const node = parseNodeId(nodeId);
      const dataType = await session.getBuiltInDataType(node);
      const coerced = coerceForWrite(dataType, value, nodeId);
      const status = await session.write({ nodeId: node, attributeId: AttributeIds.Value, value: { value: { dataType, value: coerced } } });
      if (!status.isGood()) {
        throw new ConnectionError('write refused', `${this.options.endpointUrl}: writing ${JSON.stringify(value)} to ${nodeId} was refused: ${status.name}`);
      }
    });
  }

  /** Releases everything within 5 s; state -> closed; later protocol events are ignored. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closed = true;
    this.generation++;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.state.transition('closed');
    for (const watch of this.watches) watch.stopped = true;
    this.watches.clear();
    this.link = null;
    const links = [...this.links];
    this.closing = (async () => {
      await withTimeout(Promise.all(links.map((link) => this.disposeLink(link))), CLOSE_BUDGET_MS - 500);
      const pki = this.pki;
      if (pki) {
        // clients that did not finish disconnecting still hold a reference: release it for them
        (pki as unknown as { referenceCounter: number }).referenceCounter = 0;
        await withTimeout(pki.dispose().catch(() => undefined), 400);
      }
    })();
    return this.closing;
  }

  private checkOptions(): void {
    const { endpointUrl, securityMode, securityPolicy, pkiDir } = this.options;
    if (typeof endpointUrl !== 'string' || !/^opc\.tcp:\/\/([^\s/:[\]]+|\[[0-9a-fA-F:.]+\])(:\d{1,5})?(\/\S*)?$/.test(endpointUrl)) {
      throw new ConfigError('bad endpoint URL', `endpoint URL "${String(endpointUrl)}" is not like opc.tcp://host:4840/path`);
    }
    checkSecuritySettings(securityMode, securityPolicy);
    if (typeof pkiDir !== 'string' || pkiDir.trim() === '') throw new ConfigError('no PKI folder', 'the PKI folder path is empty');
  }

  private identity(): UserIdentityInfo {
    const { username, password } = this.options;
    if (username && password !== undefined && password !== '') return { type: UserTokenType.UserName, userName: username, password };
    return { type: UserTokenType.Anonymous };
  }

  private async attempt(): Promise<void> {
    const gen = ++this.generation;
    const isStale = () => this.closed || gen !== this.generation;
    this.retryTimer = null;
    this.state.transition('connecting');
    let link: Link | null = null;
    const watchdog = setTimeout(() => {
      if (isStale()) return;
      this.generation++;
      if (link && this.link === link) this.link = null;
      if (link) void this.disposeLink(link);
      this.retry(new ConnectionError('server not answering', `${this.options.endpointUrl}: no answer within ${ATTEMPT_TIMEOUT_MS / 1000} s`));
    }, ATTEMPT_TIMEOUT_MS);
    try {
      const pki = this.pki as PkiStore;
      this.pkiReady ??= pki.initialize();
      try {
        await this.pkiReady;
      } catch (err) {
        this.pkiReady = null;
        throw new ConfigError('PKI folder unusable', `${this.options.pkiDir}: ${(err as Error).message}`);
      }
      const { endpointUrl, securityMode, securityPolicy, applicationName } = this.options;
      const clientCertificateManager = pki as unknown as OPCUAClientOptions['clientCertificateManager'];
      const connectionStrategy = { maxRetry: 0, initialDelay: 100, maxDelay: 1000 };
      let serverCertificate: Buffer | undefined;
      if (securityMode !== 'None') {
        const endpoint = await fetchSecuredEndpoint(
          endpointUrl, securityMode, securityPolicy,
          { applicationName, clientCertificateManager, connectionStrategy }, isStale,
        );
        await verifyServerCertificate(pki, endpoint.serverCertificate);
        serverCertificate = endpoint.serverCertificate;
      }
      if (isStale()) return;

      const client = OPCUAClient.create({
        applicationName,
        clientName: applicationName,
        clientCertificateManager,
        connectionStrategy,
        securityMode: toMessageSecurityMode(securityMode),
        securityPolicy: toSecurityPolicyUri(securityPolicy),
        serverCertificate,
        endpointMustExist: false,
        keepSessionAlive: true,
        keepAliveInterval: 5000,
        requestedSessionTimeout: 60_000,
      });
      const building: Link = (link = { client });
      const check = () => {
        if (isStale()) throw new ConnectionError('closed');
        if (building.broken) throw new ConnectionError('connection lost', `${endpointUrl}: connection lost while connecting`);
      };
      this.links.add(building);
      client.on('connection_lost', () => this.lost(building, 'connection lost'));
      client.on('close', (err?: Error | null) => err && this.lost(building, 'connection lost'));
      await client.connect(endpointUrl);
      check();

      const session = await client.createSession(this.identity());
      building.session = session;
      session.on('session_closed', () => this.lost(building, 'session closed by server'));
      session.on('keepalive_failure', () => this.lost(building, 'server not answering'));
      check();

      const subscription = await session.createSubscription2({
        requestedPublishingInterval: PUBLISHING_INTERVAL_MS,
        requestedMaxKeepAliveCount: 20,
        requestedLifetimeCount: 120,
        maxNotificationsPerPublish: 0,
        publishingEnabled: true,
        priority: 10,
      });
      building.subscription = subscription;
      subscription.on('error', () => this.lost(building, 'subscription failed'));
      subscription.on('internal_error', () => this.lost(building, 'subscription failed'));
      subscription.on('terminated', () => this.lost(building, 'subscription ended'));
      check();

      this.link = building;
      await Promise.all([...this.watches].map((watch) => this.createItems(watch, building)));
      check();
      this.failures = 0;
      this.lastError = null;
      this.state.transition('connected');
    } catch (err) {
      if (link) void this.disposeLink(link);
      if (isStale()) return;
      if (this.link === link) this.link = null;
      this.generation++;
      this.onAttemptFailed(err as Error);
    } finally {
      clearTimeout(watchdog);
    }
  }

  private onAttemptFailed(err: Error): void {
    const { endpointUrl, username } = this.options;
    const anonymous = this.identity().type === UserTokenType.Anonymous;
    const verdict = classifyAttemptFailure(err, { endpointUrl, username: anonymous ? undefined : username, pki: this.pki });
    if (verdict.retry) this.retry(verdict.error);
    else this.fail(verdict.error);
  }

  /** The live link is gone: forget its items and schedule a fresh link. */
  private lost(link: Link, reason: string): void {
    link.broken = true;
    // a link still being built is handled by its attempt (it checks `broken` after every step)
    if (this.closed || this.link !== link || this.state.state.name !== 'connected') return;
    this.link = null;
    this.generation++;
    for (const watch of this.watches) watch.created = [];
    void this.disposeLink(link);
    this.failures = 0;
    this.retry(new ConnectionError(reason, `${this.options.endpointUrl}: ${reason}`));
  }

  private retry(error: TwinError): void {
    if (this.closed) return;
    const delay = backoffDelay(this.failures++, this.backoff);
    this.lastError = error;
    this.state.transition('reconnecting', { reason: error.shortReason, retryInMs: delay });
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.attempt().catch(() => undefined), delay);
  }

  private fail(error: TwinError): void {
    if (this.closed) return;
    this.lastError = error;
    this.state.transition('failed', { reason: error.shortReason });
  }

  private async createItems(watch: Watch, link: Link): Promise<void> {
    const isCurrent = () => !watch.stopped && !this.closed && this.link === link;
    const created = await createMonitoredItems(link.subscription as ClientSubscription, watch.items, watch.onReading, isCurrent);
    if (isCurrent()) watch.created.push(...created);
    else for (const item of created) item.terminate().catch(() => undefined);
  }

  private disposeLink(link: Link): Promise<void> {
    link.disposed ??= (async () => {
      await withTimeout(link.client.disconnect().catch(() => undefined), 3000);
      this.links.delete(link);
    })();
    return link.disposed;
  }

  private withSession<T>(work: (session: ClientSession) => Promise<T>): Promise<T> {
    const session = this.link?.session;
    if (!session || this.state.state.name !== 'connected') {
      return Promise.reject(new ConnectionError('not connected', `${this.options.endpointUrl} is not connected (${this.state.state.name})`));
    }
    return work(session).catch((err: unknown) => {
      if (err instanceof TwinError) throw err;
      throw new ConnectionError('request failed', `${this.options.endpointUrl}: ${(err as Error)?.message ?? String(err)}`);
    });
  }
}

