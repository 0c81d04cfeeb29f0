'use strict';
const assert = require('assert/strict');
const { integrateRk4, integrateAdaptive } = require('../../../dist/core/simulation/ode');
const { InputError, ConfigError } = require('../../../dist/core/errors');

function refused(fn, Type, reason, messageRe) {
  assert.throws(fn, (err) => {
    assert.ok(err instanceof Type, `expected ${Type.name}, got ${err && err.name}: ${err && err.message}`);
    if (reason) assert.equal(err.shortReason, reason);
    if (messageRe) assert.match(err.message, messageRe);
    return true;
  });
}

// First-order lag dy/dt = (u - y)/tau, y(0) = 0: y = u(1 - e^{-t/tau}).
const u = 2;
const tau = 1;
const lag = (t, y, dydt) => {
  dydt[0] = (u - y[0]) / tau;
};
const lagExact = (t) => u * (1 - Math.exp(-t / tau));

// Harmonic oscillator x'' = -w^2 x as a first-order system.
const w = 2;
const oscillator = (t, y, dydt) => {
  dydt[0] = y[1];
  dydt[1] = -w * w * y[0];
};
const energy = (y) => 0.5 * (y[1] * y[1] + w * w * y[0] * y[0]);

describe('simulation ode: integrateRk4', () => {
  it('first-order lag: error <= 1e-6 at t = 5 with dt = 0.01', () => {
    const y = integrateRk4(lag, [0], 0, 5, 0.01);
    assert.ok(y instanceof Float64Array);
    assert.ok(Math.abs(y[0] - lagExact(5)) <= 1e-6, `error ${Math.abs(y[0] - lagExact(5))}`);
  });

  it('is fourth order: halving dt cuts the error by about 16', () => {
    const e1 = Math.abs(integrateRk4(lag, [0], 0, 2, 0.2)[0] - lagExact(2));
    const e2 = Math.abs(integrateRk4(lag, [0], 0, 2, 0.1)[0] - lagExact(2));
    const ratio = e1 / e2;
    assert.ok(ratio > 12 && ratio < 20, `ratio ${ratio}`);
  });

  it('lands exactly on t1 when dt does not divide the span', () => {
    const y = integrateRk4(lag, [0], 0, 0.95, 0.1);
    assert.ok(Math.abs(y[0] - lagExact(0.95)) <= 1e-6);
  });

  it('integrates backwards when t1 < t0', () => {
    const y = integrateRk4(lag, [lagExact(3)], 3, 0, 0.01);
    assert.ok(Math.abs(y[0]) <= 1e-6, `y(0) = ${y[0]}`);
  });

  it('harmonic oscillator: small energy drift over 50 periods', () => {
    const y = integrateRk4(oscillator, [1, 0], 0, 50 * Math.PI, 0.001);
    const drift = Math.abs(energy(y) - energy([1, 0])) / energy([1, 0]);
    assert.ok(drift < 1e-8, `drift ${drift}`);
    assert.ok(Math.abs(y[0] - Math.cos(w * 50 * Math.PI)) < 1e-6);
  });

  it('does not modify y0 and returns y0 for an empty span', () => {
    const y0 = [1, 2];
    const y = integrateRk4(oscillator, y0, 1, 1, 0.1);
    assert.deepEqual([...y], [1, 2]);
    integrateRk4(oscillator, y0, 0, 1, 0.1);
    assert.deepEqual(y0, [1, 2]);
  });

  it('NaN in the state: InputError "not finite" naming the time', () => {
    refused(() => integrateRk4((t, y, d) => { d[0] = t >= 0.5 ? NaN : 1; }, [0], 0, 1, 0.1), InputError, 'not finite', /at t = 0\.5$/);
    refused(() => integrateRk4(lag, [Infinity], 0, 1, 0.1), InputError, 'not finite', /t = 0/);
  });

  it('refuses a bad step or time span', () => {
    refused(() => integrateRk4(lag, [0], 0, 1, 0), ConfigError);
    refused(() => integrateRk4(lag, [0], 0, 1, -0.1), ConfigError);
    refused(() => integrateRk4(lag, [0], 0, NaN, 0.1), ConfigError);
    refused(() => integrateRk4(lag, [], 0, 1, 0.1), ConfigError);
  });
});

