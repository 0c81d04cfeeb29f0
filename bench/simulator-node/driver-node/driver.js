'use strict';
/**
 * The driver of the twin-simulator node benchmark (bench/simulator-node/index.js), a node of its own
 * in the Node-RED user directory (linked there by bench/simulator-node/flow.js), plain code, so the
 * flow holds no function-node sandbox and the measuring costs the same in every phase.
 *
 * It does four things inside the Node-RED process, driven by the benchmark over the admin HTTP API
 * (RED.httpAdmin, /bench-sim/...; every answer is a small JSON summary):
 *
 *   feeder     plant samples into the simulator at a steady rate (token bucket on a 10 ms timer):
 *              the oven's temperature (a plant that differs from the model: k 0.06 instead of 0.05 and
 *              a small quadratic loss, so calibration and the residual network have something to
 *              learn) and power (3 kW and 1 kW in turns of 15 minutes), and the queue of every station;
 *              `prefill` first sends one hour of back-dated history (1 s steps, queues every 10 s) in
 *              slices of 4 ms, so the history is there before any live sample.
 *   requests   one message to the simulator per request, matched with its answer (output 1) or its
 *              error (catch node) by msg.benchId; wall time from send to answer, in this process;
 *              the answer is summarised (a few numbers), never serialised. The C-MAPSS text is read
 *              (asynchronously) once before the measured phases and put into payload.data when asked.
 *   monitors   event-loop delay: perf_hooks monitorEventLoopDelay at 1 ms resolution (block = max − 1
 *              ms) and a 2 ms setInterval probe whose late ticks (gap − 2 ms > 5 ms) are kept with their
 *              times, so each long block can be laid beside the requests in flight and the GC pauses
 *              (PerformanceObserver 'gc') of that moment; benchDiag (bench/ingest/diagnostics.js, 5 ms
 *              resolution, GC, memory) is reset and read with the phase.
 *   counting   predictions (output 2), events (output 3), status texts and uncaught errors.
 */
const fs = require('node:fs');
const { monitorEventLoopDelay, PerformanceObserver, performance } = require('node:perf_hooks');

const PROBE_MS = 2;
const GAP_KEEP_MS = 5;
const FEED_TICK_MS = 10;
const REQUEST_TIMEOUT_MS = 180000;
const GC_KINDS = { 1: 'minor', 2: 'major', 4: 'incremental', 8: 'weakcb' };

const round = (v, d = 1) => (Number.isFinite(v) ? Math.round(v * 10 ** d) / 10 ** d : v);

