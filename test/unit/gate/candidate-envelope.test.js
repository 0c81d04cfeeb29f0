'use strict';
const assert = require('node:assert/strict');
const { validateCandidate, settingsOf, targetOf } = require('../../../dist/core/gate/candidate');
const { compileEnvelope, checkEnvelope, assertWithinEnvelope } = require('../../../dist/core/gate/envelope');
const { InputError, ConfigError } = require('../../../dist/core/errors');
const { T0, MIN, candidate, keyOf } = require('./helpers');

const inputError = (short, pattern) => (e) => {
  assert.ok(e instanceof InputError, `InputError expected, got ${e && e.name}: ${e && e.message}`);
  if (short) assert.equal(e.shortReason, short);
  if (pattern) assert.match(e.message, pattern);
  return true;
};

describe('gate candidate', () => {
  it('validates and detaches a good candidate', () => {
    const raw = candidate();
    const c = validateCandidate(raw);
    raw.setpoints[keyOf(0)] = 999;
    assert.equal(c.setpoints[keyOf(0)], 75, 'a copy: later changes by the sender do not reach it');
    assert.equal(c.optimizer.seed, 42);
    assert.equal(targetOf(c, keyOf(3)), 'line1/m3');
    assert.deepEqual(settingsOf(c).slice(0, 2).map((s) => s.target), ['line1/m0', 'line1/m1']);
  });

  it('refuses ids that are special on every object', () => {
    for (const id of ['__proto__', 'constructor', 'prototype']) {
      assert.throws(() => validateCandidate({ ...candidate(), id }), inputError('bad candidate', /reserved/), id);
    }
    assert.equal(validateCandidate({ ...candidate(), id: 'c-1' }).id, 'c-1', 'an ordinary id is kept');
  });

  it('gives a stable id to a candidate sent without one', () => {
    const raw = candidate();
    delete raw.id;
    assert.equal(validateCandidate(raw).id, validateCandidate(JSON.parse(JSON.stringify(raw))).id);
    assert.match(validateCandidate(raw).id, /^cand-[0-9a-f]{8}$/);
  });

  it('refuses bad candidates naming the field', () => {
    assert.throws(() => validateCandidate(null), inputError('bad candidate'));
    assert.throws(() => validateCandidate({ ...candidate(), kind: 'magic' }), inputError('bad kind', /candidate.kind/));
    assert.throws(() => validateCandidate({ ...candidate(), targets: [] }), inputError('bad targets'));
    assert.throws(() => validateCandidate({ ...candidate(), targets: ['line1/m0', 'line1'] }), inputError('bad targets', /overlap/));
    assert.throws(() => validateCandidate({ ...candidate(), targets: ['line1//m0'] }), inputError(null, /empty level/));
    assert.throws(() => validateCandidate({ ...candidate(), setpoints: { [keyOf(0)]: NaN } }), inputError('bad setpoints', /finite number/));
    assert.throws(() => validateCandidate({ ...candidate(), setpoints: { [keyOf(0)]: '75' } }), inputError('bad setpoints'));
    assert.throws(() => validateCandidate({ ...candidate(), setpoints: { 'line2/x/speed': 5 } }), inputError('bad setpoints', /not a signal of any target/));
    assert.throws(() => validateCandidate({ ...candidate(), setpoints: {} }), inputError('bad setpoints', /at least one/));
    assert.throws(() => validateCandidate({ ...candidate(), predicted: { kpis: { throughput: Infinity } } }), inputError('bad predicted'));
    assert.throws(() => validateCandidate({ ...candidate(), predicted: { kpis: {} } }), inputError('bad predicted', /at least one predicted KPI/));
    assert.throws(() => validateCandidate({ ...candidate(), predicted: { kpis: { a: 1 }, intervals: { a: { low: 2, high: 1 } } } }), inputError(null, /low 2 above high 1/));
    assert.throws(() => validateCandidate({ ...candidate(), optimizer: { seed: 'x' } }), inputError('bad optimizer'));
    assert.throws(() => validateCandidate({ ...candidate(), setpoint: {} }), inputError(null, /candidate.setpoint is not a known field/));
    assert.throws(() => validateCandidate({ ...candidate(), kind: 'model' }), inputError(null, /only for setpoints candidates/));
  });

  it('refuses prototype keys at any depth', () => {
    const evil = JSON.parse(`{"id":"x","kind":"setpoints","targets":["line1/m0"],"setpoints":{"__proto__":{"polluted":1}},"predicted":{"kpis":{"a":1}}}`);
    assert.throws(() => validateCandidate(evil), inputError('forbidden key'));
    const evil2 = JSON.parse(`{"id":"x","kind":"schedule","targets":["line1"],"schedule":{"jobs":[{"constructor":{}}]},"predicted":{"kpis":{"a":1}}}`);
    assert.throws(() => validateCandidate(evil2), inputError('forbidden key'));
    assert.equal({}.polluted, undefined);
  });

  it('schedules are written per target, a record keyed by target split among them', () => {
    const c = validateCandidate({ id: 's1', kind: 'schedule', targets: ['line1', 'line2'], schedule: { line1: ['j1', 'j2'], line2: ['j3'] }, predicted: { kpis: { makespan: 300 } } });
    assert.deepEqual(settingsOf(c), [{ key: 'line1/schedule', target: 'line1', value: ['j1', 'j2'] }, { key: 'line2/schedule', target: 'line2', value: ['j3'] }]);
    const whole = validateCandidate({ id: 's2', kind: 'schedule', targets: ['line1'], schedule: ['j1'], predicted: { kpis: { makespan: 300 } } });
    assert.deepEqual(settingsOf(whole)[0].value, ['j1']);
  });

  it('model candidates need the model revision', () => {
    const m = validateCandidate({ id: 'm1', kind: 'model', targets: ['line1'], model: { revision: 'r8', replaces: 'r7' }, predicted: { kpis: {} } });
    assert.equal(m.model.revision, 'r8');
    assert.deepEqual(settingsOf(m), []);
    assert.throws(() => validateCandidate({ id: 'm1', kind: 'model', targets: ['line1'], predicted: { kpis: {} } }), inputError('bad model'));
  });
});

