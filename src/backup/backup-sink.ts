/**
 * A backup set as a job's target: every written batch becomes data files (typed NDJSON, gzip) under the set's
 * directory, PUT once under a name no other write uses, and reported as outputs that the engine commits with the
 * batch's cursor. So the state knows a file exactly when it knows the cursor after its records: a killed backup
 * resumes after its last committed batch, and a file a killed run wrote but never committed is an orphan the finish
 * step deletes. The manifest is written last, by the job's finisher, from the committed outputs alone: its presence
 * means every file it names was written whole.
 */
import { randomBytes } from 'node:crypto';
import type { ConnectorContext } from '../core/connector.js';
import { keyIdentity, SetDigest } from '../core/digest.js';
import type { ObjectStore } from '../core/object.js';
import type { Doc, FerryRecord, RecordKey, Value } from '../core/record.js';
import type { Rejection, Sink, SinkLimits, SinkRun, SinkRunReport, StreamOrigin, WriteMode, WriteResult } from '../core/sink.js';
import type { StreamRef } from '../core/stream.js';
import type { BackupEncoding } from '../core/backup-encoding.js';
import { FerryError, isFerryError } from '../errors.js';
import { FERRY_ENCODING } from './decoders.js';
import { recordLine, TypedJsonError } from '../transform/typed-json.js';
import { ferryVersion } from '../util/ferry-version.js';
import { recordDigest } from '../verify/record-digest.js';
import { extensionOf, type Compression } from './compression.js';
import { DEFAULT_PART_BYTES, PartWriter, type DataPart } from './data-files.js';
import { MANIFEST_NAME, setPrefix } from './layout.js';
import { manifestText, type BackupManifest, type ManifestStream } from './manifest.js';
import { readableOf, setIdOf, streamDir } from './set-names.js';

export interface BackupSinkOptions {
  /** `backup.prefix` of the plan. */
  prefix: string;
  partBytes?: number;
  /** Create the bucket/container when missing (the target block's `create: true`). */
  create: boolean;
  /** For the manifest: the source store's type. */
  sourceType: string;
  /** Of the data files (default gzip; a store's own layout is gzip). */
  compression?: Compression;
  /** A store's own layout (`backup.format`), else ferry's typed NDJSON. */
  encoding?: BackupEncoding;
  /** The connection blocks' options (no credential is read from them), for an encoding's companion files. */
  targetOptions?: Record<string, unknown>;
  sourceOptions?: Record<string, unknown>;
}

/** One data file as a commit records it (CommitInput.outputs) and the manifest lists it. */
export interface DataFileOutput {
  kind: 'backup-file';
  stream: string;
  /** Relative to the set's directory. */
  path: string;
  bytes: number;
  records: number;
  sha256?: string;
  md5: string;
  /** The verifier's digest sum of the file's records (32 hex). */
  digest: string;
  /** Set for data files ferry wrote; an object copied whole (a snapshot) is proved by its MD5. */
  key: { field: string; type: string }[];
}

/** Lines handed to the gzip part writer at a time: the part size is checked between chunks. */
const CHUNK = 2000;

export class BackupSink implements Sink<FerryRecord> {
  readonly limits: SinkLimits = { maxItemsPerWrite: 1_000_000, maxConcurrentWrites: 8 };
  protected run: SinkRun | undefined;
  protected dir: string | undefined;
  private checked = false;
  /** Names this process writes are unique by this token and a counter: a resumed run never reuses a name. */
  private readonly token = randomBytes(4).toString('hex');
  private writes = 0;
  private readonly finished = new Map<string, StreamRef>();
  protected stats = { files: 0, bytes: 0, orphans: 0, manifest: '' };
  /** The manifest's `encoding`: ferry's typed NDJSON, a store's own layout, or `objects` (snapshot-sink.ts). */
  protected encodingName(): BackupManifest['encoding'] {
    return (this.opts.encoding?.encoding ?? FERRY_ENCODING) as BackupManifest['encoding'];
  }

  constructor(
    readonly store: ObjectStore,
    protected readonly opts: BackupSinkOptions,
    protected readonly ctx: ConnectorContext,
  ) {}

  /** The set's directory (ends in `/`), known once a job prepared the sink. */
  get setDir(): string | undefined {
    return this.dir;
  }

  async prepare(_stream: StreamRef, _mode: WriteMode, signal: AbortSignal, run?: SinkRun): Promise<void> {
    if (!run?.job || !run.outputs) throw new FerryError('INTERNAL', 'a backup is written by a job (its set is named after the job)');
    this.run = run;
    this.dir ??= setPrefix(this.opts.prefix, run.job.planName, new Date(run.job.createdAt), setIdOf(run.job.id));
    if (this.checked) return;
    if (this.opts.create && this.store.create) await this.store.create(signal);
    else await this.store.check(signal);
    this.checked = true;
  }

