'use strict';
/**
 * The flow of the end-to-end benchmark: the whole synchronisation chain of a plant twin, wired as
 * the message contract (ARCHITECTURE.md) and the demo's closed loop wire it, in one tab:
 *
 *   twin-source (MQTT 127.0.0.1:1883, 3.1.1, clean session)
 *     <- twin-ingest "bench/<run>/+line/+machine/+signal" (subscription QoS 1: QoS 0 publishes
 *        arrive as QoS 0, QoS 1 publishes as QoS 1)
 *          -> twin-state  (1) samples --> twin-deviation, twin-gate
 *                         (2) stale / fresh / configuration events --> twin-gate
 *                         (3) answers and the periodic fidelity/report --> twin-gate
 *          twin-deviation (1) scored samples --> twin-gate, count (the end of the chain)
 *                         (2) anomaly / drift events --> twin-gate, count (counted by type)
 *   catch (ingest, state, deviation, gate) --> count (errors fail the run)
 *   status (ingest, state, deviation, gate) --> count (last status of each)
 *
 * Every twin node has the properties the editor saves for a new node (nodes/*.html defaults):
 * persistence on (Node-RED's default memory context store here), twin-state history 100 and a
 * fidelity report every 10 s, twin-deviation warm-up 100 samples, twin-gate with its default
 * envelope, no simulator, no candidates (it only takes evidence: it never writes). No twin-model:
 * twin-state adds every signal it sees. The ingest has one signal row giving every signal the
 * canonical unit degC (so mathjs units are loaded, as in a plant with units), QoS 1.
 *
 * The count node (bench/e2e/count-node) takes commands and sends replies and acks through the
 * twin-source's own connection, so the flow holds no MQTT client a real flow would not have.
 */
const fs = require('node:fs');
const path = require('node:path');

function topicsFor(runId) {
  return {
    ingest: `bench/${runId}/+line/+machine/+signal`,
    cmd: `bench/${runId}/ctl/cmd`,
    reply: `bench/${runId}/ctl/reply`,
    ack: `bench/${runId}/ctl/ack`,
  };
}

const GATE_ENVELOPE = '{\n  "**/temperatureSetpoint": { "min": 150, "max": 220, "maxStep": 10 }\n}';

function e2eFlow(runId) {
  const t = topicsFor(runId);
  const tab = 'e2e.tab';
  const chain = ['e2e.ingest', 'e2e.state', 'e2e.deviation', 'e2e.gate'];
  return [
    { id: tab, type: 'tab', label: 'end-to-end benchmark', disabled: false, info: '' },
    {
      id: 'e2e.source', type: 'twin-source', name: 'bench broker', configVersion: 1,
      protocol: 'mqtt', broker: 'mqtt://127.0.0.1:1883', clientId: `twinloop-bench-e2e-${runId}`,
      protocolVersion: '4', keepalive: 60, persistentSession: false, useTls: false, tlsCa: '', tlsCert: '',
      verifyServer: true, endpoint: 'opc.tcp://127.0.0.1:4840', securityMode: 'None', securityPolicy: 'None',
      trustOnFirstUse: false,
    },
    {
      id: 'e2e.ingest', type: 'twin-ingest', z: tab, name: 'ingest', configVersion: 1,
      source: 'e2e.source', topic: t.ingest, qos: '1', format: 'auto', valuePath: 'value',
      timePath: 'ts,timestamp', unitPath: 'unit', qualityPath: 'quality', items: [],
      signals: [{ match: '#', unit: 'degC', rawLow: '', rawHigh: '', low: '', high: '', deadband: '' }],
      deadband: 0, duplicates: 'drop', outOfOrder: 'drop', textValues: false, maxBytes: 65536,
      x: 160, y: 100, wires: [['e2e.state']],
    },
    {
      id: 'e2e.state', type: 'twin-state', z: tab, name: 'state', configVersion: 1,
      model: '', historyLength: 100, unknownSignals: 'add', defaultMaxAge: '', fidelityInterval: 10,
      missingGrace: 60, persist: true, store: '', x: 360, y: 100,
      wires: [['e2e.deviation', 'e2e.gate'], ['e2e.gate'], ['e2e.gate']],
    },
    {
      id: 'e2e.deviation', type: 'twin-deviation', z: tab, name: 'deviation', configVersion: 1,
      model: '', warmup: 100, maxGap: '', tolerance: 1000, persist: true, store: '', x: 560, y: 100,
      wires: [['e2e.gate', 'e2e.count'], ['e2e.gate', 'e2e.count'], []],
    },
    {
      id: 'e2e.gate', type: 'twin-gate', z: tab, name: 'gate', configVersion: 1,
      envelope: GATE_ENVELOPE, unlisted: 'refuse', rollout: '', approval: 'marginal', passAt: 80, marginalAt: 60,
      persist: true, store: '', variables: '', machines: '', simulator: '', counterfactual: '', promotion: '',
      source: '', nodeIds: '', driftHold: 30, x: 780, y: 60, wires: [[], [], [], []],
    },
    { id: 'e2e.catch', type: 'catch', z: tab, name: '', scope: chain, uncaught: false, x: 560, y: 200, wires: [['e2e.count']] },
    { id: 'e2e.status', type: 'status', z: tab, name: '', scope: chain, x: 560, y: 240, wires: [['e2e.count']] },
    {
      id: 'e2e.count', type: 'bench-e2e-count', z: tab, name: 'count', sourceId: 'e2e.source',
      topics: { ack: t.ack, cmd: t.cmd, reply: t.reply }, x: 800, y: 160, wires: [],
    },
  ];
}

/** Writes flows.json into `userDir`; returns the topics. */
function writeFlows(userDir, runId) {
  fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(e2eFlow(runId), null, 2));
  return topicsFor(runId);
}

module.exports = { writeFlows, e2eFlow, topicsFor };
