/**
 * PostgreSQL date/time text (DateStyle ISO, which every session of ours sets) → the neutral `TimeValue`.
 *
 * The work is done on the text, never through a JS Date: Postgres keeps microseconds and years from 4713 BC to
 * 294276 AD, a Date keeps milliseconds and ±275760 years. `timestamp without time zone` has no zone to convert from,
 * so it is taken as UTC (its wall-clock digits are kept and marked `Z`); `timestamp with time zone` is converted to
 * UTC from the offset PostgreSQL prints. `infinity` / `-infinity` have no ISO form and stay those strings.
 */
import { TimeValue } from '../../core/record.js';

const DATE = /^(\d{4,})-(\d{2})-(\d{2})( BC)?$/;
// `2024-01-31 12:00:00.123456`, `+05:30`-style offsets (seconds too, for local mean time before 1900), then ` BC`.
const STAMP = /^(\d{4,})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:([+-])(\d{2})(?::(\d{2}))?(?::(\d{2}))?)?( BC)?$/;
const TIMETZ = /^(\d{2}:\d{2}:\d{2}(?:\.\d+)?)([+-])(\d{2})(?::(\d{2}))?(?::(\d{2}))?$/;

/** Astronomical year (1 BC is year 0) in ISO-8601 form: 4 digits, or a sign and 6 digits outside 0000–9999. */
function isoYear(year: number): string {
  if (year >= 0 && year <= 9999) return String(year).padStart(4, '0');
  return (year < 0 ? '-' : '+') + String(Math.abs(year)).padStart(6, '0');
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm; exact for any year). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function civilFromDays(z: number): [number, number, number] {
  const zz = z + 719468;
  const era = Math.floor(zz / 146097);
  const doe = zz - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp + (mp < 10 ? 3 : -9);
  return [era * 400 + yoe + (m <= 2 ? 1 : 0), m, d];
}

function astronomical(yearText: string, bc: string | undefined): number {
  const y = Number(yearText);
  return bc ? 1 - y : y;
}

/** `date` text → TimeValue('date'), or the string `infinity` / `-infinity`. */
export function parseDate(text: string): TimeValue | string {
  const m = DATE.exec(text);
  if (!m) return text; // infinity, -infinity (or a DateStyle we did not set: keep the text rather than guess)
  return new TimeValue('date', `${isoYear(astronomical(m[1]!, m[4]))}-${m[2]}-${m[3]}`);
}

/** `timestamp` / `timestamptz` text → TimeValue('timestamp') in UTC with `Z`, or `infinity` / `-infinity`. */
export function parseTimestamp(text: string): TimeValue | string {
  const m = STAMP.exec(text);
  if (!m) return text;
  let year = astronomical(m[1]!, m[12]);
  let month = Number(m[2]);
  let day = Number(m[3]);
  let secs = Number(m[4]) * 3600 + Number(m[5]) * 60 + Number(m[6]);
  const fraction = m[7] ?? '';
  if (m[8]) {
    const offset = Number(m[9]) * 3600 + Number(m[10] ?? 0) * 60 + Number(m[11] ?? 0);
    secs -= m[8] === '-' ? -offset : offset;
    if (secs < 0 || secs >= 86400) {
      const shift = Math.floor(secs / 86400);
      secs -= shift * 86400;
      [year, month, day] = civilFromDays(daysFromCivil(year, month, day) + shift);
    }
  }
  const hh = Math.floor(secs / 3600);
  const mi = Math.floor((secs % 3600) / 60);
  const ss = secs % 60;
  return new TimeValue('timestamp', `${isoYear(year)}-${pad2(month)}-${pad2(day)}T${pad2(hh)}:${pad2(mi)}:${pad2(ss)}${fraction}Z`);
}

/** `time` / `timetz` text → TimeValue('time'); offsets written in full (`+05` → `+05:00`). */
export function parseTime(text: string): TimeValue {
  const m = TIMETZ.exec(text);
  if (!m) return new TimeValue('time', text);
  return new TimeValue('time', `${m[1]}${m[2]}${m[3]}:${m[4] ?? '00'}${m[5] ? `:${m[5]}` : ''}`);
}
