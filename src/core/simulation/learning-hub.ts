/**
 * The learned models one simulator keeps, all trained in slices so the event loop never waits
 * more than about 20 ms (learning/sliced-trainer.ts):
 * - residual models (hybrid): per physics state, measured minus physics one horizon ahead, learned
 *   online from the periodic predictions as their due time passes; features are the states and
 *   inputs at the start and the physics prediction itself;
 * - the KPI surrogate: scenario settings to KPIs, from the scenario store;
 * - the health model: remaining useful life from run-to-failure histories.
 */
import { ConfigError, InputError } from '../errors';
import { HealthModel, parseCmapssSliced, type HealthModelJSON } from '../learning/health-model';
import { ResidualModel, type ResidualModelJSON } from '../learning/residual-model';
import { KpiSurrogate, type SurrogateJSON } from '../learning/surrogate';
import type { PhysicsModel } from './physics';
import type { PhysicsAnswer, StartState } from './physics-tasks';
import type { SignalHistory } from './signal-history';

export interface LearningState {
  residuals?: Record<string, ResidualModelJSON>;
  surrogate?: SurrogateJSON;
  health?: HealthModelJSON;
}

interface Pending {
  due: number;
  start: StartState;
  /** Physics predictions of the states whose measured value has not come yet. */
  physics: Map<string, number>;
}

/** New rows after which the residual models retrain on their own. */
const retrainEveryRows = 100;
const maxPending = 2000;
const isRecord = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === 'object' && !Array.isArray(x);

export class SimulatorLearning {
  private readonly residuals = new Map<string, ResidualModel>();
  private pending: Pending[] = [];
  private rowsSinceTraining = 0;
  private residualTraining: Promise<unknown> | undefined;
  private surrogate: KpiSurrogate | undefined;
  private health: HealthModel | undefined;
  /** Last automatic training failure, shown to whoever asks for the summary. */
  lastError = '';

  constructor(private readonly physics: PhysicsModel | undefined, private readonly hybridEnabled: boolean) {
    if (physics && hybridEnabled) {
      const features = physics.stateNames.length + physics.inputNames.length + 1;
      for (const s of physics.stateNames) if (physics.signalKeys.states[s]) this.residuals.set(s, new ResidualModel({ features }));
    }
  }

  private features(start: StartState, physicsValue: number): number[] | undefined {
    const p = this.physics as PhysicsModel;
    const out: number[] = [];
    for (const s of p.stateNames) out.push(start.initial[s]);
    for (const i of p.inputNames) out.push(start.inputs[i]);
    out.push(physicsValue);
    return out.every((v) => typeof v === 'number' && Number.isFinite(v)) ? out : undefined;
  }

  /** Remembers a prediction until the plant's value for its due time arrives. */
  expect(start: StartState, answer: PhysicsAnswer, due: number): void {
    if (this.residuals.size === 0) return;
    const physics = new Map<string, number>();
    for (const s of this.residuals.keys()) physics.set(s, answer.final[s]);
    this.pending.push({ due, start, physics });
    if (this.pending.length > maxPending) this.pending.shift();
  }

  /** Turns predictions whose due time has been measured into training rows; retrains now and then. */
  collect(history: SignalHistory, physics: PhysicsModel): void {
    if (this.residuals.size === 0) return;
    const keys = physics.signalKeys.states;
    const waiting: Pending[] = [];
    for (const p of this.pending) {
      // Each state's row is added once, when its own signal has reached the due time.
      for (const [state, predicted] of p.physics) {
        const latest = history.latest(keys[state]);
        if (!latest || latest.time < p.due) continue;
        p.physics.delete(state);
        const actual = history.valueAt(keys[state], p.due);
        const features = this.features(p.start, predicted);
        if (actual !== undefined && features) {
          (this.residuals.get(state) as ResidualModel).add(features, predicted, actual);
          this.rowsSinceTraining++;
        }
      }
      if (p.physics.size > 0) waiting.push(p);
    }
    this.pending = waiting;
    if (this.rowsSinceTraining >= retrainEveryRows * this.residuals.size && !this.residualTraining) {
      this.trainResidual().catch((err: Error) => {
        this.lastError = err.message;
      });
    }
  }

