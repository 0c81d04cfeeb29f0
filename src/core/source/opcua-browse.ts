import {
  AttributeIds,
  BrowseDirection,
  DataType,
  NodeClass,
  makeBrowsePath,
  makeNodeClassMask,
  resolveNodeId,
  sameNodeId,
  type BrowseDescriptionLike,
  type BrowseResult,
  type ClientSession,
  type NodeId,
  type ReferenceDescription,
} from 'node-opcua-client';

/** One node of the server's address space, as the editor's browse dialog shows it. */
export interface BrowseEntry {
  nodeId: string;
  browseName: string;
  displayName: string;
  /** Browse names from Objects down, e.g. "Objects/Line1/Press1/Temperature". */
  path: string;
  nodeClass: 'Object' | 'Variable' | 'Method' | 'Other';
  /** Built-in or named data type of a Variable ("Double", "Boolean", ...). */
  dataType?: string;
  /** EngineeringUnits displayName of a Variable ("°C", "bar"), null when it has none. */
  unit?: string | null;
  hasChildren: boolean;
}

export const OBJECTS_FOLDER = 'i=85';
const ROOT_FOLDER = resolveNodeId('RootFolder');
const HAS_PROPERTY = resolveNodeId('HasProperty');
/** Server asks are split so no single request exceeds a PLC's MaxNodesPerBrowse/Read limits. */
const CHUNK = 100;