describe('gate envelope', () => {
  const env = compileEnvelope([
    { key: keyOf(0), min: 60, max: 80, maxStep: 6, maxRate: 2 },
    { pattern: 'line1/*/temperatureSetpoint', min: 60, max: 78, maxStep: 10 },
  ]);
  const current = { [keyOf(0)]: 70, [keyOf(1)]: 70, [keyOf(2)]: 70 };
  const c = (setpoints) => validateCandidate({ id: 'e', kind: 'setpoints', targets: Object.keys(setpoints).map((k) => k.split('/').slice(0, 2).join('/')), setpoints, predicted: { kpis: { a: 1 } } });

  it('passes setpoints within range, step and rate', () => {
    const r = checkEnvelope(c({ [keyOf(0)]: 75, [keyOf(1)]: 77 }), current, env, { [keyOf(0)]: T0 - 10 * MIN }, T0);
    assert.equal(r.ok, true);
    assert.equal(r.value, 1);
    assert.equal(r.checks[0].rule, keyOf(0), 'the exact key wins over the pattern');
    assert.equal(r.checks[1].rule, 'line1/*/temperatureSetpoint');
    assert.doesNotThrow(() => assertWithinEnvelope(r));
  });

  it('refuses a candidate outside the envelope with the reason per setpoint', () => {
    const r = checkEnvelope(c({ [keyOf(0)]: 85, [keyOf(1)]: 79, [keyOf(2)]: 58 }), current, env, {}, T0);
    assert.equal(r.ok, false);
    assert.equal(r.value, 0);
    assert.match(r.reasons.join('\n'), /line1\/m0\/temperatureSetpoint: 85 is above the maximum 80/);
    assert.match(r.reasons.join('\n'), /a change of 15 from 70 exceeds the step limit 6/);
    assert.match(r.reasons.join('\n'), /line1\/m1\/temperatureSetpoint: 79 is above the maximum 78/);
    assert.match(r.reasons.join('\n'), /58 is below the minimum 60/);
    assert.throws(() => assertWithinEnvelope(r, 'e'), inputError('outside envelope', /candidate e is refused: .*above the maximum 80/));
  });

  it('applies the rate limit against the last write time', () => {
    const r = checkEnvelope(c({ [keyOf(0)]: 75 }), current, env, { [keyOf(0)]: T0 - MIN }, T0);
    assert.equal(r.ok, false);
    assert.match(r.reasons[0], /exceeds the rate limit 2\/min \(at most 2 now\)/);
    assert.equal(checkEnvelope(c({ [keyOf(0)]: 75 }), current, env, { [keyOf(0)]: T0 - 3 * MIN }, T0).ok, true);
  });

  it('refuses setpoints no rule covers and ones whose current value is unknown', () => {
    const other = validateCandidate({ id: 'o', kind: 'setpoints', targets: ['line2/p1'], setpoints: { 'line2/p1/speed': 5 }, predicted: { kpis: { a: 1 } } });
    assert.match(checkEnvelope(other, {}, env, {}, T0).reasons[0], /no envelope rule covers/);
    assert.equal(checkEnvelope(other, {}, compileEnvelope({ x: { max: 1 } }, { unlisted: 'allow' }), {}, T0).ok, true);
    assert.match(checkEnvelope(c({ [keyOf(0)]: 75 }), {}, env, {}, T0).reasons[0], /current value is unknown/);
  });

  it('refuses bad envelope settings with ConfigError', () => {
    assert.throws(() => compileEnvelope([{ key: 'a', min: 5, max: 1 }]), ConfigError);
    assert.throws(() => compileEnvelope([{ key: 'a', pattern: 'b', max: 1 }]), ConfigError);
    assert.throws(() => compileEnvelope([{ key: 'a' }]), ConfigError);
    assert.throws(() => compileEnvelope({ 'a/**': { maxStep: -1 } }), ConfigError);
    assert.throws(() => compileEnvelope({ a: { mx: 1 } }), ConfigError);
    assert.throws(() => compileEnvelope('x'), ConfigError);
  });
});
