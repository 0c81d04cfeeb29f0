'use strict';
const assert = require('assert/strict');
const { InputError } = require('../../../dist/core/errors');
const { SparkplugSession, encodeSparkplugPayload, decodeSparkplugPayload, PayloadType, SparkplugDataType: T } = require('../../../dist/core/ingest/sparkplug');

const G = 'Plant1';
const E = 'edge-1';
const T0 = 1_718_000_000_000;
const nodeTopic = (type, edge = E) => `spBv1.0/${G}/${type}/${edge}`;
const deviceTopic = (type, device, edge = E) => `spBv1.0/${G}/${type}/${edge}/${device}`;
const bytes = (metrics, extra = {}) => encodeSparkplugPayload({ timestamp: T0, metrics, ...extra });
/** [asset, signal, value, quality] of each sample, the part most tests check. */
const brief = (result) => result.samples.map((s) => [s.asset, s.signal, s.value, s.quality]);

const nodeBirthMetrics = [
  { name: 'bdSeq', datatype: T.Int64, value: 3 },
  { name: 'Node Control/Rebirth', alias: 0, datatype: T.Boolean, value: false },
  { name: 'Line Speed', alias: 1, datatype: T.Double, value: 12.5, properties: { engUnit: 'm/min' } },
  { name: 'Counters/Good Parts', alias: 2, datatype: T.Int16, value: -3, timestamp: T0 - 500 },
];
const deviceBirthMetrics = [
  { name: 'Motor/Temperature', alias: 10, datatype: T.Float, value: 41.5, properties: { engUnit: 'degC' } },
  { name: 'Running', alias: 11, datatype: T.Boolean, value: true },
  { name: 'Recipe', alias: 12, datatype: T.String, value: 'A-17' },
  { name: 'Image', alias: 13, datatype: T.Bytes, value: null },
];

/** A session with edge node E born at T0 and its device "press1" born too. */
function bornSession(options) {
  const session = new SparkplugSession(options);
  session.handle(nodeTopic('NBIRTH'), bytes(nodeBirthMetrics), T0);
  session.handle(deviceTopic('DBIRTH', 'press1'), bytes(deviceBirthMetrics), T0);
  return session;
}

