'use strict';
const assert = require('assert/strict');
const { checkSchedule } = require('../../../dist/core/optimisation/jobshop/check');

// Two jobs on two machines: job 0 = M0 for 3 then M1 for 2; job 1 = M1 for 4 then M0 for 1.
const problem = {
  jobs: [
    [{ machine: 0, duration: 3 }, { machine: 1, duration: 2 }],
    [{ machine: 1, duration: 4 }, { machine: 0, duration: 1 }],
  ],
};
const valid = () => [
  { job: 0, op: 0, machine: 0, start: 0, end: 3 },
  { job: 0, op: 1, machine: 1, start: 4, end: 6 },
  { job: 1, op: 0, machine: 1, start: 0, end: 4 },
  { job: 1, op: 1, machine: 0, start: 4, end: 5 },
];
const kinds = (v) => v.map((x) => x.kind).sort();

describe('jobshop checkSchedule (independent checker)', () => {
  it('accepts a valid schedule, in any order, without machine fields', () => {
    assert.deepEqual(checkSchedule(problem, valid()), []);
    assert.deepEqual(checkSchedule(problem, valid().reverse()), []);
    assert.deepEqual(checkSchedule(problem, valid().map(({ machine, ...rest }) => rest)), []);
  });

  it('accepts OR-Library text as the problem', () => {
    assert.deepEqual(checkSchedule({ instance: '2 2\n0 3 1 2\n1 4 0 1\n' }, valid()), []);
  });

  it('catches a missing, a duplicate and an unknown operation', () => {
    const s = valid();
    s.pop();
    assert.deepEqual(kinds(checkSchedule(problem, s)), ['missing']);
    assert.deepEqual(kinds(checkSchedule(problem, [...valid(), valid()[0]])), ['duplicate']);
    assert.deepEqual(kinds(checkSchedule(problem, [...valid(), { job: 2, op: 0, machine: 0, start: 9, end: 10 }])), ['unknown']);
    assert.deepEqual(kinds(checkSchedule(problem, [...valid(), { job: 0, op: 2, machine: 0, start: 9, end: 10 }])), ['unknown']);
  });

  it('catches non-finite times', () => {
    const s = valid();
    s[0].start = NaN;
    assert.deepEqual(kinds(checkSchedule(problem, s)), ['missing', 'not-finite']);
  });

  it('catches the wrong machine and the wrong duration', () => {
    const s = valid();
    s[0].machine = 1;
    assert.deepEqual(kinds(checkSchedule(problem, s)), ['machine']);
    const d = valid();
    d[3].end = 7; // lasts 3 instead of 1
    assert.deepEqual(kinds(checkSchedule(problem, d)), ['duration']);
  });

  it('catches a precedence violation within a job', () => {
    const s = valid();
    // job 0 op 1 starts before op 0 ends (M1 is free from 4, so move op 0 later instead).
    s[0].start = 5;
    s[0].end = 8;
    const v = checkSchedule(problem, s);
    assert.ok(v.some((x) => x.kind === 'precedence' && x.job === 0 && x.op === 1), JSON.stringify(v));
  });

  it('catches machine overlaps, including a zero-length operation inside another', () => {
    const s = valid();
    s[1].start = 3; // M1: job 0 op 1 [3,5) overlaps job 1 op 0 [0,4)
    s[1].end = 5;
    const v = checkSchedule(problem, s);
    assert.deepEqual(kinds(v), ['overlap']);
    assert.equal(v[0].machine, 1);
    const zero = { jobs: [[{ machine: 0, duration: 4 }], [{ machine: 0, duration: 0 }]] };
    assert.deepEqual(kinds(checkSchedule(zero, [{ job: 0, op: 0, start: 0, end: 4 }, { job: 1, op: 0, start: 2, end: 2 }])), ['overlap']);
    assert.deepEqual(checkSchedule(zero, [{ job: 0, op: 0, start: 0, end: 4 }, { job: 1, op: 0, start: 4, end: 4 }]), []);
    // Touching intervals do not overlap.
    const touch = { jobs: [[{ machine: 0, duration: 2 }], [{ machine: 0, duration: 3 }]] };
    assert.deepEqual(checkSchedule(touch, [{ job: 0, op: 0, start: 0, end: 2 }, { job: 1, op: 0, start: 2, end: 5 }]), []);
  });

  it('catches a start before the release date (problem or extras)', () => {
    const v = checkSchedule({ ...problem, releaseDates: [1, 0] }, valid());
    assert.deepEqual(kinds(v), ['release']);
    assert.equal(v[0].job, 0);
    assert.deepEqual(kinds(checkSchedule(problem, valid(), { releaseDates: [0, 2] })), ['release']);
  });

  it('catches an operation overlapping an unavailability window', () => {
    const v = checkSchedule({ ...problem, unavailable: [{ machine: 0, start: 4.5, end: 6 }] }, valid());
    assert.deepEqual(kinds(v), ['unavailable']);
    assert.equal(v[0].job, 1);
    // Windows touching an operation are fine.
    assert.deepEqual(checkSchedule(problem, valid(), { unavailable: [{ machine: 0, start: 5, end: 9 }, { machine: 1, start: 6, end: 7 }] }), []);
  });

  it('reports several violations at once', () => {
    const s = valid();
    s[2].end = 5; // duration 5 instead of 4, and on M1 [0,5) now overlaps job 0 op 1 [4,6)
    s[3].start = 3; // job 1 op 1 starts before op 0 ends at 5; [3,4) only touches job 0 op 0 [0,3)
    s[3].end = 4;
    const v = checkSchedule(problem, s);
    assert.deepEqual(kinds(v), ['duration', 'overlap', 'precedence']);
  });
});
