'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { helper, load, collect, statuses, waitFor } = require('../support/flow-helper');
const { checkSchedule } = require('../../dist/core/optimisation/jobshop');

const FT06 = `# ft06, Fisher and Thompson 6x6
6 6
2 1 0 3 1 6 3 7 5 3 4 6
1 8 2 5 4 10 5 10 0 10 3 4
2 5 3 4 5 8 0 9 1 1 4 7
1 5 0 5 2 5 3 3 4 8 5 9
2 9 1 3 4 5 5 4 0 3 3 1
1 3 3 3 5 9 0 10 4 4 2 1
`;

const line = {
  sources: [{ interarrival: { kind: 'exponential', mean: 10 }, to: 'Saw' }],
  stations: [
    { name: 'Saw', processing: { kind: 'exponential', mean: 5 }, buffer: 10, next: 'Press', power: { working: 3, idle: 1, blocked: 1 } },
    { name: 'Press', processing: { kind: 'exponential', mean: 8 }, buffer: 10, next: null, power: { working: 8, idle: 2, blocked: 2 } },
  ],
  run: { until: 20000 },
};
const goal = {
  variables: [{ name: 'line.Press.servers', kind: 'integer', min: 1, max: 3, initial: 1 }],
  objectives: [{ expression: 'line_leadTimeMean', sense: 'min' }],
  evaluation: { replications: 3 },
};

function optimizerFlow(settings = {}) {
  return [
    { id: 'tab', type: 'tab', label: 'test' },
    { id: 'sim', type: 'twin-simulator', z: 'tab', persist: false, line: JSON.stringify(line), replications: 3, wires: [[], [], []] },
    { id: 'opt', type: 'twin-optimizer', z: 'tab', ...settings, wires: [['results'], ['progress']] },
    { id: 'results', type: 'helper', z: 'tab' },
    { id: 'progress', type: 'helper', z: 'tab' },
    { id: 'catch', type: 'catch', z: 'tab', scope: ['opt'], uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'tab' },
  ];
}

