#!/usr/bin/env node
'use strict';
// Palette-style install and load check.
//
// Installs the packed project the way Node-RED's palette manager does (npm install --omit=dev
// --engine-strict into a fresh user directory), starts a headless Node-RED of the requested
// version with the chosen Node binary, and asserts through the admin API that every node type in
// package.json `node-red.nodes` is registered, enabled and loaded without error. Also checks the
// tarball layout and that the runtime dependency tree has no install scripts.
//
// Usage: node scripts/palette-check.js --node-red <version> [--node <path to node>] [--keep]
// The project must already be built (npm run build); npm pack runs with --ignore-scripts.
// Exit status: 0 all checks passed, 1 a check failed, 2 usage error.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');
const { freePort } = require('./lib/ports');
const { spawn, execFileSync } = require('node:child_process');

const root = path.resolve(__dirname, '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const MODULE = pkg.name;

const T_SHORT = 60 * 1000; // version probes, npm config, install-scripts ls
const T_PACK = 3 * 60 * 1000;
const T_INSTALL = 6 * 60 * 1000; // one npm install (cold cache, 2 shared cores: ~10-15 s measured)
const T_START = 60 * 1000; // Node-RED answering /nodes
const T_STOP = 10 * 1000;

class CheckError extends Error {}

function log(msg) {
  console.log(`[palette-check ${new Date().toISOString().slice(11, 19)}] ${msg}`);
}

function fail(msg) {
  throw new CheckError(msg);
}

function parseArgs(argv) {
  const opts = { nodeRed: null, node: process.execPath, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) usage(`${a} needs a value`);
      return v;
    };
    if (a === '--node-red') opts.nodeRed = next();
    else if (a.startsWith('--node-red=')) opts.nodeRed = a.slice('--node-red='.length);
    else if (a === '--node') opts.node = next();
    else if (a.startsWith('--node=')) opts.node = a.slice('--node='.length);
    else if (a === '--keep') opts.keep = true;
    else if (a === '-h' || a === '--help') usage(null);
    else usage(`unknown argument: ${a}`);
  }
  if (!opts.nodeRed) usage('--node-red <version> is required');
  if (!/^[0-9A-Za-z.\-+^~<>=| x*]+$/.test(opts.nodeRed)) usage(`odd node-red version: ${opts.nodeRed}`);
  opts.node = path.resolve(opts.node);
  return opts;
}

function usage(err) {
  if (err) console.error(`palette-check: ${err}`);
  console.error('usage: node scripts/palette-check.js --node-red <version> [--node <path to node binary>] [--keep]');
  process.exit(err ? 2 : 0);
}

// npm's own CLI script, so it can be run with the chosen node binary (npm's engine checks use
// process.version of the node that runs npm).
function findNpmCli() {
  const candidates = [];
  const fromEnv = process.env.npm_execpath;
  if (fromEnv && /npm-cli\.js$/.test(fromEnv)) candidates.push(fromEnv);
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    if (!dir) continue;
    const bin = path.join(dir, 'npm');
    if (!fs.existsSync(bin)) continue;
    try {
      const real = fs.realpathSync(bin);
      if (/npm-cli\.js$/.test(real)) candidates.push(real);
      candidates.push(path.join(path.dirname(real), 'npm-cli.js'));
    } catch { /* dangling link */ }
    candidates.push(path.join(dir, '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js'));
  }
  candidates.push(path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js'));
  for (const c of candidates) {
    if (fs.existsSync(c) && fs.existsSync(path.join(path.dirname(c), '..', 'package.json'))) return path.resolve(c);
  }
  fail(`cannot locate npm-cli.js (looked at: ${[...new Set(candidates)].join(', ')})`);
}

