'use strict';
const assert = require('node:assert/strict');
const { parseCommand } = require('../../../dist/core/gate/commands');
const { RolloutMachine } = require('../../../dist/core/gate/rollout');
const { ModelPromotion } = require('../../../dist/core/gate/model-promotion');
const { AuditTrail } = require('../../../dist/core/gate/audit');
const { InputError, ConfigError } = require('../../../dist/core/errors');
const { T0, MIN, Plant, candidate, CONFIG, seeded } = require('./helpers');

const isInput = (e) => e instanceof InputError;

describe('gate commands and events: garbage is a catchable InputError', () => {
  it('parses good commands', () => {
    assert.deepEqual(parseCommand('approve'), { action: 'approve' });
    assert.deepEqual(parseCommand({ action: ' Pause ', by: 'op', reason: 'lunch', candidateId: 'c' }), { action: 'pause', by: 'op', reason: 'lunch', candidateId: 'c' });
  });

  it('refuses malformed commands', () => {
    for (const bad of [null, undefined, 42, [], 'aprove', {}, { action: 'approve', extra: 1 }, { action: 'approve', by: 7 }, { action: 'approve', by: '' }, JSON.parse('{"action":"approve","__proto__":{"x":1}}'), { action: { toString: () => 'approve' } }]) {
      assert.throws(() => parseCommand(bad), isInput, `refused: ${JSON.stringify(bad)}`);
    }
  });

  it('refuses commands the state does not allow, for another candidate, and bad events', () => {
    const plant = new Plant();
    const { rollout } = RolloutMachine.create({ candidate: candidate(), trust: { score: 90, verdict: 'pass' }, current: plant.current(), config: CONFIG, now: T0 });
    assert.throws(() => rollout.command('approve', T0), (e) => isInput(e) && e.shortReason === 'not allowed' && /cannot approve rollout cand-1: it is applying/.test(e.message));
    assert.throws(() => rollout.command({ action: 'abort', candidateId: 'other' }, T0), (e) => e.shortReason === 'wrong candidate');
    assert.throws(() => rollout.command('abort', 'now'), isInput);
    assert.throws(() => rollout.handle({ type: 'explode' }), isInput);
    assert.throws(() => rollout.handle(null), isInput);
    assert.throws(() => rollout.readBack({ value: 1, time: T0 }), isInput);
    assert.throws(() => rollout.readBack({ key: 'k', value: 1 }), isInput);
    assert.throws(() => rollout.realised({ target: 'line1/m0', kpis: { throughput: NaN }, time: T0 }), isInput);
    assert.throws(() => rollout.realised({ target: 'line1/m0', kpis: JSON.parse('{"__proto__":1}'), time: T0 }), isInput);
    assert.throws(() => rollout.written({ key: 'k', ok: 'yes', time: T0 }), isInput);
    assert.throws(() => rollout.availability({ ok: 1, time: T0 }), isInput);
    assert.throws(() => rollout.anomaly({ time: T0 }), isInput);
    assert.throws(() => rollout.tick(NaN), isInput);
    assert.equal(rollout.state, 'applying', 'nothing changed');
    assert.deepEqual(rollout.handle({ type: 'read-back', key: 'unrelated/key', value: 1, time: T0 }), [], 'a read-back of a key not awaited is ignored');
  });

  it('refuses rollouts that cannot be done safely', () => {
    const plant = new Plant();
    const base = { candidate: candidate(), trust: { score: 90, verdict: 'pass' }, current: plant.current(), config: CONFIG, now: T0 };
    assert.throws(() => RolloutMachine.create({ ...base, trust: { score: 40, verdict: 'fail', reasons: ['stale'] } }), (e) => e.shortReason === 'trust fail' && /stale/.test(e.message));
    const current = plant.current();
    delete current['line1/m3/temperatureSetpoint'];
    assert.throws(() => RolloutMachine.create({ ...base, current }), (e) => e.shortReason === 'previous value unknown' && /line1\/m3/.test(e.message));
    assert.throws(() => RolloutMachine.create({ ...base, config: { steps: [{ share: 0.5, analysisWindowMs: 1 }] } }), ConfigError, 'the last step must be 100 %');
    assert.throws(() => RolloutMachine.create({ ...base, config: { steps: [{ share: 0.5, analysisWindowMs: 1 }, { share: 0.4, analysisWindowMs: 1 }] } }), ConfigError);
    assert.throws(() => RolloutMachine.create({ ...base, config: { bogus: 1 } }), ConfigError);
    const model = { id: 'm', kind: 'model', targets: ['line1'], model: { revision: 'r2' }, predicted: { kpis: {} } };
    assert.throws(() => RolloutMachine.create({ ...base, candidate: model }), (e) => e.shortReason === 'model candidate');
  });
});