describe('twin-optimizer', function () {
  this.timeout(60000);
  beforeEach(() => helper.startServer());
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
  });

  it('answers a job-shop request with default settings and no configuration (contract of the issue)', async function () {
    await load(optimizerFlow());
    const results = collect('results');
    helper.getNode('opt').receive({ topic: 'schedule', payload: { instance: FT06 }, timeLimit: 3 });
    await waitFor(() => results.length === 1, 'schedule answer', 15000);
    const a = results[0].payload;
    assert.equal(a.makespan, 55);
    assert.equal(a.status, 'optimal');
    assert.equal(a.lowerBound, 55);
    assert.equal(a.operations.length, 36);
    for (const o of a.operations) for (const k of ['job', 'op', 'machine', 'start', 'end']) assert.equal(typeof o[k], 'number');
    assert.deepEqual(checkSchedule({ instance: FT06 }, a.operations), []);
    assert.ok(a.iterations >= 0 && a.elapsedMs >= 0);
    const seen = statuses('opt');
    await waitFor(() => seen.some((s) => /makespan 55/.test(s.text)), 'status with the makespan');
  });

  it('schedules jobs given as lists, then repairs the schedule after a breakdown keeping what has started', async function () {
    await load(optimizerFlow());
    const results = collect('results');
    const node = helper.getNode('opt');
    const jobs = [
      [{ machine: 0, duration: 3 }, { machine: 1, duration: 2 }, { machine: 2, duration: 2 }],
      [{ machine: 0, duration: 2 }, { machine: 2, duration: 1 }, { machine: 1, duration: 4 }],
      [{ machine: 1, duration: 4 }, { machine: 2, duration: 3 }],
    ];
    node.receive({ topic: 'schedule', payload: { jobs }, timeLimit: 1 });
    await waitFor(() => results.length === 1, 'schedule');
    const before = results[0].payload;
    node.receive({ topic: 'reschedule', payload: { now: 3, disturbances: [{ type: 'machineDown', machine: 2, start: 3, duration: 5 }] }, timeLimit: 1 });
    await waitFor(() => results.length === 2, 'reschedule');
    const after = results[1].payload;
    for (const o of before.operations.filter((x) => x.end <= 3)) {
      const same = after.operations.find((x) => x.job === o.job && x.op === o.op);
      assert.deepEqual([same.start, same.end], [o.start, o.end], 'finished operations keep their times');
    }
    for (const o of after.operations.filter((x) => x.machine === 2)) assert.ok(o.end <= 3 || o.start >= 8, `machine 2 idle while down: ${JSON.stringify(o)}`);
    assert.ok(after.kpi.after.makespan >= before.makespan);
    assert.equal(typeof after.kpi.change.makespan, 'number');
  });

  it('schedules a flexible flow shop (parallel machines per stage) and repairs it after a breakdown', async function () {
    await load(optimizerFlow());
    const results = collect('results');
    const node = helper.getNode('opt');
    const jobs = [[4, 6, 3], [3, 5, 2], [6, 4, 4], [2, 7, 3], [5, 3, 5], [4, 4, 2]];
    node.receive({ topic: 'flowshop', payload: { stages: [{ machines: 1 }, { machines: 2 }, { machines: 1 }], jobs }, timeLimit: 1 });
    await waitFor(() => results.length === 1, 'flow shop');
    const a = results[0].payload;
    assert.ok(a.makespan >= a.lowerBound && a.makespan <= 40, `makespan ${a.makespan}, bound ${a.lowerBound}`);
    assert.equal(a.operations.length, 18);
    assert.ok(a.operations.every((o) => o.machine < [1, 2, 1][o.stage]));
    node.receive({ topic: 'reschedule', payload: { now: 8, disturbances: [{ type: 'machineDown', stage: 1, machine: 0, start: 8, duration: 10 }] }, timeLimit: 1 });
    await waitFor(() => results.length === 2, 'flow shop repaired');
    const r = results[1].payload;
    for (const o of r.operations.filter((x) => x.stage === 1 && x.machine === 0)) assert.ok(o.end <= 8 || o.start >= 18, JSON.stringify(o));
    assert.equal(typeof r.kpi.change.makespan, 'number');
  });

  it('keeps machines the twin reports down out of the schedule for their repair time', async function () {
    await load(optimizerFlow({ availability: JSON.stringify({ 'shop/m2/running': { machine: 2, repair: 30 } }) }));
    const results = collect('results');
    const node = helper.getNode('opt');
    node.receive({ topic: 'shop/m2/running', payload: { asset: 'shop/m2', signal: 'running', value: false, sourceTime: Date.now() } });
    node.receive({ topic: 'schedule', payload: { instance: FT06 }, timeLimit: 1 });
    await waitFor(() => results.length === 1, 'schedule with a machine down');
    const ops = results[0].payload.operations;
    assert.ok(ops.filter((o) => o.machine === 2).every((o) => o.start >= 30), 'machine 2 free until 30');
    node.receive({ topic: 'shop/m2/running', payload: true });
    node.receive({ topic: 'schedule', payload: { instance: FT06 }, timeLimit: 1 });
    await waitFor(() => results.length === 2, 'schedule with the machine back');
    assert.equal(results[1].payload.makespan, 55);
  });

  it('optimises setpoints against the simulator core and confirms them on fresh seeds', async function () {
    await load(optimizerFlow({ simulator: 'sim', goal: JSON.stringify(goal), maxEvaluations: 20, timeLimit: 30, confirm: 8 }));
    const results = collect('results');
    const progress = collect('progress');
    helper.getNode('opt').receive({ topic: 'optimise' });
    await waitFor(() => results.length === 1, 'optimisation result', 40000);
    const a = results[0].payload;
    assert.ok(a.best.point['line.Press.servers'] >= 2, JSON.stringify(a.best.point));
    assert.ok(progress.some((m) => m.topic === 'improvement'), 'improvements while running');
    const lead = a.confirmation.comparison.line_leadTimeMean;
    assert.ok(lead.significant && lead.difference < 0, `lead time ${lead.base} -> ${lead.alt}`);
  });

  it('lays out machines: QAPLIB nug12 to its optimum, or flows over a grid of locations', async function () {
    const dat = path.resolve(__dirname, '../../../shared/data/qaplib/nug12.dat');
    await load(optimizerFlow());
    const results = collect('results');
    const node = helper.getNode('opt');
    const locations = [0, 1, 2].flatMap((x) => [0, 1].map((y) => ({ x: x * 10, y: y * 10 })));
    const flows = [[0, 9, 0, 0, 1, 0], [9, 0, 8, 0, 0, 0], [0, 8, 0, 7, 0, 0], [0, 0, 7, 0, 6, 0], [1, 0, 0, 6, 0, 5], [0, 0, 0, 0, 5, 0]];
    node.receive({ topic: 'layout', payload: { flows, locations }, timeLimit: 2 });
    await waitFor(() => results.length === 1, 'grid layout');
    const grid = results[0].payload;
    assert.equal(grid.assignments.length, 6);
    assert.equal(new Set(grid.assignments.map((a) => a.location)).size, 6, 'one machine per location');
    // The chain 0-1-2-3-4-5 is laid out so that every pair in it sits one step (10 m) apart.
    const at = (m) => grid.assignments.find((a) => a.machine === m);
    for (let m = 0; m < 5; m++) assert.equal(Math.abs(at(m).x - at(m + 1).x) + Math.abs(at(m).y - at(m + 1).y), 10, `machines ${m} and ${m + 1}`);
    assert.equal(grid.cost, 2 * ((9 + 8 + 7 + 6 + 5) * 10 + 1 * 20), 'flows counted both ways');
    if (fs.existsSync(dat)) {
      node.receive({ topic: 'layout', payload: { instance: fs.readFileSync(dat, 'utf8'), target: 578 }, timeLimit: 10 });
      await waitFor(() => results.length === 2, 'nug12', 15000);
      assert.equal(results[1].payload.cost, 578);
    }
  });

  it('checks a proposed layout on the simulator\'s line: transport time shows in the lead time', async function () {
    await load(optimizerFlow({ simulator: 'sim' }));
    const results = collect('results');
    const locations = [{ x: 0, y: 0 }, { x: 50, y: 0 }, { x: 100, y: 0 }];
    // machine 0 = Saw, machine 1 = Press, machine 2 = a washer with no flow; now the saw and the press stand 100 m apart
    const flows = [[0, 10, 0], [10, 0, 0], [0, 0, 0]];
    helper.getNode('opt').receive({ topic: 'layout', payload: { flows, locations, current: [0, 2, 1], simulate: { stations: ['Saw', 'Press'], speed: 1, replications: 4 } }, timeLimit: 1 });
    await waitFor(() => results.length === 1, 'layout with simulation', 20000);
    const a = results[0].payload;
    const [saw, press] = [a.assignments[0], a.assignments[1]];
    assert.equal(Math.abs(saw.x - press.x), 50, 'saw and press side by side');
    const { proposed, current } = a.simulation;
    assert.ok(current.leadTimeMean - proposed.leadTimeMean > 40, `lead time ${current.leadTimeMean} -> ${proposed.leadTimeMean} (50 s less transport)`);
    assert.ok(Math.abs(proposed.throughput - current.throughput) < 0.02);
  });

  it('refuses malformed requests with a catchable error and keeps working', async function () {
    await load(optimizerFlow());
    const caught = collect('caught');
    const results = collect('results');
    const node = helper.getNode('opt');
    const bad = [
      { topic: 'stop' },
      { topic: 'schedule', payload: { instance: '2 2\n0 1 x 1' } },
      { topic: 'schedule', payload: { jobs: [[{ machine: -1, duration: 3 }]] } },
      { topic: 'schedule', payload: { jobs: 'many' } },
      { topic: 'schedule', payload: {}, timeLimit: -1 },
      { topic: 'schedule', payload: 42 },
      { topic: 'optimise' },
      { topic: 'objective', payload: { objectives: [] } },
      { topic: 'reschedule', payload: { now: 1 } },
      { topic: 'layout', payload: { flows: [[0, 1], [1]] } },
      { topic: 'nonsense' },
    ];
    for (const msg of bad) node.receive(msg);
    await waitFor(() => caught.length === bad.length, `all ${bad.length} refusals caught`, 20000).catch((err) => {
      throw new Error(`${err.message}; caught: ${caught.map((c) => c.error.message).join(' | ')}`);
    });
    for (const c of caught) assert.ok(c.error.message.length > 10, c.error.message);
    node.receive({ topic: 'schedule', payload: { instance: FT06 }, timeLimit: 1 });
    await waitFor(() => results.length === 1, 'a good request after the bad ones');
  });
});
