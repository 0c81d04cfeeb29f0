'use strict';
/**
 * The demo plant's OPC UA server (node-opcua): every plant signal under Objects/Line1/<Asset>/<Signal>
 * with a fixed string node id ns=1;s=Line1.<Asset>.<Signal> (Oven1.Temperature, Press2.SpeedSetpoint ...),
 * engineering units on the analog items, and the setpoints writable: a write is applied like an
 * MQTT /set (clamped to the range) and read back at once. Endpoint opc.tcp://127.0.0.1:<port>/UA/PressLine,
 * security None and anonymous access allowed (plus the signed and encrypted policies node-opcua offers).
 */
const fs = require('node:fs');
const { OPCUAServer, OPCUACertificateManager, DataType, StatusCodes, Variant, standardUnits, makeEUInformation } = require('node-opcua');
const { signalList } = require('./plant');

const capital = (s) => s.charAt(0).toUpperCase() + s.slice(1);

/** Node id of a plant signal key ("press1/speedSetpoint" -> "ns=1;s=Line1.Press1.SpeedSetpoint"). */
function nodeIdOf(key) {
  const [asset, signal] = key.split('/');
  return `ns=1;s=Line1.${capital(asset)}.${capital(signal)}`;
}

const UNITS = {
  degC: { eu: () => standardUnits.degree_celsius, range: { low: -50, high: 400 } },
  kW: { eu: () => standardUnits.kilowatt, range: { low: 0, high: 10 } },
  kWh: { eu: () => makeEUInformation('KWH', 'kWh', 'kilowatt hour'), range: { low: 0, high: 1e6 } },
  '%': { eu: () => standardUnits.percent, range: { low: 0, high: 150 } },
  'mm/s': { eu: () => makeEUInformation('C16', 'mm/s', 'millimetre per second'), range: { low: 0, high: 50 } },
  bar: { eu: () => standardUnits.bar, range: { low: 0, high: 400 } },
};

/**
 * @param {object} options
 * @param {import('./plant').VirtualPlant} options.plant
 * @param {number} options.port
 * @param {string} options.pkiDir   the server's own certificate is made there once and reused
 * @param {(key: string, result: object, origin: string) => void} options.onWrite  a write was applied (or refused)
 */
async function startOpcuaServer({ plant, port, pkiDir, onWrite }) {
  fs.mkdirSync(pkiDir, { recursive: true });
  const serverCertificateManager = new OPCUACertificateManager({ rootFolder: pkiDir, automaticallyAcceptUnknownCertificate: true, disableFileWatchers: true });
  await serverCertificateManager.initialize();
  const server = new OPCUAServer({
    port,
    resourcePath: '/UA/PressLine',
    alternateHostname: ['127.0.0.1'],
    serverCertificateManager,
    allowAnonymous: true,
    buildInfo: { productName: 'TwinLoopDemoPlant', buildNumber: '1' },
    serverInfo: { applicationUri: 'urn:twinloop:demo:plant', applicationName: { text: 'TwinLoop demo plant' } },
    isAuditing: false,
  });
  await server.initialize();

  const addressSpace = server.engine.addressSpace;
  const namespace = addressSpace.getOwnNamespace();
  const line1 = namespace.addObject({ organizedBy: addressSpace.rootFolder.objects, browseName: 'Line1', nodeId: 's=Line1' });
  const assets = {};
  const variables = new Map();
  for (const s of signalList()) {
    assets[s.asset] ??= namespace.addObject({ componentOf: line1, browseName: capital(s.asset), nodeId: `s=Line1.${capital(s.asset)}` });
    const dataType = s.bool ? DataType.Boolean : DataType.Double;
    const access = s.setpoint ? 'CurrentRead | CurrentWrite' : 'CurrentRead';
    const common = {
      componentOf: assets[s.asset],
      browseName: capital(s.signal),
      nodeId: nodeIdOf(s.key).replace(/^ns=1;/, ''),
      dataType: s.bool ? 'Boolean' : 'Double',
      accessLevel: access,
      userAccessLevel: access,
      minimumSamplingInterval: 100,
    };
    const unit = UNITS[s.unit];
    const variable = unit
      ? namespace.addAnalogDataItem({ ...common, engineeringUnits: unit.eu(), engineeringUnitsRange: s.setpoint ? { low: s.setpoint.min, high: s.setpoint.max } : unit.range })
      : namespace.addVariable(common);
    const read = () => {
      const v = plant.value(s.key);
      return new Variant({ dataType, value: s.bool ? v === true : Number.isFinite(v) ? v : 0 });
    };
    const binding = { get: read };
    if (s.setpoint) {
      binding.set = (variant) => {
        const result = plant.write(s.key, variant.value);
        onWrite(s.key, result, 'OPC UA');
        return result.ok ? StatusCodes.Good : StatusCodes.BadTypeMismatch;
      };
    }
    variable.bindVariable(binding, true);
    variables.set(s.key, variable);
  }

  await server.start();
  const endpointUrl = `opc.tcp://127.0.0.1:${port}/UA/PressLine`;

  let stopped = false;
  return {
    endpointUrl,
    nodeIdOf,
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.shutdown(0);
      await serverCertificateManager.dispose();
    },
  };
}

module.exports = { startOpcuaServer, nodeIdOf };
