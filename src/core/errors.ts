/**
 * Typed errors shared by every layer. Node adapters turn any TwinError into a red
 * status with `shortReason` and `done(err)`, so a Catch node sees it.
 */
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
    super(message ?? shortReason);
    this.name = new.target.name;
    this.code = code;
    this.shortReason = shortReason;
  }
}

/** Bad input: names the topic it came on so the technician can find the sender. */
export class InputError extends TwinError {
  readonly topic: string | undefined;
  constructor(shortReason: string, detail: string, topic?: string) {
    super('INPUT', shortReason, `${topic ? `${topic}: ` : ''}${detail}`);
    this.topic = topic;
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
