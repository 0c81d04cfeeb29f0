'use strict';
/**
 * A private Mosquitto broker for one test file: free port, temp config, persistence in a temp dir
 * so queued QoS 1 messages of persistent sessions survive restart(). Never touches the shared
 * broker on 1883.
 *
 *   const broker = new PrivateMosquitto({ users: { plc: 'secret' } }); // users optional
 *   await broker.start(); broker.url; await broker.restart(); await broker.dispose();
 */
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { freePort, portAnswers } = require('../../scripts/lib/ports');

const MOSQUITTO = '/usr/sbin/mosquitto';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

class PrivateMosquitto {
  /**
   * @param {{ users?: Record<string, string>, tls?: { cafile: string, certfile: string, keyfile: string, requireCertificate?: boolean } }} [options]
   *   users: password auth, no anonymous; tls: the listener speaks TLS only (mqtts)
   */
  constructor(options = {}) {
    this.users = options.users;
    this.tls = options.tls;
    this.port = undefined;
    this.dir = undefined;
    this.process = undefined;
    this.log = '';
  }

  get url() {
    return `${this.tls ? 'mqtts' : 'mqtt'}://127.0.0.1:${this.port}`;
  }

  async start() {
    if (this.process) return;
    if (!this.dir) this.writeConfig(await freePort());
    const child = spawn(MOSQUITTO, ['-c', path.join(this.dir, 'mosquitto.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.process = child;
    child.stderr.on('data', (chunk) => { this.log += chunk.toString(); });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.once('exit', () => { if (this.process === child) this.process = undefined; });
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (!this.process) {
        await exited;
        throw new Error(`mosquitto exited at start on port ${this.port}:\n${this.log}`);
      }
      if (await portAnswers(this.port)) return;
      await sleep(50);
    }
    await this.stop();
    throw new Error(`mosquitto did not answer on port ${this.port} within 10 s:\n${this.log}`);
  }

  /** SIGTERM (Mosquitto then saves its persistence file), SIGKILL after 5 s. */
  async stop() {
    const child = this.process;
    if (!child) return;
    this.process = undefined;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(killer);
  }

  /** Stop, then start again on the same port with the same persistence. */
  async restart() {
    await this.stop();
    await this.start();
  }

  /** stop() and remove the temp directory. */
  async dispose() {
    await this.stop();
    if (this.dir) fs.rmSync(this.dir, { recursive: true, force: true });
    this.dir = undefined;
  }

  writeConfig(port) {
    this.port = port;
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'twinloop-mosquitto-'));
    const lines = [
      `listener ${port} 127.0.0.1`,
      'persistence true',
      `persistence_location ${this.dir}/`,
      'persistence_file mosquitto.db',
      // Running as root, Mosquitto would switch to user "mosquitto", which cannot write our temp dir.
      `user ${os.userInfo().username}`,
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      'max_queued_messages 20000',
    ];
    if (this.tls) {
      lines.push(`cafile ${this.tls.cafile}`, `certfile ${this.tls.certfile}`, `keyfile ${this.tls.keyfile}`);
      if (this.tls.requireCertificate) lines.push('require_certificate true');
    }
    if (this.users) {
      const passwordFile = path.join(this.dir, 'passwords');
      fs.writeFileSync(passwordFile, '');
      for (const [name, password] of Object.entries(this.users)) {
        execFileSync('mosquitto_passwd', ['-b', passwordFile, name, password]);
      }
      lines.push('allow_anonymous false', `password_file ${passwordFile}`);
    } else {
      lines.push('allow_anonymous true');
    }
    fs.writeFileSync(path.join(this.dir, 'mosquitto.conf'), `${lines.join('\n')}\n`);
  }
}

module.exports = { PrivateMosquitto, freePort, portAnswers };
