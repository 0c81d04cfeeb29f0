'use strict';
const assert = require('assert/strict');
const { validateFlowShop, solveFlowShop, checkFlowShopSchedule, FLOWSHOP_LIMITS } = require('../../../dist/core/optimisation/flowshop');
const { refused } = require('./helpers');

const stages = [{ machines: 2 }, { machines: [{ speed: 1 }, { speed: 2 }] }, { machines: 1 }];
const good = () => ({ stages, jobs: [[3, 4, 2], [2, 0, 5], [4, 4, 1]] });

describe('flowshop validation', () => {
  it('accepts a good problem and fills in the defaults', () => {
    const v = validateFlowShop({ ...good(), dueDates: [10, null, 12], unavailable: [{ stage: 1, machine: 1, start: 5, end: 9 }, { stage: 0, machine: 0, start: 1, end: 2 }] });
    assert.deepEqual(v.stages, [{ speeds: [1, 1] }, { speeds: [1, 2] }, { speeds: [1] }]);
    assert.deepEqual(v.releaseDates, [0, 0, 0]);
    assert.deepEqual(v.dueDates, [10, Infinity, 12]);
    assert.deepEqual(v.weights, [1, 1, 1]);
    assert.deepEqual(v.unavailable.map((w) => w.stage), [0, 1]); // sorted
    // Options take precedence over the problem's own per-job data.
    assert.deepEqual(validateFlowShop({ ...good(), releaseDates: [1, 2, 3] }, { releaseDates: [4, 5, 6] }).releaseDates, [4, 5, 6]);
  });

  it('refuses a garbage problem', () => {
    refused(() => validateFlowShop(null), /stages/);
    refused(() => validateFlowShop('3 jobs'), /stages/);
    refused(() => validateFlowShop({ jobs: [[1]] }), /stages/);
    refused(() => validateFlowShop({ stages: [], jobs: [[1]] }), /empty/);
    refused(() => validateFlowShop({ stages: [{ machines: 1 }] }), /jobs/);
    refused(() => validateFlowShop({ stages: [{ machines: 1 }], jobs: [] }), /empty/);
  });

  it('names the stage and machine of a bad stage', () => {
    refused(() => validateFlowShop({ ...good(), stages: [{ machines: 2 }, { machines: 0 }, { machines: 1 }] }), /stage 1/, /whole number/);
    refused(() => validateFlowShop({ ...good(), stages: [{ machines: 2 }, { machines: 1.5 }, { machines: 1 }] }), /stage 1/);
    refused(() => validateFlowShop({ ...good(), stages: [{ machines: 2 }, { machines: 1 }, { machines: 'two' }] }), /stage 2/);
    refused(() => validateFlowShop({ ...good(), stages: [{ machines: 2 }, { machines: [] }, { machines: 1 }] }), /stage 1 has no machines/);
    refused(() => validateFlowShop({ ...good(), stages: [{ machines: 2 }, 7, { machines: 1 }] }), /stage 1/);
    refused(() => validateFlowShop({ ...good(), stages: [{ machines: 2 }, { machines: [{ speed: 1 }, { speed: -2 }] }, { machines: 1 }] }), /stage 1, machine 1/, /speed/);
    refused(() => validateFlowShop({ ...good(), stages: [{ machines: [{ speed: 'fast' }] }, { machines: 1 }, { machines: 1 }] }), /stage 0, machine 0/);
    refused(() => validateFlowShop({ ...good(), stages: [{ machines: FLOWSHOP_LIMITS.maxMachinesPerStage + 1 }, { machines: 1 }, { machines: 1 }] }), /stage 0/);
  });

  it('names the job and stage of a bad processing time', () => {
    refused(() => validateFlowShop({ stages, jobs: [[1, 2, 3], 'abc'] }), /job 1 must be an array/);
    refused(() => validateFlowShop({ stages, jobs: [[1, 2, 3], [1, 2]] }), /job 1 has 2 processing times for 3 stages/);
    refused(() => validateFlowShop({ stages, jobs: [[1, 2, 3], [1, 2, 3], [1, -2, 3]] }), /job 2, stage 1/, /negative/);
    refused(() => validateFlowShop({ stages, jobs: [[1, 2, NaN]] }), /job 0, stage 2/, /finite/);
    // a sparse array (a hole where a job or a time should be) is refused, not skipped
    // eslint-disable-next-line no-sparse-arrays
    refused(() => validateFlowShop({ stages, jobs: [[1, 2, 3], , [2, 2, 2]] }), /job 1 must be an array/);
    // eslint-disable-next-line no-sparse-arrays
    refused(() => validateFlowShop({ stages, jobs: [[1, , 3]] }), /job 0, stage 1/, /finite/);
    // eslint-disable-next-line no-sparse-arrays
    refused(() => validateFlowShop({ ...good(), releaseDates: [0, , 0] }), /releaseDates\[1\]/);
    // eslint-disable-next-line no-sparse-arrays
    refused(() => validateFlowShop({ ...good(), stages: [{ machines: 2 }, { machines: [{ speed: 1 }, , ] }, { machines: 1 }] }), /stage 1, machine 1/);
    refused(() => validateFlowShop({ stages, jobs: [[1, '2', 3]] }), /job 0, stage 1/);
    refused(() => validateFlowShop({ stages, jobs: [[1, Infinity, 3]] }), /job 0, stage 1/);
    refused(() => validateFlowShop({ stages, jobs: [[1, 1e13, 3]] }), /job 0, stage 1/, /exceeds/);
    refused(() => validateFlowShop({ stages, jobs: [[1, 2, 3], [0, 0, 0]] }), /job 1 has no work/);
  });

  it('names the job of bad per-job data', () => {
    refused(() => validateFlowShop({ ...good(), releaseDates: [0, 1] }), /releaseDates has 2 entries for 3 jobs/);
    refused(() => validateFlowShop({ ...good(), releaseDates: [0, 'x', 1] }), /releaseDates\[1\] \(job 1\)/);
    refused(() => validateFlowShop({ ...good(), dueDates: [0, 1, NaN] }), /dueDates\[2\] \(job 2\)/);
    refused(() => validateFlowShop({ ...good(), weights: [1, -1, 1] }), /weights\[1\] \(job 1\)/, />= 0/);
    refused(() => validateFlowShop({ ...good(), weights: 3 }), /weights must be an array/);
  });

  it('names the entry of a bad unavailability window', () => {
    const bad = (w) => ({ ...good(), unavailable: [{ stage: 0, machine: 0, start: 0, end: 1 }, w] });
    refused(() => validateFlowShop(bad({ stage: 3, machine: 0, start: 0, end: 1 })), /unavailable\[1\]/, /stage/);
    refused(() => validateFlowShop(bad({ stage: 2, machine: 1, start: 0, end: 1 })), /unavailable\[1\]/, /stage 2 has machines 0\.\.0/);
    refused(() => validateFlowShop(bad({ stage: 0, machine: 0, start: 5, end: 5 })), /unavailable\[1\]/, /after/);
    refused(() => validateFlowShop(bad({ stage: 0, machine: 0, start: 'now', end: 5 })), /unavailable\[1\]: start/);
    refused(() => validateFlowShop(bad(null)), /unavailable\[1\]/);
    refused(() => validateFlowShop({ ...good(), unavailable: {} }), /unavailable must be an array/);
  });

  it('refuses bad options', () => {
    refused(() => solveFlowShop(good(), { timeLimit: 0 }), /timeLimit/);
    refused(() => solveFlowShop(good(), { timeLimit: 1e9 }), /timeLimit/);
    refused(() => solveFlowShop(good(), { seed: NaN }), /seed/);
    refused(() => solveFlowShop(good(), { objective: 'profit' }), /objective/);
    refused(() => solveFlowShop(good(), { objective: { makespan: 1, idle: 2 } }), /idle/);
    refused(() => solveFlowShop(good(), { objective: 'tardiness' }), /dueDates/);
    refused(() => solveFlowShop(good(), { destruction: 0 }), /destruction/);
    refused(() => solveFlowShop(good(), { temperature: -1 }), /temperature/);
    refused(() => solveFlowShop(good(), { maxIterations: 1.5 }), /maxIterations/);
    refused(() => solveFlowShop(good(), { shouldStop: true }), /shouldStop/);
    refused(() => solveFlowShop(good(), { onImprovement: 'log' }), /onImprovement/);
  });

  it('the checker refuses an invalid problem with the same errors', () => {
    refused(() => checkFlowShopSchedule({ stages, jobs: [[1, 2, 3], [1, -2, 3]] }, []), /job 1, stage 1/);
  });
});