describe('gate model promotion: shadow, then swap', () => {
  const model = { id: 'model-r8', kind: 'model', targets: ['line1/m0'], model: { revision: 'r8', replaces: 'r7' }, predicted: { kpis: {} } };

  function shadow(promotion, newNoise, oldNoise, n = 60) {
    const random = seeded(3);
    for (let i = 0; i < n; i++) {
      const actual = 50 + Math.sin(i / 5);
      promotion.observe({ key: 'line1/m0/temperature', actual, current: actual + oldNoise * random.gauss(), candidate: actual + newNoise * random.gauss(), time: T0 + i * 1000 });
      promotion.observe({ key: 'line1/m0/pressure', actual: 3 * actual, current: 3 * actual + 3 * oldNoise * random.gauss(), candidate: 3 * actual + 3 * newNoise * random.gauss(), time: T0 + i * 1000 });
    }
  }

  it('swaps a clearly better model after the shadow window, with an audit entry', () => {
    const audit = new AuditTrail();
    const p = ModelPromotion.start(model, { shadowWindowMs: 2 * MIN }, T0, { audit: audit.sink() });
    shadow(p, 0.2, 1);
    assert.deepEqual(p.tick(T0 + MIN), [], 'nothing before the window ends');
    const actions = p.tick(T0 + 2 * MIN);
    assert.deepEqual(actions[0], { type: 'swap-model', revision: 'r8', replaces: 'r7', candidateId: 'model-r8' });
    assert.equal(p.state, 'swapped');
    const entry = audit.query({ type: 'model-swap' })[0];
    assert.ok(entry.detail.result.ratio < 0.5);
    assert.equal(entry.detail.result.keys.length, 2);
  });

  it('keeps the current model when the new one is not clearly better', () => {
    const audit = new AuditTrail();
    const p = ModelPromotion.start(model, { shadowWindowMs: 2 * MIN }, T0, { audit: audit.sink() });
    shadow(p, 1, 1);
    const actions = p.tick(T0 + 2 * MIN);
    assert.equal(p.state, 'kept');
    assert.ok(!actions.some((a) => a.type === 'swap-model'));
    assert.match(audit.query({ type: 'model-kept' })[0].detail.reason, /not below 0.950/);
  });

  it('extends the shadow when samples are few, waits for approval when asked, survives a restart', () => {
    const p = ModelPromotion.start(model, { shadowWindowMs: MIN, minSamples: 100, approval: true }, T0);
    shadow(p, 0.2, 1, 30);
    assert.equal(p.tick(T0 + MIN)[0].event, 'shadow-extended');
    for (let i = 0; i < 60; i++) p.observe({ key: 'line1/m0/temperature', actual: 1, current: 2, candidate: 1.1, time: T0 + MIN + i * 500 });
    const restored = ModelPromotion.fromJSON(JSON.parse(JSON.stringify(p.toJSON())));
    const ask = restored.tick(T0 + 2 * MIN);
    assert.equal(restored.state, 'pending-approval');
    assert.equal(ask[0].event, 'approval-required');
    assert.throws(() => restored.command('pause', T0), (e) => e.shortReason === 'not allowed');
    assert.equal(restored.command({ action: 'approve', by: 'eng' }, T0 + 3 * MIN)[0].type, 'swap-model');
    assert.throws(() => ModelPromotion.start({ ...candidate() }, { shadowWindowMs: MIN }, T0), (e) => e.shortReason === 'not a model');
    assert.throws(() => ModelPromotion.start(model, { shadowWindowMs: 0 }, T0), ConfigError);
    assert.throws(() => p.observe({ key: 'k', actual: 'x', current: 1, candidate: 1, time: T0 }), isInput);
  });
});
