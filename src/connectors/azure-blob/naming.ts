/**
 * Pure helpers of the Azure Blob store: metadata names and values, listing order, listing ranges, block ids.
 *
 * ## Metadata names
 * Azure metadata names must be C# identifiers (letters, digits, `_`; not starting with a digit) and are
 * case-insensitive; S3 and GCS names are free-form (S3's are lower-case, often with dashes). ferry stores a name
 * as follows and reads it back exactly, so names round-trip through Azure unchanged:
 *
 * | name given (lower-case)                                   | stored in Azure                    | read back          |
 * | --------------------------------------------------------- | ---------------------------------- | ------------------ |
 * | an identifier without `__` (`ferry_source_md5`, `hdi_x`)  | as is                              | as is              |
 * | letters/digits/`_` with single dashes (`original-name`)   | each `-` as `__` (`original__name`)| `original-name`    |
 * | anything else (`Big.Name`, `ü`, `2fa`, `a--b`, `a__b`)    | `___` + bytes, [a-z0-9] as is,     | the name given     |
 * |                                                           | others `_` + 2 hex (`___2fa`)      |                    |
 *
 * The three stored forms cannot be confused: the first has no run of two underscores, the second has runs of
 * exactly one or two, the third starts with three. A stored name that is not in the form ferry would have written
 * (a blob written by another tool) is read as is, lower-cased: `my_key` stays `my_key`; a foreign `my__key` reads as
 * `my-key` (the one ambiguity, and writing `my-key` back stores `my__key` again).
 *
 * ## Metadata values
 * HTTP headers carry ASCII only. A value with other characters, leading or trailing white space (HTTP trims it), or
 * that already looks like an encoded word, is stored as an RFC 2047 encoded word `=?UTF-8?B?<base64>?=` (as S3 does
 * for non-ASCII metadata) and decoded when read.
 *
 * ## Listing order
 * Azure (and Azurite) list blobs in the order of their names' UTF-16 code units (blobfile/blobfile#238 found this by
 * writing a blob for every Unicode character; Azurite sorts with JavaScript's `<`). ferry's contract is UTF-8 byte
 * order, i.e. code point order. The two differ only where one name has a character beyond U+FFFF (a surrogate pair,
 * D800–DFFF) and the other one of U+E000–U+FFFF at the same place: UTF-16 puts the astral character first.
 * `Utf8Reorder` turns the listing into UTF-8 order, holding back only names with an astral character until the
 * listing has left the prefix before that character (see there).
 */
import { compareNames } from '../../core/object.js';

// ---------------------------------------------------------------------------------------------------------------
// metadata names

const IDENT = /^[a-z_][a-z0-9_]*$/;
const DASHED = /^[a-z][a-z0-9_-]*$/;

/** An Azure metadata name (a C# identifier) for a metadata name of any store; see the table above. */
export function encodeMetadataName(name: string): string {
  if (IDENT.test(name) && !name.includes('__')) return name;
  if (DASHED.test(name) && !/--|-_|_-|__/.test(name)) return name.replace(/-/g, '__');
  let out = '___';
  for (const byte of Buffer.from(name, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[a-z0-9]/.test(c) ? c : `_${byte.toString(16).padStart(2, '0')}`;
  }
  return out;
}

/** The metadata name ferry wrote as `stored` (any case); a name ferry would not have written comes back as is, lower-cased. */
export function decodeMetadataName(stored: string): string {
  const s = stored.toLowerCase();
  let decoded: string | undefined;
  if (s.startsWith('___')) {
    const m = /^___((?:[a-z0-9]|_[0-9a-f]{2})*)$/.exec(s);
    if (m) {
      const bytes: number[] = [];
      const body = m[1] ?? '';
      for (let i = 0; i < body.length; ) {
        if (body[i] === '_') {
          bytes.push(parseInt(body.slice(i + 1, i + 3), 16));
          i += 3;
        } else {
          bytes.push(body.charCodeAt(i));
          i += 1;
        }
      }
      decoded = Buffer.from(bytes).toString('utf8');
    }
  } else if (s.includes('__')) {
    decoded = s.replace(/__/g, '-');
  }
  return decoded !== undefined && encodeMetadataName(decoded) === s ? decoded : s;
}

const ENCODED_WORD = /^=\?utf-8\?b\?([A-Za-z0-9+/]*={0,2})\?=$/i;

/** A header-safe metadata value: ASCII as is, anything else as an RFC 2047 encoded word. */
export function encodeMetadataValue(value: string): string {
  if (/^[\x20-\x7e]*$/.test(value) && !/^\s|\s$/.test(value) && !ENCODED_WORD.test(value)) return value;
  return `=?UTF-8?B?${Buffer.from(value, 'utf8').toString('base64')}?=`;
}

export function decodeMetadataValue(stored: string): string {
  const m = ENCODED_WORD.exec(stored);
  return m ? Buffer.from(m[1] ?? '', 'base64').toString('utf8') : stored;
}

export function encodeMetadata(metadata: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(metadata)) out[encodeMetadataName(k)] = encodeMetadataValue(v);
  return out;
}

