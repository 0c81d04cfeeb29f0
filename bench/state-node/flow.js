'use strict';
/**
 * The flow of the state-node benchmark, in a Node-RED user directory prepared by
 * bench/lib/bench-node-red.js (this package and the ingest benchmark's counting node linked into
 * node_modules, a settings file): one flow with two paths, each with a twin-source (connection) of its own:
 *
 *   baseline  source b <- twin-ingest "bench/<run>b/+line/+machine/+signal" --------------------> count (bench.count.base)
 *   state     source s <- twin-ingest "bench/<run>s/+line/+machine/+signal" --> twin-state --(1)--> count (bench.count.state)
 *
 * Each connection thus carries what the ingest benchmark's (b) carries: the ingest's subscription
 * and its count node's command subscription (the source matches every message against every
 * subscription of its connection, so one shared connection would make both paths pay for four).
 * Both ingests have the same properties as the ingest benchmark's (editor defaults, QoS 0, one
 * signal row giving every signal the unit degC); the sources are MQTT 3.1.1 with a clean session.
 * The twin-state has the editor's defaults except history 100, persist off, fidelity interval 0 (no
 * periodic fidelity report); no model, so every signal seen is added (policy "add", the default).
 * Only its first output (samples passed on) is wired; the other two (events, answers) are left unwired.
 *
 * Catch and status nodes feed each path's count node: rejections (ingest or state) are counted as
 * errors and fail the run; the status of the baseline ingest and of the twin-state ("10001 signals")
 * confirm the signal count. Each count node takes commands and sends acks/replies on its own topics
 * (bench/ingest/flow.js's topicsFor(<run>b) and topicsFor(<run>s)) through its path's twin-source connection.
 */
const fs = require('node:fs');
const path = require('node:path');
const { topicsFor } = require('../ingest/flow');

/** Topics of the two paths: `base` and `state`, each {ingest, cmd, reply, ack}. */
function pathTopics(runId) {
  return { base: topicsFor(`${runId}b`), state: topicsFor(`${runId}s`) };
}

function sourceNode(id, clientId) {
  return {
    id, type: 'twin-source', name: `bench broker ${id.slice(id.lastIndexOf('.') + 1)}`, configVersion: 1,
    protocol: 'mqtt', broker: 'mqtt://127.0.0.1:1883', clientId,
    protocolVersion: '4', keepalive: 60, persistentSession: false, useTls: false, tlsCa: '', tlsCert: '',
    verifyServer: true, endpoint: 'opc.tcp://127.0.0.1:4840', securityMode: 'None', securityPolicy: 'None',
    trustOnFirstUse: false,
  };
}

function ingestNode(id, source, topic, wires, y) {
  return {
    id, type: 'twin-ingest', z: 'bench.tab', name: `ingest ${id.slice(id.lastIndexOf('.') + 1)}`, configVersion: 1,
    source, topic, qos: '0', format: 'auto', valuePath: 'value',
    timePath: 'ts,timestamp', unitPath: 'unit', qualityPath: 'quality', items: [],
    signals: [{ match: '#', unit: 'degC', rawLow: '', rawHigh: '', low: '', high: '', deadband: '' }],
    deadband: 0, duplicates: 'drop', outOfOrder: 'drop', textValues: false, maxBytes: 65536,
    x: 200, y, wires,
  };
}

function countNode(id, sourceId, topics, y) {
  return {
    id, type: 'bench-count', z: 'bench.tab', name: `count ${id.slice(id.lastIndexOf('.') + 1)}`, sourceId,
    topics: { ack: topics.ack, cmd: topics.cmd, reply: topics.reply }, x: 640, y, wires: [],
  };
}

function stateFlow(runId) {
  const t = pathTopics(runId);
  return [
    { id: 'bench.tab', type: 'tab', label: 'state-node benchmark', disabled: false, info: '' },
    sourceNode('bench.source.base', `twinloop-bench-snb-${runId}`),
    sourceNode('bench.source.state', `twinloop-bench-sns-${runId}`),
    // baseline: ingest -> count
    ingestNode('bench.ingest.base', 'bench.source.base', t.base.ingest, [['bench.count.base']], 80),
    { id: 'bench.catch.base', type: 'catch', z: 'bench.tab', name: '', scope: ['bench.ingest.base'], uncaught: false, x: 170, y: 120, wires: [['bench.count.base']] },
    { id: 'bench.status.base', type: 'status', z: 'bench.tab', name: '', scope: ['bench.ingest.base'], x: 170, y: 160, wires: [['bench.count.base']] },
    countNode('bench.count.base', 'bench.source.base', t.base, 120),
    // under test: ingest -> twin-state -> count
    ingestNode('bench.ingest.state', 'bench.source.state', t.state.ingest, [['bench.state']], 260),
    {
      id: 'bench.state', type: 'twin-state', z: 'bench.tab', name: 'state under test', configVersion: 1,
      model: '', historyLength: 100, unknownSignals: 'add', defaultMaxAge: '', fidelityInterval: 0,
      missingGrace: 60, persist: false, store: '', x: 420, y: 260, wires: [['bench.count.state'], [], []],
    },
    { id: 'bench.catch.state', type: 'catch', z: 'bench.tab', name: '', scope: ['bench.ingest.state', 'bench.state'], uncaught: false, x: 170, y: 300, wires: [['bench.count.state']] },
    { id: 'bench.status.state', type: 'status', z: 'bench.tab', name: '', scope: ['bench.state'], x: 170, y: 340, wires: [['bench.count.state']] },
    countNode('bench.count.state', 'bench.source.state', t.state, 300),
  ];
}

/** Writes flows.json into `userDir` (prepared by bench/lib/bench-node-red.js); returns the topics of both paths. */
function writeFlows(userDir, runId) {
  fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(stateFlow(runId), null, 2));
  return pathTopics(runId);
}

module.exports = { writeFlows, stateFlow, pathTopics };
