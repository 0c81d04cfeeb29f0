'use strict';
const assert = require('node:assert/strict');
const { helper, load, collect, statuses, waitFor } = require('../support/flow-helper');

function sample(asset, signal, value, extra = {}) {
  const now = Date.now();
  return { topic: `${asset}/${signal}`, payload: { asset, signal, value, unit: null, quality: 'good', sourceTime: now, receivedTime: now, latencyMs: 0, ...extra } };
}

const pressModel = {
  schemaVersion: 1,
  revision: 7,
  name: 'test plant',
  assets: [{
    name: 'line1', kind: 'line', parameters: [], signals: [],
    children: [{
      name: 'press1', kind: 'machine', children: [], parameters: [],
      signals: [
        { name: 'temperature', unit: 'degC', maxAgeMs: 300, range: { min: 0, max: 100 } },
        { name: 'pressure', unit: 'bar', maxAgeMs: 60000 },
      ],
    }],
  }],
  relationships: [],
};

function stateFlow(stateSettings = {}, withModel = false) {
  return [
    { id: 'tab', type: 'tab', label: 'test' },
    ...(withModel ? [{ id: 'model', type: 'twin-model', name: 'test', model: pressModel }] : []),
    { id: 'state', type: 'twin-state', z: 'tab', model: withModel ? 'model' : '', persist: false, fidelityInterval: 0, ...stateSettings, wires: [['samples'], ['events'], ['answers']] },
    { id: 'samples', type: 'helper', z: 'tab' },
    { id: 'answers', type: 'helper', z: 'tab' },
    { id: 'events', type: 'helper', z: 'tab' },
    { id: 'catch', type: 'catch', z: 'tab', scope: ['state'], uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'tab' },
  ];
}

