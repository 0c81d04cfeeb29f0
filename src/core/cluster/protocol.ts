/**
 * The messages members exchange through the broker, all under `<prefix>/cluster/<group>/`:
 *
 *   members/<id>   retained: {"id","state":"active"|"leaving","since"}; empty = gone (also the
 *                  member's MQTT last will, so a killed instance is cleared by the broker)
 *   ready          {"from","view":[active member ids, sorted]}: "I am subscribed to every asset
 *                  this view gives me" (sent after the SUBSCRIBEs, so the broker has them first)
 *   released       {"from","to","assets":[...],"states":{asset: compact state},"forwarded":[...]}:
 *                  "I no longer receive these assets' samples (UNSUBACK seen); here is their state
 *                  and the samples I received but did not process"
 *   fence/<id>     a QoS 1 message a member sends itself: its PUBACK means every retained message of
 *                  the subscriptions sent before it has arrived; its arrival (the member subscribes
 *                  it) means everything the broker had queued for the member before has arrived
 */
import { InputError } from '../errors';

export type MemberState = 'active' | 'leaving';

export interface MemberRecord { id: string; state: MemberState; since: number }
export interface ReadyMessage { from: string; view: string[] }
export interface ReleasedMessage {
  from: string;
  to: string | null;
  assets: string[];
  states: Record<string, unknown>;
  /** [topic, payload in base64, asset] of samples the releasing member received but did not process. */
  forwarded: Array<[string, string, string]>;
}

export interface ClusterTopics {
  members: string;
  member(id: string): string;
  ready: string;
  released: string;
  fence(id: string): string;
}

const GROUP = /^[A-Za-z0-9_.-]{1,64}$/;
const MEMBER = /^[A-Za-z0-9_.-]{1,128}$/;

export function groupProblem(group: string): string | undefined {
  return GROUP.test(group) ? undefined : 'cluster group: 1-64 letters, digits, _ . -';
}

export function prefixProblem(prefix: string): string | undefined {
  if (prefix.length === 0) return 'empty topic prefix';
  if (/[+#\u0000]/.test(prefix) || prefix.startsWith('$') || prefix.startsWith('/') || prefix.endsWith('/') || prefix.includes('//')) {
    return 'topic prefix: no wildcards, no $, no empty level';
  }
  return undefined;
}

export function memberIdProblem(id: string): string | undefined {
  return MEMBER.test(id) ? undefined : 'member id: 1-128 letters, digits, _ . -';
}

export function clusterTopics(prefix: string, group: string): ClusterTopics {
  const base = `${prefix}/cluster/${group}`;
  return {
    members: `${base}/members/+`,
    member: (id) => `${base}/members/${id}`,
    ready: `${base}/ready`,
    released: `${base}/released`,
    fence: (id) => `${base}/fence/${id}`,
  };
}

function parse(payload: Buffer, what: string): Record<string, unknown> {
  let raw: unknown;
  try {
    raw = JSON.parse(payload.toString('utf8'));
  } catch {
    throw new InputError(`bad ${what} message`, 'not JSON');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new InputError(`bad ${what} message`, 'not an object');
  return raw as Record<string, unknown>;
}

const isId = (v: unknown): v is string => typeof v === 'string' && MEMBER.test(v);

/** A member record; undefined for an empty (cleared) one. */
export function decodeMemberRecord(payload: Buffer): MemberRecord | undefined {
  if (payload.length === 0) return undefined;
  const o = parse(payload, 'member');
  if (!isId(o.id) || (o.state !== 'active' && o.state !== 'leaving')) throw new InputError('bad member message', 'needs id and state');
  return { id: o.id, state: o.state, since: typeof o.since === 'number' ? o.since : 0 };
}

export function decodeReady(payload: Buffer): ReadyMessage {
  const o = parse(payload, 'ready');
  if (!isId(o.from) || !Array.isArray(o.view) || !o.view.every(isId)) throw new InputError('bad ready message', 'needs from and view');
  return { from: o.from, view: o.view as string[] };
}

export function decodeReleased(payload: Buffer): ReleasedMessage {
  const o = parse(payload, 'released');
  if (!isId(o.from) || !(o.to === null || isId(o.to)) || !Array.isArray(o.assets) || !o.assets.every((a) => typeof a === 'string')) {
    throw new InputError('bad released message', 'needs from, to and assets');
  }
  const states = typeof o.states === 'object' && o.states !== null ? (o.states as Record<string, unknown>) : {};
  const forwarded = Array.isArray(o.forwarded) ? o.forwarded : [];
  const entryOk = (e: unknown): boolean => Array.isArray(e) && e.length === 3 && e.every((part) => typeof part === 'string');
  if (!forwarded.every(entryOk)) throw new InputError('bad released message', 'forwarded entries are [topic, base64, asset]');
  return { from: o.from, to: o.to as string | null, assets: o.assets as string[], states, forwarded: forwarded as Array<[string, string, string]> };
}

export const viewKey = (view: readonly string[]): string => view.join(',');
