/**
 * Tabu search on the disjunctive graph with the N7 neighbourhood (Zhang, Li, Guan & Rao 2007): on a
 * critical path split into blocks (maximal runs of operations on one machine), an operation of a
 * block moves to the block's front or back, and the block's first or last operation moves inside
 * the block. This contains N5 (Nowicki–Smutnicki: swap the first two or last two of a block) and N6
 * (Balas–Vazacopoulos). A solution is the operation sequence of each machine (doubly linked lists);
 * its schedule is semi-active: each operation starts as early as its job predecessor, its machine
 * predecessor, its release date, its machine's ready time and the machine's windows allow.
 *
 * Two evaluation modes:
 *  - fast (makespan, no unavailability windows): heads r and tails q of every operation are
 *    recomputed once per iteration in O(N); a move is scored by the estimate of Balas &
 *    Vazacopoulos / Zhang et al.: only the heads and tails of the operations whose machine order
 *    changed are recomputed, the estimate being the longest path through one of them. Moves that
 *    could close a cycle are filtered by the classical sufficient conditions on heads/tails.
 *  - exact (tardiness terms or windows): each move is applied and the schedule decoded (O(N)); the
 *    moves come from the critical chains of the makespan and of (a sample of) the tardy jobs.
 *
 * Control: a move is tabu when it restores a machine order (a before b) that a recent move reversed;
 * tenure random in [0.7·(10 + n/m), 1.4·0.7·(10 + n/m)] (n jobs, m machines; 0.7 tuned, see tenureScale). Aspiration: a tabu move whose value beats the best is
 * allowed; when every move is tabu the one that expires first is taken. After a number of
 * iterations without improvement, or when the search revisits a solution too often (cycle detection
 * by a hash of the machine sequences), it restarts from the best solution (or another elite one)
 * perturbed by random critical swaps: an iterated tabu search. Every random choice uses the seeded
 * generator, so a seed fixes the trajectory.
 */
import { fitWindows, type Instance } from './instance';
import type { Rng } from './random';
import type { ObjectiveWeights } from './validate';

export type TabuStopReason = 'optimal' | 'timeLimit' | 'iterations' | 'cancelled';

export interface TabuConfig {
  objective: ObjectiveWeights;
  rng: Rng;
  /** Clock in milliseconds and the time at which to stop. */
  now: () => number;
  deadline: number;
  maxIterations: number;
  /** Cancellation check (polled every iteration). */
  shouldStop?: () => boolean;
  /** Proven lower bound of the objective: the search stops when it gets there. */
  target: number;
  /** Called with every improving solution (start times, valid until the next call). */
  onImprove?: (value: number, start: Float64Array, iterations: number) => void;
  /** Use exact evaluation even for the plain makespan (for tests of the two modes). */
  forceExact?: boolean;
  /** Iterations without improvement before a restart (default from the size). */
  maxStagnation?: number;
  /** Restart perturbation: number of random critical swaps in [perturbMin, perturbMax] (defaults from the size). */
  perturbMin?: number;
  perturbMax?: number;
  /** Probability that a restart starts from a random elite solution rather than the best (default 0.3). */
  eliteRestart?: number;
  /** Scale of the tabu tenure (default 0.7, tuned on la24/25/29/38/40 and ft10: 0.6–0.85 beat 1 and 1.5). */
  tenureScale?: number;
  /** Called after every iteration with the current start times (tests: every iterate is valid). */
  onIterate?: (start: Float64Array, value: number) => void;
}

export interface TabuResult {
  start: Float64Array;
  value: number;
  iterations: number;
  stopReason: TabuStopReason;
  /** config.now() when the best solution was found. */
  bestAt: number;
}

const FORWARD = 0; // move u right after v (u before v in the block)
const BACKWARD = 1; // move v right before u (u before v in the block)
const DIRECT_TABU_LIMIT = 1 << 22;
const ELITE = 8;

export class TabuSearch {
  private readonly inst: Instance;
  private readonly cfg: TabuConfig;
  private readonly rng: Rng;
  private readonly n: number;
  private readonly exact: boolean;
  private readonly p: Float64Array;
  private readonly jp: Int32Array;
  private readonly js: Int32Array;
  private readonly opMachine: Int32Array;
  /** Release date of the job for the first operation of each job, −Infinity otherwise. */
  private readonly head0: Float64Array;
  private readonly mReady: Float64Array;
  private readonly rank: Int32Array;
  private readonly lastOps: Int32Array;

