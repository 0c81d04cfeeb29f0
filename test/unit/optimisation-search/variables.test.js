'use strict';
const assert = require('assert/strict');
const { VariableSpace, validateVariables } = require('../../../dist/core/optimisation/search/variables');
const { SeededRandom } = require('../../../dist/core/simulation/des/random');
const { ConfigError, InputError } = require('../../../dist/core/errors');
const { refused } = require('./helpers');

const mixed = () => [
  { name: 'speed', kind: 'continuous', min: 0.5, max: 2.5 },
  { name: 'temp', kind: 'continuous', min: 0, max: 1, step: 0.1 },
  { name: 'shifts', kind: 'integer', min: 1, max: 3 },
  { name: 'batch', kind: 'integer', min: 10, max: 55, step: 10 },
  { name: 'mode', kind: 'categorical', values: ['eco', 'normal', 'boost'] },
];

describe('optimisation variables', () => {
  it('refuses garbage with a ConfigError naming the variable', () => {
    refused(() => validateVariables(undefined), ConfigError, 'no variables');
    refused(() => validateVariables([]), ConfigError, 'no variables');
    refused(() => validateVariables('x'), ConfigError, 'no variables');
    refused(() => validateVariables([null]), ConfigError, 'bad variable', /variable #1/);
    refused(() => validateVariables([42]), ConfigError, 'bad variable', /variable #1/);
    refused(() => validateVariables([{ kind: 'continuous', min: 0, max: 1 }]), ConfigError, 'bad variable', /name/);
    refused(() => validateVariables([{ name: 'a', kind: 'real', min: 0, max: 1 }]), ConfigError, 'bad variable', /"a".*kind/);
    refused(() => validateVariables([{ name: 'a', kind: 'continuous', min: 2, max: 1 }]), ConfigError, 'bad variable', /"a": min 2 > max 1/);
    refused(() => validateVariables([{ name: 'a', kind: 'continuous', min: 0, max: Infinity }]), ConfigError, 'bad variable', /"a": max/);
    refused(() => validateVariables([{ name: 'a', kind: 'continuous', min: '0', max: 1 }]), ConfigError, 'bad variable', /"a": min/);
    refused(() => validateVariables([{ name: 'a', kind: 'continuous', min: 0, max: 1, step: 0 }]), ConfigError, 'bad variable', /"a": step/);
    refused(() => validateVariables([{ name: 'a', kind: 'continuous', min: 0, max: 1, step: NaN }]), ConfigError, 'bad variable', /"a": step/);
    refused(() => validateVariables([{ name: 'n', kind: 'integer', min: 0.5, max: 3 }]), ConfigError, 'bad variable', /"n": an integer variable needs integer min/);
    refused(() => validateVariables([{ name: 'n', kind: 'integer', min: 0, max: 3, step: 1.5 }]), ConfigError, 'bad variable', /"n".*integer step/);
    refused(() => validateVariables([{ name: 'n', kind: 'integer', min: 0, max: 3, initial: 7 }]), ConfigError, 'bad variable', /"n": initial/);
    refused(() => validateVariables([{ name: 'm', kind: 'categorical', values: [] }]), ConfigError, 'bad variable', /"m"/);
    refused(() => validateVariables([{ name: 'm', kind: 'categorical', values: ['a', 'a'] }]), ConfigError, 'bad variable', /"m": value "a" is listed twice/);
    refused(() => validateVariables([{ name: 'm', kind: 'categorical', values: ['a', {}] }]), ConfigError, 'bad variable', /"m": values\[1\]/);
    refused(() => validateVariables([{ name: 'm', kind: 'categorical', values: ['a'], initial: 'b' }]), ConfigError, 'bad variable', /"m": initial "b"/);
    refused(() => validateVariables([{ name: 'a', kind: 'continuous', min: 0, max: 1 }, { name: 'a', kind: 'integer', min: 0, max: 1 }]), ConfigError, 'bad variable', /"a": the name is used twice/);
    refused(() => validateVariables([{ name: 'a', kind: 'continuous', min: 0, max: 1, maxx: 3 }]), ConfigError, 'bad variable', /"a": unknown field\(s\) maxx/);
    // Categorical values of different types are different values.
    assert.equal(validateVariables([{ name: 'm', kind: 'categorical', values: [1, '1', true] }]).length, 1);
  });

  it('encodes and decodes named points; refuses bad points with an InputError naming the variable', () => {
    const s = new VariableSpace(mixed());
    assert.equal(s.dimension, 5);
    const point = { speed: 1.25, temp: 0.3, shifts: 2, batch: 30, mode: 'boost' };
    const x = s.encode(point);
    assert.deepEqual(x, [1.25, 0.3, 2, 30, 2]);
    assert.deepEqual(s.decode(x), point);
    refused(() => s.encode({ ...point, mode: 'turbo' }), InputError, 'bad point', /"mode": "turbo" is not one of/);
    refused(() => s.encode({ ...point, speed: 3 }), InputError, 'bad point', /"speed": 3 is outside \[0.5, 2.5\]/);
    refused(() => s.encode({ ...point, shifts: 1.5 }), InputError, 'bad point', /"shifts": 1.5 is not an integer/);
    refused(() => s.encode({ ...point, speed: 'fast' }), InputError, 'bad point', /"speed"/);
    refused(() => s.encode({ speed: 1 }), InputError, 'bad point', /"temp" is missing/);
    refused(() => s.encode({ ...point, colour: 'red' }), InputError, 'bad point', /unknown variable\(s\) "colour"/);
    refused(() => s.encode([1, 2]), InputError, 'bad point');
  });

  it('snaps onto steps without float noise, clamps, and keeps the last grid value below max', () => {
    const s = new VariableSpace(mixed());
    assert.deepEqual(s.upper, [2.5, 1, 3, 50, 2]);
    assert.deepEqual(s.snap([9, 0.30000000000000004, 2.6, 34.9, 1.4]), [2.5, 0.3, 3, 30, 1]);
    assert.deepEqual(s.snap([-9, 0.74, 0.2, 60, -3]), [0.5, 0.7, 1, 50, 0]);
    assert.deepEqual(s.snap([NaN, 0.05, 2.5, 45, 2.6]), [0.5, 0.1, 3, 50, 2]);
    for (let k = 0; k <= 10; k++) assert.equal(s.snapOne(1, k / 10 + 1e-12), Number((k / 10).toFixed(1)));
    // Relaxed bounds: half a step beyond the grid ends on discrete variables only.
    assert.deepEqual(s.relaxedLower, [0.5, -0.05, 0.5, 5, -0.5]);
    assert.deepEqual(s.relaxedUpper, [2.5, 1.05, 3.5, 55, 2.5]);
    assert.equal(s.key(s.snap([1, 0.1 + 0.2, 2, 30, 1])), s.key(s.snap([1, 0.3, 2, 30, 1])));
  });

  it('samples uniformly on the grid, within bounds, deterministically for a seed', () => {
    const s = new VariableSpace(mixed());
    const a = new SeededRandom(5), b = new SeededRandom(5);
    const counts = { eco: 0, normal: 0, boost: 0 };
    const shifts = [0, 0, 0, 0];
    for (let k = 0; k < 3000; k++) {
      const x = s.sample(a);
      assert.deepEqual(x, s.sample(b));
      assert.deepEqual(s.snap(x), x);
      assert.ok(x[0] >= 0.5 && x[0] <= 2.5);
      counts[s.decode(x).mode]++;
      shifts[x[2]]++;
    }
    for (const c of Object.values(counts)) assert.ok(c > 850 && c < 1150, JSON.stringify(counts));
    for (const c of shifts.slice(1)) assert.ok(c > 850 && c < 1150, JSON.stringify(shifts));
  });

  it('unit scaling round-trips and initial() uses the given initial values', () => {
    const s = new VariableSpace([
      { name: 'a', kind: 'continuous', min: -2, max: 6, initial: 1 },
      { name: 'b', kind: 'integer', min: 0, max: 4 },
      { name: 'c', kind: 'categorical', values: ['x', 'y'], initial: 'y' },
      { name: 'd', kind: 'continuous', min: 3, max: 3 },
    ]);
    const x = [0.5, 2, 1, 3];
    assert.deepEqual(s.fromUnit(s.toUnit(x)).map((v) => +v.toFixed(12)), x);
    assert.deepEqual(s.initial(), [1, 2, 1, 3]);
    assert.equal(s.hasInitial(), true);
    assert.equal(s.toUnit([0, 0, 0, 3])[3], 0.5);
  });
});
