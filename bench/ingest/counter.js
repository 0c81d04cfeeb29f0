'use strict';
/**
 * The sample counter shared by both consumers of the ingest benchmark: the bare mqtt.js subscriber
 * and the Node-RED flow's counting node (bench/ingest/count-node) call the very same code, so both
 * count alike.
 *
 * Per sample it does a handful of number operations: count, first/last arrival time, and a latency
 * histogram in 0.1 ms buckets up to 2 s (one more bucket for anything later). Every `ackEvery`
 * samples it asks the caller to send an ack "<phase>:<count>" (the publisher's closed loop).
 */
function makeCounter(clock) {
  const BUCKETS = 20000; // 0.1 ms each: 0 .. 2000 ms; index BUCKETS = 2 s or more
  const s = {
    phase: '',
    ackEvery: 0,
    n: 0,
    firstAt: 0,
    lastAt: 0,
    maxLatency: 0,
    sumLatency: 0,
    negative: 0,
    errors: 0,
    lastError: '',
    lastStatus: '',
    hist: new Uint32Array(BUCKETS + 1),
  };
  return {
    /** One sample that left the path under test; true when an ack is due. */
    sample(sourceTime) {
      const now = clock();
      let latency = now - sourceTime;
      if (latency < 0) {
        s.negative++;
        latency = 0;
      }
      const bucket = latency >= 2000 ? BUCKETS : Math.floor(latency * 10);
      s.hist[bucket]++;
      s.sumLatency += latency;
      if (latency > s.maxLatency) s.maxLatency = latency;
      if (s.n === 0) s.firstAt = now;
      s.lastAt = now;
      s.n++;
      return s.ackEvery > 0 && s.n % s.ackEvery === 0;
    },
    ack() {
      return `${s.phase}:${s.n}`;
    },
    error(message) {
      s.errors++;
      s.lastError = String(message).slice(0, 200);
    },
    status(text) {
      s.lastStatus = String(text);
    },
    reset(phase, ackEvery) {
      s.phase = String(phase);
      s.ackEvery = ackEvery > 0 ? ackEvery : 0;
      s.n = s.firstAt = s.lastAt = s.maxLatency = s.sumLatency = s.negative = s.errors = 0;
      s.lastError = '';
      s.hist.fill(0);
    },
    /** Plain JSON-able summary; the histogram as [bucket, count] pairs of the non-empty buckets. */
    snapshot() {
      const hist = [];
      for (let i = 0; i <= BUCKETS; i++) if (s.hist[i] !== 0) hist.push([i, s.hist[i]]);
      return {
        phase: s.phase, n: s.n, firstAt: s.firstAt, lastAt: s.lastAt, maxLatency: s.maxLatency,
        sumLatency: s.sumLatency, negative: s.negative, errors: s.errors, lastError: s.lastError,
        lastStatus: s.lastStatus, bucketMs: 0.1, overflowBucket: BUCKETS, hist,
      };
    },
  };
}

/** Latency percentile (ms) from a snapshot's histogram: the upper edge of the bucket holding it. */
function percentile(snapshot, p) {
  const total = snapshot.hist.reduce((sum, [, count]) => sum + count, 0);
  if (total === 0) return null;
  const rank = Math.ceil((p / 100) * total);
  let seen = 0;
  for (const [bucket, count] of snapshot.hist) {
    seen += count;
    if (seen >= rank) return bucket === snapshot.overflowBucket ? Infinity : (bucket + 1) * snapshot.bucketMs;
  }
  return Infinity;
}

module.exports = { makeCounter, percentile };
