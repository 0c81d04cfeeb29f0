'use strict';
/**
 * The fuzz harness: loads a realistic flow around one node, sends it thousands of hostile
 * messages in batches, and checks, per message and for the whole run:
 *
 *  1. no uncaught exception or unhandled rejection in the process (mocha's own listeners are set
 *     aside for the run, so one cannot end the test half-way; the culprit message is found by
 *     replaying the batch one message at a time);
 *  2. every message either completes (done() without error) or reaches the Catch node with an
 *     Error whose message is a non-empty string under 2 KB without a stack trace in it; nothing
 *     is done twice, nothing thrown out of the input handler, no status text a page long;
 *  3. node-specific checks of what leaves the outputs (`checkOutput`), and afterwards a known
 *     good message is processed correctly (`finalCheck`);
 *  4. the runtime is still up (the admin API and the HTTP server answer) and the node's status
 *     is not red once the 5 s "refused" status has passed;
 *  5. no prototype pollution: `({}).polluted` is undefined and the built-in prototypes keep
 *     their property names (checked after every batch; a polluting message is found by replay).
 *
 * Every failure is classified (kind + error signature); the first message of each class is
 * replayed from (seed, path) with fast-check, which shrinks it to a minimal counterexample.
 */
const assert = require('node:assert/strict');
const http = require('node:http');
const { fc } = require('./arbitraries');
const { helper, load } = require('../support/flow-helper');
const { isTwinError } = require('../../dist/core/errors');
const { cloneMessage } = require('@node-red/util').util;

const MAX_ERROR_CHARS = 2048;

// A garbage collection before each memory reading (without --expose-gc on the command line).
require('v8').setFlagsFromString('--expose-gc');
const gc = require('vm').runInNewContext('gc');
function memory() {
  gc();
  const m = process.memoryUsage();
  return { rss: Math.round(m.rss / 1048576), heap: Math.round(m.heapUsed / 1048576) };
}
const MAX_STATUS_CHARS = 300;

// ------------------------------------------------------------------ describing values in reports

/** A copy of a value small enough to print: long strings, big arrays, deep nests are cut. */
function prune(value, depth = 0, seen = new Set()) {
  if (typeof value === 'string') return value.length > 160 ? `${value.slice(0, 60)}…<${value.length} chars>…${value.slice(-20)}` : value;
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '<cycle>';
  if (depth > 6) {
    let levels = 0;
    let v = value;
    while (v !== null && typeof v === 'object' && levels < 100000) {
      const keys = Object.keys(v);
      v = keys.length ? v[keys[0]] : undefined;
      levels++;
    }
    return `<${levels} more nested levels>`;
  }
  seen.add(value);
  try {
    if (Buffer.isBuffer(value)) return value.length > 48 ? `<Buffer ${value.subarray(0, 48).toString('hex')}… ${value.length} bytes>` : value;
    if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer || value instanceof Date || value instanceof RegExp) return value;
    if (value instanceof Map) return new Map([...value].slice(0, 10).map(([k, v]) => [prune(k, depth + 1, seen), prune(v, depth + 1, seen)]));
    if (value instanceof Set) return new Set([...value].slice(0, 10).map((v) => prune(v, depth + 1, seen)));
    if (Array.isArray(value)) {
      const out = value.slice(0, 12).map((v) => prune(v, depth + 1, seen));
      if (value.length > 12) out.push(`…<${value.length} items>`);
      return out;
    }
    const proto = Object.getPrototypeOf(value);
    const out = proto === null ? Object.create(null) : {};
    const keys = Object.keys(value);
    for (const k of keys.slice(0, 20)) Object.defineProperty(out, k, { value: prune(value[k], depth + 1, seen), enumerable: true, writable: true, configurable: true });
    if (keys.length > 20) out['…'] = `<${keys.length} keys>`;
    return out;
  } finally {
    seen.delete(value);
  }
}

function show(value) {
  try {
    return fc.stringify(prune(value));
  } catch (err) {
    return `<unprintable: ${err.message}>`;
  }
}

function clip(text, max = 600) {
  const s = String(text);
  return s.length > max ? `${s.slice(0, max)}…<${s.length} chars>` : s;
}

/** The first frames of a stack inside this project (dist/), or the first frames at all. */
function stackOf(err, frames = 8) {
  const stack = err && typeof err.stack === 'string' ? err.stack : '';
  const lines = stack.split('\n');
  const head = clip(lines[0], 300);
  const at = lines.filter((l) => /^\s+at /.test(l));
  return [head, ...at.slice(0, frames)].join('\n');
}

/** Where an error comes from, for grouping: its class and its first frame in dist/ (or its message's shape). */
function signatureOf(err) {
  if (!err || typeof err !== 'object') return `non-error ${typeof err}`;
  const name = err.constructor && err.constructor.name ? err.constructor.name : 'Error';
  const frame = (typeof err.stack === 'string' ? err.stack.split('\n') : []).find((l) => /dist[\\/]/.test(l));
  const where = frame ? frame.trim().replace(/^at /, '').replace(/\(.*dist[\\/]/, '(').replace(/:\d+\)$/, ')') : String(err.message).replace(/"[^"]*"/g, '"…"').replace(/\d+(\.\d+)?/g, 'N').slice(0, 80);
  return `${name} @ ${where}`;
}

// ------------------------------------------------------------------ process-wide watch

