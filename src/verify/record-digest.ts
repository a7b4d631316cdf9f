/**
 * A record's digest: sha256 over its key identity and its canonical value (src/transform/canonical.ts). The key
 * takes part so that two records swapping values is a difference too. The canonical text is streamed into the hash
 * in chunks, so a large document is never held twice; small ones (nearly all) take node's one-shot `hash`.
 */
import { createHash, hash, type Hash } from 'node:crypto';
import type { Value } from '../core/record.js';
import { CANONICAL_CHUNK, canonicalString, encodeCanonical, type CanonicalOptions } from '../transform/canonical.js';

/**
 * sha256 (32 bytes) of the key identity and the canonical value; the first 16 bytes go into set sums. `options`:
 * the canonical form's (a plan's `verify_options`); the identity is taken as given (the caller normalises it).
 */
export function recordDigest(identity: string, value: Value, options?: CanonicalOptions): Buffer {
  const prefix = canonicalString(identity);
  let first: string | undefined;
  let h: Hash | undefined;
  encodeCanonical(value, (chunk) => {
    if (first === undefined) {
      first = chunk;
      return;
    }
    h ??= createHash('sha256').update(prefix, 'utf8').update(first, 'utf8');
    h.update(chunk, 'utf8');
  }, CANONICAL_CHUNK, options);
  if (h) return h.digest();
  return hash('sha256', prefix + (first ?? ''), 'buffer');
}

/** 48 bits of a digest as a number: what pass 2 keeps per key (a changed value slips through with odds 2^-48). */
export function shortDigest(digest: Uint8Array): number {
  return Buffer.from(digest.buffer, digest.byteOffset, 6).readUIntBE(0, 6);
}
