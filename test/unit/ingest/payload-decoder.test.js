'use strict';
const assert = require('assert/strict');
const mqtt = require('mqtt');
const { decodePayload, defaultPayloadOptions, checkPayloadOptions } = require('../../../dist/core/ingest/payload-decoder');
const { InputError, ConfigError } = require('../../../dist/core/errors');

const TOPIC = 'plant/line1/press1/temperature';
const opts = (extra = {}) => ({ ...defaultPayloadOptions, ...extra, paths: { ...defaultPayloadOptions.paths, ...(extra.paths || {}) } });
const decode = (payload, extra) => decodePayload(payload, TOPIC, opts(extra));

function rejects(payload, reason, extra) {
  assert.throws(() => decode(payload, extra), (err) => {
    assert.ok(err instanceof InputError, `expected InputError, got ${err && err.name}: ${err && err.message}`);
    assert.equal(err.shortReason, reason);
    assert.equal(err.topic, TOPIC);
    return true;
  });
}

describe('ingest payload decoder', () => {
  afterEach(() => assert.equal(({}).polluted, undefined, 'Object.prototype must never be polluted'));

  it('has the documented defaults', () => {
    assert.equal(defaultPayloadOptions.format, 'auto');
    assert.deepEqual({ ...defaultPayloadOptions.paths, time: [...defaultPayloadOptions.paths.time] },
      { value: 'value', time: ['ts', 'timestamp'], unit: 'unit', quality: 'quality' });
    assert.equal(defaultPayloadOptions.maxBytes, 65536);
  });

  it('decodes plain values from text, Buffers, numbers and booleans', () => {
    assert.deepEqual(decode('23.5'), { value: 23.5 });
    assert.deepEqual(decode(Buffer.from('23.5 °C')), { value: 23.5, unit: '°C' });
    assert.deepEqual(decode(new Uint8Array(Buffer.from('off'))), { value: false });
    assert.deepEqual(decode(new Uint8Array(Buffer.from('42')).buffer), { value: 42 });
    assert.deepEqual(decode(17), { value: 17 });
    assert.deepEqual(decode(true), { value: true });
  });

  it('decodes JSON objects with the default fields', () => {
    const text = '{"value": 23.5, "unit": "°C", "quality": "GOOD", "ts": 1714557600}';
    assert.deepEqual(decode(Buffer.from(text)), { value: 23.5, unit: '°C', quality: 'GOOD', sourceTime: 1714557600 });
    assert.deepEqual(decode('{"value": "1.2 bar", "timestamp": "2024-05-01T10:00:00Z"}'),
      { value: 1.2, unit: 'bar', sourceTime: '2024-05-01T10:00:00Z' });
    assert.deepEqual(decode('  {"value": true}'), { value: true });
    assert.deepEqual(decode('"23.5"'), { value: 23.5 }, 'a JSON string literal');
  });

  it('reads custom dotted paths and takes the first time field present', () => {
    const extra = { paths: { value: 'data.temp.value', time: ['meta.t', 'meta.time'], unit: 'data.temp.u', quality: 'data.q' } };
    const payload = { data: { temp: { value: 80, u: 'degF' }, q: 192 }, meta: { time: 1714557600000 } };
    assert.deepEqual(decode(payload, extra), { value: 80, unit: 'degF', quality: 192, sourceTime: 1714557600000 });
    assert.deepEqual(decode('{"values": [5, 6]}', { paths: { value: 'values.1' } }), { value: 6 });
  });

  it('checks the unit field against a unit in the value text', () => {
    assert.deepEqual(decode('{"value": "23.5 °C", "unit": "degC"}'), { value: 23.5, unit: 'degC' });
    rejects('{"value": "23.5 °C", "unit": "degF"}', 'unit conflict');
    rejects('{"value": 1, "unit": 5}', 'bad unit');
    rejects(`{"value": 1, "unit": "${'x'.repeat(100)}"}`, 'bad unit');
  });

  it('gives value null only for a bad-quality payload without a usable value', () => {
    assert.deepEqual(decode('{"quality": "bad", "ts": 1714557600}'), { value: null, quality: 'bad', sourceTime: 1714557600 });
    assert.deepEqual(decode('{"value": null, "quality": 2147483648}'), { value: null, quality: 2147483648 });
    assert.deepEqual(decode('{"value": "####", "quality": false}'), { value: null, quality: false });
    rejects('{"value": null, "quality": "good"}', 'no value');
    rejects('{"quality": "uncertain"}', 'no value field');
  });

  it('refuses JSON without the value field, bad JSON and objects where a value belongs', () => {
    rejects('{"val": 1}', 'no value field');
    rejects('{"value": 1', 'bad JSON');
    rejects('{"value": {"nested": 1}}', 'object, not a value');
    rejects('{"value": [1, 2]}', 'object, not a value');
    rejects('[1, 2]', 'no value field');
    assert.deepEqual(decode('23.5', { format: 'json' }), { value: 23.5 }, 'a bare JSON number is valid JSON');
    rejects('23.5 °C', 'bad JSON', { format: 'json' });
  });

  it('refuses forbidden keys in text and in already parsed objects', () => {
    rejects('{"__proto__": {"polluted": 1}, "value": 1}', 'forbidden key');
    rejects(Buffer.from('{"value": 1, "a": {"constructor": {"prototype": {"polluted": 1}}}}'), 'forbidden key');
    rejects(JSON.parse('{"value": 1, "x": {"__proto__": {"polluted": 1}}}'), 'forbidden key');
  });

  it('refuses payloads that are too large before decoding them', () => {
    const big = Buffer.alloc(65537, 0x31);
    rejects(big, 'too large');
    rejects('1'.repeat(65537), 'too large');
    rejects(Buffer.from('{"value": 1}'), 'too large', { maxBytes: 5 });
    rejects(Buffer.from([0xff, 0xfe, 0x31]), 'bad text');
  });

  it('refuses garbage', () => {
    rejects('[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]', 'too deep');
    rejects(NaN, 'not finite');
    rejects('Infinity', 'not finite');
    rejects(undefined, 'no value');
    rejects(null, 'no value');
    rejects(Symbol('s'), 'wrong type');
    rejects(() => 1, 'wrong type');
    rejects(new Date(), 'object, not a value');
    rejects({ value: 1 }, 'object, not a value', { format: 'value' });
    rejects('{"value": 1}', 'not a number', { format: 'value' });
    rejects('hello', 'not a number');
    rejects({ get value() { throw new Error('boom'); } }, 'bad payload');
    rejects(new Proxy({}, { getPrototypeOf() { throw new Error('trap'); } }), 'bad payload');
    assert.deepEqual(decode('hello', { textValues: true }), { value: 'hello' });
  });

  it('checks options from a node configuration', () => {
    const o = checkPayloadOptions({ paths: { time: 'meta.ts' } });
    assert.deepEqual(o.paths.time, ['meta.ts']);
    assert.equal(o.paths.value, 'value');
    for (const bad of [{ format: 'xml' }, { maxBytes: 0 }, { maxBytes: 1.5 }, { paths: { value: 'a..b' } },
      { paths: { value: '__proto__.x' } }, { paths: { quality: 5 } }, { paths: { time: ['ts', 'constructor'] } }]) {
      assert.throws(() => checkPayloadOptions(bad), ConfigError, JSON.stringify(bad));
    }
  });
});

