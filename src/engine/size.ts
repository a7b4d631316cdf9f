/**
 * A cheap estimate of a record value's encoded size, for byte limits, byte rates and progress when neither the sink
 * (`sizeOf`) nor the source (`sizeBytes`) says. Roughly the size of its JSON form; exactness is the sink's job.
 */
import { Decimal, TypedSet } from '../core/record.js';

export function estimateSize(v: unknown, depth = 0): number {
  if (v === null || v === undefined) return 4;
  switch (typeof v) {
    case 'string':
      return Buffer.byteLength(v, 'utf8') + 2;
    case 'number':
    case 'bigint':
      return 8;
    case 'boolean':
      return 5;
    case 'object':
      break;
    default:
      return 8;
  }
  if (depth > 64) return 8; // cycles or absurd nesting: the sink will have its own opinion
  if (v instanceof Uint8Array) return Math.ceil((v.byteLength * 4) / 3) + 2;
  if (v instanceof Date) return 26;
  if (v instanceof Decimal) return v.text.length;
  if (v instanceof TypedSet) return v.values.reduce<number>((n, x) => n + estimateSize(x, depth + 1) + 1, 2);
  if (Array.isArray(v)) return v.reduce<number>((n, x) => n + estimateSize(x, depth + 1) + 1, 2);
  let n = 2;
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) n += Buffer.byteLength(k, 'utf8') + 3 + estimateSize(x, depth + 1);
  return n;
}
