'use strict';
const assert = require('assert/strict');
const { createOptimiser, optimise, debCompare } = require('../../../dist/core/optimisation/search');
const { ConfigError, InputError } = require('../../../dist/core/errors');
const { refused, continuous, sphere, rastrigin, zdt, twoObjectives, busyWait } = require('./helpers');

const ALGORITHMS = ['cmaes', 'nelder-mead', 'ga', 'nsga2'];
const problem3 = () => ({ variables: continuous(3, -5, 5), objectives: rastrigin });

describe('optimisation optimiser interface', () => {
  it('picks a default algorithm from the problem', () => {
    assert.equal(createOptimiser(problem3()).algorithm, 'cmaes');
    assert.equal(createOptimiser({ variables: [{ name: 'n', kind: 'integer', min: 0, max: 3 }], objectives: ({ x }) => x[0] }).algorithm, 'ga');
    assert.equal(createOptimiser({ variables: continuous(2, 0, 1), objectives: [({ x }) => x[0], ({ x }) => 1 - x[0]] }).algorithm, 'nsga2');
  });

  it('step(budgetMs) works in slices: at least one evaluation, never much beyond the budget', () => {
    for (const algorithm of ALGORITHMS) {
      let calls = 0;
      const o = createOptimiser(
        { variables: continuous(3, -5, 5), evaluate: (p, x) => (calls++, busyWait(2), x), objectives: [({ x }) => sphere({ x }), ({ x }) => (x[0] - 1) ** 2].slice(0, algorithm === 'nsga2' ? 2 : 1) },
        { algorithm, seed: 1, maxEvaluations: 60, nsga2: { populationSize: 8 } },
      );
      let steps = 0;
      while (!o.done) {
        const before = calls;
        const p = o.step(10);
        steps++;
        const did = calls - before;
        assert.ok(did >= 1 || p.done, `${algorithm}: a step did nothing`);
        // Each evaluation spins 2 ms, so a 10 ms slice holds at most 5 (+1 started before the deadline).
        assert.ok(did <= 6, `${algorithm}: ${did} evaluations in one 10 ms step`);
      }
      assert.equal(calls, 60, algorithm);
      assert.ok(steps >= 10, `${algorithm}: ${steps} steps`);
      assert.equal(o.reason, 'max-evaluations');
    }
  });

  it('holds maxEvaluations exactly, maxIterations and maxWallMs', () => {
    for (const algorithm of ALGORITHMS) {
      const r = createOptimiser(problem3(), { algorithm, maxEvaluations: 777, seed: 2 }).runSync();
      assert.equal(r.progress.evaluations, 777, algorithm);
      assert.equal(r.progress.reason, 'max-evaluations', algorithm);
    }
    const g = createOptimiser(problem3(), { algorithm: 'ga', maxIterations: 7, ga: { populationSize: 10 } }).runSync();
    assert.equal(g.progress.generations, 7);
    assert.equal(g.progress.reason, 'max-iterations');
    assert.equal(g.progress.evaluations + g.progress.memoHits, 10 + 6 * 8, 'first population, then 8 offspring + 2 elites per generation');
    const started = performance.now();
    const w = createOptimiser({ variables: continuous(2, -1, 1), evaluate: (p, x) => (busyWait(1), x), objectives: sphere }, { maxWallMs: 80, maxEvaluations: 1e6 });
    while (!w.done) w.step(10);
    const took = performance.now() - started;
    assert.equal(w.reason, 'max-wall-time');
    assert.ok(took >= 80 && took < 400, `${took} ms`);
  });

  it('is cancellable: AbortSignal, shouldStop and stop()', async () => {
    for (const algorithm of ALGORITHMS) {
      const controller = new AbortController();
      let calls = 0;
      const o = createOptimiser(
        { variables: continuous(2, -5, 5), objectives: [({ x }) => (calls++ === 40 && controller.abort(), sphere({ x })), ({ x }) => x[0] ** 2].slice(0, algorithm === 'nsga2' ? 2 : 1) },
        { algorithm, signal: controller.signal, maxEvaluations: 100000 },
      );
      const r = await o.run({ sliceMs: 5 });
      assert.equal(r.progress.reason, 'stopped', algorithm);
      assert.equal(r.progress.evaluations, 41, algorithm);
      assert.ok(r.best, algorithm);
    }
    let n = 0;
    const s = createOptimiser(problem3(), { shouldStop: () => ++n > 100, maxEvaluations: 100000 }).runSync();
    assert.equal(s.progress.reason, 'stopped');
    assert.ok(s.progress.evaluations < 100);
    const o = createOptimiser(problem3(), { maxEvaluations: 100000 });
    o.step(5);
    o.stop();
    const after = o.progress().evaluations;
    o.step(5);
    assert.equal(o.done, true);
    assert.equal(o.reason, 'stopped');
    assert.equal(o.progress().evaluations, after);
  });

  it('is anytime: onImprovement reports strictly better points, onProgress every generation', () => {
    const improvements = [];
    const progress = [];
    const o = createOptimiser(problem3(), {
      algorithm: 'cmaes',
      maxEvaluations: 2000,
      onImprovement: (best, p) => improvements.push({ value: best.value, evaluations: p.evaluations }),
      onProgress: (p) => progress.push(p.generations),
    });
    const r = o.runSync();
    assert.ok(improvements.length > 5);
    for (let i = 1; i < improvements.length; i++) assert.ok(improvements[i].value < improvements[i - 1].value);
    assert.equal(improvements[improvements.length - 1].value, r.best.value);
    assert.deepEqual(progress.slice(0, 3), [1, 2, 3]);
    assert.equal(progress.length, r.progress.generations + 1, 'one per generation and one at the end');
    // NSGA-II: onImprovement when the front changed, with the compromise point.
    let frontChanges = 0;
    createOptimiser({ variables: continuous(5, 0, 1), evaluate: zdt(1), objectives: twoObjectives }, { maxEvaluations: 1000, onImprovement: (best) => (assert.ok(best.feasible), frontChanges++) }).runSync();
    assert.ok(frontChanges >= 5);
  });

  it('changes weights while running: the best is re-scored at once, without evaluations, then the search follows', () => {
    let calls = 0;
    const problem = {
      variables: continuous(1, -3, 3),
      evaluate: (p, x) => (calls++, { a: (x[0] - 1) ** 2, b: (x[0] + 1) ** 2 }),
      objectives: [
        { name: 'a', fn: ({ result }) => result.a },
        { name: 'b', fn: ({ result }) => result.b },
      ],
    };
    for (const algorithm of ['cmaes', 'nelder-mead', 'ga']) {
      calls = 0;
      const o = createOptimiser(problem, { algorithm, weights: { a: 1, b: 0 }, maxEvaluations: 1500, seed: 3 });
      while (o.progress().evaluations < 500) o.step(0); // one evaluation per step: deterministic
      const tol = algorithm === 'ga' ? 0.01 : 1e-3;
      assert.ok(Math.abs(o.best().x[0] - 1) < tol, `${algorithm}: ${o.best().x}`);
      const before = calls;
      o.setWeights({ a: 0, b: 1 });
      assert.equal(calls, before, 'no evaluation for a weight change');
      // Best of the points already evaluated under the new weights.
      assert.ok(o.best().x[0] < 0.5, `${algorithm}: ${o.best().x} right after the change`);
      assert.equal(o.best().value, o.best().named.b);
      o.runSync();
      assert.ok(Math.abs(o.best().x[0] + 1) < tol, `${algorithm}: ${o.best().x} at the end`);
      refused(() => o.setWeights([1]), InputError, 'bad weights');
      refused(() => o.setWeights({ c: 1 }), InputError, 'bad weights', /unknown objective/);
      refused(() => o.setWeights([0, 0]), InputError, 'bad weights');
    }
  });

  it('NSGA-II: setWeights moves the compromise point along the front without evaluating', () => {
    const o = createOptimiser({ variables: continuous(5, 0, 1), evaluate: zdt(1), objectives: twoObjectives }, { maxEvaluations: 4000, seed: 1 });
    o.runSync();
    const evaluations = o.progress().evaluations;
    o.setWeights([10, 1]);
    const left = o.best();
    o.setWeights([1, 10]);
    const right = o.best();
    assert.ok(left.objectives[0] < right.objectives[0]);
    assert.equal(o.progress().evaluations, evaluations);
    assert.equal(o.front().length, 100);
  });

  for (const [algorithm, tol] of [['cmaes', 1e-3], ['nelder-mead', 1e-3], ['ga', 0.1]]) it(`changes the objective and the constraints while running by re-scoring stored results (${algorithm})`, () => {
    let calls = 0;
    const o = createOptimiser(
      { variables: continuous(2, -2, 2), evaluate: (p, x) => (calls++, { energy: sphere({ x }), output: x[0] + x[1] }), objectives: ({ result }) => result.energy },
      { algorithm, maxEvaluations: 4000, seed: 4 },
    );
    while (o.progress().evaluations < 300) o.step(0);
    const before = calls;
    o.setObjective({ name: 'output', sense: 'max', fn: ({ result }) => result.output });
    assert.equal(calls, before, 're-scored without running evaluate');
    assert.equal(o.best().named.output, o.best().objectives[0]);
    o.setConstraints([{ name: 'energy cap', fn: ({ result }) => result.energy - 2 }]);
    assert.equal(calls, before);
    assert.equal(o.best().feasible, true);
    assert.ok(o.best().result.energy <= 2);
    o.runSync();
    // max x + y with x² + y² ≤ 2: (1, 1), output 2.
    assert.ok(Math.abs(o.best().named.output - 2) < tol, `output ${o.best().named.output}`);
    refused(() => o.setObjective([]), ConfigError, 'no objective');
    refused(() => o.setObjective({ fn: ({ result }) => result.missing.field }), InputError, 'bad objective');
    // The failed change left the previous objective in place.
    assert.equal(typeof o.best().named.output, 'number');
  });

  it('memoises identical points (and can be told not to)', () => {
    let calls = 0;
    const problem = { variables: [{ name: 'n', kind: 'integer', min: 0, max: 9 }, { name: 'm', kind: 'categorical', values: ['a', 'b'] }], evaluate: (p) => (calls++, p), objectives: ({ point }) => (point.n - 4) ** 2 + (point.m === 'b' ? 0 : 1) };
    const r = createOptimiser(problem, { maxIterations: 20, seed: 1 }).runSync();
    assert.equal(calls, r.progress.evaluations);
    assert.ok(calls <= 20, `only 20 distinct points exist, evaluated ${calls}`);
    assert.ok(r.progress.memoHits > 500);
    assert.deepEqual(r.best.point, { n: 4, m: 'b' });
    // Without a generation limit the run ends once nothing new is proposed (maxRepeats in a row).
    for (const algorithm of ['ga', 'cmaes', 'nelder-mead']) {
      calls = 0;
      const all = createOptimiser(problem, { seed: 1, algorithm, maxRepeats: 500 }).runSync();
      assert.equal(all.progress.reason, 'converged', algorithm);
      assert.ok(calls <= 20, `${algorithm}: ${calls}`);
    }
    calls = 0;
    const s = createOptimiser(problem, { maxIterations: 20, seed: 1, memoise: false }).runSync();
    assert.equal(s.progress.memoHits, 0);
    assert.equal(calls, s.progress.evaluations);
    assert.ok(calls > 500);
  });

  it('evaluation errors: thrown by default (the step can be retried), or scored as failed points', () => {
    let fail = true;
    const o = createOptimiser({ variables: continuous(2, -1, 1), objectives: ({ x }) => { if (fail) throw new Error('simulation diverged'); return sphere({ x }); } }, { maxEvaluations: 200 });
    assert.throws(() => o.step(5), /simulation diverged/);
    fail = false;
    assert.equal(o.runSync().progress.evaluations, 200);
    const f = createOptimiser({ variables: continuous(2, -1, 1), objectives: ({ x }) => { if (x[0] < 0) throw new Error('diverged'); return sphere({ x }); } }, { maxEvaluations: 500, onEvaluationError: 'fail' });
    const r = f.runSync();
    assert.equal(r.best.feasible, true);
    assert.ok(r.best.x[0] >= 0);
    // Non-finite objective values mark a point failed too.
    const nan = createOptimiser({ variables: continuous(1, -1, 1), objectives: ({ x }) => (x[0] > 0 ? NaN : x[0] ** 2) }, { maxEvaluations: 300 }).runSync();
    assert.ok(nan.best.x[0] <= 0 && nan.best.feasible);
  });

  it('starts from x0 (named) and validates the problem and options', () => {
    const seen = [];
    createOptimiser({ variables: continuous(2, -5, 5), objectives: ({ point }) => (seen.push(point), 0) }, { algorithm: 'nelder-mead', x0: { x0: 1.5, x1: -2 }, maxEvaluations: 3 }).runSync();
    assert.deepEqual(seen[0], { x0: 1.5, x1: -2 });
    refused(() => createOptimiser(problem3(), { x0: { x0: 9, x1: 0, x2: 0 } }), InputError, 'bad point', /"x0": 9 is outside/);
    refused(() => createOptimiser(null), ConfigError, 'bad problem');
    refused(() => createOptimiser({ variables: continuous(1, 0, 1) }), ConfigError, 'bad objective');
    refused(() => createOptimiser({ variables: continuous(1, 0, 1), objectives: [{ fn: 3 }] }), ConfigError, 'bad objective');
    refused(() => createOptimiser({ variables: continuous(1, 0, 1), objectives: sphere, evaluate: 'sim' }), ConfigError, 'bad evaluate');
    refused(() => createOptimiser({ variables: continuous(1, 0, 1), objectives: sphere, constraints: 'x < 1' }), ConfigError, 'bad constraints');
    refused(() => createOptimiser({ variables: [], objectives: sphere }), ConfigError, 'no variables');
    refused(() => createOptimiser(problem3(), { algorithm: 'pso' }), ConfigError, 'bad algorithm');
    refused(() => createOptimiser(problem3(), { maxEvaluations: 0 }), ConfigError, 'bad maxEvaluations');
    refused(() => createOptimiser(problem3(), { maxWallMs: -1 }), ConfigError, 'bad maxWallMs');
    refused(() => createOptimiser(problem3(), { seed: 'x' }), ConfigError, 'bad seed');
    refused(() => createOptimiser(problem3(), { signal: {} }), ConfigError, 'bad signal');
    refused(() => createOptimiser(problem3(), { onProgress: 1 }), ConfigError, 'bad onProgress');
    refused(() => createOptimiser(problem3(), { weights: [1, 2] }), ConfigError, 'bad weights');
    refused(() => createOptimiser(problem3()).step(-1), InputError, 'bad budget');
  });

  it('run() keeps the event loop turning; optimise() is the one-call form', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 2);
    const r = await optimise({ variables: continuous(3, -5, 5), evaluate: (p, x) => (busyWait(0.5), x), objectives: rastrigin }, { maxEvaluations: 300, sliceMs: 5 });
    clearInterval(timer);
    assert.equal(r.progress.evaluations, 300);
    assert.ok(ticks >= 10, `${ticks} timer ticks during ~150 ms of work`);
  });

  it('Deb\'s comparison: feasible beats infeasible, less violation beats more, then value', () => {
    const ind = (violation, value, seq) => ({ violation, value, seq });
    assert.ok(debCompare(ind(0, 100, 1), ind(0.1, -100, 2)) < 0);
    assert.ok(debCompare(ind(0.5, 1, 1), ind(0.1, 9, 2)) > 0);
    assert.ok(debCompare(ind(0, 1, 2), ind(0, 2, 1)) < 0);
    assert.ok(debCompare(ind(0, 1, 1), ind(0, 1, 2)) < 0);
  });
});
