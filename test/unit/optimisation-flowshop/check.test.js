'use strict';
const assert = require('assert/strict');
const { checkFlowShopSchedule } = require('../../../dist/core/optimisation/flowshop');

// Stage 0: two identical machines; stage 1: one machine of speed 2. Job 1 skips stage 1; job 1 is
// released at 1; stage 1's machine is down in [20, 25).
const problem = {
  stages: [{ machines: 2 }, { machines: [{ speed: 2 }] }],
  jobs: [[3, 4], [2, 0], [4, 2]],
  releaseDates: [0, 1, 0],
  unavailable: [{ stage: 1, machine: 0, start: 20, end: 25 }],
};
const valid = () => [
  { job: 0, stage: 0, machine: 0, start: 0, end: 3 },
  { job: 0, stage: 1, machine: 0, start: 3, end: 5 }, // 4 / speed 2
  { job: 1, stage: 0, machine: 1, start: 1, end: 3 },
  { job: 2, stage: 0, machine: 1, start: 3, end: 7 },
  { job: 2, stage: 1, machine: 0, start: 7, end: 8 },
];
const kinds = (v) => v.map((m) => m.split(':')[0]).sort();
const edit = (i, patch) => {
  const s = valid();
  Object.assign(s[i], patch);
  return s;
};

describe('flowshop checkFlowShopSchedule (independent checker)', () => {
  it('accepts a valid schedule, in any order', () => {
    assert.deepEqual(checkFlowShopSchedule(problem, valid()), []);
    assert.deepEqual(checkFlowShopSchedule(problem, valid().reverse()), []);
  });

  it('catches a missing, a duplicate and an unknown operation', () => {
    assert.deepEqual(kinds(checkFlowShopSchedule(problem, valid().slice(0, 4))), ['missing']);
    assert.match(checkFlowShopSchedule(problem, valid().slice(0, 4))[0], /job 2 stage 1/);
    assert.deepEqual(kinds(checkFlowShopSchedule(problem, [...valid(), valid()[0]])), ['duplicate']);
    assert.deepEqual(kinds(checkFlowShopSchedule(problem, [...valid(), { job: 3, stage: 0, machine: 0, start: 9, end: 10 }])), ['unknown']);
    assert.deepEqual(kinds(checkFlowShopSchedule(problem, [...valid(), { job: 0, stage: 2, machine: 0, start: 9, end: 10 }])), ['unknown']);
    assert.deepEqual(kinds(checkFlowShopSchedule(problem, [...valid(), null])), ['unknown']);
    assert.deepEqual(checkFlowShopSchedule(problem, 'none'), ['unknown: operations is not an array']);
  });

  it('catches an operation at a stage the job skips', () => {
    const v = checkFlowShopSchedule(problem, [...valid(), { job: 1, stage: 1, machine: 0, start: 10, end: 10 }]);
    assert.deepEqual(kinds(v), ['skipped']);
    assert.match(v[0], /job 1/);
  });

  it('catches non-finite times and a machine outside the stage', () => {
    assert.deepEqual(kinds(checkFlowShopSchedule(problem, edit(1, { end: NaN }))), ['missing', 'not-finite']);
    assert.deepEqual(kinds(checkFlowShopSchedule(problem, edit(1, { machine: 1 }))), ['machine', 'missing']);
    assert.deepEqual(kinds(checkFlowShopSchedule(problem, edit(0, { machine: -1 }))), ['machine', 'missing']);
  });

  it('catches a wrong duration (the machine speed counts)', () => {
    const v = checkFlowShopSchedule(problem, edit(1, { end: 7 })); // lasts 4: the time, not time / speed
    assert.deepEqual(kinds(v), ['duration']);
    assert.match(v[0], /job 0 stage 1/);
    assert.deepEqual(kinds(checkFlowShopSchedule(problem, edit(2, { end: 2.5 }))), ['duration']);
  });

  it('catches a stage started before the previous stage ends', () => {
    const v = checkFlowShopSchedule(problem, edit(4, { start: 6, end: 7 }));
    assert.deepEqual(kinds(v), ['order']);
    assert.match(v[0], /job 2 stage 1 starts at 6, before its stage 0 ends at 7/);
  });

  it('catches a start before the release date', () => {
    const v = checkFlowShopSchedule(problem, edit(2, { start: 0, end: 2 }));
    assert.deepEqual(kinds(v), ['release']);
    assert.match(v[0], /job 1/);
  });

  it('catches two operations overlapping on a machine', () => {
    const s = valid();
    Object.assign(s[3], { start: 2, end: 6 }); // job 2 on stage 0 machine 1 over job 1's [1, 3)
    const v = checkFlowShopSchedule(problem, s);
    assert.deepEqual(kinds(v), ['overlap']);
    assert.match(v[0], /stage 0 machine 1: job 1 \[1, 3\) overlaps job 2 \[2, 6\)/);
    // Touching is fine.
    assert.deepEqual(checkFlowShopSchedule(problem, edit(3, { start: 3, end: 7 })), []);
  });

  it('catches an operation in an unavailability window', () => {
    const v = checkFlowShopSchedule(problem, edit(4, { start: 24, end: 25 }));
    assert.deepEqual(kinds(v), ['unavailable']);
    assert.match(v[0], /stage 1 machine 0 is unavailable in \[20, 25\) but job 2/);
    assert.deepEqual(checkFlowShopSchedule(problem, edit(4, { start: 25, end: 26 })), []);
    assert.deepEqual(checkFlowShopSchedule(problem, edit(4, { start: 19, end: 20 })), []);
    // Windows given in the extras count too.
    assert.deepEqual(kinds(checkFlowShopSchedule(problem, valid(), { unavailable: [{ stage: 0, machine: 1, start: 4, end: 5 }] })), ['unavailable']);
  });

  it('reports several violations at once', () => {
    const s = valid();
    Object.assign(s[2], { start: 0, end: 2 }); // release
    Object.assign(s[4], { start: 20, end: 22 }); // duration + window
    assert.deepEqual(kinds(checkFlowShopSchedule(problem, s)), ['duration', 'release', 'unavailable']);
  });
});
