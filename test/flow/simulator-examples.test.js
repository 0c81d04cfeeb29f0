'use strict';
// The simulator's example flows (examples/06–08), loaded as they ship: every node deploys without an
// error, and pressing their inject buttons gives real, sensible answers. Debug nodes become helper
// nodes with the same id; nothing is persisted; the every-second tick is driven by the test.
const assert = require('node:assert/strict');
const { helper, collect, statuses, waitFor } = require('../support/flow-helper');
const { deploy, press } = require('../support/example-flows');

const THERMAL = '06 - Thermal machine twin with calibration.json';
const BOTTLENECK = '07 - Production line bottleneck.json';
const WHATIF = '08 - What-if comparison.json';


describe('simulator example flows', function () {
  beforeEach(() => helper.startServer());
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
  });

  describe(THERMAL, function () {
    const TEMP = 'plant/line1/oven1/temperature';

    it('predicts the oven, calibrates k from its history, and recalibrates on a drift event', async function () {
      this.timeout(20000);
      await deploy(THERMAL);
      const answers = collect('ex06-answers');
      const predictions = collect('ex06-predictions');
      const events = collect('ex06-events');
      const scores = collect('ex06-scores');
      const oven = helper.getNode('ex06-oven');
      // Twenty minutes of the oven's recent past, fed through the example's function node at full
      // speed (the tick carries the time): ten minutes as delivered, ten after ageing.
      const t0 = Date.now() - 1300 * 1000;
      const tick = (s) => oven.receive({ payload: t0 + s * 1000 });
      for (let s = 0; s <= 600; s++) tick(s);
      await waitFor(() => scores.length === 2 * 601, 'the deviation scored every sample');

      // A calibration on request (drift events of twin deviation may start one of their own meanwhile).
      const calibrated = (trigger, count) => events.filter((m) => m.topic === 'calibrated' && m.payload.trigger === trigger).length >= count;
      const lastCalibration = (trigger) => events.filter((m) => m.topic === 'calibrated' && m.payload.trigger === trigger).pop().payload;
      press('ex06-calibrate');
      await waitFor(() => calibrated('request', 1), 'calibration on request', 15000);
      const calibration = lastCalibration('request');
      assert.equal(calibration.applied, true);
      assert.ok(Math.abs(calibration.parameters.k - 0.06) < 0.004, `k ${calibration.parameters.k}, the oven's is 0.06`);
      assert.ok(calibration.rmseAfter < calibration.rmseBefore / 5, `rmse ${calibration.rmseBefore} -> ${calibration.rmseAfter}`);
      assert.ok(answers.some((m) => m.topic === 'calibrate' && m.payload.rmseAfter === calibration.rmseAfter), 'the answer on the first output');

      // Predict mode: the twin's temperature one horizon (1 s) ahead of the newest sample, for twin deviation ...
      const due = t0 + 601 * 1000;
      await waitFor(() => predictions.some((m) => m.topic === TEMP && m.payload.sourceTime === due), 'a prediction 1 s ahead', 5000);
      await new Promise((r) => setTimeout(r, 1100)); // one more, surely with the calibrated k
      const prediction = predictions.filter((m) => m.topic === TEMP && m.payload.sourceTime === due).pop().payload;
      assert.equal(prediction.predicted, true);
      assert.ok(Math.abs(prediction.value - 180) < 2, `predicted ${prediction.value} degC`);
      // ... which twin deviation compares with the oven's sample for that time.
      tick(601);
      await waitFor(() => scores.length === 2 * 602, 'the score of the predicted sample');
      const scored = scores.slice(-2).find((m) => m.payload.signal === 'temperature').payload;
      assert.equal(scored.expectedFrom, 'twin');
      assert.equal(scored.expected, prediction.value);
      assert.ok(Math.abs(scored.residual) < 0.5, `residual ${scored.residual} degC against the calibrated twin`);

      press('ex06-predict');
      await waitFor(() => answers.some((m) => m.topic === 'predict'), 'predict answer');
      const predicted = answers.find((m) => m.topic === 'predict').payload;
      assert.equal(predicted.horizonS, 600);
      assert.equal(predicted.states.T.v.length, 11, 'ten minutes, one point a minute');
      assert.ok(predicted.parameters.k > 0.055 && predicted.parameters.k < 0.065, `the calibrated k is used (${predicted.parameters.k})`);
      assert.ok(predicted.final.T > 150 && predicted.final.T < 210, `T in 10 min ${predicted.final.T}`);

      // The insulation ages: a new calibration follows the oven.
      const ovenStatus = statuses('ex06-oven');
      press('ex06-age');
      await waitFor(() => ovenStatus.some((st) => /0\.08 kW\/K/.test(st.text)), 'the oven aged');
      for (let s = 602; s <= 1200; s++) tick(s);
      await waitFor(() => scores.length === 2 * 1201, 'the aged oven scored');
      press('ex06-calibrate');
      await waitFor(() => calibrated('request', 2), 'calibration after ageing', 15000);
      const aged = lastCalibration('request');
      assert.equal(aged.applied, true);
      assert.ok(aged.parameters.k > calibration.parameters.k + 0.003, `k ${calibration.parameters.k} -> ${aged.parameters.k} after ageing`);

      // A drift event of twin deviation travels the wire back into the simulator and starts a
      // calibration (at most one a minute: a real drift may have started it already).
      if (!calibrated('drift', 1)) {
        helper.getNode('ex06-deviation').send([null, { topic: 'drift', payload: { type: 'drift', key: TEMP, asset: 'plant/line1/oven1', signal: 'temperature', time: t0 + 1200 * 1000 } }, null]);
      }
      await waitFor(() => calibrated('drift', 1), 'a calibration started by drift', 15000);
      assert.ok(lastCalibration('drift').rmseAfter <= lastCalibration('drift').rmseBefore);
    });
  });

  describe(BOTTLENECK, function () {
    it('names the slow press as the bottleneck, and the welder once a second press is added', async function () {
      this.timeout(10000);
      await deploy(BOTTLENECK);
      const answers = collect('ex07-answer');
      press('ex07-now');
      await waitFor(() => answers.length === 1, 'what if: now');
      const now = answers[0].payload;
      assert.equal(answers[0].topic, 'whatif');
      assert.equal(now.line.replications, 10);
      assert.equal(now.line.bottleneck, 'Press');
      assert.ok(now.line.bottleneckVotes.Press >= 8, JSON.stringify(now.line.bottleneckVotes));
      const k = now.line.kpis;
      const share = (station, state) => k[`${station}.${state}`].mean;
      // Before the bottleneck blocked, after it starved; the welder's breakdowns and the press's maintenance show as down.
      assert.ok(share('Saw', 'blocked') > share('Saw', 'starved'), 'the saw waits for room at the press');
      assert.ok(share('Pack', 'starved') > share('Pack', 'blocked'), 'packing waits for parts');
      assert.ok(share('Weld', 'down') > 0 && share('Press', 'down') > 0);
      for (const s of ['Saw', 'Press', 'Weld', 'Pack']) assert.ok(share('Press', 'working') >= share(s, 'working'), `the press works most (vs ${s})`);
      assert.ok(k.throughput.low < k.throughput.mean && k.throughput.mean < k.throughput.high, 'a confidence interval');
      assert.ok(k.oee.mean > 0.5 && k.oee.mean <= 1, `OEE ${k.oee.mean}`);
      assert.ok(k.energyPerGoodPartKwh.mean > 0.1 && k.energyPerGoodPartKwh.mean < 1, `${k.energyPerGoodPartKwh.mean} kWh per part`);
      assert.equal(now.kpis['line.throughput'], k.throughput.mean, 'the flat means');

      press('ex07-press2');
      await waitFor(() => answers.length === 2, 'what if: second press');
      const two = answers[1].payload;
      assert.equal(two.label, 'second press');
      assert.equal(two.settings['line.Press.servers'], 2);
      assert.equal(two.line.bottleneck, 'Weld', 'the welder, with its breakdowns, limits next');
      assert.ok(two.line.kpis.throughput.low > k.throughput.high, `more parts: ${two.line.kpis.throughput.mean * 3600} vs ${k.throughput.mean * 3600} per hour`);
      assert.ok(two.line.kpis.leadTimeMean.mean < k.leadTimeMean.mean * 0.75, 'a shorter lead time');
    });
  });

  describe(WHATIF, function () {
    it('compares four scenarios on common random numbers and tabulates what differs significantly', async function () {
      this.timeout(20000);
      // the raw answer too, beside the example's table
      await deploy(WHATIF, (flow) => {
        flow.find((n) => n.id === 'ex08-sim').wires[0].push('raw');
        flow.push({ id: 'raw', type: 'helper', z: 'tab' });
      });
      const raw = collect('raw');
      const table = collect('ex08-debug');
      const tableStatus = statuses('ex08-table');
      press('ex08-compare');
      await waitFor(() => table.length === 1, 'the scenario table', 15000);

      const a = raw[0].payload;
      assert.deepEqual(a.scenarios.map((s) => s.label), ['as today', 'second press', 'faster saw', 'insulated oven']);
      assert.equal(a.baseline, 0);
      const compared = (label) => a.comparisons.find((c) => c.label === label);
      const press2 = compared('second press').line;
      assert.equal(press2.throughput.significant, true);
      assert.ok(press2.throughput.difference > 0);
      assert.equal(press2.leadTimeMean.significant, true);
      assert.ok(press2.leadTimeMean.difference < 0);
      assert.equal(compared('faster saw').line.throughput.significant, false, 'the press still limits');
      // Common random numbers: an unchanged line gives exactly the baseline's figures.
      const oven = compared('insulated oven');
      for (const [kpi, c] of Object.entries(oven.line)) assert.equal(c.difference, 0, kpi);
      assert.ok(oven.physics.E < -10, `oven energy ${oven.physics.E} kWh`);
      assert.ok(Math.abs(oven.physics.T) < 0.5, 'as hot as before');

      const rows = table[0].payload;
      assert.deepEqual(rows.map((r) => r.scenario), ['as today', 'second press', 'faster saw', 'insulated oven']);
      for (const r of rows) assert.match(r['parts/h'], /^\d+\.\d ± \d+\.\d$/);
      assert.equal(rows[0]['vs baseline'], 'baseline');
      assert.match(rows[1]['vs baseline'], /^\+\d+\.\d parts\/h, -\d+\.\d min lead time/);
      assert.doesNotMatch(rows[2]['vs baseline'], /parts\/h/);
      assert.match(rows[3]['vs baseline'], /^no significant difference on the line; oven -\d+\.\d kWh$/);
      assert.equal(rows[3]['parts/h'], rows[0]['parts/h']);
      await waitFor(() => tableStatus.some((st) => /^most output: second press/.test(st.text)), 'the status names the second press');
    });
  });
});
