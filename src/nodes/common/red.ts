/**
 * The small part of Node-RED's runtime API the adapters use. Typed here rather than through
 * @types/node-red so the adapters compile against what Node-RED 4.1 and 5 both provide.
 */
export interface NodeStatus {
  fill?: 'red' | 'green' | 'yellow' | 'blue' | 'grey';
  shape?: 'ring' | 'dot';
  text?: string;
}

export interface NodeMessage {
  _msgid?: string;
  topic?: string;
  payload?: unknown;
  [key: string]: unknown;
}

export type SendFn = (msg: NodeMessage | Array<NodeMessage | NodeMessage[] | null>) => void;
export type DoneFn = (err?: Error) => void;

/** A node's context; `store` names a context store from settings.js (undefined: the default one). */
export interface NodeContext {
  get(key: string, store?: string): unknown;
  set(key: string, value: unknown, store?: string, callback?: (err?: Error) => void): void;
}

export interface NodeDef {
  id: string;
  type: string;
  name?: string;
  z?: string;
  [key: string]: unknown;
}

export interface Node {
  id: string;
  type: string;
  name?: string;
  credentials?: Record<string, string | undefined>;
  on(event: 'input', handler: (msg: NodeMessage, send: SendFn, done: DoneFn) => void | Promise<void>): void;
  on(event: 'close', handler: (removed: boolean, done: () => void) => void): void;
  send(msg: NodeMessage | Array<NodeMessage | null>): void;
  status(status: NodeStatus): void;
  error(err: unknown, msg?: NodeMessage): void;
  warn(message: unknown): void;
  log(message: unknown): void;
  debug(message: unknown): void;
  context(): NodeContext;
}

export interface NodeAPI {
  nodes: {
    createNode(node: Node, def: NodeDef): void;
    registerType(type: string, ctor: (this: Node, def: NodeDef) => void, opts?: { credentials?: Record<string, { type: string }> }): void;
    getNode(id: string): Node | null;
  };
  settings: { userDir?: string; [key: string]: unknown };
  httpAdmin: {
    get(path: string, ...handlers: Array<(req: HttpRequest, res: HttpResponse, next?: () => void) => void>): void;
    post(path: string, ...handlers: Array<(req: HttpRequest, res: HttpResponse, next?: () => void) => void>): void;
  };
  auth: { needsPermission(permission: string): (req: HttpRequest, res: HttpResponse, next?: () => void) => void };
  _: (key: string, substitutions?: Record<string, unknown>) => string;
  log: { info(m: unknown): void; warn(m: unknown): void; error(m: unknown): void; debug(m: unknown): void };
}

export interface HttpRequest {
  params: Record<string, string>;
  query: Record<string, string | undefined>;
  body: unknown;
}

export interface HttpResponse {
  json(body: unknown): void;
  status(code: number): HttpResponse;
  send(body?: unknown): void;
}
