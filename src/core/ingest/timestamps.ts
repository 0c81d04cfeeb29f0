/**
 * Source timestamps -> epoch milliseconds.
 *
 * Accepted: Date; ISO-8601 date-time text ("2024-05-01T12:00:00Z", "2024-05-01 12:00:00.5+02:00";
 * without an offset it is the Node-RED server's local time; a date alone is refused);
 * numbers and numeric text as epoch SECONDS when below 1e11 (fractions kept to the
 * microsecond) and as epoch MILLISECONDS from 1e11 on; bigint the same way.
 * undefined/null -> undefined (the caller uses the receive time).
 *
 * Plausibility rule: a time before 2000-01-01T00:00:00Z or more than 1 day after "now"
 * (the receive time) is refused as 'bad timestamp'. Such times come from unset device
 * clocks (1970), microsecond/nanosecond epochs mistaken for ms, or broken senders; storing
 * them would put samples decades away from their neighbours.
 */
import { InputError } from '../errors';
import { describeValue } from './guards';

export const EARLIEST_TIMESTAMP_MS = Date.UTC(2000, 0, 1);
export const MAX_FUTURE_MS = 24 * 60 * 60 * 1000;
/** Below this a number is epoch seconds (1e11 s is the year 5138; 1e11 ms is 1973). */
export const SECONDS_LIMIT = 1e11;

const ISO_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:(Z)|([+-])(\d{2}):?(\d{2}))?$/i;
const NUMERIC = /^\d{1,20}(?:\.\d{1,9})?$/;

export function parseTimestamp(raw: unknown, origin: string, now: number = Date.now()): number | undefined {
  if (raw === undefined || raw === null) return undefined;
  const reference = Number.isFinite(now) ? now : Date.now();
  let ms: number;
  switch (typeof raw) {
    case 'number':
      ms = fromEpochNumber(raw, raw, origin);
      break;
    case 'bigint':
      if (raw < 0n || raw > BigInt(Number.MAX_SAFE_INTEGER)) throw badTimestamp(raw, 'is not a date', origin);
      ms = fromEpochNumber(Number(raw), raw, origin);
      break;
    case 'string':
      ms = fromText(raw, origin);
      break;
    default:
      if (raw instanceof Date) {
        ms = raw.getTime();
        if (!Number.isFinite(ms)) throw badTimestamp(raw, 'is an invalid Date', origin);
        break;
      }
      throw badTimestamp(raw, 'is not a date', origin);
  }
  if (ms < EARLIEST_TIMESTAMP_MS) throw badTimestamp(raw, 'is before the year 2000', origin);
  if (ms > reference + MAX_FUTURE_MS) throw badTimestamp(raw, 'is more than 1 day in the future', origin);
  return ms + 0;
}

function fromEpochNumber(value: number, raw: unknown, origin: string): number {
  if (!Number.isFinite(value) || value < 0) throw badTimestamp(raw, 'is not a date', origin);
  // Rounding to the microsecond removes binary noise like 1700000000.123 * 1000 = ...123.0002.
  return value < SECONDS_LIMIT ? Math.round(value * 1e6) / 1e3 : value;
}

function fromText(raw: string, origin: string): number {
  const text = raw.trim();
  if (text.length > 40) throw badTimestamp(raw, 'is not a date', origin);
  if (NUMERIC.test(text)) return fromEpochNumber(Number(text), raw, origin);
  const m = ISO_DATE_TIME.exec(text);
  if (!m) throw badTimestamp(raw, 'is not an ISO-8601 date-time', origin);
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const fraction = m[7] === undefined ? 0 : Number(`0.${m[7]}`) * 1000;
  const daysInMonth = month >= 1 && month <= 12 ? new Date(Date.UTC(year, month, 0)).getUTCDate() : 0;
  if (day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 60) {
    throw badTimestamp(raw, 'is not a real date and time', origin);
  }
  if (m[8] !== undefined || m[9] !== undefined) {
    const offsetMinutes = m[9] === undefined ? 0 : (m[9] === '-' ? -1 : 1) * (Number(m[10]) * 60 + Number(m[11]));
    if (Number(m[10]) > 23 || Number(m[11]) > 59) throw badTimestamp(raw, 'has an impossible time zone offset', origin);
    const utc = new Date(0);
    utc.setUTCFullYear(year, month - 1, day);
    utc.setUTCHours(hour, minute, second, 0);
    return Math.round((utc.getTime() + fraction - offsetMinutes * 60_000) * 1000) / 1000;
  }
  const local = new Date(0);
  local.setFullYear(year, month - 1, day);
  local.setHours(hour, minute, second, 0);
  return Math.round((local.getTime() + fraction) * 1000) / 1000;
}

function badTimestamp(raw: unknown, why: string, origin: string): InputError {
  return new InputError('bad timestamp', `timestamp ${describeValue(raw)} ${why}`, origin);
}
