'use strict';
const assert = require('node:assert/strict');
const { readTopic } = require('../../../dist/nodes/twin-optimizer/requests');
const { InputError } = require('../../../dist/core/errors');

describe('twin-optimizer requests: msg.topic', () => {
  it('takes the request topics', () => {
    for (const topic of ['optimise', 'optimize', 'stop', 'schedule', 'layout']) assert.equal(readTopic({ topic }), topic);
  });

  it('refuses any other topic, repeating only its start', () => {
    const topic = 'shop/m0/running'.repeat(5000);
    assert.throws(() => readTopic({ topic }), (e) => {
      assert.ok(e instanceof InputError);
      assert.equal(e.shortReason, 'unknown request');
      assert.equal(e.topic, `${topic.slice(0, 60)}…`);
      assert.ok(e.message.length < 300, `${e.message.length} chars`);
      assert.match(e.message, /got "(shop\/m0\/running){4}…"$/);
      return true;
    });
    assert.throws(() => readTopic({ topic: 42 }), (e) => e instanceof InputError && e.topic === 'twin-optimizer');
  });
});

describe('twin-optimizer: machines reported down', () => {
  const { downWindows } = require('../../../dist/nodes/twin-optimizer/requests');
  const availability = { 'shop/m2/running': { machine: 2, repair: 30 }, 'shop/m0/running': { machine: 0, stage: 0, repair: 10 } };

  it('keeps a down machine free for its repair time; a name of Object.prototype is no machine', () => {
    assert.deepEqual(downWindows(availability, new Set(['shop/m2/running']), false), [{ machine: 2, start: 0, end: 30 }]);
    assert.deepEqual(downWindows(availability, new Set(['shop/m0/running']), true), [{ stage: 0, machine: 0, start: 0, end: 10 }]);
    assert.deepEqual(downWindows(availability, new Set(['constructor', '__proto__', 'toString', 'hasOwnProperty']), false), []);
  });

  describe('in a flow', () => {
    const { helper, load, collect, waitFor } = require('../../support/flow-helper');
    before(() => helper.startServer());
    after(() => helper.stopServer());
    afterEach(() => helper.unload());

    it('a sample on a topic such as "constructor" does not mark a machine down nor spoil the next schedule', async function () {
      this.timeout(20000);
      await load([
        { id: 'tab', type: 'tab', label: 'test' },
        { id: 'opt', type: 'twin-optimizer', z: 'tab', availability: JSON.stringify(availability), wires: [['results'], ['progress']] },
        { id: 'results', type: 'helper', z: 'tab' },
        { id: 'progress', type: 'helper', z: 'tab' },
        { id: 'catch', type: 'catch', z: 'tab', scope: ['opt'], uncaught: false, wires: [['caught']] },
        { id: 'caught', type: 'helper', z: 'tab' },
      ]);
      const [results, caught] = ['results', 'caught'].map(collect);
      const opt = helper.getNode('opt');
      for (const topic of ['constructor', '__proto__', 'toString']) opt.receive({ topic, payload: false });
      opt.receive({ topic: 'schedule', payload: { instance: '3 3\n0 3 1 2 2 2\n0 2 2 1 1 4\n1 4 2 3 0 1\n' }, timeLimit: 0.5, requestId: 's' });
      await waitFor(() => results.length > 0 || caught.length > 3, 'the schedule');
      // not samples of a followed machine: refused as unknown requests
      assert.equal(caught.length, 3);
      assert.ok(caught.every((m) => /msg\.topic must be one of/.test(m.error.message)), caught.map((m) => m.error.message).join(' | '));
      assert.equal(results[0].payload.operations.length, 9);
      const statuses = opt.status.getCalls().map((c) => c.args[0].text);
      assert.ok(!statuses.some((t) => /down/.test(t)), statuses.join(' | '));
    });
  });
});
