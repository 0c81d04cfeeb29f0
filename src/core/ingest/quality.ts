/**
 * Raw quality -> 'good' | 'uncertain' | 'bad'. Never throws: anything unrecognised is
 * 'uncertain', because a value of unknown quality should be neither trusted nor dropped.
 *
 *   undefined / null                 -> good (most MQTT senders state no quality)
 *   text: "ok", or starting with good / uncertain / bad in any case
 *         ("GOOD", "Good_NoData", "BadNodeIdUnknown")
 *   true -> good, false -> bad
 *   numbers 0 .. 65535 (also as digit text): OPC-DA / Sparkplug style quality, judged on
 *         the low byte: >= 192 good, 64..191 uncertain, < 64 bad. So 0 is BAD here.
 *   numbers 65536 .. 2^32-1: an OPC UA StatusCode, severity from the top two bits
 *         (code >>> 30: 0 good, 1 uncertain, 2 and 3 bad). Negative int32 values (a
 *         StatusCode read as signed) are taken as their unsigned bit pattern.
 *   objects {value: number} (node-opcua StatusCode) -> always the OPC UA rule, so
 *         {value: 0} (StatusCodes.Good) is good; objects {name: string} -> the text rule.
 */
import type { Quality } from './sample';

const OPC_DA_LIMIT = 0x10000;
const DIGITS = /^\d{1,10}$/;

export function parseQuality(raw: unknown): Quality {
  try {
    return judge(raw);
  } catch {
    return 'uncertain'; // e.g. a throwing getter on a foreign object
  }
}

function judge(raw: unknown): Quality {
  switch (typeof raw) {
    case 'undefined':
      return 'good';
    case 'boolean':
      return raw ? 'good' : 'bad';
    case 'string':
      return fromText(raw);
    case 'number':
      return fromNumber(raw);
    case 'bigint':
      return raw >= -0x80000000n && raw <= 0xffffffffn ? fromNumber(Number(raw)) : 'uncertain';
    case 'object': {
      if (raw === null) return 'good';
      if (Array.isArray(raw) || ArrayBuffer.isView(raw)) return 'uncertain';
      const shaped = raw as { value?: unknown; name?: unknown };
      const value = shaped.value;
      if (typeof value === 'number') return fromStatusCode(value);
      const name = shaped.name;
      if (typeof name === 'string') return fromText(name);
      return 'uncertain';
    }
    default:
      return 'uncertain';
  }
}

function fromText(raw: string): Quality {
  if (raw.length > 128) return 'uncertain';
  const text = raw.trim().toLowerCase();
  if (text === 'ok' || text.startsWith('good')) return 'good';
  if (text.startsWith('uncertain')) return 'uncertain';
  if (text.startsWith('bad')) return 'bad';
  if (DIGITS.test(text)) return fromNumber(Number(text));
  return 'uncertain';
}

function fromNumber(code: number): Quality {
  if (!Number.isInteger(code)) return 'uncertain';
  if (code >= 0 && code < OPC_DA_LIMIT) {
    const low = code & 0xff;
    return low >= 192 ? 'good' : low >= 64 ? 'uncertain' : 'bad';
  }
  return fromStatusCode(code);
}

function fromStatusCode(code: number): Quality {
  if (!Number.isInteger(code) || code < -0x80000000 || code > 0xffffffff) return 'uncertain';
  const severity = (code >>> 0) >>> 30;
  return severity === 0 ? 'good' : severity === 1 ? 'uncertain' : 'bad';
}
