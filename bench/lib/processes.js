'use strict';
/**
 * Child processes of a benchmark: every one is tracked and killed when the benchmark ends, however
 * it ends (normal exit, exception, Ctrl-C, SIGTERM from bench/run.js's time limit).
 */
const { fork, spawn } = require('node:child_process');
const fs = require('node:fs');
const { freePort } = require('../../scripts/lib/ports');

const children = new Set();

function track(child, name) {
  child.benchName = name;
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Synchronous last resort (also from process 'exit'): SIGKILL whatever is still running. */
function killAllNow() {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      try { child.kill('SIGKILL'); } catch { /* already gone */ }
    }
  }
}

let installed = false;
function installCleanup() {
  if (installed) return;
  installed = true;
  process.on('exit', killAllNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(signal, () => {
      console.error(`\n${signal}: stopping the benchmark's child processes`);
      killAllNow();
      process.exit(130);
    });
  }
}

/** Waits for a child to exit; after `graceMs` sends SIGKILL. Resolves with {code, signal}. */
function stopChild(child, { signal = 'SIGINT', graceMs = 5000 } = {}) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve({ code: child.exitCode, signal: child.signalCode });
      return;
    }
    const timer = setTimeout(() => {
      try { child.kill('SIGKILL'); } catch { /* gone */ }
    }, graceMs);
    child.once('exit', (code, sig) => {
      clearTimeout(timer);
      resolve({ code, signal: sig });
    });
    try { child.kill(signal); } catch { /* gone */ }
  });
}

/**
 * A forked helper driven over IPC: request(command) sends {...command, id} and resolves with the
 * reply carrying the same id ({ok: false} rejects). Every request has a time limit.
 */
function forkHelper(script, name, { env } = {}) {
  installCleanup();
  const child = track(fork(script, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: { ...process.env, ...env } }), name);
  const pending = new Map();
  let nextId = 1;
  child.on('message', (message) => {
    if (message && message.event === 'error') {
      console.error(`[${name}] ${message.message}`);
      return;
    }
    const waiter = pending.get(message?.id);
    if (!waiter) return;
    pending.delete(message.id);
    clearTimeout(waiter.timer);
    if (message.ok) waiter.resolve(message);
    else waiter.reject(new Error(`${name}: ${message.error}`));
  });
  child.once('exit', (code, signal) => {
    for (const waiter of pending.values()) {
      clearTimeout(waiter.timer);
      waiter.reject(new Error(`${name} exited (${signal ?? code}) during a request`));
    }
    pending.clear();
  });
  return {
    child,
    request(command, timeoutMs = 30000) {
      return new Promise((resolve, reject) => {
        if (child.exitCode !== null || child.signalCode !== null) {
          reject(new Error(`${name} is not running`));
          return;
        }
        const id = nextId++;
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`${name}: no answer to ${command.cmd} within ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(id, { resolve, reject, timer });
        child.send({ ...command, id });
      });
    },
    async stop() {
      if (child.connected) {
        try { child.send({ cmd: 'stop' }); } catch { /* gone */ }
      }
      return stopChild(child, { signal: 'SIGTERM', graceMs: 3000 });
    },
  };
}

/** A Node-RED runtime as a child process: `node [nodeArgs] red.js --userDir ... --port ... --settings ...`. */
function spawnNodeRed({ redJs, userDir, port, settingsFile, nodeArgs = [], logFile }) {
  installCleanup();
  const log = fs.openSync(logFile, 'w');
  const args = [...nodeArgs, redJs, '--userDir', userDir, '--port', String(port), '--settings', settingsFile];
  const child = track(spawn(process.execPath, args, { stdio: ['ignore', log, log] }), 'node-red');
  fs.closeSync(log);
  child.commandLine = `node ${args.join(' ')}`;
  return child;
}

/** VmRSS and VmHWM of a process, in MB (MiB: /proc reports kB = KiB). */
function memoryOf(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field) => {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    return m ? Number(m[1]) : NaN;
  };
  return { rssMB: kb('VmRSS') / 1024, hwmMB: kb('VmHWM') / 1024 };
}

/** User + system CPU time of a process so far, in seconds (clock ticks of 1/100 s on Linux). */
function cpuSecondsOf(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime (fields 14 and 15)
  } catch {
    return NaN;
  }
}

/**
 * CPU use of some processes over an interval: start() then stop() gives {name: % of one core}.
 * `pids` maps a name to a pid (or undefined, skipped).
 */
function cpuMeter(pids) {
  const entries = Object.entries(pids).filter(([, pid]) => pid);
  const first = { at: performance.now(), cpu: Object.fromEntries(entries.map(([name, pid]) => [name, cpuSecondsOf(pid)])) };
  return {
    stop() {
      const seconds = (performance.now() - first.at) / 1000;
      const out = {};
      for (const [name, pid] of entries) out[name] = Math.round((100 * (cpuSecondsOf(pid) - first.cpu[name])) / seconds);
      return out;
    },
  };
}

/** The pid of the Mosquitto at 127.0.0.1:1883, if its pid file (from /etc/mosquitto/mosquitto.conf) is readable. */
function brokerPid() {
  try {
    const pid = Number(fs.readFileSync('/run/mosquitto/mosquitto.pid', 'utf8').trim());
    return fs.existsSync(`/proc/${pid}/stat`) ? pid : undefined;
  } catch {
    return undefined;
  }
}

module.exports = { forkHelper, spawnNodeRed, stopChild, freePort, memoryOf, cpuMeter, brokerPid, killAllNow, installCleanup };
