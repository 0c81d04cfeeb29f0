'use strict';
const assert = require('assert/strict');
const { UnitConverter, canonicalUnitName } = require('../../../dist/core/ingest/units');
const { InputError } = require('../../../dist/core/errors');

describe('ingest units: UnitConverter', function () {
  const units = new UnitConverter();
  const convert = (value, from, to) => units.convert(value, from, to, 'plant/press1/sig');

  function rejects(fn, reason, ...mentions) {
    assert.throws(fn, (err) => {
      assert.ok(err instanceof InputError, `expected InputError, got ${err && err.name}`);
      assert.equal(err.shortReason, reason);
      for (const text of mentions) assert.ok(err.message.includes(text), `"${err.message}" should name ${text}`);
      return true;
    });
  }

  it('converts temperatures with their offsets exactly', () => {
    assert.equal(convert(212, '°F', 'degC'), 100);
    assert.equal(convert(32, 'F', '°C'), 0);
    assert.equal(convert(100, 'degC', 'degF'), 212);
    assert.equal(convert(37, '℃', 'degF'), 98.6);
    assert.equal(convert(-40, 'celsius', 'fahrenheit'), -40);
    assert.equal(convert(0, 'degC', 'K'), 273.15);
    assert.equal(convert(373.15, 'kelvin', 'degC'), 100);
    assert.equal(convert(-17.5, 'degC', 'degC'), -17.5);
  });

  it('converts pressures, speeds, flows, power and energy', () => {
    assert.equal(convert(1234, 'mbar', 'bar'), 1.234);
    assert.equal(convert(1.5, 'bar', 'kPa'), 150);
    assert.equal(convert(2, 'MPa', 'bar'), 20);
    // mathjs: 1 psi = 6894.75729276459 Pa; 14.5 psi = 99973.9807450866 Pa = 0.999739807451 bar (12 digits)
    assert.equal(convert(14.5, 'psi', 'bar'), 0.999739807451);
    assert.equal(convert(1200, 'rpm', 'Hz'), 20);
    assert.equal(convert(50, 'Hz', 'RPM'), 3000);
    assert.equal(convert(90, '1/min', 'rpm'), 90);
    assert.equal(convert(6, 'm3/h', 'l/min'), 100);
    assert.equal(convert(6, 'm³/h', 'L/min'), 100);
    assert.equal(convert(1.5, 'kW', 'W'), 1500);
    assert.equal(convert(2, 'kWh', 'J'), 7.2e6);
    assert.equal(convert(250, 'mA', 'A'), 0.25);
    assert.equal(convert(12, 'mm/s', 'm/s'), 0.012);
    assert.equal(convert(2, 'gn', 'm/s2'), 19.6133);
    assert.equal(convert(3, 'µm', 'mm'), 0.003);
  });

  it('keeps percent as its own unit', () => {
    assert.equal(convert(85, '%', 'percent'), 85);
    assert.equal(convert(85, 'percent', '%'), 85);
    assert.equal(convert(250, 'ppm', '%'), 0.025);
    rejects(() => convert(85, '%', 'bar'), 'wrong unit', 'percent', 'bar');
  });

  it('keeps the value when the source states no unit or there is no target', () => {
    assert.equal(convert(4.2, undefined, 'bar'), 4.2);
    assert.equal(convert(4.2, null, 'bar'), 4.2);
    assert.equal(convert(4.2, '', 'bar'), 4.2);
    assert.equal(convert(4.2, 'mbar', null), 4.2);
  });

  it('refuses unknown and incompatible units, naming them', () => {
    rejects(() => convert(1, 'bar', 'degC'), 'wrong unit', 'bar', 'degC');
    rejects(() => convert(1, 'rpm', 'bar'), 'wrong unit', 'rpm', 'bar');
    rejects(() => convert(1, 'furlongs', 'bar'), 'unknown unit', 'furlongs');
    rejects(() => convert(1, 'bar', 'wibble'), 'unknown unit', 'wibble');
    // Repeated failures come from the cache and still name the topic.
    rejects(() => convert(1, 'furlongs', 'bar'), 'unknown unit', 'plant/press1/sig');
    rejects(() => convert(1, '5 bar', 'bar'), 'unknown unit');
    rejects(() => convert(1, 'bar^', 'bar'), 'unknown unit');
    rejects(() => convert(1, 'x'.repeat(10_000), 'bar'), 'unknown unit');
    rejects(() => convert(1, '1+2', 'bar'), 'unknown unit');
    rejects(() => convert(1, 'import(\'fs\')', 'bar'), 'unknown unit');
  });

  it('refuses values that are not finite or overflow', () => {
    rejects(() => convert(NaN, 'bar', 'mbar'), 'not finite');
    rejects(() => convert(Infinity, 'bar', 'mbar'), 'not finite');
    rejects(() => convert(1e308, 'bar', 'mbar'), 'not finite');
  });

  it('never returns negative zero', () => {
    assert.ok(Object.is(convert(-0, 'bar', 'mbar'), 0));
    assert.ok(Object.is(convert(32, 'degF', 'degC'), 0), '32 °F is exactly +0 °C');
    assert.ok(Object.is(convert(-0, 'degC', '°C'), 0), 'same unit, still +0');
  });

  it('normalises spellings and knows which units exist', () => {
    assert.equal(units.normaliseUnitName(' °C '), 'degC');
    assert.equal(units.normaliseUnitName('BAR'), 'bar');
    assert.equal(units.normaliseUnitName('%'), 'percent');
    assert.equal(units.normaliseUnitName('m³/h'), 'm^3/h');
    assert.equal(units.normaliseUnitName('°C / min'), 'degC/min');
    assert.equal(units.normaliseUnitName('N·m'), 'N*m');
    assert.equal(units.normaliseUnitName(''), '');
    assert.equal(canonicalUnitName('kWh'), 'kWh');
    for (const unit of ['degC', '°F', 'K', 'bar', 'mbar', 'psi', 'Pa', 'kPa', 'MPa', 'rpm', 'Hz', '%', 'm3/h', 'l/min', 'A', 'V', 'W', 'kW', 'kWh', 'mm/s', 'gn', 'N·m', 'kg/h']) {
      assert.equal(units.isKnown(unit), true, unit);
    }
    for (const unit of ['', 'wibble', '5', '5 m', 'm m', '(m)', '__proto__', 'constructor', 'x'.repeat(500)]) {
      assert.equal(units.isKnown(unit), false, unit);
    }
  });

  it('gives the same answer from the cached conversion as from the first one', () => {
    const first = convert(451, 'degF', 'degC');
    for (let i = 0; i < 1000; i++) assert.equal(convert(451, 'degF', 'degC'), first);
    assert.ok(Math.abs(first - 232.7777777778) < 1e-9, String(first));
  });
});

describe('UnitConverter: what it loads', () => {
  it("uses mathjs's Unit class alone, never mathjs's whole default instance", () => {
    const { execFileSync } = require('node:child_process');
    const script = `
      const { UnitConverter } = require(${JSON.stringify(require.resolve('../../../dist/core/ingest/units'))});
      const value = new UnitConverter().convert(212, 'degF', 'degC', 'test');
      const full = Object.keys(require.cache).some((file) => /mathjs[\\\\/]lib[\\\\/]cjs[\\\\/](index|entry[\\\\/]mainAny)\\.js$/.test(file));
      process.stdout.write(JSON.stringify({ value, full }));`;
    const result = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }));
    assert.equal(result.value, 100);
    assert.equal(result.full, false, 'the main mathjs entry was loaded');
  });
});
