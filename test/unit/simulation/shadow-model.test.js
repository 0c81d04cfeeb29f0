'use strict';
const assert = require('node:assert/strict');
const { ShadowComparison, ModelShadow, maxPendingPerKey, modelTargets, parseShadowModel, shadowCandidate } = require('../../../dist/core/simulation/shadow-model');
const { SimulatorRuntime } = require('../../../dist/core/simulation/runtime');
const { validateCandidate } = require('../../../dist/core/gate/candidate');
const { InputError } = require('../../../dist/core/errors');

const TEMP = 'l/oven/temperature';
const POWER = 'l/oven/power';
const physics = {
  states: { T: { signal: TEMP, unit: 'K', initial: 300 } },
  inputs: { P: { signal: POWER, unit: 'kW', value: 2 } },
  parameters: { k: { value: 0.05, unit: 'kW/K' }, C: { value: 50, unit: 'kJ/K' }, Ta: { value: 293, unit: 'K' } },
  equations: ['dT/dt = (P - k*(T - Ta)) / C'],
  outputs: { loss: { expression: 'k*(T - Ta)', unit: 'kW', signal: 'l/oven/loss' } },
};
const options = { horizonS: 10, replications: 1, seed: 1, timeLimitMs: 5000, hybrid: false, promotion: 'gate' };
const shadowOf = (over = {}) => ({ revision: 'cal-b', replaces: 'initial', parameters: { k: 0.06 }, createdAt: 1000, rmseBefore: 2, rmseAfter: 0.5, ...over });

