/**
 * One simulator as a flow uses it: follows the plant (signal history), answers requests, keeps
 * what it learned (calibrated parameters, scenario results, learned models) and saves it.
 * Heavy requests run in a worker thread (TaskRunner); the periodic prediction for the deviation
 * detector runs here with a small time budget. No Node-RED import: the node adapter drives it.
 */
import { ConfigError, InputError } from '../errors';
import { ScenarioStore } from '../scenarios/scenario-store';
import { lineStartFrom, lineSignalKeys } from './line-tasks';
import { calibrationData, runPhysics, syncedStart, type CalibrationRequest, type PhysicsAnswer, type PhysicsRequest, type StartState } from './physics-tasks';
import type { PhysicsCalibration } from './physics-tasks';
import { SignalHistory } from './signal-history';
import { compileSimulator, type CompiledSimulator, type ScenarioSetAnswer, type ScenarioSetRequest, type SimulatorSpec, type WhatIfAnswer, type WhatIfContext, type WhatIfRequest } from './simulator-tasks';
import { TaskRunner } from './worker/task-runner';
import type { HealthModelJSON } from '../learning/health-model';
import { SimulatorLearning, type LearningState } from './learning-hub';
import { ModelShadow, shadowCandidate, type ShadowModel, type ShadowSample } from './shadow-model';

export interface RuntimeOptions {
  horizonS: number;
  replications: number;
  seed: number;
  timeLimitMs: number;
  hybrid: boolean;
  historyCapacity?: number;
  storeCapacity?: number;
  /** What an improving calibration does: 'direct' applies it, 'gate' holds it as a shadow for twin-gate. */
  promotion?: 'direct' | 'gate';
}

/** A predicted value for the deviation detector (and chained twins). */
export interface Prediction {
  key: string;
  value: number;
  /** Epoch ms the value is predicted for. */
  time: number;
  /** Physics alone, before the learned residual. */
  physics: number;
  hybrid: boolean;
}

export interface SavedRuntime {
  version: 1;
  calibrated: Record<string, number>;
  calibration?: { at: number; rmseBefore: number; rmseAfter: number };
  store: unknown;
  learning?: LearningState;
  /** Revision of the parameters in use, and the shadow awaiting promotion. */
  revision?: string;
  shadow?: ShadowModel;
}

export type CalibrationAnswer = PhysicsCalibration & { applied: boolean; shadow?: boolean; revision?: string; supersedes?: string };

/** Wall-clock budget of the periodic prediction, which runs on the flow's thread. */
const predictBudgetMs = 20;

const isRecord = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === 'object' && !Array.isArray(x);

function numbersOf(x: unknown, what: string): Record<string, number> | undefined {
  if (x === undefined) return undefined;
  if (!isRecord(x)) throw new InputError('bad request', `${what} must be an object of name: number`);
  for (const [k, v] of Object.entries(x)) {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new InputError('bad request', `${what}.${k} must be a finite number`);
  }
  return x as Record<string, number>;
}

function positive(x: unknown, what: string, fallback: number): number {
  if (x === undefined) return fallback;
  if (typeof x !== 'number' || !(x > 0) || !Number.isFinite(x)) throw new InputError('bad request', `${what} must be a positive number of seconds`);
  return x;
}

/**
 * A what-if answer of another simulator wired in (chained twins): its predicted signals become this
 * twin's boundary inputs over the same span.
 */
function chainedAnswer(payload: Record<string, unknown>): { label?: string; durationS?: number; signals: WhatIfRequest['boundary']; kpis: unknown; chain: unknown[] } | undefined {
  if (!isRecord(payload.signals) || !isRecord(payload.kpis) || !isRecord(payload.settings)) return undefined;
  const physics = isRecord(payload.physics) ? payload.physics : undefined;
  return {
    label: typeof payload.label === 'string' ? payload.label : undefined,
    durationS: typeof physics?.durationS === 'number' && physics.durationS > 0 ? physics.durationS : undefined,
    signals: payload.signals as WhatIfRequest['boundary'],
    kpis: payload.kpis,
    chain: Array.isArray(payload.chain) ? payload.chain : [],
  };
}

