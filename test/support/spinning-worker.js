'use strict';
// A worker that never answers the task "spin" (a model stuck in a loop) and echoes anything else.
const { parentPort } = require('node:worker_threads');
parentPort.on('message', (m) => {
  if (m.task === 'spin') for (;;);
  parentPort.postMessage({ id: m.id, result: { echo: m.args } });
});