  // Current solution.
  private readonly mp: Int32Array;
  private readonly ms: Int32Array;
  private readonly mFirst: Int32Array;
  private readonly mLast: Int32Array;
  /** Heads (= start times) and tails of the current solution. */
  private readonly r: Float64Array;
  private readonly q: Float64Array;
  private readonly order: Int32Array;
  private readonly indeg: Int32Array;
  private readonly trial: Float64Array;
  private hash = 0;
  private readonly zobrist: Int32Array;

  // Best and elite solutions (machine successor lists + first of each machine).
  private bestValue = Infinity;
  private bestAt = 0;
  private readonly bestStart: Float64Array;
  private readonly elite: { ms: Int32Array; first: Int32Array; value: number }[] = [];

  // Tabu structure: expiry iteration of "a before b" for a, b on one machine.
  private readonly tabu: Int32Array;
  private readonly tabuDirect: boolean;
  private readonly tabuMask: number;
  private readonly K: number;
  private readonly tenureMin: number;
  private readonly tenureMax: number;
  private iter = 0;
  private cur = Infinity;
  private noImprove = 0;
  private revisits = 0;
  private maxStag = 1000;
  private sliceDeadline = Infinity;
  private interrupted = false;
  private evaluations = 0;

  // Cycle detection: iteration at which each solution hash was last seen.
  private readonly seenHash: Int32Array;
  private readonly seenIter: Int32Array;

  // Scratch.
  private readonly path: Int32Array;
  private readonly blocks: Int32Array;
  private readonly blockStart: Int32Array;
  private nBlocks = 0;
  private readonly tmpR: Float64Array;
  private readonly cType: Uint8Array;
  private readonly cU: Int32Array;
  private readonly cV: Int32Array;
  private readonly cVal: Float64Array;
  private nCand = 0;
  private readonly chainWeight: Float64Array;

  constructor(inst: Instance, cfg: TabuConfig) {
    this.inst = inst;
    this.cfg = cfg;
    this.rng = cfg.rng;
    const n = (this.n = inst.nOps);
    const obj = cfg.objective;
    this.exact = !!cfg.forceExact || inst.hasWindows || obj.tardiness > 0 || obj.weightedTardiness > 0;
    this.p = inst.dur;
    this.jp = inst.jp;
    this.js = inst.js;
    this.opMachine = inst.opMachine;
    this.head0 = new Float64Array(n).fill(-Infinity);
    for (let j = 0; j < inst.nJobs; j++) this.head0[inst.jobFirst[j]] = inst.release[j];
    this.mReady = inst.machineReady;
    this.rank = inst.machineRank;
    this.lastOps = new Int32Array(inst.nJobs);
    for (let j = 0; j < inst.nJobs; j++) this.lastOps[j] = inst.jobFirst[j + 1] - 1;

    const M = inst.nMachines;
    this.mp = new Int32Array(n);
    this.ms = new Int32Array(n);
    this.mFirst = new Int32Array(M);
    this.mLast = new Int32Array(M);
    this.r = new Float64Array(n);
    this.q = new Float64Array(n);
    this.order = new Int32Array(n);
    this.indeg = new Int32Array(n);
    this.trial = new Float64Array(n);
    this.bestStart = new Float64Array(n);
    this.zobrist = new Int32Array(n + 1);
    for (let i = 0; i <= n; i++) this.zobrist[i] = this.rng.nextU32() | 1;

    const K = (this.K = Math.max(1, inst.maxOpsPerMachine));
    this.tabuDirect = n * K <= DIRECT_TABU_LIMIT;
    let size = DIRECT_TABU_LIMIT;
    if (this.tabuDirect) size = n * K;
    this.tabu = new Int32Array(size);
    this.tabuMask = DIRECT_TABU_LIMIT - 1;
    const base = 10 + inst.nJobs / Math.max(1, M);
    const scale = cfg.tenureScale ?? 0.7;
    this.tenureMin = Math.max(2, Math.round(base * scale));
    this.tenureMax = Math.max(this.tenureMin + 1, Math.round(1.4 * base * scale));
    this.seenHash = new Int32Array(1 << 16);
    this.seenIter = new Int32Array(1 << 16).fill(-1);

    this.path = new Int32Array(n);
    this.blocks = new Int32Array(n * 4 + 4);
    this.blockStart = new Int32Array(n * 4 + 5);
    this.tmpR = new Float64Array(K + 2);
    const cap = 4 * n * (this.exact ? 4 : 1) + 16;
    this.cType = new Uint8Array(cap);
    this.cU = new Int32Array(cap);
    this.cV = new Int32Array(cap);
    this.cVal = new Float64Array(cap);
    this.chainWeight = new Float64Array(inst.nJobs);
  }

