import type { InputError } from '../../core/errors';
import type { DoneFn, Node, NodeMessage, NodeStatus } from './red';
import { reportError } from './report-error';
import { StatusReporter } from './status';

/** How long a refusal keeps the status red before the normal status returns (with the count). */
export const rejectionShownMs = 5000;

/** Counts refused input for the status: how many, the last reason, and when. */
export class Rejections {
  count = 0;
  lastReason = '';
  lastAt = 0;

  /** Reports each error through the one error path; `done` (if any) gets the last one. */
  report(node: Pick<Node, 'error'>, errors: InputError[], msg: NodeMessage, done?: DoneFn): void {
    errors.forEach((err, index) => {
      this.count += 1;
      this.lastAt = Date.now();
      this.lastReason = reportError(node, err, msg, index === errors.length - 1 ? done : undefined);
    });
  }

  isRecent(now: number): boolean {
    return this.count > 0 && now - this.lastAt < rejectionShownMs;
  }
}

/**
 * A node status computed from the node's state: per message the node only marks it dirty;
 * the text is built at most four times a second, and at least once a second for ages and
 * timeouts. `compute` returns the status for now; the reporter shows it only when it changed.
 */
export class LiveStatus {
  private dirty = true;
  private lastRefreshAt = 0;
  private readonly reporter: StatusReporter;
  private readonly ticker: NodeJS.Timeout;

  constructor(node: Pick<Node, 'status'>, private readonly compute: () => NodeStatus, private readonly changed: () => boolean = () => false) {
    this.reporter = new StatusReporter(node);
    this.ticker = setInterval(() => {
      if (this.dirty || this.changed() || Date.now() - this.lastRefreshAt >= 1000) this.refresh();
    }, 250);
    this.ticker.unref();
    this.refresh();
  }

  markDirty(): void {
    this.dirty = true;
  }

  refresh(): void {
    this.dirty = false;
    this.lastRefreshAt = Date.now();
    this.reporter.set(this.compute());
  }

  dispose(): void {
    clearInterval(this.ticker);
    this.reporter.dispose();
  }
}
