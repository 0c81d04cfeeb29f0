'use strict';
const assert = require('assert/strict');
const { summarise, summariseKpis, compareScenarios, studentTQuantile, studentTCdf } = require('../../../dist/core/scenarios/statistics');
const { studentTPdf, incompleteBeta, logGamma } = require('../../../dist/core/scenarios/student-t');
const { InputError, ConfigError } = require('../../../dist/core/errors');
const { refused, gaussianSource } = require('../calibration/helpers');

const close = (actual, expected, tol, what) => assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual} vs ${expected}`);

describe('scenarios statistics: Student t', () => {
  // Printed tables (3 decimals) and R's qt() to 7 significant digits.
  const known = [
    [0.975, 1, 12.706, 12.70620],
    [0.975, 4, 2.776, 2.776445],
    [0.975, 9, 2.262, 2.262157],
    [0.975, 29, 2.045, 2.045230],
    [0.975, 120, 1.980, 1.979930],
    [0.995, 10, 3.169, 3.169273],
    [0.95, 5, 2.015, 2.015048],
    [0.975, 2, 4.303, 4.302653],
    [0.9, 1, 3.078, 3.077684],
    [0.99, 30, 2.457, 2.457262],
  ];
  for (const [p, df, table, precise] of known) {
    it(`t(${p}, ${df}) = ${table}`, () => {
      const t = studentTQuantile(p, df);
      assert.equal(Math.round(t * 1000) / 1000, table);
      close(t, precise, 5e-6 * precise, 'precise');
    });
  }

  it('is antisymmetric and 0 at the median', () => {
    assert.equal(studentTQuantile(0.5, 7), 0);
    for (const df of [1, 2, 3, 10, 57.5]) close(studentTQuantile(0.025, df), -studentTQuantile(0.975, df), 1e-12, `df ${df}`);
  });

  it('inverts the CDF, deep into the tails and for fractional df', () => {
    for (const df of [1, 1.5, 2, 3, 4.7, 10, 33.3, 200, 1e4, 1e6]) {
      for (const p of [1e-10, 1e-4, 0.01, 0.2, 0.6, 0.9, 0.999, 1 - 1e-9]) {
        const t = studentTQuantile(p, df);
        const back = studentTCdf(t, df);
        const tail = Math.min(p, 1 - p);
        assert.ok(Math.abs(back - p) <= 1e-9 * tail + 1e-15, `df ${df}, p ${p}: cdf(${t}) = ${back}`);
      }
    }
  });

  it('fractional df falls between its integer neighbours', () => {
    const t7 = studentTQuantile(0.975, 7), t75 = studentTQuantile(0.975, 7.5), t8 = studentTQuantile(0.975, 8);
    assert.ok(t7 > t75 && t75 > t8);
  });

  it('tends to the normal quantile for large df', () => {
    close(studentTQuantile(0.975, 1e9), 1.959963985, 1e-8, 'df 1e9');
    close(studentTQuantile(0.975, 1e5), 1.959963985 + 1.959963985 * (1.959963985 ** 2 + 1) / 4e5, 1e-9, 'df 1e5');
  });

  it('the CDF agrees with an integral of the density', () => {
    const simpson = (f, a, b, n) => {
      const h = (b - a) / n;
      let s = f(a) + f(b);
      for (let i = 1; i < n; i++) s += (i % 2 ? 4 : 2) * f(a + i * h);
      return (s * h) / 3;
    };
    for (const df of [1, 3, 7.5, 30]) {
      for (const t of [0.5, 2, 4]) close(studentTCdf(t, df), 0.5 + simpson((x) => studentTPdf(x, df), 0, t, 2000), 1e-11, `df ${df}, t ${t}`);
    }
  });

  it('special functions match closed forms', () => {
    close(logGamma(0.5), Math.log(Math.sqrt(Math.PI)), 1e-14, 'lnΓ(½)');
    close(logGamma(10), Math.log(362880), 1e-13, 'lnΓ(10)');
    close(incompleteBeta(0.3, 1, 1), 0.3, 1e-15, 'I(1,1)');
    close(incompleteBeta(0.3, 2, 1), 0.09, 1e-15, 'I(2,1)');
    close(studentTCdf(1, 1), 0.75, 1e-15, 'Cauchy');
  });

  it('refuses bad probabilities and degrees of freedom', () => {
    for (const p of [0, 1, -0.1, NaN, '0.5']) refused(() => studentTQuantile(p, 5), ConfigError, 'bad probability');
    for (const df of [0, -1, NaN, Infinity, undefined]) refused(() => studentTQuantile(0.9, df), ConfigError, 'bad degrees of freedom');
  });
});

describe('scenarios statistics: summarise', () => {
  it('mean, sd, range and the t interval', () => {
    const s = summarise([2, 4, 4, 4, 5, 5, 7, 9]);
    assert.equal(s.n, 8);
    assert.equal(s.mean, 5);
    close(s.sd, Math.sqrt(32 / 7), 1e-14, 'sd');
    assert.equal(s.min, 2);
    assert.equal(s.max, 9);
    close(s.halfWidth, (2.364624 * Math.sqrt(32 / 7)) / Math.sqrt(8), 1e-6, 'halfWidth');
    close(s.low, 5 - s.halfWidth, 0, 'low');
    close(s.high, 5 + s.halfWidth, 0, 'high');
  });

  it('uses the requested confidence', () => {
    const values = [1, 2, 3, 4, 5];
    const h90 = summarise(values, 0.9).halfWidth, h99 = summarise(values, 0.99).halfWidth;
    close(h90, (2.131847 * Math.sqrt(2.5)) / Math.sqrt(5), 1e-6, '90%');
    assert.ok(h99 > h90);
  });

  it('keeps its precision with a large common offset', () => {
    const s = summarise([1e9 + 1, 1e9 + 2, 1e9 + 3]);
    close(s.sd, 1, 1e-9, 'sd');
  });

  it('one value: the spread is unknown (NaN), not zero', () => {
    const s = summarise([4]);
    assert.equal(s.mean, 4);
    assert.ok(Number.isNaN(s.sd) && Number.isNaN(s.halfWidth) && Number.isNaN(s.low) && Number.isNaN(s.high));
  });

  it('95% intervals cover the true mean about 95% of the time', () => {
    const gauss = gaussianSource(3);
    let covered = 0;
    const trials = 2000;
    for (let k = 0; k < trials; k++) {
      const s = summarise(Array.from({ length: 5 }, () => 10 + 2 * gauss()));
      if (s.low <= 10 && 10 <= s.high) covered++;
    }
    const rate = covered / trials;
    assert.ok(rate > 0.935 && rate < 0.965, `coverage ${rate}`);
  });

  it('refuses garbage', () => {
    refused(() => summarise([]), InputError, 'no values');
    refused(() => summarise('1,2'), InputError, 'no values');
    refused(() => summarise([1, NaN, 3]), InputError, 'not finite', /values\[1\]/);
    refused(() => summarise([1, '2']), InputError, 'not finite', /values\[1\]/);
    refused(() => summarise([1, 2], 95), ConfigError, 'bad confidence');
    refused(() => summarise([1, 2], 0), ConfigError, 'bad confidence');
  });
});

describe('scenarios statistics: summariseKpis', () => {
  it('summarises each KPI, skipping and counting values that are not finite numbers', () => {
    const reps = [
      { throughput: 100, oee: 0.8, note: 'warm' },
      { throughput: 110, oee: null },
      { throughput: 90, oee: 0.7 },
      null,
      { throughput: NaN, oee: 0.9 },
    ];
    const out = summariseKpis(reps);
    assert.deepEqual(Object.keys(out).sort(), ['oee', 'throughput']);
    assert.equal(out.throughput.n, 3);
    assert.equal(out.throughput.mean, 100);
    assert.equal(out.throughput.ignored, 2);
    assert.equal(out.oee.n, 3);
    close(out.oee.mean, 0.8, 1e-15, 'oee');
    assert.equal(out.oee.ignored, 2);
  });

  it('ignores prototype-polluting keys', () => {
    const out = summariseKpis([JSON.parse('{"__proto__": 5, "constructor": 3, "ok": 1}')]);
    assert.deepEqual(Object.keys(out), ['ok']);
    assert.equal({}.polluted, undefined);
  });

  it('an empty list gives no KPIs; a non-list is refused', () => {
    assert.deepEqual(summariseKpis([]), {});
    refused(() => summariseKpis({ a: 1 }), InputError, 'bad replications');
  });
});

describe('scenarios statistics: compareScenarios', () => {
  const gauss = gaussianSource(11);
  const sample = (n, mean, sd) => Array.from({ length: n }, () => ({ throughput: mean + sd * gauss(), wip: 20 + gauss() }));

  it('finds a clear difference significant and a non-difference not', () => {
    const base = sample(10, 100, 2);
    const alt = sample(12, 110, 5);
    const c = compareScenarios(base, alt);
    assert.ok(c.throughput.significant);
    assert.ok(c.throughput.low > 5 && c.throughput.high < 15, `[${c.throughput.low}, ${c.throughput.high}]`);
    close(c.throughput.difference, c.throughput.alt - c.throughput.base, 1e-12, 'difference');
    close(c.throughput.relative, c.throughput.difference / c.throughput.base, 1e-15, 'relative');
    assert.equal(c.wip.significant, false);
    assert.equal(c.throughput.nBase, 10);
    assert.equal(c.throughput.nAlt, 12);
  });

  it('Welch interval and degrees of freedom by hand', () => {
    const a = { x: { n: 10, mean: 20, sd: 2 } };
    const b = { x: { n: 5, mean: 23, sd: 4 } };
    const va = 4 / 10, vb = 16 / 5;
    const df = (va + vb) ** 2 / (va ** 2 / 9 + vb ** 2 / 4);
    const c = compareScenarios(a, b).x;
    close(c.df, df, 1e-12, 'df');
    close(c.halfWidth, studentTQuantile(0.975, df) * Math.sqrt(va + vb), 1e-12, 'halfWidth');
    assert.equal(c.difference, 3);
    assert.equal(c.significant, false); // half-width about 5.1
  });

  it('accepts summaries from summariseKpis as well as replications', () => {
    const base = sample(8, 50, 1), alt = sample(8, 52, 1);
    assert.deepEqual(compareScenarios(summariseKpis(base), summariseKpis(alt)), compareScenarios(base, alt));
  });

  it('edge cases: one replication, no spread, KPI on one side only', () => {
    const one = compareScenarios([{ a: 1 }], [{ a: 2 }, { a: 3 }]).a;
    assert.ok(Number.isNaN(one.halfWidth));
    assert.equal(one.significant, false);
    const flat = compareScenarios([{ a: 1 }, { a: 1 }], [{ a: 2 }, { a: 2 }]).a;
    assert.equal(flat.halfWidth, 0);
    assert.equal(flat.significant, true);
    const same = compareScenarios([{ a: 1 }, { a: 1 }], [{ a: 1 }, { a: 1 }]).a;
    assert.equal(same.significant, false);
    assert.deepEqual(Object.keys(compareScenarios([{ a: 1, b: 2 }], [{ a: 1, c: 2 }])), ['a']);
    assert.ok(Number.isNaN(compareScenarios([{ a: 0 }, { a: 0 }], [{ a: 1 }, { a: 1 }]).a.relative));
  });

  it('refuses garbage', () => {
    refused(() => compareScenarios(null, []), InputError, 'bad scenario', /base/);
    refused(() => compareScenarios([], { x: { n: 0, mean: 1, sd: 0 } }), InputError, 'bad summary', /alt\.x/);
    refused(() => compareScenarios([], [], 2), ConfigError, 'bad confidence');
  });
});
