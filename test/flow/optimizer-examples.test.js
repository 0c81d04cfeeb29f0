'use strict';
// The optimizer's and the gate's example flows (examples/09–11), loaded as they ship: every node deploys without an
// error, and pressing their inject buttons gives real, sensible answers. Debug nodes become helper
// nodes with the same id; nothing is persisted.
const assert = require('node:assert/strict');
const { helper, load, collect, statuses, waitFor } = require('../support/flow-helper');
const { exampleFlow, errorsOf, deploy, press } = require('../support/example-flows');
const { checkSchedule } = require('../../dist/core/optimisation/jobshop');

const ENERGY = '09 - Energy-aware setpoints.json';
const JOBSHOP = '10 - Job-shop rescheduling after a breakdown.json';


const overlaps = (o, start, end) => o.start < end && start < o.end;

describe('optimizer example flows', function () {
  beforeEach(() => helper.startServer());
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
  });

  describe(ENERGY, function () {
    it('finds fewer machines that save energy per part significantly and keep the throughput; stop and a new objective are accepted', async function () {
      this.timeout(30000);
      const flow = await deploy(ENERGY);
      const opt = flow.find((n) => n.id === 'ex09-opt');
      assert.equal(opt.simulator, 'ex09-sim');
      const goal = JSON.parse(opt.goal);
      const minThroughput = Number(/line_throughput >= ([\d.]+)/.exec(goal.constraints[0])[1]);
      const initial = Object.fromEntries(goal.variables.map((v) => [v.name, v.initial]));
      const answers = collect('ex09-answer');
      const summaries = collect('ex09-result');
      const progress = collect('ex09-progress');
      const summaryStatus = statuses('ex09-summary');

      press('ex09-optimise');
      await waitFor(() => answers.length === 1 && summaries.length === 1, 'the optimised settings', 25000);
      const a = answers[0].payload;
      assert.equal(answers[0].topic, 'optimise');
      assert.ok(a.best.feasible, 'the chosen settings meet the throughput constraint');
      assert.notDeepEqual(a.best.point, initial, 'the optimiser moved away from today\'s settings');
      assert.deepEqual(a.confirmation.start, initial, 'the confirmation starts from the variables\' initial values');
      assert.ok(a.progress.evaluations <= opt.maxEvaluations, `${a.progress.evaluations} evaluations within the budget of ${opt.maxEvaluations}`);
      assert.ok(a.best.kpis.line_throughput >= minThroughput, `throughput ${a.best.kpis.line_throughput} in the search`);
      assert.ok(progress.some((m) => m.topic === 'improvement'), 'improvements while it searched');

      const c = a.confirmation.comparison;
      assert.equal(a.confirmation.replications, opt.confirm);
      const energy = c.line_energyPerGoodPartKwh;
      assert.ok(energy.significant && energy.high < 0, `energy per part ${energy.base} -> ${energy.alt} kWh, interval [${energy.low}, ${energy.high}]`);
      assert.ok(energy.relative < -0.05, `at least 5 % less energy per part (${(100 * energy.relative).toFixed(1)} %)`);
      assert.ok(c.line_throughput.alt >= minThroughput, `throughput on fresh seeds ${c.line_throughput.alt * 3600} parts/h`);
      assert.ok(c.line_throughput.base >= minThroughput, 'today\'s settings meet it too');

      const summary = summaries[0].payload;
      assert.equal(summary.constraintsMet, true);
      assert.match(summary.settings, /→/);
      assert.match(summary.confirmation[0], /^energy per good part: \d+\.\d{3} → \d+\.\d{3} kWh \(-\d+\.\d{3}, 95 % interval -\d+\.\d{3} … -\d+\.\d{3}, significant\)$/);
      assert.ok(summaryStatus.some((s) => s.fill === 'green' && /^-\d+\.\d % kWh per part$/.test(s.text)), JSON.stringify(summaryStatus));

      // A second search: the objective becomes the lead time while it runs, then it is stopped.
      const improvements = progress.filter((m) => m.topic === 'improvement').length;
      press('ex09-optimise');
      await waitFor(() => progress.filter((m) => m.topic === 'improvement').length > improvements, 'the second search running', 10000);
      press('ex09-objective');
      await new Promise((r) => setTimeout(r, 200));
      press('ex09-stop');
      await waitFor(() => answers.length === 2, 'the stopped search\'s answer', 15000);
      const b = answers[1].payload;
      assert.deepEqual(Object.keys(b.best.objectives), ['line_leadTimeMean'], 'scored on the lead time');
      assert.equal(b.progress.reason, 'stopped');
      assert.ok(b.progress.evaluations < a.progress.evaluations, `stopped early (${b.progress.evaluations} evaluations)`);
      assert.ok(b.best.feasible);
      assert.ok(b.best.kpis.line_leadTimeMean < a.best.kpis.line_leadTimeMean, `lead time ${b.best.kpis.line_leadTimeMean} s vs ${a.best.kpis.line_leadTimeMean} s for the energy optimum`);
      assert.deepEqual(errorsOf('ex09-opt'), [], 'stop and the new objective were accepted');
    });
  });

  describe(JOBSHOP, function () {
    it('plans ft06 to its optimum, repairs it around a breakdown keeping the past, and fits in a rush order', async function () {
      this.timeout(20000);
      await deploy(JOBSHOP);
      const answers = collect('ex10-answer');
      const gantt = collect('ex10-debug');
      const everyMachine = (text) => {
        for (let m = 0; m < 6; m++) assert.match(text, new RegExp(`^M${m}: J\\d`, 'm'), `machine ${m} in\n${text}`);
      };

      press('ex10-schedule');
      await waitFor(() => gantt.length === 1, 'the plan', 10000);
      const plan = answers[0].payload;
      assert.equal(plan.makespan, 55);
      assert.equal(plan.status, 'optimal');
      assert.equal(plan.operations.length, 36);
      assert.match(gantt[0].payload, /^schedule: makespan 55 \(optimal, lower bound 55\)$/m);
      everyMachine(gantt[0].payload);
      for (const o of plan.operations) assert.ok(gantt[0].payload.includes(`J${o.job}[${o.start}-${o.end}]`), `J${o.job}[${o.start}-${o.end}] on M${o.machine}`);

      press('ex10-breakdown');
      await waitFor(() => gantt.length === 2, 'the plan after the breakdown', 10000);
      const repaired = answers[1].payload;
      assert.equal(repaired.now, 20);
      assert.deepEqual(checkSchedule(repaired.problem, repaired.operations), []);
      assert.equal(repaired.operations.length, 36);
      for (const o of repaired.operations.filter((x) => x.machine === 2)) assert.ok(!overlaps(o, 20, 35), `machine 2 works while down: ${JSON.stringify(o)}`);
      const same = (ops, o) => ops.find((x) => x.job === o.job && x.op === o.op);
      for (const o of plan.operations.filter((x) => x.end <= 20)) assert.deepEqual(same(repaired.operations, o), o, 'finished operations keep their times');
      for (const o of plan.operations.filter((x) => x.start < 20 && x.end > 20 && x.machine !== 2)) assert.deepEqual(same(repaired.operations, o), o, 'running operations continue');
      assert.equal(repaired.kpi.before.makespan, 55);
      assert.equal(repaired.kpi.after.makespan, repaired.makespan);
      assert.equal(repaired.kpi.change.makespan, repaired.makespan - 55);
      assert.ok(repaired.makespan > 55 && repaired.makespan <= repaired.kpi.rightShift.makespan, `makespan ${repaired.makespan}, right shift ${repaired.kpi.rightShift.makespan}`);
      const text = gantt[1].payload;
      assert.match(text, new RegExp(`^rescheduled at t=20: makespan 55 → ${repaired.makespan} \\(\\+${repaired.makespan - 55} min\\)`));
      assert.match(text, /^M2: .*DOWN\[20-35\]/m);
      everyMachine(text);

      press('ex10-rush');
      await waitFor(() => gantt.length === 3, 'the plan with the rush order', 10000);
      const rushed = answers[2].payload;
      assert.deepEqual(checkSchedule(rushed.problem, rushed.operations), []);
      const rush = rushed.operations.filter((o) => o.job === 6);
      assert.deepEqual(rush.map((o) => o.machine), [1, 2, 5]);
      assert.ok(rush[0].start >= 25, 'not before it arrives');
      for (const o of repaired.operations.filter((x) => x.end <= 25)) assert.deepEqual(same(rushed.operations, o), o, 'finished operations keep their times');
      for (const o of rushed.operations.filter((x) => x.machine === 2)) assert.ok(!overlaps(o, 20, 35), 'the breakdown is remembered');
      assert.equal(rushed.kpi.before.makespan, repaired.makespan);
      assert.ok(rushed.kpi.after.totalTardiness <= rushed.kpi.rightShift.totalTardiness, 'no later than the naive repair');
      assert.match(gantt[2].payload, /^rescheduled at t=25: makespan \d+, \d+ min late → \d+, \d+ min late/);
      assert.match(gantt[2].payload, /J6\[/);
      everyMachine(gantt[2].payload);
      for (const id of ['ex10-opt', 'ex10-gantt']) assert.deepEqual(errorsOf(id), []);
    });
  });
});

