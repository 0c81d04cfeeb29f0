'use strict';
const assert = require('assert/strict');
const { parseSparkplugTopic, nodeCommandTopic } = require('../../../dist/core/ingest/sparkplug');

describe('Sparkplug topic', () => {
  it('parses node and device topics of every message type', () => {
    for (const type of ['NBIRTH', 'NDEATH', 'NDATA', 'NCMD']) {
      assert.deepEqual(parseSparkplugTopic(`spBv1.0/Plant1/${type}/Line 3`), { group: 'Plant1', messageType: type, edgeNode: 'Line 3' });
    }
    for (const type of ['DBIRTH', 'DDEATH', 'DDATA', 'DCMD']) {
      assert.deepEqual(parseSparkplugTopic(`spBv1.0/Plant1/${type}/edge-7/Press.2`), { group: 'Plant1', messageType: type, edgeNode: 'edge-7', device: 'Press.2' });
    }
  });

  it('parses the 3.0 host STATE topic and the group STATE form', () => {
    assert.deepEqual(parseSparkplugTopic('spBv1.0/STATE/scada-host'), { group: '', messageType: 'STATE', edgeNode: 'scada-host' });
    assert.deepEqual(parseSparkplugTopic('spBv1.0/g/STATE/h'), { group: 'g', messageType: 'STATE', edgeNode: 'h' });
  });

  it('returns null for anything that is not a Sparkplug B topic', () => {
    const notSparkplug = [
      '', 'spBv1.0', 'spBv1.0/g', 'spBv1.0/g/NDATA', 'spAv1.0/g/NDATA/e', 'SPBV1.0/g/NDATA/e', 'plant/line/press/temp',
      'spBv1.0/g/NDATA/e/d', // node message with a device level
      'spBv1.0/g/DDATA/e', // device message without a device
      'spBv1.0/g/DDATA/e/d/extra', 'spBv1.0/g/NDATA/e/', 'spBv1.0//NDATA/e', 'spBv1.0/g/NDATA/+', 'spBv1.0/#/NDATA/e',
      'spBv1.0/g/ndata/e', 'spBv1.0/g/NFOO/e', 'spBv1.0/STATE/', 'spBv1.0/STATE/a/b/c/d', '/spBv1.0/g/NDATA/e',
      'spBv1.0/g/__proto__/e', 'spBv1.0/g/constructor/e',
    ];
    for (const topic of notSparkplug) assert.equal(parseSparkplugTopic(topic), null, topic);
    for (const topic of [null, undefined, 42, {}, ['spBv1.0', 'g', 'NDATA', 'e']]) assert.equal(parseSparkplugTopic(topic), null);
  });

  it('builds the node command topic', () => {
    assert.equal(nodeCommandTopic('Plant1', 'edge-7'), 'spBv1.0/Plant1/NCMD/edge-7');
  });
});
