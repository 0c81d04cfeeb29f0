/**
 * Variation operators for mixed variables, shared by the genetic algorithm and NSGA-II:
 * - continuous: simulated binary crossover (SBX, bounded form of Deb & Agrawal 1995, as in the
 *   NSGA-II reference code) and polynomial mutation (Deb's bounded form);
 * - integer (and stepped continuous): the same on the relaxed range (half a step beyond each end),
 *   then rounded onto the grid; a mutation that rounds back to the parent's value moves one step
 *   up or down instead, so mutating a discrete variable always changes it;
 * - categorical: uniform crossover (each value from either parent) and reset mutation (another
 *   value, uniformly).
 */
import type { SeededRandom } from '../../simulation/des/random';
import type { VariableSpace } from './variables';

export interface VariationOptions {
  /** Probability that a pair is crossed at all (default 0.9). */
  crossoverRate: number;
  /** Per-variable probability of exchange inside a crossed pair (default 0.5). */
  variableCrossoverRate: number;
  /** SBX distribution index (default 15). */
  etaCrossover: number;
  /** Per-variable mutation probability (default 1/n). */
  mutationRate: number;
  /** Polynomial mutation distribution index (default 20). */
  etaMutation: number;
}

function sbxPair(y1: number, y2: number, lo: number, hi: number, eta: number, rng: SeededRandom): [number, number] {
  if (Math.abs(y1 - y2) <= 1e-14 || !(hi > lo)) return [y1, y2];
  const a = Math.min(y1, y2), b = Math.max(y1, y2);
  const exp = 1 / (eta + 1);
  const spread = (beta: number, u: number): number => {
    const alpha = 2 - Math.pow(beta, -(eta + 1));
    return u <= 1 / alpha ? Math.pow(u * alpha, exp) : Math.pow(1 / (2 - u * alpha), exp);
  };
  const u = rng.next();
  const bq1 = spread(1 + (2 * (a - lo)) / (b - a), u);
  let c1 = 0.5 * (a + b - bq1 * (b - a));
  const bq2 = spread(1 + (2 * (hi - b)) / (b - a), u);
  let c2 = 0.5 * (a + b + bq2 * (b - a));
  c1 = Math.min(hi, Math.max(lo, c1));
  c2 = Math.min(hi, Math.max(lo, c2));
  return rng.next() < 0.5 ? [c2, c1] : [c1, c2];
}

function polynomialMutation(y: number, lo: number, hi: number, eta: number, rng: SeededRandom): number {
  if (!(hi > lo)) return y;
  const d1 = (y - lo) / (hi - lo), d2 = (hi - y) / (hi - lo);
  const r = rng.next();
  const pow = 1 / (eta + 1);
  let dq: number;
  if (r < 0.5) {
    const val = 2 * r + (1 - 2 * r) * Math.pow(1 - d1, eta + 1);
    dq = Math.pow(val, pow) - 1;
  } else {
    const val = 2 * (1 - r) + 2 * (r - 0.5) * Math.pow(1 - d2, eta + 1);
    dq = 1 - Math.pow(val, pow);
  }
  return Math.min(hi, Math.max(lo, y + dq * (hi - lo)));
}

/** Two children of two parents (snapped vectors); the children are snapped too. */
export function crossover(space: VariableSpace, p1: readonly number[], p2: readonly number[], o: VariationOptions, rng: SeededRandom): [number[], number[]] {
  const c1 = p1.slice(), c2 = p2.slice();
  if (rng.next() >= o.crossoverRate) return [c1, c2];
  for (let i = 0; i < space.dimension; i++) {
    if (rng.next() >= o.variableCrossoverRate) continue;
    if (space.kinds[i] === 'categorical') {
      c1[i] = p2[i];
      c2[i] = p1[i];
    } else {
      const [a, b] = sbxPair(p1[i], p2[i], space.relaxedLower[i], space.relaxedUpper[i], o.etaCrossover, rng);
      c1[i] = space.snapOne(i, a);
      c2[i] = space.snapOne(i, b);
    }
  }
  return [c1, c2];
}

/** Mutates a snapped vector in place (each variable with probability mutationRate); stays snapped. */
export function mutate(space: VariableSpace, x: number[], o: VariationOptions, rng: SeededRandom): void {
  for (let i = 0; i < space.dimension; i++) {
    if (rng.next() >= o.mutationRate) continue;
    const lo = space.lower[i], hi = space.upper[i];
    if (!(hi > lo)) continue;
    if (space.kinds[i] === 'categorical') {
      const count = hi + 1;
      const k = Math.floor(rng.next() * (count - 1));
      x[i] = k >= x[i] ? k + 1 : k;
      continue;
    }
    const moved = space.snapOne(i, polynomialMutation(x[i], space.relaxedLower[i], space.relaxedUpper[i], o.etaMutation, rng));
    if (moved === x[i] && space.isDiscrete(i)) {
      const up = x[i] >= hi ? false : x[i] <= lo ? true : rng.next() < 0.5;
      x[i] = space.snapOne(i, x[i] + (up ? 1 : -1) * space.steps[i]);
    } else {
      x[i] = moved;
    }
  }
}

/** Index of the winner of a tournament of `size` random members (better(a, b) = a beats b). */
export function tournament(count: number, size: number, better: (a: number, b: number) => boolean, rng: SeededRandom): number {
  let winner = Math.floor(rng.next() * count);
  for (let t = 1; t < size; t++) {
    const challenger = Math.floor(rng.next() * count);
    if (better(challenger, winner)) winner = challenger;
  }
  return winner;
}