  async write(stream: StreamRef, items: readonly FerryRecord[], signal: AbortSignal): Promise<WriteResult<FerryRecord>> {
    const dir = this.dir;
    if (!dir) throw new FerryError('INTERNAL', 'backup sink written before prepare');
    const rejected: Rejection<FerryRecord>[] = [];
    const name = stream.name;
    const enc = this.opts.encoding;
    const job = this.run!.job!;
    const fileDir = enc ? enc.streamDir(name, job) : streamDir(name);
    const compression = this.opts.compression ?? 'gzip';
    const ext = enc ? enc.extension : `.ndjson${extensionOf(compression)}`;
    const writer = new PartWriter({ segment: `${this.token}-${this.writes++}`, maxBytes: this.opts.partBytes ?? DEFAULT_PART_BYTES, compression });
    const parts: { part: DataPart; digest: SetDigest }[] = [];
    let digest = new SetDigest();
    let key: DataFileOutput['key'] | undefined;
    for (let i = 0; i < items.length; i += CHUNK) {
      const lines: string[] = [];
      for (const item of items.slice(i, i + CHUNK)) {
        let line: string;
        try {
          line = enc ? enc.encode(item) : recordLine(item.key, item.value as Doc);
        } catch (e) {
          if (!(e instanceof TypedJsonError) && !(isFerryError(e) && e.code === 'ITEM_REJECTED')) throw e;
          rejected.push({ item, reason: `cannot be written to a backup: ${e.message}` });
          continue;
        }
        lines.push(line);
        key ??= keySchemaOf(item.key);
        digest.add(recordDigest(keyIdentity(item.key), item.value as Value));
      }
      const part = await writer.write(lines);
      if (part) {
        parts.push({ part, digest });
        digest = new SetDigest();
      }
    }
    const last = await writer.flush();
    if (last) parts.push({ part: last, digest });

    const outputs: DataFileOutput[] = [];
    for (const { part, digest: d } of parts) {
      const path = `${fileDir}${part.name}${ext}`;
      await this.store.put({
        name: `${dir}${path}`,
        body: readableOf(part.body),
        size: part.bytes,
        md5: part.md5,
        contentType: enc ? 'application/json' : 'application/x-ndjson',
        ...(compression === 'gzip' ? { contentEncoding: 'gzip' } : {}),
        metadata: { 'ferry-sha256': part.sha256, 'ferry-records': String(part.records) },
        signal,
      });
      this.stats.files += 1;
      this.stats.bytes += part.bytes;
      outputs.push({ kind: 'backup-file', stream: name, path, bytes: part.bytes, records: part.records, sha256: part.sha256, md5: part.md5, digest: d.hex(), key: key ?? [] });
    }
    return { accepted: items.length - rejected.length, retry: [], rejected, outputs };
  }

  /** Each write is durable when it returns: its files are PUT whole. */
  async flush(_signal: AbortSignal): Promise<void> {}

  async finishStream(target: StreamRef, from: StreamOrigin<FerryRecord>): Promise<void> {
    this.finished.set(target.name, from.stream);
  }