  /** Physics plus the learned residual (physics alone until a model is trained). */
  hybrid(state: string, start: StartState, physicsValue: number): number {
    const model = this.residuals.get(state);
    if (!model || !model.trained) return physicsValue;
    const features = this.features(start, physicsValue);
    return features ? model.hybrid(features, physicsValue) : physicsValue;
  }

  /** Resolves when no residual training is under way (the automatic one included). */
  async settled(): Promise<void> {
    while (this.residualTraining) await this.residualTraining.catch(() => undefined);
  }

  async trainResidual(): Promise<Record<string, unknown>> {
    if (this.residuals.size === 0) throw new InputError('hybrid off', 'hybrid learning is off (or no state is bound to a signal): nothing to train');
    // A training already under way (started by the row count) answers this request too.
    if (this.residualTraining) return (await this.residualTraining) as Record<string, unknown>;
    this.rowsSinceTraining = 0;
    const run = (async () => {
      const results: Record<string, unknown> = {};
      for (const [state, model] of this.residuals) {
        if (model.rows < 50) {
          results[state] = { trained: false, rows: model.rows, reason: 'fewer than 50 rows so far' };
          continue;
        }
        const r = await model.train();
        const { lastTraining: _omitted, ...stats } = model.stats();
        results[state] = { ...stats, applied: r.applied, epochs: r.epochs, maxSliceMs: r.maxSliceMs };
      }
      return { model: 'residual', states: results };
    })();
    this.residualTraining = run;
    try {
      return await run;
    } finally {
      this.residualTraining = undefined;
    }
  }

  /**
   * Learns KPIs from settings. Stored results vary different settings (a baseline varies none): the
   * surrogate learns from the largest group that varies the same ones, and says which.
   */
  async trainSurrogate(rows: Array<{ settings: Record<string, number>; kpis: Record<string, number> }>): Promise<Record<string, unknown>> {
    const groups = new Map<string, typeof rows>();
    for (const row of rows) {
      const key = Object.keys(row.settings).sort().join('|');
      if (key === '') continue;
      groups.set(key, [...(groups.get(key) ?? []), row]);
    }
    const largest = [...groups.values()].sort((a, b) => b.length - a.length)[0] ?? [];
    const surrogate = new KpiSurrogate();
    const r = await surrogate.train(largest);
    if (r.applied) this.surrogate = surrogate;
    return {
      model: 'surrogate', applied: r.applied, settings: Object.keys(largest[0]?.settings ?? {}), rows: largest.length, leftOut: rows.length - largest.length,
      trainRows: r.trainRows, validationRows: r.validationRows, validation: r.kpis, epochs: r.epochs, maxSliceMs: r.maxSliceMs, elapsedMs: r.elapsedMs,
    };
  }

  predictSurrogate(settings: Record<string, number>): Record<string, number> {
    if (!this.surrogate) throw new InputError('not trained', 'the KPI surrogate has not been trained: send train with {model: "surrogate"} after some what-ifs');
    return this.surrogate.predict(settings);
  }

  /** Uses a health model trained elsewhere (in the simulator's worker thread, see trainHealthModel). */
  adoptHealth(json: HealthModelJSON): void {
    this.health = HealthModel.fromJSON(json);
  }

  /** RUL after the last row; `warning` when below the threshold (default 30 cycles). */
  predictHealth(input: unknown): { rul: number; threshold: number; warning: boolean } {
    if (!this.health) throw new InputError('not trained', 'the health model has not been trained: send train with {model: "health", data}');
    const rows = isRecord(input) ? input.rows : input;
    const threshold = isRecord(input) && typeof input.threshold === 'number' ? input.threshold : 30;
    if (!Array.isArray(rows)) throw new InputError('bad request', 'health: give the recent sensor rows (a list of lists of numbers)');
    const rul = this.health.predictRul(rows as number[][]);
    return { rul, threshold, warning: rul < threshold };
  }

