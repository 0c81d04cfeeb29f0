/**
 * The gate's write-ahead journal: its state, written to disk and flushed (fsync) BEFORE any
 * setpoint leaves the node. Node-RED's localfilesystem context store keeps values in memory and
 * writes them to disk up to `flushInterval` later (30 s by default), so a crash or power cut in that
 * window would lose a rollout whose writes the plant already has. With the journal the gate always
 * knows, after any stop, which writes may have gone out, and reads them back (or rolls back).
 *
 * On start the newer of the two (journal, context) is restored, by `savedAt`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface Journaled {
  savedAt: number;
  state: unknown;
}

export class WriteAheadJournal {
  constructor(readonly file: string) {}

  /** Synchronous on purpose: the write to the plant must wait until this is on disk. */
  write(state: unknown, savedAt: number): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp`;
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeSync(fd, JSON.stringify({ savedAt, state } satisfies Journaled));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    // The rename is atomic: a crash leaves the old journal or the new one, never half of one.
    fs.renameSync(tmp, this.file);
  }

  /** The journal, or undefined when there is none or it cannot be read (a warning is the caller's). */
  read(): Journaled | undefined {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch {
      return undefined;
    }
    const parsed = JSON.parse(text) as Partial<Journaled>;
    if (typeof parsed !== 'object' || parsed === null || typeof parsed.savedAt !== 'number') throw new Error(`${this.file} is not a gate journal`);
    return { savedAt: parsed.savedAt, state: parsed.state };
  }

  remove(): void {
    fs.rmSync(this.file, { force: true });
    fs.rmSync(`${this.file}.tmp`, { force: true });
  }
}

/** The newer saved state of two, by savedAt (a state without it counts as oldest). */
export function newerState(a: unknown, b: Journaled | undefined): unknown {
  const at = (x: unknown): number => (typeof x === 'object' && x !== null && typeof (x as { savedAt?: unknown }).savedAt === 'number' ? (x as { savedAt: number }).savedAt : 0);
  if (!b) return a;
  return b.savedAt > at(a) ? { ...(b.state as object), savedAt: b.savedAt } : a;
}
