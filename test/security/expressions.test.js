'use strict';
/**
 * Security: user-written expressions never reach JavaScript.
 *
 * Every place an expression written by a user enters TwinLoop, found in src/:
 *   1. physics state equations "dX/dt = ..."   twin-simulator `physics` -> PhysicsModel -> parseStateEquation
 *   2. physics outputs {expression}             twin-simulator `physics` -> PhysicsModel -> compileExpression
 *   3. optimizer objectives {expression}        twin-optimizer `goal` / msg.payload.objectives -> compileGoal
 *   4. optimizer constraints "a <= b"           twin-optimizer `goal` / msg.payload.constraints -> compileGoal
 *   5. objective changes while a search runs    twin-optimizer msg.topic "objective" -> applyChange -> compileGoal
 * (The gate's envelope, the twin model and unit names hold no expressions: unit names go to mathjs's
 * Unit parser only, see the last block.) All of them end in src/core/simulation/expressions.ts; its own
 * unit test (test/unit/simulation/expressions.test.js) covers the restricted instance itself. Here each
 * attack goes through each entry point, and through the nodes, with two canaries that must stay
 * untouched: `globalThis.__pwned` in this process and a file that only executed code could write (the
 * optimizer compiles its goal in a worker thread, where globalThis is another object).
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { compileExpression, parseStateEquation } = require('../../dist/core/simulation/expressions');
const { PhysicsModel } = require('../../dist/core/simulation/physics');
const { compileGoal } = require('../../dist/core/optimisation/simulation-problem');
const { UnitConverter, unitDimension } = require('../../dist/core/ingest/units');
const { TwinError, ConfigError } = require('../../dist/core/errors');
const { helper, load, collect, statuses, waitFor } = require('../support/flow-helper');

const TMP = path.join(__dirname, '..', '.tmp', 'security');
fs.mkdirSync(TMP, { recursive: true });
const CANARY_FILE = path.join(TMP, `pwned-${process.pid}`);
/** JavaScript that, if it ever ran, leaves a trace in both canaries. */
const payload = (file) => `globalThis.__pwned = 1; process.getBuiltinModule('fs').writeFileSync(${JSON.stringify(file)}, 'x')`;
const PAYLOAD = payload(CANARY_FILE);
const js = JSON.stringify(PAYLOAD);

const attacks = [
  // the instance's dangerous functions
  'import({__pwned: 1}, {override: true})',
  'createUnit("__pwned")',
  'evaluate("__pwned = 1")',
  'parse("1").compile().evaluate()',
  'simplify("x")',
  'derivative("x^2", "x")',
  'compile("1")',
  'import',
  'evaluate',
  // definitions and assignments
  'f(x) = x',
  'f(x) = cos.constructor(' + js + ')(1)',
  'x = 1',
  'x.y = 1',
  '__pwned = 1',
  // constructor chains and property access
  'constructor',
  '__proto__',
  'prototype',
  'x.constructor',
  'x["constructor"]',
  'x.__proto__',
  'cos.constructor',
  `cos.constructor(${js})(1)`,
  `cos["constructor"](${js})(1)`,
  `cos["con" + "structor"](${js})(1)`,
  `[cos][1].constructor(${js})(1)`,
  `{a: cos}.a.constructor(${js})(1)`,
  `sin.constructor.constructor(${js})(1)`,
  `Function(${js})(1)`,
  'Function',
  'this',
  'globalThis',
  'process',
  'require',
  'eval(1)',
  // strings and escapes
  '"constructor"',
  '"\\u0063onstructor"',
  `"\\x63onstructor"`,
  'concat("con", "structor")',
  // matrices, units and other types
  '[1, 2]',
  'matrix([1, 2])',
  '[x, x] * 2',
  'x[1]',
  '5 cm',
  'x cm',
  'unit("5 cm")',
  'x to cm',
  'x in cm',
  '2 cm to inch',
  'bignumber(1)',
  'complex(1, 2)',
  'i',
  '1:3',
  'x!',
  'true',
  'null',
  'typeOf(x)',
  'x; 1',
  'x\n1',
];

function assertCanariesClean() {
  assert.equal(globalThis.__pwned, undefined, 'globalThis.__pwned must stay undefined');
  assert.equal(fs.existsSync(CANARY_FILE), false, 'the canary file must not exist');
  assert.equal(({}).polluted, undefined);
  assert.equal(({}).__pwned, undefined);
}

/** Refused with a ConfigError that says why, in a short message. */
function assertRefused(fn, what) {
  let thrown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  assert.ok(thrown, `${what}: accepted`);
  assert.ok(thrown instanceof ConfigError, `${what}: expected a ConfigError, got ${thrown && thrown.name}: ${thrown && thrown.message}`);
  assert.ok(['not allowed', 'unknown symbol', 'syntax error', 'bad expression', 'bad symbol', 'bad equation', 'bad constraint', 'bad name'].includes(thrown.shortReason), `${what}: reason "${thrown.shortReason}"`);
  assert.ok(thrown.message.length > 0 && thrown.message.length < 2000, `${what}: message length ${thrown.message.length}`);
  return thrown;
}

