'use strict';
/**
 * twin-gate's OpcuaWriter against a real node-opcua server over TCP: write then read back, FIFO
 * order with per-key coalescing (counted on the server), refusals that do not stop the queue,
 * values that never reach the server, a server that goes away and comes back, and the node id map.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { OpcuaConnection } = require('../../dist/core/source/opcua-connection');
const { OpcuaWriter, parseNodeIdMap } = require('../../dist/nodes/twin-gate/opcua-writer');
const { ConfigError, InputError } = require('../../dist/core/errors');
const { startOpcuaTestServer, findFreePort, nodeIdOf, waitForState } = require('../support/opcua-test-server');

const TMP = path.join(__dirname, '..', '.tmp', 'gate-opcua-writer');
const SERVER_PKI = path.join(TMP, 'server-pki');
const CLIENT_PKI = path.join(TMP, 'client-pki');
const FAST_BACKOFF = { initialMs: 200, maxMs: 1000, factor: 2 };
const SETPOINT = 'line1/press1/temperatureSetpoint';
const PRESSURE = 'line1/press1/pressure';
const TEMPERATURE = 'line1/press1/temperature';
const NODE_IDS = { [SETPOINT]: nodeIdOf('Setpoint'), [PRESSURE]: nodeIdOf('Pressure'), [TEMPERATURE]: nodeIdOf('Temperature') };

/** Records the writer's events in order; `until(predicate)` resolves once one matches. */
function eventLog() {
  const events = [];
  const waiters = [];
  const push = (event) => {
    events.push(event);
    for (const w of [...waiters]) if (w.predicate(event)) w.resolve(event);
  };
  return {
    events,
    listeners: {
      written: (key, ok, error, time) => push({ type: 'written', key, ok, error, time }),
      readBack: (key, value, time) => push({ type: 'readBack', key, value, time }),
    },
    until(predicate, timeoutMs = 10000) {
      const seen = events.find(predicate);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const waiter = { predicate, resolve: (e) => { clearTimeout(timer); waiters.splice(waiters.indexOf(waiter), 1); resolve(e); } };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error(`no matching event within ${timeoutMs} ms; got ${JSON.stringify(events)}`));
        }, timeoutMs);
        waiters.push(waiter);
      });
    },
  };
}

/** Values the server's variable took, in order (server side: every accepted write). */
function serverWrites(variable) {
  const values = [];
  const listener = (dataValue) => values.push(dataValue.value.value);
  variable.on('value_changed', listener);
  return { values, stop: () => variable.off('value_changed', listener) };
}

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

