/** Growable ring buffer of integers (FIFO), no allocation in steady state. */
export class IntFifo {
  private buf: Int32Array;
  private head = 0;
  private n = 0;

  constructor(initialCapacity = 16) {
    this.buf = new Int32Array(Math.max(4, initialCapacity | 0));
  }

  get length(): number {
    return this.n;
  }

  push(x: number): void {
    if (this.n === this.buf.length) this.grow();
    let i = this.head + this.n;
    if (i >= this.buf.length) i -= this.buf.length;
    this.buf[i] = x;
    this.n++;
  }

  /** Removes and returns the first item; the caller checks `length > 0`. */
  shift(): number {
    const x = this.buf[this.head];
    this.head++;
    if (this.head === this.buf.length) this.head = 0;
    this.n--;
    return x;
  }

  private grow(): void {
    const old = this.buf;
    const b = new Int32Array(old.length * 2);
    for (let k = 0; k < this.n; k++) {
      let i = this.head + k;
      if (i >= old.length) i -= old.length;
      b[k] = old[i];
    }
    this.buf = b;
    this.head = 0;
  }
}
