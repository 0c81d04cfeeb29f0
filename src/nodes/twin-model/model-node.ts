import type { ConfigError } from '../../core/errors';
import { migrateModel } from '../../core/model/migrate';
import { currentModelSchemaVersion, type TwinModel } from '../../core/model/types';
import { validateModel } from '../../core/model/validate';
import type { Node, NodeDef } from '../common/red';

export interface TwinModelDef extends NodeDef {
  configVersion?: number;
  /** The model as the editor saved it (an object; older flows may hold JSON text). */
  model?: unknown;
}

/** The twin-model config node as its users see it. */
export interface TwinModelNode extends Node {
  model?: TwinModel;
  /** Set when the saved model cannot be used; users show it and run without a model. */
  configError?: ConfigError;
}

export function emptyModel(name = 'plant'): TwinModel {
  return { schemaVersion: currentModelSchemaVersion, revision: 0, name, assets: [], relationships: [] };
}

/** Reads the saved model: older shapes migrated, everything validated. */
export function loadModel(saved: unknown): TwinModel {
  const raw = typeof saved === 'string' ? (saved.trim() ? (JSON.parse(saved) as unknown) : undefined) : saved;
  if (raw === undefined || raw === null) return emptyModel();
  return validateModel(migrateModel(raw));
}
