/**
 * A pass-through that hashes what flows through it: the MD5 ferry computes of every object it copies, while the
 * bytes stream from source to target (no second read, nothing buffered).
 */
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

export class HashingStream extends Transform {
  private readonly md5: Hash = createHash('md5');
  private hex: string | undefined;
  bytes = 0;

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.md5.update(chunk);
    this.bytes += chunk.length;
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    this.hex = this.md5.digest('hex');
    done();
  }

  /** Hex MD5 of everything that passed; undefined until the stream ended. */
  get md5Hex(): string | undefined {
    return this.hex;
  }
}