describe('twin-gate OpcuaWriter (real OPC UA server over TCP)', function () {
  this.timeout(60000);
  let port;
  let testServer;
  let connection;
  const writers = [];

  function startServer() {
    return startOpcuaTestServer({ port, pkiDir: SERVER_PKI, securityModes: ['None'], securityPolicies: ['None'] });
  }

  function writer(log, options) {
    const w = new OpcuaWriter(connection, NODE_IDS, log.listeners, options);
    writers.push(w);
    return w;
  }

  before(async function () {
    fs.mkdirSync(TMP, { recursive: true });
    port = await findFreePort();
    testServer = await startServer();
    connection = new OpcuaConnection({
      endpointUrl: testServer.endpointUrl,
      securityMode: 'None',
      securityPolicy: 'None',
      pkiDir: CLIENT_PKI,
      trustOnFirstUse: false,
      backoff: FAST_BACKOFF,
    });
    connection.connect();
    await waitForState(connection, 'connected', 30000);
  });

  afterEach(function () {
    for (const w of writers.splice(0)) w.close();
  });

  after(async function () {
    if (connection) await connection.close();
    if (testServer) await testServer.stop();
  });

  it('writes, then reads the value back', async function () {
    const log = eventLog();
    const w = writer(log, { readBackDelayMs: 50 });
    assert.equal(w.handles(SETPOINT), true);
    assert.equal(w.handles('line1/press1/speed'), false);
    assert.throws(() => w.write('line1/press1/speed', 1), (err) => err instanceof InputError && err.shortReason === 'no node id');

    w.write(SETPOINT, 182.5);
    assert.equal(w.pending, 1);
    assert.equal(log.events.length, 0, 'no event inside write()');
    const readBack = await log.until((e) => e.type === 'readBack');
    assert.deepEqual(log.events.map(({ type, key, ok, value }) => ({ type, key, ok, value })), [
      { type: 'written', key: SETPOINT, ok: true, value: undefined },
      { type: 'readBack', key: SETPOINT, ok: undefined, value: 182.5 },
    ]);
    assert.ok(readBack.time - log.events[0].time >= 45, 'the read-back waits readBackDelayMs');
    assert.equal(w.pending, 0);
    assert.equal((await connection.read(nodeIdOf('Setpoint'))).value, 182.5);
  });

  it('writes in FIFO order and coalesces a waiting write of the same key (newest value wins)', async function () {
    const setpoint = serverWrites(testServer.variables.Setpoint);
    const pressure = serverWrites(testServer.variables.Pressure);
    try {
      const log = eventLog();
      const w = writer(log);
      w.write(SETPOINT, 101); // starts at once
      w.write(PRESSURE, 2);
      w.write(SETPOINT, 102); // waits behind PRESSURE
      w.write(PRESSURE, 3); // replaces 2, moves behind SETPOINT
      w.write(SETPOINT, 103); // replaces 102, moves behind PRESSURE
      assert.equal(w.pending, 3, 'SETPOINT in flight, PRESSURE and SETPOINT waiting');
      await log.until((e) => e.type === 'readBack' && e.value === 103);
      assert.deepEqual(log.events.map((e) => `${e.type} ${e.key} ${e.type === 'written' ? e.ok : e.value}`), [
        `written ${SETPOINT} true`, `readBack ${SETPOINT} 101`,
        `written ${PRESSURE} true`, `readBack ${PRESSURE} 3`,
        `written ${SETPOINT} true`, `readBack ${SETPOINT} 103`,
      ]);
      assert.deepEqual(setpoint.values, [101, 103], 'the server saw the coalesced 102 never');
      assert.deepEqual(pressure.values, [3]);
    } finally {
      setpoint.stop();
      pressure.stop();
    }
  });

  it('with maxInFlight 2 runs two keys at once, never two writes of one key', async function () {
    const setpoint = serverWrites(testServer.variables.Setpoint);
    try {
      const log = eventLog();
      const w = writer(log, { maxInFlight: 2 });
      w.write(SETPOINT, 111);
      w.write(PRESSURE, 5);
      w.write(SETPOINT, 112); // waits for the first SETPOINT write although a slot is free later
      assert.equal(w.pending, 3);
      await log.until((e) => e.type === 'readBack' && e.value === 112);
      const setpointEvents = log.events.filter((e) => e.key === SETPOINT).map((e) => `${e.type} ${e.value}`);
      assert.deepEqual(setpointEvents, ['written undefined', 'readBack 111', 'written undefined', 'readBack 112']);
      assert.deepEqual(setpoint.values, [111, 112]);
      await log.until((e) => e.type === 'readBack' && e.key === PRESSURE && e.value === 5);
    } finally {
      setpoint.stop();
    }
  });

  it('reports a write the server refuses and goes on with the next one', async function () {
    const log = eventLog();
    const w = writer(log);
    w.write(TEMPERATURE, 55);
    w.write(SETPOINT, 190);
    await log.until((e) => e.type === 'readBack' && e.key === SETPOINT);
    const refused = log.events.find((e) => e.key === TEMPERATURE);
    assert.equal(refused.ok, false);
    assert.match(refused.error, /^write refused: .*(BadNotWritable|BadUserAccessDenied)/);
    assert.ok(!log.events.some((e) => e.type === 'readBack' && e.key === TEMPERATURE), 'no read-back after a failed write');
    assert.deepEqual(log.events.filter((e) => e.key === SETPOINT).map((e) => e.type), ['written', 'readBack']);
    assert.equal((await connection.read(nodeIdOf('Temperature'))).value, 20);
  });

  it('refuses values that are not a number, boolean or text without calling the server', async function () {
    const setpoint = serverWrites(testServer.variables.Setpoint);
    const calls = [];
    const spy = {
      state: connection.state,
      write: (...args) => (calls.push(['write', ...args]), connection.write(...args)),
      read: (...args) => (calls.push(['read', ...args]), connection.read(...args)),
    };
    try {
      const log = eventLog();
      const w = new OpcuaWriter(spy, NODE_IDS, log.listeners);
      writers.push(w);
      w.write(SETPOINT, { value: 1 });
      w.write(PRESSURE, [1, 2]);
      w.write(TEMPERATURE, null);
      await log.until((e) => e.key === TEMPERATURE);
      assert.deepEqual(log.events.map((e) => [e.key, e.ok, e.error]), [
        [SETPOINT, false, 'cannot write an object'],
        [PRESSURE, false, 'cannot write an array'],
        [TEMPERATURE, false, 'cannot write null'],
      ]);
      assert.deepEqual(calls, []);
      assert.deepEqual(setpoint.values, []);

      // a value the variable's type cannot take is refused by the connection, before the wire
      w.write(SETPOINT, 'hot');
      const notNumber = await log.until((e) => e.key === SETPOINT && e.error && e.error.startsWith('not a number'));
      assert.equal(notNumber.ok, false);
      assert.deepEqual(setpoint.values, []);
    } finally {
      setpoint.stop();
    }
  });

  it('drops waiting writes and silences events on close()', async function () {
    const setpoint = serverWrites(testServer.variables.Setpoint);
    try {
      const log = eventLog();
      const w = writer(log);
      w.write(SETPOINT, 150);
      w.write(PRESSURE, 7);
      w.close();
      assert.equal(w.pending, 1, 'only the started write is left');
      w.write(PRESSURE, 8); // ignored after close
      await delay(500);
      assert.deepEqual(log.events, []);
      assert.deepEqual(setpoint.values, [], 'close() came before the write touched the server');
      assert.equal(w.pending, 0);
    } finally {
      setpoint.stop();
    }
  });

  it('fails with "not connected" while the server is down, waits for a reconnect, and writes again after it', async function () {
    const log = eventLog();
    const w = writer(log, { connectWaitMs: 1000 });
    const reconnecting = waitForState(connection, 'reconnecting');
    await testServer.stop();
    testServer = null;
    await reconnecting;

    const started = Date.now();
    w.write(SETPOINT, 175);
    const failed = await log.until((e) => e.key === SETPOINT);
    const waited = Date.now() - started;
    assert.equal(failed.ok, false);
    assert.match(failed.error, /^not connected: .*(reconnecting|connecting)/);
    assert.ok(waited >= 950 && waited < 3000, `failed after ${waited} ms, connectWaitMs 1000`);
    assert.equal(w.pending, 0);

    // a write made while the server is still down goes out once the connection is back
    const patientLog = eventLog();
    const waiting = writer(patientLog, { connectWaitMs: 30000 });
    waiting.write(PRESSURE, 4.5);
    await delay(300);
    assert.deepEqual(patientLog.events, [], 'still waiting for the connection');
    testServer = await startServer();
    await waitForState(connection, 'connected', 30000);
    await patientLog.until((e) => e.type === 'readBack' && e.key === PRESSURE && e.value === 4.5, 15000);
    assert.equal(patientLog.events[0].ok, true);

    // and the first writer, which had failed, writes again
    w.write(SETPOINT, 176.5);
    await log.until((e) => e.type === 'readBack' && e.value === 176.5);
    assert.deepEqual(log.events.slice(1).map((e) => [e.type, e.ok, e.value]), [['written', true, undefined], ['readBack', undefined, 176.5]]);
    assert.equal((await connection.read(nodeIdOf('Setpoint'))).value, 176.5);
  });

  describe('parseNodeIdMap', function () {
    function refuses(raw, pattern) {
      assert.throws(() => parseNodeIdMap(raw), (err) => {
        assert.ok(err instanceof ConfigError, String(err));
        assert.equal(err.shortReason, 'bad node id map');
        assert.match(err.message, pattern);
        return true;
      });
    }

    it('accepts an object or its JSON text of asset paths to node ids', function () {
      const map = { [SETPOINT]: nodeIdOf('Setpoint'), 'line1/press2/speed': 'ns=2;i=1042', 'line1/oven/mode': 'ns=3;g=72962B91-FA75-4AE6-8D28-B404DC7DAF63', 'line1/x/y': 'i=2253' };
      assert.deepEqual(parseNodeIdMap(map), map);
      assert.deepEqual(parseNodeIdMap(JSON.stringify(map)), map);
      assert.deepEqual(parseNodeIdMap({}), {});
    });

    it('refuses garbage, naming the entry at fault', function () {
      refuses(null, /must be an object/);
      refuses([SETPOINT], /must be an object/);
      refuses(42, /must be an object/);
      refuses('{"a/b": ', /not valid JSON/);
      refuses({ [SETPOINT]: '' }, /"line1\/press1\/temperatureSetpoint".*non-empty text/);
      refuses({ [SETPOINT]: 7 }, /"line1\/press1\/temperatureSetpoint".*non-empty text, got 7/);
      refuses({ 'line1/*/temperatureSetpoint': 'ns=1;s=A' }, /"line1\/\*\/temperatureSetpoint".*pattern/);
      refuses({ 'line1/#': 'ns=1;s=A' }, /"line1\/#".*pattern/);
      refuses({ 'line1/+/speed': 'ns=1;s=A' }, /"line1\/\+\/speed".*pattern/);
      refuses({ temperatureSetpoint: 'ns=1;s=A' }, /"temperatureSetpoint".*asset path/);
      refuses({ 'line1//speed': 'ns=1;s=A' }, /"line1\/\/speed".*empty levels/);
      refuses({ 'line1/speed': 'Press1.Speed' }, /"line1\/speed".*"Press1.Speed" is not an OPC UA node id/);
      refuses({ 'line1/speed': 'ns=x;s=Speed' }, /"line1\/speed".*not an OPC UA node id/);
      refuses({ 'line1/speed': 'ns=1;g=not-a-guid' }, /"line1\/speed".*not an OPC UA node id/);
      refuses({ 'line1/speed': 'ns=1;s=' }, /"line1\/speed".*not an OPC UA node id/);
      refuses({ 'line1/speed': 'ObjectsFolder' }, /"line1\/speed".*not an OPC UA node id/);
      refuses({ 'line1/speed': ' ns=1;s=Speed' }, /"line1\/speed".*spaces/);
      refuses({ 'line1/a': 'ns=0;i=2253', 'line1/b': 'i=2253' }, /"line1\/b".*already used by "line1\/a"/);
      const huge = {};
      for (let i = 0; i <= 5000; i++) huge[`line1/s${i}`] = `ns=1;i=${i}`;
      refuses(huge, /5001 entries \(limit 5000\)/);
    });
  });
});
