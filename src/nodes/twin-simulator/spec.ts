import { ModelIndex } from '../../core/model/paths';
import type { TwinModel } from '../../core/model/types';
import { withModelValues, type PhysicsSpec } from '../../core/simulation/physics';
import type { SimulatorRuntime } from '../../core/simulation/runtime';
import type { Node } from '../common/red';
import type { SimulatorSettings } from './options';

/** A twin-simulator node as other nodes see it (the optimizer runs its core directly). */
export interface SimulatorNode extends Node {
  simulator?: SimulatorRuntime;
}

/** The definition with units and parameter values the twin model knows filled in. */
export function resolveSpec(settings: SimulatorSettings, model: TwinModel | undefined): { physics?: PhysicsSpec; line?: unknown } {
  const physics = settings.spec.physics as PhysicsSpec | undefined;
  if (!physics || !model) return { physics, line: settings.spec.line };
  const index = new ModelIndex(model);
  const resolved = withModelValues(physics, {
    unitOfSignal: (key) => index.signal(key)?.signal.unit,
    parameter: (path) => {
      const at = path.lastIndexOf('/');
      const p = at > 0 ? index.asset(path.slice(0, at))?.parameters.find((x) => x.name === path.slice(at + 1)) : undefined;
      return p ? { value: p.value, unit: p.unit } : undefined;
    },
  });
  return { physics: resolved, line: settings.spec.line };
}

