'use strict';
/**
 * The soak's judgements, as plain functions of its samples.
 *
 * rssGrowth(samples, {durationS, warmupShare, windowS}): samples are {t (s since the soak began),
 * rssMiB}. The first warmupShare of the soak is warm-up (heap and caches growing to their working
 * size) and is not judged. The first window is [warm-up end, warm-up end + windowS], the last window
 * [end - windowS, end]; growth = median of the last / median of the first - 1, in %. Also the maximum
 * and a least-squares slope over everything after the warm-up (MiB per hour, information only).
 *
 * intervalLatency(previous, current): two cumulative counter snapshots (bench/ingest/counter.js) of
 * one consumer; the samples counted between them and their p50 / p99 (from the histograms' difference).
 */
const { percentile } = require('../ingest/counter');

const median = (values) => {
  if (values.length === 0) return NaN;
  const v = [...values].sort((a, b) => a - b);
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
};
const r1 = (x) => (Number.isFinite(x) ? Math.round(x * 10) / 10 : x);
const r2 = (x) => (Number.isFinite(x) ? Math.round(x * 100) / 100 : x);

function rssGrowth(samples, { durationS, warmupShare = 0.2, windowS = 60 }) {
  const warmupEndS = durationS * warmupShare;
  const endS = Math.max(durationS, ...samples.map((s) => s.t));
  const inWindow = (from, to) => samples.filter((s) => s.t >= from && s.t <= to).map((s) => s.rssMiB);
  const first = inWindow(warmupEndS, warmupEndS + windowS);
  const last = inWindow(endS - windowS, endS);
  const firstMedian = median(first);
  const lastMedian = median(last);
  const after = samples.filter((s) => s.t >= warmupEndS);
  let slope = NaN;
  if (after.length >= 2) {
    const mt = after.reduce((a, s) => a + s.t, 0) / after.length;
    const mr = after.reduce((a, s) => a + s.rssMiB, 0) / after.length;
    const num = after.reduce((a, s) => a + (s.t - mt) * (s.rssMiB - mr), 0);
    const den = after.reduce((a, s) => a + (s.t - mt) ** 2, 0);
    slope = den > 0 ? (num / den) * 3600 : NaN;
  }
  return {
    rule: `median RSS of the last ${windowS} s / median of the first ${windowS} s after a warm-up of ${r1(warmupEndS)} s (${warmupShare * 100} % of the soak) - 1`,
    warmupEndS: r1(warmupEndS),
    firstWindow: { fromS: r1(warmupEndS), toS: r1(warmupEndS + windowS), readings: first.length, medianMiB: r1(firstMedian) },
    lastWindow: { fromS: r1(endS - windowS), toS: r1(endS), readings: last.length, medianMiB: r1(lastMedian) },
    growthPercent: r2((lastMedian / firstMedian - 1) * 100),
    maxMiB: r1(Math.max(...samples.map((s) => s.rssMiB))),
    maxAfterWarmupMiB: r1(Math.max(...after.map((s) => s.rssMiB))),
    slopeMiBPerHour: r1(slope),
  };
}

function intervalLatency(previous, current) {
  const before = new Map(previous ? previous.hist : []);
  const hist = [];
  for (const [bucket, count] of current.hist) {
    const d = count - (before.get(bucket) || 0);
    if (d > 0) hist.push([bucket, d]);
  }
  const diff = { hist, overflowBucket: current.overflowBucket, bucketMs: current.bucketMs };
  const n = current.n - (previous ? previous.n : 0);
  const pct = (p) => {
    const v = percentile(diff, p);
    return v === Infinity ? '>2000' : r1(v);
  };
  return { n, p50Ms: n > 0 ? pct(50) : null, p99Ms: n > 0 ? pct(99) : null };
}

module.exports = { rssGrowth, intervalLatency, median };
