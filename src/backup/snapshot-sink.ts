/**
 * A backup of an object store: each run copies the source prefix into a dated set, `<set>/objects/<original name>`,
 * through the ordinary object copy path (streamed, hash-proved per object, bounded memory), and the manifest lists
 * every object with its size and MD5. The copy is the ObjectSink's; this adds only the set's naming, the outputs
 * each committed batch records (so the manifest, written last by the finisher, lists exactly what was committed) and
 * the MD5 of objects whose source stated none. A set is a full copy: nothing is shared between sets.
 */
import type { ConnectorContext } from '../core/connector.js';
import { keyIdentity, SetDigest } from '../core/digest.js';
import type { ObjectStore } from '../core/object.js';
import type { FerryRecord } from '../core/record.js';
import type { Sink, SinkLimits, SinkRun, StreamOrigin, WriteMode, WriteResult } from '../core/sink.js';
import type { StreamRef } from '../core/stream.js';
import { FerryError } from '../errors.js';
import { createObjectSink } from '../objects/object-sink.js';
import { isObjectValue } from '../objects/object-value.js';
import { md5OfObject } from '../objects/read-hash.js';
import { recordDigest } from '../verify/record-digest.js';
import { BackupSink, type BackupSinkOptions, type DataFileOutput } from './backup-sink.js';
import type { BackupManifest } from './manifest.js';

/** Where a snapshot keeps the objects of a stream (the source prefix): below `objects/`, under their own names. */
export function snapshotDir(stream: string): string {
  return `objects/${stream}`;
}

export class ObjectSnapshotSink extends BackupSink {
  private readonly inner: Sink<FerryRecord>;
  override readonly limits: SinkLimits;

  constructor(store: ObjectStore, targetOptions: Record<string, unknown>, opts: BackupSinkOptions, ctx: ConnectorContext) {
    super(store, opts, ctx);
    this.inner = createObjectSink(store, targetOptions, ctx);
    this.limits = this.inner.limits;
  }

  protected override encodingName(): BackupManifest['encoding'] {
    return 'objects';
  }

  /** The target stream as the object sink sees it: the set's directory for this stream. */
  private within(stream: StreamRef): StreamRef {
    if (!this.dir) throw new FerryError('INTERNAL', 'snapshot sink used before prepare');
    return { ...stream, name: `${this.dir}${snapshotDir(stream.name)}` };
  }

  sizeOf(item: FerryRecord): number {
    return this.inner.sizeOf?.(item) ?? item.sizeBytes ?? 0;
  }

  cost(items: readonly FerryRecord[]): ReturnType<NonNullable<Sink<FerryRecord>['cost']>> {
    return this.inner.cost?.(items) ?? {};
  }

  /** Names are checked against the set's directory when writing; a verification (no set being written) keeps them. */
  toTarget(stream: StreamRef, record: FerryRecord): FerryRecord {
    if (!this.dir || !this.inner.toTarget) return record;
    return this.inner.toTarget(this.within(stream), record);
  }

  override async prepare(stream: StreamRef, mode: WriteMode, signal: AbortSignal, run?: SinkRun): Promise<void> {
    await super.prepare(stream, mode, signal, run);
    // `upsert` into a directory of its own: objects a killed run of this job copied are proved identical and skipped.
    await this.inner.prepare(this.within(stream), 'upsert', signal, run);
  }

  override async write(stream: StreamRef, items: readonly FerryRecord[], signal: AbortSignal): Promise<WriteResult<FerryRecord>> {
    const target = this.within(stream);
    const res = await this.inner.write(target, items, signal);
    const notCopied = new Set<FerryRecord>([...res.retry, ...res.rejected.map((r) => r.item)]);
    const outputs: DataFileOutput[] = [];
    for (const item of items) {
      if (notCopied.has(item) || !isObjectValue(item.value)) continue;
      const { info, rel } = item.value;
      let md5 = info.md5;
      if (md5 === undefined) {
        // The source stated no MD5 (an S3 multipart ETag...): the copy's own, as the target states it or by reading.
        const copied = await this.store.head(`${target.name}${rel}`, signal);
        md5 = copied?.md5 ?? (copied ? await md5OfObject(this.store, copied, signal) : undefined);
      }
      if (md5 === undefined) throw new FerryError('TRANSIENT', `the copy of ${info.name} is not in ${this.store.url} after its write`);
      const digest = new SetDigest();
      digest.add(recordDigest(keyIdentity({ name: rel }), { size: info.size, md5 }));
      outputs.push({ kind: 'backup-file', stream: stream.name, path: `${snapshotDir(stream.name)}${rel}`, bytes: info.size, records: 1, md5, digest: digest.hex(), key: [{ field: 'name', type: 'string' }] });
      this.stats.files += 1;
      this.stats.bytes += info.size;
    }
    return { ...res, outputs: [...(res.outputs ?? []), ...outputs] };
  }

  override async flush(signal: AbortSignal): Promise<void> {
    await this.inner.flush(signal);
  }

  /** Never the object sink's own finish (a mirror's deletes): a set is written once, whole. */
  override async finishStream(target: StreamRef, from: StreamOrigin<FerryRecord>): Promise<void> {
    await super.finishStream(target, from);
  }
}
