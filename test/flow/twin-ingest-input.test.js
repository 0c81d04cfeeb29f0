'use strict';
const assert = require('node:assert/strict');
const { helper, load, collect, statuses, waitFor } = require('../support/flow-helper');

function ingestFlow(settings = {}) {
  return [
    { id: 'tab', type: 'tab', label: 'test' },
    { id: 'ingest', type: 'twin-ingest', z: 'tab', name: '', ...settings, wires: [['out']] },
    { id: 'out', type: 'helper', z: 'tab' },
    { id: 'catch', type: 'catch', z: 'tab', scope: ['ingest'], uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'tab' },
  ];
}

describe('twin-ingest, messages on its input (no source)', function () {
  beforeEach(() => helper.startServer());
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
  });

  it('normalises with default settings: asset and signal from the topic', async function () {
    await load(ingestFlow());
    const out = collect('out');
    const before = Date.now();
    helper.getNode('ingest').receive({ topic: 'plant/line1/press1/temperature', payload: 23.5, correlation: 'abc' });
    await waitFor(() => out.length === 1, 'one sample');
    const msg = out[0];
    assert.equal(msg.topic, 'plant/line1/press1/temperature');
    assert.equal(msg.correlation, 'abc', 'the rest of the input message is kept');
    const { asset, signal, value, unit, quality, sourceTime, receivedTime, latencyMs } = msg.payload;
    assert.deepEqual({ asset, signal, value, unit, quality }, { asset: 'plant/line1/press1', signal: 'temperature', value: 23.5, unit: null, quality: 'good' });
    assert.ok(receivedTime >= before && receivedTime <= Date.now());
    assert.equal(sourceTime, receivedTime, 'no source time: receive time stands in');
    assert.equal(latencyMs, 0);
  });

  it('reads text with units, JSON objects with time and quality, and booleans', async function () {
    await load(ingestFlow());
    const out = collect('out');
    const ingest = helper.getNode('ingest');
    const measured = Date.now() - 1500;
    ingest.receive({ topic: 'p/l/m/pressure', payload: '1.2 bar' });
    ingest.receive({ topic: 'p/l/m/flow', payload: JSON.stringify({ value: 12.5, unit: 'l/min', ts: new Date(measured).toISOString(), quality: 'uncertain' }) });
    ingest.receive({ topic: 'p/l/m/running', payload: true });
    await waitFor(() => out.length === 3, 'three samples');
    const bySignal = Object.fromEntries(out.map((m) => [m.payload.signal, m.payload]));
    assert.equal(bySignal.pressure.value, 1.2);
    assert.equal(bySignal.pressure.unit, 'bar');
    assert.equal(bySignal.flow.value, 12.5);
    assert.equal(bySignal.flow.quality, 'uncertain');
    assert.equal(bySignal.flow.sourceTime, measured);
    assert.ok(bySignal.flow.latencyMs >= 1500 && bySignal.flow.latencyMs < 5000, `latency ${bySignal.flow.latencyMs}`);
    assert.equal(bySignal.running.value, true);
  });

  it('converts to the canonical unit of a signal row and scales raw counts', async function () {
    await load(ingestFlow({
      signals: [
        { match: '+/+/+/temperature', unit: 'degC' },
        { match: '+/+/+/level', unit: '', rawLow: '0', rawHigh: '4095', low: '0', high: '100' },
      ],
    }));
    const out = collect('out');
    const ingest = helper.getNode('ingest');
    ingest.receive({ topic: 'p/l/m/temperature', payload: '212 °F' });
    ingest.receive({ topic: 'p/l/m/level', payload: 2047.5 });
    await waitFor(() => out.length === 2, 'two samples');
    const temperature = out.find((m) => m.payload.signal === 'temperature').payload;
    assert.ok(Math.abs(temperature.value - 100) < 1e-9, `212 °F is 100 °C, got ${temperature.value}`);
    assert.equal(temperature.unit, 'degC');
    const level = out.find((m) => m.payload.signal === 'level').payload;
    assert.ok(Math.abs(level.value - 50) < 1e-9, `half scale is 50, got ${level.value}`);
  });

  it('refuses garbage with a catchable error naming the topic, keeps going, and counts it in the status', async function () {
    await load(ingestFlow());
    const out = collect('out');
    const caught = collect('caught');
    const seen = statuses('ingest');
    const ingest = helper.getNode('ingest');
    const garbage = [
      'not a number', 'NaN', 'Infinity', { nested: { deeper: 1 } }, [1, 2, 3], '12 furlongs/fortnight²', null,
      '{"__proto__": {"polluted": true}, "value": 1}',
      'x'.repeat(70000),
    ];
    garbage.forEach((payload, i) => ingest.receive({ topic: `plant/line1/press1/bad${i}`, payload }));
    ingest.receive({ topic: 'plant/line1/press1/temperature', payload: 42 });
    await waitFor(() => caught.length === garbage.length && out.length === 1, 'every refusal caught and the good sample out');
    assert.equal(out[0].payload.value, 42);
    for (const [i, msg] of caught.entries()) {
      assert.ok(msg.error && typeof msg.error.message === 'string', 'the catch node gets msg.error');
      assert.match(msg.error.message, new RegExp(`plant/line1/press1/bad${i}`), `error names the topic: ${msg.error.message}`);
    }
    assert.equal(({}).polluted, undefined, 'no prototype pollution');
    assert.equal(Object.prototype.polluted, undefined);
    await waitFor(() => seen.some((s) => s.fill === "red" && /^9 rejected: /.test(s.text)), `a red status counting 9 refusals, saw ${JSON.stringify(seen)}`);
  });

  it('takes objects built by a function node (another JavaScript realm) like any other object', async function () {
    const flow = ingestFlow();
    flow.push({ id: 'fn', type: 'function', z: 'tab', func: "return { topic: msg.topic, payload: { value: 6.5, unit: 'bar', ts: Date.now() } };", outputs: 1, wires: [['ingest']] });
    await load(flow);
    const out = collect('out');
    const caught = collect('caught');
    helper.getNode('fn').receive({ topic: 'plant/line1/press1/pressure' });
    await waitFor(() => out.length + caught.length === 1, 'the sample or a refusal');
    assert.deepEqual(caught.map((m) => m.error.message), []);
    assert.equal(out[0].payload.value, 6.5);
    assert.equal(out[0].payload.unit, 'bar');
  });

  it('drops duplicates and out-of-order samples by default, keeps them when asked', async function () {
    await load(ingestFlow());
    const out = collect('out');
    const ingest = helper.getNode('ingest');
    const t0 = Date.now() - 10000;
    const send = (value, ts) => ingest.receive({ topic: 'p/l/m/speed', payload: { value, ts } });
    send(1, t0 + 1000);
    send(1, t0 + 1000); // duplicate
    send(2, t0 + 500); // older than the last accepted
    send(3, t0 + 2000);
    await waitFor(() => out.length >= 2, 'two samples');
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(out.map((m) => m.payload.value), [1, 3]);

    await helper.unload();
    await load(ingestFlow({ duplicates: 'keep', outOfOrder: 'keep' }));
    const kept = collect('out');
    const again = helper.getNode('ingest');
    const sendAgain = (value, ts) => again.receive({ topic: 'p/l/m/speed', payload: { value, ts } });
    sendAgain(1, t0 + 1000);
    sendAgain(1, t0 + 1000);
    sendAgain(2, t0 + 500);
    await waitFor(() => kept.length === 3, 'all three kept');
  });

  it('refuses a configuration that cannot work, with a red status, and refuses input with done(err)', async function () {
    await load(ingestFlow({ signals: [{ match: '+/+/+/level', rawLow: '0', rawHigh: '0', low: '0', high: '100' }] }));
    const caught = collect('caught');
    const seen = statuses('ingest');
    helper.getNode('ingest').receive({ topic: 'p/l/m/level', payload: 1 });
    await waitFor(() => caught.length === 1, 'the refusal at the catch node');
    assert.match(caught[0].error.message, /raw low equals raw high/);
    await waitFor(() => seen.some((s) => s.fill === 'red' && s.text === 'bad scaling'), 'red status "bad scaling"');
  });
});
