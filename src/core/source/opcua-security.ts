import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import {
  OPCUAClient,
  MessageSecurityMode,
  SecurityPolicy,
  crypto_utils,
  type EndpointDescription,
  type OPCUAClientOptions,
} from 'node-opcua-client';
import { CertificateError, ConfigError, ConnectionError, TwinError } from '../errors';

export type OpcuaSecurityMode = 'None' | 'Sign' | 'SignAndEncrypt';
export type OpcuaSecurityPolicy = 'None' | 'Basic256Sha256' | 'Aes128_Sha256_RsaOaep' | 'Aes256_Sha256_RsaPss';

const securityModes: readonly OpcuaSecurityMode[] = ['None', 'Sign', 'SignAndEncrypt'];
const securityPolicies: readonly OpcuaSecurityPolicy[] = ['None', 'Basic256Sha256', 'Aes128_Sha256_RsaOaep', 'Aes256_Sha256_RsaPss'];

/** The part of node-opcua's OPCUACertificateManager that TwinLoop relies on. */
export interface PkiStore {
  readonly rootDir: string;
  readonly rejectedFolder: string;
  readonly trustedFolder: string;
  automaticallyAcceptUnknownCertificate: boolean;
  initialize(): Promise<void>;
  reloadCertificates(): Promise<void>;
  dispose(): Promise<void>;
  checkCertificate(certificate: Buffer): Promise<{ isGood(): boolean; name: string }>;
}

type PkiStoreConstructor = new (options: {
  rootFolder: string;
  automaticallyAcceptUnknownCertificate: boolean;
  name?: string;
}) => PkiStore;

/**
 * node-opcua-client does not re-export OPCUACertificateManager. We load it exactly as the client
 * itself resolves it (its own pinned dependency), so both always agree on the class.
 */
function certificateManagerClass(): PkiStoreConstructor {
  const clientRequire = createRequire(require.resolve('node-opcua-client'));
  return clientRequire('node-opcua-certificate-manager').OPCUACertificateManager as PkiStoreConstructor;
}

/** The PKI store in pkiDir: own/ (TwinLoop's certificate, made on first use), trusted/certs/, rejected/. */
export function createPkiStore(pkiDir: string, trustOnFirstUse: boolean): PkiStore {
  fs.mkdirSync(pkiDir, { recursive: true });
  forgetRejectedCopiesOfTrusted(pkiDir);
  const Manager = certificateManagerClass();
  return new Manager({ rootFolder: pkiDir, automaticallyAcceptUnknownCertificate: trustOnFirstUse, name: 'TwinLoop' });
}

export function toMessageSecurityMode(mode: OpcuaSecurityMode): MessageSecurityMode {
  return MessageSecurityMode[mode];
}

export function toSecurityPolicyUri(policy: OpcuaSecurityPolicy): SecurityPolicy {
  return SecurityPolicy[policy];
}

/** Rejects settings that can never connect, before any network traffic. */
export function checkSecuritySettings(mode: unknown, policy: unknown): void {
  if (!securityModes.includes(mode as OpcuaSecurityMode)) {
    throw new ConfigError('bad security mode', `security mode "${String(mode)}" is not one of ${securityModes.join(', ')}`);
  }
  if (!securityPolicies.includes(policy as OpcuaSecurityPolicy)) {
    throw new ConfigError('bad security policy', `security policy "${String(policy)}" is not one of ${securityPolicies.join(', ')}`);
  }
  if (mode === 'None' && policy !== 'None') {
    throw new ConfigError('security mismatch', `security mode None needs security policy None (got ${String(policy)})`);
  }
  if (mode !== 'None' && policy === 'None') {
    throw new ConfigError('security mismatch', `security mode ${String(mode)} needs a security policy such as Basic256Sha256, not None`);
  }
}

export interface CertificateFacts {
  thumbprint: string;
  subject: string;
  applicationUri: string | null;
}