describe('SparkplugSession: births and data', () => {
  it('NBIRTH emits its metrics as samples, named by group/edge node and metric levels', () => {
    const session = new SparkplugSession();
    const result = session.handle(nodeTopic('NBIRTH'), bytes(nodeBirthMetrics), T0 + 20);
    assert.deepEqual(brief(result), [
      ['Plant1/edge-1', 'Line Speed', 12.5, 'good'],
      ['Plant1/edge-1/Counters', 'Good Parts', -3, 'good'],
    ]);
    assert.deepEqual(result.samples[0], { origin: nodeTopic('NBIRTH'), asset: 'Plant1/edge-1', signal: 'Line Speed', value: 12.5, quality: 'good', receivedTime: T0 + 20, unit: 'm/min', sourceTime: T0 });
    assert.equal(result.samples[1].sourceTime, T0 - 500, 'the metric timestamp wins over the payload timestamp');
    assert.equal(result.skipped, 0);
    assert.equal(result.rebirthRequest, undefined);
  });

  it('DBIRTH adds the device and the leading metric levels to the asset; Bytes is skipped', () => {
    const session = new SparkplugSession();
    session.handle(nodeTopic('NBIRTH'), bytes(nodeBirthMetrics), T0);
    const result = session.handle(deviceTopic('DBIRTH', 'press1'), bytes(deviceBirthMetrics), T0);
    assert.deepEqual(brief(result), [
      ['Plant1/edge-1/press1/Motor', 'Temperature', 41.5, 'good'],
      ['Plant1/edge-1/press1', 'Running', true, 'good'],
      ['Plant1/edge-1/press1', 'Recipe', 'A-17', 'good'],
    ]);
    assert.equal(result.samples[0].unit, 'degC');
    assert.equal(result.skipped, 1);
    assert.deepEqual(result.errors, []);
  });

  it('NDATA and DDATA by alias alone take name, datatype and unit from the birth', () => {
    const session = bornSession();
    // Aliases only, no datatype: -7 as Int16 arrives as 0xFFF9 and must come back as -7.
    const ndata = PayloadType.encode({ timestamp: T0 + 1000, metrics: [{ alias: 2, int_value: 0xfff9 }, { alias: 1, double_value: 13.25 }] }).finish();
    const n = session.handle(nodeTopic('NDATA'), ndata, T0 + 1010);
    assert.deepEqual(brief(n), [['Plant1/edge-1/Counters', 'Good Parts', -7, 'good'], ['Plant1/edge-1', 'Line Speed', 13.25, 'good']]);
    assert.equal(n.samples[1].unit, 'm/min');
    assert.equal(n.samples[1].sourceTime, T0 + 1000);
    const d = session.handle(deviceTopic('DDATA', 'press1'), bytes([{ alias: 10, value: 43.25, datatype: T.Float }, { alias: 11, datatype: T.Boolean, value: false }, { alias: 13, datatype: T.Bytes, value: null }]), T0 + 2000);
    assert.deepEqual(brief(d), [['Plant1/edge-1/press1/Motor', 'Temperature', 43.25, 'good'], ['Plant1/edge-1/press1', 'Running', false, 'good']]);
    assert.equal(d.rebirthRequest, undefined, 'a known alias never asks for a rebirth');
  });

  it('DATA metrics by name are understood without an alias', () => {
    const session = bornSession();
    const result = session.handle(deviceTopic('DDATA', 'press1'), bytes([{ name: 'Recipe', datatype: T.String, value: 'B-2' }]), T0 + 1);
    assert.deepEqual(brief(result), [['Plant1/edge-1/press1', 'Recipe', 'B-2', 'good']]);
  });

  it('maps the Quality property (OPC DA style) onto sample quality', () => {
    const session = bornSession();
    const result = session.handle(nodeTopic('NDATA'), bytes([
      { alias: 1, datatype: T.Double, value: 1, properties: { Quality: 192 } },
      { alias: 1, datatype: T.Double, value: 2, properties: { Quality: 64 } },
      { alias: 1, datatype: T.Double, value: 3, properties: { Quality: 0 } },
      { alias: 1, datatype: T.Double, value: 4, properties: { Quality: 500 } },
    ]), T0 + 1);
    assert.deepEqual(result.samples.map((s) => s.quality), ['good', 'uncertain', 'bad', 'bad']);
  });

  it('is_null reports the last value as bad, or nothing if there is none', () => {
    const session = bornSession();
    const result = session.handle(deviceTopic('DDATA', 'press1'), bytes([{ alias: 10, datatype: T.Float, value: null }]), T0 + 1);
    assert.deepEqual(brief(result), [['Plant1/edge-1/press1/Motor', 'Temperature', 41.5, 'bad']]);
    const fresh = new SparkplugSession();
    const birth = fresh.handle(nodeTopic('NBIRTH'), bytes([{ name: 'Empty', alias: 5, datatype: T.Double, value: null }]), T0);
    assert.deepEqual(birth.samples, []);
    assert.equal(birth.skipped, 1);
  });

  it('a value too large in a birth is reported, and its alias is still known', () => {
    const session = new SparkplugSession();
    const long = { low: 0, high: 0x10000000, unsigned: true }; // 2^60
    const birth = PayloadType.encode({ timestamp: T0, metrics: [{ name: 'Energy', alias: 7, datatype: T.UInt64, long_value: long }, { name: 'Ok', alias: 8, datatype: T.Int32, int_value: 5 }] }).finish();
    const result = session.handle(nodeTopic('NBIRTH'), birth, T0);
    assert.deepEqual(brief(result), [['Plant1/edge-1', 'Ok', 5, 'good']]);
    assert.equal(result.skipped, 1);
    assert.equal(result.errors.length, 1);
    assert.ok(result.errors[0] instanceof InputError);
    assert.equal(result.errors[0].shortReason, 'value too large');
    const data = session.handle(nodeTopic('NDATA'), bytes([{ alias: 7, datatype: T.UInt64, value: 12 }]), T0 + 1);
    assert.deepEqual(brief(data), [['Plant1/edge-1', 'Energy', 12, 'good']]);
    assert.equal(data.rebirthRequest, undefined);
  });

  it('ignores NCMD, DCMD and STATE without decoding them', () => {
    const session = bornSession();
    for (const topic of [nodeTopic('NCMD'), deviceTopic('DCMD', 'press1'), 'spBv1.0/STATE/scada', nodeTopic('STATE')]) {
      assert.deepEqual(session.handle(topic, Buffer.from('{"online":true}'), T0), { samples: [], skipped: 0, errors: [] });
    }
  });
});

