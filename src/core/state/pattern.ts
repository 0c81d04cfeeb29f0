/**
 * Key patterns for queries: the model's path patterns (src/core/model/paths.ts: `*` one level,
 * `**` any number of levels), plus what lets a query avoid a full scan: the key itself when the
 * pattern has no wildcard, and the literal leading levels, so a query walks only that subtree.
 */
import { InputError } from '../errors';
import { describeValue } from '../ingest/guards';
import { compilePathPattern } from '../model/paths';

export interface CompiledPattern {
  /** The key itself when the pattern has no wildcard level (a direct lookup). */
  exact: string | undefined;
  /** Leading literal levels (an asset path to start the search from), '' if none. */
  fixedAsset: string;
  matches(key: string): boolean;
}

const isWildcard = (level: string): boolean => level === '*' || level === '**';

export function compilePattern(pattern: unknown): CompiledPattern {
  if (typeof pattern !== 'string') {
    throw new InputError('bad pattern', `a pattern must be text like "line1/**/temperature", got ${describeValue(pattern)}`);
  }
  const compiled = compilePathPattern(pattern);
  const levels = pattern.split('/');
  if (!levels.some(isWildcard)) return { exact: pattern, fixedAsset: '', matches: (key) => key === pattern };
  const fixed: string[] = [];
  for (let i = 0; i < levels.length - 1 && !isWildcard(levels[i]); i++) fixed.push(levels[i]);
  return { exact: undefined, fixedAsset: fixed.join('/'), matches: (key) => compiled.matches(key) };
}
