/**
 * Any object store as a ferry target. `write` gets a run of source objects (in name order), learns what the target
 * already holds for that run with one ranged listing (or HEADs for a few), skips objects whose copy is proved
 * identical (same-object.ts), and copies the rest, streaming each from the source store through an MD5 pass-through
 * into the target store. At most `transfers` objects are in flight for the whole job, `large_transfers` of them
 * larger than a part, so memory stays bounded by parts, not by objects.
 *
 * Every copy is proved by a hash (proof.ts): the MD5 ferry computed while streaming must equal the source's stated
 * MD5 (else the bytes changed in transit: retried), and the target's reported MD5, or the server checked what it
 * was sent (Content-MD5, per-part MD5s, the multipart ETag, CRC32C). A copy no hash could prove is counted and named
 * as `size only` in the report. Failures are per object: transient ones are retried by the engine, permanent ones
 * become dead letters with their reason, and only store-wide failures (credentials, a missing bucket) stop the job.
 */
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ConnectorContext } from '../core/connector.js';
import type { ObjectInfo, ObjectStore, PutResult } from '../core/object.js';
import type { FerryRecord } from '../core/record.js';
import type { PlannedAction, Rejection, Sink, SinkLimits, SinkRun, SinkRunReport, StreamOrigin, WriteMode, WriteResult } from '../core/sink.js';
import type { StreamRef } from '../core/stream.js';
import { trackerFor, type UploadLedger, type UploadTracker } from '../core/upload-ledger.js';
import type { TargetState } from '../dry-run/report.js';
import { FerryError, isFerryError } from '../errors.js';
import { HashingStream } from './hashing-stream.js';
import { isObjectValue, META_SOURCE_ETAG, META_SOURCE_MD5, type ObjectValue } from './object-value.js';
import { pairListings } from './listing-diff.js';
import { nameFilter, type NameFilter } from './name-glob.js';
import { proofOf, reportOf, SinkReport } from './object-report.js';
import { ObjectSource, type ObjectStreamMeta } from './object-source.js';
import { sameObject } from './same-object.js';
import { Semaphore } from '../util/semaphore.js';

export interface ObjectSinkOptions {
  /** Objects copied at once, job-wide. */
  transfers: number;
  /** Of those, objects larger than `largeBytes` (each holds several parts in memory). */
  largeTransfers: number;
  largeBytes: number;
  create: boolean;
}

const RANGE_LISTING_MIN = 4;

export function objectSinkOptions(options: Record<string, unknown>): ObjectSinkOptions {
  const num = (k: string, d: number): number => (typeof options[k] === 'number' && (options[k] as number) >= 1 ? Math.floor(options[k] as number) : d);
  const partMb = num('part_size_mb', 8);
  return {
    transfers: num('transfers', 16),
    largeTransfers: num('large_transfers', 4),
    largeBytes: partMb * 1024 * 1024,
    create: options['create'] === true,
  };
}

interface Outcome {
  kind: 'copied' | 'skipped' | 'retry' | 'rejected';
  reason?: string;
  retryAfterMs?: number;
}

export class ObjectSink implements Sink<FerryRecord> {
  readonly limits: SinkLimits;
  readonly stats = new SinkReport();
  private readonly transfers: Semaphore;
  private readonly large: Semaphore;
  private readonly prepared = new Set<string>();
  private mode: WriteMode = 'upsert';
  /** The run's ledger for this store, once a job prepared the sink. */
  private uploads: UploadTracker | undefined;

  constructor(
    readonly store: ObjectStore,
    private readonly opts: ObjectSinkOptions,
    private readonly ctx: ConnectorContext,
  ) {
    this.transfers = new Semaphore(opts.transfers);
    this.large = new Semaphore(opts.largeTransfers);
    // Several writes in flight so one slow object does not idle the transfer pool.
    this.limits = { maxItemsPerWrite: 64, maxConcurrentWrites: Math.max(2, Math.ceil(opts.transfers / 8)) * 2, maxItemBytes: store.limits.maxObjectBytes };
  }

  sizeOf(item: FerryRecord): number {
    return isObjectValue(item.value) ? item.value.info.size : (item.sizeBytes ?? 0);
  }

  cost(items: readonly FerryRecord[]): { requests: number } {
    return { requests: items.length };
  }

