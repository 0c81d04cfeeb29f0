/**
 * NSGA-II (Deb, Pratap, Agarwal, Meyarivan 2002) for mixed variables:
 * - binary tournament on (constrained rank, crowding distance);
 * - SBX (η 15) and polynomial mutation (η 20, rate 1/n) with the integer and categorical
 *   operators of operators.ts;
 * - (μ + λ) survival: parents and offspring merged, exact duplicates (same snapped point) dropped,
 *   fast non-dominated sort with constrained domination (feasible first, then less violation),
 *   fronts taken whole while they fit, the last one by crowding distance.
 * A partial generation (the run stopped mid-way) is merged like a full one.
 */
import { ConfigError } from '../../errors';
import { positiveInteger } from '../../calibration/common';
import type { Engine, EngineContext } from './engine';
import { variationOptions } from './ga';
import { crossover, mutate, tournament, type VariationOptions } from './operators';
import { crowdingDistance, nonDominatedSort } from './pareto';
import type { Individual } from './problem';

export interface Nsga2Options {
  /** Population size (default 100). */
  populationSize?: number;
  crossoverRate?: number;
  etaCrossover?: number;
  mutationRate?: number;
  etaMutation?: number;
}

export class Nsga2 implements Engine {
  readonly name = 'nsga2' as const;
  readonly finished = false;
  readonly restarts = 0;
  readonly acceptsPartial = true;
  private population: Individual[] = [];
  private rank: number[] = [];
  private crowding: number[] = [];
  private readonly size: number;
  private readonly variation: VariationOptions;

  constructor(
    private readonly ctx: EngineContext,
    options: Nsga2Options = {},
  ) {
    this.size = positiveInteger('nsga2.populationSize', options.populationSize, 100);
    if (this.size < 4) throw new ConfigError('bad nsga2.populationSize', 'nsga2.populationSize must be >= 4');
    this.variation = variationOptions(ctx.space.dimension, options, 'nsga2', { etaCrossover: 15, etaMutation: 20 });
  }

  ask(): number[][] {
    const { space, rng } = this.ctx;
    const out: number[][] = [];
    if (this.population.length === 0) {
      if (this.ctx.start) out.push(this.ctx.start.slice());
      while (out.length < this.size) out.push(space.sample(rng));
      return out;
    }
    const pop = this.population;
    const better = (a: number, b: number): boolean => this.rank[a] < this.rank[b] || (this.rank[a] === this.rank[b] && this.crowding[a] > this.crowding[b]);
    while (out.length < this.size) {
      const a = pop[tournament(pop.length, 2, better, rng)];
      const b = pop[tournament(pop.length, 2, better, rng)];
      const [c1, c2] = crossover(space, a.x, b.x, this.variation, rng);
      mutate(space, c1, this.variation, rng);
      mutate(space, c2, this.variation, rng);
      out.push(c1);
      if (out.length < this.size) out.push(c2);
    }
    return out;
  }

  tell(batch: Individual[]): void {
    const seen = new Set<string>();
    const merged: Individual[] = [];
    for (const ind of [...this.population, ...batch]) {
      if (seen.has(ind.key)) continue;
      seen.add(ind.key);
      merged.push(ind);
    }
    this.select(merged);
  }

  /** Survival of the best `size` of `merged`; sets rank and crowding of the new population. */
  private select(merged: Individual[]): void {
    const objectives = merged.map((m) => m.f);
    const fronts = nonDominatedSort(
      objectives,
      merged.map((m) => m.violation),
    );
    const population: Individual[] = [], rank: number[] = [], crowding: number[] = [];
    for (let r = 0; r < fronts.length && population.length < this.size; r++) {
      const front = fronts[r];
      const d = crowdingDistance(objectives, front);
      let members = front.map((idx, i) => ({ idx, d: d[i] }));
      if (population.length + members.length > this.size) {
        members = members.sort((a, b) => b.d - a.d || merged[a.idx].seq - merged[b.idx].seq).slice(0, this.size - population.length);
      }
      for (const m of members) {
        population.push(merged[m.idx]);
        rank.push(r);
        crowding.push(m.d);
      }
    }
    this.population = population;
    this.rank = rank;
    this.crowding = crowding;
  }

  individuals(): Individual[] {
    return this.population;
  }

  rescored(): void {
    if (this.population.length > 0) this.select(this.population.slice());
  }

  /** Feasible members of the first front. */
  front(): Individual[] {
    return this.population.filter((ind, i) => this.rank[i] === 0 && ind.violation === 0);
  }

  status(): Record<string, number> {
    return { populationSize: this.population.length, frontSize: this.front().length };
  }
}