export function decodeMetadata(metadata: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (metadata) for (const [k, v] of Object.entries(metadata)) out[decodeMetadataName(k)] = decodeMetadataValue(v);
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// listing order

/** Index of the first UTF-16 surrogate in `name` (the start of its first character beyond U+FFFF), or -1. */
export function firstSurrogate(name: string): number {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) return i;
  }
  return -1;
}

/** UTF-16 code unit order: the order in which Azure lists. */
export function compareUtf16(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Turns names arriving in UTF-16 order into UTF-8 (code point) order, one listing at a time.
 *
 * A name without surrogates is never preceded in UTF-8 order by a name that comes later in UTF-16 order, so it is
 * released as soon as everything before it is. A name X whose first astral character sits after the prefix P can be
 * preceded (in UTF-8) by later names P + (U+E000–U+FFFF)…, which Azure lists after every P + astral name; X is
 * released once the listing has moved past all names that start with P. Memory is the number of names held:
 * the astral names under the current P, usually none. Past `maxHeld`, `push` throws (the caller names the prefix).
 */
export class Utf8Reorder<T> {
  private held: { name: string; risk: number; item: T }[] = [];

  constructor(readonly maxHeld = 100_000) {}

  get size(): number {
    return this.held.length;
  }

  /** Adds the next name of the listing; returns the items now safe to emit, in UTF-8 order. */
  push(name: string, item: T): T[] {
    const entry = { name, risk: firstSurrogate(name), item };
    // Binary search for the UTF-8 position; usually the end.
    let lo = 0;
    let hi = this.held.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareNames(this.held[mid]!.name, name) <= 0) lo = mid + 1;
      else hi = mid;
    }
    this.held.splice(lo, 0, entry);
    const out: T[] = [];
    while (this.held.length > 0) {
      const front = this.held[0]!;
      if (front.risk >= 0 && name.startsWith(front.name.slice(0, front.risk))) break;
      out.push(front.item);
      this.held.shift();
    }
    if (this.held.length > this.maxHeld) {
      const front = this.held[0]!;
      throw new Utf8ReorderOverflow(front.name.slice(0, front.risk), this.held.length);
    }
    return out;
  }

  /** The listing ended: everything held, in UTF-8 order. */
  flush(): T[] {
    const out = this.held.map((e) => e.item);
    this.held = [];
    return out;
  }
}