  get isExact(): boolean {
    return this.exact;
  }

  /** Runs from the given machine sequences (grouped as inst.machineOps) until a stop condition. */
  run(seq: Int32Array): TabuResult {
    this.start(seq);
    const stopReason = this.continueUntil(this.cfg.deadline) as TabuStopReason;
    return this.result(stopReason);
  }

  /** Loads the initial solution (reported as the first improvement). */
  start(seq: Int32Array): void {
    this.load(seq);
    this.cur = this.evaluate();
    if (Number.isNaN(this.cur)) throw new Error('the initial sequences contain a cycle');
    this.improve(this.cur);
    const defaultStag = Math.max(2500, Math.min(20000, 40 * this.n));
    this.maxStag = this.cfg.maxStagnation ?? (this.exact ? Math.max(300, Math.min(5000, 10 * this.n)) : defaultStag);
  }

  get best(): number {
    return this.bestValue;
  }

  get iterations(): number {
    return this.iter;
  }

  result(stopReason: TabuStopReason): TabuResult {
    return { start: Float64Array.from(this.bestStart), value: this.bestValue, iterations: this.iter, stopReason, bestAt: this.bestAt };
  }

  /**
   * Iterates until `deadline` or another stop condition, returning why it stopped; or pauses
   * ('pause') once the iteration count reaches `pauseAt`, to be continued by another call.
   */
  continueUntil(deadline: number, pauseAt = Infinity): TabuStopReason | 'pause' {
    const cfg = this.cfg;
    // With at most one operation per machine there is a single (semi-active) schedule: optimal.
    if (this.inst.maxOpsPerMachine <= 1) return 'optimal';
    for (;;) {
      if (this.bestValue <= cfg.target) return 'optimal';
      if (this.iter >= cfg.maxIterations) return 'iterations';
      if (this.iter >= pauseAt) return 'pause';
      if (cfg.now() >= deadline) return 'timeLimit';
      if (cfg.shouldStop && cfg.shouldStop()) return 'cancelled';
      this.iter++;
      this.sliceDeadline = deadline;
      this.neighbourhood();
      if (this.interrupted) {
        // Exact mode on a big instance: the deadline (or a cancel) came within the neighbourhood.
        this.interrupted = false;
        return cfg.now() >= deadline ? 'timeLimit' : 'cancelled';
      }
      const c = this.select();
      if (c < 0) {
        this.cur = this.restart();
        this.noImprove = 0;
        continue;
      }
      this.applyCandidate(c);
      const cur = (this.cur = this.evaluate());
      if (Number.isNaN(cur)) {
        // A move closed a cycle (possible only with zero durations): restart from an elite solution.
        this.cur = this.restart();
        this.noImprove = 0;
        continue;
      }
      if (cfg.onIterate) cfg.onIterate(this.r, cur);
      if (cur < this.bestValue) {
        this.improve(cur);
        this.noImprove = 0;
        this.revisits = 0;
        continue;
      }
      // Cycle detection: the same sequences seen again within a short horizon.
      const slot = this.hash & 0xffff;
      if (this.seenHash[slot] === this.hash && this.seenIter[slot] >= 0 && this.iter - this.seenIter[slot] <= 4 * this.tenureMax) this.revisits++;
      this.seenHash[slot] = this.hash;
      this.seenIter[slot] = this.iter;
      if (++this.noImprove > this.maxStag || this.revisits > 50) {
        this.cur = this.restart();
        this.noImprove = 0;
        this.revisits = 0;
      }
    }
  }

  // --- Solutions -------------------------------------------------------------------------------

