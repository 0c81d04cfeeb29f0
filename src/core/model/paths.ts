/**
 * Finding things in a model: signal keys ("<asset path>/<signal>", the ingest `msg.topic`), asset
 * paths, and query patterns.
 *
 * Patterns are matched level by level: a level `*` matches exactly one level, a level `**` any
 * number of levels including none, any other level only itself (so `press*` is literal text):
 *   line1/**\/temperature  matches line1/temperature, line1/press1/temperature, line1/a/b/temperature
 *   plant/*\/press1/*      matches plant/line1/press1/temperature
 * (The backslashes above only keep this comment open.) `#` and `+` are MQTT's and mean nothing here.
 */
import { InputError } from '../errors';
import { MODEL_LIMITS } from './checks';
import type { AssetDefinition, SignalDefinition, TwinModel } from './types';

export interface SignalEntry {
  asset: AssetDefinition;
  assetPath: string;
  signal: SignalDefinition;
}

/**
 * Look-up tables for one model, built once. Models are treated as immutable (edit.ts returns new
 * ones), so an index stays right for its model; a model changed in place needs `new ModelIndex`.
 */
export class ModelIndex {
  private readonly signals = new Map<string, SignalEntry>();
  private readonly assets = new Map<string, AssetDefinition>();

  constructor(readonly model: TwinModel) {
    // Depth-first in model order, without recursion; levels beyond the model limit are not indexed
    // (a valid model has none), so even a cyclic object cannot make this loop forever.
    const stack: { asset: AssetDefinition; path: string; depth: number }[] = [];
    const push = (assets: AssetDefinition[], parentPath: string, depth: number): void => {
      for (let i = assets.length - 1; i >= 0; i--) {
        const asset = assets[i];
        stack.push({ asset, path: parentPath ? `${parentPath}/${asset.name}` : asset.name, depth });
      }
    };
    push(model.assets ?? [], '', 1);
    while (stack.length > 0) {
      const { asset, path, depth } = stack.pop() as (typeof stack)[number];
      if (depth > MODEL_LIMITS.maxDepth || this.assets.has(path)) continue;
      this.assets.set(path, asset);
      for (const signal of asset.signals ?? []) {
        this.signals.set(`${path}/${signal.name}`, { asset, assetPath: path, signal });
      }
      push(asset.children ?? [], path, depth + 1);
    }
  }

  /** The signal with this key, its asset and the asset's path. */
  signal(key: string): SignalEntry | undefined {
    return this.signals.get(key);
  }

  asset(path: string): AssetDefinition | undefined {
    return this.assets.get(path);
  }

  /** Every asset path, parents before their children, in model order. */
  assetPaths(): string[] {
    return [...this.assets.keys()];
  }

  /** Every signal key in model order. */
  signalKeys(): string[] {
    return [...this.signals.keys()];
  }

  /** The signals of one asset (not of its children); [] for an unknown path. */
  signalsOf(assetPath: string): SignalDefinition[] {
    return [...(this.assets.get(assetPath)?.signals ?? [])];
  }

  /** Signal keys matching a query pattern; InputError 'bad pattern' for a malformed one. */
  keysMatching(pattern: string): string[] {
    const compiled = compilePathPattern(pattern);
    return this.signalKeys().filter((key) => compiled.matches(key));
  }

  get signalCount(): number {
    return this.signals.size;
  }
}

const indexes = new WeakMap<TwinModel, ModelIndex>();

/** The cached index of a model (built on first use, dropped with the model). */
export function indexOf(model: TwinModel): ModelIndex {
  let index = indexes.get(model);
  if (!index) {
    index = new ModelIndex(model);
    indexes.set(model, index);
  }
  return index;
}

export function signalKeys(model: TwinModel): string[] {
  return indexOf(model).signalKeys();
}

export function findSignal(model: TwinModel, key: string): SignalEntry | undefined {
  return typeof key === 'string' ? indexOf(model).signal(key) : undefined;
}

export interface PathPattern {
  readonly pattern: string;
  matches(key: string): boolean;
}

/** Longest pattern accepted: enough for the deepest model path, short enough to stay cheap. */
const MAX_PATTERN_LENGTH = 4096;
const MAX_PATTERN_LEVELS = 64;
/** Distinct patterns kept compiled; the oldest is forgotten first. */
const MAX_CACHED_PATTERNS = 256;
const patterns = new Map<string, PathPattern | null>();

function patternProblem(pattern: unknown): string | undefined {
  if (typeof pattern !== 'string' || pattern === '') return 'a pattern must be text like "line1/**/temperature"';
  if (pattern.length > MAX_PATTERN_LENGTH) return `pattern is longer than ${MAX_PATTERN_LENGTH} characters`;
  const levels = pattern.split('/');
  if (levels.length > MAX_PATTERN_LEVELS) return `pattern has more than ${MAX_PATTERN_LEVELS} levels`;
  if (levels.includes('')) return 'pattern has an empty level ("//" or a "/" at either end)';
  return undefined;
}

/**
 * Level-wise wildcard match, the classic two-pointer method: on a mismatch, go back to the last
 * `**` and let it take one more level. Linear in practice, never exponential.
 */
function matchLevels(pattern: readonly string[], key: readonly string[]): boolean {
  let p = 0;
  let k = 0;
  let starP = -1;
  let starK = 0;
  while (k < key.length) {
    if (p < pattern.length && pattern[p] === '**') {
      starP = p++;
      starK = k;
    } else if (p < pattern.length && (pattern[p] === '*' || pattern[p] === key[k])) {
      p++;
      k++;
    } else if (starP >= 0) {
      p = starP + 1;
      k = ++starK;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '**') p++;
  return p === pattern.length;
}

function compile(pattern: string): PathPattern {
  // "**/**" means the same as "**": collapse so the matcher never retries equivalent splits.
  const levels = pattern.split('/').filter((level, i, all) => !(level === '**' && all[i - 1] === '**'));
  return {
    pattern,
    matches: (key: string) => typeof key === 'string' && key !== '' && matchLevels(levels, key.split('/')),
  };
}

/** A compiled pattern; InputError 'bad pattern' when it is malformed (for a node's status). */
export function compilePathPattern(pattern: string): PathPattern {
  const compiled = cachedPattern(pattern);
  if (!compiled) throw new InputError('bad pattern', patternProblem(pattern) ?? 'bad pattern');
  return compiled;
}

function cachedPattern(pattern: string): PathPattern | null {
  if (typeof pattern !== 'string' || pattern.length > MAX_PATTERN_LENGTH) return null;
  let compiled = patterns.get(pattern);
  if (compiled === undefined) {
    compiled = patternProblem(pattern) === undefined ? compile(pattern) : null;
    if (patterns.size >= MAX_CACHED_PATTERNS) patterns.delete(patterns.keys().next().value as string);
    patterns.set(pattern, compiled);
  }
  return compiled;
}

/** Whether `key` matches the query `pattern` (see the file comment); false for a malformed pattern. */
export function matchPath(pattern: string, key: string): boolean {
  return cachedPattern(pattern)?.matches(key) ?? false;
}

/** How many compiled patterns are cached (for tests of the bound). */
export function cachedPatternCount(): number {
  return patterns.size;
}
