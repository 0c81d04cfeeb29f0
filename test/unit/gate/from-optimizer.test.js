'use strict';
const assert = require('node:assert/strict');
const { candidateFromOptimizer, isOptimizerAnswer, parseOptimizerMapping, variablesByKey } = require('../../../dist/core/gate/from-optimizer');
const { parseSimulatorCheck, simulatorRunner, settingsOverlay } = require('../../../dist/core/gate/simulator-check');
const { runCounterfactual } = require('../../../dist/core/gate/counterfactual');
const { validateCandidate } = require('../../../dist/core/gate/candidate');
const { OptimizerRunner } = require('../../../dist/core/optimisation/worker/optimizer-runner');
const { solveJobShop } = require('../../../dist/core/optimisation/jobshop');
const { compileSimulator, scenarioSet } = require('../../../dist/core/simulation/simulator-tasks');
const { ConfigError, InputError } = require('../../../dist/core/errors');

const line = {
  sources: [{ interarrival: { kind: 'exponential', mean: 10 }, to: 'A' }],
  stations: [
    { name: 'A', processing: { kind: 'exponential', mean: 5 }, buffer: 10, next: 'B', power: { working: 3, idle: 1, blocked: 1 } },
    { name: 'B', processing: { kind: 'exponential', mean: 18 }, buffer: 10, next: null, power: { working: 5, idle: 2, blocked: 2 } },
  ],
  run: { until: 20000 },
};
const physics = { states: { T: { unit: 'K', initial: 300 } }, inputs: { P: { unit: 'kW', value: 1 } }, parameters: { k: { value: 0.05, unit: 'kW/K' }, C: { value: 50, unit: 'kJ/K' }, Ta: { value: 300, unit: 'K' } }, equations: ['dT/dt = (P - k*(T - Ta)) / C'] };
const spec = { physics, line };
const context = { calibrated: {}, durationS: 600, replications: 3, seed: 1, maxWallMs: 10000 };
const mapping = parseOptimizerMapping({ 'line.B.servers': 'line1/B/servers', 'input.P': 'line1/oven/heaterPower' }, ['line1/m0', 'line1/m1', 'line1/m2']);

/** The simulator's scenario set as twin-simulator runs it: payload format in, answers out. */
function scenarioSetOf(sim) {
  return async (payload) => scenarioSet(sim, {
    scenarios: payload.scenarios.map((s) => ({ label: s.label, durationS: s.duration, parameters: s.parameters, inputs: s.inputs, line: s.line })),
  }, context);
}

