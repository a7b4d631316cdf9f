/**
 * Dead letters: an item the target refused for good, kept with its reason so an operator can fix and replay it.
 * The payload is the item as handed to the sink (after mapping), as JSON text that survives bigint, bytes, Decimal,
 * Date and typed sets, truncated so one giant item cannot bloat the state database.
 */
import { MAX_DEAD_LETTER_PAYLOAD, type DeadLetter } from '../core/checkpoint.js';
import { Decimal, keyText, TypedSet, type FerryRecord } from '../core/record.js';
import { redact } from '../errors.js';

function replacer(this: unknown, k: string, v: unknown): unknown {
  // JSON.stringify has already called toJSON (Date, Buffer) by the time we see `v`; the holder has the original.
  const original = (this as Record<string, unknown>)[k];
  if (typeof original === 'bigint') return { $bigint: original.toString() };
  if (original instanceof Uint8Array) return { $bytes: Buffer.from(original).toString('base64') };
  if (original instanceof Decimal) return { $decimal: original.text };
  if (original instanceof TypedSet) return { $set: original.kind, values: original.values };
  if (original instanceof Date) return Number.isNaN(original.getTime()) ? null : original.toISOString();
  return v;
}

export function payloadText(value: unknown, max = MAX_DEAD_LETTER_PAYLOAD): string | undefined {
  let text: string | undefined;
  try {
    text = JSON.stringify(value, replacer);
  } catch {
    return undefined; // a cycle or an exotic value: the key and reason are still recorded
  }
  if (text === undefined) return undefined;
  return text.length > max ? `${text.slice(0, max)}…(truncated, ${text.length} chars)` : text;
}

export function toDeadLetter(stream: string, record: FerryRecord, reason: string): DeadLetter {
  const payload = payloadText(record.value);
  return { stream, key: keyText(record.key), reason: redact(reason), ...(payload === undefined ? {} : { payload }) };
}
