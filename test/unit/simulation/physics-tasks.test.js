'use strict';
const assert = require('node:assert/strict');
const { PhysicsModel } = require('../../../dist/core/simulation/physics');
const { runPhysics } = require('../../../dist/core/simulation/physics-tasks');
const { SimulatorRuntime } = require('../../../dist/core/simulation/runtime');
const { InputError } = require('../../../dist/core/errors');

const TEMP = 'l/oven/temperature';
const POWER = 'l/oven/power';
const physics = {
  states: { T: { signal: TEMP, unit: 'K', initial: 300 } },
  inputs: { P: { signal: POWER, unit: 'kW', value: 2 } },
  parameters: { k: { value: 0.05, unit: 'kW/K' }, C: { value: 50, unit: 'kJ/K' }, Ta: { value: 293, unit: 'K' } },
  equations: ['dT/dt = (P - k*(T - Ta)) / C'],
};
const start = { time: 1_000_000, initial: { T: 300 }, inputs: { P: 2 }, unsynced: [] };

/** The request is refused with an InputError whose message names `what`. */
function refused(request, shortReason, what) {
  const model = new PhysicsModel(physics);
  assert.throws(() => runPhysics(model, start, {}, { durationS: 10, ...request }), (e) => {
    assert.ok(e instanceof InputError, `${e && e.constructor.name}: ${e && e.message}`);
    assert.equal(e.shortReason, shortReason);
    assert.match(e.message, what);
    assert.ok(e.message.length < 300, `${e.message.length} chars`);
    return true;
  });
}

describe('runPhysics: the request\'s inputs and boundary values', () => {
  it('runs with a number, a series and a boundary series', () => {
    const model = new PhysicsModel(physics);
    const a = runPhysics(model, start, {}, { durationS: 10, inputs: { P: 3 } });
    const b = runPhysics(model, start, {}, { durationS: 10, inputs: { P: { t: [0, 10], v: [3, 3] } } });
    const c = runPhysics(model, start, {}, { durationS: 10, boundary: { [POWER]: { t: [start.time, start.time + 10_000], v: [3, 3] } } });
    assert.ok(Math.abs(a.final.T - b.final.T) < 1e-9);
    assert.ok(Math.abs(a.final.T - c.final.T) < 1e-9);
    assert.ok(a.final.T > 300);
  });

  it('refuses an input that is an object without {t, v}, null, text or a boolean, naming the input', () => {
    for (const bad of [{}, null, 'abc', true, { t: [0], v: [] }, { t: [0, 'x'], v: [1, 2] }, Object.create(null), [1, 2]]) {
      refused({ inputs: { P: bad } }, 'bad input', /input P must be a finite number or \{t: \[\.\.\.\], v: \[\.\.\.\]\}/);
    }
  });

  it('refuses a boundary value that is not a number or a series, naming the signal', () => {
    for (const bad of [{}, null, 'abc', false]) refused({ boundary: { [POWER]: bad } }, 'bad input', /boundary l\/oven\/power must be/);
    refused({ boundary: 'text' }, 'bad request', /boundary must be an object/);
    refused({ inputs: [1] }, 'bad request', /inputs must be an object/);
  });

  it('refuses an unknown input with its name clipped', () => {
    refused({ inputs: { ['Q'.repeat(5000)]: 1 } }, 'unknown input', /no input "Q{60}…" \(known: P\)/);
  });

  it('a what-if with such an input comes back from the worker thread as an InputError, not an internal error', async function () {
    this.timeout(20000);
    const rt = new SimulatorRuntime({ physics }, { horizonS: 10, replications: 1, seed: 1, timeLimitMs: 5000 });
    try {
      for (const P of [{}, null, 'abc', true]) {
        await assert.rejects(rt.whatif({ duration: 10, inputs: { P } }, Date.now()), (e) => e instanceof InputError && e.shortReason === 'bad input' && /input P must be/.test(e.message));
      }
      await assert.rejects(rt.whatif({ duration: 10, signals: { [POWER]: {} } }, Date.now()), (e) => e instanceof InputError && /boundary l\/oven\/power/.test(e.message));
      const ok = await rt.whatif({ duration: 10, inputs: { P: 2 } }, Date.now());
      assert.ok(ok.physics.final.T > 300);
    } finally {
      await rt.close();
    }
  });
});
