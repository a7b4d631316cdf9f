/**
 * Per bucket, the XOR of the key identities of its records (UTF-8, length-prefixed, in a fixed slot): kept for the
 * target side in pass 1 so that an extra key — one only the target holds — can be named without reading the target
 * again. After the point reads have fetched every key the source knows in a bucket, XOR-ing their identities out of
 * the slot leaves exactly the one record that was not fetched, when exactly one was not (the bucket's count says
 * so). The idea is an invertible Bloom lookup table's "pure cell", with the buckets the checksum has anyway.
 *
 * 128 bytes a bucket (8 MiB at 65,536 buckets); an identity longer than fits marks its bucket unrecoverable, and
 * the verifier reads that bucket again instead.
 */

/** Bytes of a slot: a 2-byte length, then the identity's UTF-8 bytes. */
export const KEY_SLOT = 128;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export class BucketKeys {
  private readonly xor: Uint8Array;
  /** 1 for a bucket that saw an identity too long for its slot. */
  private readonly long: Uint8Array;
  private readonly scratch = new Uint8Array(KEY_SLOT * 3);

  constructor(readonly buckets: number) {
    this.xor = new Uint8Array(buckets * KEY_SLOT);
    this.long = new Uint8Array(buckets);
  }

  add(bucket: number, identity: string): void {
    if (this.long[bucket]) return;
    const piece = this.encode(identity);
    if (!piece) {
      this.long[bucket] = 1;
      return;
    }
    const at = bucket * KEY_SLOT;
    for (let i = 0; i < piece.length; i++) this.xor[at + i]! ^= piece[i]!;
  }

  /**
   * The one identity left in `bucket` once `others` (every other identity added to it) are taken out, or undefined
   * when it cannot be read (a long identity, or what is left is not one identity).
   */
  recover(bucket: number, others: Iterable<string>): string | undefined {
    if (this.long[bucket]) return undefined;
    const slot = this.xor.slice(bucket * KEY_SLOT, (bucket + 1) * KEY_SLOT);
    for (const id of others) {
      const piece = this.encode(id);
      if (!piece) return undefined;
      for (let i = 0; i < piece.length; i++) slot[i]! ^= piece[i]!;
    }
    const len = (slot[0]! << 8) | slot[1]!;
    if (len === 0 || len > KEY_SLOT - 2) return undefined;
    for (let i = 2 + len; i < KEY_SLOT; i++) if (slot[i] !== 0) return undefined;
    try {
      return decoder.decode(slot.subarray(2, 2 + len));
    } catch {
      return undefined;
    }
  }

  /** [length hi, length lo, UTF-8 bytes...], or undefined when longer than a slot. */
  private encode(identity: string): Uint8Array | undefined {
    if (identity.length > KEY_SLOT - 2) return undefined; // at least one byte a UTF-16 unit: cannot fit
    const { read, written } = encoder.encodeInto(identity, this.scratch.subarray(2));
    if (read < identity.length || written > KEY_SLOT - 2) return undefined;
    this.scratch[0] = written >> 8;
    this.scratch[1] = written & 0xff;
    return this.scratch.subarray(0, 2 + written);
  }
}
