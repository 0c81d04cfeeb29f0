'use strict';
/**
 * Automatic model construction against a real node-opcua server over TCP: the real
 * OpcuaConnection browses the press line, modelFromBrowse proposes the model.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { OpcuaConnection } = require('../../dist/core/source/opcua-connection');
const { modelFromBrowse, diffModels } = require('../../dist/core/model/discover');
const { findSignal, indexOf } = require('../../dist/core/model/paths');
const { importModel, exportModel } = require('../../dist/core/model/io');
const { startOpcuaTestServer, findFreePort, waitForState } = require('../support/opcua-test-server');

const TMP = path.join(__dirname, '..', '.tmp', 'model-from-opcua');

describe('model from an OPC UA browse (real node-opcua server over TCP)', function () {
  this.timeout(60000);
  let server;
  let connection;
  let entries;

  before(async function () {
    fs.mkdirSync(TMP, { recursive: true });
    server = await startOpcuaTestServer({ port: await findFreePort(), pkiDir: path.join(TMP, 'server-pki') });
    connection = new OpcuaConnection({
      endpointUrl: server.endpointUrl,
      securityMode: 'None',
      securityPolicy: 'None',
      pkiDir: path.join(TMP, 'client-pki'),
      trustOnFirstUse: false,
    });
    connection.connect();
    await waitForState(connection, 'connected', 20000);
    entries = await connection.browseVariables();
  });

  after(async function () {
    if (connection) await connection.close();
    if (server) await server.stop();
  });

  it('proposes asset Line1/Press1 with its four signals and their units', function () {
    const proposal = modelFromBrowse(entries, { name: 'Press line' });
    assert.equal(proposal.revision, 0);
    assert.equal(proposal.name, 'Press line');
    const index = indexOf(proposal);
    assert.deepEqual(index.assetPaths(), ['Line1', 'Line1/Press1']);
    assert.equal(index.asset('Line1').kind, 'line');
    assert.equal(index.asset('Line1/Press1').kind, 'machine');
    const units = Object.fromEntries(index.signalsOf('Line1/Press1').map((s) => [s.name, s.unit]));
    assert.deepEqual(units, { Temperature: 'degC', Pressure: 'bar', Running: null, Setpoint: 'degC' });
    assert.equal(findSignal(proposal, 'Line1/Press1/Temperature').assetPath, 'Line1/Press1');
    assert.deepEqual(proposal.notes, []);
  });

  it('gives a proposal that survives export and import, and diffs to nothing against itself', function () {
    const proposal = modelFromBrowse(entries, { maxAgeMs: 5000 });
    const imported = importModel(exportModel(proposal));
    assert.deepEqual(imported, proposal);
    assert.equal(findSignal(imported, 'Line1/Press1/Pressure').signal.maxAgeMs, 5000);
    assert.deepEqual(diffModels(imported, proposal), { added: [], removed: [], changed: [] });
  });
});