  private load(seq: Int32Array): void {
    const { mp, ms, mFirst, mLast } = this;
    const mf = this.inst.machineFirst;
    for (let m = 0; m < this.inst.nMachines; m++) {
      const a = mf[m];
      const b = mf[m + 1];
      mFirst[m] = a < b ? seq[a] : -1;
      mLast[m] = a < b ? seq[b - 1] : -1;
      for (let i = a; i < b; i++) {
        mp[seq[i]] = i > a ? seq[i - 1] : -1;
        ms[seq[i]] = i < b - 1 ? seq[i + 1] : -1;
      }
    }
  }

  private loadLinks(ms: Int32Array, first: Int32Array): void {
    this.ms.set(ms);
    this.mFirst.set(first);
    for (let m = 0; m < this.inst.nMachines; m++) {
      let prev = -1;
      for (let x = first[m]; x >= 0; x = ms[x]) {
        this.mp[x] = prev;
        prev = x;
      }
      this.mLast[m] = prev;
    }
  }

  private improve(value: number): void {
    this.bestValue = value;
    this.bestAt = this.cfg.now();
    this.bestStart.set(this.r);
    this.pushElite(value);
    if (this.cfg.onImprove) this.cfg.onImprove(value, this.bestStart, this.iter);
  }

  private pushElite(value: number): void {
    let e: { ms: Int32Array; first: Int32Array; value: number };
    if (this.elite.length < ELITE) {
      e = { ms: new Int32Array(this.n), first: new Int32Array(this.inst.nMachines), value };
      this.elite.push(e);
    } else {
      // Replace the worst.
      e = this.elite[0];
      for (const x of this.elite) if (x.value > e.value) e = x;
    }
    e.ms.set(this.ms);
    e.first.set(this.mFirst);
    e.value = value;
  }

  /** Restart from the best (or, sometimes, another elite) solution, perturbed by a few random critical swaps. */
  private restart(): number {
    return this.restartFromBest(true);
  }

  private restartFromBest(perturb: boolean): number {
    const rng = this.rng;
    let e = this.elite[0];
    for (const x of this.elite) if (x.value < e.value) e = x;
    if (perturb && this.elite.length > 1 && rng.next() < (this.cfg.eliteRestart ?? 0.3)) e = this.elite[rng.int(this.elite.length)];
    this.loadLinks(e.ms, e.first);
    let cur = this.evaluate();
    const pMin = this.cfg.perturbMin ?? 2;
    const pMax = this.cfg.perturbMax ?? pMin + Math.max(1, Math.round(Math.sqrt(this.n) / 2)) - 1;
    const steps = perturb ? pMin + rng.int(pMax - pMin + 1) : 0;
    for (let s = 0; s < steps; s++) {
      this.criticalBlocks(this.randomChainEnd());
      if (this.nBlocks === 0) break;
      const b = rng.int(this.nBlocks);
      const from = this.blockStart[b];
      const len = this.blockStart[b + 1] - from;
      const i = from + rng.int(len - 1);
      const u = this.blocks[i];
      const v = this.blocks[i + 1];
      this.moveAfter(u, v);
      const val = this.evaluate();
      if (Number.isNaN(val)) {
        this.moveAfter(v, u);
        cur = this.evaluate();
      } else cur = val;
    }
    this.tabu.fill(0);
    this.seenIter.fill(-1);
    return cur;
  }

  // --- Linked lists ------------------------------------------------------------------------------

  /** Moves x right after y on their machine (y = −1: to the front). */
  private moveAfter(x: number, y: number): void {
    const { mp, ms, mFirst, mLast } = this;
    const m = this.opMachine[x];
    const a = mp[x];
    const b = ms[x];
    if (a >= 0) ms[a] = b;
    else mFirst[m] = b;
    if (b >= 0) mp[b] = a;
    else mLast[m] = a;
    const c = y >= 0 ? ms[y] : mFirst[m];
    mp[x] = y;
    ms[x] = c;
    if (y >= 0) ms[y] = x;
    else mFirst[m] = x;
    if (c >= 0) mp[c] = x;
    else mLast[m] = x;
  }

  // --- Evaluation --------------------------------------------------------------------------------