  /** Short text for the node status ("hybrid 120 rows", "surrogate", "health"). */
  summary(): string {
    const parts: string[] = [];
    if (this.residuals.size > 0) {
      const rows = [...this.residuals.values()].reduce((n, m) => n + m.rows, 0);
      const trained = [...this.residuals.values()].some((m) => m.trained);
      parts.push(`hybrid ${trained ? 'on' : 'learning'} (${rows} rows)`);
    }
    if (this.surrogate) parts.push('surrogate');
    if (this.health) parts.push('health model');
    return parts.join(', ');
  }

  cancel(): void {
    for (const m of this.residuals.values()) m.cancel();
    this.surrogate?.cancel();
    this.health?.cancel();
  }

  toJSON(): LearningState {
    const state: LearningState = {};
    if (this.residuals.size > 0) state.residuals = Object.fromEntries([...this.residuals].map(([s, m]) => [s, m.toJSON()]));
    if (this.surrogate?.trained) state.surrogate = this.surrogate.toJSON();
    if (this.health?.trained) state.health = this.health.toJSON();
    return state;
  }

  /** Restores saved models that still fit; returns what was dropped. */
  restore(saved: unknown): string[] {
    const dropped: string[] = [];
    if (!isRecord(saved)) return dropped;
    const attempt = (what: string, f: () => void): void => {
      try {
        f();
      } catch (err) {
        dropped.push(`${what} (${err instanceof ConfigError || err instanceof InputError ? err.message : 'unreadable'})`);
      }
    };
    if (isRecord(saved.residuals)) {
      for (const [state, json] of Object.entries(saved.residuals)) {
        if (!this.residuals.has(state)) continue;
        attempt(`residual model of ${state}`, () => {
          const model = ResidualModel.fromJSON(json as ResidualModelJSON);
          const features = (this.physics as PhysicsModel).stateNames.length + (this.physics as PhysicsModel).inputNames.length + 1;
          if ((json as ResidualModelJSON).options.features !== features) throw new ConfigError('changed', 'the model has changed');
          this.residuals.set(state, model);
        });
      }
    }
    if (saved.surrogate) attempt('surrogate', () => (this.surrogate = KpiSurrogate.fromJSON(saved.surrogate as SurrogateJSON)));
    if (saved.health) attempt('health model', () => (this.health = HealthModel.fromJSON(saved.health as HealthModelJSON)));
    return dropped;
  }
}

/**
 * Trains a health model from run-to-failure data: `data` in the NASA C-MAPSS text format (sensor
 * columns used), or `units`: one list of sensor rows per unit, each ending at its failure. Runs in
 * the simulator's worker thread: the few MB of text and the feature matrices never touch the flow's
 * event loop; only the trained model (a few kB) comes back.
 */
export async function trainHealthModel(payload: Record<string, unknown>): Promise<{ summary: Record<string, unknown>; model?: HealthModelJSON }> {
  let units: number[][][];
  if (typeof payload.data === 'string') units = [...(await parseCmapssSliced(payload.data)).values()].map((u) => u.sensors);
  else if (Array.isArray(payload.units)) units = payload.units as number[][][];
  else throw new InputError('bad request', 'train health needs payload.data (C-MAPSS text) or payload.units (sensor rows per unit, run to failure)');
  const options = isRecord(payload.options) ? payload.options : {};
  let model: HealthModel;
  try {
    model = new HealthModel(options);
  } catch (err) {
    throw new InputError('bad request', (err as Error).message);
  }
  const r = await model.train(units);
  const summary = { model: 'health', applied: r.applied, units: units.length, samples: r.samples, sensors: r.sensors, dropped: r.dropped, epochs: r.epochs, error: r.error, elapsedMs: r.elapsedMs };
  return { summary, model: r.applied ? model.toJSON() : undefined };
}
