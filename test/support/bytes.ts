import { createHash } from 'node:crypto';

export interface Fingerprint {
  size: number;
  sha256: string;
}

/**
 * Size and SHA-256 of each body, to compare object contents with `toEqual`: as exact as comparing the bytes, fast
 * for megabytes (a deep `toEqual` walks a Buffer byte by byte: seconds per MiB), and a readable diff on failure.
 */
export function fingerprints(bodies: Record<string, Uint8Array>): Record<string, Fingerprint> {
  return Object.fromEntries(Object.entries(bodies).map(([name, body]) => [
    name,
    { size: body.byteLength, sha256: createHash('sha256').update(body).digest('hex') },
  ]));
}
