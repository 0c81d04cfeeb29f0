'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { localContextFile, writtenSince } = require('../../../dist/nodes/common/context-file');

describe('localContextFile: where a localfilesystem context store writes a node\'s context', () => {
  const userDir = '/data/node-red';

  it('the default store as Node-RED\'s settings.js writes it ("file" named default)', () => {
    const contextStorage = { default: 'file', file: { module: 'localfilesystem', config: { flushInterval: 5 } }, memory: { module: 'memory' } };
    assert.deepEqual(localContextFile({ userDir, contextStorage }, undefined, 'n1', 'tab1'), { file: '/data/node-red/context/tab1/n1.json', flushMs: 5000 });
    assert.equal(localContextFile({ userDir, contextStorage }, 'memory', 'n1', 'tab1'), undefined);
  });

  it('without a "default" entry the first store is the default; dir, base and cache: false are honoured', () => {
    const contextStorage = { disk: { module: 'localfilesystem', config: { dir: '/var/twin', base: 'ctx', cache: false } } };
    assert.deepEqual(localContextFile({ userDir, contextStorage }, '', 'n1', 'tab1'), { file: '/var/twin/ctx/tab1/n1.json', flushMs: 0 });
    // Node-RED's own default flush interval is 30 s.
    assert.equal(localContextFile({ userDir, contextStorage: { default: { module: 'localfilesystem' } } }, '', 'n', 't').flushMs, 30000);
  });

  it('nothing to look at: no contextStorage, memory, other modules, unknown names, garbage', () => {
    for (const contextStorage of [undefined, null, 'file', {}, { default: { module: 'memory' } }, { default: { module: 'redis' } }, { default: 'missing' }, { default: 42 }]) {
      assert.equal(localContextFile({ userDir, contextStorage }, undefined, 'n', 't'), undefined, JSON.stringify(contextStorage));
    }
    assert.equal(localContextFile({ userDir, contextStorage: { default: { module: 'localfilesystem' } } }, 'other', 'n', 't'), undefined);
  });
});

describe('writtenSince', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'twinloop-context-file-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is undefined for a file written after the save, and names what is wrong otherwise', async () => {
    const file = path.join(dir, 'n.json');
    const before = Date.now();
    fs.writeFileSync(file, '{}');
    assert.equal(await writtenSince(file, before), undefined);
    assert.equal(await writtenSince(file, Date.now() + 60000), 'not written since the last save');
    assert.equal(await writtenSince(path.join(dir, 'missing.json'), before), 'ENOENT');
    assert.equal(await writtenSince(path.join(file, 'below-a-file.json'), before), 'ENOTDIR');
  });
});
