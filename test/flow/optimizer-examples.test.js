'use strict';
// The optimizer's and the gate's example flows (examples/09–12), loaded as they ship: every node deploys without an
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

describe('example 12: the closed loop with the trust gate', function () {
  this.timeout(120000);
  const CLOSED_LOOP = '12 - Closed loop with the trust gate.json';
  const PRESS1 = 'line1/press1/servers';
  const PRESS2 = 'line1/press2/servers';
  beforeEach(() => helper.startServer());
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
  });

  // The example ships at a pace a person can watch (a plant report a second, 10 s per rollout
  // step); the test runs the same flow faster: 20 plant reports a second, 300 ms per step.
  const faster = (flow) => {
    Object.assign(flow.find((n) => n.id === 'ex12-tick'), { repeat: '0.05', once: true, onceDelay: 0.1 });
    const gate = flow.find((n) => n.id === 'ex12-gate');
    const rollout = JSON.parse(gate.rollout);
    for (const step of rollout.steps) Object.assign(step, { minDurationMs: 300, analysisWindowMs: 300 });
    gate.rollout = JSON.stringify(rollout);
  };
  /** The die sets the plant runs now (its flow context, set by the gate's writes), as plain JSON. */
  const plantSettings = () => JSON.parse(JSON.stringify(helper.getNode('ex12-plant').context().flow.get('settings') ?? null));
  const part = (verdict, name) => verdict.parts.find((p) => p.name === name);
  /** No node logged an error or showed a red status since it was deployed. */
  const healthy = (flow) => {
    for (const n of flow.filter((x) => x.type !== 'tab' && x.type !== 'helper')) {
      assert.deepEqual(errorsOf(n.id), [], `${n.id} reported an error`);
      const node = helper.getNode(n.id);
      const red = node.status.getCalls().filter((c) => c.thisValue === node && c.args[0] && c.args[0].fill === 'red').map((c) => c.args[0].text);
      assert.deepEqual(red, [], `${n.id} showed a red status`);
    }
  };

  /**
   * Deploys the example, waits until the twin knows today's settings (and, with `learned`, until the
   * deviation detector has learned press 1's normal cycle time) and presses re-optimise; approves a
   * marginal verdict.
   */
  async function optimiseAndApprove({ learned = false } = {}) {
    const flow = await deploy(CLOSED_LOOP, (f) => {
      faster(f);
      // The detector's scores, for the test only (the example leaves that output unwired).
      f.find((n) => n.id === 'ex12-deviation').wires[0] = ['scores'];
      f.push({ id: 'scores', type: 'helper', z: 'tab', wires: [] });
    });
    const notes = collect('ex12-notes');
    const writes = collect('ex12-writes');
    const answers = collect('ex12-answer');
    const scores = collect('scores');
    const today = () => helper.getNode('ex12-today').context().get('today') || {};
    await waitFor(() => today()['line.Press1.servers'] === 3 && today()['line.Press2.servers'] === 3, 'today\'s settings in the twin', 10000);
    const scored = () => scores.filter((m) => m.payload.signal === 'cycleTime' && m.payload.asset === 'line1/press1' && !m.payload.learning).length;
    if (learned) await waitFor(() => scored() >= 60, 'the deviation detector past its warm-up', 20000);

    press('ex12-reoptimise');
    await waitFor(() => notes.some((n) => n.topic === 'verdict'), 'the gate\'s verdict', 60000);
    const verdict = notes.find((n) => n.topic === 'verdict').payload;
    assert.equal(answers.length, 1);
    const answer = answers[0].payload;
    assert.deepEqual(answer.best.point, { 'line.Press1.servers': 2, 'line.Press2.servers': 2 }, 'one die set fewer on each press');
    assert.ok(answer.best.feasible);
    const energy = answer.confirmation.comparison.line_energyPerGoodPartKwh;
    assert.ok(energy.significant && energy.relative < -0.15, `energy per part ${energy.base} -> ${energy.alt} kWh`);
    assert.ok(answer.confirmation.comparison.line_leadTimeMean.alt <= 300, 'the lead time stays within 5 min');
    assert.match(verdict.candidateId, /^optimise-/);
    const cf = part(verdict, 'counterfactual');
    assert.ok(cf.value > 0, `the counterfactual check ran on the simulator: ${cf.detail}`);
    assert.equal(cf.value, 1, cf.detail);
    assert.equal(part(verdict, 'availability').value, 1, part(verdict, 'availability').detail);
    assert.notEqual(verdict.verdict, 'fail', JSON.stringify(verdict.reasons));
    if (verdict.verdict === 'marginal') {
      await waitFor(() => notes.some((n) => n.topic === 'approval-required'), 'the approval request');
      assert.equal(writes.length, 0, 'nothing written before the approval');
      press('ex12-approve');
    }
    return { flow, notes, writes, candidateId: verdict.candidateId };
  }

  it('re-optimises on the twin, checks the candidate on the simulator and rolls it out press 1 first, then press 2', async function () {
    const { flow, notes, writes, candidateId } = await optimiseAndApprove();
    await waitFor(() => notes.some((n) => ['completed', 'rolled-back', 'failed'].includes(n.topic)), 'the end of the rollout', 60000);
    const end = notes.find((n) => ['completed', 'rolled-back', 'failed'].includes(n.topic));
    assert.equal(end.topic, 'completed', end.payload.message);
    assert.equal(end.payload.candidateId, candidateId);
    assert.deepEqual(writes.map((w) => [w.topic, w.payload, w.purpose]), [[PRESS1, 2, 'apply'], [PRESS2, 2, 'apply']], 'press 1 first (50 %), then press 2 (100 %)');
    const steps = notes.filter((n) => n.topic === 'step').map((n) => n.payload.message);
    assert.equal(steps.length, 2);
    assert.match(steps[0], /step 1 of 2 \(50 %, 1 of 2 targets\)/);
    assert.match(steps[1], /step 2 of 2 \(100 %, 2 of 2 targets\)/);
    assert.deepEqual(end.payload.evidence.lastGood, { [PRESS1]: 2, [PRESS2]: 2 });
    assert.equal(end.payload.evidence.lastAnalysis.outcome, 'promote');
    assert.deepEqual(plantSettings(), { [PRESS1]: 2, [PRESS2]: 2 }, 'the plant runs the new settings');
    assert.ok(!notes.some((n) => n.topic === 'rollback' || n.topic === 'hold'), 'no hold, no rollback');
    press('ex12-audit');
    await waitFor(() => notes.some((n) => n.topic === 'audit'), 'the audit trail');
    const audit = notes.find((n) => n.topic === 'audit').payload.trim().split('\n').map((line) => JSON.parse(line));
    for (const type of ['received', 'scored', 'approved', 'completed']) assert.ok(audit.some((e) => e.type === type && e.candidateId === candidateId), `audit entry ${type}`);
    healthy(flow);
  });

  it('rolls back when press 1 departs from the prediction after a fault, and takes candidates again once the tools are repaired', async function () {
    const { flow, notes, writes, candidateId } = await optimiseAndApprove({ learned: true });
    const alarms = collect('ex12-anomalies');
    await waitFor(() => writes.length >= 1, 'the first write');
    assert.deepEqual([writes[0].topic, writes[0].payload, writes[0].purpose], [PRESS1, 2, 'apply']);
    press('ex12-fault');
    await waitFor(() => alarms.some((m) => ['drift', 'anomaly-start'].includes(m.topic) && m.payload.key === 'line1/press1/cycleTime'), 'drift or an anomaly on press 1\'s cycle time');
    await waitFor(() => notes.some((n) => ['completed', 'rolled-back', 'failed'].includes(n.topic)), 'the end of the rollout', 60000);
    const end = notes.find((n) => ['completed', 'rolled-back', 'failed'].includes(n.topic));
    assert.equal(end.topic, 'rolled-back', end.payload.message);
    assert.equal(end.payload.candidateId, candidateId);
    assert.match(end.payload.message, /press1|departs from the prediction/);
    assert.ok(notes.some((n) => n.topic === 'rollback'), 'the rollback was announced');
    const applied = writes.filter((w) => w.purpose === 'apply').map((w) => w.topic);
    const restored = writes.filter((w) => w.purpose === 'rollback');
    assert.deepEqual(restored.map((w) => w.topic).sort(), [...applied].sort(), 'every setting written is written back');
    assert.ok(restored.every((w) => w.payload === 3), 'to the previous value');
    assert.deepEqual(plantSettings(), { [PRESS1]: 3, [PRESS2]: 3 }, 'the plant runs the previous settings again');
    assert.deepEqual(end.payload.evidence.lastGood, { [PRESS1]: 3, [PRESS2]: 3 });

    // The tools are repaired: a new candidate for press 1 is judged on fresh signals again.
    press('ex12-clear');
    await new Promise((r) => setTimeout(r, 200));
    const verdicts = () => notes.filter((n) => n.topic === 'verdict');
    press('ex12-reoptimise');
    await waitFor(() => verdicts().length === 2, 'the verdict on the new candidate', 60000);
    const again = verdicts()[1].payload;
    assert.equal(part(again, 'availability').value, 1, part(again, 'availability').detail);
    assert.notEqual(again.verdict, 'fail', JSON.stringify(again.reasons));
    healthy(flow);
  });
});
