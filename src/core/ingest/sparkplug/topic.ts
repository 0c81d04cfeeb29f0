/**
 * Sparkplug B topic names: `spBv1.0/<group>/<type>/<edge node>[/<device>]`, and the 3.0 host
 * application state topic `spBv1.0/STATE/<host id>`.
 */
export const SPARKPLUG_NAMESPACE = 'spBv1.0';

export type SparkplugMessageType =
  | 'NBIRTH'
  | 'NDEATH'
  | 'NDATA'
  | 'NCMD'
  | 'DBIRTH'
  | 'DDEATH'
  | 'DDATA'
  | 'DCMD'
  | 'STATE';

export interface SparkplugTopic {
  /** Group id; '' for the 3.0 host STATE topic, which has no group. */
  group: string;
  messageType: SparkplugMessageType;
  /** Edge node id; for the 3.0 host STATE topic, the host application id. */
  edgeNode: string;
  device?: string;
}

const nodeTypes = new Set(['NBIRTH', 'NDEATH', 'NDATA', 'NCMD', 'STATE']);
const deviceTypes = new Set(['DBIRTH', 'DDEATH', 'DDATA', 'DCMD']);

/** An id level: not empty, no MQTT wildcard (the spec forbids them in ids). */
function isId(level: string): boolean {
  return level.length > 0 && !level.includes('+') && !level.includes('#');
}

/** Parses a Sparkplug B topic; null for anything else (so callers can tell plain MQTT apart). */
export function parseSparkplugTopic(topic: string): SparkplugTopic | null {
  if (typeof topic !== 'string') return null;
  const levels = topic.split('/');
  if (levels[0] !== SPARKPLUG_NAMESPACE || !levels.slice(1).every(isId)) return null;
  if (levels.length === 3 && levels[1] === 'STATE') {
    return { group: '', messageType: 'STATE', edgeNode: levels[2] };
  }
  const [, group, type, edgeNode, device] = levels;
  if (levels.length === 4 && nodeTypes.has(type)) {
    return { group, messageType: type as SparkplugMessageType, edgeNode };
  }
  if (levels.length === 5 && deviceTypes.has(type)) {
    return { group, messageType: type as SparkplugMessageType, edgeNode, device };
  }
  return null;
}

/** The topic a node-level command (such as a rebirth request) is published on. */
export function nodeCommandTopic(group: string, edgeNode: string): string {
  return `${SPARKPLUG_NAMESPACE}/${group}/NCMD/${edgeNode}`;
}
