'use strict';
// The measuring instrument at the end of the end-to-end flow (wired to twin-deviation's first
// output, beside the twin-gate). It reads the send time the publisher hid in the value
// (bench/e2e/stamp.js) and counts with bench/ingest/counter.js as plain code, exactly as the bare
// mqtt.js subscriber does. It also takes, from catch and status nodes and twin-deviation's second
// output, the errors (they fail the run), each node's last status and the deviation events by type.
//
// Commands, replies and acks travel through the twin-source's own MQTT connection
// (`RED.nodes.getNode(config.sourceId).mqtt`), as the ingest benchmark's count node does.
const { performance } = require('node:perf_hooks');
const { makeCounter } = require('../../ingest/counter');
const { sendTimeOf } = require('../stamp');

module.exports = function registerBenchE2eCount(RED) {
  function BenchE2eCount(config) {
    RED.nodes.createNode(this, config);
    const node = this;
    const clock = () => performance.timeOrigin + performance.now();
    const counter = makeCounter(clock);
    const { ack: ackTopic, cmd: cmdTopic, reply: replyTopic } = config.topics;
    const diag = node.context().global.get('benchDiag');
    const source = RED.nodes.getNode(config.sourceId);
    const mqtt = source && source.mqtt;
    if (!mqtt) {
      node.error(`bench-e2e-count: no MQTT twin-source with id ${config.sourceId}`);
      return;
    }
    const statuses = {};
    let events = {};
    let unreadable = 0;
    let learning = 0; // scored samples of a detector still in its warm-up
    let unmodelled = 0; // scored samples whose machine has no T2 + Q model yet
    const publish = (topic, payload) => {
      mqtt.publish(topic, payload, { qos: 0 }).catch((err) => node.warn(`bench-e2e-count: publish to ${topic} failed: ${err.message}`));
    };

    const unsubscribe = mqtt.subscribe(cmdTopic, 0, (topic, payloadBuffer) => {
      let cmd;
      try { cmd = JSON.parse(payloadBuffer.toString()); } catch { return; }
      if (cmd.op === 'reset') {
        counter.reset(cmd.phase, cmd.ackEvery);
        diag.reset();
        events = {};
        unreadable = learning = unmodelled = 0;
      }
      const reply = { id: cmd.id, op: cmd.op };
      if (cmd.op === 'snapshot') {
        reply.snapshot = counter.snapshot();
        reply.snapshot.diagnostics = diag.snapshot();
        reply.snapshot.statuses = statuses;
        reply.snapshot.events = events;
        reply.snapshot.unreadable = unreadable;
        reply.snapshot.learning = learning;
        reply.snapshot.unmodelled = unmodelled;
      }
      publish(replyTopic, JSON.stringify(reply));
    });
    node.on('close', () => unsubscribe());

    node.on('input', (msg) => {
      if (msg.error !== undefined) {
        counter.error(`${msg.error.source?.name || msg.error.source?.type || '?'}: ${msg.error.message}`);
        return;
      }
      if (msg.status !== undefined) {
        const who = msg.status.source?.name || msg.status.source?.id || '?';
        statuses[who] = msg.status.text;
        counter.status(msg.status.text);
        return;
      }
      const p = msg.payload;
      if (p !== null && typeof p === 'object' && 'expected' in p) {
        // twin-deviation's scored sample (output 1)
        if (p.learning === true) learning++;
        if (p.assetDeviation === null || p.assetDeviation === undefined) unmodelled++;
        const sent = sendTimeOf(p.value, clock());
        if (Number.isNaN(sent)) unreadable++;
        else if (counter.sample(sent)) publish(ackTopic, counter.ack());
        return;
      }
      // twin-deviation's events (output 2): anomaly-start, drift, ...
      const type = typeof msg.topic === 'string' ? msg.topic : 'unknown';
      events[type] = (events[type] || 0) + 1;
    });
  }
  RED.nodes.registerType('bench-e2e-count', BenchE2eCount);
};