export class Utf8ReorderOverflow extends Error {
  constructor(
    readonly prefix: string,
    readonly held: number,
  ) {
    super(`more than ${held - 1} names with a character beyond U+FFFF after the prefix ${JSON.stringify(prefix)}`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// listing ranges

/** The longest common prefix of two names, whole code points only (never half a surrogate pair). */
export function commonPrefix(a: string, b: string): string {
  let i = 0;
  while (i < a.length && i < b.length && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  // Do not end between the two halves of a pair.
  if (i > 0 && i < a.length) {
    const last = a.charCodeAt(i - 1);
    if (last >= 0xd800 && last <= 0xdbff) i--;
  }
  return a.slice(0, i);
}

export interface ListingPlan {
  /** The prefix to ask Azure for. */
  prefix: string;
  /** Azure's `startFrom` (inclusive, in Azure's UTF-16 order), when it is safe to send. */
  startFrom?: string;
  /** The range is empty: ask nothing. */
  empty: boolean;
}

/**
 * What to ask Azure for a listing of `prefix` ∩ (startAfter, endBefore) in UTF-8 order.
 *
 * - Every name strictly between two names starts with their common prefix, so with both bounds the prefix narrows to
 *   the longer of `prefix` and that common prefix (none if neither starts with the other: the range is empty).
 * - `startFrom` (List Blobs, service version 2026-02-06 and later; inclusive) lets Azure skip names before
 *   `startAfter`. It compares in UTF-16 order, which puts some names that are after `startAfter` in UTF-8 order before
 *   it (an astral character where `startAfter` has one of U+E000–U+FFFF), so ferry sends `startAfter` cut before
 *   its first character in U+E000–U+FFFF: every name after `startAfter` in UTF-8 order is at or after that cut in
 *   UTF-16 order. Servers that ignore `startFrom` (Azurite 3.35) list from the start of the prefix; ferry skips names
 *   up to `startAfter` itself in any case.
 */
export function listingPlan(prefix: string, startAfter?: string, endBefore?: string): ListingPlan {
  let p = prefix;
  if (startAfter !== undefined && endBefore !== undefined) {
    if (compareNames(startAfter, endBefore) >= 0) return { prefix, empty: true };
    const common = commonPrefix(startAfter, endBefore);
    if (common.startsWith(p)) p = common;
    else if (!p.startsWith(common)) return { prefix, empty: true };
  }
  // Names with the prefix are ≥ the prefix, and all before any name past them that does not start with it.
  if (endBefore !== undefined && compareNames(p, endBefore) >= 0) return { prefix: p, empty: true };
  if (startAfter !== undefined && !startAfter.startsWith(p) && compareNames(startAfter, p) > 0) return { prefix: p, empty: true };
  let startFrom: string | undefined;
  if (startAfter !== undefined && startAfter.startsWith(p)) {
    let cut = startAfter.length;
    for (let i = 0; i < startAfter.length; i++) {
      if (startAfter.charCodeAt(i) >= 0xe000) {
        cut = i;
        break;
      }
    }
    const from = startAfter.slice(0, cut);
    if (from.length > p.length) startFrom = from;
  }
  return { prefix: p, empty: false, ...(startFrom !== undefined ? { startFrom } : {}) };
}

// ---------------------------------------------------------------------------------------------------------------
// blocks and hashes

/** Azure's most blocks in one blob. */
export const MAX_BLOCKS = 50_000;
export const MIB = 1024 * 1024;

/**
 * Block size for a blob of `size` bytes: the configured part size, or larger (whole MiB) when 50,000 parts would
 * not hold the blob.
 */
export function blockSizeFor(size: number, partSizeBytes: number): number {
  if (size <= partSizeBytes * MAX_BLOCKS) return partSizeBytes;
  return Math.ceil(size / MAX_BLOCKS / MIB) * MIB;
}

/**
 * Block ids of one upload: base64 of `<16 hex of the upload>-<6-digit index>`, 23 bytes, so every id of every ferry
 * upload has the same length (Azure refuses ids of different lengths on one blob, even across uploads whose blocks
 * were left uncommitted), and two uploads of the same name never share an id.
 */
export function blockId(uploadId: string, index: number): string {
  return Buffer.from(`${uploadId}-${String(index).padStart(6, '0')}`, 'utf8').toString('base64');
}

export function md5HexOf(bytes: Uint8Array | undefined): string | undefined {
  return bytes && bytes.length === 16 ? Buffer.from(bytes).toString('hex') : undefined;
}

export function isMd5Hex(s: string): boolean {
  return /^[0-9a-f]{32}$/i.test(s);
}

/** An ETag without its quotes. */
export function unquote(etag: string | undefined): string | undefined {
  return etag === undefined ? undefined : etag.replace(/^"(.*)"$/, '$1');
}

// ---------------------------------------------------------------------------------------------------------------
// Blob names that Azure cannot hold byte for byte

/**
 * Why Azure Blob cannot store `name` under exactly that name, or undefined when it can. A blob's name is its URL path,
 * and every URL client resolves `.` and `..` segments (the WHATWG URL parser also treats `%2e` as a dot, so no escape
 * avoids it): `k/../x` would be written to `x`, outside the target prefix. Azure turns `\` into `/`, and control
 * characters cannot be listed back (Azure's docs advise against both; Azurite's listing fails with a 500).
 */
export function azureNameProblem(name: string): string | undefined {
  const segment = name.split('/').find((s) => s === '.' || s === '..');
  if (segment !== undefined) {
    return `Azure Blob cannot hold the name ${JSON.stringify(name)}: URL clients resolve its "${segment}" path segment, so the blob would be written under another name`;
  }
  if (name.includes('\\')) return `Azure Blob cannot hold the name ${JSON.stringify(name)}: Azure turns "\\" into "/"`;
  // eslint-disable-next-line no-control-regex
  const control = /[\u0000-\u001f\u007f]/.exec(name);
  if (control) {
    const hex = control[0].charCodeAt(0).toString(16).padStart(4, '0');
    return `Azure Blob cannot hold the name ${JSON.stringify(name)}: it has the control character U+${hex}, which Azure listings cannot return`;
  }
  return undefined;
}

/**
 * The blob name a request to `blobUrl` addresses (its path below the container's, percent-decoded), to prove that what
 * the SDK sends is the name ferry meant. Undefined when the URL is not below the container.
 */
export function addressedName(blobUrl: string, containerUrl: string): string | undefined {
  const base = new URL(containerUrl).pathname.replace(/\/+$/, '') + '/';
  const path = new URL(blobUrl).pathname;
  if (!path.startsWith(base)) return undefined;
  try {
    return decodeURIComponent(path.slice(base.length));
  } catch {
    return undefined;
  }
}
