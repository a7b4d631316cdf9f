/**
 * A backup stream's data files: lines gzipped into parts of a bounded size, each part handed over complete with
 * the facts its manifest entry needs (bytes, records, SHA-256, MD5), so the uploader writes it once and never
 * rewrites it. Lines come a batch at a time (one zlib round trip per batch, not per record). Memory is about one
 * part's compressed bytes. Parts are numbered from the segment's own sequence,
 * so a resumed segment writes new names instead of overwriting a part a killed run left behind.
 */
import { createHash } from 'node:crypto';
import type { Transform } from 'node:stream';
import { compressor, type Compression } from './compression.js';

export interface DataPart {
  /** `part-<segment>-<seq>`: the caller adds the directory and the extension. */
  name: string;
  body: Buffer;
  records: number;
  bytes: number;
  sha256: string;
  md5: string;
}

export interface PartWriterOptions {
  /** Roll to a new part once this many compressed bytes are written (default 64 MiB). */
  maxBytes?: number;
  /** A stable, path-safe name of the segment (its index), and the first part number to use. */
  segment: string;
  firstSeq?: number;
  /** gzip (default, zlib's level 6) or zstd (where the runtime has it). */
  compression?: Compression;
}

export const DEFAULT_PART_BYTES = 64 * 2 ** 20;

export class PartWriter {
  private gzip: Transform | undefined;
  private chunks: Buffer[] = [];
  private size = 0;
  private records = 0;
  private seq: number;
  private readonly maxBytes: number;

  constructor(private readonly opts: PartWriterOptions) {
    if (!/^[A-Za-z0-9._-]+$/.test(opts.segment)) throw new RangeError(`segment name "${opts.segment}" is not path-safe`);
    this.seq = opts.firstSeq ?? 0;
    this.maxBytes = opts.maxBytes ?? DEFAULT_PART_BYTES;
  }

  /** The next part's sequence number (a checkpoint stores it, so a resume continues the numbering). */
  get nextSeq(): number {
    return this.seq;
  }

  /**
   * Adds a batch of lines (each without its newline) in one write; returns the part it completed, if the batch made
   * it reach the size. A part may pass the size by one batch's compressed bytes.
   */
  async write(lines: readonly string[]): Promise<DataPart | undefined> {
    if (lines.length === 0) return undefined;
    if (lines.some((l) => l.includes('\n'))) throw new RangeError('a data line cannot hold a newline');
    const gz = this.open();
    this.records += lines.length;
    // Awaiting zlib's callback keeps the compressed size known (it has emitted what it compressed), so the bound holds.
    await new Promise<void>((resolve, reject) => gz.write(`${lines.join('\n')}\n`, (e) => (e ? reject(e) : resolve())));
    if (this.size < this.maxBytes) return undefined;
    return this.finish();
  }

  /** Completes the current part (none when nothing was written since the last). */
  async flush(): Promise<DataPart | undefined> {
    return this.records === 0 ? undefined : this.finish();
  }

  private open(): Transform {
    if (this.gzip) return this.gzip;
    const gz = compressor(this.opts.compression ?? 'gzip');
    gz.on('data', (c: Buffer) => {
      this.chunks.push(c);
      this.size += c.length;
    });
    this.gzip = gz;
    return gz;
  }

  private async finish(): Promise<DataPart> {
    const gz = this.gzip!;
    await new Promise<void>((resolve, reject) => {
      gz.once('end', () => resolve());
      gz.once('error', reject);
      gz.end();
    });
    const body = Buffer.concat(this.chunks);
    const part: DataPart = {
      name: `part-${this.opts.segment}-${String(this.seq).padStart(5, '0')}`,
      body,
      records: this.records,
      bytes: body.length,
      sha256: createHash('sha256').update(body).digest('hex'),
      md5: createHash('md5').update(body).digest('hex'),
    };
    this.gzip = undefined;
    this.chunks = [];
    this.size = 0;
    this.records = 0;
    this.seq += 1;
    return part;
  }
}