  /** Target names are the stream's `to` prefix plus the name below the source prefix; the key stays `{ name }`. */
  toTarget(stream: StreamRef, record: FerryRecord): FerryRecord {
    const rel = String(record.key['name']);
    const name = stream.name + rel;
    const problem = this.store.nameProblem?.(name);
    if (problem !== undefined) throw new FerryError('ITEM_REJECTED', problem, { hint: 'rename the object in the source, or copy it to a store that holds such names' });
    const bytes = Buffer.byteLength(name, 'utf8');
    if (bytes > this.store.limits.maxNameBytes) {
      throw new FerryError('ITEM_REJECTED', `target name is ${bytes} bytes, over ${this.store.url}'s limit of ${this.store.limits.maxNameBytes}`, {
        hint: 'choose a shorter `to:` prefix for this stream',
      });
    }
    return record;
  }

  async prepare(stream: StreamRef, mode: WriteMode, signal: AbortSignal, run?: SinkRun): Promise<void> {
    this.mode = mode;
    if (run) this.uploads = trackerFor(run.uploads, this.store.url);
    if (this.prepared.has(stream.name)) return;
    if (this.opts.create && this.store.create) await this.store.create(signal);
    else await this.store.check(signal);
    if (run) await this.abortOrphans(run.uploads, stream.name, signal);
    this.prepared.add(stream.name);
  }

  /**
   * Partial uploads a dead run of this state left under the prefix (S3 bills their parts until aborted): only those
   * the ledger recorded and whose lease is gone, so another application's or a live worker's upload is untouched.
   * One that cannot be aborted now stays recorded for the next run; the copy itself does not depend on it.
   */
  private async abortOrphans(ledger: UploadLedger, prefix: string, signal: AbortSignal): Promise<void> {
    if (!this.store.abortPartial) return;
    const orphans = await ledger.orphans(this.store.url, prefix);
    let removed = 0;
    for (const u of orphans) {
      try {
        if (await this.store.abortPartial(u, signal)) removed += 1;
        await ledger.ended(this.store.url, u);
      } catch (e) {
        if (signal.aborted) throw e;
        this.ctx.logger.warn(`could not abort a partial upload an earlier run left at ${this.store.url}/${u.name}; the next run tries again`, {
          error: e instanceof Error ? e.message : String(e),
        });
      }
    }
    if (removed > 0) this.ctx.logger.info(`removed ${removed} partial upload(s) left under ${this.store.url}/${prefix} by an earlier run`);
  }

  /** Objects a dry run counts under a target prefix before it only says "not empty". */
  static readonly INSPECT_MAX = 10_000;

  /**
   * The target prefix as it stands, read-only (`ferry plan dry-run`): the store's own check (bucket or container
   * exists, credentials work), then a listing of the prefix (up to INSPECT_MAX objects). A missing bucket is
   * `exists: false`, created by the run with `create: true`.
   */
  async inspect(stream: StreamRef, signal: AbortSignal): Promise<TargetState> {
    try {
      await this.store.check(signal);
    } catch (e) {
      if (isFerryError(e) && e.code === 'NOT_FOUND') {
        const created = this.opts.create && this.store.create !== undefined;
        return {
          exists: false,
          empty: true,
          items: 0,
          created,
          notes: [`${this.store.url} does not exist${created ? '; the run creates it (`create: true`)' : ', and the target block has no `create: true`'}`],
        };
      }
      throw e;
    }
    let items = 0;
    let bytes = 0;
    let more = false;
    for await (const page of this.store.list({ prefix: stream.name, pageSize: 1000, signal })) {
      for (const info of page) {
        if (items >= ObjectSink.INSPECT_MAX) {
          more = true;
          break;
        }
        items++;
        bytes += info.size;
      }
      if (more) break;
    }
    const where = `${this.store.url}/${stream.name}`;
    const notes =
      items === 0
        ? [`nothing under ${where} yet`]
        : [
            `${more ? `more than ${items}` : items} objects (${bytes} bytes${more ? ' in the first ones' : ''}) under ${where}; objects already identical are skipped, \`ferry run --dry-run\` names each one`,
          ];
    return { exists: true, empty: items === 0, ...(more ? {} : { items }), notes };
  }

