'use strict';
/**
 * The flow of the simulator-node benchmark, in a Node-RED user directory prepared by
 * bench/lib/bench-node-red.js (this package linked into node_modules, a settings file):
 *
 *   driver (bench-sim-driver) --> twin-simulator --(1 answers, 2 predictions, 3 events)--> driver
 *                                 catch (scope: simulator) ---------------------------> driver
 *                                 status (scope: simulator) --------------------------> driver
 *
 * The driver (bench/simulator-node/driver-node, linked into the user directory's node_modules as
 * twinloop-bench-simdriver) feeds the plant samples and the requests and measures the event loop.
 *
 * The twin-simulator: the oven of the node's help (dT/dt = (P*eta - k*(T - T_amb)) / C, loss as an
 * output) bound to line1/oven/{temperature,power,loss}, and a 4-station line (Saw -> Press -> Paint
 * -> Pack, exponential arrivals every 12 s, failures on the Press, scrap at Paint, a power profile
 * per station, one shift of 28,800 s per replication) whose stations' queues are bound to
 * line1/<station>/queue. Predict every 0.1 s with a 5 s horizon, hybrid learning on, 20
 * replications, seed 1, time limit 60 s, persist on (default store).
 *
 * Context storage: as `npm start` (scripts/start.js), the default store is localfilesystem, so the
 * simulator's saves (every 10 s after an answer) are written as JSON files; its flush interval is
 * set to 10 s (Node-RED's default is 30 s) so the full saved state is flushed inside the measured
 * load phase. This is added to the settings file bench-node-red.js wrote.
 */
const fs = require('node:fs');
const path = require('node:path');

const SIGNALS = {
  temperature: 'line1/oven/temperature',
  power: 'line1/oven/power',
  queues: ['line1/saw/queue', 'line1/press/queue', 'line1/paint/queue', 'line1/pack/queue'],
};

const PHYSICS = {
  states: { T: { signal: SIGNALS.temperature, unit: 'degC', initial: 20 } },
  inputs: { P: { signal: SIGNALS.power, unit: 'kW', value: 2 } },
  parameters: {
    eta: { value: 0.9 },
    k: { value: 0.05, unit: 'kW/K', min: 0.01, max: 0.5 },
    C: { value: 50, unit: 'kJ/K' },
    T_amb: { value: 20, unit: 'degC' },
  },
  equations: ['dT/dt = (P*eta - k*(T - T_amb)) / C'],
  outputs: { loss: { expression: 'k*(T - T_amb)', unit: 'kW', signal: 'line1/oven/loss' } },
};

const LINE = {
  sources: [{ interarrival: { kind: 'exponential', mean: 12 }, to: 'Saw' }],
  stations: [
    { name: 'Saw', processing: { kind: 'triangular', min: 5, mode: 7, max: 10 }, buffer: 5, next: 'Press', power: { working: 4, idle: 1, blocked: 1 } },
    {
      name: 'Press', processing: { kind: 'exponential', mean: 9 }, buffer: 5, next: 'Paint',
      failures: { mtbf: { kind: 'exponential', mean: 7200 }, mttr: { kind: 'exponential', mean: 300 } }, power: { working: 10, idle: 2, blocked: 2, down: 0.5 },
    },
    { name: 'Paint', processing: { kind: 'lognormal', mean: 10, sd: 2 }, buffer: 5, next: 'Pack', scrap: 0.02, power: { working: 6, idle: 1.5, blocked: 1.5 } },
    { name: 'Pack', processing: { kind: 'exponential', mean: 6 }, buffer: 5, next: null, power: { working: 2, idle: 0.5, blocked: 0.5 } },
  ],
  run: { until: 28800 },
  sync: {
    Saw: { queue: SIGNALS.queues[0] },
    Press: { queue: SIGNALS.queues[1] },
    Paint: { queue: SIGNALS.queues[2] },
    Pack: { queue: SIGNALS.queues[3] },
  },
};

const SIMULATOR = { predictEvery: 0.1, horizon: 5, hybrid: true, replications: 20, seed: 1, timeLimit: 60, persist: true, store: '' };
const FLUSH_INTERVAL_S = 10;

function simulatorFlow() {
  return [
    { id: 'bench.tab', type: 'tab', label: 'simulator-node benchmark', disabled: false, info: '' },
    { id: 'bench.driver', type: 'bench-sim-driver', z: 'bench.tab', name: 'driver', signals: SIGNALS, x: 140, y: 100, wires: [['bench.sim']] },
    {
      id: 'bench.sim', type: 'twin-simulator', z: 'bench.tab', name: 'simulator under test', configVersion: 1, model: '',
      physics: JSON.stringify(PHYSICS), line: JSON.stringify(LINE),
      predictEvery: SIMULATOR.predictEvery, horizon: SIMULATOR.horizon, hybrid: SIMULATOR.hybrid, calibrateOnDrift: false,
      replications: SIMULATOR.replications, seed: SIMULATOR.seed, timeLimit: SIMULATOR.timeLimit, persist: SIMULATOR.persist, store: SIMULATOR.store,
      x: 380, y: 100, wires: [['bench.driver'], ['bench.driver'], ['bench.driver']],
    },
    { id: 'bench.catch', type: 'catch', z: 'bench.tab', name: '', scope: ['bench.sim'], uncaught: false, x: 140, y: 180, wires: [['bench.driver']] },
    { id: 'bench.status', type: 'status', z: 'bench.tab', name: '', scope: ['bench.sim'], x: 140, y: 220, wires: [['bench.driver']] },
  ];
}

/**
 * Writes flows.json into `userDir`, links the driver node into its node_modules and adds the
 * context storage to its settings.js (both written by bench-node-red.js before this is called).
 */
function writeFlows(userDir) {
  fs.symlinkSync(path.join(__dirname, 'driver-node'), path.join(userDir, 'node_modules', 'twinloop-bench-simdriver'), 'dir');
  fs.appendFileSync(path.join(userDir, 'settings.js'), `
// Added by bench/simulator-node/flow.js: file-backed context as in \`npm start\`, flushed every ${FLUSH_INTERVAL_S} s.
module.exports.contextStorage = { default: { module: 'localfilesystem', config: { flushInterval: ${FLUSH_INTERVAL_S} } } };
`);
  fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(simulatorFlow(), null, 2));
  return { signals: SIGNALS, simulator: SIMULATOR, flushIntervalS: FLUSH_INTERVAL_S };
}

module.exports = { writeFlows, simulatorFlow, SIGNALS, PHYSICS, LINE, SIMULATOR, FLUSH_INTERVAL_S };
