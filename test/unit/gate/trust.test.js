'use strict';
const assert = require('node:assert/strict');
const { trustScore, availabilityOf } = require('../../../dist/core/gate/trust');
const { assessCounterfactual, runCounterfactual } = require('../../../dist/core/gate/counterfactual');
const { InputError, ConfigError } = require('../../../dist/core/errors');

const envOk = { ok: true, checks: [{}, {}], reasons: [], value: 1 };
const goodCf = () => assessCounterfactual([{ throughput: 104, scrap: 0.02 }, { throughput: 103, scrap: 0.03 }], [{ throughput: 100, scrap: 0.03 }, { throughput: 99, scrap: 0.04 }], { goals: { throughput: 'max', scrap: 'min' }, constraints: { scrap: { max: 0.05 } } });
const signals = (n, stale = 0) => Array.from({ length: n }, (_, i) => ({ key: `l/m${i}/t`, stale: i < stale, quality: 'good', value: 1 }));

describe('gate trust score', () => {
  it('names signals by the start of their key only, and refuses a severity that is not ok, warning or alarm', () => {
    const long = `l/${'k'.repeat(20000)}`;
    const r = trustScore({ fidelity: [{ key: long, severity: 'alarm' }], availability: { signals: [{ key: long, stale: true, quality: 'good', value: 1 }], drifting: [long] }, envelope: envOk });
    assert.ok(r.reasons.join('; ').length < 1000, `${r.reasons.join('; ').length} chars`);
    assert.match(r.parts[0].detail, /weakest l\/k{58}… at 0 %/);
    for (const severity of ['toString', 'constructor', 3, null]) {
      assert.throws(() => trustScore({ fidelity: [{ key: 'a', severity }], envelope: envOk }), (e) => e instanceof InputError && e.shortReason === 'bad evidence');
    }
  });

  it('computes the documented formula with each part shown', () => {
    const r = trustScore({
      fidelity: [{ key: 'a', error: 0.05 }, { key: 'b', severity: 'warning' }, { key: 'c', error: 0, severity: 'ok' }],
      availability: { signals: signals(4, 1), calibrated: true },
      counterfactual: goodCf(),
      envelope: envOk,
    });
    // fidelity = mean(1 - 0.05/0.2, 0.5, 1) = 0.75; availability = 3/4; counterfactual = 1; envelope = 1
    const parts = Object.fromEntries(r.parts.map((p) => [p.name, p]));
    assert.equal(parts.fidelity.value, 0.75);
    assert.equal(parts.availability.value, 0.75);
    assert.equal(parts.counterfactual.value, 1);
    assert.equal(parts.envelope.value, 1);
    assert.equal(r.score, Math.round(1000 * (0.35 * 0.75 + 0.25 * 0.75 + 0.3 + 0.1)) / 10); // 81.3
    assert.equal(r.verdict, 'pass');
    assert.match(parts.fidelity.detail, /weakest b at 50 %/);
    assert.match(parts.availability.detail, /stale: l\/m0\/t/);
  });

  it('is marginal between the thresholds and fails below, with reasons', () => {
    const base = { fidelity: [{ key: 'a', error: 0 }], availability: { signals: signals(2), calibrated: true }, envelope: envOk };
    const noCf = trustScore(base);
    assert.equal(noCf.score, 70, 'no counterfactual evidence scores 0 for its part');
    assert.equal(noCf.verdict, 'marginal');
    assert.match(noCf.reasons.join('\n'), /a person decides[\s\S]*no counterfactual check/);
    const low = trustScore({ ...base, availability: { signals: signals(2, 2), calibrated: false } });
    assert.equal(low.verdict, 'fail');
    assert.equal(trustScore(base, { marginalAt: 50, passAt: 70 }).verdict, 'pass');
    assert.equal(trustScore(base, { weights: { counterfactual: 0 } }).score, Math.round(1000 * 0.7 / 0.7) / 10);
  });

  it('fails on any envelope violation or a missing envelope check, whatever the score', () => {
    const ev = { fidelity: [{ key: 'a', error: 0 }], availability: { signals: signals(2), calibrated: true }, counterfactual: goodCf() };
    const bad = trustScore({ ...ev, envelope: { ok: false, checks: [{}, {}], reasons: ['k: 90 is above the maximum 80'], value: 0.5 } });
    assert.ok(bad.score >= 90);
    assert.equal(bad.verdict, 'fail');
    assert.match(bad.reasons[0], /hard gate: outside the safety envelope \(k: 90 is above the maximum 80\)/);
    assert.equal(trustScore(ev).verdict, 'fail');
  });

  it('availability: stale, bad quality, never received, drift and calibration', () => {
    const a = availabilityOf({ signals: [{ key: 'a', stale: false, quality: 'good', value: 1 }, { key: 'b', stale: false, quality: 'bad', value: 1 }, { key: 'c', stale: false, quality: null, value: null }, { key: 'd', stale: true, quality: 'good', value: 2 }], calibrated: false, drifting: ['a'] });
    assert.deepEqual([a.stale, a.badQuality, a.missing], [['d'], ['b'], ['c']]);
    assert.equal(a.value, 0.25 * 0.5 * 0.5);
    assert.equal(a.ok, false);
    assert.equal(availabilityOf({ summary: { signals: 10, fresh: 9, badQuality: 1 }, calibrated: true }).value, 0.8);
    assert.equal(availabilityOf(undefined).ok, false);
  });

  it('is deterministic and refuses malformed evidence and settings', () => {
    const ev = { fidelity: [{ key: 'a', error: 0.1 }], availability: { signals: signals(3), calibrated: true }, counterfactual: goodCf(), envelope: envOk };
    assert.deepEqual(trustScore(ev), trustScore(JSON.parse(JSON.stringify(ev))));
    assert.throws(() => trustScore({ fidelity: [{ key: 'a', error: -1 }] }), InputError);
    assert.throws(() => trustScore({ fidelity: [{ key: 'a', severity: 'meh' }] }), InputError);
    assert.throws(() => trustScore(null), InputError);
    assert.throws(() => trustScore(ev, { passAt: 50, marginalAt: 60 }), ConfigError);
    assert.throws(() => trustScore(ev, { weights: { luck: 1 } }), ConfigError);
  });
});

