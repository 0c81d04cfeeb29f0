'use strict';
const assert = require('assert/strict');
const { createOptimiser, hypervolume, dominates } = require('../../../dist/core/optimisation/search');
const { ConfigError } = require('../../../dist/core/errors');
const { refused, continuous, zdt, twoObjectives } = require('./helpers');

const zdtProblem = (kind, n) => ({ variables: continuous(n, 0, 1), evaluate: zdt(kind), objectives: twoObjectives });

describe('optimisation NSGA-II', () => {
  it('ZDT1 (30 variables, 15,000 evaluations): front close to the true front, hypervolume near 2/3', () => {
    const o = createOptimiser(zdtProblem(1, 30), { seed: 1, maxEvaluations: 15000 });
    assert.equal(o.algorithm, 'nsga2', 'the default for several objectives');
    const r = o.runSync();
    assert.equal(r.progress.evaluations, 15000);
    assert.equal(r.front.length, 100);
    const hv = hypervolume(r.front.map((s) => s.objectives), [1, 1]);
    assert.ok(hv > 0.645, `HV ${hv}`);
    for (const s of r.front) {
      const [f1, f2] = s.objectives;
      assert.ok(f2 - (1 - Math.sqrt(f1)) < 0.05, `(${f1}, ${f2}) is far from the front`);
    }
    // The front is sorted by the first objective and mutually non-dominated.
    for (let i = 1; i < r.front.length; i++) assert.ok(r.front[i].objectives[0] >= r.front[i - 1].objectives[0]);
    for (const a of r.front) for (const b of r.front) assert.ok(!dominates(a.objectives, b.objectives));
  });

  it('ZDT2 (concave front, 30 variables, 15,000 evaluations): hypervolume near 1/3', () => {
    const r = createOptimiser(zdtProblem(2, 30), { seed: 1, maxEvaluations: 15000 }).runSync();
    const hv = hypervolume(r.front.map((s) => s.objectives), [1, 1]);
    assert.ok(hv > 0.31, `HV ${hv}`);
    for (const s of r.front) assert.ok(s.objectives[1] - (1 - s.objectives[0] ** 2) < 0.05);
  });

  it('constrained domination (CONSTR): the front is feasible and on the known constrained front', () => {
    const problem = {
      variables: [
        { name: 'x1', kind: 'continuous', min: 0.1, max: 1 },
        { name: 'x2', kind: 'continuous', min: 0, max: 5 },
      ],
      objectives: [({ x }) => x[0], ({ x }) => (1 + x[1]) / x[0]],
      constraints: [({ x }) => 6 - (x[1] + 9 * x[0]), ({ x }) => 1 + x[1] - 9 * x[0]],
    };
    const r = createOptimiser(problem, { seed: 2, maxEvaluations: 10000 }).runSync();
    assert.ok(r.front.length > 50);
    let mean = 0;
    for (const s of r.front) {
      assert.equal(s.feasible, true);
      const f1 = s.objectives[0];
      const truth = f1 <= 2 / 3 ? (7 - 9 * f1) / f1 : 1 / f1;
      assert.ok(s.objectives[1] >= truth - 1e-9 && s.objectives[1] - truth < 0.08 * truth, `(${f1}, ${s.objectives[1]}) vs ${truth}`);
      mean += (s.objectives[1] - truth) / truth / r.front.length;
    }
    assert.ok(mean < 0.02, `mean relative gap ${mean}`);
    // Both branches of the front are covered.
    assert.ok(r.front.some((s) => s.objectives[0] < 0.5) && r.front.some((s) => s.objectives[0] > 0.8));
  });

  it('maximised objectives and mixed variables: the front is in the objectives\' own sense', () => {
    const problem = {
      variables: [
        { name: 'machines', kind: 'integer', min: 1, max: 8 },
        { name: 'speed', kind: 'continuous', min: 0.5, max: 2 },
        { name: 'tool', kind: 'categorical', values: ['std', 'hss', 'carbide'] },
      ],
      objectives: [
        { name: 'throughput', sense: 'max', fn: ({ point }) => point.machines * point.speed * (point.tool === 'carbide' ? 1.2 : 1) },
        { name: 'cost', fn: ({ point }) => 10 * point.machines + 3 * point.speed ** 2 + (point.tool === 'carbide' ? 2 : point.tool === 'hss' ? 1 : 0) },
      ],
    };
    const r = createOptimiser(problem, { seed: 1, maxEvaluations: 3000, nsga2: { populationSize: 40 } }).runSync();
    assert.ok(r.front.length >= 8);
    for (const s of r.front) {
      assert.ok(s.named.throughput > 0 && s.named.cost > 0);
      assert.equal(s.named.throughput, s.objectives[0]);
    }
    // Highest throughput: 8 machines at full speed with carbide tools (19.2).
    const top = r.front.reduce((a, b) => (b.named.throughput > a.named.throughput ? b : a));
    assert.equal(top.point.machines, 8);
    assert.equal(top.point.tool, 'carbide');
    assert.ok(top.named.throughput > 19.19, `${top.named.throughput}`);
    // Sorted by the first objective as minimised: throughput falls along the front.
    for (let i = 1; i < r.front.length; i++) assert.ok(r.front[i].named.throughput <= r.front[i - 1].named.throughput);
  });

  it('best() is a compromise point: by weights, Tchebycheff or the knee', () => {
    const run = (options) => createOptimiser(zdtProblem(1, 10), { seed: 1, maxEvaluations: 8000, ...options }).runSync().best;
    const favourF1 = run({ weights: [10, 1] });
    const favourF2 = run({ weights: [1, 10] });
    assert.ok(favourF1.objectives[0] < favourF2.objectives[0]);
    assert.ok(favourF1.objectives[1] > favourF2.objectives[1]);
    const knee = run({ compromise: 'knee' });
    // The knee of f2 = 1 - √f1 (farthest below the line through (0, 1) and (1, 0)) is at f1 = 1/4.
    assert.ok(Math.abs(knee.objectives[0] - 0.25) < 0.05, `knee at ${knee.objectives}`);
    const tch = run({ compromise: 'tchebycheff' });
    // Equal weights on the normalised front: f1 ≈ f2 = 1 - √f1, f1 ≈ 0.382.
    assert.ok(Math.abs(tch.objectives[0] - 0.382) < 0.05, `Tchebycheff at ${tch.objectives}`);
  });

  it('is deterministic for a seed, whether run at once or in slices', () => {
    const run = (seed, sliced) => {
      const o = createOptimiser(zdtProblem(1, 8), { seed, maxEvaluations: 2000 });
      if (sliced) while (!o.done) o.step(0);
      else o.runSync();
      return o.front().map((s) => s.objectives);
    };
    assert.deepEqual(run(3, true), run(3, false));
    assert.notDeepEqual(run(3, false), run(4, false));
  });

  it('refuses bad NSGA-II options', () => {
    refused(() => createOptimiser(zdtProblem(1, 3), { nsga2: { populationSize: 2 } }), ConfigError, 'bad nsga2.populationSize');
    refused(() => createOptimiser(zdtProblem(1, 3), { compromise: 'median' }), ConfigError, 'bad compromise');
  });
});
