'use strict';
/**
 * The demo plant of `npm start`, running: the virtual line (plant.js) stepped every 100 ms, measured
 * and published every second over MQTT (mqtt-link.js, with an embedded broker when none answers)
 * and served over OPC UA (opcua-server.js). Fault starts and ends and every setpoint write are logged.
 *
 *   const plant = await startDemoPlant({ mqttUrl, opcuaPort, pkiDir });
 *   plant.endpointUrl; plant.mqtt.embedded; await plant.stop();
 */
const path = require('node:path');
const { VirtualPlant } = require('./plant');
const { startMqttLink } = require('./mqtt-link');

const STEP_MS = 100;
const PUBLISH_EVERY = 10; // steps: once a second

/**
 * @param {object} [options]
 * @param {string} [options.mqttUrl]   default mqtt://127.0.0.1:1883
 * @param {number} [options.opcuaPort] default 4840
 * @param {string} [options.pkiDir]    the OPC UA server's certificate store
 * @param {number} [options.seed]      the plant's random generator (default 1)
 * @param {(line: string) => void} [options.log]
 */
async function startDemoPlant(options = {}) {
  const log = options.log || ((line) => console.log(`[plant] ${line}`));
  const clock = (t) => `${Math.floor(t / 60)}:${String(Math.floor(t % 60)).padStart(2, '0')}`;
  // Fault lines carry the plant time (m:ss since the start).
  const plant = new VirtualPlant({ seed: options.seed ?? 1, log: (line, t) => log(`${clock(t)} ${line}`) });
  const mqttUrl = options.mqttUrl || 'mqtt://127.0.0.1:1883';
  const opcuaPort = options.opcuaPort ?? 4840;
  const pkiDir = options.pkiDir || path.join(__dirname, '..', '..', '.demo', 'plant-pki');

  let link;
  const onWrite = (key, result, origin) => {
    if (!result.ok) {
      log(`write refused (${origin}): ${result.reason}`);
      return;
    }
    log(`${key} = ${result.applied}${result.clamped ? ' (clamped to its range)' : ''} (written over ${origin})`);
    link?.publishKey(key);
  };

  link = await startMqttLink({ plant, url: mqttUrl, log, onWrite });
  let opcua;
  try {
    // Required here: node-opcua is heavy, and only the running plant needs it.
    const { startOpcuaServer } = require('./opcua-server');
    opcua = await startOpcuaServer({ plant, port: opcuaPort, pkiDir, onWrite });
  } catch (err) {
    await link.stop().catch(() => {});
    throw err;
  }

  let steps = 0;
  const timer = setInterval(() => {
    plant.step(STEP_MS / 1000);
    steps++;
    if (steps % PUBLISH_EVERY === 0) {
      plant.measure();
      link.publishAll();
    }
  }, STEP_MS);
  plant.measure();
  link.publishAll();

  let stopping;
  return {
    plant,
    mqtt: link,
    endpointUrl: opcua.endpointUrl,
    nodeIdOf: opcua.nodeIdOf,
    stop() {
      stopping ??= (async () => {
        clearInterval(timer);
        await Promise.allSettled([opcua.stop(), link.stop()]);
      })();
      return stopping;
    },
  };
}

module.exports = { startDemoPlant };
