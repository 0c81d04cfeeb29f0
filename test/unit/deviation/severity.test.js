'use strict';
const assert = require('assert/strict');
const { SeverityGate } = require('../../../dist/core/deviation');
const { ConfigError } = require('../../../dist/core/errors');

const run = (gate, ps, t0 = 0, step = 1000) => ps.map((p, i) => gate.update(p, t0 + i * step));

describe('deviation: severity', () => {
  it('raises warning after minSamples, alarm after its own run, and leaves with hysteresis', () => {
    const gate = new SeverityGate({ minSamples: 2 });
    assert.deepEqual(
      run(gate, [0.995, 0.995, 0.99995, 0.99995, 0.9995, 0.995, 0.95, 0.5]),
      ['ok', 'warning', 'warning', 'alarm', 'alarm', 'warning', 'warning', 'ok'],
    );
  });
  it('a single high sample raises nothing; an interrupted run starts again', () => {
    const gate = new SeverityGate(); // minSamples 3
    assert.deepEqual(run(gate, [0.999, 0.999, 0.5, 0.999, 0.999, 0.999]), ['ok', 'ok', 'ok', 'ok', 'ok', 'warning']);
  });
  it('minMs: the run must also last long enough in time', () => {
    const gate = new SeverityGate({ minSamples: 1, minMs: 2500 });
    assert.deepEqual(run(gate, [0.995, 0.995, 0.995, 0.995]), ['ok', 'ok', 'ok', 'warning']); // 0, 1, 2, 3 s
  });
  it('refuses thresholds out of order', () => {
    assert.throws(() => new SeverityGate({ warningEnter: 0.8, warningLeave: 0.9 }), ConfigError);
    assert.throws(() => new SeverityGate({ alarmEnter: 0.95 }), ConfigError);
    assert.throws(() => new SeverityGate({ minSamples: 0 }), ConfigError);
  });
  it('save and restore mid-run', () => {
    const gate = new SeverityGate();
    run(gate, [0.995, 0.995]);
    const copy = new SeverityGate();
    copy.restore(JSON.parse(JSON.stringify(gate.toJSON())));
    assert.equal(copy.update(0.995, 2000), 'warning');
  });
});