export class SimulatorRuntime {
  readonly sim: CompiledSimulator;
  readonly history: SignalHistory;
  readonly store: ScenarioStore;
  readonly learning: SimulatorLearning;
  calibrated: Record<string, number> = {};
  lastCalibration: SavedRuntime['calibration'];
  private readonly runner = new TaskRunner();
  private readonly spec: SimulatorSpec;
  private readonly models = new ModelShadow();

  /** ConfigError (with the position for expressions) when the definition cannot work. */
  constructor(spec: SimulatorSpec, private readonly options: RuntimeOptions) {
    this.sim = compileSimulator(spec);
    this.spec = JSON.parse(JSON.stringify(spec)) as SimulatorSpec;
    const keys = new Set<string>();
    if (this.sim.physics) {
      const k = this.sim.physics.signalKeys;
      for (const key of [...Object.values(k.states), ...Object.values(k.inputs)]) keys.add(key);
    }
    if (this.sim.line) for (const key of lineSignalKeys(this.sim.line)) keys.add(key);
    this.history = new SignalHistory(keys, options.historyCapacity ?? 20000);
    this.store = new ScenarioStore(options.storeCapacity ?? 500);
    this.learning = new SimulatorLearning(this.sim.physics, options.hybrid);
  }

  /** Keys of the signals followed. */
  get followed(): string[] {
    return this.history.keys;
  }

  /** Followed signals with at least one sample. */
  get synced(): number {
    return this.history.keys.filter((k) => this.history.count(k) > 0).length;
  }

  /** Records a plant sample; false when the simulator does not follow that signal. */
  observe(key: string, value: number, time: number): boolean {
    const followed = this.history.observe(key, value, time);
    // Output signals are not followed, but the plant may measure them: the shadow scores them too.
    if (this.models.shadow) this.models.comparison.observe(key, value, time);
    return followed;
  }

  /** Revision of the parameters in use ("initial" until a calibration is applied or adopted). */
  get modelRevision(): string {
    return this.models.inUse;
  }

  /** The recalibrated parameters awaiting promotion through twin-gate. */
  get shadow(): ShadowModel | undefined {
    return this.models.shadow;
  }

  /** Shadow samples (both models' predictions against the plant) resolved since the last call. */
  takeShadowSamples(): ShadowSample[] {
    return this.models.comparison.take();
  }

  /** The shadow as a twin-gate model candidate, its targets the assets the physics follows. */
  shadowCandidate(): Record<string, unknown> | undefined {
    const physics = this.sim.physics;
    if (!this.models.shadow || !physics) return undefined;
    const k = physics.signalKeys;
    return shadowCandidate(this.models.shadow, [...Object.values(k.states), ...Object.values(k.inputs)]);
  }

  /** The shadow becomes the parameters in use (twin-gate decided to swap). */
  adoptShadow(revision: string, replaces?: string): { revision: string; replaces: string; parameters: Record<string, number> } {
    const shadow = this.models.adopt(revision, replaces);
    this.calibrated = { ...shadow.parameters };
    this.lastCalibration = { at: shadow.createdAt, rmseBefore: shadow.rmseBefore, rmseAfter: shadow.rmseAfter };
    return { revision: shadow.revision, replaces: shadow.replaces, parameters: { ...shadow.parameters } };
  }

  /** The shadow is dropped (twin-gate kept the current model). */
  discardShadow(revision: string, reason?: string): { revision: string; reason?: string } {
    this.models.release(revision);
    return reason === undefined ? { revision } : { revision, reason };
  }

  start(now: number): StartState | undefined {
    return this.sim.physics ? syncedStart(this.sim.physics, this.history, now) : undefined;
  }

  /**
   * What an optimiser needs to run this simulator's core itself: the definition (JSON-safe, for a
   * worker thread) and the context of a what-if starting now (synchronised start, calibration).
   */
  optimisationContext(now: number, maxWallMs: number): { spec: SimulatorSpec; context: WhatIfContext } {
    return { spec: this.spec, context: this.context(now, maxWallMs) };
  }

