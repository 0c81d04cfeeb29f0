'use strict';
const assert = require('assert/strict');
const { parseOrLibrary } = require('../../../dist/core/optimisation/jobshop/parse');
const { refused, instanceText } = require('./helpers');

const SMALL = [
  '#+++++++++++++++',
  '# instance tiny',
  '#+++++++++++++++',
  '# a hand-made 3 x 2 instance',
  '3 2',
  '0 5 1 3',
  '1 2 0 4   # inline comment',
  '',
  '0 1 1 7',
  '',
].join('\n');

describe('jobshop parseOrLibrary', () => {
  it('parses the OR-Library format with comments, blank lines and inline comments', () => {
    const p = parseOrLibrary(SMALL);
    assert.equal(p.name, 'tiny');
    assert.equal(p.machines, 2);
    assert.deepEqual(p.jobs, [
      [{ machine: 0, duration: 5 }, { machine: 1, duration: 3 }],
      [{ machine: 1, duration: 2 }, { machine: 0, duration: 4 }],
      [{ machine: 0, duration: 1 }, { machine: 1, duration: 7 }],
    ]);
  });

  it('accepts CRLF line ends, tabs and no comments at all', () => {
    const p = parseOrLibrary('2 1\r\n0\t3\r\n0 4\r\n');
    assert.equal(p.name, undefined);
    assert.deepEqual(p.jobs, [[{ machine: 0, duration: 3 }], [{ machine: 0, duration: 4 }]]);
  });

  it('parses the benchmark files in place (ft06, la01)', function () {
    const ft06 = instanceText('ft06');
    if (!ft06) this.skip();
    const p = parseOrLibrary(ft06);
    assert.equal(p.name, 'ft06');
    assert.equal(p.jobs.length, 6);
    assert.equal(p.machines, 6);
    assert.deepEqual(p.jobs[0][0], { machine: 2, duration: 1 });
    assert.deepEqual(p.jobs[5][5], { machine: 2, duration: 1 });
    const la01 = parseOrLibrary(instanceText('la01'));
    assert.equal(la01.jobs.length, 10);
    assert.equal(la01.machines, 5);
  });

  it('refuses garbage with the line number', () => {
    refused(() => parseOrLibrary(''), 'bad instance', /no "jobs machines" line/);
    refused(() => parseOrLibrary('# only comments\n\n'), 'bad instance', /no "jobs machines" line/);
    refused(() => parseOrLibrary('# c\nhello world\n'), 'bad instance', /line 2: expected "jobs machines"/);
    refused(() => parseOrLibrary('2 2 2\n'), 'bad instance', /line 1/);
    refused(() => parseOrLibrary('0 3\n'), 'bad instance', /line 1: needs at least 1 job/);
    refused(() => parseOrLibrary('2 2\n0 1 1 2\n0 1 1\n'), 'bad instance', /line 3 \(job 1\): expected 4 numbers/);
    refused(() => parseOrLibrary('2 2\n0 1 1 2\n0 x 1 2\n'), 'bad instance', /line 3 \(job 1, operation 0\): duration "x"/);
    refused(() => parseOrLibrary('2 2\n0 1 1 2\n0 -1 1 2\n'), 'bad instance', /line 3 \(job 1, operation 0\): duration "-1"/);
    refused(() => parseOrLibrary('2 2\n0 1 1 2\n2 1 1 2\n'), 'bad instance', /line 3 \(job 1, operation 0\): machine 2 is out of range 0..1/);
    refused(() => parseOrLibrary('2 2\n0 1 1 2\n0.5 1 1 2\n'), 'bad instance', /line 3 .*machine "0.5"/);
    refused(() => parseOrLibrary('1 1\n0 1\n0 1\n'), 'bad instance', /line 3: unexpected data after the 1 job lines/);
    refused(() => parseOrLibrary('3 1\n0 1\n0 1\n'), 'bad instance', /ends after 2 of 3 job lines/);
    refused(() => parseOrLibrary(42), 'bad instance');
  });

  it('refuses sizes beyond the limits', () => {
    refused(() => parseOrLibrary('5000 10\n'), 'instance too large', /line 1/);
    refused(() => parseOrLibrary('300 100\n'), 'instance too large');
  });
});
