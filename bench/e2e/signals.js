'use strict';
/**
 * The plant the end-to-end benchmark pretends to be: 10 lines x 10 machines x 10 signals = 1,000
 * signals, topics `bench/<prefix>/line<k>/machine<j>/signal<i>`, so twin-deviation models 100 assets
 * (line/machine) of 10 signals each. BENCH_E2E_SIGNALS_PER_MACHINE changes the signals per machine.
 */
const LINES = 10;
const MACHINES = 10;
const SIGNALS_PER_MACHINE = Number(process.env.BENCH_E2E_SIGNALS_PER_MACHINE) || 10;
const SIGNAL_COUNT = LINES * MACHINES * SIGNALS_PER_MACHINE;

module.exports = { LINES, MACHINES, SIGNALS_PER_MACHINE, SIGNAL_COUNT };
