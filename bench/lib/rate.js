'use strict';
/** Calls `work(n)` for n = 0, 1, ... in batches until `ms` have passed; returns operations per second. */
function rate(work, batch, ms) {
  const start = process.hrtime.bigint();
  let done = 0;
  let elapsed = 0;
  while (elapsed < ms) {
    for (let i = 0; i < batch; i++) work(done + i);
    done += batch;
    elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  }
  return (done / elapsed) * 1000;
}

module.exports = { rate };