  /** Evaluates the current solution into r (and q in fast mode); NaN when it has a cycle. */
  private evaluate(): number {
    if (!this.exact) return this.headsTails();
    return this.decode(this.r, true);
  }

  /** Fast mode: heads, tails and the makespan (Kahn's order); NaN on a cycle. */
  private headsTails(): number {
    const { n, p, jp, js, mp, ms, r, q, order, indeg, head0, mReady, opMachine, zobrist } = this;
    let qt = 0;
    let h = 0;
    for (let o = 0; o < n; o++) {
      const d = (jp[o] >= 0 ? 1 : 0) + (mp[o] >= 0 ? 1 : 0);
      indeg[o] = d;
      if (d === 0) order[qt++] = o;
      h = (h + Math.imul(zobrist[o], zobrist[mp[o] + 1] ^ 0x5bd1e995)) | 0;
    }
    this.hash = h;
    let qh = 0;
    while (qh < qt) {
      const o = order[qh++];
      const a = jp[o];
      const b = mp[o];
      let t = a >= 0 ? r[a] + p[a] : head0[o];
      const u = b >= 0 ? r[b] + p[b] : mReady[opMachine[o]];
      if (u > t) t = u;
      r[o] = t;
      const c = js[o];
      if (c >= 0 && --indeg[c] === 0) order[qt++] = c;
      const d = ms[o];
      if (d >= 0 && --indeg[d] === 0) order[qt++] = d;
    }
    if (qt < n) return NaN;
    let cmax = -Infinity;
    for (let i = n - 1; i >= 0; i--) {
      const o = order[i];
      const a = js[o];
      const b = ms[o];
      let t = a >= 0 ? q[a] + p[a] : 0;
      const u = b >= 0 ? q[b] + p[b] : 0;
      if (u > t) t = u;
      q[o] = t;
      const e = r[o] + p[o] + t;
      if (e > cmax) cmax = e;
    }
    return cmax;
  }

  /** Exact mode: semi-active start times (windows included) into st and the objective; NaN on a cycle. */
  private decode(st: Float64Array, withHash: boolean): number {
    const { n, p, jp, js, mp, ms, order, indeg, head0, mReady, opMachine, inst, zobrist } = this;
    let qt = 0;
    let h = 0;
    for (let o = 0; o < n; o++) {
      const d = (jp[o] >= 0 ? 1 : 0) + (mp[o] >= 0 ? 1 : 0);
      indeg[o] = d;
      if (d === 0) order[qt++] = o;
      if (withHash) h = (h + Math.imul(zobrist[o], zobrist[mp[o] + 1] ^ 0x5bd1e995)) | 0;
    }
    if (withHash) this.hash = h;
    const windows = inst.hasWindows;
    let qh = 0;
    while (qh < qt) {
      const o = order[qh++];
      const a = jp[o];
      const b = mp[o];
      let t = a >= 0 ? st[a] + p[a] : head0[o];
      const u = b >= 0 ? st[b] + p[b] : mReady[opMachine[o]];
      if (u > t) t = u;
      if (windows) t = fitWindows(inst, opMachine[o], t, p[o]);
      st[o] = t;
      const c = js[o];
      if (c >= 0 && --indeg[c] === 0) order[qt++] = c;
      const d = ms[o];
      if (d >= 0 && --indeg[d] === 0) order[qt++] = d;
    }
    if (qt < n) return NaN;
    return this.objectiveOf(st);
  }

  private objectiveOf(st: Float64Array): number {
    const { lastOps, p } = this;
    const obj = this.cfg.objective;
    const due = this.inst.due;
    const w = this.inst.weight;
    let cmax = -Infinity;
    let tard = 0;
    let wtard = 0;
    for (let j = 0; j < lastOps.length; j++) {
      const o = lastOps[j];
      const c = st[o] + p[o];
      if (c > cmax) cmax = c;
      const t = c - due[j];
      if (t > 0) {
        tard += t;
        wtard += w[j] * t;
      }
    }
    let v = 0;
    if (obj.makespan > 0) v += obj.makespan * cmax;
    if (obj.tardiness > 0) v += obj.tardiness * tard;
    if (obj.weightedTardiness > 0) v += obj.weightedTardiness * wtard;
    return v;
  }

  // --- Critical chains and blocks ----------------------------------------------------------------

