/**
 * Neutral values ⇄ DynamoDB AttributeValues. After `toTarget` a record's values already have their DynamoDB form,
 * so marshalling is one case per type:
 *
 *   null → NULL · boolean → BOOL · string → S · Decimal → N · Uint8Array → B · TypedSet → SS / NS / BS ·
 *   array → L · plain object → M
 *
 * and unmarshalling is its exact inverse (N → Decimal with DynamoDB's canonical text, B → Uint8Array, sets →
 * TypedSet). For robustness the marshaller also takes the neutral types `toTarget` would have converted (number,
 * bigint → N; Date, TimeValue → S ISO-8601), refusing what DynamoDB cannot hold with ITEM_REJECTED.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { Decimal, TimeValue, TypedSet, type Doc, type KeyPart, type Value, isDoc } from '../../core/record.js';
import { FerryError } from '../../errors.js';
import { canonicalNumber } from './number.js';

export type Item = Record<string, AttributeValue>;

function rejected(path: string, why: string): FerryError {
  return new FerryError('ITEM_REJECTED', `attribute ${path}: ${why}`);
}

function numberText(text: string, path: string): string {
  const c = canonicalNumber(text);
  if (!c.ok) throw rejected(path, c.reason);
  return c.text;
}


export function toAttributeValue(v: Value, path: string): AttributeValue {
  if (v === null) return { NULL: true };
  switch (typeof v) {
    case 'boolean':
      return { BOOL: v };
    case 'string':
      return { S: v };
    case 'number':
      if (!Number.isFinite(v)) throw rejected(path, `${v} is not a number DynamoDB can store`);
      return { N: numberText(String(v), path) };
    case 'bigint':
      return { N: numberText(v.toString(), path) };
    default:
      break;
  }
  if (v instanceof Decimal) return { N: numberText(v.text, path) };
  if (v instanceof Uint8Array) return { B: v };
  if (v instanceof Date) {
    if (Number.isNaN(v.getTime())) throw rejected(path, 'invalid date');
    return { S: v.toISOString() };
  }
  if (v instanceof TimeValue) return { S: v.iso };
  if (v instanceof TypedSet) {
    if (v.values.length === 0) throw rejected(path, 'DynamoDB cannot store an empty set');
    if (v.kind === 'string') return { SS: v.values.map((x) => String(x)) };
    if (v.kind === 'number') return { NS: v.values.map((x, i) => numberText(x instanceof Decimal ? x.text : String(x), `${path}[${i}]`)) };
    return {
      BS: v.values.map((x, i) => {
        if (!(x instanceof Uint8Array)) throw rejected(`${path}[${i}]`, 'a binary set holds a value that is not bytes');
        return x;
      }),
    };
  }
  if (Array.isArray(v)) return { L: (v as readonly Value[]).map((x, i) => toAttributeValue(x, `${path}[${i}]`)) };
  if (isDoc(v)) {
    const M: Item = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) M[k] = toAttributeValue(x, `${path}.${k}`);
    return { M };
  }
  throw rejected(path, `a value of type ${(v as object).constructor?.name ?? typeof v} has no DynamoDB form`);
}

export function toItem(doc: Doc): Item {
  const out: Item = {};
  for (const [k, v] of Object.entries(doc)) if (v !== undefined) out[k] = toAttributeValue(v, k);
  return out;
}

export function fromAttributeValue(av: AttributeValue): Value {
  if (av.S !== undefined) return av.S;
  if (av.N !== undefined) return new Decimal(av.N);
  if (av.BOOL !== undefined) return av.BOOL;
  if (av.NULL !== undefined) return null;
  if (av.B !== undefined) return av.B;
  if (av.M !== undefined) return fromItem(av.M);
  if (av.L !== undefined) return av.L.map(fromAttributeValue);
  if (av.SS !== undefined) return new TypedSet('string', [...av.SS]);
  if (av.NS !== undefined) return new TypedSet('number', av.NS.map((n) => new Decimal(n)));
  if (av.BS !== undefined) return new TypedSet('binary', [...av.BS]);
  throw new FerryError('UNSUPPORTED', `DynamoDB attribute value of an unknown type: ${Object.keys(av).join(', ')}`);
}

export function fromItem(item: Item): Doc {
  const out: Doc = {};
  for (const [k, av] of Object.entries(item)) out[k] = fromAttributeValue(av);
  return out;
}

const b64 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
const unb64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));

/** AttributeValue JSON as DynamoDB's own wire format writes it (B and BS in base64), for cursors. */
export function attributeValueToJson(av: AttributeValue): unknown {
  if (av.B !== undefined) return { B: b64(av.B) };
  if (av.BS !== undefined) return { BS: av.BS.map(b64) };
  if (av.M !== undefined) return { M: itemToJson(av.M) };
  if (av.L !== undefined) return { L: av.L.map(attributeValueToJson) };
  return av;
}

export function attributeValueFromJson(j: unknown): AttributeValue {
  const o = j as Record<string, unknown>;
  if (typeof o['B'] === 'string') return { B: unb64(o['B']) };
  if (Array.isArray(o['BS'])) return { BS: (o['BS'] as string[]).map(unb64) };
  if (o['M'] && typeof o['M'] === 'object') return { M: itemFromJson(o['M']) };
  if (Array.isArray(o['L'])) return { L: (o['L'] as unknown[]).map(attributeValueFromJson) };
  return o as unknown as AttributeValue;
}

export function itemToJson(item: Item): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(item)) out[k] = attributeValueToJson(v);
  return out;
}

export function itemFromJson(j: unknown): Item {
  const out: Item = {};
  for (const [k, v] of Object.entries(j as Record<string, unknown>)) out[k] = attributeValueFromJson(v);
  return out;
}

/**
 * A key attribute's value as a record key part: S → the string; N → a number when it is a safe integer, a bigint
 * for a larger integer, else its decimal text; B → base64. `toTarget` and the source use this same function, so a
 * target key and the key read back are equal.
 */
export function keyPartOf(av: AttributeValue): KeyPart {
  if (av.S !== undefined) return av.S;
  if (av.N !== undefined) return numberKeyPart(av.N);
  if (av.B !== undefined) return b64(av.B);
  return null;
}

export function numberKeyPart(text: string): KeyPart {
  if (/^-?\d+$/.test(text)) {
    const n = Number(text);
    return Number.isSafeInteger(n) ? n : BigInt(text);
  }
  return text;
}

/** Stable text of an item's key attributes, for de-duplication and for matching UnprocessedItems. */
export function itemKeyText(item: Item, names: readonly string[]): string {
  return JSON.stringify(names.map((n) => {
    const av = item[n];
    return av === undefined ? null : attributeValueToJson(av);
  }));
}