export function describeCertificate(certificate: Buffer): CertificateFacts {
  const leaf = crypto_utils.split_der(certificate)[0] ?? certificate;
  const thumbprint = crypto_utils.makeSHA1Thumbprint(leaf).toString('hex');
  try {
    const tbs = crypto_utils.exploreCertificate(leaf).tbsCertificate;
    const subject = tbs.subject.commonName ?? 'unnamed';
    const uris = tbs.extensions?.subjectAltName?.uniformResourceIdentifier as string[] | undefined;
    return { thumbprint, subject, applicationUri: uris?.[0] ?? null };
  } catch {
    return { thumbprint, subject: 'unreadable certificate', applicationUri: null };
  }
}

/**
 * node-opcua's store says "untrusted" for a certificate found in rejected/ even when a copy of it
 * sits in trusted/certs/. A technician following our advice copies rather than moves, so before
 * the store loads we drop the rejected copy of every certificate that is also trusted.
 */
export function forgetRejectedCopiesOfTrusted(pkiDir: string): void {
  const trustedDir = path.join(pkiDir, 'trusted', 'certs');
  const rejectedDir = path.join(pkiDir, 'rejected');
  if (!fs.existsSync(trustedDir) || !fs.existsSync(rejectedDir)) return;
  const thumbprints = new Set<string>();
  for (const name of fs.readdirSync(trustedDir)) {
    try {
      const text = fs.readFileSync(path.join(trustedDir, name));
      const der = /-----BEGIN/.test(text.toString('latin1')) ? crypto_utils.convertPEMtoDER(text.toString('utf8')) : text;
      thumbprints.add(describeCertificate(der).thumbprint);
    } catch {
      // not a certificate: the store will ignore it as well
    }
  }
  for (const name of fs.readdirSync(rejectedDir)) {
    const match = /\[([0-9a-f]{40})\]/i.exec(name);
    if (match && thumbprints.has(match[1].toLowerCase())) fs.rmSync(path.join(rejectedDir, name), { force: true });
  }
}

/** The file the store wrote for a refused certificate ("<CN>[<thumbprint>].pem"), if it is there. */
function rejectedFileOf(pki: PkiStore, thumbprint: string): string {
  const folder = pki.rejectedFolder;
  try {
    const match = fs.readdirSync(folder).find((name) => name.toLowerCase().includes(`[${thumbprint}]`));
    if (match) return path.join(folder, match);
  } catch {
    // folder missing: fall through to the generic hint
  }
  return path.join(folder, `<name>[${thumbprint}].pem`);
}

export function untrustedServerCertificateError(pki: PkiStore, certificate: Buffer, verdict: string): CertificateError {
  const facts = describeCertificate(certificate);
  const who = `"${facts.subject}"${facts.applicationUri ? ` (${facts.applicationUri})` : ''}`;
  const file = rejectedFileOf(pki, facts.thumbprint);
  return new CertificateError(
    facts.thumbprint,
    `The OPC UA server certificate ${who} with SHA-1 thumbprint ${facts.thumbprint} is not trusted (${verdict}). ` +
      `To trust it, copy ${file} into ${pki.trustedFolder}${path.sep} and redeploy, or enable 'trust on first use'.`,
  );
}

/** TwinLoop's own certificate facts, for a hint when the server refuses us. */
export function ownCertificateHint(pki: PkiStore): string {
  const file = path.join(pki.rootDir, 'own', 'certs', 'client_certificate.pem');
  try {
    const der = crypto_utils.convertPEMtoDER(fs.readFileSync(file, 'utf8'));
    return `trust TwinLoop's certificate ${file} (SHA-1 ${describeCertificate(der).thumbprint}) on the server`;
  } catch {
    return `trust TwinLoop's certificate ${file} on the server`;
  }
}

/**
 * Asks the server (over an unsecured discovery channel, as every OPC UA client does) for the
 * endpoint matching our security settings, and checks its certificate against the trust list
 * BEFORE opening a secured channel. This is what lets us name the refused certificate.
 */