function prototypeNames() {
  return {
    Object: Object.getOwnPropertyNames(Object.prototype).sort().join(','),
    Array: Object.getOwnPropertyNames(Array.prototype).sort().join(','),
    Function: Object.getOwnPropertyNames(Function.prototype).sort().join(','),
    String: Object.getOwnPropertyNames(String.prototype).sort().join(','),
    Number: Object.getOwnPropertyNames(Number.prototype).sort().join(','),
  };
}

/** What pollution there is now, compared with the snapshot; cleans it up so the run can go on. */
function pollution(snapshot) {
  const found = [];
  const now = prototypeNames();
  for (const [name, names] of Object.entries(now)) {
    if (names !== snapshot[name]) {
      const before = new Set(snapshot[name].split(','));
      const added = names.split(',').filter((n) => !before.has(n));
      found.push(`${name}.prototype gained ${added.join(', ')}`);
      const proto = globalThis[name].prototype;
      for (const n of added) delete proto[n];
    }
  }
  // eslint-disable-next-line no-proto
  if (({}).polluted !== undefined) found.push(`({}).polluted = ${show(({}).polluted)}`);
  return found;
}

/** Takes over uncaughtException / unhandledRejection for the run (mocha's listeners are set aside). */
function watchProcess() {
  const events = [];
  const saved = {
    uncaughtException: process.listeners('uncaughtException'),
    unhandledRejection: process.listeners('unhandledRejection'),
  };
  const onUncaught = (err) => events.push({ kind: 'uncaught-exception', err });
  const onRejection = (err) => events.push({ kind: 'unhandled-rejection', err });
  const onWarning = (w) => events.push({ kind: 'process-warning', err: w, soft: true });
  process.removeAllListeners('uncaughtException');
  process.removeAllListeners('unhandledRejection');
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onRejection);
  process.on('warning', onWarning);
  return {
    events,
    restore() {
      process.removeListener('uncaughtException', onUncaught);
      process.removeListener('unhandledRejection', onRejection);
      process.removeListener('warning', onWarning);
      for (const l of saved.uncaughtException) process.on('uncaughtException', l);
      for (const l of saved.unhandledRejection) process.on('unhandledRejection', l);
    },
  };
}

// ------------------------------------------------------------------ the node under test

/**
 * Instruments the node: its done() (`_complete`), its error() and send(), its status; and the
 * Catch node's helper. Each message sent through `send(msg)` gets an entry that settles when the
 * node completes it or the Catch node receives it.
 */
function instrument({ nodeId, caughtId, checkOutput }) {
  const node = helper.getNode(nodeId);
  const caughtNode = helper.getNode(caughtId);
  const entries = new Map();
  const timerErrors = [];
  const statusTexts = [];
  const outputs = { count: 0, perOutput: [] };
  let current; // the entry whose receive() is running (synchronous part)

  const settle = (entry) => {
    entry.settled = true;
  };

  const proto = Object.getPrototypeOf(node);
  const complete = node._complete;
  node._complete = function (msg, err) {
    const entry = msg && entries.get(msg._msgid);
    if (entry) {
      entry.doneCalls++;
      if (entry.doneCalls > 1) entry.problems.push({ kind: 'done-twice', detail: `done called ${entry.doneCalls} times` });
      if (err) entry.doneError = err;
      else if (!entry.doneError) settle(entry);
    }
    try {
      return complete.call(this, msg, err);
    } catch (thrown) {
      // Node-RED's own error path threw (e.g. cloneMessage on a very deep message): the refusal is lost.
      if (entry) {
        entry.completeThrew = thrown;
        entry.settled = true;
      }
      throw thrown;
    }
  };
  const error = proto.error;
  node.error = function (err, msg) {
    const entry = msg && typeof msg === 'object' ? entries.get(msg._msgid) : undefined;
    if (entry) {
      entry.errorCalls++;
      if (!entry.doneError) {
        // node.error(err, msg) without done(err): thrown out of the handler, or reported the old way
        entry.errorWithoutDone = err;
      }
    } else if (!msg) {
      timerErrors.push(err);
    }
    return error.call(this, err, msg);
  };
  const send = proto.send;
  node.send = function (out) {
    const list = Array.isArray(out) ? out : [out];
    list.forEach((o, index) => {
      const msgs = o === null || o === undefined ? [] : Array.isArray(o) ? o : [o];
      outputs.perOutput[index] = (outputs.perOutput[index] ?? 0) + msgs.length;
      outputs.count += msgs.length;
      for (const m of msgs) {
        const entry = (m && entries.get(m._msgid)) || current;
        let problem;
        try {
          problem = checkOutput ? checkOutput(m, index) : undefined;
        } catch (err) {
          problem = `output check threw ${err.message}`;
        }
        if (problem) (entry ? entry.problems : timerErrors).push(entry ? { kind: 'bad-output', detail: `output ${index + 1}: ${problem}`, output: m } : new Error(`unattributed output ${index + 1}: ${problem}`));
      }
    });
    return send.call(this, out);
  };
  node.on('call:status', (call) => {
    const s = call.args[0] || {};
    statusTexts.push(s);
    if (statusTexts.length > 200) statusTexts.splice(0, 100);
  });
  caughtNode.on('input', (msg) => {
    const entry = entries.get(msg._msgid);
    if (!entry) return;
    entry.caught++;
    entry.caughtMessage = msg.error;
    if (entry.caught > 1 && entry.caught > entry.errorCalls) entry.problems.push({ kind: 'caught-twice', detail: `reached the Catch node ${entry.caught} times for ${entry.errorCalls} error(s)` });
    if (entry.caught === 2) entry.problems.push({ kind: 'several-refusals', detail: `one message, several errors, each at the Catch node (by design: Rejections.report): ${clip(entry.firstCaught, 150)} | ${clip(msg.error && msg.error.message, 150)}` });
    if (entry.caught === 1) entry.firstCaught = msg.error && msg.error.message;
    settle(entry);
  });

  return {
    node,
    entries,
    timerErrors,
    statusTexts,
    outputs,
    /** Sends one message; returns its entry. */
    send(index, value) {
      const msgid = `fuzz-${index}-${Math.random().toString(36).slice(2, 8)}`;
      const msg = value !== null && typeof value === 'object' && !Array.isArray(value) ? { ...value } : { payload: value };
      msg._msgid = msgid;
      const entry = { index, msgid, value, doneCalls: 0, errorCalls: 0, caught: 0, problems: [], settled: false, sentAt: Date.now() };
      entries.set(msgid, entry);
      current = entry;
      try {
        node.receive(msg);
      } catch (err) {
        entry.problems.push({ kind: 'receive-threw', err });
        settle(entry);
      } finally {
        current = undefined;
      }
      return entry;
    },
  };
}