describe('gate counterfactual check', () => {
  it('passes a KPI whose worst case is within constraints and at least as good as current', () => {
    const r = goodCf();
    assert.equal(r.ok, true);
    assert.deepEqual(r.kpis.map((k) => [k.name, k.worstCandidate, k.worstCurrent]), [['throughput', 103, 99], ['scrap', 0.03, 0.04]]);
  });

  it('fails on a worst case outside the constraints or worse than current', () => {
    const r = assessCounterfactual([{ throughput: 110, scrap: 0.06 }, { throughput: 95, scrap: 0.01 }], [{ throughput: 100, scrap: 0.03 }], { goals: { throughput: 'max' }, constraints: { scrap: { max: 0.05 } } });
    assert.equal(r.ok, false);
    assert.equal(r.value, 0);
    assert.match(r.reasons.join('\n'), /throughput: worst case 95 is worse than the current settings' 100/);
    assert.match(r.reasons.join('\n'), /scrap: worst case 0.06 is above the constraint 0.05/);
    const missing = assessCounterfactual([{ a: 1 }], [{ a: 1 }], { goals: { b: 'max' } });
    assert.match(missing.reasons[0], /not reported/);
  });

  it('runs both sides through the function it is given', async () => {
    const calls = [];
    const run = async (settings, side) => {
      calls.push(side);
      return [{ throughput: 100 + (settings.sp - 70) }, { throughput: 98 + (settings.sp - 70) }];
    };
    const r = await runCounterfactual(run, { sp: 75 }, { sp: 70 }, { goals: { throughput: 'max' } });
    assert.deepEqual(calls, ['candidate', 'current']);
    assert.equal(r.ok, true);
    await assert.rejects(runCounterfactual(async () => 'nope', {}, {}, { goals: { a: 'max' } }), InputError);
    assert.throws(() => assessCounterfactual([{}], [{}], { goals: { a: 'up' } }), ConfigError);
  });
});