  private context(now: number, maxWallMs: number): WhatIfContext {
    return {
      start: this.start(now),
      lineStart: this.sim.line ? lineStartFrom(this.sim.line, this.history) : undefined,
      calibrated: this.calibrated,
      durationS: this.options.horizonS,
      replications: this.options.replications,
      seed: this.options.seed,
      maxWallMs,
    };
  }

  /**
   * The periodic prediction: physics from the newest plant values to one horizon ahead, plus the
   * learned residual when hybrid learning has a trained model. Runs here, so it has a 20 ms budget.
   */
  predictNow(now: number): Prediction[] {
    const physics = this.sim.physics;
    if (!physics) return [];
    const start = syncedStart(physics, this.history, now);
    if (start.unsynced.length > 0) return [];
    const request: PhysicsRequest = { durationS: this.options.horizonS, everyS: this.options.horizonS, maxWallMs: predictBudgetMs };
    const started = Date.now();
    const answer = runPhysics(physics, start, this.calibrated, request);
    const due = start.time + this.options.horizonS * 1000;
    this.predictShadow(start, request, answer, due, Date.now() - started);
    this.learning.expect(start, answer, due);
    this.learning.collect(this.history, physics);
    const out: Prediction[] = [];
    for (const [name, key] of Object.entries(physics.signalKeys.states)) {
      const p = answer.final[name];
      const value = this.learning.hybrid(name, start, p);
      out.push({ key, value, time: due, physics: p, hybrid: value !== p });
    }
    for (const [name, key] of Object.entries(physics.signalKeys.outputs)) out.push({ key, value: answer.final[name], time: due, physics: answer.final[name], hybrid: false });
    return out;
  }

  /** The shadow's prediction beside the one in use, pure physics on both sides, kept until due. */
  private predictShadow(start: StartState, request: PhysicsRequest, current: PhysicsAnswer, due: number, spentMs: number): void {
    const physics = this.sim.physics;
    const shadow = this.models.shadow;
    // The comparison must not make the prediction itself late: skip it when the first run was slow.
    if (!physics || !shadow || spentMs > predictBudgetMs / 2) return;
    let candidate: PhysicsAnswer;
    try {
      candidate = runPhysics(physics, start, shadow.parameters, request);
    } catch {
      return; // a shadow that cannot run yields no samples, so the gate keeps the current model
    }
    const keys = physics.signalKeys;
    this.models.expectAll({ ...keys.states, ...keys.outputs }, due, current.final, candidate.final);
  }

  /** `predict` request: a trajectory from now (physics), and RUL when health data is given. */
  async predict(payload: Record<string, unknown>, now: number): Promise<Record<string, unknown>> {
    const answer: Record<string, unknown> = {};
    if (payload.health !== undefined) answer.health = this.learning.predictHealth(payload.health);
    if (this.sim.physics && payload.health === undefined || payload.horizon !== undefined) {
      if (!this.sim.physics) throw new InputError('no physics', 'this simulator has no physics model to predict with');
      const horizonS = positive(payload.horizon, 'horizon', this.options.horizonS);
      const request: PhysicsRequest = { durationS: horizonS, everyS: positive(payload.every, 'every', horizonS / 60), parameters: numbersOf(payload.parameters, 'parameters') };
      const start = syncedStart(this.sim.physics, this.history, now);
      const physics = await this.runner.run<WhatIfAnswer>({ task: 'whatif', spec: this.spec, args: { request: { ...request, line: undefined }, context: { ...this.context(now, this.options.timeLimitMs), start } } }, this.options.timeLimitMs + 1000);
      const p = physics.physics as PhysicsAnswer;
      Object.assign(answer, { start: p.start, horizonS, unsynced: start.unsynced, states: p.states, outputs: p.outputs, signals: p.signals, final: p.final, parameters: p.parameters });
      if (horizonS === this.options.horizonS) {
        answer.hybrid = Object.fromEntries(Object.keys(p.final).filter((n) => this.sim.physics?.stateNames.includes(n)).map((n) => [n, this.learning.hybrid(n, start, p.final[n])]));
      }
    }
    return answer;
  }