describe('twin-state', function () {
  beforeEach(() => helper.startServer());
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
  });

  it('adds every signal it sees without a model, passes samples on and answers get and snapshot', async function () {
    await load(stateFlow());
    const passed = collect('samples');
    const answers = collect('answers');
    const seen = statuses('state');
    const state = helper.getNode('state');
    state.receive(sample('plant/line1/press1', 'temperature', 71.5));
    state.receive(sample('plant/line1/press2', 'temperature', 65));
    state.receive(sample('plant/line1/press1', 'pressure', 6.1));
    await waitFor(() => passed.length === 3, 'three samples passed on');
    state.receive({ topic: 'get', payload: 'plant/**/temperature', requestId: 'r1' });
    await waitFor(() => answers.length === 1, 'an answer to get');
    assert.equal(answers[0].requestId, 'r1', 'the query message is kept');
    assert.deepEqual(answers[0].payload.map((s) => [s.key, s.value]).sort(), [['plant/line1/press1/temperature', 71.5], ['plant/line1/press2/temperature', 65]]);
    state.receive({ topic: 'snapshot' });
    await waitFor(() => answers.length === 2, 'an answer to snapshot');
    const { tree, table } = answers[1].payload;
    assert.equal(table.length, 3);
    assert.equal(tree.plant.line1.press1.pressure.value, 6.1);
    await waitFor(() => seen.some((s) => s.fill === 'green' && s.text === '3 signals'), 'status "3 signals"');
  });

  it('turns a signal stale by a timer, says so in the status, and fresh again on a new sample', async function () {
    await load(stateFlow({}, true));
    const events = collect('events');
    const seen = statuses('state');
    const state = helper.getNode('state');
    state.receive(sample('line1/press1', 'temperature', 50, { unit: 'degC' }));
    state.receive(sample('line1/press1', 'pressure', 5, { unit: 'bar' }));
    await waitFor(() => events.some((m) => m.topic === 'stale'), 'a stale event without any new sample', 3000);
    const stale = events.find((m) => m.topic === 'stale');
    assert.equal(stale.payload.key, 'line1/press1/temperature');
    assert.ok(stale.payload.ageMs >= 300 && stale.payload.ageMs < 1500, `age ${stale.payload.ageMs}`);
    assert.equal(stale.modelRevision, 7, 'events carry the model revision');
    await waitFor(() => seen.some((s) => s.fill === 'yellow' && s.text === '2 signals, 1 stale'), 'status "2 signals, 1 stale"');
    state.receive(sample('line1/press1', 'temperature', 51, { unit: 'degC' }));
    await waitFor(() => events.some((m) => m.topic === 'fresh' && m.payload.key === 'line1/press1/temperature'), 'a fresh event');
  });

  it('reports an unknown signal once as a configuration change and refuses bad samples without losing good ones', async function () {
    await load(stateFlow({ unknownSignals: 'add' }, true));
    const events = collect('events');
    const caught = collect('caught');
    const answers = collect('answers');
    const state = helper.getNode('state');
    state.receive(sample('line1/press1', 'humidity', 40));
    state.receive(sample('line1/press1', 'humidity', 41));
    state.receive(sample('line1/press1', 'pressure', Number.NaN));
    state.receive(sample('line1/press1', 'pressure', { nested: 1 }));
    state.receive({ topic: 'x', payload: 'garbage' });
    state.receive(sample('line1/press1', 'pressure', 4.5, { unit: 'bar' }));
    await waitFor(() => caught.length === 3, 'three refusals at the catch node');
    const unknown = events.filter((m) => m.topic === 'configuration/unknown-signal');
    assert.equal(unknown.length, 1, 'reported once');
    assert.equal(unknown[0].payload.key, 'line1/press1/humidity');
    state.receive({ topic: 'get', payload: 'line1/press1/pressure' });
    await waitFor(() => answers.length === 1, 'an answer');
    assert.equal(answers[0].payload[0].value, 4.5);
    assert.equal(({}).polluted, undefined);
  });

  it('takes an asset restored after a cluster takeover as one message (a sample per signal), keeps the good samples of a bad batch, passes none on', async function () {
    await load(stateFlow());
    const passed = collect('samples');
    const answers = collect('answers');
    const caught = collect('caught');
    const state = helper.getNode('state');
    const restored = ['temperature', 'pressure', 'speed'].map((signal, i) => sample('line1/m7', signal, 10 + i).payload);
    state.receive({ topic: 'line1/m7', payload: restored, restored: true });
    state.receive({ topic: 'line1/m8', payload: [sample('line1/m8', 'temperature', 20).payload, { ...sample('line1/m8', 'pressure', 0).payload, value: { nested: 1 } }, null], restored: true });
    await waitFor(() => caught.length === 1, 'the bad samples of the batch refused at the catch node, in one error');
    state.receive({ topic: 'get', payload: '**' });
    await waitFor(() => answers.length === 1, 'an answer');
    assert.deepEqual(answers[0].payload.map((s) => [s.key, s.value]).sort(), [
      ['line1/m7/pressure', 11], ['line1/m7/speed', 12], ['line1/m7/temperature', 10], ['line1/m8/temperature', 20],
    ]);
    assert.match(caught[0].error.message, /2 of 3 restored samples refused, the first: .*line1\/m8\/pressure: value must be/);
    assert.equal(passed.length, 0, 'restored state is no new observation: nothing passed on');
    // An array without the restored mark is no sample.
    state.receive({ topic: 'line1/m9', payload: restored });
    await waitFor(() => caught.length === 2, 'an unmarked array refused');
  });

  it('keeps desired beside reported values and flags a mismatch', async function () {
    await load(stateFlow());
    const answers = collect('answers');
    const state = helper.getNode('state');
    state.receive(sample('line1/press1', 'setpoint', 180));
    state.receive({ topic: 'desired', payload: { key: 'line1/press1/setpoint', value: 190 } });
    await waitFor(() => answers.length === 1, 'the desired answer');
    assert.equal(answers[0].payload.desired, 190);
    assert.equal(answers[0].payload.mismatch, true);
    state.receive(sample('line1/press1', 'setpoint', 190));
    state.receive({ topic: 'get', payload: 'line1/press1/setpoint' });
    await waitFor(() => answers.length === 2, 'the get answer');
    assert.equal(answers[1].payload[0].mismatch, false);
  });
  it('proposes a model from the samples of a learning window, by message and through the editor endpoint', async function () {
    await load(stateFlow());
    const answers = collect('answers');
    const state = helper.getNode('state');
    state.receive({ topic: 'learn', payload: 0.3 });
    state.receive(sample('line1/press1', 'temperature', 70, { unit: 'degC' }));
    state.receive(sample('line1/press1', 'pressure', 6, { unit: 'bar' }));
    state.receive(sample('line1/press2', 'temperature', 65, { unit: 'degC' }));
    await waitFor(() => answers.some((m) => m.topic === 'proposal'), 'a proposal when the window ends', 3000);
    const proposal = answers.find((m) => m.topic === 'proposal').payload;
    const line1 = proposal.assets.find((a) => a.name === 'line1');
    const press1 = line1.children.find((a) => a.name === 'press1');
    assert.deepEqual(press1.signals.map((sig) => [sig.name, sig.unit]).sort(), [['pressure', 'bar'], ['temperature', 'degC']]);

    const started = await helper.request().post('/twinloop/states/state/learn').send({ seconds: 30 }).expect(200);
    assert.equal(started.body.running, true);
    state.receive(sample('line2/oven1', 'temperature', 180, { unit: 'degC' }));
    await new Promise((r) => setTimeout(r, 50));
    const during = await helper.request().get('/twinloop/states/state/learn').expect(200);
    assert.equal(during.body.signals, 1);
    assert.equal(during.body.proposal.assets[0].name, 'line2');
    await helper.request().post('/twinloop/states/state/learn').send({ seconds: -1 }).expect(400);
    await helper.request().get('/twinloop/states/nope/learn').expect(404);
  });

  it('takes samples built by a function node (another JavaScript realm)', async function () {
    const flow = stateFlow();
    flow.push({ id: 'fn', type: 'function', z: 'tab', outputs: 1, wires: [['state']],
      func: "const now = Date.now(); return { topic: 'a/b', payload: { asset: 'a', signal: 'b', value: 3, unit: null, quality: 'good', sourceTime: now, receivedTime: now, latencyMs: 0 } };" });
    await load(flow);
    const passed = collect('samples');
    const caught = collect('caught');
    helper.getNode('fn').receive({});
    await waitFor(() => passed.length + caught.length === 1, 'the sample or a refusal');
    assert.deepEqual(caught.map((m) => m.error.message), []);
  });

  it('reports fidelity periodically, overall and per asset', async function () {
    await load(stateFlow({ fidelityInterval: 1 }));
    const answers = collect('answers');
    const state = helper.getNode('state');
    state.receive(sample('line1/press1', 'temperature', 70));
    state.receive(sample('line1/press2', 'temperature', 71));
    await waitFor(() => answers.some((m) => m.topic === 'fidelity/report'), 'a periodic report', 3000);
    const report = answers.find((m) => m.topic === 'fidelity/report').payload;
    assert.equal(report.overall.signals, 2);
    assert.deepEqual(Object.keys(report.assets).sort(), ['line1/press1', 'line1/press2']);
    assert.equal(report.assets['line1/press2'].signals, 1);
  });

  // Persistence across a real Node-RED restart: test/integration/restart-persistence.test.js.
});
