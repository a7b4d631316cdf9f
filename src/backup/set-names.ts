/** Names inside a backup set: the set's id from its job's, a stream's directory, and a body to PUT from a buffer. */
import { Readable } from 'node:stream';

/** `20261128-073612-a1b2c3` → `a1b2c3`: the set's directory already carries the job's creation time. */
export function setIdOf(jobId: string): string {
  const m = /^\d{8}-\d{6}-([0-9a-f]{6})$/.exec(jobId);
  if (m) return m[1]!;
  return jobId.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+/, '').slice(0, 63) || 'set';
}

/** `data/<stream>/`: the stream name as one path segment (`/` and other unsafe characters percent-encoded). */
export function streamDir(stream: string): string {
  return `data/${encodeURIComponent(stream)}/`;
}

export function readableOf(body: Buffer): Readable {
  return Readable.from([body], { objectMode: false });
}