describe('gate: optimizer answers as candidates', function () {
  this.timeout(60000);
  const runner = new OptimizerRunner();
  after(() => runner.close());

  it('maps a real setpoint answer through the setpoint map, with confirmed KPIs and intervals', async () => {
    const goal = {
      variables: [{ name: 'line.B.servers', kind: 'integer', min: 1, max: 3, initial: 1 }],
      objectives: [{ expression: 'line_leadTimeMean', sense: 'min' }],
      evaluation: { replications: 3 },
    };
    const answer = await runner.run('setpoints', { spec, context, goal, options: { seed: 3, maxEvaluations: 20, timeLimitMs: 20000, confirmReplications: 8 } }, 20000, {});
    assert.ok(isOptimizerAnswer('optimise', answer));
    const raw = candidateFromOptimizer('optimise', answer, mapping, { id: 'run-1', modelRevision: '7' });
    const c = validateCandidate(raw);
    assert.equal(c.kind, 'setpoints');
    assert.deepEqual(c.targets, ['line1/B']);
    assert.equal(c.setpoints['line1/B/servers'], answer.best.point['line.B.servers']);
    const lead = answer.confirmation.comparison.line_leadTimeMean;
    assert.equal(c.predicted.kpis.line_leadTimeMean, lead.alt, 'the prediction is the confirmation on fresh seeds');
    assert.ok(Math.abs(c.predicted.intervals.line_leadTimeMean.high - c.predicted.intervals.line_leadTimeMean.low - 2 * lead.halfWidth) < 1e-9);
    assert.equal(c.optimizer.seed, answer.confirmation.seed);
    assert.equal(c.optimizer.evaluations, answer.progress.evaluations);
    assert.equal(c.optimizer.objective, Object.values(answer.best.objectives)[0]);
    assert.equal(c.modelRevision, '7');
  });

  it('refuses what it cannot write whole: unmapped variables, no best point, infeasible points', () => {
    const answer = { best: { point: { 'line.B.servers': 2, 'line.A.servers': 3 }, objectives: { x: 1 }, feasible: true, kpis: { line_throughput: 0.1 } }, front: [], progress: {} };
    assert.throws(() => candidateFromOptimizer('optimise', answer, mapping, { id: 'x' }), (e) => e instanceof InputError && /does not name "line.A.servers"/.test(e.message));
    assert.throws(() => candidateFromOptimizer('optimise', { best: null, front: [] }, mapping, { id: 'x' }), (e) => e instanceof InputError && e.shortReason === 'no result');
    assert.throws(() => candidateFromOptimizer('optimise', { best: { ...answer.best, point: { 'line.B.servers': 2 }, feasible: false } }, mapping, { id: 'x' }), (e) => e instanceof InputError && e.shortReason === 'infeasible');
    assert.throws(() => candidateFromOptimizer('optimise', { best: { point: { 'line.B.servers': 'two' } } }, mapping, { id: 'x' }), InputError);
    assert.throws(() => candidateFromOptimizer('layout', {}, mapping, { id: 'x' }), InputError);
    assert.equal(isOptimizerAnswer('optimise', 'text'), false);
    assert.equal(isOptimizerAnswer('candidate', { best: {} }), false);
  });

  it('keeps only the KPIs the plant reports when told which', () => {
    const answer = { best: { point: { 'line.B.servers': 2 }, objectives: { e: 1 }, feasible: true, kpis: { line_leadTimeMean: 30, line_throughput: 0.1, line_A_working: 0.5 } }, front: [], progress: {} };
    const c = candidateFromOptimizer('optimise', answer, mapping, { id: 'm', measured: ['line_leadTimeMean', 'other'] });
    assert.deepEqual(c.predicted.kpis, { line_leadTimeMean: 30 });
    assert.equal(Object.keys(candidateFromOptimizer('optimise', answer, mapping, { id: 'm' }).predicted.kpis).length, 3);
    assert.throws(() => candidateFromOptimizer('optimise', answer, mapping, { id: 'm', measured: ['nothing'] }), (e) => e instanceof InputError && e.shortReason === 'no measured KPI');
  });

  it('gives each machine of a real job-shop schedule its own part, in start order, with the gap', () => {
    const problem = { jobs: [[{ machine: 0, duration: 3 }, { machine: 1, duration: 2 }, { machine: 2, duration: 2 }], [{ machine: 0, duration: 2 }, { machine: 2, duration: 1 }, { machine: 1, duration: 4 }], [{ machine: 1, duration: 4 }, { machine: 2, duration: 3 }]] };
    const result = solveJobShop(problem, { timeLimitMs: 1000, seed: 1 });
    const c = validateCandidate(candidateFromOptimizer('schedule', result, mapping, { id: 'sched-1' }));
    assert.equal(c.kind, 'schedule');
    assert.deepEqual(c.targets, ['line1/m0', 'line1/m1', 'line1/m2']);
    for (const [m, target] of c.targets.entries()) {
      const mine = result.operations.filter((o) => o.machine === m);
      assert.equal(c.schedule[target].length, mine.length);
      assert.ok(c.schedule[target].every((o, i) => i === 0 || o.start >= c.schedule[target][i - 1].start));
    }
    assert.equal(c.predicted.kpis.makespan, result.makespan);
    assert.equal(c.optimizer.gap, (result.objectiveValue - result.objectiveLowerBound) / result.objectiveLowerBound);
    const short = parseOptimizerMapping(undefined, ['line1/m0']);
    assert.throws(() => candidateFromOptimizer('schedule', result, short, { id: 's' }), (e) => e instanceof InputError && /machine 1/.test(e.message));
  });

  it('refuses a machine that is not a number, an object or a long text included, with a short message', () => {
    const ops = (machine) => ({ operations: [{ job: 0, op: 0, machine: 0, start: 0, end: 3 }, { job: 1, op: 0, machine, start: 0, end: 3 }] });
    for (const machine of [Object.create(null), { toString: null }, [1], null, '1', 'z'.repeat(40000), 1.5, -1, 99]) {
      assert.throws(() => candidateFromOptimizer('schedule', ops(machine), mapping, { id: 's' }), (e) => {
        assert.ok(e instanceof InputError, `${e && e.constructor.name}: ${e && e.message}`);
        assert.equal(e.shortReason, 'unmapped machine');
        assert.match(e.message, /^schedule: operation 1 runs on machine /);
        assert.ok(e.message.length < 250, `${e.message.length} chars`);
        return true;
      });
    }
    const many = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`${'v'.repeat(500)}${i}`, 1]));
    assert.throws(() => candidateFromOptimizer('optimise', { best: { point: many } }, mapping, { id: 'x' }), (e) => e instanceof InputError && /and 195 more/.test(e.message) && e.message.length < 600);
    assert.throws(() => candidateFromOptimizer('l'.repeat(9000), {}, mapping, { id: 'x' }), (e) => e instanceof InputError && e.message.length < 300);
  });

  it('refuses a bad setpoint map or machine list at deploy', () => {
    for (const [vars, machines] of [['text', undefined], [{ k: '' }, undefined], [{ k: 'noslash' }, undefined], [{ k: 'a/*/b' }, undefined], [{ a: 'l/m/x', b: 'l/m/x' }, undefined], [JSON.parse('{"__proto__": "l/x"}'), undefined], [undefined, 'm0'], [undefined, ['ok/m', 7]]]) {
      assert.throws(() => parseOptimizerMapping(vars, machines), ConfigError, JSON.stringify([vars, machines]));
    }
  });
});