/** What went wrong with one message, once it settled (or timed out). */
function judge(entry) {
  const problems = [...entry.problems];
  if (entry.completeThrew) {
    // Not the node's doing when Node-RED cannot copy the message as it was sent either: a stack
    // overflow (a message ~2000 levels deep; how deep overflows depends on the stack in use, so it
    // is not re-checked here), or a copy that fails the same way from the top of the stack.
    const sentUnclonable = isCloneFailure(entry.completeThrew) && (entry.completeThrew instanceof RangeError || !clonable(entry.value));
    problems.push({ kind: 'refusal-not-caught', err: entry.completeThrew, sentUnclonable, detail: `Node-RED's done(err) path threw ${entry.completeThrew.message}: the refusal never reached the Catch node with its message` });
    return problems;
  }
  if (!entry.settled) {
    if (entry.doneError) problems.push({ kind: 'refusal-not-caught', err: entry.doneError, detail: 'done(err) was called but the Catch node never got the message' });
    else problems.push({ kind: 'never-completed', detail: 'neither done() nor the Catch node within the time limit' });
    return problems;
  }
  if (entry.errorWithoutDone && !entry.doneError) problems.push({ kind: 'error-without-done', err: entry.errorWithoutDone, detail: 'node.error(err, msg) without done(err): thrown out of the input handler, or reported without completing the message' });
  const err = entry.doneError ?? entry.errorWithoutDone;
  if (err !== undefined) {
    if (!(err instanceof Error) && !(err && typeof err.message === 'string')) problems.push({ kind: 'bad-error', err, detail: `refused with a non-Error ${show(err)}` });
    else {
      const text = err.message;
      if (typeof text !== 'string' || text.trim() === '') problems.push({ kind: 'bad-error', err, detail: 'empty error message' });
      else if (text.length > MAX_ERROR_CHARS) problems.push({ kind: 'error-too-long', err, detail: `error message of ${text.length} chars: ${clip(text, 200)}` });
      else if (/\n\s+at .+:\d+:\d+/.test(text)) problems.push({ kind: 'stack-in-error', err, detail: clip(text, 300) });
      if (!isTwinError(err)) problems.push({ kind: 'internal-error', err, detail: `refused with ${err.constructor && err.constructor.name}: ${clip(text, 300)} (not a TwinError: the status says "internal error")` });
    }
    const caughtText = entry.caughtMessage && entry.caughtMessage.message;
    if (entry.caught && !problems.some((p) => p.kind === 'error-too-long') && (typeof caughtText !== 'string' || caughtText.length === 0 || caughtText.length > MAX_ERROR_CHARS + 64)) {
      problems.push({ kind: 'error-too-long', err, detail: `Catch node msg.error.message of ${typeof caughtText === 'string' ? caughtText.length : typeof caughtText} chars` });
    }
  }
  return problems;
}

/** Node-RED's own cloneMessage (lodash) overflowing the stack on a deep message it routes to Catch. */
/** An error thrown inside Node-RED's cloneMessage (lodash.clonedeep). */
function isCloneFailure(err) {
  return (err instanceof RangeError || err instanceof TypeError) && typeof err.stack === 'string' && /lodash\.clonedeep|cloneMessage/.test(err.stack);
}

/** Whether Node-RED's cloneMessage can copy the message as the harness sent it. */
function clonable(value) {
  try {
    cloneMessage(value !== null && typeof value === 'object' && !Array.isArray(value) ? { ...value } : { payload: value });
    return true;
  } catch {
    return false;
  }
}

