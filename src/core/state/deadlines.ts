/**
 * The freshness deadlines of all signals in one binary min-heap, so the adapter needs a
 * single timer (set to the earliest deadline) instead of one per signal.
 *
 * Lazy deletion: a signal keeps at most one live entry, the one whose time equals its
 * `scheduled` field. A new sample only moves the signal's `deadline` later and leaves the
 * heap alone (the hot path stays O(1)); when the old entry comes up, it is pushed again at
 * the new deadline. Entries of removed signals, or superseded by an earlier deadline, are
 * skipped when they surface.
 */
export interface Scheduled {
  /** When the signal turns stale (Infinity: never). */
  deadline: number;
  /** Time of its live heap entry (Infinity: none). */
  scheduled: number;
  removed: boolean;
}

export class DeadlineHeap<T extends Scheduled> {
  private times: number[] = [];
  private items: T[] = [];

  get size(): number {
    return this.times.length;
  }

  /** Makes sure `item` has an entry no later than its deadline. */
  schedule(item: T): void {
    if (item.deadline < item.scheduled && Number.isFinite(item.deadline)) {
      item.scheduled = item.deadline;
      this.push(item.deadline, item);
    }
  }

  /**
   * Earliest deadline of a live entry, after clearing dead entries and re-pushing refreshed
   * ones off the top (each at most once per deadline, so amortised cheap).
   */
  peek(): { time: number; item: T } | undefined {
    while (this.times.length > 0) {
      const time = this.times[0];
      const item = this.items[0];
      if (item.removed || item.scheduled !== time) {
        this.pop();
      } else if (item.deadline > time) {
        this.pop();
        item.scheduled = Infinity;
        this.schedule(item);
      } else {
        return { time, item };
      }
    }
    return undefined;
  }

  /** Removes the top entry (the caller has just peeked it) and clears its schedule. */
  take(): void {
    const item = this.items[0];
    this.pop();
    item.scheduled = Infinity;
  }

  /** Drops every entry and schedules `items` afresh: for model changes and to shed dead entries. */
  rebuild(items: Iterable<T>): void {
    this.times = [];
    this.items = [];
    for (const item of items) {
      item.scheduled = Infinity;
      this.schedule(item);
    }
  }

  private push(time: number, item: T): void {
    const times = this.times;
    const items = this.items;
    let i = times.length;
    times.push(time);
    items.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (times[parent] <= time) break;
      times[i] = times[parent];
      items[i] = items[parent];
      i = parent;
    }
    times[i] = time;
    items[i] = item;
  }

  private pop(): void {
    const times = this.times;
    const items = this.items;
    const lastTime = times.pop() as number;
    const lastItem = items.pop() as T;
    const n = times.length;
    if (n === 0) return;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && times[child + 1] < times[child]) child++;
      if (times[child] >= lastTime) break;
      times[i] = times[child];
      items[i] = items[child];
      i = child;
    }
    times[i] = lastTime;
    items[i] = lastItem;
  }
}
