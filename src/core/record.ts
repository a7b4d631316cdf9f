/**
 * The store-neutral record that flows from a source, through mapping, to a sink.
 *
 * `key` is the record's identity in the canonical text form used by dead letters, verification reports and
 * de-duplication (see `keyText`). `value` is the payload: for document stores a `Doc`, for object stores an object
 * descriptor; the engine never looks inside it.
 */
import { isPlainObject } from '../util/plain-object.js';

export interface FerryRecord<V = unknown> {
  /** Identity of the record: ordered key parts, e.g. { invoice_id: 42 } or { pk: 'A', sk: 'B' }. */
  key: RecordKey;
  value: V;
  /** Approximate encoded size; the batch writer uses it for byte limits and the rate limiter for byte rates. */
  sizeBytes?: number;
}

export type KeyPart = string | number | bigint | boolean | null;
export type RecordKey = Readonly<Record<string, KeyPart>>;

/** Canonical text of a key: `name=value` pairs joined by `, ` in the key's own order. Stable and human-readable. */
export function keyText(key: RecordKey): string {
  return Object.entries(key)
    .map(([k, v]) => `${k}=${v === null ? 'null' : String(v)}`)
    .join(', ');
}

/** Exact decimal number kept as text so it never passes through a JS float (Postgres numeric, DynamoDB N). */
export class Decimal {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
  toJSON(): string {
    return this.text;
  }
}

/** A typed set (DynamoDB SS/NS/BS); kept distinct from lists so a round trip can restore it. */
export class TypedSet {
  constructor(
    readonly kind: 'string' | 'number' | 'binary',
    readonly values: readonly (string | Decimal | Uint8Array)[],
  ) {}
}

/**
 * A date, time or timestamp with its full precision (Postgres keeps microseconds; a JS Date keeps milliseconds).
 * `iso` is ISO-8601: `date` → `2024-01-31`; `timestamp` → UTC with a `Z` and 0–6 fractional digits
 * (`2024-01-31T12:00:00.123456Z`); `time` → `12:00:00[.ffffff][±hh:mm]`.
 */
export class TimeValue {
  constructor(
    readonly kind: 'date' | 'time' | 'timestamp',
    readonly iso: string,
  ) {}
  toJSON(): string {
    return this.iso;
  }
}

/** Store-neutral document values. Instants are Date (ms precision) or TimeValue (full precision); bytes are Uint8Array. */
export type Value =
  | null
  | boolean
  | string
  | number
  | bigint
  | Decimal
  | Date
  | TimeValue
  | Uint8Array
  | TypedSet
  | readonly Value[]
  | { readonly [field: string]: Value };

export type Doc = { [field: string]: Value };

/** A neutral record's map (`Doc`): a plain object, not an array, a Date, bytes or a value class. */
export function isDoc(v: unknown): v is Doc {
  return isPlainObject(v);
}
