import { stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import * as path from 'node:path';

/**
 * Node-RED's localfilesystem context store caches: `context.set` succeeds at once and a failed flush
 * is only logged. A node that must say whether its state is on disk looks at the file itself.
 */
export interface ContextFile {
  file: string;
  /** When the store writes what was set: its flush interval (0 without cache). */
  flushMs: number;
}

interface StoreSettings {
  module?: unknown;
  config?: { dir?: unknown; base?: unknown; flushInterval?: unknown; cache?: unknown };
}

/**
 * The file a node's context lands in, when `storeName` ('' = default) is a localfilesystem store;
 * undefined for memory and for stores of other kinds (nothing to look at).
 */
export function localContextFile(
  settings: { userDir?: unknown; contextStorage?: unknown },
  storeName: string | undefined,
  nodeId: string,
  flowId: string,
): ContextFile | undefined {
  const stores = settings.contextStorage;
  if (!stores || typeof stores !== 'object') return undefined;
  const byName = stores as Record<string, unknown>;
  let name = storeName || 'default';
  // Without a "default" entry the first store is the default; a string "default" names another store.
  if (name === 'default' && !(name in byName)) name = Object.keys(byName)[0] ?? '';
  let store = byName[name];
  if (typeof store === 'string') store = byName[store];
  if (!store || typeof store !== 'object') return undefined;
  const { module, config = {} } = store as StoreSettings;
  if (module !== 'localfilesystem') return undefined;
  const base = typeof config.base === 'string' && config.base ? config.base : 'context';
  const userDir = typeof settings.userDir === 'string' && settings.userDir ? settings.userDir : path.join(homedir(), '.node-red');
  const dir = typeof config.dir === 'string' && config.dir ? config.dir : userDir;
  const flushS = typeof config.flushInterval === 'number' ? Math.max(0, config.flushInterval) : 30;
  return {
    file: `${path.join(dir, base, flowId, nodeId)}.json`,
    flushMs: config.cache === false ? 0 : flushS * 1000,
  };
}

/** Undefined when `file` was written at or after `since`; otherwise what is wrong, briefly. */
export async function writtenSince(file: string, since: number): Promise<string | undefined> {
  try {
    const info = await stat(file);
    // Some file systems keep whole seconds.
    return info.mtimeMs >= since - 1000 ? undefined : 'not written since the last save';
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
  }
}