export async function fetchSecuredEndpoint(
  endpointUrl: string,
  mode: OpcuaSecurityMode,
  policy: OpcuaSecurityPolicy,
  clientOptions: Pick<OPCUAClientOptions, 'applicationName' | 'clientCertificateManager' | 'connectionStrategy'>,
  isStale: () => boolean,
): Promise<EndpointDescription> {
  const discovery = OPCUAClient.create({
    ...clientOptions,
    clientName: 'TwinLoop discovery',
    securityMode: MessageSecurityMode.None,
    securityPolicy: SecurityPolicy.None,
    endpointMustExist: false,
  });
  let endpoints: EndpointDescription[];
  try {
    await discovery.connect(endpointUrl);
    endpoints = await discovery.getEndpoints();
  } finally {
    await discovery.disconnect().catch(() => undefined);
  }
  if (isStale()) throw new ConnectionError('closed');
  const wantedMode = toMessageSecurityMode(mode);
  const wantedPolicy = toSecurityPolicyUri(policy);
  const match = endpoints.find((e) => e.securityMode === wantedMode && e.securityPolicyUri === wantedPolicy);
  if (!match) {
    const offered = endpoints
      .map((e) => `${MessageSecurityMode[e.securityMode]}/${String(e.securityPolicyUri).split('#')[1] ?? e.securityPolicyUri}`)
      .join(', ');
    throw new ConfigError('security not offered', `the server at ${endpointUrl} does not offer ${mode}/${policy}; it offers ${offered}`);
  }
  if (!match.serverCertificate || match.serverCertificate.length === 0) {
    throw new ConnectionError('no server certificate', `the server at ${endpointUrl} sent no certificate for ${mode}/${policy}`);
  }
  return match;
}

/** Good, or a CertificateError naming the certificate and the way to trust it. */
export async function verifyServerCertificate(pki: PkiStore, certificate: Buffer): Promise<void> {
  const status = await pki.checkCertificate(certificate);
  if (!status.isGood()) throw untrustedServerCertificateError(pki, certificate, status.name);
}

const badCredentials = /BadUserAccessDenied|BadIdentityTokenRejected|BadIdentityTokenInvalid|BadUserSignatureInvalid/;
const refusedOurCertificate = /BadCertificate\w*|BadSecurityChecksFailed/;
const securityNotOffered = /End point must exist|BadSecurityPolicyRejected|BadSecurityModeRejected/;

/**
 * Why a connection attempt failed, and whether trying again can help. Certificates we refuse,
 * bad credentials and impossible settings cannot heal by themselves: no retry. A server that
 * refuses OUR certificate can be fixed on the server side without a redeploy: retry (backoff).
 */
export function classifyAttemptFailure(
  err: Error,
  context: { endpointUrl: string; username?: string; pki: PkiStore | null },
): { retry: boolean; error: TwinError } {
  const url = context.endpointUrl;
  if (err instanceof TwinError && err.code !== 'CONNECTION') return { retry: false, error: err };
  const message = err?.message ?? String(err);
  if (badCredentials.test(message)) {
    const error = context.username
      ? new ConnectionError('bad credentials', `${url} refused user "${context.username}": bad credentials (${message})`)
      : new ConnectionError('login refused', `${url} refuses anonymous login: set a user name and password (${message})`);
    return { retry: false, error };
  }
  if (securityNotOffered.test(message)) {
    return { retry: false, error: new ConfigError('security not offered', `${url} does not offer the chosen security mode and policy: pick one the server lists (${message.trim()})`) };
  }
  if (refusedOurCertificate.test(message) && context.pki) {
    const hint = ownCertificateHint(context.pki);
    return { retry: true, error: new ConnectionError('server refused our certificate', `${url} refused TwinLoop's certificate: ${hint} (${message})`) };
  }
  if (err instanceof TwinError) return { retry: true, error: err };
  if (/ECONNREFUSED/.test(message)) return { retry: true, error: new ConnectionError('server unreachable', `${url}: connection refused (${message})`) };
  if (/ENOTFOUND|EAI_AGAIN/.test(message)) return { retry: true, error: new ConnectionError('unknown host', `${url}: host name not found (${message})`) };
  if (/timeout|timed out|ETIMEDOUT/i.test(message)) return { retry: true, error: new ConnectionError('server not answering', `${url}: ${message}`) };
  return { retry: true, error: new ConnectionError('connection failed', `${url}: ${message}`) };
}
