'use strict';
const assert = require('node:assert/strict');
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
const options = { horizonS: 10, replications: 2, seed: 1, timeLimitMs: 5000, hybrid: true };

/** A plant with radiation-like losses the physics lacks: dT/dt = (P - k (T-Ta) - c (T-Ta)^2) / C. */
function plant(T, P, dt) {
  for (let i = 0; i < dt * 10; i++) T += (0.1 * (P - 0.05 * (T - 293) - 0.001 * (T - 293) ** 2)) / 50;
  return T;
}

describe('SimulatorRuntime', () => {
  it('learns the residual online from its own predictions: hybrid beats physics on later data', async function () {
    this.timeout(30000);
    const rt = new SimulatorRuntime({ physics }, options);
    let T = 300;
    let t = 0;
    const t0 = Date.now() - 10_000_000;
    const errors = { physics: [], hybrid: [] };
    const due = new Map();
    for (let step = 0; step < 1400; step++) {
      const P = 1 + 3 * (Math.floor(step / 60) % 4) / 3; // a staircase of heating powers
      rt.observe(POWER, P, t0 + t * 1000);
      rt.observe(TEMP, T, t0 + t * 1000);
      const check = due.get(t);
      if (check && step > 1000) {
        errors.physics.push((check.physics - T) ** 2);
        errors.hybrid.push((check.value - T) ** 2);
      }
      for (const p of rt.predictNow(Date.now())) due.set((p.time - t0) / 1000, p);
      // Predictions come on a timer in the node, so the event loop runs between them: the
      // automatic retraining (every 100 new rows) gets its slices. Waiting for it to finish keeps
      // the result independent of how busy the machine is.
      if (step % 200 === 0) await rt.learning.settled();
      if (step === 900) {
        const trained = await rt.train({ model: 'residual' });
        assert.equal(trained.states.T.applied, true);
        // How long a slice blocks the event loop is measured by bench/simulator-node, not here.
        assert.ok(trained.states.T.epochs > 0);
      }
      T = plant(T, P, 1);
      t += 1;
    }
    const rmse = (a) => Math.sqrt(a.reduce((s, x) => s + x, 0) / a.length);
    assert.ok(errors.hybrid.length > 300);
    const ratio = rmse(errors.hybrid) / rmse(errors.physics);
    assert.ok(ratio < 0.7, `hybrid/physics RMSE ${ratio.toFixed(3)} (physics ${rmse(errors.physics).toFixed(3)} K)`);
    assert.match(rt.learning.summary(), /hybrid on/);
    await rt.close();
  });

  it('keeps calibration, scenarios and learned models across a save and restore; drops what no longer fits', async () => {
    const rt = new SimulatorRuntime({ physics }, options);
    rt.calibrated = { k: 0.06 };
    await rt.whatif({ parameters: { k: 0.04 }, duration: 60 }, Date.now());
    const saved = JSON.parse(JSON.stringify(rt.toJSON()));
    await rt.close();
    const again = new SimulatorRuntime({ physics }, options);
    assert.deepEqual(again.restore(saved), []);
    assert.deepEqual(again.calibrated, { k: 0.06 });
    assert.equal(again.store.size, 1);
    const { k: _k, ...others } = physics.parameters;
    const changed = new SimulatorRuntime({ physics: { ...physics, parameters: { ...others, kk: { value: 1, unit: 'kW/K' } }, equations: ['dT/dt = (P - kk*(T - Ta)) / C'] } }, options);
    const dropped = changed.restore({ ...saved, calibrated: { k: 0.06, C: 'x' } });
    assert.ok(dropped.includes('calibrated k') && dropped.includes('calibrated C'), dropped.join());
    assert.deepEqual(changed.restore('garbage'), ['saved state of an unknown version']);
    await again.close();
    await changed.close();
  });

  it('refuses requests that cannot be served, with the reason', async () => {
    const rt = new SimulatorRuntime({ physics }, { ...options, hybrid: false });
    await assert.rejects(rt.calibrate({}, Date.now()), (e) => e instanceof InputError && /no samples/.test(e.message));
    await assert.rejects(rt.train({}), (e) => e instanceof InputError && e.shortReason === 'hybrid off');
    await assert.rejects(rt.whatif({ surrogate: true, settings: {} }, Date.now()), (e) => e.shortReason === 'not trained');
    await assert.rejects(rt.predict({ health: { rows: [[1]] } }, Date.now()), (e) => e.shortReason === 'not trained');
    await assert.rejects(rt.whatif({ line: { stations: {} } }, Date.now()), (e) => e.shortReason === 'no line');
    await rt.close();
  });
});