describe('gate: the counterfactual check on the simulator', function () {
  this.timeout(60000);
  const sim = compileSimulator(spec);
  const variableOf = variablesByKey(mapping);
  const check = parseSimulatorCheck({ goals: { line_leadTimeMean: 'min' }, constraints: { line_throughput: { min: 0.05 } }, replications: 6, scenarios: [{ label: 'as is' }, { label: 'busy', line: { sources: { 0: { interarrival: { mean: 8 } } } } }] });

  it('passes a candidate that is better in every scenario and replication (common random numbers)', async () => {
    const sides = { candidate: { 'line1/B/servers': 2 }, current: { 'line1/B/servers': 1 } };
    let requests = 0;
    const run = scenarioSetOf(sim);
    const counted = async (p) => { requests++; return run(p); };
    const result = await runCounterfactual(simulatorRunner(counted, check, variableOf, sides, true), sides.candidate, sides.current, check);
    assert.equal(requests, 1, 'both sides in one request');
    assert.equal(result.scenarios, 12, '2 scenarios x 6 replications');
    assert.equal(result.ok, true, result.reasons.join('; '));
    const lead = result.kpis.find((k) => k.name === 'line_leadTimeMean');
    assert.ok(lead.worstCandidate < lead.worstCurrent);
  });

  it('fails the same change the other way round, with the reason', async () => {
    const sides = { candidate: { 'line1/B/servers': 1 }, current: { 'line1/B/servers': 2 } };
    const result = await runCounterfactual(simulatorRunner(scenarioSetOf(sim), check, variableOf, sides, true), sides.candidate, sides.current, check);
    assert.equal(result.ok, false);
    assert.match(result.reasons.join(' '), /line_leadTimeMean: worst case .* is worse than the current settings'/);
  });

  it('gives identical records to identical settings (the same seeds on both sides)', async () => {
    const sides = { candidate: { 'line1/B/servers': 2 }, current: { 'line1/B/servers': 2 } };
    const runner = simulatorRunner(scenarioSetOf(sim), check, variableOf, sides, true);
    assert.deepEqual(await runner(sides.candidate, 'candidate'), await runner(sides.current, 'current'));
  });

  it('maps settings onto what-if requests and refuses a current value that is not a number', () => {
    assert.deepEqual(settingsOverlay({ 'line1/B/servers': 2, 'line1/oven/heaterPower': 1.5, 'line1/other/x': 3 }, variableOf), { line: { stations: { B: { servers: 2 } } }, inputs: { P: 1.5 } });
    assert.throws(() => settingsOverlay({ 'line1/B/servers': null }, variableOf), (e) => e instanceof InputError && /current value of line1\/B\/servers/.test(e.message));
  });

  it('refuses bad check settings at deploy', () => {
    for (const bad of ['x', {}, { goals: {} }, { goals: { a: 'max' }, replications: 0 }, { goals: { a: 'max' }, scenarios: [] }, { goals: { a: 'max' }, scenarios: ['x'] }, { goals: { a: 'max' }, nope: 1 }, { goals: { a: 'max' }, duration: -1 }]) {
      assert.throws(() => parseSimulatorCheck(bad), ConfigError, JSON.stringify(bad));
    }
  });
});
