/**
 * A backup set as a source of records: what a restore reads, and what a backup is verified against. Streams and
 * counts come from the manifest; segments are runs of data files; a cursor is (file, lines done), so a killed
 * restore resumes inside the file it was reading. Every file is proved against the manifest before its records are
 * used (set-files.ts), and each stream's records are summed as they are read, so a full read also proves the
 * stream's count and digest.
 */
import { starPattern } from '../util/star-pattern.js';
import type { ConnectorContext } from '../core/connector.js';
import type { ObjectStore } from '../core/object.js';
import type { FerryRecord } from '../core/record.js';
import type { ReadRequest, Source, SourceCapabilities } from '../core/source.js';
import type { Batch, Segment, StreamRef } from '../core/stream.js';
import { FerryError } from '../errors.js';
import { decoderFor, type EncodingResolver } from './decoders.js';
import { ObjectSource } from '../objects/object-source.js';
import type { FoundSet } from './layout.js';
import { snapshotDir } from './snapshot-sink.js';
import type { BackupManifest, ManifestStream } from './manifest.js';
import { fetchFile, fileRecords } from './set-files.js';
import { setIdOf } from './set-names.js';
import { listSets, pickSet, readManifest, type SetLocation } from './sets.js';
import { recordVerification } from './verify-set.js';

export interface SetSelection {
  /** `latest` (default), a set id or its directory. */
  set?: string;
  /** The set a job wrote: the one whose id is this job's (a backup verified right after it ran). */
  jobId?: string;
}

interface FileRange {
  from: number;
  to: number;
}

interface SetCursor {
  f: number;
  l: number;
}

export class BackupSetSource implements Source<FerryRecord> {
  readonly capabilities: SourceCapabilities = { segmentable: true, exactCount: true, digests: new Set() };
  private opened: Promise<{ set: FoundSet; manifest: BackupManifest }> | undefined;
  private objectSource: ObjectSource | undefined;
  /** Files proved by reads so far (hash, size, records): what a verification against the source read of the set. */
  readonly proved = { files: 0, bytes: 0, records: 0 };

  constructor(
    private readonly loc: SetLocation,
    private readonly selection: SetSelection,
    private readonly ctx: ConnectorContext,
    /** The layouts of stores' own tools a set may be in (the registry's); ferry's own needs none. */
    private readonly encodings?: EncodingResolver,
  ) {}

  /** The chosen set and its checked manifest (read once). */
  open(signal: AbortSignal): Promise<{ set: FoundSet; manifest: BackupManifest }> {
    this.opened ??= (async () => {
      const { sets } = await listSets(this.loc, signal);
      const where = `${this.loc.store.url}/${this.loc.prefix ? `${this.loc.prefix.replace(/\/+$/, '')}/` : ''}${this.loc.plan}/`;
      const set = this.selection.jobId ? pickSet(sets, jobSetId(this.selection.jobId, sets), where) : pickSet(sets, this.selection.set, where);
      const manifest = await readManifest(this.loc.store, set, signal);
      this.ctx.logger.debug('backup set opened', { set: set.prefix, streams: manifest.streams.length });
      return { set, manifest };
    })();
    this.opened.catch(() => {
      this.opened = undefined;
    });
    return this.opened;
  }

  /** An object snapshot's streams are read by the object source, below the set's `objects/`. */
  private objects(set: FoundSet, stream: ManifestStream): { source: ObjectSource; ref: StreamRef } {
    this.objectSource ??= new ObjectSource(this.loc.store, this.ctx);
    const prefix = `${set.prefix}${snapshotDir(stream.name)}`;
    return { source: this.objectSource, ref: { name: prefix, meta: { objectPrefix: prefix } } };
  }

  async streams(pattern: string, signal: AbortSignal): Promise<StreamRef[]> {
    const { manifest } = await this.open(signal);
    if (manifest.encoding === 'objects') {
      // A snapshot's stream is a prefix: `from:` names it exactly, as for any object source.
      return manifest.streams
        .filter((s) => s.name === pattern || pattern === '*')
        .map((s) => ({ name: s.name, meta: { objectPrefix: s.name, defaultTarget: s.name, backupCount: s.count } }));
    }
    const re = starPattern(pattern);
    // The original source's facts (key columns and types...), so a target keys a restored stream as a migrated one.
    return manifest.streams.filter((s) => re.test(s.name)).map((s) => ({ name: s.name, meta: { ...(s.source_meta ?? {}), backupCount: s.count } }));
  }

  async segments(stream: StreamRef, desired: number, signal: AbortSignal): Promise<Segment[]> {
    const s = await this.stream(stream.name, signal);
    const { set, manifest } = await this.open(signal);
    if (manifest.encoding === 'objects') {
      const o = this.objects(set, s);
      const inner = await o.source.segments(o.ref, desired, signal);
      return inner.map((seg) => ({ ...seg, id: `${stream.name}#${seg.index}/${seg.total}`, stream: stream.name }));
    }
    const n = Math.max(1, Math.min(desired, s.files.length));
    const per = Math.ceil(s.files.length / n);
    const out: Segment[] = [];
    for (let i = 0; i < n; i++) {
      const spec: FileRange = { from: i * per, to: Math.min(s.files.length, (i + 1) * per) };
      if (spec.from >= spec.to && i > 0) break;
      out.push({ id: `${stream.name}#${i}/${n}`, stream: stream.name, index: i, total: n, spec });
    }
    return out.map((seg, i) => ({ ...seg, id: `${stream.name}#${i}/${out.length}`, total: out.length }));
  }

