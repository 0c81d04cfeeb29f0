/**
 * Key patterns for queries, with the meaning of the model module's `matchPath`
 * (src/core/model/paths.ts): levels split by "/", a level `*` matches exactly one level, a
 * level `**` any number of levels including none, any other level only itself (`press*` is
 * literal text). The whole key must match.
 *
 * Kept here (same algorithm) because paths.ts was still being written beside this module;
 * queries.ts can switch to its compilePathPattern once it is committed. Added here: the
 * literal leading levels, so a query walks only the asset subtree they name.
 */
import { InputError } from '../errors';
import { describeValue } from '../ingest/guards';

export interface CompiledPattern {
  /** The key itself when the pattern has no wildcard level (a direct lookup). */
  exact: string | undefined;
  /** Leading literal levels (an asset path to start the search from), '' if none. */
  fixedAsset: string;
  matches(key: string): boolean;
}

const MAX_PATTERN_LENGTH = 4096;
const MAX_PATTERN_LEVELS = 64;

export function compilePattern(pattern: unknown): CompiledPattern {
  if (typeof pattern !== 'string' || pattern === '' || pattern.length > MAX_PATTERN_LENGTH) {
    throw new InputError('bad pattern', `a pattern must be text like "line1/**/temperature", got ${describeValue(pattern)}`);
  }
  const split = pattern.split('/');
  if (split.length > MAX_PATTERN_LEVELS) throw new InputError('bad pattern', `pattern has more than ${MAX_PATTERN_LEVELS} levels`);
  if (split.includes('')) throw new InputError('bad pattern', 'pattern has an empty level ("//" or a "/" at either end)');
  const wild = (level: string): boolean => level === '*' || level === '**';
  if (!split.some(wild)) return { exact: pattern, fixedAsset: '', matches: (key) => key === pattern };

  // "**/**" means the same as "**": collapse so the matcher never retries equivalent splits.
  const levels = split.filter((level, i) => !(level === '**' && split[i - 1] === '**'));
  const fixed: string[] = [];
  for (let i = 0; i < levels.length - 1 && !wild(levels[i]); i++) fixed.push(levels[i]);
  return { exact: undefined, fixedAsset: fixed.join('/'), matches: (key) => matchLevels(levels, key.split('/')) };
}

/**
 * Level-wise wildcard match, the two-pointer method: on a mismatch, go back to the last `**`
 * and let it take one more level. Never exponential.
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
