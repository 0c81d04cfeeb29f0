/**
 * Severity ok / warning / alarm from the anomaly likelihood, with hysteresis and a minimum
 * duration, so one noisy sample neither raises nor clears an alarm.
 *
 * Raising: a level is raised once the likelihood has been at or above its `enter` threshold for
 * `minSamples` consecutive samples AND for `minMs` (time of the last minus the first of the run).
 * Leaving: a level is kept while the likelihood stays at or above its (lower) `leave` threshold;
 * below it the severity drops at once to what the leave thresholds still support.
 *
 * Defaults: warning enter 0.99 / leave 0.9, alarm enter 0.9999 / leave 0.999, minSamples 3,
 * minMs 0. Likelihoods are roughly uniform under normal running, so 0.9 as an entry threshold
 * (the first idea) would warn about 10 % of the time; 0.99 with 3 samples keeps false warnings
 * rare, and 0.9999 is the alert threshold Numenta's own detector uses.
 */
import { ConfigError, InputError } from '../errors';
import { finite } from './robust-scale';

export type Severity = 'ok' | 'warning' | 'alarm';

export interface SeverityOptions {
  warningEnter?: number;
  warningLeave?: number;
  alarmEnter?: number;
  alarmLeave?: number;
  /** Consecutive samples above an enter threshold before raising. Default 3. */
  minSamples?: number;
  /** Time (ms) above an enter threshold before raising. Default 0. */
  minMs?: number;
}

const LEVELS: Severity[] = ['ok', 'warning', 'alarm'];

/** A run of consecutive samples above an enter threshold. */
interface Run {
  count: number;
  since: number;
}

export interface SeverityState {
  level: Severity;
  warningRun: Run;
  alarmRun: Run;
}

export class SeverityGate {
  readonly warningEnter: number;
  readonly warningLeave: number;
  readonly alarmEnter: number;
  readonly alarmLeave: number;
  readonly minSamples: number;
  readonly minMs: number;
  private current: Severity = 'ok';
  private warningRun: Run = { count: 0, since: 0 };
  private alarmRun: Run = { count: 0, since: 0 };

  constructor(options: SeverityOptions = {}) {
    this.warningEnter = options.warningEnter ?? 0.99;
    this.warningLeave = options.warningLeave ?? 0.9;
    this.alarmEnter = options.alarmEnter ?? 0.9999;
    this.alarmLeave = options.alarmLeave ?? 0.999;
    this.minSamples = options.minSamples ?? 3;
    this.minMs = options.minMs ?? 0;
    const p = [this.warningLeave, this.warningEnter, this.alarmLeave, this.alarmEnter];
    if (!p.every((v) => finite(v) && v >= 0 && v <= 1)) throw new ConfigError('bad threshold', 'severity thresholds must be in [0, 1]');
    if (this.warningLeave > this.warningEnter || this.alarmLeave > this.alarmEnter || this.warningEnter > this.alarmEnter) {
      throw new ConfigError('bad threshold', 'need warningLeave <= warningEnter <= alarmEnter and alarmLeave <= alarmEnter');
    }
    if (!Number.isInteger(this.minSamples) || this.minSamples < 1) throw new ConfigError('bad minSamples', 'minSamples must be an integer >= 1');
    if (!finite(this.minMs) || this.minMs < 0) throw new ConfigError('bad minMs', 'minMs must be a number >= 0');
  }

  get level(): Severity {
    return this.current;
  }

  update(likelihood: number, time: number): Severity {
    track(this.warningRun, likelihood >= this.warningEnter, time);
    track(this.alarmRun, likelihood >= this.alarmEnter, time);
    let raised = 0;
    if (this.long(this.alarmRun, time)) raised = 2;
    else if (this.long(this.warningRun, time)) raised = 1;
    let held = 0;
    if (this.current === 'alarm' && likelihood >= this.alarmLeave) held = 2;
    else if (this.current !== 'ok' && likelihood >= this.warningLeave) held = 1;
    this.current = LEVELS[raised > held ? raised : held];
    return this.current;
  }

  private long(run: Run, time: number): boolean {
    return run.count >= this.minSamples && time - run.since >= this.minMs;
  }

  reset(): void {
    this.current = 'ok';
    this.warningRun = { count: 0, since: 0 };
    this.alarmRun = { count: 0, since: 0 };
  }

  toJSON(): SeverityState {
    return { level: this.current, warningRun: { ...this.warningRun }, alarmRun: { ...this.alarmRun } };
  }

  restore(data: SeverityState): void {
    const run = (r: Run) => r && finite(r.count) && r.count >= 0 && finite(r.since);
    if (!data || !LEVELS.includes(data.level) || !run(data.warningRun) || !run(data.alarmRun)) {
      throw new InputError('bad saved state', 'severity: level and runs expected');
    }
    this.current = data.level;
    this.warningRun = { ...data.warningRun };
    this.alarmRun = { ...data.alarmRun };
  }
}

function track(run: Run, above: boolean, time: number): void {
  if (!above) run.count = 0;
  else if (run.count++ === 0) run.since = time;
}
