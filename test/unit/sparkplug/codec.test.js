'use strict';
const assert = require('assert/strict');
const protobuf = require('protobufjs');
const { InputError } = require('../../../dist/core/errors');
const { decodeSparkplugPayload, encodeSparkplugPayload, PayloadType, SparkplugDataType: T } = require('../../../dist/core/ingest/sparkplug');

const roundTrip = (metrics, extra = {}) => decodeSparkplugPayload(encodeSparkplugPayload({ metrics, ...extra }), 'test/topic');
const one = (metric) => {
  const decoded = roundTrip([metric]);
  assert.deepEqual(decoded.skipped, []);
  assert.equal(decoded.metrics.length, 1);
  return decoded.metrics[0];
};
/** Raw protobuf message built with the schema, for values our own encoder refuses to produce. */
const raw = (metrics, extra = {}) => PayloadType.encode({ metrics, ...extra }).finish();
const long = (big) => ({ low: Number(BigInt.asUintN(32, big)) | 0, high: Number(BigInt.asUintN(32, big >> 32n)) | 0, unsigned: true });

describe('Sparkplug codec: datatypes', () => {
  const cases = [
    ['Int8', T.Int8, [-128, -1, 0, 127]],
    ['Int16', T.Int16, [-32768, -2, 32767]],
    ['Int32', T.Int32, [-2147483648, -1, 2147483647]],
    ['Int64', T.Int64, [-Number.MAX_SAFE_INTEGER, -1, 0, Number.MAX_SAFE_INTEGER]],
    ['UInt8', T.UInt8, [0, 255]],
    ['UInt16', T.UInt16, [65535]],
    ['UInt32', T.UInt32, [4294967295]],
    ['UInt64', T.UInt64, [0, Number.MAX_SAFE_INTEGER]],
    ['DateTime', T.DateTime, [1718000000123]],
    ['Float', T.Float, [21.3, -0.5, 1e-7]],
    ['Double', T.Double, [0.1, -1234.5678901234]],
    ['Boolean', T.Boolean, [true, false]],
    ['String', T.String, ['', 'Drücker läuft', '12.5']],
    ['Text', T.Text, ['a longer text']],
    ['UUID', T.UUID, ['9f1c2d9e-7c1a-4f5e-9a57-1f2e3d4c5b6a']],
  ];
  for (const [label, datatype, values] of cases) {
    it(`${label} values survive encode and decode exactly`, () => {
      for (const value of values) {
        const m = one({ name: 'Line/Signal', datatype, value });
        assert.equal(m.datatype, datatype);
        assert.equal(m.value, value, `${label} ${value}`);
        assert.equal(typeof m.value, typeof value);
      }
    });
  }

  it('sends Int8/Int16 as uint32 two\'s complement of their own width (-1 as Int8 is 0xFF)', () => {
    const bytes = encodeSparkplugPayload({ metrics: [{ name: 'a', datatype: T.Int8, value: -1 }, { name: 'b', datatype: T.Int16, value: -2 }, { name: 'c', datatype: T.Int32, value: -1 }] });
    const wire = PayloadType.decode(bytes).metrics;
    assert.deepEqual(wire.map((m) => m.int_value), [0xff, 0xfffe, 0xffffffff]);
  });

  it('reads signed ints from senders that sign-extend to 32 or 64 bits, or use long_value', () => {
    const decoded = decodeSparkplugPayload(raw([
      { name: 'a', datatype: T.Int8, int_value: 0xffffffff },
      { name: 'b', datatype: T.Int16, int_value: 0xffff8000 },
      { name: 'c', datatype: T.Int32, long_value: long(-7n) },
      { name: 'd', datatype: T.UInt32, long_value: long(4000000000n) },
    ]), 't');
    assert.deepEqual(decoded.metrics.map((m) => m.value), [-1, -32768, -7, 4000000000]);
  });

  it('refuses 64-bit values beyond the exact number range, per metric, keeping the others', () => {
    const decoded = decodeSparkplugPayload(raw([
      { name: 'counter', alias: 4, datatype: T.UInt64, long_value: long(2n ** 60n) },
      { name: 'negative', datatype: T.Int64, long_value: long(BigInt.asUintN(64, -(2n ** 55n))) },
      { name: 'edge', datatype: T.UInt64, long_value: long(2n ** 53n) },
      { name: 'ok', datatype: T.Int64, long_value: long(BigInt.asUintN(64, -5n)) },
    ]), 'plant/topic');
    assert.deepEqual(decoded.metrics.map((m) => [m.name, m.value]), [['ok', -5]]);
    assert.deepEqual(decoded.skipped.map((s) => [s.name, s.reason]), [['counter', 'value too large'], ['negative', 'value too large'], ['edge', 'value too large']]);
    assert.equal(decoded.skipped[0].alias, 4);
    for (const s of decoded.skipped) {
      assert.ok(s.error instanceof InputError);
      assert.equal(s.error.shortReason, 'value too large');
      assert.match(s.error.message, /^plant\/topic: metric "/);
    }
  });

  it('refuses unsigned values that do not fit their width, and values in the wrong field', () => {
    const decoded = decodeSparkplugPayload(raw([
      { name: 'u8', datatype: T.UInt8, int_value: 300 },
      { name: 'flag', datatype: T.Boolean, int_value: 1 },
      { name: 'text', datatype: T.String, double_value: 1 },
      { name: 'weird', datatype: 99, int_value: 1 },
    ]), 't');
    assert.deepEqual(decoded.metrics, []);
    assert.deepEqual(decoded.skipped.map((s) => s.reason), ['value out of range', 'type mismatch', 'type mismatch', 'unknown datatype']);
    assert.ok(decoded.skipped.every((s) => s.error instanceof InputError));
  });

  it('lists Bytes, DataSet, Template and File metrics as skipped without an error', () => {
    const decoded = decodeSparkplugPayload(raw([
      { name: 'blob', datatype: T.Bytes, bytes_value: Buffer.from([1, 2, 3]) },
      { name: 'table', datatype: T.DataSet, dataset_value: { num_of_columns: 2, columns: ['a', 'b'], types: [T.Int32, T.String], rows: [{ elements: [{ int_value: 1 }, { string_value: 'x' }] }] } },
      { name: 'udt', datatype: T.Template, template_value: { version: '1', is_definition: false, metrics: [{ name: 'inner', datatype: T.Int32, int_value: 5 }] } },
      { name: 'file', datatype: T.File, bytes_value: Buffer.from('hello') },
      { name: 'temp', datatype: T.Double, double_value: 20.5 },
    ]), 't');
    assert.deepEqual(decoded.metrics.map((m) => [m.name, m.value]), [['temp', 20.5]]);
    assert.deepEqual(decoded.skipped.map((s) => [s.name, s.datatype, s.reason, s.error]), [
      ['blob', T.Bytes, 'unsupported type', undefined],
      ['table', T.DataSet, 'unsupported type', undefined],
      ['udt', T.Template, 'unsupported type', undefined],
      ['file', T.File, 'unsupported type', undefined],
    ]);
  });

  it('uses the datatype resolver for metrics without a datatype, else the wire field', () => {
    const bytes = raw([{ alias: 7, int_value: 0xfffffffb }, { name: 'x', long_value: long(12n) }, { name: 'y', float_value: 1.5 }]);
    const plain = decodeSparkplugPayload(bytes, 't');
    assert.deepEqual(plain.metrics.map((m) => m.value), [0xfffffffb, 12, 1.5]);
    const resolved = decodeSparkplugPayload(bytes, 't', (name, alias) => (alias === 7 ? T.Int32 : undefined));
    assert.equal(resolved.metrics[0].value, -5);
    assert.equal(resolved.metrics[0].datatype, T.Int32);
  });

  it('keeps alias 0, false and empty text (explicit field presence)', () => {
    const m = one({ alias: 0, datatype: T.Boolean, value: false, timestamp: 0 });
    assert.deepEqual(m, { alias: 0, timestamp: 0, datatype: T.Boolean, value: false });
  });

  it('decodes null metrics, timestamps, seq and flags', () => {
    const decoded = roundTrip([{ name: 'n', datatype: T.Double, value: null, timestamp: 1718000000000 }, { name: 'h', datatype: T.Int32, value: 3, isHistorical: true, isTransient: true }], { timestamp: 1718000000500, seq: 17 });
    assert.equal(decoded.timestamp, 1718000000500);
    assert.equal(decoded.seq, 17);
    assert.deepEqual(decoded.metrics[0], { name: 'n', timestamp: 1718000000000, datatype: T.Double, isNull: true, value: null });
    assert.equal(decoded.metrics[1].isHistorical, true);
    assert.equal(decoded.metrics[1].isTransient, true);
  });

  it('decodes simple properties into a prototype-free record', () => {
    const properties = JSON.parse('{"Quality": 192, "engUnit": "degC", "__proto__": 1, "limit": -2.5, "flag": true}');
    const m = one({ name: 'p', datatype: T.Double, value: 1, properties });
    assert.equal(Object.getPrototypeOf(m.properties), null);
    assert.deepEqual({ ...m.properties }, JSON.parse('{"Quality": 192, "engUnit": "degC", "__proto__": 1, "limit": -2.5, "flag": true}'));
    assert.equal(Object.prototype.hasOwnProperty.call(m.properties, '__proto__'), true);
    assert.equal({}.polluted, undefined);
    assert.equal(Object.getPrototypeOf({}), Object.prototype);
  });
});

describe('Sparkplug codec: schema field numbers (hand-built wire bytes)', () => {
  it('decodes a message written field by field with protobufjs Writer', () => {
    const w = protobuf.Writer.create();
    w.uint32((1 << 3) | 0).uint64(1718000000000); // Payload.timestamp = 1
    w.uint32((3 << 3) | 0).uint64(42); // Payload.seq = 3
    w.uint32((4 << 3) | 2).string('run-1'); // Payload.uuid = 4
    w.uint32((2 << 3) | 2).fork(); // Payload.metrics = 2
    w.uint32((1 << 3) | 2).string('Motor/Temperature'); // Metric.name = 1
    w.uint32((2 << 3) | 0).uint64(5); // Metric.alias = 2
    w.uint32((3 << 3) | 0).uint64(1718000000123); // Metric.timestamp = 3
    w.uint32((4 << 3) | 0).uint32(T.Int16); // Metric.datatype = 4
    w.uint32((9 << 3) | 2).fork(); // Metric.properties = 9 (PropertySet)
    w.uint32((1 << 3) | 2).string('Quality'); // PropertySet.keys = 1
    w.uint32((2 << 3) | 2).fork(); // PropertySet.values = 2
    w.uint32((1 << 3) | 0).uint32(T.Int32); // PropertyValue.type = 1
    w.uint32((3 << 3) | 0).uint32(64); // PropertyValue.int_value = 3
    w.ldelim().ldelim();
    w.uint32((10 << 3) | 0).uint32(0xfff6); // Metric.int_value = 10: -10 as Int16
    w.ldelim();
    w.uint32((2 << 3) | 2).fork();
    w.uint32((1 << 3) | 2).string('Running');
    w.uint32((4 << 3) | 0).uint32(T.Boolean);
    w.uint32((14 << 3) | 0).bool(true); // Metric.boolean_value = 14
    w.ldelim();
    w.uint32((2 << 3) | 2).fork();
    w.uint32((1 << 3) | 2).string('Speed');
    w.uint32((4 << 3) | 0).uint32(T.Float);
    w.uint32((12 << 3) | 5).float(12.5); // Metric.float_value = 12
    w.ldelim();
    w.uint32((2 << 3) | 2).fork();
    w.uint32((1 << 3) | 2).string('Recipe');
    w.uint32((4 << 3) | 0).uint32(T.String);
    w.uint32((7 << 3) | 0).bool(false); // Metric.is_null = 7
    w.uint32((15 << 3) | 2).string('A-17'); // Metric.string_value = 15
    w.ldelim();
    w.uint32((2 << 3) | 2).fork();
    w.uint32((1 << 3) | 2).string('Energy');
    w.uint32((4 << 3) | 0).uint32(T.UInt64);
    w.uint32((5 << 3) | 0).bool(true); // Metric.is_historical = 5
    w.uint32((11 << 3) | 0).uint64(123456789012); // Metric.long_value = 11
    w.ldelim();
    w.uint32((2 << 3) | 2).fork();
    w.uint32((1 << 3) | 2).string('Pressure');
    w.uint32((4 << 3) | 0).uint32(T.Double);
    w.uint32((13 << 3) | 1).double(3.25); // Metric.double_value = 13
    w.ldelim();
    w.uint32((99 << 3) | 0).uint32(1); // an extension field a host must skip
    const decoded = decodeSparkplugPayload(w.finish(), 't');
    assert.equal(decoded.timestamp, 1718000000000);
    assert.equal(decoded.seq, 42);
    assert.deepEqual(decoded.skipped, []);
    const [temp, running, speed, recipe, energy, pressure] = decoded.metrics;
    assert.deepEqual({ ...temp, properties: { ...temp.properties } }, { name: 'Motor/Temperature', alias: 5, timestamp: 1718000000123, datatype: T.Int16, value: -10, properties: { Quality: 64 } });
    assert.deepEqual([running.value, speed.value, recipe.value, recipe.isNull, energy.value, energy.isHistorical, pressure.value], [true, 12.5, 'A-17', undefined, 123456789012, true, 3.25]);
  });
});

describe('Sparkplug codec: garbage', () => {
  const expectBadPayload = (bytes) => assert.throws(() => decodeSparkplugPayload(bytes, 'spBv1.0/g/NDATA/e'), (err) => err instanceof InputError && err.shortReason === 'bad Sparkplug payload' && err.topic === 'spBv1.0/g/NDATA/e');

  it('refuses empty, non-binary and malformed bytes with InputError', () => {
    expectBadPayload(new Uint8Array(0));
    expectBadPayload('{"metrics":[]}');
    expectBadPayload(null);
    expectBadPayload(undefined);
    expectBadPayload([1, 2, 3]);
    expectBadPayload(Buffer.from([0x0f])); // wire type 7 does not exist
    expectBadPayload(Buffer.from([0x12, 0x10, 0x0a, 0x02])); // metric longer than the buffer
    expectBadPayload(Buffer.from('{"timestamp":1}')); // JSON is not Sparkplug
    expectBadPayload(Buffer.from([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])); // endless varint
  });

  it('refuses templates nested deeper than the protobuf recursion limit without overflowing the stack', () => {
    // Metric{template_value=18: Template{metrics=2: Metric{...}}} as raw bytes, `levels` deep.
    const nested = (levels) => {
      let inner = PayloadType.lookupType('Metric').encode({ name: 'leaf', datatype: T.Int32, int_value: 1 }).finish();
      for (let depth = 0; depth < levels; depth++) {
        const template = protobuf.Writer.create().uint32((2 << 3) | 2).bytes(inner).finish();
        inner = protobuf.Writer.create().uint32((1 << 3) | 2).string(`level${depth}`).uint32((4 << 3) | 0).uint32(T.Template).uint32((18 << 3) | 2).bytes(template).finish();
      }
      return protobuf.Writer.create().uint32((2 << 3) | 2).bytes(inner).finish();
    };
    const shallow = decodeSparkplugPayload(nested(5), 't');
    assert.deepEqual(shallow.skipped.map((s) => [s.name, s.reason]), [['level4', 'unsupported type']]);
    assert.throws(() => decodeSparkplugPayload(nested(150), 'spBv1.0/g/NDATA/e'), (err) => err instanceof InputError && err.shortReason === 'bad Sparkplug payload' && /max depth/.test(err.message));
  });

  it('encode refuses values that do not fit their datatype', () => {
    const refuses = (metric, reason) => assert.throws(() => encodeSparkplugPayload({ metrics: [metric] }), (err) => err instanceof InputError && err.shortReason === reason);
    refuses({ name: 'a', datatype: T.Int8, value: 128 }, 'bad metric value');
    refuses({ name: 'a', datatype: T.UInt16, value: -1 }, 'bad metric value');
    refuses({ name: 'a', datatype: T.Int32, value: '12' }, 'bad metric value');
    refuses({ name: 'a', datatype: T.Int32, value: 1.5 }, 'bad metric value');
    refuses({ name: 'a', datatype: T.UInt64, value: 2 ** 60 }, 'bad metric value');
    refuses({ name: 'a', datatype: T.Boolean, value: 1 }, 'bad metric value');
    refuses({ name: 'a', datatype: T.Bytes, value: 'x' }, 'unsupported type');
    refuses({ name: 'a', alias: -1, value: 1 }, 'bad alias');
    refuses({ name: 'a', value: 1, timestamp: -5 }, 'bad timestamp');
    refuses({ name: 'a', value: {} }, 'bad metric value');
    assert.throws(() => encodeSparkplugPayload(null), InputError);
    assert.throws(() => encodeSparkplugPayload({ metrics: 'x' }), InputError);
    assert.throws(() => encodeSparkplugPayload({ metrics: [null] }), InputError);
  });
});
