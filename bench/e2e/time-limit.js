'use strict';
// bench/run.js's time limit for this benchmark (seconds), from the options it passes on.
const { parseArgs, plan, timeLimitSeconds } = require('./plan');
const { SIGNAL_COUNT } = require('./signals');

module.exports = (argv) => timeLimitSeconds(plan(parseArgs(argv, process.env), SIGNAL_COUNT));