const oven = () => ({
  states: { T: { initial: 20 } },
  inputs: { P: { value: 2 } },
  parameters: { k: { value: 0.05 }, C: { value: 50 } },
  equations: ['dT/dt = (P - k*(T - 20)) / C'],
  outputs: { loss: { expression: 'k*(T - 20)' } },
});

describe('security: expressions cannot reach JavaScript', function () {
  this.timeout(30000);
  afterEach(assertCanariesClean);
  after(() => fs.rmSync(CANARY_FILE, { force: true }));

  it('the canaries work: the payload, run as JavaScript, trips both', function () {
    const file = path.join(TMP, `canary-check-${process.pid}`);
    try {
      new Function(payload(file))(); // eslint-disable-line no-new-func
      assert.equal(globalThis.__pwned, 1);
      assert.equal(fs.existsSync(file), true);
    } finally {
      delete globalThis.__pwned;
      fs.rmSync(file, { force: true });
    }
  });

  describe('entry point: compileExpression (restricted instance)', function () {
    for (const text of attacks) {
      it(`refuses ${JSON.stringify(text)}`, function () {
        assertRefused(() => compileExpression(text, ['x', 'y']).evaluate({ x: 1, y: 1 }), text);
      });
    }
  });

  describe('entry point: physics state equations (parseStateEquation via PhysicsModel)', function () {
    for (const text of attacks) {
      it(`refuses dT/dt = ${JSON.stringify(text)}`, function () {
        const spec = oven();
        spec.equations = [`dT/dt = ${text}`];
        assertRefused(() => new PhysicsModel(spec).simulate({ duration: 1 }), text);
      });
    }
    it('refuses a state named __proto__, constructor or prototype (their values would not reach the scope)', function () {
      for (const name of ['__proto__', 'constructor', 'prototype']) {
        const spec = JSON.parse(`{"states": {"${name}": {"initial": 1}}, "equations": ["d${name}/dt = -${name}"]}`);
        const err = assertRefused(() => new PhysicsModel(spec), name);
        assert.match(err.message, new RegExp(`"${name}" cannot be a (symbol )?name`));
        assertRefused(() => parseStateEquation(`d${name}/dt = 1`), `state ${name}`);
      }
    });
  });

  describe('entry point: physics outputs (compileExpression via PhysicsModel)', function () {
    for (const text of attacks) {
      it(`refuses output ${JSON.stringify(text)}`, function () {
        const spec = oven();
        spec.outputs = { y: { expression: text } };
        assertRefused(() => new PhysicsModel(spec).simulate({ duration: 1 }), text);
      });
    }
  });

  describe('entry point: optimizer objectives and constraints (compileGoal)', function () {
    const kpis = ['line_throughput', 'line_leadTimeMean'];
    for (const text of attacks) {
      it(`refuses objective and constraint ${JSON.stringify(text)}`, function () {
        assertRefused(() => compileGoal({ objectives: [{ expression: text, sense: 'min' }] }, kpis), `objective ${text}`);
        // a constraint is "<lhs> <op> <rhs>": the attack on either side
        assertRefused(() => compileGoal({ objectives: [{ expression: 'line_throughput' }], constraints: [`${text} <= 1`] }, kpis), `constraint lhs ${text}`);
        assertRefused(() => compileGoal({ objectives: [{ expression: 'line_throughput' }], constraints: [`line_throughput >= ${text}`] }, kpis), `constraint rhs ${text}`);
      });
    }
  });

  it('unit names (model, samples) are looked up, never evaluated', function () {
    const units = new UnitConverter();
    for (const name of ['__proto__', 'constructor', 'prototype', 'toString', 'cos.constructor', 'import', 'evaluate("1")', `cos.constructor(${js})(1)`, '5 cm', 'm; x = 1']) {
      assert.equal(units.isKnown(name), false, name);
      assert.throws(() => units.convert(1, name, 'm', 'test'), (err) => err instanceof TwinError && err.shortReason === 'unknown unit', name);
      assert.throws(() => unitDimension(name, 'test'), (err) => err instanceof TwinError && err.shortReason === 'unknown unit', name);
    }
    assert.equal(units.convert(1000, 'mm', 'm', 'test'), 1, 'still converts');
  });

  it('still evaluates an ordinary model after all the attacks', function () {
    const run = new PhysicsModel(oven()).simulate({ duration: 10, outputEvery: 5 });
    assert.equal(run.times.length, 3);
    assert.ok(run.states.T[2] > 20);
    assert.ok(run.outputs.loss[2] > 0);
  });
});

