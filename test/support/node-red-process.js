'use strict';
/**
 * A real Node-RED process for integration tests (the pattern of test/integration/restart-persistence):
 * a temporary user directory with this package linked in, `node-red/red.js --userDir --port`, a clean
 * stop (SIGINT: nodes close, context stores flush) or a hard one (SIGKILL: nothing runs).
 *
 *   const red = new NodeRedProcess(userDir, port);
 *   await red.start();            // resolves at "Started flows"; red.startedAt is that moment
 *   await red.stop();             // SIGINT, SIGKILL after 15 s
 *   await red.kill();             // SIGKILL
 *
 * Every process started is remembered: `stopAll()` in an after() hook kills what is left even when a
 * test failed half-way.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { linkPackageInto } = require('../../scripts/start');

const running = new Set();

class NodeRedProcess {
  constructor(userDir, port) {
    this.userDir = userDir;
    this.port = port;
    this.child = null;
    this.log = '';
    this.spawnedAt = null;
    this.startedAt = null;
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  get alive() {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Spawns Node-RED and waits for "Started flows" (the moment the test saw it is `startedAt`). */
  async start(timeoutMs = 30000) {
    if (this.alive) throw new Error('Node-RED is already running');
    this.log = '';
    this.startedAt = null;
    this.spawnedAt = Date.now();
    const child = spawn(process.execPath, [require.resolve('node-red/red.js'), '--userDir', this.userDir, '--port', String(this.port)], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    running.add(this);
    child.once('exit', () => running.delete(this));
    const onData = (d) => {
      this.log += d;
      if (this.startedAt === null && /Started flows/.test(this.log)) this.startedAt = Date.now();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.startedAt !== null) return this;
      if (!this.alive) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    await this.kill();
    throw new Error(`Node-RED did not start:\n${this.log}`);
  }

  async signal(name, killAfterMs) {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(name);
    const killer = killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    await exited;
    if (killer) clearTimeout(killer);
  }

  /** A clean stop: SIGINT (nodes close, the context stores flush), SIGKILL after 15 s. */
  stop() {
    return this.signal('SIGINT', 15000);
  }

  /** A hard stop: SIGKILL, nothing of Node-RED runs any more. */
  kill() {
    return this.signal('SIGKILL');
  }
}

/** A temporary user directory with this package linked in and the given settings.js text. */
function makeUserDir(prefix, settingsText) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  linkPackageInto(dir, 'twinloop-integration-test');
  fs.writeFileSync(path.join(dir, 'settings.js'), settingsText);
  return dir;
}

/** Kills (SIGKILL) every Node-RED process these helpers started that is still running. */
async function stopAll() {
  await Promise.all([...running].map((p) => p.kill()));
}

module.exports = { NodeRedProcess, makeUserDir, stopAll };