describe('simulation ode: integrateAdaptive (Dormand-Prince 5(4))', () => {
  it('first-order lag with rtol 1e-8: error <= 1e-6', () => {
    const y = integrateAdaptive(lag, [0], 0, 5, { rtol: 1e-8 });
    assert.ok(Math.abs(y[0] - lagExact(5)) <= 1e-6, `error ${Math.abs(y[0] - lagExact(5))}`);
  });

  it('takes far fewer evaluations than fixed-step RK4 for the same accuracy', () => {
    let calls = 0;
    const counted = (t, y, d) => { calls++; lag(t, y, d); };
    integrateAdaptive(counted, [0], 0, 5, { rtol: 1e-8 });
    assert.ok(calls < 4 * 500, `${calls} evaluations`);
  });

  it('harmonic oscillator: accurate phase and small energy drift over 50 periods', () => {
    const y = integrateAdaptive(oscillator, [1, 0], 0, 50 * Math.PI, { rtol: 1e-10, atol: 1e-12 });
    const drift = Math.abs(energy(y) - energy([1, 0])) / energy([1, 0]);
    assert.ok(drift < 1e-6, `drift ${drift}`);
    assert.ok(Math.abs(y[0] - 1) < 1e-5 && Math.abs(y[1]) < 1e-4, `y = ${[...y]}`);
  });

  it('integrates backwards when t1 < t0', () => {
    const t0 = 10;
    const y = integrateAdaptive(oscillator, [Math.cos(w * t0), -w * Math.sin(w * t0)], t0, 0, { rtol: 1e-10, atol: 1e-12 });
    assert.ok(Math.abs(y[0] - 1) < 1e-6 && Math.abs(y[1]) < 1e-6, `y = ${[...y]}`);
  });

  it('stiff-ish relaxation to a moving target stays accurate', () => {
    // y' = -1000 (y - cos t), y(0) = 1: y ≈ cos t + sin t / 1000 after the fast transient.
    const k = 1000;
    const f = (t, y, d) => { d[0] = -k * (y[0] - Math.cos(t)); };
    const y = integrateAdaptive(f, [1], 0, 1, { rtol: 1e-6, atol: 1e-9 });
    const exact = (k * k * Math.cos(1) + k * Math.sin(1)) / (k * k + 1);
    assert.ok(Math.abs(y[0] - exact) < 1e-5, `${y[0]} vs ${exact}`);
  });

  it('maxSteps exceeded: InputError "step limit"', () => {
    refused(() => integrateAdaptive(oscillator, [1, 0], 0, 1000, { maxSteps: 10 }), InputError, 'step limit');
  });

  it('NaN in the state or derivative: InputError "not finite" naming the time', () => {
    refused(() => integrateAdaptive((t, y, d) => { d[0] = t > 0.5 ? NaN : 1; }, [0], 0, 1), InputError, 'not finite', /t = 0\.5/);
    refused(() => integrateAdaptive(lag, [NaN], 0, 1), InputError, 'not finite', /t = 0/);
    refused(() => integrateAdaptive((t, y, d) => { d[0] = Infinity; }, [0], 2, 3), InputError, 'not finite', /t = 2/);
  });

  it('a solution that blows up stops with an InputError, not a hang', () => {
    // y' = y^2, y(0) = 1 has a pole at t = 1.
    assert.throws(() => integrateAdaptive((t, y, d) => { d[0] = y[0] * y[0]; }, [1], 0, 2), InputError);
  });

  it('honours hInit and refuses bad options', () => {
    const y = integrateAdaptive(lag, [0], 0, 5, { rtol: 1e-8, hInit: 0.001 });
    assert.ok(Math.abs(y[0] - lagExact(5)) <= 1e-6);
    refused(() => integrateAdaptive(lag, [0], 0, 1, { rtol: -1 }), ConfigError);
    refused(() => integrateAdaptive(lag, [0], 0, 1, { maxSteps: 0 }), ConfigError);
    refused(() => integrateAdaptive(lag, [0], 0, 1, { hInit: 0 }), ConfigError);
  });
});