  /** `whatif`: one scenario (answered by the surrogate instead when asked and trained). */
  async whatif(payload: Record<string, unknown>, now: number): Promise<WhatIfAnswer | Record<string, unknown>> {
    if (payload.surrogate === true) return { surrogate: true, kpis: this.learning.predictSurrogate(numbersOf(payload.settings, 'settings') ?? {}) };
    const upstream = chainedAnswer(payload);
    const request = upstream ? { label: upstream.label, durationS: upstream.durationS, boundary: upstream.signals } : this.readWhatIf(payload);
    const answer = await this.runner.run<WhatIfAnswer>({ task: 'whatif', spec: this.spec, args: { request, context: this.context(now, this.options.timeLimitMs) } }, this.options.timeLimitMs + 1000);
    this.remember(answer, now);
    if (!upstream) return answer;
    // The chain travels on: each twin's KPIs, upstream first.
    return { ...answer, chain: [...upstream.chain, { label: upstream.label, kpis: upstream.kpis }] };
  }

  async scenarios(payload: Record<string, unknown>, now: number): Promise<ScenarioSetAnswer> {
    if (!Array.isArray(payload.scenarios)) throw new InputError('bad request', 'scenarios needs payload.scenarios: a list of what-if settings');
    const request: ScenarioSetRequest = { scenarios: payload.scenarios.map((s) => this.readWhatIf(isRecord(s) ? s : {})), baseline: payload.baseline as number | undefined };
    const answer = await this.runner.run<ScenarioSetAnswer>({ task: 'scenarios', spec: this.spec, args: { request, context: this.context(now, this.options.timeLimitMs) } }, this.options.timeLimitMs + 1000);
    for (const s of answer.scenarios) this.remember(s, now);
    return answer;
  }

  /**
   * Fits parameters to the recent history. A fit that improved is used from then on ('direct'), or
   * held as the shadow for twin-gate to promote ('gate').
   */
  async calibrate(payload: Record<string, unknown>, now: number): Promise<CalibrationAnswer> {
    if (!this.sim.physics) throw new InputError('no physics', 'calibration fits a physics model; this simulator has none');
    const windowS = positive(payload.window, 'window', 3600);
    const names = payload.parameters;
    if (names !== undefined && (!Array.isArray(names) || names.some((n) => typeof n !== 'string'))) throw new InputError('bad request', 'parameters must be a list of parameter names');
    const method = payload.method;
    if (method !== undefined && method !== 'nelder-mead' && method !== 'levenberg-marquardt') throw new InputError('bad request', 'method must be "nelder-mead" or "levenberg-marquardt"');
    const request: CalibrationRequest = { parameters: names as string[] | undefined, method, maxWallMs: this.options.timeLimitMs };
    const data = calibrationData(this.sim.physics, this.history, windowS, now);
    const result = await this.runner.run<PhysicsCalibration>({ task: 'calibrate', spec: this.spec, args: { data, calibrated: this.calibrated, request } }, this.options.timeLimitMs + 2000);
    const gate = this.options.promotion === 'gate';
    if (!(result.rmseAfter < result.rmseBefore)) return gate ? { ...result, applied: false, shadow: false } : { ...result, applied: false };
    const parameters = { ...this.calibrated, ...result.parameters };
    const revision = this.models.nextRevision(now);
    let supersedes: string | undefined;
    if (gate) {
      supersedes = this.models.hold({ revision, replaces: this.models.inUse, parameters, createdAt: now, rmseBefore: result.rmseBefore, rmseAfter: result.rmseAfter });
    } else {
      this.calibrated = parameters;
      this.lastCalibration = { at: now, rmseBefore: result.rmseBefore, rmseAfter: result.rmseAfter };
      supersedes = this.models.replaceInUse(revision);
    }
    return { ...result, applied: !gate, ...(gate ? { shadow: true } : {}), revision, ...(supersedes ? { supersedes } : {}) };
  }

