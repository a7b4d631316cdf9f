/**
 * How a set's data files are compressed: gzip everywhere, zstd where the runtime has it (Node ≥ 22.15 and 23.8:
 * zlib's zstd). Streams of either kind are zlib Transform streams, so the part writer and the readers do not care.
 */
import type { Transform } from 'node:stream';
import zlib from 'node:zlib';
import { FerryError } from '../errors.js';

export type Compression = 'gzip' | 'zstd';

/** The runtime's zstd functions, when it has them (typed loosely: older @types/node do not declare them). */
const z = zlib as unknown as { createZstdCompress?: () => Transform; createZstdDecompress?: () => Transform };

export function hasZstd(): boolean {
  return typeof z.createZstdCompress === 'function' && typeof z.createZstdDecompress === 'function';
}

function needZstd(what: string): void {
  if (!hasZstd()) {
    throw new FerryError('UNSUPPORTED', `${what} needs zstd, which this Node.js (${process.version}) does not have`, {
      hint: 'run ferry on Node.js 24 (or ≥ 22.15), or use `backup.compression: gzip`',
    });
  }
}

export function compressor(c: Compression): Transform {
  if (c === 'gzip') return zlib.createGzip({ level: zlib.constants.Z_DEFAULT_COMPRESSION });
  needZstd('writing a zstd backup');
  return z.createZstdCompress!();
}

export function decompressor(c: Compression): Transform {
  if (c === 'gzip') return zlib.createGunzip();
  needZstd('reading a zstd backup');
  return z.createZstdDecompress!();
}

export function extensionOf(c: Compression): string {
  return c === 'gzip' ? '.gz' : '.zst';
}

/** Refuses a compression the runtime cannot write, before a job starts. */
export function checkCompression(c: Compression): void {
  if (c === 'zstd') needZstd('backup.compression: zstd');
}