function classOf(problem) {
  const err = problem.err;
  if (err && isCloneFailure(err)) {
    if (problem.kind === 'refusal-not-caught' && problem.sentUnclonable) {
      return `node-red-clone-failure | ${problem.kind}: Node-RED's cloneMessage (lodash.clonedeep) cannot copy the message to route it to Catch (nested about 2000 levels deep, or a Buffer under an own "__proto__" key)`;
    }
    if (problem.kind === 'refusal-not-caught') return `node-made-message-unclonable | ${signatureOf(err)}`;
    return `error-path-threw | ${problem.kind}: Node-RED's cloneMessage threw out of the node's input handler (reportError must not let it escape)`;
  }
  if (problem.kind === 'error-too-long' && err && typeof err.topic === 'string' && err.topic.length > 500) {
    return `error-too-long | ${err.constructor.name} message embeds the whole msg.topic (InputError constructor, dist/core/errors.js)`;
  }
  const sig = err ? signatureOf(err) : problem.detail.replace(/\d+/g, 'N').slice(0, 80);
  return `${problem.kind} | ${sig}`;
}

/** Classes reported but not failing the run: limits of Node-RED itself, not of the node. */
const SOFT = [/^node-red-clone-failure/, /^several-refusals/];
const isSoft = (cls) => SOFT.some((re) => re.test(cls));

function waitUntil(predicate, timeoutMs) {
  return new Promise((resolve) => {
    const deadline = Date.now() + timeoutMs;
    const tick = () => {
      if (predicate() || Date.now() >= deadline) return resolve(predicate());
      setTimeout(tick, 5);
    };
    tick();
  });
}

function httpGet(url) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error('no answer in 5 s')));
  });
}

const tinyModel = { schemaVersion: 1, revision: 1, name: 'alive', relationships: [], assets: [{ name: 'a', kind: 'machine', children: [], parameters: [], signals: [{ name: 's', unit: 'degC' }] }] };

// ------------------------------------------------------------------ the run

/**
 * Runs the fuzz for one node. Options:
 *  name, flow, nodeId, caughtId ('caught'), arbitrary (messages), numRuns (10000), batchSize (200),
 *  seed (env FUZZ_SEED, else a fixed one: runs are reproducible), batchTimeoutMs, checkOutput(msg, outputIndex) -> problem text | undefined,
 *  prepare(value) -> value (e.g. clamp time limits), finalCheck(ctx) (async, asserts),
 *  afterLoad(ctx) (async), settleMs (grace for late uncaught errors after each batch).
 */
