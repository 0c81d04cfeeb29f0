/**
 * Topic templates: an MQTT subscription filter whose `+` wildcards may carry a name,
 * e.g. `plant/+line/+machine/+signal` or `site/+/+asset/#`.
 *
 * How a matching topic becomes asset and signal:
 *   - a level captured by `+signal` is the signal, otherwise the LAST topic level is;
 *   - a level captured by `+asset` is the asset, otherwise the asset is the whole topic
 *     without the signal level (default rule: `plant/line1/press1/temperature` -> asset
 *     `plant/line1/press1`, signal `temperature`);
 *   - a one-level topic has asset '' and that level as signal;
 *   - a topic whose signal level is empty (`plant/press1/`) does not match.
 * Named levels are also returned in `parts` (a null-prototype object).
 *
 * Template rules (else ConfigError): not empty, no NUL; names are letters, digits and
 * `_`, not starting with a digit, each used once, not `__proto__`/`constructor`/`prototype`;
 * `#` only as the whole last level and never named; `+` only as the first character of
 * a level. A `$share/<group>/` prefix is kept in the subscription and ignored for matching.
 */
import { ConfigError } from '../errors';
import { FORBIDDEN_KEYS } from './guards';

export interface TopicMatch {
  asset: string;
  signal: string;
  parts: Record<string, string>;
}

export interface TopicTemplate {
  /** Plain MQTT filter to subscribe to, e.g. `plant/+/+/+`. */
  subscription: string;
  match(topic: string): TopicMatch | null;
}

const PART_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SHARE_PREFIX = /^\$share\/[^/+#]+\//;
const QUEUE_PREFIX = '$queue/';
const NOT_IN_TOPIC = /[+#\u0000]/;

interface Level {
  kind: 'literal' | 'one' | 'rest';
  text: string;
  name?: string;
}

export function compileTopicTemplate(template: string): TopicTemplate {
  if (typeof template !== 'string' || template.trim() === '') {
    throw new ConfigError('bad topic template', 'the topic template is empty');
  }
  if (template.includes('\u0000')) throw new ConfigError('bad topic template', 'the topic template contains a NUL character');
  if (template.length > 1024) throw new ConfigError('bad topic template', 'the topic template is longer than 1024 characters');
  const share = SHARE_PREFIX.exec(template)?.[0] ?? '';
  const filter = template.slice(share.length);
  if (filter === '') throw new ConfigError('bad topic template', `"${template}" has no topic after the shared-subscription prefix`);
  const levels = filter.split('/').map((text, i, all) => compileLevel(text, i === all.length - 1, template));
  const names = new Set<string>();
  for (const level of levels) {
    if (level.name === undefined) continue;
    if (names.has(level.name)) {
      throw new ConfigError('bad topic template', `"${template}" uses the name "${level.name}" twice`);
    }
    names.add(level.name);
  }
  const subscription = share + levels.map((l) => (l.kind === 'one' ? '+' : l.text)).join('/');
  const signalIndex = levels.findIndex((l) => l.name === 'signal');
  const assetIndex = levels.findIndex((l) => l.name === 'asset');
  const startsWithWildcard = levels[0].kind !== 'literal';

  return {
    subscription,
    match(topic: string): TopicMatch | null {
      if (!isPlainTopic(topic)) return null;
      if (startsWithWildcard && topic.startsWith('$')) return null;
      const topicLevels = topic.split('/');
      if (!levelsMatch(levels, topicLevels)) return null;
      const parts: Record<string, string> = Object.create(null);
      for (let i = 0; i < levels.length; i++) {
        const name = levels[i].name;
        if (name !== undefined) parts[name] = topicLevels[i];
      }
      const signalAt = signalIndex >= 0 ? signalIndex : topicLevels.length - 1;
      const signal = topicLevels[signalAt];
      if (signal === '') return null;
      const asset = assetIndex >= 0 ? topicLevels[assetIndex] : withoutLevel(topicLevels, signalAt);
      return { asset, signal, parts };
    },
  };
}

function compileLevel(text: string, isLast: boolean, template: string): Level {
  if (text === '#') {
    if (!isLast) throw new ConfigError('bad topic template', `"${template}": # is only allowed as the last level`);
    return { kind: 'rest', text };
  }
  if (text.startsWith('+')) {
    const name = text.slice(1);
    if (name === '') return { kind: 'one', text };
    if (!PART_NAME.test(name)) {
      throw new ConfigError('bad topic template', `"${template}": "${text}" is not a valid named level (use +name with letters, digits, _)`);
    }
    if (FORBIDDEN_KEYS.has(name)) throw new ConfigError('bad topic template', `"${template}": the name "${name}" is not allowed`);
    return { kind: 'one', text, name };
  }
  if (text.includes('+') || text.includes('#')) {
    throw new ConfigError('bad topic template', `"${template}": wildcards must fill a whole level ("${text}")`);
  }
  return { kind: 'literal', text };
}

function levelsMatch(levels: readonly Level[], topicLevels: readonly string[]): boolean {
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i];
    if (level.kind === 'rest') return true; // `a/#` also matches `a` itself (MQTT)
    if (i >= topicLevels.length) return false;
    if (level.kind === 'literal' && level.text !== topicLevels[i]) return false;
  }
  return levels.length === topicLevels.length;
}

function withoutLevel(levels: readonly string[], index: number): string {
  if (index === levels.length - 1) return levels.slice(0, index).join('/');
  return levels.filter((_, i) => i !== index).join('/');
}

/** A topic that can be published: non-empty, no wildcards, no NUL. */
function isPlainTopic(topic: unknown): topic is string {
  return typeof topic === 'string' && topic !== '' && !NOT_IN_TOPIC.test(topic);
}

/** The default rule with no template: the last level is the signal, the rest the asset. */
export function splitTopic(topic: string): { asset: string; signal: string } {
  const text = typeof topic === 'string' ? topic : '';
  const slash = text.lastIndexOf('/');
  return slash < 0 ? { asset: '', signal: text } : { asset: text.slice(0, slash), signal: text.slice(slash + 1) };
}

/** Whether `filter` is a valid MQTT subscription filter (a `$share/<group>/` prefix allowed). */
export function isValidTopicFilter(filter: string): boolean {
  if (typeof filter !== 'string' || filter === '' || filter.includes('\u0000')) return false;
  const plain = stripSharePrefix(filter);
  if (plain === '') return false;
  const levels = plain.split('/');
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i];
    if (level === '#') {
      if (i !== levels.length - 1) return false;
    } else if (level !== '+' && (level.includes('+') || level.includes('#'))) {
      return false;
    }
  }
  return true;
}

/**
 * MQTT topic matching: `+` one level, `#` the rest (including the parent level itself),
 * `$share/<group>/` and `$queue/` prefixes ignored, and topics starting with `$` (such as
 * `$SYS/...`) never matched by a filter that starts with a wildcard. Invalid filter -> false.
 */
export function topicMatchesFilter(filter: string, topic: string): boolean {
  if (!isValidTopicFilter(filter) || typeof topic !== 'string' || topic === '') return false;
  const plain = stripSharePrefix(filter);
  if (topic.startsWith('$') && (plain[0] === '+' || plain[0] === '#')) return false;
  const f = plain.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

function stripSharePrefix(filter: string): string {
  if (filter.startsWith(QUEUE_PREFIX)) return filter.slice(QUEUE_PREFIX.length);
  const share = SHARE_PREFIX.exec(filter);
  return share ? filter.slice(share[0].length) : filter;
}
