'use strict';
/**
 * twin-simulator's prediction timer has no message to hand a Catch node, so a failing prediction
 * is logged with node.error(err) and shown in the status: once per distinct reason, not on every tick.
 */
const assert = require('node:assert/strict');
const { helper, load, collect, waitFor } = require('../../support/flow-helper');

const TEMP = 'line1/oven/temperature';
const physics = {
  states: { T: { signal: TEMP, unit: 'degC', initial: 20 } },
  inputs: { P: { signal: 'line1/oven/power', unit: 'kW', value: 2 } },
  parameters: { eta: { value: 0.9 }, k: { value: 0.05, unit: 'kW/K' }, C: { value: 50, unit: 'kJ/K' }, T_amb: { value: 20, unit: 'degC' } },
  equations: ['dT/dt = (P*eta - k*(T - T_amb)) / C'],
};

describe('twin-simulator prediction timer', () => {
  before(() => helper.startServer());
  after(() => helper.stopServer());
  afterEach(() => helper.unload());

  it('logs a failing prediction once while it keeps failing for the same reason, and recovers', async function () {
    this.timeout(20000);
    await load([
      { id: 'tab', type: 'tab', label: 'test' },
      { id: 'sim', type: 'twin-simulator', z: 'tab', persist: false, physics: JSON.stringify(physics), horizon: 10, predictEvery: 0.05, wires: [['answers'], ['predictions'], ['events']] },
      { id: 'answers', type: 'helper', z: 'tab' },
      { id: 'predictions', type: 'helper', z: 'tab' },
      { id: 'events', type: 'helper', z: 'tab' },
    ]);
    const sim = helper.getNode('sim');
    const predictions = collect('predictions');
    const logged = [];
    const error = sim.error;
    sim.error = function (err, msg) {
      if (!msg) logged.push(err);
      return error.call(this, err, msg);
    };
    sim.receive({ topic: 'line1/oven/power', payload: 2 });
    sim.receive({ topic: TEMP, payload: 20 });
    await waitFor(() => predictions.length > 0, 'a prediction');
    // 1e307 degC: the heat loss in W overflows to Infinity, so every prediction fails the same way.
    sim.receive({ topic: TEMP, payload: 1e307 });
    await waitFor(() => logged.length > 0, 'the failure logged');
    await new Promise((r) => setTimeout(r, 600)); // a dozen more ticks, all failing
    assert.equal(logged.length, 1, logged.map((e) => e.message).join(' | '));
    assert.equal(logged[0].shortReason, 'not finite');
    const statuses = sim.status.getCalls().map((c) => c.args[0]);
    assert.match(statuses[statuses.length - 1].text, /prediction failed: not finite/);
    // back to a sane value: predictions resume; a new failure is logged again
    sim.receive({ topic: TEMP, payload: 25 });
    const before = predictions.length;
    await waitFor(() => predictions.length > before, 'predictions again');
    sim.receive({ topic: TEMP, payload: 1e307 });
    await waitFor(() => logged.length === 2, 'the second failure logged');
  });
});
