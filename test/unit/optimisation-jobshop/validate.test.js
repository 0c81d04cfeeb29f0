'use strict';
const assert = require('assert/strict');
const { solveJobShop, validateProblem, validateOptions, JOBSHOP_LIMITS } = require('../../../dist/core/optimisation/jobshop');
const { refused } = require('./helpers');

const ok = [[{ machine: 0, duration: 2 }, { machine: 1, duration: 3 }], [{ machine: 1, duration: 1 }]];

describe('jobshop validation: malformed problems are refused with InputError', () => {
  it('accepts a good problem and fills defaults', () => {
    const p = validateProblem({ jobs: ok });
    assert.equal(p.machines, 2);
    assert.deepEqual(p.releaseDates, [0, 0]);
    assert.deepEqual(p.dueDates, [Infinity, Infinity]);
    assert.deepEqual(p.weights, [1, 1]);
    assert.deepEqual(p.unavailable, []);
    // Options take precedence over the problem's own fields.
    assert.deepEqual(validateProblem({ jobs: ok, releaseDates: [1, 1] }, { releaseDates: [2, 3] }).releaseDates, [2, 3]);
    assert.deepEqual(validateProblem({ jobs: ok, dueDates: [null, 4] }).dueDates, [Infinity, 4]);
  });

  it('refuses a problem that is not one of {instance} or {jobs}', () => {
    refused(() => solveJobShop(null), 'bad problem');
    refused(() => solveJobShop([]), 'bad problem');
    refused(() => solveJobShop({}), 'bad problem', /exactly one/);
    refused(() => solveJobShop({ jobs: ok, instance: '1 1\n0 1\n' }), 'bad problem', /exactly one/);
    refused(() => solveJobShop({ instance: 'nonsense' }), 'bad instance', /line 1/);
  });

  it('refuses empty problems and empty jobs, naming the job', () => {
    refused(() => solveJobShop({ jobs: [] }), 'bad problem', /empty/);
    refused(() => solveJobShop({ jobs: [ok[0], []] }), 'empty job', /job 1 has no operations/);
    refused(() => solveJobShop({ jobs: [ok[0], 'x'] }), 'bad job', /job 1/);
  });

  it('refuses negative, NaN, infinite and non-number durations, naming job and operation', () => {
    refused(() => solveJobShop({ jobs: [[{ machine: 0, duration: -1 }]] }), 'bad duration', /job 0, operation 0: duration -1 is negative/);
    refused(() => solveJobShop({ jobs: [ok[0], [{ machine: 0, duration: NaN }]] }), 'bad duration', /job 1, operation 0/);
    refused(() => solveJobShop({ jobs: [[{ machine: 0, duration: Infinity }]] }), 'bad duration');
    refused(() => solveJobShop({ jobs: [[{ machine: 0, duration: '3' }]] }), 'bad duration');
    refused(() => solveJobShop({ jobs: [[{ machine: 0, duration: 1e16 }]] }), 'bad duration', /exceeds/);
    refused(() => solveJobShop({ jobs: [[{ machine: 0 }]] }), 'bad duration');
    refused(() => solveJobShop({ jobs: [[null]] }), 'bad operation', /job 0, operation 0/);
  });

  it('refuses machines out of range or not whole numbers', () => {
    refused(() => solveJobShop({ jobs: [[{ machine: -1, duration: 1 }]] }), 'bad machine', /job 0, operation 0/);
    refused(() => solveJobShop({ jobs: [[{ machine: 1.5, duration: 1 }]] }), 'bad machine');
    refused(() => solveJobShop({ jobs: [[{ machine: NaN, duration: 1 }]] }), 'bad machine');
    refused(() => solveJobShop({ jobs: [[{ machine: 2, duration: 1 }]], machines: 2 }), 'bad machine', /out of range 0..1/);
    refused(() => solveJobShop({ jobs: ok, machines: 0 }), 'bad problem');
  });

  it('refuses sizes beyond the stated limits', () => {
    const big = Array.from({ length: JOBSHOP_LIMITS.maxJobs + 1 }, () => [{ machine: 0, duration: 1 }]);
    refused(() => solveJobShop({ jobs: big }), 'too large', /2000/);
    const longJob = Array.from({ length: JOBSHOP_LIMITS.maxOperationsPerJob + 1 }, () => ({ machine: 0, duration: 1 }));
    refused(() => solveJobShop({ jobs: [longJob] }), 'too large');
    const many = Array.from({ length: 1000 }, () => Array.from({ length: 21 }, (_, k) => ({ machine: k, duration: 1 })));
    refused(() => solveJobShop({ jobs: many }), 'too large', /20000 operations/);
    refused(() => solveJobShop({ jobs: [[{ machine: JOBSHOP_LIMITS.maxMachines, duration: 1 }]] }), 'too large');
    refused(() => solveJobShop({ instance: '3000 10\n' }), 'instance too large');
  });

  it('refuses bad per-job data and windows', () => {
    refused(() => solveJobShop({ jobs: ok, releaseDates: [0] }), 'bad releaseDates', /1 entries for 2 jobs/);
    refused(() => solveJobShop({ jobs: ok }, { releaseDates: [0, NaN] }), 'bad releaseDates', /job 1/);
    // a hole in a sparse array is refused, not skipped
    // eslint-disable-next-line no-sparse-arrays
    refused(() => solveJobShop({ jobs: ok, weights: [1, , ] }), 'bad weights', /job 1/);
    // eslint-disable-next-line no-sparse-arrays
    refused(() => solveJobShop({ jobs: ok, unavailable: [{ machine: 0, start: 1, end: 2 }, , ] }), 'bad unavailable', /unavailable\[1\]/);
    refused(() => solveJobShop({ jobs: ok }, { dueDates: [0, 'x'] }), 'bad dueDates');
    refused(() => solveJobShop({ jobs: ok }, { weights: [1, -2] }), 'bad weights', /job 1/);
    refused(() => solveJobShop({ jobs: ok }, { unavailable: [{ machine: 5, start: 0, end: 1 }] }), 'bad unavailable', /unavailable\[0\]/);
    refused(() => solveJobShop({ jobs: ok }, { unavailable: [{ machine: 0, start: 3, end: 3 }] }), 'bad unavailable', /after start/);
    refused(() => solveJobShop({ jobs: ok }, { unavailable: [{ machine: 0, start: 0, end: Infinity }] }), 'bad unavailable');
    refused(() => solveJobShop({ jobs: ok }, { unavailable: {} }), 'bad unavailable');
  });

  it('refuses bad options', () => {
    refused(() => solveJobShop({ jobs: ok }, { timeLimit: 0 }), 'bad time limit');
    refused(() => solveJobShop({ jobs: ok }, { timeLimit: -1 }), 'bad time limit');
    refused(() => solveJobShop({ jobs: ok }, { timeLimit: 'fast' }), 'bad time limit');
    refused(() => solveJobShop({ jobs: ok }, { timeLimit: 1e9 }), 'bad time limit');
    refused(() => solveJobShop({ jobs: ok }, { seed: NaN }), 'bad seed');
    refused(() => solveJobShop({ jobs: ok }, { maxIterations: 1.5 }), 'bad option');
    refused(() => solveJobShop({ jobs: ok }, { shouldStop: true }), 'bad option');
    refused(() => solveJobShop({ jobs: ok }, { objective: 'speed' }), 'bad objective');
    refused(() => solveJobShop({ jobs: ok }, { objective: { makespan: -1 } }), 'bad objective');
    refused(() => solveJobShop({ jobs: ok }, { objective: { lateness: 1 } }), 'bad objective', /lateness/);
    refused(() => solveJobShop({ jobs: ok }, { objective: {} }), 'bad objective', /all zero/);
    refused(() => solveJobShop({ jobs: ok }, { objective: 'tardiness' }), 'no due dates');
    assert.equal(validateOptions({}).timeLimitMs, 10000);
  });
});