/** Deterministic pseudo-random numbers (mulberry32). */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function percentileOf(sorted, q) {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** The plant the feeder samples: the oven (a little different from the model) and the station queues. */
function makePlant(signals) {
  const rnd = random(7);
  const state = { T: 20, t: 0, queues: signals.queues.map(() => 2) };
  const powerAt = (ms) => (Math.floor(ms / 900000) % 2 === 0 ? 3 : 1);
  return {
    start(ms) {
      state.t = ms;
    },
    /** Integrates the oven up to `ms` (epoch ms), steps of at most 0.5 s. */
    advance(ms) {
      while (state.t < ms) {
        const dt = Math.min(0.5, (ms - state.t) / 1000);
        const d = state.T - 20;
        state.T += (dt * (powerAt(state.t) * 0.9 - 0.06 * d - 1e-4 * d * d)) / 50;
        state.t += dt * 1000;
      }
    },
    temperature: () => state.T + (rnd() - 0.5) * 0.1,
    power: (ms) => powerAt(ms),
    queue(i) {
      const step = rnd() < 0.5 ? -1 : 1;
      state.queues[i] = Math.max(0, Math.min(5, state.queues[i] + step));
      return state.queues[i];
    },
  };
}

module.exports = function registerBenchSimDriver(RED) {
  let active; // the benchmark flow holds one driver

  const route = (method, name, handler) => {
    RED.httpAdmin[method](`/bench-sim/${name}`, async (req, res) => {
      if (!active) {
        res.status(503).json({ error: 'no bench-sim-driver deployed' });
        return;
      }
      try {
        res.json(await handler(active, req.body || {}));
      } catch (err) {
        res.status(500).json({ error: String((err && err.stack) || err) });
      }
    });
  };
  route('get', 'ping', (d) => d.ping());
  route('post', 'cmapss', (d, body) => d.loadCmapss(body.file));
  route('post', 'prefill', (d, body) => d.prefill(body));
  route('post', 'feeder', (d, body) => d.feeder(body));
  route('post', 'phase', (d, body) => d.startPhase(body.name));
  route('get', 'snapshot', (d) => d.snapshot());
  route('post', 'request', (d, body) => d.request(body));

  function BenchSimDriver(config) {
    RED.nodes.createNode(this, config);
    const node = this;
    const signals = config.signals;
    const diag = node.context().global.get('benchDiag');
    const plant = makePlant(signals);
    const split = (key) => {
      const at = key.lastIndexOf('/');
      return { asset: key.slice(0, at), signal: key.slice(at + 1) };
    };
    const sample = (key, value, time) => ({ topic: key, payload: { ...split(key), value, unit: null, quality: 'good', sourceTime: time } });

    // --- monitors ------------------------------------------------------------------------------
    const eld = monitorEventLoopDelay({ resolution: 1 });
    eld.enable();
    let phase;
    let lastTick = performance.now();
    const probe = setInterval(() => {
      const t = performance.now();
      const block = t - lastTick - PROBE_MS;
      lastTick = t;
      if (!phase) return;
      phase.blocks.push(block);
      // hrEndUs: the monotonic clock of V8's CPU profiles (BENCH_CPU_PROF=1), to find the block in one
      if (block > GAP_KEEP_MS && phase.gaps.length < 100000) phase.gaps.push({ start: t - block - PROBE_MS, end: t, blockMs: block, hrEndUs: Number(process.hrtime.bigint() / 1000n) });
    }, PROBE_MS);
    const gcObserver = new PerformanceObserver((list) => {
      if (!phase) return;
      for (const e of list.getEntries()) {
        if (phase.gc.length < 200000) phase.gc.push({ start: e.startTime, end: e.startTime + e.duration, ms: e.duration, kind: GC_KINDS[e.detail?.kind] || String(e.detail?.kind) });
      }
    });
    gcObserver.observe({ entryTypes: ['gc'] });

    const newPhase = (name) => ({
      name,
      startedAt: performance.now(),
      startedEpoch: Date.now(),
      blocks: [],
      gaps: [],
      gc: [],
      requests: [],
      predictions: 0,
      predictionKeys: {},
      events: [],
      errors: [],
      samplesSent: 0,
      statusTexts: [],
    });

    // --- inputs: answers, predictions, events, errors, status -------------------------------------
    const pending = new Map();
    let nextId = 1;
    let lastStatus = '';
    const settle = (id, fields) => {
      const p = pending.get(id);
      if (!p) return;
      pending.delete(id);
      clearTimeout(p.timer);
      const rec = p.rec;
      rec.answeredAt = performance.now();
      rec.wallMs = rec.answeredAt - rec.sentAt;
      Object.assign(rec, fields);
      p.resolve(rec);
    };
    node.on('input', (msg, send, done) => {
      if (msg.status !== undefined && msg.error === undefined && msg.payload === undefined) {
        lastStatus = msg.status.text || '';
        if (phase && phase.statusTexts.length < 500) phase.statusTexts.push({ atS: round((performance.now() - phase.startedAt) / 1000, 2), text: lastStatus });
      } else if (msg.error !== undefined) {
        if (msg.benchId !== undefined && pending.has(msg.benchId)) settle(msg.benchId, { error: msg.error.message || String(msg.error) });
        else if (phase && phase.errors.length < 100) phase.errors.push({ atS: round((performance.now() - phase.startedAt) / 1000, 2), message: msg.error.message || String(msg.error), topic: msg.topic });
      } else if (msg.benchId !== undefined && pending.has(msg.benchId)) {
        settle(msg.benchId, { summary: summarise(msg.topic, msg.payload) });
      } else if (msg.payload && msg.payload.predicted === true) {
        if (phase) {
          phase.predictions++;
          phase.predictionKeys[msg.topic] = (phase.predictionKeys[msg.topic] || 0) + 1;
          if (msg.payload.hybrid) phase.predictionKeys.hybrid = (phase.predictionKeys.hybrid || 0) + 1;
        }
      } else if (phase && phase.events.length < 1000) {
        phase.events.push({ atS: round((performance.now() - phase.startedAt) / 1000, 2), topic: msg.topic });
      }
      done();
    });

    // --- feeder --------------------------------------------------------------------------------
    const cycle = [];
    // per 8 samples: temperature and power twice each, every queue once (T, P 25 % each; queues 12.5 % each, for 4 queues)
    for (let i = 0; i < 2; i++) {
      cycle.push('T', 'P');
      for (let q = i; q < signals.queues.length; q += 2) cycle.push(q);
    }
    let cyclePos = 0;
    let feeder;
    const sendNext = (now) => {
      const what = cycle[cyclePos];
      cyclePos = (cyclePos + 1) % cycle.length;
      if (what === 'T') node.send(sample(signals.temperature, plant.temperature(), now));
      else if (what === 'P') node.send(sample(signals.power, plant.power(now), now));
      else node.send(sample(signals.queues[what], plant.queue(what), now));
      if (phase) phase.samplesSent++;
    };

    const driver = {
      ping() {
        return { ready: true, status: lastStatus, cmapssBytes: cmapss ? cmapss.length : 0, feeding: !!feeder };
      },

      async loadCmapss(file) {
        const t0 = performance.now();
        cmapss = await fs.promises.readFile(file, 'utf8');
        return { bytes: cmapss.length, readMs: round(performance.now() - t0) };
      },

      /** One hour (`seconds`) of back-dated plant history, ending now, sent in slices of ~4 ms. */
      prefill({ seconds = 3600, stepS = 1, queueEveryS = 10 }) {
        const end = Date.now();
        const start = end - seconds * 1000;
        plant.start(start);
        let s = 0;
        let sent = 0;
        const t0 = performance.now();
        return new Promise((resolve) => {
          const slice = () => {
            const sliceStart = performance.now();
            while (s <= seconds && performance.now() - sliceStart < 4) {
              const t = start + s * 1000;
              plant.advance(t);
              node.send(sample(signals.temperature, plant.temperature(), t));
              node.send(sample(signals.power, plant.power(t), t));
              sent += 2;
              if (s % queueEveryS === 0) {
                signals.queues.forEach((key, i) => node.send(sample(key, plant.queue(i), t)));
                sent += signals.queues.length;
              }
              s += stepS;
            }
            if (s <= seconds) setImmediate(slice);
            else resolve({ sent, seconds, historyFrom: start, historyTo: end, ms: round(performance.now() - t0) });
          };
          setImmediate(slice);
        });
      },

      /** Starts (rate > 0) or stops the live samples. */
      feeder({ rate = 200 }) {
        if (feeder) clearInterval(feeder);
        feeder = undefined;
        if (!(rate > 0)) return { feeding: false };
        let last = performance.now();
        let owed = 0;
        feeder = setInterval(() => {
          const t = performance.now();
          owed += ((t - last) * rate) / 1000;
          last = t;
          const now = Date.now();
          plant.advance(now);
          // at most a second's worth at once, should the loop have stalled for long
          for (let n = Math.min(Math.floor(owed), rate); n > 0; n--) sendNext(now);
          owed -= Math.floor(owed);
        }, FEED_TICK_MS);
        return { feeding: true, rate };
      },

      startPhase(name) {
        phase = newPhase(name);
        eld.reset();
        if (diag) diag.reset();
        return { phase: name };
      },

      /** Sends one request and resolves with its record when the answer (or error) is back. */
      request({ label, topic, payload = {}, withCmapss = false }) {
        if (!phase) throw new Error('no phase started');
        const id = nextId++;
        const body = withCmapss ? { ...payload, data: cmapss } : payload;
        if (withCmapss && !cmapss) throw new Error('the C-MAPSS text was not loaded');
        const rec = { id, label: label || topic, topic, sentAt: performance.now() };
        phase.requests.push(rec);
        return new Promise((resolve) => {
          const timer = setTimeout(() => settle(id, { error: `no answer within ${REQUEST_TIMEOUT_MS / 1000} s` }), REQUEST_TIMEOUT_MS);
          pending.set(id, { rec, resolve, timer });
          node.send({ topic, payload: body, benchId: id });
        }).then((r) => ({ ...publicRecord(r, phase), phase: phase.name }));
      },

      snapshot() {
        const p = phase;
        if (!p) throw new Error('no phase started');
        const now = performance.now();
        const blocks = Float64Array.from(p.blocks).sort();
        const over = (ms) => p.blocks.filter((b) => b > ms).length;
        const gcIn = (a, b) => p.gc.filter((g) => g.end >= a && g.start <= b);
        // Each request in flight during [a, b], with where the block sat in it: ms after the send and
        // ms before the answer reached the driver (a block right at the start or end of a request
        // points at its synchronous preparation or at the handling of its answer).
        const inFlight = (a, b) => p.requests
          .filter((r) => r.sentAt <= b && (r.answeredAt === undefined || r.answeredAt >= a))
          .map((r) => {
            const after = Math.round(a - r.sentAt);
            const before = r.answeredAt === undefined ? undefined : Math.round(r.answeredAt - b);
            const where = [after <= 2 ? 'at its start' : `+${after} ms`, before === undefined ? '' : before <= 2 ? 'ending at its answer' : `${before} ms before its answer`];
            return `${r.label} (${where.filter(Boolean).join(', ')})`;
          })
          .concat(p.requests.some((r) => r.sentAt <= b && (r.answeredAt === undefined || r.answeredAt >= a)) ? [] : lastBefore(a));
        const lastBefore = (a) => {
          const done = p.requests.filter((r) => r.answeredAt !== undefined && r.answeredAt < a);
          const last = done[done.length - 1];
          return last ? [`no request; ${Math.round(a - last.answeredAt)} ms after the answer of ${last.label}`] : [];
        };
        const big = p.gaps
          .slice()
          .sort((a, b) => b.blockMs - a.blockMs)
          .slice(0, 25)
          .map((g) => {
            const gcs = gcIn(g.start, g.end);
            return {
              atS: round((g.end - p.startedAt) / 1000, 3),
              blockMs: round(g.blockMs),
              hrEndUs: g.hrEndUs,
              inFlight: inFlight(g.start, g.end),
              gcMs: round(gcs.reduce((s, x) => s + Math.min(x.end, g.end) - Math.max(x.start, g.start), 0)),
              gcKinds: [...new Set(gcs.map((x) => x.kind))],
            };
          });
        const gcMajor = p.gc.filter((g) => g.kind === 'major');
        const ms = (ns) => round(ns / 1e6, 2);
        return {
          phase: p.name,
          durationS: round((now - p.startedAt) / 1000, 2),
          eventLoopDelay1ms: {
            p50: ms(eld.percentile(50)), p99: ms(eld.percentile(99)), p999: ms(eld.percentile(99.9)), max: ms(eld.max), mean: ms(eld.mean), count: eld.count,
            maxBlockMs: round(eld.max / 1e6 - 1, 2),
          },
          probe2ms: {
            ticks: blocks.length,
            maxBlockMs: round(blocks.length ? blocks[blocks.length - 1] : 0, 2),
            p99BlockMs: round(percentileOf(blocks, 0.99), 2),
            p999BlockMs: round(percentileOf(blocks, 0.999), 2),
            over10ms: over(10), over20ms: over(20), over50ms: over(50),
          },
          gc: { count: p.gc.length, totalMs: round(p.gc.reduce((s, g) => s + g.ms, 0)), maxMs: round(Math.max(0, ...p.gc.map((g) => g.ms)), 2), major: gcMajor.length, maxMajorMs: round(Math.max(0, ...gcMajor.map((g) => g.ms)), 2) },
          longestBlocks: big,
          requests: p.requests.map((r) => publicRecord(r, p)),
          samplesSent: p.samplesSent,
          samplesPerS: round(p.samplesSent / ((now - p.startedAt) / 1000), 1),
          predictions: p.predictions,
          predictionKeys: p.predictionKeys,
          events: p.events,
          errors: p.errors,
          status: lastStatus,
          statusTexts: p.statusTexts.slice(-20),
          benchDiag: diag ? diag.snapshot() : undefined,
        };
      },
    };
    let cmapss;

    /** A request's record with its times relative to the phase and the longest block while it ran. */
    function publicRecord(r, p) {
      const end = r.answeredAt ?? performance.now();
      const during = p.gaps.filter((g) => g.end >= r.sentAt && g.start <= end);
      const worst = during.reduce((m, g) => (g.blockMs > m.blockMs ? g : m), { blockMs: 0 });
      const gcs = worst.blockMs > 0 ? p.gc.filter((g) => g.end >= worst.start && g.start <= worst.end) : [];
      return {
        id: r.id,
        label: r.label,
        topic: r.topic,
        startS: round((r.sentAt - p.startedAt) / 1000, 3),
        wallMs: round(r.wallMs),
        error: r.error,
        summary: r.summary,
        maxBlockMs: round(worst.blockMs),
        maxBlockAtS: worst.end ? round((worst.end - p.startedAt) / 1000, 3) : undefined,
        maxBlockGcMs: round(gcs.reduce((s, x) => s + Math.min(x.end, worst.end) - Math.max(x.start, worst.start), 0)),
        blocksOver20ms: during.filter((g) => g.blockMs > 20).length,
      };
    }

    active = driver;
    node.on('close', () => {
      if (active === driver) active = undefined;
      if (feeder) clearInterval(feeder);
      clearInterval(probe);
      eld.disable();
      gcObserver.disconnect();
      for (const [id] of pending) settle(id, { error: 'flow stopped' });
    });
  }

  /** A few numbers of an answer (never the trajectories themselves). */
  function summarise(topic, a) {
    if (!a || typeof a !== 'object') return { type: typeof a };
    const points = (x) => (x && x.states ? Object.values(x.states).reduce((n, s) => n + ((s && s.t && s.t.length) || 0), 0) : 0);
    const pick = (o, keys) => Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, typeof o[k] === 'number' ? round(o[k], 4) : o[k]]));
    if (topic === 'whatif') {
      if (a.surrogate) return { surrogate: true, kpis: Object.keys(a.kpis || {}).length, throughput: round(a.kpis?.['line.throughput'], 5) };
      return { replications: a.line?.replications, throughput: round(a.kpis?.['line.throughput'], 5), bottleneck: a.line?.bottleneck, finalT: round(a.kpis?.T, 2), physicsPoints: points(a.physics), kpis: Object.keys(a.kpis || {}).length };
    }
    if (topic === 'scenarios') {
      return {
        scenarios: a.scenarios?.length,
        comparisons: a.comparisons?.length,
        physicsPoints: (a.scenarios || []).reduce((n, s) => n + points(s.physics), 0),
        significantThroughput: (a.comparisons || []).map((c) => c.line?.throughput?.significant),
      };
    }
    if (topic === 'calibrate') return { ...pick(a, ['rmseBefore', 'rmseAfter', 'applied', 'evaluations', 'converged', 'method']), k: round(a.parameters?.k, 5), windowS: round(a.window?.durationS), samples: a.window?.samples };
    if (topic === 'train') {
      const out = pick(a, ['model', 'applied', 'rows', 'trainRows', 'validationRows', 'units', 'samples', 'epochs', 'error', 'maxSliceMs', 'elapsedMs']);
      if (a.states) out.states = Object.fromEntries(Object.entries(a.states).map(([k, s]) => [k, pick(s, ['trained', 'applied', 'rows', 'trainRows', 'epochs', 'maxSliceMs', 'physicsRmse', 'hybridRmse', 'ratio', 'reason'])]));
      if (a.validation) out.validationRelError = Object.fromEntries(Object.entries(a.validation).slice(0, 4).map(([k, v]) => [k, round(v?.relError, 3)]));
      return out;
    }
    if (topic === 'predict') return { health: a.health, points: points(a), finalT: round(a.final?.T, 2), hybrid: a.hybrid };
    return { keys: Object.keys(a).slice(0, 10) };
  }

  RED.nodes.registerType('bench-sim-driver', BenchSimDriver);
};