  /** A random operation finishing last (the end of a critical path). */
  private randomChainEnd(): number {
    const { n, r, p, rng } = this;
    let cmax = -Infinity;
    let pick = -1;
    let ties = 0;
    for (let o = 0; o < n; o++) {
      const e = r[o] + p[o];
      if (e > cmax) {
        cmax = e;
        pick = o;
        ties = 1;
      } else if (e === cmax && rng.int(++ties) === 0) pick = o;
    }
    return pick;
  }

  /** Traces the critical chain ending at `end` (ties between job and machine links at random) and
   *  appends its blocks (>= 2 operations) to the block list (reset when `append` is false). */
  private criticalBlocks(end: number, append = false): void {
    const { r, p, jp, mp, head0, mReady, opMachine, path, rng, ms } = this;
    let len = 0;
    let x = end;
    while (x >= 0) {
      path[len++] = x;
      const s = r[x];
      const a = jp[x];
      const b = mp[x];
      const ja = a >= 0 ? r[a] + p[a] : head0[x];
      const mb = b >= 0 ? r[b] + p[b] : mReady[opMachine[x]];
      const tightJ = a >= 0 && ja === s;
      const tightM = b >= 0 && mb === s;
      if (tightJ && tightM) x = rng.next() < 0.5 ? a : b;
      else if (tightM) x = b;
      else if (tightJ) x = a;
      else if (s > ja && s > mb) {
        // Pushed by an unavailability window: follow the predecessor that ends later.
        if (a < 0 && b < 0) break;
        x = b >= 0 && (a < 0 || mb >= ja) ? b : a;
      } else break;
    }
    if (!append) this.nBlocks = 0;
    // path is from the end backwards; blocks from the start of the path forwards.
    const { blocks, blockStart } = this;
    let nb = this.nBlocks;
    let fill = blockStart[nb];
    if (nb === 0) fill = blockStart[0] = 0;
    let i = len - 1;
    while (i >= 0) {
      let k = i;
      while (k > 0 && ms[path[k]] === path[k - 1]) k--;
      if (k < i && fill + (i - k + 1) <= blocks.length && !this.haveBlock(path[i], path[k], nb)) {
        for (let t = i; t >= k; t--) blocks[fill++] = path[t];
        blockStart[++nb] = fill;
      }
      i = k - 1;
    }
    this.nBlocks = nb;
  }

  private haveBlock(first: number, last: number, nb: number): boolean {
    if (nb === 0) return false;
    const { blocks, blockStart } = this;
    for (let b = 0; b < nb; b++) if (blocks[blockStart[b]] === first && blocks[blockStart[b + 1] - 1] === last) return true;
    return false;
  }

  // --- Neighbourhood -----------------------------------------------------------------------------

  private neighbourhood(): void {
    if (!this.exact) this.criticalBlocks(this.randomChainEnd());
    else this.exactChains();
    this.nCand = 0;
    const { blocks, blockStart } = this;
    for (let b = 0; b < this.nBlocks; b++) {
      const s = blockStart[b];
      const k = blockStart[b + 1] - s;
      const first = blocks[s];
      const last = blocks[s + k - 1];
      if (k === 2) {
        this.candidate(FORWARD, first, last);
        continue;
      }
      for (let i = 1; i < k; i++) this.candidate(BACKWARD, first, blocks[s + i]);
      for (let i = 0; i < k - 1; i++) this.candidate(FORWARD, blocks[s + i], last);
      for (let i = 2; i <= k - 2; i++) this.candidate(FORWARD, first, blocks[s + i]);
      for (let i = 1; i <= k - 3; i++) this.candidate(BACKWARD, blocks[s + i], last);
    }
  }