describe('security: hostile expressions through the nodes (red status, an error, nothing executed)', function () {
  this.timeout(60000);
  beforeEach(() => helper.startServer());
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
    assertCanariesClean();
  });
  after(() => fs.rmSync(CANARY_FILE, { force: true }));

  const hostile = [
    `cos.constructor(${js})(1)`,
    'import({__pwned: 1}, {override: true})',
    'f(x) = x',
    'evaluate("__pwned = 1")',
    'x.constructor',
  ];

  for (const text of hostile) {
    it(`twin-simulator with the equation "dT/dt = ${text}" is red and logs the reason`, async function () {
      const spec = oven();
      spec.equations = [`dT/dt = ${text.replace(/\bx\b/g, 'T')}`];
      await load([
        { id: 'tab', type: 'tab', label: 'test' },
        { id: 'sim', type: 'twin-simulator', z: 'tab', persist: false, physics: JSON.stringify(spec), horizon: 5, wires: [['answers'], [], []] },
        { id: 'answers', type: 'helper', z: 'tab' },
        { id: 'catch', type: 'catch', z: 'tab', scope: ['sim'], uncaught: false, wires: [['caught']] },
        { id: 'caught', type: 'helper', z: 'tab' },
      ]);
      const seen = statuses('sim');
      await waitFor(() => seen.some((s) => s.fill === 'red'), `a red status, saw ${JSON.stringify(seen)}`);
      const logged = helper.log().args.map((a) => a[0]).filter((e) => e.level === helper.log().ERROR && e.id === 'sim');
      assert.ok(logged.some((e) => /not allowed|unknown symbol|syntax error|expected "dX\/dt = expression"|cannot be a symbol/.test(e.msg)), `logged: ${JSON.stringify(logged)}`);
      // a request is refused with the configuration error, never answered
      const [answers, caught] = ['answers', 'caught'].map(collect);
      helper.getNode('sim').receive({ topic: 'whatif', payload: { duration: 10 } });
      await waitFor(() => caught.length === 1, 'the refused request at the catch node');
      assert.equal(answers.length, 0);
    });
  }

  it('twin-simulator with a hostile physics output is red', async function () {
    const spec = oven();
    spec.outputs = { y: { expression: `cos.constructor(${js})(1)` } };
    await load([
      { id: 'tab', type: 'tab', label: 'test' },
      { id: 'sim', type: 'twin-simulator', z: 'tab', persist: false, physics: JSON.stringify(spec), horizon: 5, wires: [[], [], []] },
    ]);
    const seen = statuses('sim');
    await waitFor(() => seen.some((s) => s.fill === 'red'), `a red status, saw ${JSON.stringify(seen)}`);
  });

  describe('twin-optimizer: hostile objectives and constraints (compiled in its worker thread)', function () {
    const line = {
      sources: [{ interarrival: { kind: 'exponential', mean: 10 }, to: 'Saw' }],
      stations: [{ name: 'Saw', processing: { kind: 'exponential', mean: 5 }, buffer: 5, next: null }],
      run: { until: 2000 },
    };
    const goal = { variables: [{ name: 'line.Saw.servers', kind: 'integer', min: 1, max: 2, initial: 1 }], objectives: [{ expression: 'line_leadTimeMean', sense: 'min' }], evaluation: { replications: 1 } };
    const flow = () => [
      { id: 'tab', type: 'tab', label: 'test' },
      { id: 'sim', type: 'twin-simulator', z: 'tab', persist: false, line: JSON.stringify(line), replications: 1, wires: [[], [], []] },
      { id: 'opt', type: 'twin-optimizer', z: 'tab', simulator: 'sim', goal: JSON.stringify(goal), maxEvaluations: 4, timeLimit: 20, confirm: 0, wires: [['results'], []] },
      { id: 'results', type: 'helper', z: 'tab' },
      { id: 'catch', type: 'catch', z: 'tab', scope: ['opt'], uncaught: false, wires: [['caught']] },
      { id: 'caught', type: 'helper', z: 'tab' },
    ];

    it('refuses each hostile objective and constraint with a catchable error, then still optimises', async function () {
      await load(flow());
      const [results, caught] = ['results', 'caught'].map(collect);
      const opt = helper.getNode('opt');
      const requests = [];
      for (const text of hostile) {
        const t = text.replace(/\bx\b/g, 'line_throughput');
        requests.push({ objectives: [{ expression: t, sense: 'min' }] });
        requests.push({ constraints: [`${t} <= 1`] });
      }
      for (const payload of requests) {
        const before = caught.length;
        opt.receive({ topic: 'optimise', payload });
        await waitFor(() => caught.length === before + 1, `the refusal of ${JSON.stringify(payload)}`, 20000);
        const err = caught[caught.length - 1].error;
        assert.match(err.message, /not allowed|unknown symbol|unknown function|syntax error|bad expression|cannot be a symbol/, JSON.stringify(payload));
        assert.ok(err.message.length < 2000);
      }
      assert.equal(results.length, 0, 'no hostile request was answered');
      // The same node still optimises an ordinary goal.
      opt.receive({ topic: 'optimise' });
      await waitFor(() => results.length === 1, 'an ordinary optimisation', 30000);
      assert.ok(results[0].payload.best, JSON.stringify(results[0].payload).slice(0, 300));
    });
  });
});