  /** `train`: residual (hybrid), surrogate (from the scenario store) or health (run-to-failure data). */
  async train(payload: Record<string, unknown>): Promise<Record<string, unknown>> {
    const what = payload.model ?? 'residual';
    if (what === 'residual') return this.learning.trainResidual();
    if (what === 'surrogate') return this.learning.trainSurrogate(this.store.rows());
    if (what === 'health') {
      // Offline training on a whole data set: in the worker, with its own, longer time limit.
      const limitS = typeof payload.timeLimit === 'number' && payload.timeLimit > 0 ? Math.min(payload.timeLimit, 3600) : 600;
      const trained = await this.runner.run<{ summary: Record<string, unknown>; model?: HealthModelJSON }>({ task: 'train-health', spec: this.spec, args: payload }, limitS * 1000);
      if (trained.model) this.learning.adoptHealth(trained.model);
      return trained.summary;
    }
    throw new InputError('bad request', 'train: payload.model must be "residual", "surrogate" or "health"');
  }

  private readWhatIf(payload: Record<string, unknown>): WhatIfRequest {
    const inputs = payload.inputs;
    if (inputs !== undefined && !isRecord(inputs)) throw new InputError('bad request', 'inputs must be an object of name: number or {t, v}');
    const boundary = payload.boundary ?? payload.signals; // an upstream twin's answer chains in as is
    if (boundary !== undefined && !isRecord(boundary)) throw new InputError('bad request', 'boundary must be an object of signal key: number or {t, v}');
    if (payload.line !== undefined && !isRecord(payload.line)) throw new InputError('bad request', 'line must be an object');
    return {
      label: typeof payload.label === 'string' ? payload.label : undefined,
      durationS: payload.duration === undefined ? undefined : positive(payload.duration, 'duration', this.options.horizonS),
      everyS: payload.every === undefined ? undefined : positive(payload.every, 'every', 1),
      parameters: numbersOf(payload.parameters, 'parameters'),
      inputs: inputs as WhatIfRequest['inputs'],
      initial: numbersOf(payload.initial, 'initial'),
      boundary: boundary as WhatIfRequest['boundary'],
      line: payload.line as WhatIfRequest['line'],
    };
  }

  private remember(answer: WhatIfAnswer, now: number): void {
    if (Object.keys(answer.kpis).length === 0) return;
    this.store.add({ createdAt: now, settings: answer.settings, kpis: answer.kpis, replications: answer.line?.replications ?? 1, label: answer.label });
  }

  toJSON(): SavedRuntime {
    return { version: 1, calibrated: this.calibrated, calibration: this.lastCalibration, store: this.store.toJSON(), learning: this.learning.toJSON(), ...this.models.toJSON() };
  }

  /** Restores what still fits this definition; returns what had to be dropped, for a warning. */
  restore(saved: unknown): string[] {
    const dropped: string[] = [];
    if (!isRecord(saved) || saved.version !== 1) return saved === undefined ? dropped : ['saved state of an unknown version'];
    if (isRecord(saved.calibrated) && this.sim.physics) {
      for (const [k, v] of Object.entries(saved.calibrated)) {
        if (this.sim.physics.parameterNames.includes(k) && typeof v === 'number' && Number.isFinite(v)) this.calibrated[k] = v;
        else dropped.push(`calibrated ${k}`);
      }
    }
    if (isRecord(saved.calibration)) this.lastCalibration = saved.calibration as SavedRuntime['calibration'];
    dropped.push(...this.models.restore(saved.revision, saved.shadow, this.sim.physics?.parameterNames));
    const restored = ScenarioStore.fromJSON(saved.store, this.options.storeCapacity ?? 500);
    for (const entry of restored.store.list().reverse()) this.store.add(entry);
    if (restored.dropped > 0) dropped.push(`${restored.dropped} scenario results`);
    dropped.push(...this.learning.restore(saved.learning));
    return dropped;
  }

  async close(): Promise<void> {
    this.learning.cancel();
    await this.runner.close();
  }
}

export { ConfigError };
