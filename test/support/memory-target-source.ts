/**
 * Reads back what a MemorySink made durable, as a Source: the in-memory stand-in for "the target read through its
 * own connector" that verification needs. Keys are rebuilt from their `name=value` text (values as strings; key
 * identity is textual, so that is enough).
 */
import type { FerryRecord } from '../../src/core/record.js';
import type { ReadRequest, Source, SourceCapabilities } from '../../src/core/source.js';
import type { Batch, StreamRef } from '../../src/core/stream.js';
import type { MemorySinkData } from './memory-sink.js';

export class MemoryTargetSource implements Source<FerryRecord> {
  readonly capabilities: SourceCapabilities = { segmentable: false, exactCount: true, digests: new Set() };
  constructor(private readonly data: MemorySinkData) {}

  async streams(pattern: string): Promise<StreamRef[]> {
    return [...this.data.durable.keys()].filter((n) => n === pattern).map((name) => ({ name }));
  }

  async count(stream: StreamRef): Promise<number> {
    return this.data.rows(stream.name).size;
  }

  async *read(req: ReadRequest): AsyncIterable<Batch<FerryRecord>> {
    const rows = [...this.data.rows(req.segment.stream).entries()];
    for (let i = 0; i < rows.length; i += req.batchSize) {
      const items = rows.slice(i, i + req.batchSize).map(([k, value]) => ({
        key: Object.fromEntries(k.split(', ').map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)])),
        value,
      }));
      yield { items, cursor: String(i + items.length) };
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {}
}
