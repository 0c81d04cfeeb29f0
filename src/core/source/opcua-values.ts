import { DataType, VariantArrayType, resolveNodeId, type DataValue, type NodeId, type Variant } from 'node-opcua-client';
import { InputError } from '../errors';

/** One value as the OPC UA server delivered it, in plain JavaScript. */
export interface OpcuaReading {
  nodeId: string;
  /** number, boolean, string, Date, arrays as plain arrays; null when the server sent none. */
  value: unknown;
  /** Raw 32-bit StatusCode value: the ingest quality parser maps its severity bits. */
  statusCode: number;
  statusText: string;
  /** Epoch ms. */
  sourceTimestamp: number | null;
  serverTimestamp: number | null;
}

/** A node id as a flow or the editor typed it ("ns=3;s=Press1.Temp", "i=85"), or an InputError. */
export function parseNodeId(nodeId: string): NodeId {
  try {
    return resolveNodeId(nodeId);
  } catch (err) {
    throw new InputError('bad node id', `"${nodeId}" is not an OPC UA node id like ns=3;s=Press1.Temperature (${(err as Error).message})`, nodeId);
  }
}

/** node-opcua carries 64-bit integers as [high, low] 32-bit words. */
function int64ToNumber(words: unknown): unknown {
  if (Array.isArray(words) && words.length === 2 && typeof words[0] === 'number' && typeof words[1] === 'number') {
    return words[0] * 0x1_0000_0000 + words[1];
  }
  return words;
}

function scalarToJs(dataType: DataType, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (dataType) {
    case DataType.Int64:
    case DataType.UInt64:
      return int64ToNumber(value);
    case DataType.LocalizedText:
      return (value as { text?: string | null }).text ?? null;
    case DataType.QualifiedName:
      return (value as { name?: string | null }).name ?? null;
    case DataType.NodeId:
    case DataType.ExpandedNodeId:
    case DataType.StatusCode:
    case DataType.Guid:
      return String(value);
    default:
      return value;
  }
}

export function variantToJs(variant: Variant | null | undefined): unknown {
  if (!variant || variant.dataType === DataType.Null) return null;
  const { dataType, arrayType, value } = variant;
  if (arrayType === VariantArrayType.Array || arrayType === VariantArrayType.Matrix) {
    // typed arrays (Float64Array...) become plain arrays so JSON and the ingest see ordinary values
    return Array.from(value as ArrayLike<unknown>, (item) => scalarToJs(dataType, item));
  }
  return scalarToJs(dataType, value);
}

export function toReading(nodeId: string, dataValue: DataValue): OpcuaReading {
  const statusCode = dataValue.statusCode;
  return {
    nodeId,
    value: variantToJs(dataValue.value),
    statusCode: statusCode.value >>> 0,
    statusText: statusCode.name,
    sourceTimestamp: dataValue.sourceTimestamp ? dataValue.sourceTimestamp.getTime() : null,
    serverTimestamp: dataValue.serverTimestamp ? dataValue.serverTimestamp.getTime() : null,
  };
}

/** A reading that carries only a status, e.g. for a node id the server does not know. */
export function statusOnlyReading(nodeId: string, statusCode: number, statusText: string): OpcuaReading {
  return { nodeId, value: null, statusCode: statusCode >>> 0, statusText, sourceTimestamp: null, serverTimestamp: Date.now() };
}

const integerRanges: Partial<Record<DataType, [number, number]>> = {
  [DataType.SByte]: [-128, 127],
  [DataType.Byte]: [0, 255],
  [DataType.Int16]: [-32768, 32767],
  [DataType.UInt16]: [0, 65535],
  [DataType.Int32]: [-2147483648, 2147483647],
  [DataType.UInt32]: [0, 4294967295],
  [DataType.Int64]: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  [DataType.UInt64]: [0, Number.MAX_SAFE_INTEGER],
};

function toNumber(value: number | boolean | string, nodeId: string, typeName: string): number {
  const n = typeof value === 'number' ? value : typeof value === 'boolean' ? (value ? 1 : 0) : Number(value.trim());
  if (typeof value === 'string' && value.trim() === '') {
    throw new InputError('not a number', `${nodeId} is ${typeName}: cannot write an empty text`, nodeId);
  }
  if (!Number.isFinite(n)) {
    throw new InputError('not a number', `${nodeId} is ${typeName}: cannot write ${JSON.stringify(value)}`, nodeId);
  }
  return n;
}

/**
 * Converts what a flow sends into the variable's own built-in type, refusing what would be
 * silently mangled (3.7 into an Int16, 70000 into a UInt16, "abc" into a Double).
 */
export function coerceForWrite(dataType: DataType, value: number | boolean | string, nodeId: string): unknown {
  const typeName = DataType[dataType] ?? `DataType ${dataType}`;
  if (dataType === DataType.Boolean) {
    if (typeof value === 'boolean') return value;
    if (value === 0 || value === 1) return value === 1;
    if (typeof value === 'string' && /^(true|false)$/i.test(value.trim())) return value.trim().toLowerCase() === 'true';
    throw new InputError('not a boolean', `${nodeId} is Boolean: cannot write ${JSON.stringify(value)}`, nodeId);
  }
  if (dataType === DataType.String) return String(value);
  if (dataType === DataType.Float || dataType === DataType.Double) return toNumber(value, nodeId, typeName);
  const range = integerRanges[dataType];
  if (range) {
    const n = toNumber(value, nodeId, typeName);
    if (!Number.isInteger(n) || n < range[0] || n > range[1]) {
      throw new InputError('out of range', `${nodeId} is ${typeName} (${range[0]}..${range[1]}, whole numbers): cannot write ${n}`, nodeId);
    }
    return n;
  }
  throw new InputError('unsupported type', `${nodeId} is ${typeName}: TwinLoop writes only numbers, booleans and text`, nodeId);
}
