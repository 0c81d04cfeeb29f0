'use strict';
/**
 * The largest gap a 5 ms timer sees while something runs: how long the event loop was held.
 * `const probe = timerGapProbe(); ... const maxGapMs = probe.stop();`
 */
function timerGapProbe(everyMs = 5) {
  let last = performance.now();
  let maxGap = 0;
  const timer = setInterval(() => {
    const t = performance.now();
    if (t - last > maxGap) maxGap = t - last;
    last = t;
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(maxGap, performance.now() - last);
    },
  };
}

module.exports = { timerGapProbe };
