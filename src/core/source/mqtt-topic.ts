/**
 * MQTT topic names and topic filters (MQTT 3.1.1 §4.7, MQTT 5 §4.7 and §4.8.2 shared subscriptions).
 * Pure functions: the connection uses them to route messages to the nodes that asked for them.
 */

const SHARE_PREFIX = '$share/';

/** `$share/<group>/<filter>` → `<filter>`; any other filter unchanged. */
export function stripSharePrefix(filter: string): string {
  if (!filter.startsWith(SHARE_PREFIX)) return filter;
  const slash = filter.indexOf('/', SHARE_PREFIX.length);
  return slash < 0 ? filter : filter.slice(slash + 1);
}

/**
 * True when a message published on `topic` is delivered to a subscription on `filter`.
 * `+` is one level, `#` is this level and everything below (so `line/#` also matches `line`).
 * Topics starting with `$` ($SYS/...) are never matched by a leading wildcard, as brokers do.
 */
export function topicMatchesFilter(filter: string, topic: string): boolean {
  const filterLevels = stripSharePrefix(filter).split('/');
  const topicLevels = topic.split('/');
  const systemTopic = topic.startsWith('$');
  for (let i = 0; i < filterLevels.length; i++) {
    const level = filterLevels[i];
    if (level === '#') return !(i === 0 && systemTopic);
    if (i >= topicLevels.length) return false;
    if (level === '+') {
      if (i === 0 && systemTopic) return false;
      continue;
    }
    if (level !== topicLevels[i]) return false;
  }
  return filterLevels.length === topicLevels.length;
}

/**
 * Why `filter` is not a valid subscription filter, or undefined when it is.
 * The reason is short so a node status can show it.
 */
export function topicFilterProblem(filter: string): string | undefined {
  if (typeof filter !== 'string' || filter.length === 0) return 'empty topic filter';
  if (filter.includes('\u0000')) return 'topic contains NUL';
  if (Buffer.byteLength(filter, 'utf8') > 65535) return 'topic too long';
  let rest = filter;
  if (filter.startsWith(SHARE_PREFIX)) {
    const slash = filter.indexOf('/', SHARE_PREFIX.length);
    const group = slash < 0 ? '' : filter.slice(SHARE_PREFIX.length, slash);
    if (group.length === 0 || /[+#]/.test(group)) return 'bad $share group';
    rest = filter.slice(slash + 1);
    if (rest.length === 0) return 'empty topic filter';
  }
  const levels = rest.split('/');
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i];
    if (level === '#') {
      if (i !== levels.length - 1) return '# must be last';
    } else if (level !== '+' && /[+#]/.test(level)) {
      return 'wildcard inside a level';
    }
  }
  return undefined;
}

/** Why `topic` cannot be published to, or undefined when it can. */
export function publishTopicProblem(topic: string): string | undefined {
  if (typeof topic !== 'string' || topic.length === 0) return 'empty topic';
  if (/[+#]/.test(topic)) return 'wildcard in publish topic';
  if (topic.includes('\u0000')) return 'topic contains NUL';
  if (Buffer.byteLength(topic, 'utf8') > 65535) return 'topic too long';
  return undefined;
}

/**
 * MQTT 5 subscription identifier for a filter: FNV-1a of its bytes in 1..268,435,455. The same in
 * every process, so messages a broker queued for the previous run still name the right filter.
 */
export function subscriptionIdentifierFor(filter: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(filter, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return (hash % 268_435_455) + 1;
}
