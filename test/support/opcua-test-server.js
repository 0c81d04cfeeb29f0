'use strict';
/**
 * A small real OPC UA server (node-opcua, in-process, real TCP) shaped like a press line:
 *
 *   Objects/Line1/Press1/Temperature  Double, AnalogItem, EngineeringUnits degC
 *   Objects/Line1/Press1/Pressure     Double, AnalogItem, EngineeringUnits bar
 *   Objects/Line1/Press1/Running      Boolean
 *   Objects/Line1/Press1/Setpoint     Double, writable, AnalogItem degC
 *
 * Node ids are fixed strings (ns=1;s=Line1.Press1.<Name>) so a restarted server on the same
 * port serves the very same node ids, as a real PLC coming back after a power cycle would.
 */
const path = require('node:path');
const fs = require('node:fs');
const {
  OPCUAServer,
  OPCUACertificateManager,
  DataType,
  StatusCodes,
  StatusCode,
  MessageSecurityMode,
  SecurityPolicy,
  standardUnits,
  Variant,
} = require('node-opcua');
const { freePort: findFreePort } = require('../../scripts/lib/ports');

function nodeIdOf(name) {
  return `ns=1;s=Line1.Press1.${name}`;
}

function toStatusCode(statusCode) {
  if (statusCode === undefined || statusCode === null) return StatusCodes.Good;
  if (statusCode instanceof StatusCode) return statusCode;
  if (typeof statusCode === 'string') {
    const found = StatusCodes[statusCode];
    if (!found) throw new Error(`unknown StatusCode name ${statusCode}`);
    return found;
  }
  return StatusCode.makeStatusCode(statusCode);
}

/**
 * @param {object} options
 * @param {number} options.port
 * @param {string} options.pkiDir  server PKI (own cert is generated there once and reused)
 * @param {{user: string, password: string}[]} [options.users]
 * @param {boolean} [options.allowAnonymous] default true
 * @param {string[]} [options.securityModes] e.g. ['None', 'SignAndEncrypt'] (default: all)
 * @param {string[]} [options.securityPolicies] e.g. ['None', 'Basic256Sha256'] (default: all)
 * @param {boolean} [options.acceptUnknownClients] default true: trust every client certificate
 */
async function startOpcuaTestServer(options) {
  const { port, pkiDir } = options;
  const users = options.users || [];
  fs.mkdirSync(pkiDir, { recursive: true });

  // By default the server trusts every client certificate it meets: most tests are about the
  // client's trust list. acceptUnknownClients=false plays a server whose admin has not trusted us.
  const serverCertificateManager = new OPCUACertificateManager({
    rootFolder: pkiDir,
    automaticallyAcceptUnknownCertificate: options.acceptUnknownClients !== false,
    disableFileWatchers: true,
  });
  await serverCertificateManager.initialize();

  const securityModes = options.securityModes
    ? options.securityModes.map((mode) => MessageSecurityMode[mode])
    : undefined;
  const securityPolicies = options.securityPolicies
    ? options.securityPolicies.map((policy) => SecurityPolicy[policy])
    : undefined;

  const server = new OPCUAServer({
    port,
    resourcePath: '/UA/PressLine',
    // clients dial 127.0.0.1: list it among the endpoint host names
    alternateHostname: ['127.0.0.1'],
    serverCertificateManager,
    allowAnonymous: options.allowAnonymous !== false,
    securityModes,
    securityPolicies,
    userManager: {
      isValidUser: (userName, password) => users.some((u) => u.user === userName && u.password === password),
    },
    buildInfo: { productName: 'TwinLoopPressLineTestServer', buildNumber: '1' },
    serverInfo: { applicationUri: 'urn:twinloop:test:press-line-server', applicationName: { text: 'PressLineTestServer' } },
    // keep the test server quiet and light
    isAuditing: false,
  });
  await server.initialize();

  const addressSpace = server.engine.addressSpace;
  const namespace = addressSpace.getOwnNamespace();
  const line1 = namespace.addObject({ organizedBy: addressSpace.rootFolder.objects, browseName: 'Line1', nodeId: 's=Line1' });
  const press1 = namespace.addObject({ componentOf: line1, browseName: 'Press1', nodeId: 's=Line1.Press1' });

  const variables = {
    Temperature: namespace.addAnalogDataItem({
      componentOf: press1,
      browseName: 'Temperature',
      nodeId: 's=Line1.Press1.Temperature',
      dataType: 'Double',
      engineeringUnitsRange: { low: -50, high: 400 },
      engineeringUnits: standardUnits.degree_celsius,
      accessLevel: 'CurrentRead',
      userAccessLevel: 'CurrentRead',
      value: new Variant({ dataType: DataType.Double, value: 20 }),
    }),
    Pressure: namespace.addAnalogDataItem({
      componentOf: press1,
      browseName: 'Pressure',
      nodeId: 's=Line1.Press1.Pressure',
      dataType: 'Double',
      engineeringUnitsRange: { low: 0, high: 400 },
      engineeringUnits: standardUnits.bar,
      value: new Variant({ dataType: DataType.Double, value: 1 }),
    }),
    Running: namespace.addVariable({
      componentOf: press1,
      browseName: 'Running',
      nodeId: 's=Line1.Press1.Running',
      dataType: 'Boolean',
      value: new Variant({ dataType: DataType.Boolean, value: false }),
    }),
    Setpoint: namespace.addAnalogDataItem({
      componentOf: press1,
      browseName: 'Setpoint',
      nodeId: 's=Line1.Press1.Setpoint',
      dataType: 'Double',
      engineeringUnitsRange: { low: -50, high: 400 },
      engineeringUnits: standardUnits.degree_celsius,
      accessLevel: 'CurrentRead | CurrentWrite',
      userAccessLevel: 'CurrentRead | CurrentWrite',
      value: new Variant({ dataType: DataType.Double, value: 180 }),
    }),
  };

  await server.start();
  const endpointUrl = `opc.tcp://127.0.0.1:${port}/UA/PressLine`;

  function setValue(name, value, statusCode) {
    const variable = variables[name];
    if (!variable) throw new Error(`no variable ${name} in the test server`);
    const dataType = variable.dataTypeObj.browseName.name === 'Boolean' ? DataType.Boolean : DataType.Double;
    variable.setValueFromSource(new Variant({ dataType, value }), toStatusCode(statusCode), new Date());
  }

  let stopped = false;
  async function stop() {
    if (stopped) return;
    stopped = true;
    // timeout 0: drop the clients at once, as a killed PLC runtime would
    await server.shutdown(0);
    await serverCertificateManager.dispose();
  }

  return {
    endpointUrl,
    server,
    variables,
    nodeIdOf,
    setValue,
    certificateFile: server.certificateFile,
    stop,
  };
}