async function runFuzz(options) {
  const {
    name, flow, nodeId, caughtId = 'caught', arbitrary, numRuns = 10000, batchSize = 200, seed = Number(process.env.FUZZ_SEED) || 20251126,
    batchTimeoutMs = 60000, checkOutput, prepare = (v) => v, finalCheck, afterLoad, settleMs = 0, shrinkBudgetMs = 30000,
  } = options;
  const protoSnapshot = prototypeNames();
  if (helper._sandbox) helper._sandbox.resetHistory();
  const memoryBefore = memory();
  const started = Date.now();
  const watch = watchProcess();
  const failures = new Map(); // class -> {count, first: {index, problem, value}}
  const globalProblems = [];
  const stats = { sent: 0, accepted: 0, refused: 0, caught: 0, unsettled: 0, timerErrors: 0 };
  let peakRss = 0;
  const reasons = new Map();

  const record = (problem, index, value) => {
    const cls = classOf(problem);
    let f = failures.get(cls);
    if (!f) {
      f = { cls, count: 0, first: { index, problem, value: value === undefined ? undefined : show(value) }, indices: [] };
      failures.set(cls, f);
    }
    f.count++;
    if (f.indices.length < 5 && !f.indices.includes(index)) f.indices.push(index);
  };

  await helper.startServer();
  const runtimeStartedAt = Date.now();
  let ctx;
  let summary;
  try {
    await load(flow);
    ctx = instrument({ nodeId, caughtId, checkOutput });
    if (afterLoad) await afterLoad(ctx);

    const values = fc.sample(arbitrary, { seed, numRuns });

    /** Sends values[i] for the given indices and waits for them; returns the entries. */
    const sendAll = async (indices, timeoutMs) => {
      const batch = [];
      for (const i of indices) {
        const value = prepare(values[i] === undefined ? replayValue(arbitrary, seed, i) : values[i]);
        const entry = ctx.send(i, value);
        batch.push(entry);
      }
      await waitUntil(() => batch.every((e) => e.settled), timeoutMs);
      if (settleMs) await new Promise((r) => setTimeout(r, settleMs));
      await new Promise((r) => setImmediate(r));
      return batch;
    };

    const tally = (batch) => {
      for (const e of batch) {
        stats.sent++;
        const err = e.doneError ?? e.errorWithoutDone;
        if (err) {
          const reason = isTwinError(err) ? err.shortReason : `${err && err.constructor ? err.constructor.name : typeof err} (internal)`;
          const short = clip(reason, 40);
          reasons.set(short, (reasons.get(short) ?? 0) + 1);
        }
        if (e.caught) stats.caught++;
        if (!e.settled) stats.unsettled++;
        else if (e.caught || e.doneError || e.errorWithoutDone) stats.refused++;
        else stats.accepted++;
        for (const p of judge(e)) record(p, e.index, values[e.index]);
        ctx.entries.delete(e.msgid);
      }
    };

    for (let start = 0; start < numRuns; start += batchSize) {
      const indices = [];
      for (let i = start; i < Math.min(numRuns, start + batchSize); i++) indices.push(i);
      const eventsBefore = watch.events.filter((e) => !e.soft).length;
      const batch = await sendAll(indices, batchTimeoutMs);
      tally(batch);
      const polluted = pollution(protoSnapshot);
      const newEvents = [];
      for (const e of watch.events.filter((x) => !x.soft).slice(eventsBefore)) {
        // A Node-RED clone failure that escaped the handler: its message is known (done(err) threw), no replay.
        const from = isCloneFailure(e.err) ? batch.find((b) => b.completeThrew === e.err) : undefined;
        if (from) {
          e.soft = true;
          record({ kind: e.kind, err: e.err }, from.index, values[from.index]);
        } else newEvents.push(e);
      }
      if (polluted.length || newEvents.length) {
        // Find the culprit(s): the batch again, one message at a time.
        let found = false;
        for (const i of indices) {
          const before = watch.events.filter((e) => !e.soft).length;
          const [entry] = await sendAll([i], Math.min(batchTimeoutMs, 20000));
          await new Promise((r) => setTimeout(r, 20));
          ctx.entries.delete(entry.msgid);
          const p = pollution(protoSnapshot);
          const ev = watch.events.filter((e) => !e.soft).slice(before);
          for (const text of p) record({ kind: 'prototype-pollution', detail: text }, i, values[i]);
          for (const e of ev) record({ kind: e.kind, err: e.err }, i, values[i]);
          if (p.length || ev.length) found = true;
        }
        if (!found) {
          for (const text of polluted) globalProblems.push(`prototype pollution in batch ${start}..${start + batchSize - 1} (not reproduced alone): ${text}`);
          for (const e of newEvents) record({ kind: e.kind, err: e.err }, -1, undefined);
        }
      }
      for (const i of indices) values[i] = undefined; // free huge strings and deep nests
      // The test helper's sinon spies keep every call's arguments (each message): forget them.
      helper._sandbox.resetHistory();
      peakRss = Math.max(peakRss, Math.round(process.memoryUsage().rss / 1048576));
    }
    stats.elapsedMs = Date.now() - started;

    // Errors raised outside any message (timers): reported; internal ones (not TwinError) are failures.
    stats.timerErrors = ctx.timerErrors.length;
    for (const err of ctx.timerErrors) {
      if (!isTwinError(err)) record({ kind: 'timer-error', err, detail: String(err && err.message) }, -1, undefined);
    }
    const timerSummary = [...new Set(ctx.timerErrors.map((e) => `${e && e.constructor && e.constructor.name}: ${clip(e && e.message, 160)}`))].slice(0, 10);

    // Status texts: short, no stack.
    for (const s of ctx.statusTexts) {
      if (typeof s.text === 'string' && (s.text.length > MAX_STATUS_CHARS || /\n\s+at /.test(s.text))) {
        record({ kind: 'status-too-long', detail: `status text of ${s.text.length} chars: ${clip(s.text, 200)}` }, -1, undefined);
        break;
      }
    }

    // (3) a good message is still processed correctly.
    stats.goodMessage = finalCheck ? 'ok' : 'not checked';
    if (finalCheck) {
      try {
        await finalCheck(ctx);
      } catch (err) {
        stats.goodMessage = `failed: ${clip(err && err.message, 120).replace(/\n+/g, ' ')}`;
        const frames = stackOf(err, 3).split('\n').slice(1).join('\n');
        globalProblems.push(`the known good message after the run failed: ${clip(err && err.message, 900).replace(/\n+/g, ' ')}\n${frames}`);
      }
    }

    // (4) the runtime is up, the node is not stuck red.
    stats.runtime = { up: false, http: null, adminApi: null, upS: 0, sameNode: helper.getNode(nodeId) === ctx.node };
    try {
      const code = await httpGet(helper.url());
      stats.runtime.http = code;
      if (!(code >= 200 && code < 600)) globalProblems.push(`HTTP server answered ${code}`);
      const res = await helper.request().post('/twinloop/models/validate').send(tinyModel);
      stats.runtime.adminApi = res.status;
      if (res.status !== 200) globalProblems.push(`admin API /twinloop/models/validate answered ${res.status}`);
      stats.runtime.up = code >= 200 && code < 600 && res.status === 200;
      stats.runtime.upS = Math.round((Date.now() - runtimeStartedAt) / 100) / 10;
    } catch (err) {
      globalProblems.push(`runtime not answering: ${err.message}`);
    }
    if (!stats.runtime.sameNode) globalProblems.push('the node under test was replaced during the run (redeployed or restarted)');
    const notRed = await waitUntil(() => {
      const last = ctx.statusTexts[ctx.statusTexts.length - 1];
      return !last || last.fill !== 'red';
    }, 8000);
    const lastStatus = ctx.statusTexts[ctx.statusTexts.length - 1];
    if (!notRed) globalProblems.push(`status still red 8 s after the last message: ${show(lastStatus)}`);

    // (5) prototypes untouched at the end.
    const polluted = pollution(protoSnapshot);
    for (const text of polluted) globalProblems.push(`prototype pollution at the end: ${text}`);
    assert.equal(({}).polluted, undefined);

    helper._sandbox.resetHistory();
    const memoryAfter = memory();

    // Shrink one example per failure class, replayed from (seed, path): first on the node the fuzz
    // ran through (its state may be needed), then on a freshly deployed flow (a standalone example).
    const toShrink = [...failures.values()].filter((f) => f.first.index >= 0 && !isSoft(f.cls));
    const perClassMs = Math.min(shrinkBudgetMs, Math.max(5000, 120000 / Math.max(1, toShrink.length) / 2));
    for (const f of toShrink) {
      f.live = await shrink({ ctx, arbitrary, seed, index: f.first.index, cls: f.cls, prepare, watch, protoSnapshot, deadline: Date.now() + perClassMs, waitMs: Math.min(batchTimeoutMs, 15000) });
    }
    if (toShrink.length) {
      await helper.unload();
      await load(flow);
      const fresh = instrument({ nodeId, caughtId, checkOutput });
      if (afterLoad) await afterLoad(fresh);
      for (const f of toShrink) {
        f.fresh = await shrink({ ctx: fresh, arbitrary, seed, index: f.first.index, cls: f.cls, prepare, watch, protoSnapshot, deadline: Date.now() + perClassMs, waitMs: Math.min(batchTimeoutMs, 15000) });
      }
      // A failure that needs state: which earlier messages leave it? (delta debugging on fresh flows)
      for (const f of toShrink) {
        if ((f.fresh && f.fresh.reproduced) || !(f.live && f.live.reproduced) || f.first.index <= 0 || f.first.index > 3000) continue;
        f.setup = await findSetup({ flow, nodeId, caughtId, checkOutput, afterLoad, arbitrary, seed, prepare, watch, protoSnapshot, cls: f.cls, upto: f.first.index, culprits: [f.live.raw, replayValue(arbitrary, seed, f.first.index)], waitMs: Math.min(batchTimeoutMs, 10000), deadline: Date.now() + Math.max(perClassMs, 30000) });
      }
    }

    stats.rssBeforeMB = memoryBefore.rss;
    stats.rssAfterMB = memoryAfter.rss;
    stats.heapBeforeMB = memoryBefore.heap;
    stats.heapAfterMB = memoryAfter.heap;
    stats.rssPeakMB = peakRss;
    stats.outputs = ctx.outputs.perOutput.map((n) => n ?? 0);
    stats.lastStatus = lastStatus ? `${lastStatus.fill ?? ''}/${lastStatus.shape ?? ''} ${clip(lastStatus.text ?? '', 120)}` : '(none)';
    stats.totalMs = Date.now() - started;
    stats.seed = seed;
    stats.reasons = [...reasons].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([r, n]) => `${r} ${n}`).join(', ');

    const report = formatReport(name, stats, failures, globalProblems, timerSummary, watch.events.filter((e) => e.soft));
    console.log(report);
    const problems = [...failures.values()].filter((f) => !isSoft(f.cls)).map((f) => `${f.cls} (${f.count}x)`).concat(globalProblems);
    summary = summarise(name, stats, failures, problems);
    assert.deepEqual(problems, [], `${name}: ${problems.length} problem(s), see the report above`);
    return { stats, failures };
  } catch (err) {
    if (!summary) summary = { node: name, passed: false, problems: [`the run stopped: ${clip(err && err.message, 300)}`], wallS: Math.round((Date.now() - started) / 100) / 10 };
    throw err;
  } finally {
    results.push(summary);
    watch.restore();
    await helper.unload();
    await helper.stopServer();
  }
}

