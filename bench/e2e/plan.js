'use strict';
/**
 * What one run of the end-to-end benchmark does, from its command-line options:
 *   (none)              full run: sweep 20 s per point after 5 s, throughput rounds, 30-minute soak
 *   --ci                CI run: sweep 5 s per point after 2 s (QoS 0 only), no throughput rounds, 2-minute soak
 *   --soak-minutes=N    the soak's length (also BENCH_E2E_SOAK_MIN); 0 or --no-soak: no soak
 *   --soak-rate=N       the soak's rate in messages per second (default 5,000, the issue's)
 *   --no-sweep          no sweep and no throughput rounds (the fill still runs)
 * bench/run.js passes its own `--` options on to every benchmark, and asks timeLimitSeconds() for
 * this benchmark's time limit (bench/e2e/time-limit.js).
 */
function parseArgs(argv, env = {}) {
  const opts = { ci: false, soakMinutes: undefined, sweep: true, soak: true };
  for (const arg of argv) {
    if (arg === '--ci') opts.ci = true;
    else if (arg === '--no-soak') opts.soak = false;
    else if (arg === '--no-sweep') opts.sweep = false;
    else if (arg.startsWith('--soak-minutes=')) opts.soakMinutes = Number(arg.slice('--soak-minutes='.length));
    else if (arg.startsWith('--soak-rate=')) opts.soakRate = Number(arg.slice('--soak-rate='.length));
  }
  if (opts.soakMinutes === undefined && env.BENCH_E2E_SOAK_MIN) opts.soakMinutes = Number(env.BENCH_E2E_SOAK_MIN);
  if (opts.soakMinutes !== undefined && !(Number.isFinite(opts.soakMinutes) && opts.soakMinutes >= 0)) {
    throw new Error('--soak-minutes (or BENCH_E2E_SOAK_MIN) must be a number of minutes >= 0');
  }
  if (opts.soakMinutes === undefined) opts.soakMinutes = opts.ci ? 2 : 30;
  if (opts.soakRate === undefined) opts.soakRate = 5000;
  if (!(Number.isFinite(opts.soakRate) && opts.soakRate > 0)) throw new Error('--soak-rate must be messages per second > 0');
  if (opts.soakMinutes === 0) opts.soak = false;
  const flags = [opts.ci ? '--ci' : '', !opts.sweep ? '--no-sweep' : '', !opts.soak ? '--no-soak' : '',
    opts.soak && opts.soakMinutes !== (opts.ci ? 2 : 30) ? `--soak-minutes=${opts.soakMinutes}` : '',
    opts.soak && opts.soakRate !== 5000 ? `--soak-rate=${opts.soakRate}` : ''].filter(Boolean);
  opts.command = `npm run bench -- --no-build e2e${flags.length ? ` ${flags.join(' ')}` : ''}`;
  return opts;
}

/** The run's CONFIG (recorded in its result file). */
function plan(opts, signalCount) {
  return {
    mode: opts.ci ? 'ci' : 'full',
    signals: signalCount,
    assets: signalCount / 10,
    payload: '{"value": noisy sine with the send time below the 3rd decimal, "ts": send time}',
    ackEvery: 100,
    window: 1000,
    // 220 samples a signal: the detectors' warm-up is 100; each machine's T2 + Q model discovers its
    // signals in its first 50 samples (5 a signal) and fits on 200 rows (one row per cycle of its 10
    // signals): 205 a signal, and 15 to spare.
    fill: { samplesPerSignal: 220, count: 220 * signalCount, timeLimitMs: 120000 },
    sweep: opts.sweep
      ? {
        warmupS: opts.ci ? 2 : 5,
        durationS: opts.ci ? 5 : 20,
        points: [{ rate: 1000, qos: 0 }, { rate: 5000, qos: 0 }, { rate: 10000, qos: 0 }, ...(opts.ci ? [] : [{ rate: 5000, qos: 1 }])],
      }
      : null,
    throughput: opts.sweep && !opts.ci ? { warmupMs: 2000, durationMs: 5000, rounds: 2 } : null,
    soak: opts.soak
      ? { rate: opts.soakRate, qos: 0, minutes: opts.soakMinutes, rssEveryS: 5, intervalS: opts.ci || opts.soakMinutes < 10 ? 20 : 60,
        // The heap grows to its working size over the first minutes (30-minute soak: flat from about
        // 15 min); a 2-minute soak judges its second minute only.
        warmupShare: opts.ci ? 0.5 : 0.2, settleMs: 120000, abortAfterUnanswered: 3 }
      : null,
    idleMs: opts.ci ? 3000 : 10000,
    startTimeLimitMs: 60000,
  };
}

/** An upper bound of the run's length in seconds (bench/run.js's time limit for it). */
function timeLimitSeconds(config) {
  let s = 60 + config.fill.timeLimitMs / 1000 + 30;
  if (config.sweep) s += config.sweep.points.length * ((config.sweep.warmupS + config.sweep.durationS) * 1.5 + 30);
  if (config.throughput) s += 3 * 2 * ((config.throughput.warmupMs + config.throughput.durationMs) / 1000 + 25);
  if (config.soak) s += config.soak.minutes * 60 * 1.2 + 90;
  return Math.ceil(s);
}

module.exports = { parseArgs, plan, timeLimitSeconds };