  /** Exact mode: blocks of the makespan chain and of the chains of up to 4 tardy jobs. */
  private exactChains(): void {
    const obj = this.cfg.objective;
    const { rng, lastOps, r, p, chainWeight } = this;
    const due = this.inst.due;
    const w = this.inst.weight;
    let appended = false;
    if (obj.makespan > 0) {
      this.criticalBlocks(this.randomChainEnd());
      appended = true;
    }
    if (obj.tardiness > 0 || obj.weightedTardiness > 0) {
      let total = 0;
      let tardy = 0;
      for (let j = 0; j < lastOps.length; j++) {
        const t = r[lastOps[j]] + p[lastOps[j]] - due[j];
        const cw = t > 0 ? t * (obj.tardiness + obj.weightedTardiness * w[j]) : 0;
        chainWeight[j] = cw;
        if (cw > 0) {
          total += cw;
          tardy++;
        }
      }
      const picks = Math.min(4, tardy);
      for (let k = 0; k < picks; k++) {
        // Roulette on weighted tardiness (a job may be drawn twice: its blocks are deduplicated).
        let x = rng.next() * total;
        let j = 0;
        for (; j < lastOps.length - 1; j++) {
          x -= chainWeight[j];
          if (x < 0 && chainWeight[j] > 0) break;
        }
        if (chainWeight[j] <= 0) continue;
        this.criticalBlocks(lastOps[j], appended);
        appended = true;
      }
    }
    if (!appended) this.nBlocks = 0;
  }

  /** Evaluates one move and, unless infeasible, adds it to the candidates. */
  private candidate(type: number, u: number, v: number): void {
    if (this.exact) {
      // Each exact evaluation is O(N): on big instances look at the clock within the neighbourhood.
      if (this.interrupted) return;
      if ((++this.evaluations & 15) === 0 && (this.cfg.now() >= this.sliceDeadline || (this.cfg.shouldStop && this.cfg.shouldStop()))) {
        this.interrupted = true;
        return;
      }
    }
    const val = this.exact ? this.exactValue(type, u, v) : this.estimate(type, u, v);
    if (Number.isNaN(val)) return;
    const c = this.nCand;
    if (c >= this.cVal.length) return;
    this.cType[c] = type;
    this.cU[c] = u;
    this.cV[c] = v;
    this.cVal[c] = val;
    this.nCand = c + 1;
  }

  /** Approximate makespan after the move (fast mode); NaN when it might close a cycle. */
  private estimate(type: number, u: number, v: number): number {
    const { r, q, p, jp, js, mp, ms, head0, mReady, opMachine, tmpR } = this;
    let prevEnd: number;
    const pu = mp[u];
    prevEnd = pu >= 0 ? r[pu] + p[pu] : mReady[opMachine[u]];
    let est = -Infinity;
    if (type === FORWARD) {
      // u moves after v: new order l1..lk (= ms[u]..v), u.
      const b = js[u];
      if (b >= 0) {
        if (b === v) return NaN;
        const lv = q[v] + p[v];
        const lb = q[b] + p[b];
        if (!(lv > lb || (lv === lb && p[b] > 0))) return NaN;
      }
      let i = 0;
      let x = ms[u];
      for (;;) {
        const a = jp[x];
        let h = a >= 0 ? r[a] + p[a] : head0[x];
        if (prevEnd > h) h = prevEnd;
        tmpR[i++] = h;
        prevEnd = h + p[x];
        if (x === v) break;
        x = ms[x];
      }
      const a = jp[u];
      let hu = a >= 0 ? r[a] + p[a] : head0[u];
      if (prevEnd > hu) hu = prevEnd;
      const c = ms[v];
      let nextT = c >= 0 ? q[c] + p[c] : 0;
      let tu = b >= 0 ? q[b] + p[b] : 0;
      if (nextT > tu) tu = nextT;
      est = hu + p[u] + tu;
      nextT = tu + p[u];
      x = v;
      while (i > 0) {
        i--;
        const d = js[x];
        let t = d >= 0 ? q[d] + p[d] : 0;
        if (nextT > t) t = nextT;
        const e = tmpR[i] + p[x] + t;
        if (e > est) est = e;
        nextT = t + p[x];
        x = mp[x];
      }
      return est;
    }
    // BACKWARD: v moves before u: new order v, l1..lk (= u..mp[v]).
    const a = jp[v];
    if (a >= 0) {
      if (a === u) return NaN;
      const la = r[a] + p[a];
      const lu = r[u] + p[u];
      if (!(la < lu || (la === lu && p[a] > 0))) return NaN;
    }
    let hv = a >= 0 ? r[a] + p[a] : head0[v];
    if (prevEnd > hv) hv = prevEnd;
    prevEnd = hv + p[v];
    const lk = mp[v];
    let i = 0;
    let x = u;
    for (;;) {
      const d = jp[x];
      let h = d >= 0 ? r[d] + p[d] : head0[x];
      if (prevEnd > h) h = prevEnd;
      tmpR[i++] = h;
      prevEnd = h + p[x];
      if (x === lk) break;
      x = ms[x];
    }
    const c = ms[v];
    let nextT = c >= 0 ? q[c] + p[c] : 0;
    x = lk;
    while (i > 0) {
      i--;
      const d = js[x];
      let t = d >= 0 ? q[d] + p[d] : 0;
      if (nextT > t) t = nextT;
      const e = tmpR[i] + p[x] + t;
      if (e > est) est = e;
      nextT = t + p[x];
      x = mp[x];
    }
    const d = js[v];
    let tv = d >= 0 ? q[d] + p[d] : 0;
    if (nextT > tv) tv = nextT;
    const e = hv + p[v] + tv;
    return e > est ? e : est;
  }