// ------------------------------------------------------------------ the result of a whole run

/** Every node's figures of this mocha run, in the order the nodes ran. */
const results = [];

/** One node's figures, as they go into the summary table and the JSON report. */
function summarise(name, stats, failures, problems) {
  return {
    node: name,
    passed: problems.length === 0,
    seed: stats.seed,
    messages: stats.sent,
    accepted: stats.accepted,
    refused: stats.refused,
    caught: stats.caught,
    neverSettled: stats.unsettled,
    timerErrors: stats.timerErrors,
    goodMessageAfterwards: stats.goodMessage,
    runtime: stats.runtime,
    fuzzS: Math.round(stats.elapsedMs / 100) / 10,
    wallS: Math.round(stats.totalMs / 100) / 10,
    rssPeakMB: stats.rssPeakMB,
    notNodeFailures: [...failures.values()].filter((f) => isSoft(f.cls)).map((f) => `${f.cls.split(':')[0]} (${f.count}x)`),
    problems,
  };
}

function formatSummary(list, wallS) {
  const pad = (v, n) => String(v).padStart(n);
  const lines = ['', `  ── fuzz summary: ${list.length} node(s), ${list.reduce((a, r) => a + (r.messages ?? 0), 0)} messages, wall time ${wallS.toFixed(1)} s ──────────────`];
  lines.push(`  ${'node'.padEnd(16)} ${pad('messages', 8)} ${pad('accepted', 8)} ${pad('caught', 7)} ${pad('unsettled', 9)}  ${'runtime'.padEnd(32)}${'good message'.padEnd(14)}${pad('fuzz s', 6)} ${pad('wall s', 6)}  result`);
  for (const r of list) {
    const rt = r.runtime ? `${r.runtime.up ? 'up' : 'DOWN'} ${r.runtime.upS} s (HTTP ${r.runtime.http}, API ${r.runtime.adminApi})` : '-';
    const good = (r.goodMessageAfterwards ?? '-').startsWith('failed') ? 'FAILED' : r.goodMessageAfterwards ?? '-';
    lines.push(`  ${r.node.padEnd(16)} ${pad(r.messages ?? '-', 8)} ${pad(r.accepted ?? '-', 8)} ${pad(r.caught ?? '-', 7)} ${pad(r.neverSettled ?? '-', 9)}  ${rt.padEnd(32)}${good.padEnd(14)}${pad(r.fuzzS ?? '-', 6)} ${pad(r.wallS ?? '-', 6)}  ${r.passed ? 'pass' : `FAIL: ${r.problems.length} problem(s)`}`);
  }
  return lines.join('\n');
}