  async *read(req: ReadRequest): AsyncIterable<Batch<FerryRecord>> {
    const { set, manifest } = await this.open(req.signal);
    const s = await this.stream(req.segment.stream, req.signal);
    if (manifest.encoding === 'objects') {
      yield* this.readObjects(set, s, req);
      return;
    }
    const decode = await decoderFor(manifest, s, this.encodings);
    const range = (req.segment.spec as FileRange | undefined) ?? { from: 0, to: s.files.length };
    const start: SetCursor = req.after ? (JSON.parse(req.after) as SetCursor) : { f: range.from, l: 0 };
    for (let f = start.f; f < range.to; f++) {
      const file = s.files[f]!;
      const body = await fetchFile(this.loc.store, set.prefix, file, req.signal);
      let lines = f === start.f ? start.l : 0;
      let items: FerryRecord[] = [];
      let bytes = 0;
      for await (const r of fileRecords(body, `${this.loc.store.url}/${set.prefix}${file.path}`, lines, decode, manifest.compression)) {
        items.push({ key: r.key, value: r.doc, sizeBytes: r.bytes });
        bytes += r.bytes;
        lines += 1;
        if (items.length >= req.batchSize) {
          yield { items, cursor: cursorText(f, lines), sizeBytes: bytes };
          items = [];
          bytes = 0;
        }
      }
      if (lines !== file.records) {
        throw new FerryError('DAMAGED', `backup file ${this.loc.store.url}/${set.prefix}${file.path} holds ${lines} records, the manifest says ${file.records}`);
      }
      if (f !== start.f || start.l === 0) {
        this.proved.files += 1;
        this.proved.bytes += file.bytes;
        this.proved.records += file.records;
      }
      // The file's last batch carries the cursor of the next file, so a resume never re-opens a finished file.
      if (items.length > 0 || f + 1 < range.to) yield { items, cursor: cursorText(f + 1, 0), sizeBytes: bytes };
    }
  }

  /**
   * Record in the set that a checksum verification against the live source matched (a backup's `verify:` after
   * its run): the set was read whole through `read`, every file proved, and it equals the source.
   */
  async recordSourceMatch(signal: AbortSignal): Promise<void> {
    const { set, manifest } = await this.open(signal);
    const files = manifest.streams.reduce((n, s) => n + s.files.length, 0);
    if (this.proved.files < files) return; // not read whole (a count only, or point reads): proves nothing of the files
    await recordVerification(this.loc.store, {
      set: set.prefix,
      outcome: 'ok',
      listed: files,
      read: { ...this.proved },
      streamsProved: manifest.streams.map((s) => s.name),
      skipped: { files: 0, bytes: 0 },
      subset: { slice: 1, of: 1 },
      problems: [],
      notes: ['verified by the backup job against its source'],
      at: new Date().toISOString(),
      source: 'match',
    }, signal);
  }

  /**
   * A snapshot's objects, as the object source lists them below the set, each checked against its manifest entry
   * (present, same size, same MD5 where the store states one) before it is handed on.
   */
  private async *readObjects(set: FoundSet, s: ManifestStream, req: ReadRequest): AsyncIterable<Batch<FerryRecord>> {
    const o = this.objects(set, s);
    const want = new Map(s.files.map((f) => [f.path.slice(snapshotDir(s.name).length), f]));
    for await (const batch of o.source.read({ ...req, segment: { ...req.segment, stream: o.ref.name } })) {
      for (const r of batch.items) {
        const rel = String(r.key['name']);
        const f = want.get(rel);
        const where = `${this.loc.store.url}/${set.prefix}${snapshotDir(s.name)}${rel}`;
        if (!f) throw new FerryError('DAMAGED', `backup object ${where} is not in the set's manifest`);
        const v = r.value as { info?: { size: number; md5?: string }; size?: number; md5?: string };
        const size = v.info?.size ?? v.size;
        const md5 = v.info?.md5 ?? v.md5;
        if (size !== f.bytes || (md5 !== undefined && md5 !== f.md5)) {
          throw new FerryError('DAMAGED', `backup object ${where} is ${size} bytes with MD5 ${md5 ?? '(not stated)'}, the manifest says ${f.bytes} bytes with ${f.md5}`);
        }
        if (md5 !== undefined) {
          this.proved.files += 1;
          this.proved.bytes += f.bytes;
          this.proved.records += 1;
        }
      }
      yield batch;
    }
  }

  async count(stream: StreamRef, signal: AbortSignal): Promise<number> {
    return (await this.stream(stream.name, signal)).count;
  }

  private async stream(name: string, signal: AbortSignal): Promise<ManifestStream> {
    const { set, manifest } = await this.open(signal);
    const s = manifest.streams.find((x) => x.name === name);
    if (!s) throw new FerryError('NOT_FOUND', `backup set ${set.prefix} has no stream ${name}`, { hint: `it holds: ${manifest.streams.map((x) => x.name).join(', ') || 'nothing'}` });
    return s;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.loc.store[Symbol.asyncDispose]();
  }
}

function cursorText(f: number, l: number): string {
  return JSON.stringify({ f, l } satisfies SetCursor);
}

/** The id of the set a job wrote, if the plan's sets hold it (else the job id, which pickSet reports as not found). */
function jobSetId(jobId: string, sets: readonly FoundSet[]): string {
  const id = setIdOf(jobId);
  return sets.some((s) => s.id === id) ? id : jobId;
}
