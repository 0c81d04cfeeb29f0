/**
 * Arrival statistics of one asset subtree over the last 60 s: sample rate and mean latency
 * from 60 one-second slots (exact to the second), p95 latency from the most recent samples
 * (a bounded reservoir), so a fidelity query never sorts more than 128 numbers.
 */
export const WINDOW_SECONDS = 60;
export const WINDOW_MS = WINDOW_SECONDS * 1000;
const RESERVOIR = 128;

export class WindowStats {
  /** Second (floor(ms / 1000)) of the newest slot; -Infinity before the first sample. */
  private newestSecond = -Infinity;
  private readonly counts = new Uint32Array(WINDOW_SECONDS);
  private readonly latencySums = new Float64Array(WINDOW_SECONDS);
  private recentTimes: Float64Array | undefined;
  private recentLatencies: Float64Array | undefined;
  private recentNext = 0;
  private recentCount = 0;

  add(nowMs: number, second: number, latencyMs: number): void {
    if (second !== this.newestSecond) {
      // A clock stepping back lands in an older slot if it is still in the window.
      if (second > this.newestSecond) this.advance(second);
      else if (second <= this.newestSecond - WINDOW_SECONDS) return;
    }
    const slot = slotOf(second);
    this.counts[slot]++;
    this.latencySums[slot] += latencyMs;
    if (!this.recentTimes || !this.recentLatencies) {
      this.recentTimes = new Float64Array(RESERVOIR);
      this.recentLatencies = new Float64Array(RESERVOIR);
    }
    this.recentTimes[this.recentNext] = nowMs;
    this.recentLatencies[this.recentNext] = latencyMs;
    this.recentNext = (this.recentNext + 1) % RESERVOIR;
    if (this.recentCount < RESERVOIR) this.recentCount++;
  }

  /** Samples and latency sum in the window ending at `second`. */
  totals(second: number): { count: number; latencySum: number } {
    let count = 0;
    let latencySum = 0;
    for (let s = second - WINDOW_SECONDS + 1; s <= second; s++) {
      if (s > this.newestSecond || s <= this.newestSecond - WINDOW_SECONDS) continue;
      const slot = slotOf(s);
      count += this.counts[slot];
      latencySum += this.latencySums[slot];
    }
    return { count, latencySum };
  }

  /** Nearest-rank p95 of the recent samples newer than nowMs - 60 s; null when none. */
  latencyP95(nowMs: number): number | null {
    if (!this.recentTimes || !this.recentLatencies) return null;
    const recent: number[] = [];
    for (let i = 0; i < this.recentCount; i++) {
      if (this.recentTimes[i] > nowMs - WINDOW_MS) recent.push(this.recentLatencies[i]);
    }
    if (recent.length === 0) return null;
    recent.sort((a, b) => a - b);
    return recent[Math.ceil(0.95 * recent.length) - 1];
  }

  private advance(second: number): void {
    const gap = second - this.newestSecond;
    if (gap >= WINDOW_SECONDS || !Number.isFinite(gap)) {
      this.counts.fill(0);
      this.latencySums.fill(0);
    } else {
      for (let s = this.newestSecond + 1; s <= second; s++) {
        const slot = slotOf(s);
        this.counts[slot] = 0;
        this.latencySums[slot] = 0;
      }
    }
    this.newestSecond = second;
  }
}

/** Slot of a second, also for a clock that starts before 1970 (tests). */
function slotOf(second: number): number {
  return ((second % WINDOW_SECONDS) + WINDOW_SECONDS) % WINDOW_SECONDS;
}