// After all fuzz files of a mocha run: the table, and with FUZZ_REPORT=<file> the figures as JSON (for CI).
const suiteStartedAt = Date.now();
if (typeof after === 'function') {
  after(function () {
    if (results.length === 0) return;
    const wallS = (Date.now() - suiteStartedAt) / 1000;
    console.log(formatSummary(results, wallS));
    const file = process.env.FUZZ_REPORT;
    if (file) {
      const fs = require('node:fs');
      const path = require('node:path');
      fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
      const report = { runs: Number(process.env.FUZZ_RUNS) || 10000, seed: results[0] && results[0].seed, wallS: Math.round(wallS * 10) / 10, passed: results.every((r) => r.passed), nodes: results };
      fs.writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
      console.log(`  fuzz report written to ${file}`);
    }
  });
}

function replayValue(arbitrary, seed, index) {
  let value;
  fc.check(fc.property(arbitrary, (v) => {
    if (value === undefined) value = v;
    return true;
  }), { seed, path: String(index), numRuns: 1 });
  return value;
}

/** Replays message `index` and shrinks it while it still produces a failure of class `cls`. */
async function shrink({ ctx, arbitrary, seed, index, cls, prepare, watch, protoSnapshot, deadline, waitMs = 15000 }) {
  let attempts = 0;
  let lastFailing;
  let lastDetail;
  const reproduces = async (value) => {
    attempts++;
    const before = watch.events.filter((e) => !e.soft).length;
    const entry = ctx.send(-1 - attempts, prepare(value));
    await waitUntil(() => entry.settled, waitMs);
    await new Promise((r) => setTimeout(r, 10));
    const problems = judge(entry);
    ctx.entries.delete(entry.msgid);
    for (const text of pollution(protoSnapshot)) problems.push({ kind: 'prototype-pollution', detail: text });
    for (const e of watch.events.filter((x) => !x.soft).slice(before)) problems.push({ kind: e.kind, err: e.err });
    const match = problems.find((p) => classOf(p) === cls);
    if (match) lastDetail = match;
    return Boolean(match);
  };
  let first = true;
  const result = await fc.check(fc.asyncProperty(arbitrary, async (value) => {
    if (!first && Date.now() > deadline) return true; // out of budget: stop shrinking here
    first = false;
    const fails = await reproduces(value);
    if (fails) lastFailing = value;
    return !fails;
  }), { seed, path: String(index), numRuns: 1, endOnFailure: false });
  if (!result.failed) return { reproduced: false, attempts };
  return {
    reproduced: true,
    attempts,
    numShrinks: result.numShrinks,
    value: show(lastFailing ?? result.counterexample[0]),
    raw: lastFailing ?? result.counterexample[0],
    detail: lastDetail && (lastDetail.detail || (lastDetail.err && lastDetail.err.message)),
    stack: lastDetail && lastDetail.err ? stackOf(lastDetail.err) : undefined,
    replay: `fc seed ${seed}, path "${result.counterexamplePath}"`,
  };
}

/**
 * For a failure that only shows after earlier messages: the smallest set of messages among
 * 0..upto-1 after which the culprit fails again on a freshly deployed flow (ddmin, within the
 * deadline). Each test redeploys the flow, sends the set, then the culprit.
 */
async function findSetup({ flow, nodeId, caughtId, checkOutput, afterLoad, arbitrary, seed, prepare, watch, protoSnapshot, cls, upto, culprits, waitMs, deadline }) {
  const prefix = fc.sample(arbitrary, { seed, numRuns: upto });
  let tests = 0;
  let culprit;
  const reproduces = async (indices, value) => {
    tests++;
    await helper.unload();
    await load(flow);
    const ctx = instrument({ nodeId, caughtId, checkOutput });
    if (afterLoad) await afterLoad(ctx);
    const batch = indices.map((i) => ctx.send(i, prepare(prefix[i])));
    await waitUntil(() => batch.every((e) => e.settled), waitMs);
    const before = watch.events.filter((e) => !e.soft).length;
    const entry = ctx.send(-1, prepare(value));
    await waitUntil(() => entry.settled, waitMs);
    await new Promise((r) => setTimeout(r, 10));
    const problems = judge(entry);
    for (const text of pollution(protoSnapshot)) problems.push({ kind: 'prototype-pollution', detail: text });
    for (const e of watch.events.filter((x) => !x.soft).slice(before)) problems.push({ kind: e.kind, err: e.err });
    return problems.some((p) => classOf(p) === cls);
  };
  let set = prefix.map((_, i) => i);
  for (const value of culprits) {
    if (value !== undefined && (await reproduces(set, value))) {
      culprit = value;
      break;
    }
  }
  if (culprit === undefined) return { found: false, tests };
  let n = 2;
  while (set.length >= 2 && Date.now() < deadline) {
    const size = Math.ceil(set.length / n);
    const chunks = [];
    for (let i = 0; i < set.length; i += size) chunks.push(set.slice(i, i + size));
    let reduced = false;
    for (const chunk of chunks) {
      if (Date.now() >= deadline) break;
      if (await reproduces(chunk, culprit)) {
        set = chunk;
        n = 2;
        reduced = true;
        break;
      }
    }
    if (!reduced && chunks.length > 2) {
      for (const chunk of chunks) {
        if (Date.now() >= deadline) break;
        const complement = set.filter((i) => !chunk.includes(i));
        if (await reproduces(complement, culprit)) {
          set = complement;
          n = Math.max(n - 1, 2);
          reduced = true;
          break;
        }
      }
    }
    if (!reduced) {
      if (n >= set.length) break;
      n = Math.min(set.length, n * 2);
    }
  }
  const complete = Date.now() < deadline;
  return { found: true, complete, tests, setup: set.map((i) => ({ index: i, value: show(prefix[i]) })), culprit: show(culprit) };
}