describe('SparkplugSession: rebirth requests', () => {
  const isRebirth = (request, edge = E) => {
    assert.ok(request, 'a rebirth request');
    assert.equal(request.topic, `spBv1.0/${G}/NCMD/${edge}`);
    const payload = decodeSparkplugPayload(request.payload, request.topic);
    assert.deepEqual(payload.metrics.map((m) => [m.name, m.datatype, m.value]), [['Node Control/Rebirth', 11, true]]);
    return payload;
  };

  it('an unknown alias asks for a rebirth; the known metrics beside it still come through', () => {
    const session = bornSession();
    const result = session.handle(nodeTopic('NDATA'), bytes([{ alias: 99, datatype: T.Int32, value: 1 }, { alias: 1, datatype: T.Double, value: 14 }]), T0 + 10_000);
    assert.deepEqual(brief(result), [['Plant1/edge-1', 'Line Speed', 14, 'good']]);
    assert.equal(result.skipped, 1);
    assert.equal(isRebirth(result.rebirthRequest).timestamp, T0 + 10_000);
  });

  it('DATA from a node never born gives no samples and a rebirth request', () => {
    const session = new SparkplugSession();
    const result = session.handle(nodeTopic('NDATA', 'stranger'), bytes([{ name: 'Line Speed', datatype: T.Double, value: 1 }, { alias: 3, datatype: T.Int32, value: 2 }]), T0);
    assert.deepEqual(result.samples, []);
    assert.equal(result.skipped, 2);
    isRebirth(result.rebirthRequest, 'stranger');
  });

  it('DDATA from a device never born asks the edge node to rebirth', () => {
    const session = bornSession();
    const result = session.handle(deviceTopic('DDATA', 'press9'), bytes([{ name: 'Running', datatype: T.Boolean, value: true }]), T0 + 10_000);
    assert.deepEqual(result.samples, []);
    isRebirth(result.rebirthRequest);
  });

  it('DBIRTH without its NBIRTH: the device is understood, the node is asked to rebirth', () => {
    const session = new SparkplugSession();
    const birth = session.handle(deviceTopic('DBIRTH', 'press1'), bytes(deviceBirthMetrics), T0);
    assert.equal(birth.samples.length, 3);
    isRebirth(birth.rebirthRequest);
    const death = session.handle(nodeTopic('NDEATH'), bytes([{ name: 'bdSeq', datatype: T.Int64, value: 1 }]), T0 + 1);
    assert.deepEqual(death.samples.map((s) => [s.signal, s.quality]), [['Temperature', 'bad'], ['Running', 'bad'], ['Recipe', 'bad']]);
  });

  it('asks at most once per 5 s per edge node, measured on receivedTime', () => {
    const session = bornSession();
    const unknown = bytes([{ alias: 99, datatype: T.Int32, value: 1 }]);
    const at = (t, edge = E) => session.handle(nodeTopic('NDATA', edge), unknown, t).rebirthRequest;
    assert.ok(at(T0 + 10_000));
    for (let t = T0 + 10_001; t < T0 + 15_000; t += 250) assert.equal(at(t), undefined, `no second request at +${t - T0 - 10_000} ms`);
    assert.ok(at(T0 + 10_000, 'edge-2'), 'another edge node has its own limit');
    assert.ok(at(T0 + 15_000), 'allowed again after 5 s');
    assert.equal(at(T0 + 15_001), undefined);
    assert.ok(at(T0 + 1_000), 'a clock that went back does not silence requests');
  });

  it('the limit survives the rebirth itself', () => {
    const session = bornSession();
    assert.ok(session.handle(nodeTopic('NDATA'), bytes([{ alias: 99, datatype: T.Int32, value: 1 }]), T0 + 10_000).rebirthRequest);
    session.handle(nodeTopic('NBIRTH'), bytes(nodeBirthMetrics), T0 + 10_100);
    assert.equal(session.handle(nodeTopic('NDATA'), bytes([{ alias: 99, datatype: T.Int32, value: 1 }]), T0 + 10_200).rebirthRequest, undefined);
  });
});

