import { describe, expect, it } from 'vitest';
import { compareNames } from '../../../src/core/object.js';
import {
  blockId,
  blockSizeFor,
  commonPrefix,
  compareUtf16,
  decodeMetadata,
  decodeMetadataName,
  decodeMetadataValue,
  encodeMetadata,
  encodeMetadataName,
  encodeMetadataValue,
  listingPlan,
  MAX_BLOCKS,
  MIB,
  Utf8Reorder,
  Utf8ReorderOverflow,
} from '../../../src/connectors/azure-blob/naming.js';

/** A C# identifier, as Azure wants metadata names. */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Deterministic pseudo-random numbers, so a failure can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function randomName(next: () => number, alphabet: readonly string[], maxLen: number): string {
  const len = 1 + Math.floor(next() * maxLen);
  let s = '';
  for (let i = 0; i < len; i++) s += alphabet[Math.floor(next() * alphabet.length)];
  return s;
}

describe('metadata names', () => {
  it.each([
    ['ferry_source_md5', 'ferry_source_md5'],
    ['hdi_isfolder', 'hdi_isfolder'],
    ['_private', '_private'],
    ['original-filename', 'original__filename'],
    ['ferry-md5', 'ferry__md5'],
    ['x-a_b', 'x__a_b'],
    ['trailing-', 'trailing__'],
    ['a--b', '___a_2d_2db'],
    ['a__b', '___a_5f_5fb'],
    ['-lead', '____2dlead'],
    ['2fa', '___2fa'],
    ['big.name', '___big_2ename'],
    ['Mixed', '____4dixed'],
    ['zoë', '___zo_c3_ab'],
  ])('%s is stored as %s and read back', (name, stored) => {
    expect(encodeMetadataName(name)).toBe(stored);
    expect(stored).toMatch(IDENTIFIER);
    expect(decodeMetadataName(stored)).toBe(name);
    // Azure's names are case-insensitive and HEAD responses come back lower-cased: ferry's stored forms already are.
    expect(decodeMetadataName(stored.toUpperCase())).toBe(name);
  });

  it('round-trips any name, always as an identifier', () => {
    const next = rng(7);
    const alphabet = ['a', 'b', 'z', '0', '9', '-', '_', '.', ' ', 'A', 'Q', 'é', '東', '🚢', '=', '/'];
    for (let i = 0; i < 5000; i++) {
      const name = randomName(next, alphabet, 8);
      const stored = encodeMetadataName(name);
      expect(stored, name).toMatch(IDENTIFIER);
      expect(decodeMetadataName(stored), name).toBe(name);
    }
  });

  it('never maps two names to one stored name', () => {
    const next = rng(11);
    const alphabet = ['a', '1', '-', '_', '.'];
    const seen = new Map<string, string>();
    for (let i = 0; i < 5000; i++) {
      const name = randomName(next, alphabet, 6);
      const stored = encodeMetadataName(name);
      const before = seen.get(stored);
      if (before !== undefined) expect(before).toBe(name);
      seen.set(stored, name);
    }
  });

  it('reads names written by other tools as they are (lower-cased), but for a double underscore', () => {
    expect(decodeMetadataName('my_key')).toBe('my_key');
    expect(decodeMetadataName('DocumentType')).toBe('documenttype');
    expect(decodeMetadataName('_x')).toBe('_x');
    expect(decodeMetadataName('___notescaped_zz')).toBe('___notescaped_zz');
    expect(decodeMetadataName('a___b')).toBe('a___b');
    expect(decodeMetadataName('my__key')).toBe('my-key');
  });
});

describe('metadata values', () => {
  it.each(['plain', 'with space inside', 'zoë', '東京 🚢', ' leading', 'trailing ', '', '=?UTF-8?B?aGk=?=', 'tab\there'])('%j round-trips as ASCII', (value) => {
    const stored = encodeMetadataValue(value);
    expect(stored).toMatch(/^[\x20-\x7e]*$/);
    expect(decodeMetadataValue(stored)).toBe(value);
  });

  it('leaves plain ASCII values alone', () => {
    expect(encodeMetadataValue('abc-123 x')).toBe('abc-123 x');
  });

  it('maps whole metadata objects', () => {
    const m = { 'ferry_source_md5': 'abc', 'content-origin': 'zoë' };
    expect(encodeMetadata(m)).toEqual({ ferry_source_md5: 'abc', content__origin: '=?UTF-8?B?em/Dqw==?=' });
    expect(decodeMetadata(encodeMetadata(m))).toEqual(m);
    expect(decodeMetadata(undefined)).toEqual({});
  });
});

