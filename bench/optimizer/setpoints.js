'use strict';
/**
 * Simulation-based setpoint optimisation (a part of bench/optimizer): the optimizer's setpoint job,
 * run in this process exactly as twin-optimizer runs it in its worker, on the simulator's tandem
 * line (λ 0.5 parts/s; stations μ 1, 0.8, 0.9 parts/s per server; power per server: working 5 kW,
 * idle 2 kW, blocked 3 kW). Decision variables: the buffers in front of stations 2 and 3 (0 to 10)
 * and the servers of station 2 (1 to 3). Starting settings: buffers 1 and 1, 2 servers at station 2
 * (the line as it might be run: a spare server kept warm). Goal: minimise energy per good part
 * subject to throughput >= 0.48 parts/s (96 % of arrivals). Each evaluation: 3 replications of
 * 20,000 s; genetic algorithm (mixed integer variables), 60 evaluations, seed 1.
 *
 * Confirmation: the chosen settings and the starting ones, 30 replications each on seeds the search
 * never used (common random numbers between the two), Welch 95 % interval of the difference.
 * Targets: energy per good part at least 10 % lower than at the start, the interval excluding 0, and
 * the chosen settings' mean throughput meeting the constraint in the confirmation.
 */
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');

const line = {
  sources: [{ interarrival: { kind: 'exponential', mean: 2 }, to: 'S1' }],
  stations: [
    { name: 'S1', processing: { kind: 'exponential', mean: 1 }, buffer: 1000, next: 'S2', power: { working: 5, idle: 2, blocked: 3 } },
    { name: 'S2', servers: 2, processing: { kind: 'exponential', mean: 1.25 }, buffer: 1, next: 'S3', power: { working: 5, idle: 2, blocked: 3 } },
    { name: 'S3', processing: { kind: 'exponential', mean: 1 / 0.9 }, buffer: 1, next: null, power: { working: 5, idle: 2, blocked: 3 } },
  ],
  run: { until: 20000 },
};

const goal = {
  variables: [
    { name: 'line.S2.buffer', kind: 'integer', min: 0, max: 10, initial: 1 },
    { name: 'line.S3.buffer', kind: 'integer', min: 0, max: 10, initial: 1 },
    { name: 'line.S2.servers', kind: 'integer', min: 1, max: 3, initial: 2 },
  ],
  objectives: [{ expression: 'line_energyPerGoodPartKwh', sense: 'min' }],
  constraints: ['line_throughput >= 0.48'],
  evaluation: { replications: 3 },
};

const MARGIN = 0.1;
const round = (v, d = 0) => Math.round(v * 10 ** d) / 10 ** d;

async function run(argv = []) {
  const file = path.join(root, 'dist', 'core', 'optimisation', 'setpoint-task.js');
  if (!fs.existsSync(file)) throw new Error('dist/ is not built: run `npx tsc -p tsconfig.json` first.');
  const { runSetpointJob } = require(file);
  const quick = Array.isArray(argv) ? argv.includes('--quick') : Boolean(argv && argv.quick);
  const evaluations = quick ? 25 : 60;
  const started = Date.now();
  let improvements = 0;
  const answer = await runSetpointJob(
    {
      spec: { line },
      context: { calibrated: {}, durationS: 0, replications: 3, seed: 1, maxWallMs: 60000 },
      goal,
      options: { algorithm: 'ga', seed: 1, maxEvaluations: evaluations, timeLimitMs: 120000, confirmReplications: 30 },
    },
    { shouldStop: () => false, improvement: () => improvements++, progress: () => {}, pause: () => new Promise((r) => setImmediate(r)) },
    () => undefined,
  );
  const seconds = (Date.now() - started) / 1000;
  const energy = answer.confirmation.comparison.line_energyPerGoodPartKwh;
  const throughput = answer.confirmation.comparison.line_throughput;
  const gain = -energy.difference / energy.base;
  const rows = [
    { settings: 'start', ...answer.confirmation.start, energyPerPartKwh: round(energy.base, 5), throughput: round(throughput.base, 4) },
    { settings: 'chosen', ...answer.best.point, energyPerPartKwh: round(energy.alt, 5), throughput: round(throughput.alt, 4) },
  ];
  console.table(rows);
  console.log(`[setpoints] ${answer.progress.evaluations} evaluations (${improvements} improvements) in ${round(seconds, 1)} s; energy per part ${round(gain * 100, 1)} % lower, 95 % interval of the difference [${round(energy.low, 5)}, ${round(energy.high, 5)}] kWh`);
  return {
    name: 'setpoints',
    config: { line, goal, evaluations, confirmReplications: 30 },
    rows,
    targets: [
      { name: 'setpoints: energy per good part, chosen vs start (confirmed on fresh seeds)', value: gain, display: `${round(gain * 100, 1)} % lower (${round(energy.base, 4)} -> ${round(energy.alt, 4)} kWh), interval [${round(energy.low, 5)}, ${round(energy.high, 5)}]`, target: `>= ${MARGIN * 100} % lower and significant`, pass: gain >= MARGIN && energy.significant },
    ],
    checks: [
      { name: 'setpoints: chosen settings meet the throughput constraint in the confirmation', value: throughput.alt, display: `${round(throughput.alt, 4)} parts/s`, target: '>= 0.48', pass: throughput.alt >= 0.48 },
      { name: 'setpoints: feasible best point', value: answer.best.feasible, display: String(answer.best.feasible), pass: answer.best.feasible === true },
    ],
  };
}

module.exports = { name: 'setpoints', describe: 'simulation-based setpoints on the tandem line, confirmed by independent replications', run };

if (require.main === module) {
  run(process.argv.slice(2)).then((r) => {
    for (const item of [...r.targets, ...r.checks]) console.log(`${item.pass ? 'PASS' : 'FAIL'}  ${item.name}: ${item.display}`);
  });
}