function chunks<T>(items: T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function description(nodeId: string | NodeId, direction: BrowseDirection): BrowseDescriptionLike {
  return {
    nodeId,
    browseDirection: direction,
    referenceTypeId: 'HierarchicalReferences',
    includeSubtypes: true,
    nodeClassMask: makeNodeClassMask('Object | Variable | Method'),
    resultMask: 0x3f,
  };
}

/**
 * Hierarchical children of each node, properties left out: EngineeringUnits, EURange and the
 * like describe a signal, they are not signals a technician would pick.
 */
async function childrenOf(session: ClientSession, nodeIds: string[]): Promise<ReferenceDescription[][]> {
  const all: ReferenceDescription[][] = [];
  for (const part of chunks(nodeIds)) {
    const results: BrowseResult[] = await session.browse(part.map((id) => description(id, BrowseDirection.Forward)));
    for (const result of results) {
      const references = [...(result.references ?? [])];
      let continuationPoint = result.continuationPoint;
      while (continuationPoint && continuationPoint.length > 0) {
        const next: BrowseResult = await session.browseNext(continuationPoint, false);
        references.push(...(next.references ?? []));
        continuationPoint = next.continuationPoint;
      }
      all.push(references.filter((ref) => !sameNodeId(ref.referenceTypeId, HAS_PROPERTY)));
    }
  }
  return all;
}

function nodeClassName(nodeClass: NodeClass): BrowseEntry['nodeClass'] {
  if (nodeClass === NodeClass.Object) return 'Object';
  if (nodeClass === NodeClass.Variable) return 'Variable';
  if (nodeClass === NodeClass.Method) return 'Method';
  return 'Other';
}

function toEntry(ref: ReferenceDescription, parentPath: string): BrowseEntry {
  const name = ref.browseName.name ?? '';
  return {
    nodeId: ref.nodeId.toString(),
    browseName: name,
    displayName: ref.displayName.text ?? name,
    path: parentPath ? `${parentPath}/${name}` : name,
    nodeClass: nodeClassName(ref.nodeClass),
    hasChildren: false,
  };
}

/** Browse-name path of a node, walking up to the Root folder ("Objects/Line1/Press1"). */
async function pathOf(session: ClientSession, nodeId: string): Promise<string> {
  const names: string[] = [];
  let current: NodeId = resolveNodeId(nodeId);
  for (let hops = 0; hops < 32 && !sameNodeId(current, ROOT_FOLDER); hops++) {
    const [nameValue] = await session.read([{ nodeId: current, attributeId: AttributeIds.BrowseName }]);
    names.unshift(nameValue.value?.value?.name ?? current.toString());
    const parents = await session.browse(description(current, BrowseDirection.Inverse));
    const parent = parents.references?.[0];
    if (!parent) break;
    current = resolveNodeId(parent.nodeId.toString());
  }
  return names.join('/');
}

/** Data type names, units and child flags, asked in a few batched requests. */
async function describeEntries(session: ClientSession, entries: BrowseEntry[]): Promise<void> {
  if (entries.length === 0) return;
  const grandChildren = await childrenOf(session, entries.map((e) => e.nodeId));
  entries.forEach((entry, i) => (entry.hasChildren = (grandChildren[i] ?? []).length > 0));

  const variables = entries.filter((e) => e.nodeClass === 'Variable');
  const typeNames = new Map<string, string>();
  for (const part of chunks(variables)) {
    const types = await session.read(part.map((v) => ({ nodeId: v.nodeId, attributeId: AttributeIds.DataType })));
    const unknownTypes: NodeId[] = [];
    types.forEach((dv, i) => {
      const typeId = dv.value?.value as NodeId | undefined;
      if (!typeId) return;
      const key = typeId.toString();
      if (typeId.namespace === 0 && typeof typeId.value === 'number' && DataType[typeId.value] && typeId.value <= 25) {
        typeNames.set(key, DataType[typeId.value]);
      } else if (!typeNames.has(key)) {
        unknownTypes.push(typeId);
        typeNames.set(key, key);
      }
      part[i].dataType = key;
    });
    if (unknownTypes.length > 0) {
      const names = await session.read(unknownTypes.map((nodeId) => ({ nodeId, attributeId: AttributeIds.BrowseName })));
      names.forEach((dv, i) => {
        const name = dv.value?.value?.name;
        if (name) typeNames.set(unknownTypes[i].toString(), name);
      });
    }
    for (const v of part) if (v.dataType) v.dataType = typeNames.get(v.dataType) ?? v.dataType;

    const unitPaths = await session.translateBrowsePath(part.map((v) => makeBrowsePath(v.nodeId, '.EngineeringUnits')));
    const withUnits: { entry: BrowseEntry; unitNode: NodeId }[] = [];
    unitPaths.forEach((result, i) => {
      part[i].unit = null;
      const target = result.statusCode.isGood() ? result.targets?.[0]?.targetId : undefined;
      if (target) withUnits.push({ entry: part[i], unitNode: resolveNodeId(target.toString()) });
    });
    if (withUnits.length > 0) {
      const units = await session.read(withUnits.map((w) => ({ nodeId: w.unitNode, attributeId: AttributeIds.Value })));
      units.forEach((dv, i) => {
        const text: unknown = dv.value?.value?.displayName?.text;
        withUnits[i].entry.unit = typeof text === 'string' && text.length > 0 ? text : null;
      });
    }
  }
}

/** One level below `nodeId`, for the editor's browse button. */
export async function browseLevel(session: ClientSession, nodeId: string = OBJECTS_FOLDER): Promise<BrowseEntry[]> {
  const parentPath = await pathOf(session, nodeId);
  const [children] = await childrenOf(session, [nodeId]);
  const entries = (children ?? []).map((ref) => toEntry(ref, parentPath));
  await describeEntries(session, entries);
  return entries;
}

/**
 * Every Variable below `rootNodeId`, level by level (one batched browse per level). Nodes of the
 * standard namespace 0 (the Server object and its diagnostics) are skipped: they are never plant
 * signals and would fill the list.
 */
export async function browseAllVariables(
  session: ClientSession,
  rootNodeId: string = OBJECTS_FOLDER,
  maxDepth = 6,
  maxResults = 2000,
): Promise<BrowseEntry[]> {
  const found: BrowseEntry[] = [];
  const visited = new Set<string>([resolveNodeId(rootNodeId).toString()]);
  let level: { nodeId: string; path: string }[] = [{ nodeId: rootNodeId, path: await pathOf(session, rootNodeId) }];
  for (let depth = 0; depth < maxDepth && level.length > 0 && found.length < maxResults; depth++) {
    const children = await childrenOf(session, level.map((n) => n.nodeId));
    const nextLevel: { nodeId: string; path: string }[] = [];
    level.forEach((parent, i) => {
      for (const ref of children[i] ?? []) {
        const entry = toEntry(ref, parent.path);
        if (ref.nodeId.namespace === 0 || visited.has(entry.nodeId)) continue;
        visited.add(entry.nodeId);
        if (entry.nodeClass === 'Variable' && found.length < maxResults) found.push(entry);
        if (entry.nodeClass === 'Object' || entry.nodeClass === 'Variable') nextLevel.push({ nodeId: entry.nodeId, path: entry.path });
      }
    });
    level = nextLevel;
  }
  await describeEntries(session, found);
  return found;
}