/** Names where UTF-16 and UTF-8 order disagree: astral characters against U+E000–U+FFFF at the same place. */
const ORDER_ALPHABET = ['a', 'b', '/', 'é', '\uE000', '\uFF08', '\uFFFD', '🚢', '😀', '東'];

describe('UTF-16 → UTF-8 listing order', () => {
  it('compareUtf16 is the order Azure lists in, and differs from UTF-8 for astral characters', () => {
    expect(compareUtf16('🚢', '\uFFFD')).toBeLessThan(0);
    expect(compareNames('🚢', '\uFFFD')).toBeGreaterThan(0);
  });

  it('reorders any listing into UTF-8 order', () => {
    const next = rng(3);
    for (let round = 0; round < 300; round++) {
      const names = [...new Set(Array.from({ length: 1 + Math.floor(next() * 40) }, () => randomName(next, ORDER_ALPHABET, 4)))];
      const azure = [...names].sort(compareUtf16);
      const reorder = new Utf8Reorder<string>();
      const out: string[] = [];
      for (const n of azure) out.push(...reorder.push(n, n));
      out.push(...reorder.flush());
      expect(out).toEqual([...names].sort(compareNames));
    }
  });

  it('holds back nothing when no name has a character beyond U+FFFF', () => {
    const reorder = new Utf8Reorder<string>();
    for (const n of ['a', 'b/é', 'b/\uFFFD', 'c']) expect(reorder.push(n, n)).toEqual([n]);
  });

  it('releases astral names once the listing leaves their prefix', () => {
    const reorder = new Utf8Reorder<string>();
    expect(reorder.push('d/🚢', 'd/🚢')).toEqual([]);
    expect(reorder.push('d/\uFF08', 'd/\uFF08')).toEqual(['d/\uFF08']);
    expect(reorder.push('e', 'e')).toEqual(['d/🚢', 'e']);
    expect(reorder.size).toBe(0);
  });

  it('refuses to hold more than its cap', () => {
    const reorder = new Utf8Reorder<string>(3);
    for (const n of ['p/🚢1', 'p/🚢2', 'p/🚢3']) reorder.push(n, n);
    expect(() => reorder.push('p/🚢4', 'p/🚢4')).toThrow(Utf8ReorderOverflow);
  });
});

