'use strict';
// The measuring instrument at the end of the benchmark flow. It runs bench/ingest/counter.js as
// plain code, exactly as the bare mqtt.js subscriber does, so both consumers are measured by the
// same few number operations (a function node would add its vm sandbox to one side only).
//
// Commands, replies and acks travel through the twin-source's own MQTT connection
// (`RED.nodes.getNode(config.sourceId).mqtt`), so the measured process holds no MQTT client or
// node that a real ingest flow would not have.
const { performance } = require('node:perf_hooks');
const { makeCounter } = require('../counter');

module.exports = function registerBenchCount(RED) {
  function BenchCount(config) {
    RED.nodes.createNode(this, config);
    const node = this;
    const counter = makeCounter(() => performance.timeOrigin + performance.now());
    const { ack: ackTopic, cmd: cmdTopic, reply: replyTopic } = config.topics;
    const diag = node.context().global.get('benchDiag');
    const source = RED.nodes.getNode(config.sourceId);
    const mqtt = source && source.mqtt;
    if (!mqtt) {
      node.error(`bench-count: no MQTT twin-source with id ${config.sourceId}`);
      return;
    }
    const publish = (topic, payload) => {
      mqtt.publish(topic, payload, { qos: 0 }).catch((err) => node.warn(`bench-count: publish to ${topic} failed: ${err.message}`));
    };

    const unsubscribe = mqtt.subscribe(cmdTopic, 0, (topic, payloadBuffer) => {
      let cmd;
      try { cmd = JSON.parse(payloadBuffer.toString()); } catch { return; }
      if (cmd.op === 'reset') {
        counter.reset(cmd.phase, cmd.ackEvery);
        diag.reset();
      }
      const reply = { id: cmd.id, op: cmd.op };
      if (cmd.op === 'snapshot') {
        reply.snapshot = counter.snapshot();
        reply.snapshot.diagnostics = diag.snapshot();
      }
      if (cmd.op === 'collect') reply.heap = diag.collect();
      publish(replyTopic, JSON.stringify(reply));
    });
    node.on('close', () => unsubscribe());

    node.on('input', (msg) => {
      const p = msg.payload;
      if (msg.error === undefined && p !== null && typeof p === 'object') {
        // (b) a twin sample from the ingest, (c) the parsed JSON from the plain mqtt in node
        const t = typeof p.sourceTime === 'number' ? p.sourceTime : p.ts;
        if (typeof t === 'number') {
          if (counter.sample(t)) publish(ackTopic, counter.ack());
          return;
        }
      }
      if (msg.error !== undefined) return counter.error(msg.error.message);
      if (msg.status !== undefined) return counter.status(msg.status.text);
    });
  }
  RED.nodes.registerType('bench-count', BenchCount);
};