describe('example 11: the trust gate', function () {
  this.timeout(30000);
  beforeEach(() => helper.startServer());
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
  });

  it('deploys without errors, asks for approval of the candidate and writes it once approved', async function () {
    const file = '11 - Trust gate closing the loop.json';
    const flow = exampleFlow(file);
    await load(flow);
    const gate = helper.getNode('g11-gate');
    assert.deepEqual(errorsOf('g11-gate'), []);
    const notes = collect('g11-notes');
    const writes = collect('g11-writes');
    const injected = (id) => {
      const n = flow.find((x) => x.id === id);
      return { topic: n.topic, payload: n.payloadType === 'json' ? JSON.parse(n.payload) : n.payload };
    };
    helper.getNode('g11-plant').receive({ topic: 'tick' }); // the plant reports its current setpoints
    await new Promise((r) => setTimeout(r, 100));
    gate.receive(injected('g11-candidate'));
    await waitFor(() => notes.some((m) => /approval/.test(m.topic)), 'an approval request');
    assert.equal(writes.length, 0, 'nothing written before approval');
    gate.receive(injected('g11-approve'));
    await waitFor(() => writes.length >= 1, 'the first write after approval');
    assert.equal(writes[0].payload, 115);
    gate.receive(injected('g11-audit'));
    await waitFor(() => notes.some((m) => m.topic === 'audit'), 'the audit answer');
    assert.deepEqual(errorsOf('g11-gate'), []);
  });
});
