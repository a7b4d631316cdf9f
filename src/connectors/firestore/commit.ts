/**
 * The sink's writes as the Commit RPC takes them (gapic.ts sends them). The SDK's own write paths cannot be used:
 * `WriteBatch.commit()` and `BulkWriter` both have gax retry RESOURCE_EXHAUSTED and UNAVAILABLE for up to ten
 * minutes (the client config of Commit and BatchWrite), so a throttled job would stall silently instead of slowing
 * down while ferry's engine, which owns retries, waits.
 *
 * Values arrive in the SDK's form (marshal.ts `toSdkData`: null, boolean, number, bigint, string, Uint8Array,
 * Timestamp, arrays, plain maps) and are encoded as the SDK's serializer encodes them: a safe integer other than -0
 * as integerValue, any other number as doubleValue. `create` carries the `exists: false` precondition; a merge the
 * field mask of every leaf of the data (an empty map is a leaf), as `set(…, { merge: true })` does.
 */
import { Timestamp } from '@google-cloud/firestore';
import { FerryError } from '../../errors.js';
import { isPlainObject } from './marshal.js';

export type Op = 'set' | 'create' | 'merge';

/** One document write, its data in the SDK's form. */
export interface CommitWrite {
  op: Op;
  /** Document path relative to the database (`artists/1`). */
  path: string;
  data: Record<string, unknown>;
}

/** How one batch is committed; tests replace it to see each batch and inject what the emulator never does. */
export type Committer = (writes: readonly CommitWrite[]) => Promise<void>;

type ProtoValue = Record<string, unknown>;

export function encodeValue(v: unknown): ProtoValue {
  if (v === null || v === undefined) return { nullValue: 'NULL_VALUE' };
  switch (typeof v) {
    case 'string':
      return { stringValue: v };
    case 'boolean':
      return { booleanValue: v };
    case 'number':
      return Number.isSafeInteger(v) && !Object.is(v, -0) ? { integerValue: String(v) } : { doubleValue: v };
    case 'bigint':
      return { integerValue: v.toString() };
    default:
      break;
  }
  if (v instanceof Timestamp) return { timestampValue: { seconds: String(v.seconds), nanos: v.nanoseconds } };
  if (v instanceof Uint8Array) return { bytesValue: Buffer.from(v.buffer, v.byteOffset, v.byteLength) };
  if (Array.isArray(v)) return { arrayValue: { values: v.map(encodeValue) } };
  if (isPlainObject(v)) return { mapValue: { fields: encodeFields(v) } };
  throw new FerryError('ITEM_REJECTED', `a value Firestore cannot hold: ${Object.prototype.toString.call(v)}`);
}

export function encodeFields(data: Record<string, unknown>): Record<string, ProtoValue> {
  const out: Record<string, ProtoValue> = {};
  for (const [k, v] of Object.entries(data)) if (v !== undefined) out[k] = encodeValue(v);
  return out;
}

const SIMPLE_SEGMENT = /^[_a-zA-Z][_a-zA-Z0-9]*$/;

/** A field path as Firestore's masks write it: segments joined by `.`, each quoted in backticks unless simple. */
export function fieldPath(segments: readonly string[]): string {
  return segments.map((s) => (SIMPLE_SEGMENT.test(s) ? s : `\`${s.replace(/\\/g, '\\\\').replace(/`/g, '\\`')}\``)).join('.');
}

/** The mask of `set(…, { merge: true })`: every leaf of the data; a non-empty map stands for its fields. */
export function mergeMask(data: Record<string, unknown>, prefix: readonly string[] = []): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(data)) {
    if (v === undefined) continue;
    const path = [...prefix, k];
    if (isPlainObject(v) && Object.keys(v).length > 0) out.push(...mergeMask(v, path));
    else out.push(fieldPath(path));
  }
  return out;
}

export function toWrite(documents: string, w: CommitWrite): Record<string, unknown> {
  const update = { name: `${documents}/${w.path}`, fields: encodeFields(w.data) };
  if (w.op === 'create') return { update, currentDocument: { exists: false } };
  if (w.op === 'merge') return { update, updateMask: { fieldPaths: mergeMask(w.data) } };
  return { update };
}

/** Commits over one GAPIC client; `database` is `projects/P/databases/D` (the project may be resolved lazily). */
