'use strict';
const assert = require('assert/strict');
const { InputError } = require('../../../dist/core/errors');
const { SparkplugSession, encodeSparkplugPayload, decodeSparkplugPayload, SparkplugDataType: T } = require('../../../dist/core/ingest/sparkplug');

/** Seeded PRNG so a failure can be replayed. */
const prng = require('../../../scripts/lib/seeded-random').seeded;

const SEED = 20240611;
const topics = ['NBIRTH', 'NDATA', 'NDEATH'].map((t) => `spBv1.0/Fuzz/${t}/edge`).concat(['DBIRTH', 'DDATA', 'DDEATH'].map((t) => `spBv1.0/Fuzz/${t}/edge/dev`));

function checkPayload(payload) {
  assert.ok(Array.isArray(payload.metrics));
  for (const m of payload.metrics) {
    assert.ok(m.value === null || ['number', 'boolean', 'string'].includes(typeof m.value), `value ${String(m.value)}`);
    if (typeof m.value === 'number' && Number.isInteger(m.value)) assert.ok(Number.isSafeInteger(m.value));
    if (m.alias !== undefined) assert.ok(Number.isSafeInteger(m.alias));
  }
  for (const s of payload.skipped) assert.ok(s.error === undefined || s.error instanceof InputError);
}

function checkResult(result) {
  assert.ok(Number.isInteger(result.skipped) && result.skipped >= 0);
  assert.ok(result.errors.every((e) => e instanceof InputError));
  for (const s of result.samples) {
    assert.equal(typeof s.asset, 'string');
    assert.ok(typeof s.signal === 'string' && s.signal.length > 0);
    assert.ok(['number', 'boolean', 'string'].includes(typeof s.value));
    assert.ok(['good', 'uncertain', 'bad'].includes(s.quality));
  }
  if (result.rebirthRequest) assert.match(result.rebirthRequest.topic, /^spBv1\.0\/Fuzz\/NCMD\/edge$/);
}

/** Runs `fn`; anything thrown must be an InputError. Returns 'ok' or 'refused'. */
function onlyInputErrors(fn, label) {
  try {
    fn();
    return 'ok';
  } catch (err) {
    assert.ok(err instanceof InputError, `${label}: threw ${err && err.constructor && err.constructor.name}: ${err && err.message}`);
    return 'refused';
  }
}

describe('Sparkplug: random and mutated bytes', () => {
  let protoKeys;
  before(() => {
    protoKeys = Object.getOwnPropertyNames(Object.prototype).sort();
  });
  after(() => {
    assert.deepEqual(Object.getOwnPropertyNames(Object.prototype).sort(), protoKeys, 'Object.prototype untouched');
  });

  it('1,000 random buffers: decode gives a valid payload or an InputError, never anything else', () => {
    const random = prng(SEED);
    const outcomes = { ok: 0, refused: 0 };
    for (let i = 0; i < 1000; i++) {
      const bytes = Buffer.alloc(Math.floor(random() * 64));
      for (let j = 0; j < bytes.length; j++) bytes[j] = Math.floor(random() * 256);
      outcomes[onlyInputErrors(() => checkPayload(decodeSparkplugPayload(bytes, 'fuzz')), `buffer ${i} ${bytes.toString('hex')}`)]++;
    }
    assert.ok(outcomes.refused > 100, `most random bytes are refused (${outcomes.refused})`);
  });

  it('1,000 random buffers through a live session on every message type never break it', () => {
    const random = prng(SEED + 1);
    const session = new SparkplugSession();
    const birth = encodeSparkplugPayload({ timestamp: 1, metrics: [{ name: 'Speed', alias: 1, datatype: T.Double, value: 1 }] });
    session.handle('spBv1.0/Fuzz/NBIRTH/edge', birth, 1);
    for (let i = 0; i < 1000; i++) {
      const bytes = Buffer.alloc(Math.floor(random() * 64));
      for (let j = 0; j < bytes.length; j++) bytes[j] = Math.floor(random() * 256);
      const topic = topics[i % topics.length];
      onlyInputErrors(() => checkResult(session.handle(topic, bytes, 1000 + i)), `${topic} ${bytes.toString('hex')}`);
    }
    // Whatever happened, a fresh birth and data are understood again.
    session.handle('spBv1.0/Fuzz/NBIRTH/edge', birth, 5000);
    const data = encodeSparkplugPayload({ metrics: [{ alias: 1, datatype: T.Double, value: 2 }] });
    assert.deepEqual(session.handle('spBv1.0/Fuzz/NDATA/edge', data, 5001).samples.map((s) => s.value), [2]);
  });

  it('1,000 mutations of a valid birth (changed or cut bytes) stay within the contract', () => {
    const random = prng(SEED + 2);
    const valid = encodeSparkplugPayload({
      timestamp: 1718000000000,
      seq: 0,
      metrics: [
        { name: 'bdSeq', datatype: T.Int64, value: 0 },
        { name: 'Motor/Temperature', alias: 1, datatype: T.Float, value: 21.5, properties: { Quality: 192, engUnit: 'degC' } },
        { name: 'Count', alias: 2, datatype: T.Int64, value: -42 },
        { name: 'Small', alias: 3, datatype: T.Int8, value: -3 },
        { name: 'Running', alias: 4, datatype: T.Boolean, value: true },
        { name: 'Recipe', alias: 5, datatype: T.String, value: 'A-17' },
      ],
    });
    let understood = 0;
    for (let i = 0; i < 1000; i++) {
      const bytes = Buffer.from(valid);
      const cut = random() < 0.2;
      for (let k = 0; k < 1 + Math.floor(random() * 3); k++) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
      const mutated = cut ? bytes.subarray(0, Math.floor(random() * bytes.length)) : bytes;
      const session = new SparkplugSession();
      if (onlyInputErrors(() => checkResult(session.handle('spBv1.0/Fuzz/NBIRTH/edge', mutated, 1)), mutated.toString('hex')) === 'ok') understood++;
    }
    assert.ok(understood > 0 && understood < 1000, `some mutations still decode, some do not (${understood})`);
  });
});