describe('shadow model', () => {
  describe('ShadowComparison', () => {
    it('keeps at most 64 pending pairs per key, dropping the oldest', () => {
      const c = new ShadowComparison();
      for (let i = 0; i < maxPendingPerKey + 10; i++) c.expect('a', 1000 + i, i, i + 0.5);
      c.expect('b', 5000, 1, 2);
      assert.equal(maxPendingPerKey, 64);
      assert.equal(c.pendingCount('a'), 64);
      assert.equal(c.pendingCount('b'), 1, 'keys are bounded separately');
      c.observe('a', 7, 1e9);
      const samples = c.take();
      assert.equal(samples.length, 64);
      assert.equal(samples[0].time, 1010, 'the ten oldest were dropped');
      assert.equal(samples[0].current, 10);
    });

    it('resolves a pair with the first sample at or after its due time, and only its own key', () => {
      const c = new ShadowComparison();
      c.expect('a', 2000, 10, 11);
      c.expect('a', 3000, 20, 21);
      c.observe('b', 99, 5000);
      c.observe('a', 1, 1999);
      assert.deepEqual(c.take(), [], 'a sample before due, or of another key, resolves nothing');
      c.observe('a', 12, 2000);
      assert.deepEqual(c.take(), [{ key: 'a', actual: 12, current: 10, candidate: 11, time: 2000 }], 'exactly at due counts');
      c.observe('a', 25, 3500);
      c.observe('a', 26, 4000);
      assert.deepEqual(c.take(), [{ key: 'a', actual: 25, current: 20, candidate: 21, time: 3000 }], 'the first sample after due, once');
      assert.equal(c.pendingCount('a'), 0);
    });

    it('drains: take() hands each sample out once; non-finite values are not paired', () => {
      const c = new ShadowComparison();
      c.expect('a', 1, 1, 2);
      c.expect('a', 2, NaN, 2);
      c.observe('a', Infinity, 5);
      assert.equal(c.pendingCount('a'), 1, 'a non-finite sample resolves nothing');
      c.observe('a', 3, 5);
      assert.equal(c.take().length, 1);
      assert.deepEqual(c.take(), []);
    });
  });

  describe('revisions, candidates, saved shadows', () => {
    it('names revisions cal-<ISO time> and never repeats the one in use or the shadow', () => {
      const m = new ModelShadow();
      const now = Date.UTC(2025, 0, 2, 3, 4, 5, 6);
      const first = m.nextRevision(now);
      assert.equal(first, 'cal-2025-01-02T03:04:05.006Z');
      m.hold(shadowOf({ revision: first }));
      assert.equal(m.nextRevision(now), `${first}-2`);
      m.inUse = `${first}-2`;
      assert.equal(m.nextRevision(now), `${first}-3`);
    });

    it('refuses to adopt or discard anything but the current shadow, naming it', () => {
      const m = new ModelShadow();
      assert.throws(() => m.release('cal-x'), (e) => e instanceof InputError && /no shadow model cal-x \(shadow is none\)/.test(e.message));
      m.hold(shadowOf());
      assert.throws(() => m.adopt('cal-x'), /no shadow model cal-x \(shadow is cal-b\)/);
      assert.throws(() => m.adopt('cal-b', 'cal-other'), /replaces initial, not cal-other/);
      assert.equal(m.adopt('cal-b', 'initial').revision, 'cal-b');
      assert.equal(m.inUse, 'cal-b');
      assert.equal(m.shadow, undefined);
    });

    it('targets are the assets of the followed signals, unique, none nested; the candidate passes the gate', () => {
      assert.deepEqual(modelTargets(['l1/oven/T', 'l1/oven/P', 'l1/oven/heater/P', 'l2/press/F', 'flat']), ['l1/oven', 'l2/press']);
      assert.deepEqual(modelTargets(['l1/T', 'l1/oven/P']), ['l1']);
      const candidate = validateCandidate(shadowCandidate(shadowOf(), [TEMP, POWER]));
      assert.equal(candidate.id, 'model-cal-b');
      assert.deepEqual(candidate.targets, ['l/oven']);
      assert.deepEqual(candidate.model, { revision: 'cal-b', replaces: 'initial' });
      assert.deepEqual(candidate.predicted.kpis, { rmse: 0.5 });
    });

    it('checks a saved shadow against the model and the revision in use', () => {
      const names = ['k', 'C', 'Ta'];
      assert.deepEqual(parseShadowModel(shadowOf(), names, 'initial'), shadowOf());
      assert.match(parseShadowModel(shadowOf({ parameters: { gone: 1 } }), names, 'initial'), /unknown parameter gone/);
      assert.match(parseShadowModel(shadowOf({ parameters: { k: 'x' } }), names, 'initial'), /not a finite number/);
      assert.match(parseShadowModel(shadowOf(), names, 'cal-a'), /replaces initial, but cal-a is in use/);
      assert.match(parseShadowModel(shadowOf({ rmseAfter: null }), names, 'initial'), /error figures/);
      assert.match(parseShadowModel('x', names, 'initial'), /not an object/);
    });
  });

  describe('in the runtime', () => {
    it('predicts with both parameter sets and turns the plant samples at due time into shadow samples', async () => {
      const rt = new SimulatorRuntime({ physics }, options);
      const t0 = Date.now() - 100_000;
      rt.observe(POWER, 2, t0);
      rt.observe(TEMP, 300, t0);
      assert.deepEqual(rt.predictNow(Date.now()).length, 2);
      assert.equal(rt.takeShadowSamples().length, 0, 'no shadow, no pairs');
      // Held as the shadow (as a gate-mode calibration does), not applied.
      rt['models'].hold(shadowOf({ parameters: { k: 0.1, C: 50, Ta: 293 } }));
      const predicted = rt.predictNow(Date.now());
      assert.equal(predicted.find((p) => p.key === TEMP).time, t0 + 10_000);
      rt.observe(TEMP, 300.1, t0 + 9_000);
      assert.equal(rt.takeShadowSamples().length, 0, 'not due yet');
      rt.observe(TEMP, 300.2, t0 + 10_000);
      rt.observe('l/oven/loss', 0.5, t0 + 10_000);
      const samples = rt.takeShadowSamples();
      assert.deepEqual(samples.map((s) => s.key).sort(), ['l/oven/loss', TEMP].sort(), 'states and output signals');
      const temp = samples.find((s) => s.key === TEMP);
      assert.equal(temp.actual, 300.2);
      assert.equal(temp.time, t0 + 10_000);
      assert.equal(temp.current, predicted.find((p) => p.key === TEMP).physics);
      assert.ok(temp.candidate < temp.current, 'the shadow (k 0.1) loses more heat');
      assert.deepEqual(rt.calibrated, {}, 'the parameters in use are unchanged');
      await rt.close();
    });

    it('saves the shadow and the revision in use; drops a shadow that no longer fits, with a note', async () => {
      const rt = new SimulatorRuntime({ physics }, options);
      rt['models'].hold(shadowOf());
      const saved = JSON.parse(JSON.stringify(rt.toJSON()));
      assert.equal(saved.revision, 'initial');
      assert.equal(saved.shadow.revision, 'cal-b');
      const back = new SimulatorRuntime({ physics }, options);
      assert.deepEqual(back.restore(saved), []);
      assert.equal(back.shadow.revision, 'cal-b');
      assert.deepEqual(back.adoptShadow('cal-b'), { revision: 'cal-b', replaces: 'initial', parameters: { k: 0.06 } });
      assert.deepEqual(back.calibrated, { k: 0.06 });
      assert.equal(back.lastCalibration.rmseAfter, 0.5);
      assert.equal(back.toJSON().revision, 'cal-b');
      const bad = new SimulatorRuntime({ physics }, options);
      const dropped = bad.restore({ ...saved, shadow: { ...saved.shadow, parameters: { eta: 1 } } });
      assert.deepEqual(dropped, ['shadow model (unknown parameter eta)']);
      assert.equal(bad.shadow, undefined);
      assert.deepEqual(new SimulatorRuntime({ physics }, options).restore({ ...saved, revision: 7 }), ['model revision']);
      await Promise.all([rt.close(), back.close(), bad.close()]);
    });
  });
});
