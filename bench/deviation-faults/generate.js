'use strict';
/**
 * Seeded 1 Hz plant-signal streams with one injected fault, for bench/deviation-faults.
 *
 *   clean(t) = LEVEL + AMPLITUDE * sin(2 pi t / PERIOD_S + phase)     (what a twin would predict)
 *   value(t) = clean(t) + SIGMA * N(0,1)                              (then the fault, if any)
 *
 * The oscillation is "daily-like" but compressed to PERIOD_S = 2 h so several cycles fit into a
 * stream; the phase comes from the seed. Faults (onset at sample `onset`, all in units of SIGMA):
 *   step   value += 3 sigma from the onset to the end of the stream
 *   ramp   value += 0.01 sigma/s * (t - onset) from the onset to the end (3 sigma after 5 min)
 *   spike  one sample at the onset: value += 8 sigma
 *   stuck  value frozen at the last reading before the onset, for 600 samples (10 min)
 *   noise  noise multiplied by 4 for 120 samples (2 min)
 */

const LEVEL = 50;
const AMPLITUDE = 4; // 8 sigma peak to peak
const PERIOD_S = 7200;
const SIGMA = 0.5;

const { seeded } = require('../../scripts/lib/seeded-random');

/** Fault types: duration in samples (Infinity = to the end of the stream). */
const FAULTS = {
  step: { duration: Infinity, describe: 'step +3 sigma, held to the end' },
  ramp: { duration: Infinity, describe: 'ramp drift +0.01 sigma/s, to the end' },
  spike: { duration: 1, describe: 'spike, one sample +8 sigma' },
  stuck: { duration: 600, describe: 'stuck sensor, value frozen at its last reading for 10 min' },
  noise: { duration: 120, describe: 'noise burst, noise x4 for 2 min' },
};

/**
 * One stream. Returns {value, clean: Float64Array, fault, onset, end} where end is the first sample
 * after the fault (length for a fault held to the end). fault null or undefined: fault-free.
 */
function generate({ seed, length, fault = null, onset = 0 }) {
  const r = seeded(seed);
  const phase = 2 * Math.PI * r();
  const value = new Float64Array(length);
  const clean = new Float64Array(length);
  const spec = fault ? FAULTS[fault] : undefined;
  if (fault && !spec) throw new Error(`unknown fault ${fault}`);
  const end = spec ? Math.min(length, onset + spec.duration) : onset;
  for (let i = 0; i < length; i++) {
    clean[i] = LEVEL + AMPLITUDE * Math.sin((2 * Math.PI * i) / PERIOD_S + phase);
    let noise = SIGMA * r.gauss();
    const inFault = spec && i >= onset && i < end;
    if (inFault && fault === 'noise') noise *= 4;
    let v = clean[i] + noise;
    if (inFault) {
      if (fault === 'step') v += 3 * SIGMA;
      else if (fault === 'ramp') v += 0.01 * SIGMA * (i - onset);
      else if (fault === 'spike') v += 8 * SIGMA;
      else if (fault === 'stuck') v = value[onset - 1];
    }
    value[i] = v;
  }
  return { value, clean, fault, onset, end };
}

module.exports = { generate, seeded, FAULTS, LEVEL, AMPLITUDE, PERIOD_S, SIGMA };
