'use strict';
// The demo plant, for `npm start`: a press whose OPC UA server (the same press-line address space the
// tests use) moves like a real machine: temperature follows heating with a slow oscillation, pressure
// wobbles, the press stops for a few seconds now and then. The MQTT side of the demo is published by
// the example flow itself.
const { startOpcuaTestServer } = require('../test/support/opcua-test-server');
const path = require('node:path');

async function startDemoPlant({ port = 4840, pkiDir } = {}) {
  const server = await startOpcuaTestServer({ port, pkiDir: pkiDir || path.join(__dirname, '..', '.demo', 'plant-pki'), allowAnonymous: true });
  const started = Date.now();
  const timer = setInterval(() => {
    const t = (Date.now() - started) / 1000;
    const running = Math.floor(t / 20) % 6 !== 5;
    server.setValue('Running', running);
    server.setValue('Temperature', 70 + 4 * Math.sin(t / 15) + (running ? 2 : -2) + 0.2 * Math.random());
    server.setValue('Pressure', 6 + 0.3 * Math.sin(t / 5) + 0.02 * Math.random());
  }, 500);
  return {
    endpointUrl: server.endpointUrl,
    async stop() {
      clearInterval(timer);
      await server.stop();
    },
  };
}

module.exports = { startDemoPlant };
