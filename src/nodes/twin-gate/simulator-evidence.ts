/**
 * The counterfactual evidence for a candidate, run on the chosen twin-simulator: both sides in one
 * scenario-set request (in the simulator's worker, so the gate's event loop stays free). When the
 * check cannot run (no simulator deployed, a current value unknown, the simulator refuses or times
 * out) the evidence says so and scores 0: the gate never treats "not checked" as "checked and fine".
 */
import { runCounterfactual, simulatorRunner, variablesByKey, type Candidate, type CounterfactualResult, type SettingValue } from '../../core/gate';
import type { GateSettings } from './options';
import type { SimulatorNode } from '../twin-simulator/spec';

export async function simulatorEvidence(
  candidate: Candidate,
  current: Record<string, SettingValue>,
  settings: GateSettings,
  simulatorNode: SimulatorNode | null,
): Promise<CounterfactualResult> {
  const check = settings.check;
  const runtime = simulatorNode?.simulator;
  const failed = (reason: string): CounterfactualResult => ({ ok: false, value: 0, scenarios: 0, kpis: [], reasons: [`counterfactual not run: ${reason}`] });
  if (!check) return failed('no counterfactual check is configured');
  if (!runtime) return failed('the chosen twin-simulator is not deployed or not configured');
  const sides = { candidate: (candidate.setpoints ?? {}) as Record<string, SettingValue>, current };
  try {
    const run = (payload: { scenarios: Array<Record<string, unknown>> }) => runtime.scenarios(payload, Date.now());
    return await runCounterfactual(simulatorRunner(run, check, variablesByKey(settings.mapping), sides, runtime.sim.line !== undefined), sides.candidate, sides.current, check);
  } catch (err) {
    return failed(err instanceof Error ? err.message : String(err));
  }
}
