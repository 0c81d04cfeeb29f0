'use strict';
const assert = require('node:assert/strict');
const { PhysicsModel, withSignalUnits, seriesFunction } = require('../../../dist/core/simulation/physics');
const { ConfigError, InputError } = require('../../../dist/core/errors');

const thermal = (overrides = {}) => ({
  timeUnit: 's',
  states: { T: { signal: 'line/oven/temperature', unit: 'degC', initial: 20 } },
  inputs: { P: { signal: 'line/oven/power', unit: 'kW', value: 2 } },
  parameters: {
    eta: { value: 0.9 },
    k: { value: 0.05, unit: 'kW/K' },
    C: { value: 50, unit: 'kJ/K' },
    T_amb: { value: 20, unit: 'degC' },
  },
  equations: ['dT/dt = (P*eta - k*(T - T_amb)) / C'],
  outputs: { loss: { expression: 'k*(T - T_amb)', unit: 'W' } },
  ...overrides,
});

// Analytic solution of the lag: T(t) = T_amb + (P*eta/k) (1 - exp(-k t / C)).
const analytic = (t, P = 2) => 20 + ((P * 0.9) / 0.05) * (1 - Math.exp((-0.05 * t) / 50));

describe('PhysicsModel', () => {
  it('integrates a first-order thermal lag to the analytic solution (RK4 and adaptive)', () => {
    for (const method of ['rk4', 'adaptive']) {
      const model = new PhysicsModel(thermal({ solver: { method, step: 1 } }));
      const run = model.simulate({ duration: 600, outputEvery: 60 });
      assert.equal(run.times.length, 11);
      run.times.forEach((t, i) => assert.ok(Math.abs(run.states.T[i] - analytic(t)) < 1e-6, `${method} t=${t}: ${run.states.T[i]} vs ${analytic(t)}`));
    }
  });

  it('converts units: the output in W, and the same model written with P in W gives the same temperatures', () => {
    const a = new PhysicsModel(thermal()).simulate({ duration: 300, outputEvery: 100 });
    const last = a.states.T.at(-1);
    assert.ok(Math.abs(a.outputs.loss.at(-1) - 0.05 * (last - 20) * 1000) < 1e-6, 'loss in W');
    const inWatts = thermal();
    inWatts.inputs.P = { unit: 'W', value: 2000 };
    const b = new PhysicsModel(inWatts).simulate({ duration: 300, outputEvery: 100 });
    assert.ok(Math.abs(b.states.T.at(-1) - last) < 1e-9);
  });

  it('runs with the clock in minutes: the rate factor scales the equation', () => {
    const spec = thermal({ timeUnit: 'min', solver: { step: 0.1 } });
    const run = new PhysicsModel(spec).simulate({ duration: 10, outputEvery: 10 });
    assert.ok(Math.abs(run.states.T.at(-1) - analytic(600)) < 1e-6);
  });

  it('takes inputs as series and parameters as overrides', () => {
    const model = new PhysicsModel(thermal());
    const run = model.simulate({ duration: 100, inputs: { P: { t: [0, 1000], v: [0, 0] } }, parameters: { T_amb: 20 } });
    assert.equal(run.states.T.at(-1), 20);
    assert.throws(() => model.simulate({ duration: 10, parameters: { nope: 1 } }), (e) => e instanceof InputError && /no parameter "nope"/.test(e.message));
    assert.throws(() => model.simulate({ duration: 10, inputs: { P: { t: [0, 1], v: [1] } } }), InputError);
    const f = seriesFunction({ t: [0, 10, 20], v: [0, 10, 0] }, 'x');
    assert.deepEqual([f(-1), f(5), f(10), f(15), f(30)], [0, 5, 10, 5, 0]);
  });

  it('refuses unit mismatches at build time, naming the equation', () => {
    const bad = thermal({ equations: ['dT/dt = (P*eta - k*(T - T_amb))'] });
    assert.throws(() => new PhysicsModel(bad), (e) => e instanceof ConfigError && e.shortReason === 'unit mismatch' && /state per time/.test(e.message));
    const sum = thermal({ equations: ['dT/dt = (P + T) / C'] });
    assert.throws(() => new PhysicsModel(sum), (e) => e instanceof ConfigError && /a sum of/.test(e.message));
    const exp = thermal({ equations: ['dT/dt = exp(T) / C'] });
    assert.throws(() => new PhysicsModel(exp), (e) => e instanceof ConfigError && /exp\(\) needs a plain number/.test(e.message));
    const outputUnit = thermal({ outputs: { loss: { expression: 'k*(T - T_amb)', unit: 'degC' } } });
    assert.throws(() => new PhysicsModel(outputUnit), (e) => e instanceof ConfigError && e.shortReason === 'unit mismatch');
  });

  it('refuses names special on every object (an output "__proto__" would vanish from the results)', () => {
    for (const name of ['__proto__', 'constructor', 'prototype']) {
      const outputs = JSON.parse(`{"${name}": {"expression": "k*(T - T_amb)", "unit": "kW"}}`);
      assert.throws(() => new PhysicsModel(thermal({ outputs })), (e) => e instanceof ConfigError && e.shortReason === 'bad name' && e.message.includes(name), name);
    }
  });

  it('refuses bad expressions with the position of the error', () => {
    assert.throws(() => new PhysicsModel(thermal({ equations: ['dT/dt = (P*eta - k*(T - T_amb) / C'] })), (e) => e instanceof ConfigError && /char \d+/.test(e.message));
    assert.throws(() => new PhysicsModel(thermal({ equations: ['dT/dt = P*x'] })), (e) => e instanceof ConfigError && /unknown symbol "x" \(char 11\)/.test(e.message));
    assert.throws(() => new PhysicsModel(thermal({ equations: ['dT/dt = import({}, {})'] })), ConfigError);
    assert.throws(() => new PhysicsModel(thermal({ equations: ['dT/dt = [1].constructor'] })), ConfigError);
  });

  it('refuses garbage specs with a ConfigError', () => {
    for (const spec of [null, 'x', 42, {}, { states: {}, equations: [] }, thermal({ states: { t: { unit: 'degC' } } }),
      thermal({ equations: 'dT/dt = 1' }), thermal({ parameters: { k: { value: NaN } } }), thermal({ parameters: { k: { value: 1, min: 2, max: 1 } } }),
      thermal({ timeUnit: 'kg' }), thermal({ solver: { method: 'euler' } }), thermal({ states: { T: { unit: 'furlongs/fortnight' } } }),
      thermal({ equations: ['dT/dt = 0', 'dT/dt = 1'] }), thermal({ equations: [] }), thermal({ inputs: { T: { value: 1 } } })]) {
      assert.throws(() => new PhysicsModel(spec), ConfigError, JSON.stringify(spec));
    }
  });

  it('stops runaway models with a clear error: not finite, step limit, wall-time limit', () => {
    const blowUp = new PhysicsModel({ states: { x: { initial: 1 } }, equations: ['dx/dt = x^2'], solver: { step: 0.01 } });
    assert.throws(() => blowUp.simulate({ duration: 10 }), (e) => e instanceof InputError && e.shortReason === 'not finite');
    const model = new PhysicsModel(thermal({ solver: { step: 1e-6 } }));
    assert.throws(() => model.simulate({ duration: 1e6 }), (e) => e instanceof InputError && e.shortReason === 'step limit');
    assert.throws(() => model.simulate({ duration: 100, maxSteps: 1e9, maxWallMs: 50 }), (e) => e instanceof InputError && e.shortReason === 'time limit');
    assert.throws(() => model.simulate({ duration: -1 }), InputError);
    assert.throws(() => model.simulate(null), InputError);
    assert.throws(() => new PhysicsModel(thermal({ states: { T: { unit: 'degC' } } })).simulate({ duration: 1 }), (e) => e instanceof InputError && /no initial value for state T/.test(e.message));
  });

  it('fills units from the twin model signals', () => {
    const spec = thermal();
    delete spec.states.T.unit;
    delete spec.inputs.P.unit;
    const units = { 'line/oven/temperature': 'degC', 'line/oven/power': 'W' };
    const filled = withSignalUnits(spec, (key) => units[key]);
    assert.equal(filled.states.T.unit, 'degC');
    assert.equal(filled.inputs.P.unit, 'W');
    const run = new PhysicsModel(filled).simulate({ duration: 60, inputs: { P: 2000 } });
    assert.ok(Math.abs(run.states.T.at(-1) - analytic(60)) < 1e-6);
  });
});