describe('ingest payload decoder with payloads from a real MQTT broker', function () {
  this.timeout(10000);
  let client;
  before(async () => {
    client = await mqtt.connectAsync('mqtt://127.0.0.1:1883', { clientId: `twin-decoder-test-${process.pid}`, reconnectPeriod: 0, connectTimeout: 3000 });
  });
  after(async () => {
    if (client) await client.endAsync(true);
  });

  it('decodes what Mosquitto delivers, and refuses the garbage', async () => {
    const base = `twinloop-test/${process.pid}/decoder`;
    const sent = [
      ['press1/temperature', '{"value": "23,5 °C", "quality": "Good", "ts": 1714557600}'],
      ['press1/speed', '1200 rpm'],
      ['press1/polluter', '{"__proto__": {"polluted": 1}, "value": 1}'],
      ['press1/broken', Buffer.from([0xc3, 0x28])],
    ];
    const received = new Map();
    const done = new Promise((resolve) => {
      client.on('message', (topic, payload) => {
        received.set(topic.slice(base.length + 1), payload);
        if (received.size === sent.length) resolve();
      });
    });
    await client.subscribeAsync(`${base}/#`, { qos: 1 });
    for (const [topic, payload] of sent) await client.publishAsync(`${base}/${topic}`, payload, { qos: 1 });
    await done;
    assert.ok(Buffer.isBuffer(received.get('press1/speed')));
    assert.deepEqual(decode(received.get('press1/temperature')), { value: 23.5, unit: '°C', quality: 'Good', sourceTime: 1714557600 });
    assert.deepEqual(decode(received.get('press1/speed')), { value: 1200, unit: 'rpm' });
    rejects(received.get('press1/polluter'), 'forbidden key');
    rejects(received.get('press1/broken'), 'bad text');
  });
});