describe('listing ranges', () => {
  it('common prefixes keep surrogate pairs whole', () => {
    expect(commonPrefix('a/🚢x', 'a/😀y')).toBe('a/');
    expect(commonPrefix('a/b/c', 'a/b/d')).toBe('a/b/');
    expect(commonPrefix('abc', 'abc')).toBe('abc');
  });

  it('narrows the prefix with both bounds and finds empty ranges', () => {
    expect(listingPlan('', 'logs/2024/01', 'logs/2024/07')).toEqual({ prefix: 'logs/2024/0', empty: false, startFrom: 'logs/2024/01' });
    expect(listingPlan('logs/', 'a', 'z')).toEqual({ prefix: 'logs/', empty: false });
    expect(listingPlan('logs/', 'm', 'n').empty).toBe(true);
    expect(listingPlan('b', undefined, 'a').empty).toBe(true);
    expect(listingPlan('b', 'c').empty).toBe(true);
    expect(listingPlan('x', 'b', 'a').empty).toBe(true);
    // startFrom is cut before a character of U+E000–U+FFFF (Azure compares in UTF-16 order).
    expect(listingPlan('', 'a/\uFF08z').startFrom).toBe('a/');
  });

  /**
   * The listing of store.ts, simulated over a server that lists in UTF-16 order and honours startFrom (as Azure does
   * from 2026-02-06) or ignores it (as Azurite 3.35 does): the result is the contract's, in UTF-8 order.
   */
  it('lists exactly the names of prefix ∩ (startAfter, endBefore), in UTF-8 order, with or without startFrom', () => {
    const next = rng(5);
    const alphabet = ['a', 'b', '/', '\uFF08', '🚢', 'é'];
    for (let round = 0; round < 1500; round++) {
      const names = [...new Set(Array.from({ length: Math.floor(next() * 30) }, () => randomName(next, alphabet, 4)))];
      const pick = (): string | undefined => (next() < 0.3 ? undefined : next() < 0.5 && names.length ? names[Math.floor(next() * names.length)] : randomName(next, alphabet, 3));
      const prefix = next() < 0.5 ? '' : randomName(next, alphabet, 1);
      const startAfter = pick();
      const endBefore = pick();
      const expected = names
        .filter((n) => n.startsWith(prefix))
        .filter((n) => startAfter === undefined || compareNames(n, startAfter) > 0)
        .filter((n) => endBefore === undefined || compareNames(n, endBefore) < 0)
        .sort(compareNames);
      for (const honoursStartFrom of [true, false]) {
        const plan = listingPlan(prefix, startAfter, endBefore);
        const got: string[] = [];
        if (!plan.empty) {
          const served = names
            .filter((n) => n.startsWith(plan.prefix))
            .filter((n) => !honoursStartFrom || plan.startFrom === undefined || compareUtf16(n, plan.startFrom) >= 0)
            .sort(compareUtf16);
          const reorder = new Utf8Reorder<string>();
          const take = (ready: string[]): boolean => {
            for (const n of ready) {
              if (endBefore !== undefined && compareNames(n, endBefore) >= 0) return true;
              if (startAfter === undefined || compareNames(n, startAfter) > 0) got.push(n);
            }
            return false;
          };
          let ended = false;
          for (const n of served) if ((ended = take(reorder.push(n, n)))) break;
          if (!ended) take(reorder.flush());
        }
        expect(got, JSON.stringify({ prefix, startAfter, endBefore, honoursStartFrom })).toEqual(expected);
      }
    }
  });
});

describe('blocks', () => {
  it('grows the block size only when 50,000 blocks would not hold the blob', () => {
    expect(blockSizeFor(10 * MIB, 8 * MIB)).toBe(8 * MIB);
    expect(blockSizeFor(8 * MIB * MAX_BLOCKS, 8 * MIB)).toBe(8 * MIB);
    expect(blockSizeFor(8 * MIB * MAX_BLOCKS + 1, 8 * MIB)).toBe(9 * MIB);
    const huge = 190 * 1024 * 1024 * MIB;
    expect(Math.ceil(huge / blockSizeFor(huge, 8 * MIB))).toBeLessThanOrEqual(MAX_BLOCKS);
  });

  it('block ids are base64 of one fixed length, distinct per upload and index', () => {
    const ids = [blockId('0123456789abcdef', 0), blockId('0123456789abcdef', 49_999), blockId('fedcba9876543210', 0)];
    expect(new Set(ids.map((id) => id.length))).toEqual(new Set([32]));
    expect(new Set(ids).size).toBe(3);
    expect(Buffer.from(ids[1]!, 'base64').toString()).toBe('0123456789abcdef-049999');
  });
});

describe('parts of a body', () => {
  it('cuts any chunking into parts of exactly the part size, the last one shorter', async () => {
    const { partsOf } = await import('../../../src/connectors/azure-blob/store.js');
    const next = rng(9);
    for (let round = 0; round < 50; round++) {
      const total = Math.floor(next() * 300_000);
      const data = Buffer.alloc(total);
      for (let i = 0; i < total; i++) data[i] = Math.floor(next() * 256);
      const chunks: Buffer[] = [];
      for (let off = 0; off < total; ) {
        const n = 1 + Math.floor(next() * 90_000);
        chunks.push(data.subarray(off, off + n));
        off += n;
      }
      const size = 1 + Math.floor(next() * 120_000);
      // The announced size is sometimes wrong, both ways.
      const announced = next() < 0.3 ? Math.floor(total * next() * 2) : total;
      const parts: Buffer[] = [];
      for await (const p of partsOf(chunks, size, announced)) parts.push(Buffer.from(p));
      expect(parts.slice(0, -1).every((p) => p.length === size)).toBe(true);
      expect(parts.every((p) => p.length > 0 && p.length <= size)).toBe(true);
      expect(Buffer.concat(parts).equals(data)).toBe(true);
    }
  });
});