// Environment for child processes: chosen node first on PATH, and none of the npm_* variables an
// enclosing `npm run` exports (they would leak the outer project's prefix and versions).
function childEnv(nodeBin) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    const lk = k.toLowerCase();
    if (lk.startsWith('npm_') && !lk.startsWith('npm_config_')) continue;
    if (['npm_config_prefix', 'npm_config_local_prefix', 'npm_config_global_prefix', 'npm_config_node_version',
      'npm_config_npm_version', 'npm_config_user_agent', 'npm_config_engine_strict', 'npm_config_omit',
      'npm_config_include', 'npm_config_global', 'npm_config_ignore_scripts', 'npm_config_dry_run'].includes(lk)) continue;
    env[k] = v;
  }
  env.PATH = [path.dirname(nodeBin), process.env.PATH || ''].join(path.delimiter);
  env.NODE_ENV = 'production';
  env.npm_config_update_notifier = 'false';
  env.npm_config_fund = 'false';
  env.npm_config_audit = 'false';
  env.npm_config_yes = 'true';
  env.CI = env.CI || 'true';
  delete env.NODE_OPTIONS;
  return env;
}

// Process groups of running children, killed if this script is interrupted.
const children = new Set();

// Runs a command with a hard timeout; resolves { code, stdout, stderr }; rejects on timeout.
function run(cmd, args, { cwd, env, timeout, label }) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    children.add(child.pid);
    child.on('exit', () => children.delete(child.pid));
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => {
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
      reject(new CheckError(`${label || cmd}: timed out after ${timeout / 1000}s\n${tail(stdout + stderr)}`));
    }, timeout);
    child.on('error', (e) => { clearTimeout(timer); reject(new CheckError(`${label || cmd}: ${e.message}`)); });
    child.on('close', (code, signal) => { clearTimeout(timer); resolve({ code: code === null ? `signal ${signal}` : code, stdout, stderr }); });
  });
}

function tail(text, lines = 40) {
  return text.trim().split('\n').slice(-lines).map((l) => `    | ${l}`).join('\n');
}

function httpGet(url, timeout, accept) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: { Accept: accept }, timeout }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`HTTP ${res.statusCode} from ${url}`));
        resolve(body);
      });
    });
    req.on('timeout', () => req.destroy(new Error('request timeout')));
    req.on('error', reject);
  });
}

function httpPostJson(url, payload, headers, timeout) {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(payload);
    const req = http.request(url, {
      method: 'POST', timeout,
      headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data), Accept: 'application/json', ...headers },
    }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => (res.statusCode >= 200 && res.statusCode < 300 ? resolve(body) : reject(new Error(`HTTP ${res.statusCode} from POST ${url}: ${body.slice(0, 300)}`))));
    });
    req.on('timeout', () => req.destroy(new Error('request timeout')));
    req.on('error', reject);
    req.end(data);
  });
}