  async write(stream: StreamRef, items: readonly FerryRecord[], signal: AbortSignal): Promise<WriteResult<FerryRecord>> {
    const existing = await this.targetState(stream.name, items, signal);
    const outcomes = await Promise.all(items.map((item) => this.one(stream.name, item, existing, signal)));
    const retry: FerryRecord[] = [];
    const rejected: Rejection<FerryRecord>[] = [];
    let accepted = 0;
    let retryAfterMs: number | undefined;
    outcomes.forEach((o, i) => {
      const item = items[i]!;
      if (o.kind === 'retry') {
        retry.push(item);
        if (o.retryAfterMs !== undefined) retryAfterMs = Math.max(retryAfterMs ?? 0, o.retryAfterMs);
      } else if (o.kind === 'rejected') rejected.push({ item, reason: o.reason ?? 'refused' });
      else accepted++;
    });
    return { accepted, retry, rejected, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
  }

  report(): SinkRunReport {
    return reportOf(this.stats.snapshot());
  }

  /** A mirror (`delete_extraneous: true`): delete target objects the source lacks, at most `max_delete` of them. */
  async finishStream(target: StreamRef, from: StreamOrigin<FerryRecord>, signal: AbortSignal): Promise<void> {
    const options = streamOptions(target);
    if (options['delete_extraneous'] !== true) return;
    const origin = originOf(from);
    const maxDelete = typeof options['max_delete'] === 'number' ? options['max_delete'] : DEFAULT_MAX_DELETE;
    const doomed: string[] = [];
    for await (const p of pairListings(origin, { store: this.store, prefix: target.name }, origin.filter, signal)) {
      if (p.source !== undefined || p.target === undefined) continue;
      doomed.push(p.target.name);
      if (doomed.length > maxDelete) {
        throw new FerryError('CONFIG', `more than ${maxDelete} objects under ${this.store.url}/${target.name} are not in the source; none was deleted (max_delete: ${maxDelete})`, {
          hint: `check the stream's from/to prefixes; if the deletes are intended, raise \`max_delete\` on the stream and resume the job`,
          details: { first: doomed.slice(0, 10) },
        });
      }
    }
    // Each one again against the source, by name: a delete is the one step ferry cannot undo.
    await Promise.all(
      doomed.map((name) =>
        this.transfers.run(async () => {
          const rel = name.slice(target.name.length);
          if (await origin.store.head(origin.prefix + rel, signal)) return;
          await this.store.delete(name, signal);
          this.stats.deleted(1);
          this.ctx.logger.info(`deleted ${this.store.url}/${name}: not in the source`);
        }),
      ),
    );
  }

  async *preview(target: StreamRef, from: StreamOrigin<FerryRecord>, signal: AbortSignal): AsyncIterable<PlannedAction> {
    const origin = originOf(from);
    const mirror = streamOptions(target)['delete_extraneous'] === true;
    for await (const p of pairListings(origin, { store: this.store, prefix: target.name }, origin.filter, signal)) {
      const name = target.name + p.rel;
      if (p.source === undefined) {
        yield { action: mirror ? 'delete' : 'keep', name, bytes: p.target.size, reason: 'not in the source' };
        continue;
      }
      const problem = this.store.nameProblem?.(name);
      if (problem !== undefined) {
        yield { action: 'refuse', name, bytes: p.source.size, reason: problem };
        continue;
      }
      if (p.target === undefined) {
        yield { action: 'copy', name, bytes: p.source.size, reason: 'new' };
        continue;
      }
      let same = sameObject(p.source, p.target);
      if (same.same === 'unknown') same = sameObject(p.source, (await this.store.head(name, signal)) ?? p.target);
      if (same.same === true) yield { action: 'skip', name, bytes: p.source.size, reason: `identical by ${same.by}` };
      else yield { action: 'copy', name, bytes: p.source.size, reason: same.same === false ? same.why : 'no hash both sides share' };
    }
  }

  async flush(): Promise<void> {
    // Every put resolved only once the target holds the object: nothing is pending.
  }

  async [Symbol.asyncDispose](): Promise<void> {
    const closed = new FerryError('INTERRUPTED', 'the object sink was closed before this transfer started');
    this.transfers.close(closed);
    this.large.close(closed);
    await this.store[Symbol.asyncDispose]();
  }

  /** What the target holds for these items' names: one ranged listing for a run of them, HEADs for a few. */
  private async targetState(prefix: string, items: readonly FerryRecord[], signal: AbortSignal): Promise<Map<string, ObjectInfo>> {
    const names = items.map((i) => prefix + String(i.key['name']));
    const found = new Map<string, ObjectInfo>();
    const sorted = [...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    const head = async (n: string): Promise<void> => {
      const info = await this.store.head(n, signal);
      if (info) found.set(n, info);
    };
    if (sorted.length < RANGE_LISTING_MIN) {
      await Promise.all(sorted.map(head));
      return found;
    }
    const first = sorted[0]!;
    const last = sorted[sorted.length - 1]!;
    const wanted = new Set(names);
    await head(first);
    for await (const page of this.store.list({ prefix, startAfter: first, endBefore: last, pageSize: 1000, signal })) {
      for (const info of page) if (wanted.has(info.name)) found.set(info.name, info);
    }
    await head(last);
    return found;
  }

  private async one(prefix: string, item: FerryRecord, existing: Map<string, ObjectInfo>, signal: AbortSignal): Promise<Outcome> {
    if (!isObjectValue(item.value)) {
      return { kind: 'rejected', reason: 'not an object: an object store target needs an object store source' };
    }
    const value = item.value;
    const name = prefix + value.rel;
    try {
      let target = existing.get(name);
      if (target) {
        let same = sameObject(value.info, target);
        if (same.same === 'unknown') {
          target = (await this.store.head(name, signal)) ?? target;
          same = sameObject(value.info, target);
        }
        if (same.same === true) {
          this.stats.skipped(value.info.size, same.by);
          return { kind: 'skipped' };
        }
        if (this.mode === 'insert') {
          return { kind: 'rejected', reason: `${this.store.url}/${name} exists and differs (${same.same === false ? same.why : 'unproved'}); write: insert never overwrites` };
        }
      }
      const pool = value.info.size > this.opts.largeBytes ? this.large : this.transfers;
      await pool.run(() => this.copy(name, value, signal));
      return { kind: 'copied' };
    } catch (e) {
      return this.classify(name, value, e);
    }
  }

  private classify(name: string, value: ObjectValue, e: unknown): Outcome {
    if (!isFerryError(e)) throw e;
    if (e.code === 'INTERRUPTED') throw e;
    if (e.retry !== 'terminal') {
      this.ctx.logger.debug(`retrying ${name}: ${e.message}`);
      return { kind: 'retry', ...(e.retryAfterMs === undefined ? {} : { retryAfterMs: e.retryAfterMs }) };
    }
    if (e.code === 'ITEM_REJECTED') return { kind: 'rejected', reason: e.message };
    // The source object vanished between listing and reading: nothing to copy, but say so.
    if (e.code === 'NOT_FOUND' && e.details?.['object'] === value.info.name) {
      return { kind: 'rejected', reason: `source object ${value.store.url}/${value.info.name} disappeared after it was listed` };
    }
    throw e;
  }

  private async copy(name: string, value: ObjectValue, signal: AbortSignal): Promise<void> {
    const { body, info: src } = await openSource(value, signal);
    if (src.size !== value.info.size) {
      body.destroy();
      throw new FerryError('TRANSIENT', `${value.store.url}/${src.name} changed since it was listed (${value.info.size} → ${src.size} bytes)`, { hint: CHANGING });
    }
    const hashing = new HashingStream();
    let readError: unknown;
    const piping = pipeline(body, hashing, { signal }).catch((e: unknown) => {
      readError = e;
      hashing.destroy(e instanceof Error ? e : new Error(String(e)));
    });
    // A source that was itself copied by ferry carries our keys: they describe its source, not this one.
    const metadata: Record<string, string> = {};
    for (const [k, v] of Object.entries(src.metadata ?? {})) if (!k.startsWith('ferry_source_')) metadata[k] = v;
    if (src.etag !== undefined) metadata[META_SOURCE_ETAG] = src.etag;
    if (src.md5 !== undefined) metadata[META_SOURCE_MD5] = src.md5;
    let put: PutResult;
    try {
      put = await this.store.put({
        name,
        body: hashing,
        size: src.size,
        ...(src.md5 === undefined ? {} : { md5: src.md5 }),
        ...headersOf(src),
        metadata,
        signal,
        ...(this.uploads ? { uploads: this.uploads } : {}),
      });
    } catch (e) {
      await piping;
      if (isFerryError(e) && e.code === 'ITEM_REJECTED') throw e;
      if (readError !== undefined && !signal.aborted) throw readFailure(value, readError);
      throw e;
    }
    await piping;
    if (readError !== undefined) throw readFailure(value, readError);
    const computed = hashing.md5Hex;
    if (hashing.bytes !== src.size || computed === undefined) {
      throw new FerryError('TRANSIENT', `${value.store.url}/${src.name} gave ${hashing.bytes} of ${src.size} bytes`, { hint: CHANGING });
    }
    if (src.md5 !== undefined && computed !== src.md5) {
      throw new FerryError('TRANSIENT', `the content read from ${value.store.url}/${src.name} has MD5 ${computed}, not the ${src.md5} the source states: damaged in transit`, { hint: DAMAGED });
    }
    if (put.name !== undefined && put.name !== name) {
      throw new FerryError('INTERNAL', `${this.store.url}: the copy of ${JSON.stringify(name)} was written as ${JSON.stringify(put.name)}`, { hint: 'report it: the store let a name through that it cannot hold; check that object in the target' });
    }
    if (put.md5 !== undefined && put.md5 !== computed) {
      throw new FerryError('TRANSIENT', `${this.store.url}/${name} reports MD5 ${put.md5} but ferry sent content with MD5 ${computed}: damaged in transit`, { hint: DAMAGED });
    }
    this.stats.copied(name, src.size, proofOf(src.md5, computed, put));
  }
}

/** The content and the headers and metadata to carry: the listing's when it has them, else from the read itself. */
async function openSource(value: ObjectValue, signal: AbortSignal): Promise<{ body: Readable; info: ObjectInfo }> {
  if (value.info.detailed) return { body: await value.store.get(value.info.name, signal), info: value.info };
  if (value.store.open) return value.store.open(value.info.name, signal);
  const info = (await value.store.head(value.info.name, signal)) ?? vanished(value);
  return { body: await value.store.get(value.info.name, signal), info };
}

/** A source stream that broke mid-copy: worth another try (a reset, a timeout), unless the store said otherwise. */
function readFailure(value: ObjectValue, e: unknown): FerryError {
  if (isFerryError(e)) return e;
  const msg = e instanceof Error ? e.message : String(e);
  return new FerryError('TRANSIENT', `reading ${value.store.url}/${value.info.name} failed mid-copy: ${msg}`, { cause: e, hint: 'check the connection to the source store; the object is copied again from the start' });
}

const DEFAULT_MAX_DELETE = 1000;
const CHANGING = 'something is writing to the source object; stop its writers (or copy after they finish) and resume';
const DAMAGED = 'each try re-reads the object; if this persists, look for a proxy or gateway that rewrites content between the stores';

function streamOptions(target: StreamRef): Record<string, unknown> {
  return ((target.meta?.['options'] as Record<string, unknown> | undefined) ?? {});
}

/** The source side of a mirror or a preview: only another object store can be one. */
function originOf(from: StreamOrigin<FerryRecord>): { store: ObjectStore; prefix: string; filter: NameFilter } {
  if (!(from.source instanceof ObjectSource)) {
    throw new FerryError('UNSUPPORTED', 'mirroring and object previews need an object store as the source');
  }
  const meta = from.stream.meta as ObjectStreamMeta | undefined;
  return { store: from.source.store, prefix: meta?.objectPrefix ?? from.stream.name, filter: nameFilter(meta?.match) };
}

function vanished(value: ObjectValue): never {
  throw new FerryError('NOT_FOUND', `${value.store.url}/${value.info.name} no longer exists`, { details: { object: value.info.name } });
}

function headersOf(info: ObjectInfo): Partial<Record<'contentType' | 'contentEncoding' | 'contentLanguage' | 'cacheControl' | 'contentDisposition', string>> {
  const out: Partial<Record<'contentType' | 'contentEncoding' | 'contentLanguage' | 'cacheControl' | 'contentDisposition', string>> = {};
  if (info.contentType !== undefined) out.contentType = info.contentType;
  if (info.contentEncoding !== undefined) out.contentEncoding = info.contentEncoding;
  if (info.contentLanguage !== undefined) out.contentLanguage = info.contentLanguage;
  if (info.cacheControl !== undefined) out.cacheControl = info.cacheControl;
  if (info.contentDisposition !== undefined) out.contentDisposition = info.contentDisposition;
  return out;
}

export function createObjectSink(store: ObjectStore, options: Record<string, unknown>, ctx: ConnectorContext): Sink<FerryRecord> {
  return new ObjectSink(store, objectSinkOptions(options), ctx);
}
