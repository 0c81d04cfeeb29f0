/**
 * Binary min-heap of events ordered by (time, sequence). The sequence is the order of
 * scheduling, so events at the same time come out first-scheduled-first (stable, replayable).
 * Events are stored as parallel typed arrays (no object per event): each carries two integers,
 * `a` and `b`, whose meaning the caller chooses (e.g. station and part).
 */
export class EventQueue {
  private times: Float64Array;
  private seqs: Float64Array;
  private as: Int32Array;
  private bs: Int32Array;
  private count = 0;
  private nextSeq = 0;

  /** Fields of the event last taken by `pop()`. */
  time = 0;
  a = 0;
  b = 0;

  constructor(initialCapacity = 64) {
    const n = Math.max(4, initialCapacity | 0);
    this.times = new Float64Array(n);
    this.seqs = new Float64Array(n);
    this.as = new Int32Array(n);
    this.bs = new Int32Array(n);
  }

  get size(): number {
    return this.count;
  }

  /** Time of the next event; Infinity when empty. */
  peekTime(): number {
    return this.count > 0 ? this.times[0] : Infinity;
  }

  clear(): void {
    this.count = 0;
    this.nextSeq = 0;
  }

  push(time: number, a: number, b: number): void {
    if (this.count === this.times.length) this.grow();
    const seq = this.nextSeq++;
    const times = this.times;
    const seqs = this.seqs;
    let i = this.count++;
    // Sift the hole up.
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = times[parent];
      if (pt < time || (pt === time && seqs[parent] < seq)) break;
      times[i] = pt;
      seqs[i] = seqs[parent];
      this.as[i] = this.as[parent];
      this.bs[i] = this.bs[parent];
      i = parent;
    }
    times[i] = time;
    seqs[i] = seq;
    this.as[i] = a;
    this.bs[i] = b;
  }

  /** Takes the earliest event into `time`, `a`, `b`; returns false when empty. */
  pop(): boolean {
    if (this.count === 0) return false;
    const times = this.times;
    const seqs = this.seqs;
    const as = this.as;
    const bs = this.bs;
    this.time = times[0];
    this.a = as[0];
    this.b = bs[0];
    const n = --this.count;
    if (n === 0) return true;
    const lt = times[n];
    const ls = seqs[n];
    const la = as[n];
    const lb = bs[n];
    let i = 0;
    // Sift the hole down.
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      const r = c + 1;
      if (r < n && (times[r] < times[c] || (times[r] === times[c] && seqs[r] < seqs[c]))) c = r;
      const ct = times[c];
      if (lt < ct || (lt === ct && ls < seqs[c])) break;
      times[i] = ct;
      seqs[i] = seqs[c];
      as[i] = as[c];
      bs[i] = bs[c];
      i = c;
    }
    times[i] = lt;
    seqs[i] = ls;
    as[i] = la;
    bs[i] = lb;
    return true;
  }

  private grow(): void {
    const n = this.times.length * 2;
    const t = new Float64Array(n);
    t.set(this.times);
    this.times = t;
    const s = new Float64Array(n);
    s.set(this.seqs);
    this.seqs = s;
    const a = new Int32Array(n);
    a.set(this.as);
    this.as = a;
    const b = new Int32Array(n);
    b.set(this.bs);
    this.bs = b;
  }
}
