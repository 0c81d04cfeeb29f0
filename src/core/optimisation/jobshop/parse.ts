/**
 * OR-Library job-shop text: lines starting with `#` are comments (a `#` later on a line starts a
 * comment too), blank lines are skipped; the first other line is `n m` (jobs, machines), then one
 * line per job with m pairs `machine duration`, machines numbered from 0. Nothing may follow the
 * n job lines. Every error names the line (1-based) it was found on.
 */
import { InputError } from '../../errors';
import { JOBSHOP_LIMITS, type JobShopOperationSpec } from './types';

export interface ParsedOrLibrary {
  /** Name from a comment line `# instance <name>`, when there is one. */
  name?: string;
  jobs: JobShopOperationSpec[][];
  machines: number;
}

const INTEGER = /^\d+$/;
const NUMBER = /^\d+(\.\d+)?$/;

export function parseOrLibrary(text: string): ParsedOrLibrary {
  if (typeof text !== 'string') throw new InputError('bad instance', 'the instance must be OR-Library text (a string)');
  if (text.length > 50_000_000) throw new InputError('instance too large', `the instance text has ${text.length} characters (limit 50,000,000)`);
  const lines = text.split(/\r\n|\n|\r/);
  let name: string | undefined;
  let n = -1;
  let m = -1;
  const jobs: JobShopOperationSpec[][] = [];
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    let line = lines[i];
    const hash = line.indexOf('#');
    if (hash >= 0) {
      const comment = line.slice(hash + 1).trim();
      const named = /^instance\s+(\S+)/i.exec(comment);
      if (named && name === undefined && n < 0) name = named[1];
      line = line.slice(0, hash);
    }
    const trimmed = line.trim();
    if (trimmed === '') continue;
    const tokens = trimmed.split(/\s+/);
    if (n < 0) {
      if (tokens.length !== 2 || !INTEGER.test(tokens[0]) || !INTEGER.test(tokens[1])) {
        throw new InputError('bad instance', `line ${lineNo}: expected "jobs machines" (two whole numbers), got "${clip(trimmed)}"`);
      }
      n = Number(tokens[0]);
      m = Number(tokens[1]);
      if (n < 1 || m < 1) throw new InputError('bad instance', `line ${lineNo}: needs at least 1 job and 1 machine, got ${n} jobs and ${m} machines`);
      if (n > JOBSHOP_LIMITS.maxJobs || m > JOBSHOP_LIMITS.maxMachines || n * m > JOBSHOP_LIMITS.maxOperations) {
        throw new InputError('instance too large', `line ${lineNo}: ${n} jobs × ${m} machines exceeds the limits (${JOBSHOP_LIMITS.maxJobs} jobs, ${JOBSHOP_LIMITS.maxMachines} machines, ${JOBSHOP_LIMITS.maxOperations} operations)`);
      }
      continue;
    }
    const job = jobs.length;
    if (job >= n) throw new InputError('bad instance', `line ${lineNo}: unexpected data after the ${n} job lines: "${clip(trimmed)}"`);
    if (tokens.length !== 2 * m) {
      throw new InputError('bad instance', `line ${lineNo} (job ${job}): expected ${2 * m} numbers (${m} pairs machine duration), got ${tokens.length}`);
    }
    const ops: JobShopOperationSpec[] = [];
    for (let k = 0; k < m; k++) {
      const mt = tokens[2 * k];
      const dt = tokens[2 * k + 1];
      if (!INTEGER.test(mt)) throw new InputError('bad instance', `line ${lineNo} (job ${job}, operation ${k}): machine "${clip(mt)}" is not a whole number >= 0`);
      if (!NUMBER.test(dt)) throw new InputError('bad instance', `line ${lineNo} (job ${job}, operation ${k}): duration "${clip(dt)}" is not a number >= 0`);
      const machine = Number(mt);
      const duration = Number(dt);
      if (machine >= m) throw new InputError('bad instance', `line ${lineNo} (job ${job}, operation ${k}): machine ${machine} is out of range 0..${m - 1}`);
      if (!Number.isFinite(duration) || duration > JOBSHOP_LIMITS.maxTime) throw new InputError('bad instance', `line ${lineNo} (job ${job}, operation ${k}): duration ${dt} is too large`);
      ops.push({ machine, duration });
    }
    jobs.push(ops);
  }
  if (n < 0) throw new InputError('bad instance', 'no "jobs machines" line found (the text is empty or only comments)');
  if (jobs.length < n) throw new InputError('bad instance', `line ${lines.length}: the text ends after ${jobs.length} of ${n} job lines`);
  return name === undefined ? { jobs, machines: m } : { name, jobs, machines: m };
}

function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}
