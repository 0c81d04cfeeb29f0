'use strict';
// What every benchmark ends with: result.pass from its targets and checks, bench/out/<name>.json,
// one PASS/FAIL line per target and check, and the exit code bench/run.js reads (0 met, 1 missed,
// 2 failed to run).
const fs = require('node:fs');
const path = require('node:path');

const outDir = path.join(__dirname, '..', 'out');

/** Sets result.pass from every target and check and writes bench/out/<name>.json. Returns result.pass. */
function writeVerdict(name, result) {
  result.pass = [...(result.targets || []), ...(result.checks || [])].every((item) => item.pass);
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, `${name}.json`), `${JSON.stringify(result, null, 2)}\n`);
  return result.pass;
}

function printVerdicts(result) {
  for (const item of [...(result.targets || []), ...(result.checks || [])]) {
    console.log(`${item.pass ? 'PASS' : 'FAIL'}  ${item.name}: ${item.display}${item.target ? ` (target ${item.target})` : ''}`);
  }
}

/** Runs a synchronous main() and exits with its verdict. */
function exitWith(name, main) {
  try {
    process.exit(main() ? 0 : 1);
  } catch (err) {
    console.error(`[${name}] failed: ${err.stack || err}`);
    process.exit(2);
  }
}

module.exports = { outDir, writeVerdict, printVerdicts, exitWith };
