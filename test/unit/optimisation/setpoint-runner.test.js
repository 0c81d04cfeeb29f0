'use strict';
const assert = require('node:assert/strict');
const { OptimizerRunner } = require('../../../dist/core/optimisation/worker/optimizer-runner');
const { simulationProblem, requestFor, kpiSymbols } = require('../../../dist/core/optimisation/simulation-problem');
const { compileSimulator } = require('../../../dist/core/simulation/simulator-tasks');
const { ConfigError } = require('../../../dist/core/errors');

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
const context = { calibrated: {}, durationS: 600, replications: 3, seed: 1, maxWallMs: 5000 };

describe('setpoint optimisation against the twin', function () {
  this.timeout(30000);
  const runner = new OptimizerRunner();
  after(() => runner.close());

  it('maps variables onto what-if settings and checks their names against the simulator', () => {
    assert.deepEqual(requestFor({ k: 0.1, 'input.P': 2, 'line.B.servers': 2, 'line.B.processing.mean': 9, 'line.source.0.interarrival.mean': 12 }), {
      durationS: undefined,
      parameters: { k: 0.1 },
      inputs: { P: 2 },
      line: { replications: undefined, seed: undefined, until: undefined, stations: { B: { servers: 2, processing: { mean: 9 } } }, sources: { 0: { interarrival: { mean: 12 } } } },
    });
    const sim = compileSimulator(spec);
    assert.ok(kpiSymbols(sim).includes('line_B_working'));
    for (const name of ['nope', 'line.Z.servers', 'input.Q', 'line.source.9.interarrival.mean']) {
      assert.throws(() => simulationProblem(sim, { variables: [{ name, kind: 'integer', min: 1, max: 2 }], objectives: [{ expression: 'T' }] }, context), ConfigError, name);
    }
    assert.throws(() => simulationProblem(sim, { variables: [{ name: 'k', kind: 'continuous', min: 0, max: 1 }], objectives: [{ expression: 'T + unknownKpi' }] }, context), (e) => e instanceof ConfigError && /unknown symbol "unknownKpi"/.test(e.message));
    assert.throws(() => simulationProblem(sim, { variables: [{ name: 'k', kind: 'continuous', min: 0, max: 1 }], objectives: [{ expression: 'T' }], constraints: ['T == 3'] }, context), ConfigError);
  });

  it('finds better settings than the starting ones and confirms the margin on fresh seeds', async () => {
    const improvements = [];
    const goal = {
      variables: [{ name: 'line.B.servers', kind: 'integer', min: 1, max: 3, initial: 1 }],
      objectives: [{ expression: 'line_leadTimeMean', sense: 'min' }],
      constraints: ['line_energyPerGoodPartKwh <= 0.1'],
      evaluation: { replications: 3 },
    };
    const answer = await runner.run('setpoints', { spec, context, goal, options: { seed: 3, maxEvaluations: 30, timeLimitMs: 20000, confirmReplications: 10 } }, 20000, { onImprovement: (p) => improvements.push(p) });
    assert.ok(improvements.length >= 1, 'improvements reported while running');
    assert.equal(answer.best.point['line.B.servers'] >= 2, true, JSON.stringify(answer.best));
    assert.equal(answer.best.feasible, true);
    const lead = answer.confirmation.comparison.line_leadTimeMean;
    assert.ok(lead.difference < 0 && lead.significant, `lead time ${lead.base} -> ${lead.alt}`);
    assert.equal(answer.confirmation.replications, 10);
  });

  it('stops on request with the best so far, and takes new objectives while running', async () => {
    const goal = {
      variables: [{ name: 'k', kind: 'continuous', min: 0.01, max: 0.2, initial: 0.05 }, { name: 'input.P', kind: 'continuous', min: 0, max: 5, initial: 1 }],
      objectives: [{ name: 'temperature', expression: '(T - 330)^2', sense: 'min' }],
    };
    const specPhysics = { physics };
    const progress = [];
    const job = runner.run('setpoints', { spec: specPhysics, context: { ...context, durationS: 600 }, goal, options: { seed: 1, maxEvaluations: 100000, timeLimitMs: 20000, algorithm: 'cmaes' } }, 20000, { onProgress: (p) => progress.push(p) });
    await new Promise((r) => setTimeout(r, 700));
    assert.equal(runner.change({ objectives: [{ name: 'temperature', expression: '(T - 350)^2', sense: 'min' }] }), true);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(runner.stop(), true);
    const answer = await job;
    assert.equal(answer.progress.reason, 'stopped');
    assert.ok(progress.length >= 1);
    // After the change the search aims at 350 K: the best run's T lies near it.
    assert.ok(Math.abs(answer.best.kpis.T - 350) < 2, `T ${answer.best.kpis.T}`);
  });
});