async function httpGetJson(url, timeout) {
  const body = await httpGet(url, timeout, 'application/json');
  try { return JSON.parse(body); } catch (e) { throw new Error(`bad JSON from ${url}: ${e.message}`); }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- checks -------------------------------------------------------------------------------

function checkTarballFiles(files, types) {
  const paths = files.map((f) => f.path.replace(/^package\//, ''));
  const has = (p) => paths.includes(p);
  const under = (dir) => paths.filter((p) => p.startsWith(dir));
  const problems = [];
  for (const [type, file] of Object.entries(types)) {
    const js = path.posix.normalize(file);
    const html = js.replace(/\.js$/, '.html');
    if (!has(js)) problems.push(`missing ${js} (node ${type}; was the project built?)`);
    if (!has(html)) problems.push(`missing ${html} (node ${type})`);
  }
  for (const dir of ['nodes/icons/', 'nodes/locales/en-US/', 'examples/', 'dist/']) {
    if (under(dir).length === 0) problems.push(`no files under ${dir}`);
  }
  for (const dir of ['src/', 'test/', 'bench/', '.ci/']) {
    const leaked = under(dir);
    if (leaked.length) problems.push(`must not ship ${dir}: ${leaked.slice(0, 5).join(', ')}${leaked.length > 5 ? ', ...' : ''}`);
  }
  if (!has('package.json')) problems.push('missing package.json');
  if (problems.length) fail(`tarball layout:\n  - ${problems.join('\n  - ')}`);
  return paths.length;
}

// Every package.json under node_modules (nested and scoped too), without following symlinks.
function* installedPackages(nodeModules) {
  let entries;
  try { entries = fs.readdirSync(nodeModules, { withFileTypes: true }); } catch { return; }
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const p = path.join(nodeModules, e.name);
    if (e.name.startsWith('@') && e.isDirectory()) {
      yield* installedPackages(p);
      continue;
    }
    if (!e.isDirectory()) continue;
    const pj = path.join(p, 'package.json');
    if (fs.existsSync(pj)) yield { dir: p, pj };
    yield* installedPackages(path.join(p, 'node_modules'));
  }
}

function scanInstallScripts(userDir) {
  const found = [];
  let count = 0;
  for (const { dir, pj } of installedPackages(path.join(userDir, 'node_modules'))) {
    count++;
    let meta;
    try { meta = JSON.parse(fs.readFileSync(pj, 'utf8')); } catch (e) { found.push(`${pj}: unreadable (${e.message})`); continue; }
    const scripts = meta.scripts || {};
    const rel = path.relative(userDir, dir);
    for (const s of ['preinstall', 'install', 'postinstall']) {
      if (scripts[s]) found.push(`${rel}: ${s}: ${scripts[s]}`);
    }
    if (fs.existsSync(path.join(dir, 'binding.gyp')) && meta.gypfile !== false) found.push(`${rel}: binding.gyp (implicit node-gyp rebuild)`);
  }
  return { found, count };
}

// ---- main ---------------------------------------------------------------------------------

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const types = (pkg['node-red'] && pkg['node-red'].nodes) || {};
  if (Object.keys(types).length === 0) fail('package.json node-red.nodes lists no node types');
  const checked = [];
  const t0 = Date.now();

  if (!fs.existsSync(opts.node)) fail(`node binary not found: ${opts.node}`);
  const env = childEnv(opts.node);
  const nodeVersion = execFileSync(opts.node, ['-p', 'process.version'], { env, timeout: T_SHORT, encoding: 'utf8' }).trim();
  const npmCli = findNpmCli();
  const npm = (args, cwd, timeout, label) => run(opts.node, [npmCli, ...args], { cwd, env, timeout, label: label || `npm ${args[0]}` });
  const npmVersion = (await npm(['--version'], root, T_SHORT)).stdout.trim();
  log(`node ${opts.node} (${nodeVersion}); npm ${npmVersion} (${npmCli}); Node-RED ${opts.nodeRed}; node types: ${Object.keys(types).join(', ')}`);

  // npm decides engine-strict with the version of the node running it: prove it is the chosen one.
  // (npm sets its nodeVersion option from process.version; `npm version --json` reports it.)
  const ver = await npm(['version', '--json'], os.tmpdir(), T_SHORT);
  let seen;
  try { seen = `v${JSON.parse(ver.stdout).node}`; } catch (e) { fail(`npm version --json unreadable: ${e.message}\n${tail(ver.stdout + ver.stderr)}`); }
  if (seen !== nodeVersion) fail(`npm runs on ${seen}, expected ${nodeVersion}`);
  checked.push(`npm evaluates engines against ${nodeVersion}`);

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'twin-palette-'));
  let red = null;
  let redLog = '';
  const cleanup = async () => {
    if (red && red.exitCode === null && red.signalCode === null) {
      log(`stopping Node-RED (pid ${red.pid})`);
      try { process.kill(-red.pid, 'SIGTERM'); } catch { /* gone */ }
      const deadline = Date.now() + T_STOP;
      while (red.exitCode === null && red.signalCode === null && Date.now() < deadline) await sleep(100);
      if (red.exitCode === null && red.signalCode === null) {
        try { process.kill(-red.pid, 'SIGKILL'); } catch { /* gone */ }
        await sleep(200);
      }
    }
    if (!opts.keep) fs.rmSync(tmp, { recursive: true, force: true });
    else log(`kept ${tmp}`);
  };
  const onSignal = (sig) => {
    if (red && red.exitCode === null) { try { process.kill(-red.pid, 'SIGKILL'); } catch { /* gone */ } }
    for (const pid of children) { try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ } }
    console.error(`[palette-check] interrupted by ${sig}`);
    if (!opts.keep) fs.rmSync(tmp, { recursive: true, force: true });
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    // 1. engine-strict really refuses a package whose engines exclude the chosen node.
    const probeDir = path.join(tmp, 'probe');
    const probePkg = path.join(probeDir, 'pkg');
    fs.mkdirSync(probePkg, { recursive: true });
    fs.writeFileSync(path.join(probePkg, 'package.json'), JSON.stringify({
      name: 'engine-probe', version: '1.0.0', engines: { node: `<${nodeVersion.slice(1)} || >${nodeVersion.slice(1)}` },
    }));
    const probePack = await npm(['pack', '--json', '--ignore-scripts', '--pack-destination', probeDir], probePkg, T_SHORT, 'npm pack (probe)');
    if (probePack.code !== 0) fail(`npm pack of the engine probe failed:\n${tail(probePack.stdout + probePack.stderr)}`);
    const probeApp = path.join(probeDir, 'app');
    fs.mkdirSync(probeApp);
    fs.writeFileSync(path.join(probeApp, 'package.json'), JSON.stringify({ name: 'probe-app', version: '0.0.0', private: true }));
    const probe = await npm(['install', '--engine-strict', '--offline', path.join(probeDir, 'engine-probe-1.0.0.tgz')], probeApp, T_SHORT, 'npm install (probe)');
    if (probe.code === 0 || !/EBADENGINE/.test(probe.stdout + probe.stderr)) {
      fail(`npm install --engine-strict accepted a package whose engines exclude ${nodeVersion} (exit ${probe.code}):\n${tail(probe.stdout + probe.stderr)}`);
    }
    checked.push(`npm --engine-strict refuses a package excluding ${nodeVersion} (EBADENGINE)`);

    // 2. pack (the project must already be built: prepare is not run here).
    let t = Date.now();
    const packDir = path.join(tmp, 'pack');
    fs.mkdirSync(packDir);
    const packed = await npm(['pack', '--json', '--ignore-scripts', '--pack-destination', packDir], root, T_PACK);
    if (packed.code !== 0) fail(`npm pack failed (exit ${packed.code}):\n${tail(packed.stdout + packed.stderr)}`);
    let packInfo;
    try { packInfo = JSON.parse(packed.stdout)[0]; } catch (e) { fail(`npm pack --json output unreadable: ${e.message}\n${tail(packed.stdout)}`); }
    const tarball = path.join(packDir, packInfo.filename);
    if (!fs.existsSync(tarball)) fail(`npm pack did not produce ${tarball}`);
    const nFiles = checkTarballFiles(packInfo.files, types);
    log(`packed ${packInfo.filename}: ${nFiles} files, ${(packInfo.size / 1024).toFixed(0)} kB (${((Date.now() - t) / 1000).toFixed(1)}s)`);
    checked.push(`tarball has every node's .js/.html, nodes/icons, nodes/locales/en-US, examples/, dist/; no src/, test/, bench/, .ci/ (${nFiles} files)`);

    // 3. fresh Node-RED user directory, palette-style install.
    t = Date.now();
    const userDir = path.join(tmp, 'userdir');
    fs.mkdirSync(userDir);
    fs.writeFileSync(path.join(userDir, 'package.json'), JSON.stringify({
      name: 'node-red-project', description: 'A Node-RED Project', version: '0.0.1', private: true,
    }, null, 2));
    const inst = await npm(['install', '--omit=dev', '--engine-strict', '--no-audit', '--no-fund', '--no-update-notifier',
      '--save', '--save-prefix=~', tarball], userDir, T_INSTALL, 'npm install <tarball>');
    if (inst.code !== 0) fail(`palette-style install failed (exit ${inst.code}):\n${tail(inst.stdout + inst.stderr)}`);
    const installedPj = path.join(userDir, 'node_modules', ...MODULE.split('/'), 'package.json');
    if (!fs.existsSync(installedPj)) fail(`${MODULE} not found in ${userDir}/node_modules after install`);
    log(`installed into ${userDir} with --omit=dev --engine-strict (${((Date.now() - t) / 1000).toFixed(1)}s)`);
    checked.push(`npm install --omit=dev --engine-strict <tarball> succeeds under ${nodeVersion}`);

    // 4. no install scripts in the runtime tree.
    const scan = scanInstallScripts(userDir);
    if (scan.count < 1) fail('install-script scan found no installed packages');
    const ls = await npm(['install-scripts', 'ls', '--json'], userDir, T_SHORT, 'npm install-scripts ls');
    const lsOut = ls.stdout + ls.stderr;
    if (ls.code === 0) {
      let listed;
      try { listed = JSON.parse(ls.stdout).allowScripts; } catch (e) { fail(`npm install-scripts ls --json unreadable: ${e.message}\n${tail(lsOut)}`); }
      if (!Array.isArray(listed)) fail(`npm install-scripts ls --json: no allowScripts array\n${tail(lsOut)}`);
      if (listed.length) fail(`runtime tree has install scripts (npm install-scripts ls): ${listed.map((x) => x.name).join(', ')}`);
      checked.push('npm install-scripts ls: no install scripts in the runtime tree');
    } else if (/Unknown command|not a recognized|Unknown cli|E?USAGE/i.test(lsOut)) {
      log('npm install-scripts not available in this npm; relying on the package.json scan');
    } else {
      fail(`npm install-scripts ls failed (exit ${ls.code}):\n${tail(lsOut)}`);
    }
    if (scan.found.length) fail(`runtime tree has install scripts:\n  - ${scan.found.join('\n  - ')}`);
    checked.push(`no preinstall/install/postinstall or binding.gyp in ${scan.count} installed packages`);

    // 5. the requested Node-RED, in its own folder.
    t = Date.now();
    const nrDir = path.join(tmp, 'node-red');
    fs.mkdirSync(nrDir);
    fs.writeFileSync(path.join(nrDir, 'package.json'), JSON.stringify({ name: 'nr-host', version: '0.0.0', private: true }));
    const nrInst = await npm(['install', '--no-save', '--no-audit', '--no-fund', `node-red@${opts.nodeRed}`], nrDir, T_INSTALL, `npm install node-red@${opts.nodeRed}`);
    if (nrInst.code !== 0) fail(`installing node-red@${opts.nodeRed} failed (exit ${nrInst.code}):\n${tail(nrInst.stdout + nrInst.stderr)}`);
    const redJs = path.join(nrDir, 'node_modules', 'node-red', 'red.js');
    if (!fs.existsSync(redJs)) fail(`${redJs} missing after install`);
    const nrVersion = JSON.parse(fs.readFileSync(path.join(nrDir, 'node_modules', 'node-red', 'package.json'), 'utf8')).version;
    log(`installed node-red ${nrVersion} (${((Date.now() - t) / 1000).toFixed(1)}s)`);

    // 6. start it headless and ask the admin API.
    t = Date.now();
    const port = await freePort();
    fs.writeFileSync(path.join(userDir, 'flows.json'), '[]\n');
    const settingsFile = path.join(userDir, 'settings.js');
    fs.writeFileSync(settingsFile, `module.exports = {
  uiHost: '127.0.0.1',
  uiPort: ${port},
  flowFile: 'flows.json',
  credentialSecret: false,
  logging: { console: { level: 'info', metrics: false, audit: false } },
  telemetry: { enabled: false, updateNotification: false },
  diagnostics: { enabled: false, ui: false },
  runtimeState: { enabled: false, ui: false },
  editorTheme: { tours: false, projects: { enabled: false }, palette: { catalogues: [] } },
};
`);
    red = spawn(opts.node, [redJs, '--userDir', userDir, '--settings', settingsFile, '--port', String(port)], {
      cwd: userDir, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true,
    });
    red.stdout.on('data', (d) => { redLog += d; });
    red.stderr.on('data', (d) => { redLog += d; });
    log(`started Node-RED ${nrVersion} (pid ${red.pid}) on 127.0.0.1:${port} with ${nodeVersion}`);

    const url = `http://127.0.0.1:${port}/nodes`;
    const deadline = Date.now() + T_START;
    let nodes = null;
    let lastErr = null;
    while (Date.now() < deadline) {
      if (red.exitCode !== null || red.signalCode !== null) fail(`Node-RED exited early (${red.exitCode ?? red.signalCode}):\n${tail(redLog)}`);
      try {
        nodes = await httpGetJson(url, 5000);
        break;
      } catch (e) { lastErr = e; }
      await sleep(500);
    }
    if (!nodes) fail(`GET ${url} did not answer within ${T_START / 1000}s (${lastErr && lastErr.message}):\n${tail(redLog)}`);
    log(`GET /nodes answered after ${((Date.now() - t) / 1000).toFixed(1)}s: ${nodes.length} node sets`);
    if (!Array.isArray(nodes)) fail(`GET /nodes: expected an array, got ${typeof nodes}`);

    const m = /Node\.js\s+version:\s*(v\S+)/.exec(redLog);
    if (!m) fail(`Node-RED log has no "Node.js version" line:\n${tail(redLog)}`);
    if (m[1] !== nodeVersion) fail(`Node-RED runs on ${m[1]}, expected ${nodeVersion}`);
    const settings = await httpGetJson(`http://127.0.0.1:${port}/settings`, 5000);
    if (settings.version !== nrVersion) fail(`GET /settings reports Node-RED ${settings.version}, expected ${nrVersion}`);
    checked.push(`Node-RED ${settings.version} runs on ${m[1]} and answers GET /nodes`);

    const ours = nodes.filter((s) => s.module === MODULE);
    if (ours.length === 0) {
      fail(`module ${MODULE} is not in GET /nodes (modules: ${[...new Set(nodes.map((s) => s.module))].join(', ')}):\n${tail(redLog)}`);
    }
    // GET /nodes lists sets without their load state, and Node-RED's runtime API deletes `loaded`
    // from GET /nodes/<module>/<set> (@node-red/runtime/lib/api/nodes.js getNodeInfo). `loaded` is
    // checked if a version ever reports it; the load itself is proven by the deploy probe below.
    // The same URL as text/html serves the editor definition plus the help from nodes/locales.
    const problems = [];
    for (const type of Object.keys(types)) {
      const set = ours.find((s) => Array.isArray(s.types) && s.types.includes(type));
      if (!set) {
        const sameName = ours.find((s) => s.name === type);
        problems.push(`${type}: not registered${sameName ? ` (node set ${sameName.name}: err=${JSON.stringify(sameName.err)}, enabled=${sameName.enabled})` : ''}`);
        continue;
      }
      if (set.enabled !== true) problems.push(`${type}: enabled=${set.enabled} in GET /nodes`);
      if (set.err) problems.push(`${type}: err=${JSON.stringify(set.err)} in GET /nodes`);
      if (set.version !== pkg.version) problems.push(`${type}: version ${set.version}, expected ${pkg.version}`);
      const setUrl = `http://127.0.0.1:${port}/nodes/${set.id}`;
      let info;
      try { info = await httpGetJson(setUrl, 5000); } catch (e) { problems.push(`${type}: ${e.message}`); continue; }
      if (Object.prototype.hasOwnProperty.call(info, 'loaded') && info.loaded !== true) problems.push(`${type}: loaded=${info.loaded} in GET /nodes/${set.id}`);
      if (info.enabled !== true) problems.push(`${type}: enabled=${info.enabled} in GET /nodes/${set.id}`);
      if (info.err) problems.push(`${type}: err=${JSON.stringify(info.err)} in GET /nodes/${set.id}`);
      let html = '';
      try { html = await httpGet(setUrl, 5000, 'text/html'); } catch (e) { problems.push(`${type}: ${e.message}`); continue; }
      const q = type.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      if (!new RegExp(`registerType\\(\\s*['"\`]${q}['"\`]`).test(html)) problems.push(`${type}: editor definition served by Node-RED has no registerType('${type}'`);
      if (!new RegExp(`data-help-name=["']${q}["']`).test(html)) problems.push(`${type}: Node-RED found no en-US help (nodes/locales/en-US/${type}.html)`);
    }
    for (const set of ours) {
      if (set.err) problems.push(`node set ${set.name}: err=${JSON.stringify(set.err)}`);
    }
    if (problems.length) fail(`${MODULE} in Node-RED ${nrVersion}:\n  - ${[...new Set(problems)].join('\n  - ')}\n${tail(redLog)}`);
    checked.push(`${MODULE}@${pkg.version}: ${Object.keys(types).join(', ')} enabled, no err; editor definitions and en-US help served`);

    // Deploy probe: one instance of every type on a disabled tab, each node disabled too, so no
    // constructor runs. Node-RED refuses to start flows with a type whose constructor was never
    // registered ("Waiting for missing types"), so "Started flows" proves every node's JS loaded and
    // called RED.nodes.registerType.
    const tab = 'twinprobe0tab000';
    const probeFlow = [{ id: tab, type: 'tab', label: 'palette-check probe', disabled: true, info: '' }];
    Object.keys(types).forEach((type, i) => {
      probeFlow.push({ id: `twinprobe${String(i).padStart(7, '0')}`, type, z: tab, d: true, name: `probe ${type}`, x: 100, y: 40 + 40 * i, wires: [] });
    });
    const mark = redLog.length;
    await httpPostJson(`http://127.0.0.1:${port}/flows`, probeFlow, { 'Node-RED-Deployment-Type': 'full', 'Node-RED-API-Version': 'v1' }, 10000);
    const deployDeadline = Date.now() + 20000;
    let outcome = null;
    while (!outcome && Date.now() < deployDeadline) {
      const after = redLog.slice(mark);
      if (/Waiting for missing types/.test(after)) {
        await sleep(500); // let the list of types reach the log
        outcome = 'missing';
      } else if (/Started flows/.test(after)) outcome = 'started';
      else if (red.exitCode !== null || red.signalCode !== null) outcome = 'exited';
      else await sleep(200);
    }
    if (outcome !== 'started') {
      fail(`deploying one (disabled) instance of each type: ${outcome === 'missing' ? 'Node-RED is waiting for missing types' : outcome || 'no "Started flows" within 20s'}:\n${tail(redLog.slice(mark))}`);
    }
    checked.push(`deploy probe: Node-RED starts a flow with ${Object.keys(types).join(', ')} (constructors registered, i.e. loaded)`);
  } catch (e) {
    if (redLog && !(e instanceof CheckError)) console.error(tail(redLog));
    throw e;
  } finally {
    await cleanup();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }

  for (const c of checked) log(`ok  ${c}`);
  log(`PASS: Node-RED ${opts.nodeRed} on ${nodeVersion} (${((Date.now() - t0) / 1000).toFixed(1)}s)`);
}

main().catch((e) => {
  console.error(`[palette-check] FAIL: ${e instanceof CheckError ? e.message : (e && e.stack) || e}`);
  process.exit(1);
});
