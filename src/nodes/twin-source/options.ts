import { createPrivateKey } from 'node:crypto';
import * as path from 'node:path';
import { ConfigError } from '../../core/errors';
import type { MqttSourceOptions } from '../../core/source/mqtt-connection';
import type { OpcuaSecurityMode, OpcuaSecurityPolicy, OpcuaSourceOptions } from '../../core/source/opcua-connection';
import type { NodeDef } from '../common/red';

export type SourceProtocol = 'mqtt' | 'opcua';

/** The twin-source node as saved in the flow file (credentials are kept apart by Node-RED). */
export interface TwinSourceDef extends NodeDef {
  configVersion?: number;
  protocol?: SourceProtocol;
  // MQTT
  broker?: string;
  clientId?: string;
  protocolVersion?: string | number;
  keepalive?: string | number;
  persistentSession?: boolean;
  useTls?: boolean;
  tlsCa?: string;
  tlsCert?: string;
  verifyServer?: boolean;
  // OPC UA
  endpoint?: string;
  securityMode?: string;
  securityPolicy?: string;
  trustOnFirstUse?: boolean;
}

export interface TwinSourceCredentials {
  username?: string;
  password?: string;
  tlsKey?: string;
  /** For an encrypted client key (PEM with ENCRYPTED). */
  tlsPassphrase?: string;
}

export const currentConfigVersion = 1;

/** Older saved configurations are brought to the current shape here, never elsewhere. */
export function migrateSourceDef(def: TwinSourceDef): TwinSourceDef {
  const migrated = { ...def };
  if (!migrated.configVersion) {
    migrated.protocol = migrated.protocol ?? 'mqtt';
    migrated.configVersion = currentConfigVersion;
  }
  return migrated;
}

function positiveNumber(raw: unknown, fallback: number, name: string): number {
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new ConfigError(`bad ${name}`, `${name} must be a positive number, got "${String(raw)}"`);
  return value;
}

export function mqttOptions(def: TwinSourceDef, credentials: TwinSourceCredentials): MqttSourceOptions {
  const url = (def.broker ?? '').trim();
  if (!url) throw new ConfigError('no broker URL', 'Set the broker URL, e.g. mqtt://127.0.0.1:1883');
  const protocolVersion = Number(def.protocolVersion ?? 4) === 5 ? 5 : 4;
  const persistentSession = def.persistentSession !== false;
  // A persistent session is only found again under the same client id, so derive a stable one.
  const clientId = (def.clientId ?? '').trim() || (persistentSession ? `twinloop_${def.id.replace(/[^A-Za-z0-9]/g, '')}` : '');
  return {
    url,
    clientId,
    protocolVersion,
    username: credentials.username || undefined,
    password: credentials.password || undefined,
    tls: def.useTls
      ? {
        ca: def.tlsCa || undefined, cert: def.tlsCert || undefined, rejectUnauthorized: def.verifyServer !== false,
        ...clientKey(credentials.tlsKey, credentials.tlsPassphrase),
      }
      : undefined,
    keepaliveS: positiveNumber(def.keepalive, 60, 'keepalive'),
    persistentSession,
  };
}

/** The client key, checked at deploy so a wrong passphrase is a red status, not a failing handshake. */
function clientKey(key: string | undefined, passphrase: string | undefined): { key?: string; passphrase?: string } {
  if (!key) return {};
  try {
    createPrivateKey({ key, format: 'pem', passphrase: passphrase || undefined });
  } catch (err) {
    // OpenSSL's message names the failure, never the key or the passphrase.
    const encrypted = /ENCRYPTED/.test(key);
    if (encrypted && !passphrase) throw new ConfigError('key passphrase missing', 'The client key is encrypted: enter its passphrase');
    if (encrypted) throw new ConfigError('wrong key passphrase', 'The client key could not be decrypted with the passphrase given');
    throw new ConfigError('bad client key', `The client key is not a PEM private key (${(err as { code?: string }).code ?? 'unreadable'})`);
  }
  return { key, passphrase: passphrase || undefined };
}

const securityModes: OpcuaSecurityMode[] = ['None', 'Sign', 'SignAndEncrypt'];
const securityPolicies: OpcuaSecurityPolicy[] = ['None', 'Basic256Sha256', 'Aes128_Sha256_RsaOaep', 'Aes256_Sha256_RsaPss'];

export function opcuaOptions(def: TwinSourceDef, credentials: TwinSourceCredentials, userDir: string): OpcuaSourceOptions {
  const endpointUrl = (def.endpoint ?? '').trim();
  if (!/^opc\.tcp:\/\/[^\s/]+/.test(endpointUrl)) {
    throw new ConfigError('bad endpoint', `The OPC UA endpoint must look like opc.tcp://host:4840, got "${endpointUrl}"`);
  }
  const securityMode = (def.securityMode || 'None') as OpcuaSecurityMode;
  const securityPolicy = (def.securityPolicy || (securityMode === 'None' ? 'None' : 'Basic256Sha256')) as OpcuaSecurityPolicy;
  if (!securityModes.includes(securityMode)) throw new ConfigError('bad security mode', `Unknown security mode "${securityMode}"`);
  if (!securityPolicies.includes(securityPolicy)) throw new ConfigError('bad security policy', `Unknown security policy "${securityPolicy}"`);
  return {
    endpointUrl,
    securityMode,
    securityPolicy,
    username: credentials.username || undefined,
    password: credentials.password || undefined,
    pkiDir: path.join(userDir, 'twinloop-pki'),
    trustOnFirstUse: def.trustOnFirstUse === true,
  };
}
