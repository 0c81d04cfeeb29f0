/**
 * Genetic algorithm for mixed variables (continuous, integer, categorical), single objective (the
 * weighted scalar value), constraints by Deb's feasibility rules:
 * - binary tournament selection with Deb's rules (`tournamentSize`, default 2);
 * - SBX crossover and polynomial mutation on continuous variables, the same rounded onto the
 *   grid (a no-op mutation moves one step) on integer ones, uniform crossover and reset mutation
 *   on categorical ones (operators.ts);
 * - generational replacement with elitism: the `elitism` best of the parents (default 2) survive,
 *   the rest of the population is replaced by the offspring.
 * The first population holds the start point (if any) and uniform random points.
 */
import { ConfigError } from '../../errors';
import { positiveInteger } from '../../calibration/common';
import type { Engine, EngineContext } from './engine';
import { crossover, mutate, tournament, type VariationOptions } from './operators';
import { debCompare, type Individual } from './problem';

export interface GaOptions {
  /** Population size (default 50). */
  populationSize?: number;
  /** Parents carried over unchanged each generation (default 2; 0 = none). */
  elitism?: number;
  tournamentSize?: number;
  crossoverRate?: number;
  etaCrossover?: number;
  /** Per-variable mutation probability (default 1/n). */
  mutationRate?: number;
  etaMutation?: number;
}

export function variationOptions(
  n: number,
  o: { crossoverRate?: number; etaCrossover?: number; mutationRate?: number; etaMutation?: number; variableCrossoverRate?: number },
  where: string,
  defaults: { etaCrossover: number; etaMutation: number },
): VariationOptions {
  const prob = (name: string, v: number | undefined, fallback: number): number => {
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new ConfigError(`bad ${name}`, `${where}.${name} must be a probability in [0, 1], got ${String(v)}`);
    return v;
  };
  const eta = (name: string, v: number | undefined, fallback: number): number => {
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !(v >= 0) || !Number.isFinite(v)) throw new ConfigError(`bad ${name}`, `${where}.${name} must be a finite number >= 0, got ${String(v)}`);
    return v;
  };
  return {
    crossoverRate: prob('crossoverRate', o.crossoverRate, 0.9),
    variableCrossoverRate: prob('variableCrossoverRate', o.variableCrossoverRate, 0.5),
    etaCrossover: eta('etaCrossover', o.etaCrossover, defaults.etaCrossover),
    mutationRate: prob('mutationRate', o.mutationRate, 1 / n),
    etaMutation: eta('etaMutation', o.etaMutation, defaults.etaMutation),
  };
}

export class MixedGa implements Engine {
  readonly name = 'ga' as const;
  readonly finished = false;
  readonly restarts = 0;
  private population: Individual[] = [];
  private readonly size: number;
  private readonly elitism: number;
  private readonly tournamentSize: number;
  private readonly variation: VariationOptions;
  private elites: Individual[] = [];

  constructor(
    private readonly ctx: EngineContext,
    options: GaOptions = {},
  ) {
    this.size = positiveInteger('ga.populationSize', options.populationSize, 50);
    if (this.size < 2) throw new ConfigError('bad ga.populationSize', 'ga.populationSize must be >= 2');
    this.elitism = options.elitism === 0 ? 0 : positiveInteger('ga.elitism', options.elitism, Math.min(2, this.size - 1));
    if (this.elitism >= this.size) throw new ConfigError('bad ga.elitism', `ga.elitism must be < populationSize (${this.size})`);
    this.tournamentSize = positiveInteger('ga.tournamentSize', options.tournamentSize, 2);
    this.variation = variationOptions(ctx.space.dimension, options, 'ga', { etaCrossover: 15, etaMutation: 20 });
  }

  ask(): number[][] {
    const { space, rng } = this.ctx;
    if (this.population.length === 0) {
      const out: number[][] = [];
      if (this.ctx.start) out.push(this.ctx.start.slice());
      while (out.length < this.size) out.push(space.sample(rng));
      this.elites = [];
      return out;
    }
    const pop = this.population;
    const better = (a: number, b: number): boolean => debCompare(pop[a], pop[b]) < 0;
    const sorted = pop.slice().sort(debCompare);
    this.elites = sorted.slice(0, this.elitism);
    const count = this.size - this.elites.length;
    const out: number[][] = [];
    while (out.length < count) {
      const a = pop[tournament(pop.length, this.tournamentSize, better, rng)];
      const b = pop[tournament(pop.length, this.tournamentSize, better, rng)];
      const [c1, c2] = crossover(space, a.x, b.x, this.variation, rng);
      mutate(space, c1, this.variation, rng);
      mutate(space, c2, this.variation, rng);
      out.push(c1);
      if (out.length < count) out.push(c2);
    }
    return out;
  }

  tell(batch: Individual[]): void {
    this.population = [...this.elites, ...batch];
  }

  individuals(): Individual[] {
    return this.population;
  }

  rescored(): void {
    // Selection reads the current values; nothing is cached.
  }

  status(): Record<string, number> {
    return { populationSize: this.population.length };
  }
}
