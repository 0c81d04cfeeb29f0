'use strict';
/**
 * The send time of a sample, carried inside its value, so that the end of the chain can measure
 * publish-to-arrival latency. twin-deviation's scored sample keeps the sample's `value` but not its
 * source time, so the only field that survives ingest -> state -> deviation unchanged is the value.
 *
 *   value = base + (sendTime mod 1,000,000 ms) x 1e-9
 *
 * `base` is the signal's reading with two decimals (a noisy sine around 50, see publisher.js); the
 * time adds less than 0.001, far below the signal's noise (sigma 0.5), so it does not change what
 * the detectors see. Decoding rounds the value to two decimals, which gives back `base` exactly
 * (the same Math.round(x * 100) / 100 the publisher used), and the difference is the send time
 * modulo 1,000 s with an error below 1e-5 ms (the value's last bit). The send time is then the
 * latest time before the arrival with that remainder: latencies from -100 s to +900 s are read
 * correctly (the clocks of the processes agree within a millisecond); anything later would be
 * misread, which no run comes near (the counter files everything over 2 s in one bucket anyway).
 */
const MOD_MS = 1e6;
const SCALE = 1e-9;

/** A reading rounded to two decimals, as the publisher sends it. */
function twoDecimals(x) {
  return Math.round(x * 100) / 100;
}

/** The value to publish: `base` (already rounded to two decimals) plus the send time. */
function encode(base, sendTimeMs) {
  return base + (sendTimeMs % MOD_MS) * SCALE;
}

/** The send time (epoch ms) hidden in `value`, given the arrival time `nowMs`; NaN if `value` is not a number. */
function sendTimeOf(value, nowMs) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return NaN;
  const remainder = (value - twoDecimals(value)) / SCALE;
  let latency = (nowMs % MOD_MS) - remainder;
  if (latency < -MOD_MS / 10) latency += MOD_MS;
  else if (latency >= (MOD_MS * 9) / 10) latency -= MOD_MS;
  return nowMs - latency;
}

module.exports = { encode, sendTimeOf, twoDecimals, MOD_MS };