  /**
   * The manifest, from the committed outputs: once per job, after every stream. Orphans (files of batches a killed
   * run wrote and never committed) are deleted first, so the set holds exactly what the manifest lists. Idempotent:
   * a manifest already there was written by a finisher that died before recording it.
   */
  async finishJob(run: SinkRun, signal: AbortSignal): Promise<void> {
    if (!run.job || !run.outputs) throw new FerryError('INTERNAL', 'a backup is finished by a job');
    this.dir ??= setPrefix(this.opts.prefix, run.job.planName, new Date(run.job.createdAt), setIdOf(run.job.id));
    const dir = this.dir;
    const manifestName = `${dir}${MANIFEST_NAME}`;
    this.stats.manifest = manifestName;
    if (await this.store.head(manifestName, signal)) return;

    const files = new Map<string, DataFileOutput[]>();
    for (const o of await run.outputs()) {
      const d = o.data as DataFileOutput;
      if (d?.kind !== 'backup-file') continue;
      const list = files.get(d.stream) ?? [];
      list.push(d);
      files.set(d.stream, list);
    }
    const known = new Set([...files.values()].flat().map((f) => `${dir}${f.path}`));
    for await (const page of this.store.list({ prefix: dir, signal })) {
      for (const o of page) {
        if (known.has(o.name) || o.name === manifestName) continue;
        await this.store.delete(o.name, signal);
        this.stats.orphans += 1;
      }
    }

    const names = [...new Set([...this.finished.keys(), ...files.keys()])].sort();
    const streams: ManifestStream[] = names.map((name) => {
      const list = (files.get(name) ?? []).slice().sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
      const sum = new SetDigest();
      for (const f of list) sum.merge(digestOf(f));
      const meta = this.finished.get(name)?.meta;
      return {
        name,
        key: keyOfMeta(meta) ?? list.find((f) => f.key.length > 0)?.key ?? [],
        count: list.reduce((n, f) => n + f.records, 0),
        digest: sum.hex(),
        bytes: list.reduce((n, f) => n + f.bytes, 0),
        ...(meta ? { source_meta: meta } : {}),
        files: list.map((f) => ({ path: f.path, bytes: f.bytes, records: f.records, ...(f.sha256 ? { sha256: f.sha256 } : {}), md5: f.md5 })),
      };
    });
    const completedAt = new Date();
    const enc = this.opts.encoding;
    if (enc) {
      // The store's own tools read these beside the data (DynamoDB's manifest-files and manifest-summary).
      for (const s of streams) {
        for (const c of enc.companions(s.name, s.files, { job: run.job, completedAt, setDir: dir, target: this.opts.targetOptions ?? {}, source: this.opts.sourceOptions ?? {} })) {
          const body = Buffer.from(c.text, 'utf8');
          await this.store.put({ name: `${dir}${c.path}`, body: readableOf(body), size: body.length, contentType: 'application/json', metadata: {}, signal });
        }
      }
    }
    const created = new Date(run.job.createdAt).toISOString();
    const manifest: Omit<BackupManifest, 'sha256'> = {
      format: 'ferry-backup/1',
      set: { id: setIdOf(run.job.id), job: run.job.id, created_at: created, completed_at: completedAt.toISOString(), snapshot_at: created },
      plan: { name: run.job.planName, hash: run.job.planHash },
      ferry: { version: ferryVersion() },
      source: { type: this.opts.sourceType },
      encoding: this.encodingName(),
      compression: this.opts.compression ?? 'gzip',
      streams,
    };
    const text = Buffer.from(manifestText(manifest), 'utf8');
    await this.store.put({ name: manifestName, body: readableOf(text), size: text.length, contentType: 'application/json', metadata: {}, signal });
    this.ctx.logger.debug('backup manifest written', { manifest: manifestName, streams: streams.length, orphans: this.stats.orphans });
  }

  report(): SinkRunReport {
    const lines = [`backup set ${this.dir ?? '(none)'}: ${this.stats.files} data files written this run (${this.stats.bytes} bytes)`];
    if (this.stats.orphans > 0) lines.push(`deleted ${this.stats.orphans} files of batches a killed run never committed`);
    return { lines, data: { set: this.dir, files: this.stats.files, bytes: this.stats.bytes, orphansDeleted: this.stats.orphans } };
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.store[Symbol.asyncDispose]();
  }
}

/** The key as the source states it (PostgreSQL keyColumns + keyTypes, DynamoDB keySchema), if it does. */
function keyOfMeta(meta: Record<string, unknown> | undefined): DataFileOutput['key'] | undefined {
  const cols = meta?.['keyColumns'];
  if (Array.isArray(cols) && cols.length > 0 && cols.every((c) => typeof c === 'string')) {
    const types = Array.isArray(meta?.['keyTypes']) ? (meta['keyTypes'] as unknown[]) : [];
    return (cols as string[]).map((field, i) => ({ field, type: typeof types[i] === 'string' ? (types[i] as string) : 'unknown' }));
  }
  const ks = meta?.['keySchema'];
  if (Array.isArray(ks) && ks.length > 0) {
    return (ks as { name?: unknown; attrType?: unknown }[]).filter((k) => typeof k.name === 'string').map((k) => ({ field: k.name as string, type: typeof k.attrType === 'string' ? k.attrType : 'unknown' }));
  }
  return undefined;
}

function keySchemaOf(key: RecordKey): DataFileOutput['key'] {
  return Object.entries(key).map(([field, v]) => ({ field, type: v === null ? 'null' : typeof v }));
}

function digestOf(f: DataFileOutput): SetDigest {
  const d = new SetDigest();
  d.count = f.records;
  for (let i = 0; i < 4; i++) d.sum[i] = Number.parseInt(f.digest.slice(i * 8, i * 8 + 8), 16);
  return d;
}
