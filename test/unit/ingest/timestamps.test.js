'use strict';
const assert = require('assert/strict');
const { parseTimestamp, EARLIEST_TIMESTAMP_MS } = require('../../../dist/core/ingest/timestamps');
const { InputError } = require('../../../dist/core/errors');

// A fixed "now" keeps the future rule testable: 2024-05-01T12:00:00Z.
const NOW = Date.UTC(2024, 4, 1, 12, 0, 0);
const parse = (raw) => parseTimestamp(raw, 'plant/press1/temperature', NOW);

function rejects(raw) {
  assert.throws(() => parse(raw), (err) => {
    assert.ok(err instanceof InputError, `expected InputError, got ${err && err.name}`);
    assert.equal(err.shortReason, 'bad timestamp');
    assert.equal(err.topic, 'plant/press1/temperature');
    return true;
  });
}

describe('ingest timestamps', () => {
  it('gives undefined when there is no timestamp', () => {
    assert.equal(parse(undefined), undefined);
    assert.equal(parse(null), undefined);
  });

  it('accepts Dates', () => {
    assert.equal(parse(new Date('2024-05-01T10:00:00Z')), Date.UTC(2024, 4, 1, 10));
  });

  it('reads ISO-8601 date-times with Z, offsets, fractions and a space', () => {
    assert.equal(parse('2024-05-01T10:00:00Z'), 1714557600000);
    assert.equal(parse('2024-05-01T10:00:00.250Z'), 1714557600250);
    assert.equal(parse('2024-05-01T12:00:00+02:00'), 1714557600000);
    assert.equal(parse('2024-05-01T05:30:00-0430'), 1714557600000);
    assert.equal(parse('2024-05-01 10:00Z'), 1714557600000);
    assert.equal(parse('2024-05-01T10:00:00,5z'), 1714557600500);
    assert.equal(parse('2024-05-01T10:00:00.123456Z'), 1714557600123.456);
    assert.equal(parse('2024-02-29T00:00:00Z'), Date.UTC(2024, 1, 29));
  });

  it('reads an ISO date-time without offset as server local time', () => {
    assert.equal(parse('2024-05-01T10:00:00'), new Date(2024, 4, 1, 10, 0, 0).getTime());
  });

  it('reads epoch seconds below 1e11 and epoch milliseconds above', () => {
    assert.equal(parse(1714557600), 1714557600000);
    assert.equal(parse(1714557600.123), 1714557600123);
    assert.equal(parse(1714557600000), 1714557600000);
    assert.equal(parse('1714557600'), 1714557600000);
    assert.equal(parse('1714557600.5'), 1714557600500);
    assert.equal(parse(' 1714557600000 '), 1714557600000);
    assert.equal(parse(1714557600n), 1714557600000);
    assert.equal(parse(1714557600000n), 1714557600000);
  });

  it('refuses times before 2000 and more than a day ahead', () => {
    assert.equal(parse(EARLIEST_TIMESTAMP_MS), EARLIEST_TIMESTAMP_MS);
    rejects(EARLIEST_TIMESTAMP_MS - 1);
    rejects(0);
    rejects(86400); // 1970-01-02 in seconds
    rejects('1999-12-31T23:59:59Z');
    rejects(new Date(0));
    assert.equal(parse(NOW + 86_400_000), NOW + 86_400_000);
    rejects(NOW + 86_400_001);
    rejects('2999-01-01T00:00:00Z');
    rejects(new Date(8.64e15));
    rejects(1714557600000000); // microseconds mistaken for ms
    rejects(1714557600000000000n); // nanoseconds
  });

  it('uses the real clock for the future rule when no now is given', () => {
    assert.equal(typeof parseTimestamp(Date.now(), 't'), 'number');
    assert.throws(() => parseTimestamp(Date.now() + 2 * 86_400_000, 't'), (err) => err.shortReason === 'bad timestamp');
  });

  it('refuses garbage', () => {
    for (const raw of ['', 'yesterday', 'NaN', '2024-05-01', '2024-13-01T00:00:00Z', '2024-02-30T00:00:00Z',
      '2023-02-29T00:00:00Z', '2024-05-01T24:00:00Z', '2024-05-01T10:61:00Z', '2024-05-01T10:00:00+25:00',
      '-1714557600', '1e9', '2024-05-01T10:00:00Z'.repeat(1000), NaN, Infinity, -Infinity, -1714557600,
      true, {}, { value: new Date() }, [1714557600], Symbol('t'), () => 1, new Date('nope'), -5n, 2n ** 70n,
      Buffer.from('1714557600')]) {
      rejects(raw);
    }
  });
});