describe('SparkplugSession: deaths', () => {
  it('NDEATH reports every signal of the node and its devices once more as bad, with the last value', () => {
    const session = bornSession();
    session.handle(nodeTopic('NDATA'), bytes([{ alias: 1, datatype: T.Double, value: 15 }]), T0 + 1);
    const death = session.handle(nodeTopic('NDEATH'), bytes([{ name: 'bdSeq', datatype: T.Int64, value: 3 }], { timestamp: T0 - 99_999 }), T0 + 500);
    assert.deepEqual(brief(death).sort(), [
      ['Plant1/edge-1', 'Line Speed', 15, 'bad'],
      ['Plant1/edge-1/Counters', 'Good Parts', -3, 'bad'],
      ['Plant1/edge-1/press1', 'Recipe', 'A-17', 'bad'],
      ['Plant1/edge-1/press1', 'Running', true, 'bad'],
      ['Plant1/edge-1/press1/Motor', 'Temperature', 41.5, 'bad'],
    ]);
    assert.ok(death.samples.every((s) => s.sourceTime === T0 + 500 && s.origin === nodeTopic('NDEATH')), 'death time is when it was received, not the will timestamp');
    assert.deepEqual(session.handle(nodeTopic('NDEATH'), bytes([{ name: 'bdSeq', datatype: T.Int64, value: 3 }]), T0 + 600).samples, [], 'only once');
    const after = session.handle(nodeTopic('NDATA'), bytes([{ alias: 1, datatype: T.Double, value: 16 }]), T0 + 10_000);
    assert.deepEqual(after.samples, []);
    assert.ok(after.rebirthRequest, 'DATA from a dead node asks for a rebirth');
    const reborn = session.handle(nodeTopic('NBIRTH'), bytes(nodeBirthMetrics), T0 + 10_100);
    assert.equal(reborn.samples.length, 2);
    assert.equal(session.handle(deviceTopic('DDATA', 'press1'), bytes([{ alias: 11, datatype: T.Boolean, value: true }]), T0 + 20_000).samples.length, 0, 'devices must rebirth after their node');
  });

  it('ignores an NDEATH whose bdSeq belongs to an earlier session (a late will)', () => {
    const session = bornSession();
    const stale = session.handle(nodeTopic('NDEATH'), bytes([{ name: 'bdSeq', datatype: T.Int64, value: 2 }]), T0 + 1);
    assert.deepEqual(stale.samples, []);
    assert.equal(session.handle(nodeTopic('NDATA'), bytes([{ alias: 1, datatype: T.Double, value: 3 }]), T0 + 2).samples.length, 1, 'still alive');
  });

  it('DDEATH marks only that device bad, at the payload timestamp', () => {
    const session = bornSession();
    session.handle(deviceTopic('DBIRTH', 'press2'), bytes([{ name: 'Running', alias: 1, datatype: T.Boolean, value: true }]), T0);
    const death = session.handle(deviceTopic('DDEATH', 'press2'), bytes([], { timestamp: T0 + 42 }), T0 + 50);
    assert.deepEqual(brief(death), [['Plant1/edge-1/press2', 'Running', true, 'bad']]);
    assert.equal(death.samples[0].sourceTime, T0 + 42);
    assert.equal(session.handle(deviceTopic('DDATA', 'press1'), bytes([{ alias: 11, datatype: T.Boolean, value: false }]), T0 + 60).samples.length, 1, 'the other device lives');
    const late = session.handle(deviceTopic('DDATA', 'press2'), bytes([{ alias: 1, datatype: T.Boolean, value: false }]), T0 + 10_000);
    assert.deepEqual(late.samples, []);
    assert.ok(late.rebirthRequest);
    assert.deepEqual(session.handle(deviceTopic('DDEATH', 'press9'), bytes([]), T0).samples, [], 'unknown device: nothing to report');
  });
});

