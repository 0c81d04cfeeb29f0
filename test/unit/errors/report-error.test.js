'use strict';
/**
 * The one error path (reportError): a refusal goes to done(err). When Node-RED cannot copy the
 * message for the Catch node, that must not escape the input handler: for an async handler it
 * would be an unhandled rejection, which stops a real Node-RED.
 */
const assert = require('node:assert/strict');
const { reportError } = require('../../../dist/nodes/common/report-error');
const { InputError } = require('../../../dist/core/errors');
const { helper, load, collect, waitFor } = require('../../support/flow-helper');

/** A message Node-RED's cloneMessage cannot copy: a Buffer under an own "__proto__" key. */
function uncopyable(topic) {
  const payload = { signal: 5 };
  Object.defineProperty(payload, '__proto__', { value: Buffer.from('{"a":1}'), enumerable: true, writable: true, configurable: true });
  return { topic, payload };
}

describe('reportError', () => {
  it('sends the error to done(err), or to node.error(err, msg) without done', () => {
    const calls = [];
    const node = { error: (err, msg) => calls.push(['error', err.message, msg]) };
    const msg = { topic: 't' };
    assert.equal(reportError(node, new InputError('bad unit', 'no unit'), msg, (err) => calls.push(['done', err.message])), 'bad unit');
    assert.equal(reportError(node, new TypeError('x'), msg), 'internal error');
    assert.deepEqual(calls, [['done', 'no unit'], ['error', 'x', msg]]);
  });

  it('when done(err) throws (Node-RED could not copy the message), logs the error without the message and does not throw', () => {
    const calls = [];
    const node = { error: (err, msg) => calls.push([err.message, msg]) };
    const reason = reportError(node, new InputError('bad message', 'what is this'), { topic: 't' }, () => {
      throw new TypeError('Method get %TypedArray%.prototype.buffer called on incompatible receiver [object Object]');
    });
    assert.equal(reason, 'bad message');
    assert.deepEqual(calls, [['what is this', undefined]]);
    assert.equal(reportError({ error() {} }, Object.create(null), {}), 'internal error');
  });

  describe('in a flow, with an async input handler (twin-simulator)', () => {
    before(() => helper.startServer());
    after(() => helper.stopServer());
    afterEach(() => helper.unload());

    it('a refused message Node-RED cannot copy: no unhandled rejection, the Catch node still hears of it', async () => {
      const physics = {
        states: { T: { signal: 'l/oven/temperature', unit: 'K', initial: 300 } },
        inputs: { P: { signal: 'l/oven/power', unit: 'kW', value: 2 } },
        parameters: { k: { value: 0.05, unit: 'kW/K' }, C: { value: 50, unit: 'kJ/K' }, Ta: { value: 293, unit: 'K' } },
        equations: ['dT/dt = (P - k*(T - Ta)) / C'],
      };
      await load([
        { id: 'tab', type: 'tab', label: 'test' },
        { id: 'sim', type: 'twin-simulator', z: 'tab', persist: false, physics: JSON.stringify(physics), wires: [[], [], []] },
        { id: 'catch', type: 'catch', z: 'tab', scope: ['sim'], uncaught: false, wires: [['caught']] },
        { id: 'caught', type: 'helper', z: 'tab' },
      ]);
      const caught = collect('caught');
      const rejections = [];
      const onRejection = (err) => rejections.push(err);
      const saved = process.listeners('unhandledRejection');
      process.removeAllListeners('unhandledRejection');
      process.on('unhandledRejection', onRejection);
      try {
        helper.getNode('sim').receive(uncopyable('x'));
        await waitFor(() => caught.length > 0, 'the refusal at the Catch node');
        await new Promise((r) => setTimeout(r, 50));
        assert.deepEqual(rejections.map((e) => e.message), []);
        assert.match(caught[0].error.message, /expected a sample/);
      } finally {
        process.removeListener('unhandledRejection', onRejection);
        for (const l of saved) process.on('unhandledRejection', l);
      }
    });
  });
});
