import type { Node, NodeStatus } from './red';

/** One status vocabulary for every node (see ARCHITECTURE.md). */
export const statusOf = {
  connecting: (text: string): NodeStatus => ({ fill: 'yellow', shape: 'ring', text }),
  working: (text: string): NodeStatus => ({ fill: 'green', shape: 'dot', text }),
  degraded: (text: string): NodeStatus => ({ fill: 'yellow', shape: 'dot', text }),
  refused: (text: string): NodeStatus => ({ fill: 'red', shape: 'ring', text }),
  failed: (text: string): NodeStatus => ({ fill: 'red', shape: 'ring', text }),
  idle: (text: string): NodeStatus => ({ fill: 'grey', shape: 'ring', text }),
};

/**
 * Sets a node's status only when it changes, and at most once per `minIntervalMs`; the last
 * status asked for within the interval is shown when the interval ends, so none is lost.
 */
export class StatusReporter {
  private shown = '';
  private pending: NodeStatus | undefined;
  private lastShownAt = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly node: Pick<Node, 'status'>, private readonly minIntervalMs = 250) {}

  set(status: NodeStatus): void {
    const key = `${status.fill}|${status.shape}|${status.text}`;
    if (key === this.shown && this.pending === undefined) return;
    this.pending = status;
    const wait = this.lastShownAt + this.minIntervalMs - Date.now();
    if (wait <= 0) this.flush();
    else if (!this.timer) this.timer = setTimeout(() => this.flush(), wait);
  }

  clear(): void {
    this.dispose();
    this.node.status({});
    this.shown = '';
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = undefined;
  }

  private flush(): void {
    this.timer = undefined;
    const status = this.pending;
    this.pending = undefined;
    if (!status) return;
    const key = `${status.fill}|${status.shape}|${status.text}`;
    if (key === this.shown) return;
    this.shown = key;
    this.lastShownAt = Date.now();
    this.node.status(status);
  }
}
