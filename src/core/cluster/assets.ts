/**
 * The assets a cluster partitions, and the MQTT filter that carries one asset's samples.
 *
 * The list is text: asset paths separated by commas or new lines; `{a..b}` expands to the whole
 * numbers a to b (zero-padded when a is written with leading zeros), e.g. `plant/line1/press{1..20}`
 * or `site/m{001..500}`. An asset's samples are the subscription filter with the asset in place of
 * its leading levels: `plant/+/+/+` and asset `plant/line1/press3` give `plant/line1/press3/+`.
 */
import { ConfigError } from '../errors';
import { topicFilterProblem, topicMatchesFilter } from '../source/mqtt-topic';

export const MAX_CLUSTER_ASSETS = 100_000;
const RANGE = /\{(\d+)\.\.(\d+)\}/;

function expand(pattern: string, out: string[]): void {
  const m = RANGE.exec(pattern);
  if (!m) {
    out.push(pattern);
    return;
  }
  const from = Number(m[1]);
  const to = Number(m[2]);
  if (to < from) throw new ConfigError('bad asset list', `${m[0]}: the range runs backwards`);
  if (to - from + 1 + out.length > MAX_CLUSTER_ASSETS) throw new ConfigError('bad asset list', `more than ${MAX_CLUSTER_ASSETS} assets`);
  const width = m[1].length > 1 && m[1].startsWith('0') ? m[1].length : 0;
  for (let n = from; n <= to; n++) {
    expand(pattern.slice(0, m.index) + String(n).padStart(width, '0') + pattern.slice(m.index + m[0].length), out);
  }
}

/** The asset paths of a list (see the file comment), in order, without repeats. ConfigError if bad. */
export function parseAssetList(text: unknown): string[] {
  if (typeof text !== 'string') throw new ConfigError('bad asset list', 'the asset list must be text');
  const out: string[] = [];
  for (const raw of text.split(/[,\n]/)) {
    const entry = raw.trim();
    if (!entry) continue;
    if (/[+#\u0000]/.test(entry)) throw new ConfigError('bad asset list', `"${entry.slice(0, 60)}": no wildcards in asset paths`);
    if (entry.startsWith('/') || entry.endsWith('/') || entry.includes('//')) throw new ConfigError('bad asset list', `"${entry.slice(0, 60)}": empty level`);
    expand(entry, out);
  }
  const unique = [...new Set(out)];
  if (unique.length === 0) throw new ConfigError('no assets', 'a cluster needs the list of assets it shares out');
  return unique;
}

/**
 * Why samples of single assets cannot be subscribed apart under `subscription`, or undefined.
 * The signal must be the last level and there must be no `#`.
 */
export function clusterFilterProblem(subscription: string): string | undefined {
  const problem = topicFilterProblem(subscription);
  if (problem) return problem;
  if (subscription.startsWith('$')) return 'give the topic without $share: the cluster adds it';
  const levels = subscription.split('/');
  if (levels.includes('#')) return 'a clustered topic cannot use #: the signal must be the last level';
  if (levels.length < 2) return 'a clustered topic needs an asset level before the signal';
  return undefined;
}

/** Number of topic levels of an asset under `subscription`. */
export function assetLevelCount(subscription: string): number {
  return subscription.split('/').length - 1;
}

/** The filter that carries `asset`'s samples (asset levels, then the subscription's last level). */
export function assetFilter(subscription: string, asset: string): string {
  const levels = subscription.split('/');
  const assetPrefix = levels.slice(0, -1).join('/');
  if (asset.split('/').length !== levels.length - 1 || !topicMatchesFilter(assetPrefix, asset)) {
    throw new ConfigError('bad asset list', `asset "${asset.slice(0, 60)}" does not fit the topic ${subscription}`);
  }
  return `${asset}/${levels[levels.length - 1]}`;
}

/** `$share/<group>/<filter>`. */
export function sharedFilter(group: string, filter: string): string {
  return `$share/${group}/${filter}`;
}
