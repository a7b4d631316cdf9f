/**
 * JSON text → neutral values without silent precision loss. `JSON.parse` turns 12345678901234567890 into
 * 12345678901234567000 and 1e400 into Infinity; a migration must not. Numbers a double holds exactly (by value, as
 * its shortest decimal form) stay JS numbers; any other number literal becomes a `Decimal` with its own text.
 *
 * The slow path is `JSON.parse` with a reviver that reads each number's source text (JSON.parse source text access,
 * in V8 since Node 22). It runs only when the text holds something that might not fit: a run of 16+ digits (a double
 * keeps 15 significant digits for certain) or an exponent. Everything else goes through plain `JSON.parse`, which is
 * faster without a reviver.
 */
import { Decimal, type Value } from '../../core/record.js';
import { FerryError } from '../../errors.js';

const MAYBE_INEXACT = /\d{16}|[\d.]{17}|\d[eE]/;

export function parseJsonExact(text: string): Value {
  if (!MAYBE_INEXACT.test(text)) return JSON.parse(text) as Value;
  return JSON.parse(text, exactReviver) as Value;
}

/** The context argument of a reviver: `source` is the literal text of a primitive value. */
interface ReviverContext {
  source?: string;
}

function exactReviver(this: unknown, _key: string, value: unknown, context?: ReviverContext): unknown {
  if (typeof value !== 'number') return value;
  if (context?.source === undefined) {
    throw new FerryError('INTERNAL', `this Node.js (${process.versions.node}) gives JSON revivers no source text; ferry needs Node.js 22 or newer`);
  }
  return exactNumber(context.source);
}

/** `digits` without leading/trailing zeros and the power of ten of its last digit: 1.50e2 → ['15', 1]. */
function decimalParts(literal: string): [string, number] {
  const m = /^-?(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(literal);
  if (!m) return [literal, 0];
  const frac = m[2] ?? '';
  let digits = (m[1]! + frac).replace(/^0+/, '');
  let exp = Number(m[3] ?? 0) - frac.length;
  const trimmed = digits.replace(/0+$/, '');
  exp += digits.length - trimmed.length;
  digits = trimmed;
  return digits === '' ? ['0', 0] : [digits, exp];
}

/** A JS number when it equals the literal exactly, else a Decimal keeping the literal. */
export function exactNumber(literal: string): number | Decimal {
  const n = Number(literal);
  if (!Number.isFinite(n)) return new Decimal(literal);
  const [a, ea] = decimalParts(literal);
  const [b, eb] = decimalParts(String(Math.abs(n)));
  const sameSign = literal.startsWith('-') === (n < 0 || Object.is(n, -0));
  return a === b && ea === eb && sameSign ? n : new Decimal(literal);
}