function formatReport(name, stats, failures, globalProblems, timerSummary, warnings) {
  const lines = [];
  lines.push('');
  lines.push(`  ── fuzz ${name} (seed ${stats.seed}) ─────────────────────────────────────────`);
  lines.push(`  messages sent ${stats.sent}: accepted ${stats.accepted}, refused ${stats.refused} (reached the Catch node ${stats.caught}), never settled ${stats.unsettled}`);
  lines.push(`  refusal reasons: ${stats.reasons}`);
  lines.push(`  outputs: ${stats.outputs.map((n, i) => `#${i + 1} ${n}`).join(', ')}`);
  lines.push(`  fuzz time ${(stats.elapsedMs / 1000).toFixed(1)} s (with checks and shrinking ${(stats.totalMs / 1000).toFixed(1)} s)`);
  lines.push(`  memory (after GC): RSS ${stats.rssBeforeMB} -> ${stats.rssAfterMB} MB (peak ${stats.rssPeakMB} MB), heap ${stats.heapBeforeMB} -> ${stats.heapAfterMB} MB`);
  lines.push(`  last status: ${stats.lastStatus}`);
  if (stats.runtime) lines.push(`  runtime: ${stats.runtime.up ? 'up' : 'NOT answering'} ${stats.runtime.upS} s after it started (HTTP ${stats.runtime.http}, admin API ${stats.runtime.adminApi}), node ${stats.runtime.sameNode ? 'never redeployed' : 'REPLACED'}; good message afterwards: ${stats.goodMessage}`);
  if (stats.timerErrors) lines.push(`  errors outside messages (timers, or refusals whose message Node-RED could not copy): ${stats.timerErrors}: ${timerSummary.join(' | ')}`);
  if (warnings.length) lines.push(`  process warnings: ${[...new Set(warnings.map((w) => clip(`${w.err && w.err.name}: ${w.err && w.err.message}`, 160)))].join(' | ')}`);
  for (const f of failures.values()) {
    lines.push(`  ${isSoft(f.cls) ? '! (not a TwinLoop failure)' : '✗'} ${f.cls}: ${f.count} message(s), e.g. #${f.indices.join(', #')}`);
    const p = f.first.problem;
    if (p.detail) lines.push(`      ${clip(p.detail, 400)}`);
    if (f.first.value !== undefined) lines.push(`      first message: ${clip(f.first.value, 700)}`);
    if (p.err) lines.push(`      ${stackOf(p.err).split('\n').join('\n      ')}`);
    const minimal = f.fresh && f.fresh.reproduced ? f.fresh : f.live && f.live.reproduced ? f.live : undefined;
    if (minimal) {
      const where = minimal === f.fresh ? 'on a freshly deployed flow' : 'on the fuzzed node only: NOT on a freshly deployed flow, it needs state left by earlier messages';
      lines.push(`      minimal counterexample ${where} (${minimal.numShrinks} shrinks, ${minimal.attempts} replays; ${minimal.replay}):`);
      lines.push(`        ${clip(minimal.value, 700)}`);
      if (minimal.detail) lines.push(`        -> ${clip(minimal.detail, 300)}`);
      if (minimal.stack) lines.push(`        ${minimal.stack.split('\n').join('\n        ')}`);
    } else if (f.live || f.fresh) lines.push('      (not reproduced alone, neither on the fuzzed node nor on a fresh one: depends on the messages around it)');
    if (f.setup) {
      if (!f.setup.found) lines.push(`      (the earlier messages did not reproduce it on a fresh flow either, ${f.setup.tests} test(s))`);
      else {
        lines.push(`      on a freshly deployed flow it fails after these ${f.setup.setup.length} earlier message(s)${f.setup.complete ? '' : ' (search cut short: may not be minimal)'} (${f.setup.tests} redeploys):`);
        for (const m of f.setup.setup.slice(0, 8)) lines.push(`        #${m.index}: ${clip(m.value, 400)}`);
        if (f.setup.setup.length > 8) lines.push(`        … ${f.setup.setup.length - 8} more`);
        lines.push(`        then: ${clip(f.setup.culprit, 400)}`);
      }
    }
  }
  for (const g of globalProblems) lines.push(`  ✗ ${g}`);
  if ([...failures.values()].every((f) => isSoft(f.cls)) && globalProblems.length === 0) lines.push('  ✓ no problem found');
  return lines.join('\n');
}

module.exports = { runFuzz, show, prune };
