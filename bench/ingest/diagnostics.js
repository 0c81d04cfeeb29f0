'use strict';
/**
 * In-process diagnostics of a consumer (loaded by the bare subscriber and, through the Node-RED
 * settings file, by the Node-RED runtime): event-loop delay (perf_hooks, 5 ms timer), garbage
 * collection pauses and memory. They tell a stall of the consumer's own event loop (GC, a long
 * synchronous task) from a delay outside it (broker, TCP), when a latency percentile is high.
 */
const { monitorEventLoopDelay, PerformanceObserver } = require('node:perf_hooks');

function createDiagnostics() {
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const gc = { count: 0, totalMs: 0, maxMs: 0 };
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gc.count++;
      gc.totalMs += entry.duration;
      if (entry.duration > gc.maxMs) gc.maxMs = entry.duration;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  const ms = (ns) => Math.round(ns / 1e4) / 100;
  const mib = (bytes) => Math.round(bytes / 104857.6) / 10;
  return {
    reset() {
      loop.reset();
      gc.count = gc.totalMs = gc.maxMs = 0;
    },
    /** Live heap: a full GC first (needs node --expose-gc; without it, the heap as it is). */
    collect() {
      if (typeof global.gc === 'function') global.gc();
      const m = process.memoryUsage();
      return { forcedGc: typeof global.gc === 'function', heapUsedMiB: mib(m.heapUsed), rssMiB: mib(m.rss) };
    },
    snapshot() {
      const m = process.memoryUsage();
      return {
        eventLoopDelayMs: { p50: ms(loop.percentile(50)), p99: ms(loop.percentile(99)), max: ms(loop.max) },
        gc: { count: gc.count, totalMs: Math.round(gc.totalMs), maxPauseMs: Math.round(gc.maxMs * 10) / 10 },
        memoryMiB: { rss: mib(m.rss), heapUsed: mib(m.heapUsed), heapTotal: mib(m.heapTotal), external: mib(m.external) },
      };
    },
  };
}

module.exports = { createDiagnostics };