describe('SparkplugSession: bad input and bounds', () => {
  it('throws InputError for a topic that is not Sparkplug and for garbage payloads', () => {
    const session = bornSession();
    const inputError = (reason) => (err) => err instanceof InputError && err.shortReason === reason;
    assert.throws(() => session.handle('plant/line/temp', bytes([]), T0), inputError('bad Sparkplug topic'));
    assert.throws(() => session.handle(undefined, bytes([]), T0), inputError('bad Sparkplug topic'));
    assert.throws(() => session.handle(nodeTopic('NDATA'), Buffer.alloc(0), T0), inputError('bad Sparkplug payload'));
    assert.throws(() => session.handle(nodeTopic('NDATA'), Buffer.from([0xff, 0xff]), T0), inputError('bad Sparkplug payload'));
    assert.throws(() => session.handle(nodeTopic('NBIRTH'), 'text', T0), inputError('bad Sparkplug payload'));
    assert.throws(() => session.handle(nodeTopic('NDATA'), bytes([]), NaN), inputError('bad time'));
    assert.equal(session.handle(nodeTopic('NDATA'), bytes([{ alias: 1, datatype: T.Double, value: 1 }]), T0 + 1).samples.length, 1, 'the session is unharmed');
  });

  it('metric names like __proto__ stay plain names and pollute nothing', () => {
    const session = new SparkplugSession();
    const result = session.handle(nodeTopic('NBIRTH'), bytes([
      { name: '__proto__', alias: 1, datatype: T.Int32, value: 1 },
      { name: 'constructor/prototype', alias: 2, datatype: T.Int32, value: 2 },
      { name: '//', alias: 3, datatype: T.Int32, value: 3 },
    ]), T0);
    assert.deepEqual(brief(result), [['Plant1/edge-1', '__proto__', 1, 'good'], ['Plant1/edge-1/constructor', 'prototype', 2, 'good']]);
    assert.equal(result.errors[0].shortReason, 'no metric name');
    assert.equal(session.handle(nodeTopic('NDATA'), bytes([{ alias: 1, datatype: T.Int32, value: 4 }]), T0).samples[0].signal, '__proto__');
    assert.equal({}.prototype, undefined);
    assert.equal(Object.getPrototypeOf({}), Object.prototype);
  });

  it('tracks at most 10,000 edge nodes, forgetting the least recently heard first', function () {
    this.timeout(20_000);
    const session = new SparkplugSession();
    const birth = bytes([{ name: 'Running', alias: 1, datatype: T.Boolean, value: true }]);
    for (let i = 0; i <= 10_000; i++) session.handle(nodeTopic('NBIRTH', `edge${i}`), birth, T0);
    assert.equal(session.edgeNodeCount, 10_000);
    const data = bytes([{ alias: 1, datatype: T.Boolean, value: false }]);
    const forgotten = session.handle(nodeTopic('NDATA', 'edge0'), data, T0 + 1);
    assert.deepEqual(forgotten.samples, []);
    assert.ok(forgotten.rebirthRequest, 'a forgotten node is asked to rebirth');
    assert.equal(session.edgeNodeCount, 10_000);
    assert.equal(session.handle(nodeTopic('NDATA', 'edge10000'), data, T0 + 1).samples.length, 1);
  });

  it('a small bound keeps recently heard nodes', () => {
    const session = new SparkplugSession({ maxEdgeNodes: 2 });
    const birth = bytes([{ name: 'Running', alias: 1, datatype: T.Boolean, value: true }]);
    const data = bytes([{ alias: 1, datatype: T.Boolean, value: false }]);
    session.handle(nodeTopic('NBIRTH', 'a'), birth, T0);
    session.handle(nodeTopic('NBIRTH', 'b'), birth, T0);
    session.handle(nodeTopic('NDATA', 'a'), data, T0); // a is now the most recent
    session.handle(nodeTopic('NBIRTH', 'c'), birth, T0); // so b is forgotten
    assert.equal(session.handle(nodeTopic('NDATA', 'a'), data, T0).samples.length, 1);
    assert.equal(session.handle(nodeTopic('NDATA', 'b'), data, T0).samples.length, 0);
  });
});
