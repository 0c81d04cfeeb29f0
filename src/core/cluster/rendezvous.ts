/**
 * Rendezvous (highest-random-weight) hashing: an asset belongs to the member with the highest
 * score(asset, member). Every instance computes the same owner from the same member list, without
 * talking to the others; when a member joins or leaves, only the assets it wins or held move.
 */

/** 32-bit FNV-1a of a string's UTF-16 code units, seeded. */
function fnv1a(text: string, seed: number): number {
  let hash = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** Murmur3's finaliser: spreads FNV's weak low bits over the whole word. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

/** The weight of `member` for `key`: a number in [0, 2^53), the same in every process. */
export function rendezvousScore(key: string, member: string): number {
  const text = `${member}\u0000${key}`;
  const high = mix(fnv1a(text, 0x811c9dc5)) & 0x1fffff; // 21 bits
  const low = mix(fnv1a(text, 0x9747b28c));
  return high * 0x100000000 + low;
}

/** The member that owns `key`, or undefined when there is no member. Ties go to the smaller id. */
export function ownerOf(key: string, members: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = -1;
  for (const member of members) {
    const score = rendezvousScore(key, member);
    if (score > bestScore || (score === bestScore && best !== undefined && member < best)) {
      best = member;
      bestScore = score;
    }
  }
  return best;
}

/** Every key's owner: member → its keys (members that own nothing have an empty list). */
export function assign(keys: readonly string[], members: readonly string[]): Map<string, string[]> {
  const result = new Map<string, string[]>(members.map((m) => [m, []]));
  for (const key of keys) {
    const owner = ownerOf(key, members);
    if (owner !== undefined) result.get(owner)?.push(key);
  }
  return result;
}