/**
 * The same server in a child process, for tests that must kill it like a crashed PLC runtime
 * (SIGKILL: no goodbye on the wire, the kernel just closes the sockets).
 * Returns {endpointUrl, setValue(name, value, statusCode?), kill()}.
 */
function spawnOpcuaTestServerProcess(options) {
  const { fork } = require('node:child_process');
  const child = fork(__filename, [JSON.stringify(options)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('test server process did not start within 20 s')), 20000);
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`test server process exited with ${code}`)));
    child.once('message', (message) => {
      clearTimeout(timer);
      resolve({
        endpointUrl: message.endpointUrl,
        setValue: (name, value, statusCode) => child.send({ setValue: [name, value, statusCode] }),
        kill: async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
          await exited;
        },
      });
    });
  });
}

/** Resolves when an OpcuaConnection reaches state `name` (at once if it is there already). */
function waitForState(connection, name, timeoutMs = 10000) {
  return new Promise((resolve, reject) => {
    if (connection.state.state.name === name) return resolve(connection.state.state);
    const timer = setTimeout(() => {
      off();
      reject(new Error(`state stayed ${connection.state.state.name} (${connection.state.state.reason || ''}), wanted ${name}; lastError: ${connection.lastError && connection.lastError.message}`));
    }, timeoutMs);
    const off = connection.state.onState((state) => {
      if (state.name !== name) return;
      clearTimeout(timer);
      off();
      resolve(state);
    });
  });
}

/** Collects readings; `next(predicate)` resolves with the first (past or future) match. */
function readingLog() {
  const readings = [];
  const waiters = [];
  return {
    readings,
    onReading(reading) {
      readings.push(reading);
      for (const w of [...waiters]) if (w.predicate(reading)) w.resolve(reading);
    },
    next(predicate, timeoutMs = 8000, from = 0) {
      const seen = readings.slice(from).find(predicate);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const waiter = { predicate, resolve: (r) => { clearTimeout(timer); waiters.splice(waiters.indexOf(waiter), 1); resolve(r); } };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error(`no matching reading within ${timeoutMs} ms; got ${JSON.stringify(readings.slice(-5))}`));
        }, timeoutMs);
        waiters.push(waiter);
      });
    },
  };
}

if (require.main === module) {
  // child mode (see spawnOpcuaTestServerProcess): die with the parent, take orders over IPC
  process.on('disconnect', () => process.exit(0));
  startOpcuaTestServer(JSON.parse(process.argv[2])).then(
    (testServer) => {
      process.on('message', (message) => message.setValue && testServer.setValue(...message.setValue));
      process.send({ endpointUrl: testServer.endpointUrl });
    },
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}

module.exports = { startOpcuaTestServer, spawnOpcuaTestServerProcess, findFreePort, nodeIdOf, waitForState, readingLog };
