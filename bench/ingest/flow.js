'use strict';
/**
 * The flows of the ingest benchmark, in a Node-RED user directory prepared by bench/lib/bench-node-red.js
 * (this package and the count node linked into node_modules, a settings file). The minimal flow:
 *
 *   twin-source (MQTT 127.0.0.1:1883) <- twin-ingest "bench/<run>/+line/+machine/+signal", QoS 0 --+
 *   catch (scope: the ingest) -------------------------------------------------------------------+--> count (bench-count)
 *   status (scope: the ingest) ------------------------------------------------------------------+
 *
 * The count node subscribes to the command topic "bench/<run>/ctl/cmd" (ping, reset, snapshot,
 * collect) and publishes replies and acks through the twin-source's own connection, so the minimal
 * flow holds nothing a real ingest flow would not: no Node-RED mqtt node, no second connection.
 *
 * The full flow (deployed by the orchestrator after the RSS phases) adds consumer (c), for
 * diagnosis only: Node-RED's own mqtt in "bench/<run>c/+/+/+" JSON, QoS 0 --> the same count node,
 * with its mqtt-broker config node.
 *
 * The ingest and source use the properties the editor saves (nodes/*.html defaults) except the
 * topic, a signal row giving every signal a canonical unit, QoS 0 and a clean session (so the shared broker keeps no session of ours afterwards).
 * The count node (bench/ingest/count-node, a node of its own so that it runs as plain code, like
 * the bare subscriber's counter) runs bench/ingest/counter.js; per sample it counts and files the
 * latency in a histogram, and every `ackEvery` samples publishes an ack for the publisher's closed
 * loop.
 */
const fs = require('node:fs');
const path = require('node:path');

function topicsFor(runId) {
  return {
    ingest: `bench/${runId}/+line/+machine/+signal`,
    plain: `bench/${runId}c/+/+/+`,
    cmd: `bench/${runId}/ctl/cmd`,
    reply: `bench/${runId}/ctl/reply`,
    ack: `bench/${runId}/ctl/ack`,
  };
}

/** The flow of the RSS phases: the path under test and the count node, nothing else. */
function minimalFlow(runId) {
  const topics = topicsFor(runId);
  const tab = 'bench.tab';
  return [
    { id: tab, type: 'tab', label: 'ingest benchmark', disabled: false, info: '' },
    {
      id: 'bench.source', type: 'twin-source', name: 'bench broker', configVersion: 1,
      protocol: 'mqtt', broker: 'mqtt://127.0.0.1:1883', clientId: `twinloop-bench-nr-${runId}`,
      protocolVersion: '4', keepalive: 60, persistentSession: false, useTls: false, tlsCa: '', tlsCert: '',
      verifyServer: true, endpoint: 'opc.tcp://127.0.0.1:4840', securityMode: 'None', securityPolicy: 'None',
      trustOnFirstUse: false,
    },
    {
      id: 'bench.ingest', type: 'twin-ingest', z: tab, name: 'ingest under test', configVersion: 1,
      source: 'bench.source', topic: topics.ingest, qos: '0', format: 'auto', valuePath: 'value',
      timePath: 'ts,timestamp', unitPath: 'unit', qualityPath: 'quality', items: [],
      // A canonical unit for every signal, as a plant's twin would have: mathjs units are loaded.
      signals: [{ match: '#', unit: 'degC', rawLow: '', rawHigh: '', low: '', high: '', deadband: '' }],
      deadband: 0, duplicates: 'drop', outOfOrder: 'drop', textValues: false, maxBytes: 65536,
      x: 200, y: 100, wires: [['bench.count']],
    },
    { id: 'bench.catch', type: 'catch', z: tab, name: '', scope: ['bench.ingest'], uncaught: false, x: 170, y: 160, wires: [['bench.count']] },
    { id: 'bench.status', type: 'status', z: tab, name: '', scope: ['bench.ingest'], x: 170, y: 200, wires: [['bench.count']] },
    {
      id: 'bench.count', type: 'bench-count', z: tab, name: 'count', sourceId: 'bench.source',
      topics: { ack: topics.ack, cmd: topics.cmd, reply: topics.reply }, x: 420, y: 180, wires: [],
    },
  ];
}

/** The minimal flow plus consumer (c): Node-RED's own mqtt in node and its broker config node. */
function fullFlow(runId) {
  const topics = topicsFor(runId);
  return [
    ...minimalFlow(runId),
    {
      id: 'bench.plain', type: 'mqtt in', z: 'bench.tab', name: 'plain mqtt in (c)', topic: topics.plain, qos: '0',
      datatype: 'json', broker: 'bench.broker', nl: false, rap: true, rh: 0, inputs: 0, x: 160, y: 280, wires: [['bench.count']],
    },
    {
      id: 'bench.broker', type: 'mqtt-broker', name: 'consumer (c)', broker: '127.0.0.1', port: '1883',
      clientid: `twinloop-bench-c-${runId}`, autoConnect: true, usetls: false, protocolVersion: '4',
      keepalive: '60', cleansession: true,
    },
  ];
}

/** Writes flows.json (the minimal flow) into `userDir` (prepared by bench/lib/bench-node-red.js); returns the topics. */
function writeFlows(userDir, runId) {
  fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(minimalFlow(runId), null, 2));
  return topicsFor(runId);
}

module.exports = { writeFlows, topicsFor, minimalFlow, fullFlow };