  /** Exact value of the solution after the move (exact mode); NaN on a cycle. */
  private exactValue(type: number, u: number, v: number): number {
    if (type === FORWARD) {
      if (this.js[u] === v) return NaN;
      const back = this.mp[u];
      this.moveAfter(u, v);
      const val = this.decode(this.trial, false);
      this.moveAfter(u, back);
      return val;
    }
    if (this.jp[v] === u) return NaN;
    const back = this.mp[v];
    this.moveAfter(v, this.mp[u]);
    const val = this.decode(this.trial, false);
    this.moveAfter(v, back);
    return val;
  }

  // --- Tabu --------------------------------------------------------------------------------------

  private tabuIndex(a: number, b: number): number {
    if (this.tabuDirect) return a * this.K + this.rank[b];
    return (Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 1, 0x85ebca77)) & this.tabuMask;
  }

  /** Latest expiry among the orders the move would restore (<= iter: not tabu). */
  private tabuExpiry(type: number, u: number, v: number): number {
    const { tabu, ms } = this;
    let worst = 0;
    if (type === FORWARD) {
      // Creates (l before u) for l in ms[u]..v.
      for (let x = ms[u]; ; x = ms[x]) {
        const t = tabu[this.tabuIndex(x, u)];
        if (t > worst) worst = t;
        if (x === v) break;
      }
    } else {
      // Creates (v before l) for l in u..mp[v].
      for (let x = u; x !== v; x = ms[x]) {
        const t = tabu[this.tabuIndex(v, x)];
        if (t > worst) worst = t;
      }
    }
    return worst;
  }

  /** Index of the chosen candidate, or −1 when there is none. */
  private select(): number {
    const { cType, cU, cV, cVal, rng } = this;
    const iter = this.iter;
    let best = -1;
    let bestVal = Infinity;
    let ties = 0;
    let fallback = -1;
    let fallbackExpiry = Infinity;
    for (let c = 0; c < this.nCand; c++) {
      const val = cVal[c];
      if (val > bestVal) continue;
      const expiry = this.tabuExpiry(cType[c], cU[c], cV[c]);
      if (expiry > iter && !(val < this.bestValue)) {
        if (best < 0 && (expiry < fallbackExpiry || (expiry === fallbackExpiry && rng.next() < 0.5))) {
          fallbackExpiry = expiry;
          fallback = c;
        }
        continue;
      }
      if (val < bestVal) {
        bestVal = val;
        best = c;
        ties = 1;
      } else if (rng.int(++ties) === 0) best = c;
    }
    return best >= 0 ? best : fallback;
  }

  private applyCandidate(c: number): void {
    const type = this.cType[c];
    const u = this.cU[c];
    const v = this.cV[c];
    const { tabu, ms, rng } = this;
    const expiry = this.iter + this.tenureMin + rng.int(this.tenureMax - this.tenureMin + 1);
    if (type === FORWARD) {
      // Forbid u before l again for l in ms[u]..v.
      for (let x = ms[u]; ; x = ms[x]) {
        tabu[this.tabuIndex(u, x)] = expiry;
        if (x === v) break;
      }
      this.moveAfter(u, v);
    } else {
      // Forbid l before v again for l in u..mp[v].
      for (let x = u; x !== v; x = ms[x]) tabu[this.tabuIndex(x, v)] = expiry;
      this.moveAfter(v, this.mp[u]);
    }
  }
}
