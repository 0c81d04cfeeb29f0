/**
 * Typed errors shared by every layer. Node adapters turn any TwinError into a red
 * status with `shortReason` and `done(err)`, so a Catch node sees it.
 */
/** Longest piece of outside text (a topic, a key, a value) an error message repeats. */
export const CLIP_CHARS = 60;

/** Longest error message: what a Catch node and the debug sidebar show stays readable. */
export const MAX_MESSAGE_CHARS = 1000;

/** Longest short reason: it goes into a node status ("3 rejected: bad unit"). */
const MAX_REASON_CHARS = 60;

/**
 * `text` cut to `max` characters and marked with '…' when longer (never inside a surrogate
 * pair). For anything a message or a flow supplied before it goes into an error message.
 */
export function clip(text: string, max = CLIP_CHARS): string {
  if (typeof text !== 'string') text = describeValue(text, max);
  if (text.length <= max) return text;
  let end = Math.max(0, max);
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${text.slice(0, end)}…`;
}

/**
 * A short description of any value for an error message: text quoted and clipped, numbers as
 * they are, objects by their kind. Never throws (no toString or valueOf of the value is called).
 */
export function describeValue(raw: unknown, max = CLIP_CHARS): string {
  try {
    switch (typeof raw) {
      case 'string':
        return JSON.stringify(clip(raw, max));
      case 'number':
        return Object.is(raw, -0) ? '-0' : String(raw);
      case 'bigint':
        return clip(`${raw.toString()}n`, max);
      case 'boolean':
        return String(raw);
      case 'undefined':
        return 'undefined';
      case 'symbol':
        return 'a symbol';
      case 'function':
        return 'a function';
      default:
        if (raw === null) return 'null';
        if (Array.isArray(raw)) return 'an array';
        if (ArrayBuffer.isView(raw) || raw instanceof ArrayBuffer) return 'binary data';
        if (raw instanceof Date) return 'a Date';
        return 'an object';
    }
  } catch {
    return 'a value';
  }
}

export type TwinErrorCode =
  | 'INPUT' // a message or payload that cannot be used
  | 'CONFIG' // node configuration that cannot work
  | 'CONNECTION' // a source that is not connected or refused us
  | 'CERTIFICATE'; // an OPC UA server certificate that is not trusted

export class TwinError extends Error {
  readonly code: TwinErrorCode;
  /** At most a few words, fit for a node status ("bad unit", "not connected"). */
  readonly shortReason: string;

  constructor(code: TwinErrorCode, shortReason: string, message?: string) {
    super(clip(String(message ?? shortReason), MAX_MESSAGE_CHARS));
    this.name = new.target.name;
    this.code = code;
    this.shortReason = clip(String(shortReason), MAX_REASON_CHARS);
  }
}

/**
 * Bad input: names the topic it came on so the technician can find the sender. The topic is
 * whatever the sender put in msg.topic, so only its first CLIP_CHARS characters are kept.
 */
export class InputError extends TwinError {
  readonly topic: string | undefined;
  constructor(shortReason: string, detail: string, topic?: string) {
    const where = typeof topic === 'string' && topic !== '' ? clip(topic) : undefined;
    super('INPUT', shortReason, `${where ? `${where}: ` : ''}${detail}`);
    this.topic = where;
  }
}

export class ConfigError extends TwinError {
  constructor(shortReason: string, detail?: string) {
    super('CONFIG', shortReason, detail);
  }
}

export class ConnectionError extends TwinError {
  constructor(shortReason: string, detail?: string) {
    super('CONNECTION', shortReason, detail);
  }
}

export class CertificateError extends TwinError {
  /** SHA-1 thumbprint of the refused certificate, as OPC UA tools show it. */
  readonly thumbprint: string;
  constructor(thumbprint: string, detail: string) {
    super('CERTIFICATE', 'certificate not trusted', detail);
    this.thumbprint = thumbprint;
  }
}

export function isTwinError(err: unknown): err is TwinError {
  return err instanceof TwinError;
}
