'use strict';
/**
 * What the gate node reads from a message (its front door): what it cannot place is refused
 * with an InputError before any of it is kept. The last test runs the node in a flow: a refused
 * scored sample leaves nothing behind that breaks the next candidate.
 */
const assert = require('node:assert/strict');
const { readInput } = require('../../../dist/nodes/twin-gate/messages');
const { InputError } = require('../../../dist/core/errors');
const { helper, load, collect, waitFor } = require('../../support/flow-helper');

const key = 'line1/m1/speedSetpoint';
const counterfactual = { ok: true, value: 1, scenarios: 5, kpis: [{ name: 'throughput', pass: true }], reasons: [] };
const candidateMsg = (evidence) => ({ topic: 'candidate', payload: { id: 'c1', kind: 'setpoints', targets: ['line1/m1'], setpoints: { [key]: 100 }, predicted: { kpis: { throughput: 100 } }, evidence } });

function refused(msg, shortReason, pattern) {
  assert.throws(() => readInput(msg), (e) => {
    assert.ok(e instanceof InputError, `${e && e.constructor.name}: ${e && e.message}`);
    assert.equal(e.shortReason, shortReason);
    if (pattern) assert.match(e.message, pattern);
    return true;
  });
}

describe('twin-gate messages: what the gate reads from a message', () => {
  it('refuses a scored sample with an empty signal name and no key, instead of keeping an undefined key', () => {
    refused({ topic: 'line1/m1/', payload: { asset: 'line1/m1', signal: '', value: 1, expected: 1, severity: 'ok' } }, 'bad sample', /needs a signal name/);
    refused({ topic: 'x', payload: { signal: '', value: 1, expected: 1, severity: 'alarm' } }, 'bad sample');
    assert.deepEqual(readInput({ topic: 'x', payload: { asset: 'line1/m1', signal: 'speedSetpoint', value: 1, expected: 1, severity: 'warning' } }), { kind: 'severity', key, severity: 'warning', value: 1 });
    assert.equal(readInput({ topic: 'x', payload: { key, signal: '', value: 1, expected: 1, severity: 'ok' } }).key, key);
  });

  it('refuses evidence whose fidelity is not a list of {key, error?, severity?}', () => {
    for (const fidelity of [{}, 'abc', 5, { key }, [null], [{ key: 3 }], [{ key: '' }], [{ key, error: -1 }], [{ key, error: 'x' }], [{ key, severity: 'toString' }], [Object.create(null)]]) {
      refused(candidateMsg({ fidelity }), 'bad evidence', /evidence\.fidelity/);
    }
    assert.equal(readInput(candidateMsg({ fidelity: [{ key, error: 0.01 }, { key, severity: 'alarm' }] })).kind, 'candidate');
  });

  it('refuses evidence whose availability is not an object of signals, summary, calibrated and drifting', () => {
    for (const availability of [[], 'ok', 1, null, { signals: {} }, { signals: [null] }, { signals: [{ value: 1 }] }, { summary: 3 }, { calibrated: 'yes' }, { drifting: 'line1/m1' }, { drifting: [{}] }]) {
      refused(candidateMsg({ availability }), 'bad evidence', /evidence\.availability/);
    }
    assert.equal(readInput(candidateMsg({ availability: { signals: [{ key, value: 100, quality: 'good', stale: false }], drifting: [], calibrated: true } })).kind, 'candidate');
  });

  it('refuses a counterfactual whose KPIs or reasons are not what the score reads', () => {
    for (const cf of [{ ...counterfactual, kpis: [null] }, { ...counterfactual, kpis: [{ name: 'x' }] }, { ...counterfactual, reasons: [{}] }, { ...counterfactual, scenarios: Infinity }]) {
      refused(candidateMsg({ counterfactual: cf }), 'bad evidence', /evidence\.counterfactual/);
    }
    assert.equal(readInput(candidateMsg({ counterfactual })).kind, 'candidate');
  });

  it('repeats only the start of a long unknown topic or evidence field', () => {
    const topic = 'commandcommand'.repeat(3000);
    assert.throws(() => readInput({ topic, payload: [] }), (e) => e instanceof InputError && e.shortReason === 'unknown input' && e.message.length < 600);
    assert.throws(() => readInput(candidateMsg({ ['f'.repeat(9000)]: 1 })), (e) => e instanceof InputError && e.message.length < 300);
  });

  describe('in a flow', () => {
    before(() => helper.startServer());
    after(() => helper.stopServer());
    afterEach(() => helper.unload());

    it('after a refused scored sample with no signal name, a candidate is still scored (no TypeError)', async () => {
      await load([
        { id: 'tab', type: 'tab', label: 'test' },
        { id: 'gate', type: 'twin-gate', z: 'tab', persist: false, approval: 'marginal', envelope: JSON.stringify({ 'line1/*/speedSetpoint': { min: 50, max: 150, maxStep: 30 } }), wires: [['writes'], ['desired'], ['notes']] },
        { id: 'writes', type: 'helper', z: 'tab' },
        { id: 'desired', type: 'helper', z: 'tab' },
        { id: 'notes', type: 'helper', z: 'tab' },
        { id: 'catch', type: 'catch', z: 'tab', scope: ['gate'], uncaught: false, wires: [['caught']] },
        { id: 'caught', type: 'helper', z: 'tab' },
      ]);
      const [notes, caught] = ['notes', 'caught'].map(collect);
      const gate = helper.getNode('gate');
      gate.receive({ topic: 'line1/m1/', payload: { asset: 'line1/m1', signal: '', value: 1, expected: 1, severity: 'ok' } });
      await waitFor(() => caught.length === 1, 'the refusal at the Catch node');
      assert.match(caught[0].error.message, /line1\/m1\/: a scored sample needs a signal name/);
      gate.receive({ payload: { asset: 'line1/m1', signal: 'speedSetpoint', value: 100, quality: 'good' } });
      gate.receive(candidateMsg({ fidelity: [{ key, error: 0.01 }], counterfactual }));
      await waitFor(() => notes.some((n) => n.topic === 'verdict') || caught.length > 1, 'a verdict');
      assert.deepEqual(caught.slice(1).map((m) => m.error.message), []);
      assert.ok(notes.find((n) => n.topic === 'verdict').payload.score > 0);
    });
  });
});
