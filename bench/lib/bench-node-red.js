'use strict';
/**
 * The Node-RED child process of a benchmark, as the ingest and state-node benchmarks start it: a
 * temporary user directory with this package linked into node_modules (scripts/start.js's
 * linkPackageInto, as `npm start` does) and the counting node beside it (bench/ingest/count-node),
 * a settings file, the benchmark's flows.json, a free port and
 * `node [options] node_modules/node-red/red.js --userDir <tmp> --port <free> --settings <tmp>/settings.js`
 * with its output in bench/out/<name>-node-red.log.
 *
 * Node options of the child: --expose-gc if asked for (`exposeGc`), then BENCH_NODE_ARGS (split on
 * spaces), then with BENCH_CPU_PROF=1 --cpu-prof --cpu-prof-dir=<outDir>/profiles.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { linkPackageInto } = require('../../scripts/start');
const { spawnNodeRed, freePort } = require('./processes');

const root = path.resolve(__dirname, '..', '..');

function settingsText(port, label) {
  return `// Written by bench/lib/bench-node-red.js for one ${label} benchmark run.
module.exports = {
    uiHost: '127.0.0.1',
    uiPort: ${port},
    flowFile: 'flows.json',
    credentialSecret: false,
    logging: { console: { level: 'info', metrics: false, audit: false } },
    telemetry: { enabled: false },
    // benchDiag (the count node needs it): event-loop delay, GC pauses and memory of this process
    // (bench/ingest/diagnostics.js).
    functionGlobalContext: {
        benchDiag: require(${JSON.stringify(require.resolve('../ingest/diagnostics'))}).createDiagnostics(),
    },
};
`;
}

/** Writes settings.js into `userDir`; returns its path. `label` names the benchmark in its first line. */
function writeSettings(userDir, { port, label }) {
  const settingsFile = path.join(userDir, 'settings.js');
  fs.writeFileSync(settingsFile, settingsText(port, label));
  return settingsFile;
}

/** The counting node is a module of its own in the user directory (prepared by linkPackageInto), beside this package. */
function linkCountNode(userDir) {
  fs.symlinkSync(path.join(__dirname, '..', 'ingest', 'count-node'), path.join(userDir, 'node_modules', 'twinloop-bench-count'), 'dir');
}

/**
 * Prepares a user directory (removed when this process exits) and starts Node-RED in it.
 *   name        the benchmark: log prefix `[name]` and the log file <outDir>/<name>-node-red.log
 *   outDir      bench/out
 *   tmpPrefix   prefix of the temporary user directory (under os.tmpdir())
 *   packageName name of the user directory's package.json
 *   exposeGc    run the child with --expose-gc
 *   writeFlows  (userDir) => anything: writes flows.json; its result is returned as `flows`
 * Returns {userDir, port, settingsFile, flows, nodeRed (the child), nodeRedLog, profile, profileDir,
 * profilesBefore (the files already in profileDir when profiling)}.
 */
async function startBenchNodeRed({ name, outDir, tmpPrefix, packageName, exposeGc = false, writeFlows }) {
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), tmpPrefix));
  process.on('exit', () => fs.rmSync(userDir, { recursive: true, force: true }));
  linkPackageInto(userDir, packageName);
  const port = await freePort();
  linkCountNode(userDir);
  const settingsFile = writeSettings(userDir, { port, label: name });
  const flows = writeFlows(userDir);
  const profile = process.env.BENCH_CPU_PROF === '1';
  const profileDir = path.join(outDir, 'profiles');
  if (profile) fs.mkdirSync(profileDir, { recursive: true });
  const profilesBefore = profile ? new Set(fs.readdirSync(profileDir)) : new Set();
  const nodeRedLog = path.join(outDir, `${name}-node-red.log`);
  const nodeRed = spawnNodeRed({
    redJs: require.resolve('node-red/red.js'),
    userDir,
    port,
    settingsFile,
    nodeArgs: [
      ...(exposeGc ? ['--expose-gc'] : []),
      ...(process.env.BENCH_NODE_ARGS ? process.env.BENCH_NODE_ARGS.split(' ') : []),
      ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
    ],
    logFile: nodeRedLog,
  });
  console.log(`[${name}]`, `Node-RED pid ${nodeRed.pid}, port ${port}, user dir ${userDir}, log ${path.relative(root, nodeRedLog)}`);
  return { userDir, port, settingsFile, flows, nodeRed, nodeRedLog, profile, profileDir, profilesBefore };
}

/**
 * Waits until every ping in `pings` (functions resolving with a count node's answer or null) is
 * answered, one after the other, within `timeLimitMs` in all; fails at once if Node-RED has exited.
 * `what` (optional) says when, in the error message.
 */
async function waitForFlow({ nodeRed, nodeRedLog, pings, timeLimitMs, what }) {
  const deadline = Date.now() + timeLimitMs;
  for (const ping of pings) {
    let answer = null;
    while (!answer) {
      if (nodeRed.exitCode !== null) throw new Error(`Node-RED exited with ${nodeRed.exitCode}; see ${nodeRedLog}`);
      if (Date.now() > deadline) throw new Error(`Node-RED's flow did not answer within ${timeLimitMs / 1000} s${what ? ` ${what}` : ''}; see ${nodeRedLog}`);
      answer = await ping();
    }
  }
}

module.exports = { writeSettings, linkCountNode, startBenchNodeRed, waitForFlow };
