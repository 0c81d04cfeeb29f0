/**
 * The twin model: the plant as an asset hierarchy whose leaves are signals. A signal is addressed
 * by its key "<asset path>/<signal name>", exactly the `msg.topic` of an ingest sample, so samples
 * and model meet without translation. Saved with the twin-model config node; every accepted change
 * increments `revision`, which later nodes report with their results.
 */
export const currentModelSchemaVersion = 1;

export interface SignalRange {
  min?: number;
  max?: number;
}

export interface SignalDefinition {
  name: string;
  /** Canonical unit (mathjs name, e.g. "degC"); null when unitless. */
  unit: string | null;
  /** Expected operating range; values outside are flagged, not refused. */
  range?: SignalRange;
  /** Freshness limit: older than this, the signal is stale. Undefined: never stale. */
  maxAgeMs?: number;
  tags?: string[];
  /** A configuration signal (recipe, tool, mode): any change raises a "configuration changed" event. */
  configuration?: boolean;
}

export interface ParameterDefinition {
  name: string;
  value: number;
  unit: string | null;
  description?: string;
}

export type AssetKind = 'plant' | 'line' | 'machine' | 'component' | 'other';

export interface AssetDefinition {
  /** One path level: no "/" (asset paths join names with "/"). */
  name: string;
  kind: AssetKind;
  children: AssetDefinition[];
  signals: SignalDefinition[];
  parameters: ParameterDefinition[];
  /** Position on the floor plan (metres), for layout views. */
  position?: { x: number; y: number };
}

export type RelationshipType = 'feeds' | 'partOf';

export interface Relationship {
  /** Asset paths. */
  from: string;
  to: string;
  type: RelationshipType;
}

export interface TwinModel {
  schemaVersion: number;
  revision: number;
  name: string;
  assets: AssetDefinition[];
  relationships: Relationship[];
}
