/**
 * The Firestore sink.
 *
 * - `toTarget` (to-target.ts): values in their Firestore form per the plan's rules; `key` = `{ path }`, the document
 *   path relative to the database, rendered from `to:` and `id:` (document-path.ts).
 * - `limits`: 500 writes per commit, 9 MiB per commit by Firestore's size rules (real Firestore takes 10 MiB per
 *   request; the emulator's gRPC server only 4 MiB, so 3 MiB there), 1 MiB per document, 8 commits in flight.
 *   `cost` = one write per document (plan `limits.writes_per_second`).
 * - `prepare`: nothing to create (collections exist by their documents). Checks the stream's `to:`/`id:` (a CONFIG
 *   error for a path that can never work) and reaches the server once with an empty commit, so bad credentials or a
 *   wrong host fail before any reading. `write: insert` with `merge: true` is a CONFIG error.
 * - `write`: parallel batched commits (one atomic Commit RPC each, with no SDK retries, commit.ts: ferry's batch
 *   writer owns retry, backoff and the AIMD rate). Modes: `upsert` and `replace` → `set` (a whole-document overwrite; ferry never
 *   deletes documents), `insert` → `create` (an existing document is a dead letter), `merge: true` →
 *   `set(…, { merge: true })`. Duplicate paths within one call are collapsed first (upsert: the later wins;
 *   insert: the first wins, the later is a dead letter; merge: all are kept, Firestore applies them in order).
 *   A commit Firestore refuses because of its documents (INVALID_ARGUMENT, ALREADY_EXISTS) or its size is split in
 *   halves until the refused documents stand alone: they are `rejected` with Firestore's message, the rest are
 *   committed. RESOURCE_EXHAUSTED throws THROTTLED (the batch writer halves the rate and retries), unless part of
 *   the call is committed already: then the rest comes back in `retry`, so nothing is written twice under insert.
 * - `ramp_up: true`: writes are paced by Firestore's 500/50/5 rule (ramp-up.ts) before each commit.
 * - `flush`: a commit is durable when it returns, so there is nothing to flush.
 */
import type { Firestore } from '@google-cloud/firestore';
import type { ConnectorContext } from '../../core/connector.js';
import type { Doc, FerryRecord } from '../../core/record.js';
import type { RateUnit, Rejection, Sink, SinkLimits, WriteMode, WriteResult } from '../../core/sink.js';
import type { StreamRef } from '../../core/stream.js';
import type { TargetState } from '../../dry-run/report.js';
import { FerryError, isRetryable } from '../../errors.js';
import { createClient } from './client.js';
import type { CommitWrite, Committer, Op } from './commit.js';
import type { Gapic } from './gapic.js';
import { documentSize } from './document-size.js';
import { isDocumentRefusal, isTooLarge, serverMessage, STATUS, statusOf, toFerryError } from './errors.js';
import { toSdkData } from './marshal.js';
import { parseOptions, type FirestoreOptions } from './options.js';
import { RampUp } from './ramp-up.js';
import { compileStreamTarget, toTargetRecord, type StreamTarget } from './to-target.js';

const MiB = 1024 * 1024;

export const FIRESTORE_LIMITS: SinkLimits = {
  maxItemsPerWrite: 500,
  maxBytesPerWrite: 9 * MiB,
  maxItemBytes: MiB,
  maxConcurrentWrites: 8,
};
/** The emulator refuses gRPC messages over 4 MiB. */
export const EMULATOR_MAX_BYTES_PER_WRITE = 3 * MiB;

export type { Committer, CommitWrite } from './commit.js';

interface Entry {
  record: FerryRecord;
  path: string;
  data: Record<string, unknown>;
  size: number;
}

interface Outcome {
  accepted: number;
  retry: FerryRecord[];
  rejected: Rejection<FerryRecord>[];
}

export class FirestoreSink implements Sink<FerryRecord> {
  readonly limits: SinkLimits;
  readonly db: Firestore;
  readonly options: FirestoreOptions;
  readonly host: string;
  /** One Commit RPC without the SDK's retries (commit.ts). Tests wrap it to inject what the emulator never does. */
  committer: Committer;
  /** The GAPIC client the committer uses: closed with the sink. */
  private readonly gapic: (() => Gapic) | undefined;
  private gapicOpened = false;
  private readonly targets = new WeakMap<StreamRef, StreamTarget>();
  private readonly modes = new Map<string, WriteMode>();
  private readonly ramp: RampUp | undefined;
  private reached = false;

  constructor(options: FirestoreOptions, ctx?: Pick<ConnectorContext, 'logger'>, client?: { db: Firestore; host: string; emulator: boolean; gapic?: () => Gapic }) {
    this.options = options;
    const c = client ?? createClient(options, ctx);
    this.db = c.db;
    this.host = c.host;
    this.gapic = c.gapic;
    this.committer = async (writes) => {
      if (!this.gapic) throw new FerryError('INTERNAL', 'this Firestore sink was opened without a committer');
      this.gapicOpened = true;
      await this.gapic().commit(writes);
    };
    this.limits = { ...FIRESTORE_LIMITS, ...(c.emulator ? { maxBytesPerWrite: EMULATOR_MAX_BYTES_PER_WRITE } : {}) };
    this.ramp = options.rampUp ? new RampUp() : undefined;
  }

  private target(stream: StreamRef): StreamTarget {
    let t = this.targets.get(stream);
    if (!t) {
      t = compileStreamTarget(stream, this.options.rules);
      this.targets.set(stream, t);
    }
    return t;
  }

  toTarget(stream: StreamRef, record: FerryRecord): FerryRecord {
    return toTargetRecord(this.target(stream), record);
  }

  sizeOf(item: FerryRecord): number {
    if (item.sizeBytes !== undefined) return item.sizeBytes;
    const path = item.key['path'];
    return typeof path === 'string' && item.value && typeof item.value === 'object' ? documentSize(path, item.value as Doc) : 0;
  }

  cost(items: readonly FerryRecord[]): Partial<Record<RateUnit, number>> {
    return { writes: items.length };
  }

  private fail(e: unknown, op: string): FerryError {
    return toFerryError(e, { op, host: this.host });
  }

  async prepare(stream: StreamRef, mode: WriteMode, signal: AbortSignal): Promise<void> {
    const st = this.target(stream);
    if (mode === 'insert' && st.rules.merge) {
      throw new FerryError('CONFIG', `Firestore stream ${stream.name}: \`write: insert\` creates documents, so \`merge: true\` cannot apply`, {
        hint: 'use `write: upsert` with `merge: true`, or leave `merge` out',
      });
    }
    if (!this.reached) {
      // An empty commit: a no-op that needs the write permission the job needs, and fails in a fraction of a second
      // when the host does not answer (a query would first go through the SDK's retries for about 40 s).
      if (signal.aborted) throw new FerryError('INTERRUPTED', 'aborted');
      try {
        await this.committer([]);
      } catch (e) {
        throw this.fail(e, 'first contact (an empty commit)');
      }
      this.reached = true;
    }
    this.modes.set(stream.name, mode);
  }

  /**
   * The target collection as it stands, read-only (`ferry plan dry-run`): whether it holds any document (a one-document
   * query) and how many (`count()`). Collections exist by their documents, so a missing one is simply created by the
   * first write. A templated path (`artists/${ArtistId}/albums`) names many collections: not inspected.
   */
  async inspect(stream: StreamRef, signal: AbortSignal, mode: WriteMode = 'upsert'): Promise<TargetState> {
    const st = this.target(stream);
    const problems =
      mode === 'insert' && st.rules.merge
        ? { problems: [{ message: '`write: insert` creates documents, so `merge: true` cannot apply', fix: 'use `write: upsert` with `merge: true`, or leave `merge` out' }] }
        : {};
    const rules = `${st.rules.merge ? 'merge: true keeps fields of existing documents the records lack; ' : ''}bad ids are ${st.rules.badIds === 'escape' ? 'escaped' : 'rejected'}`;
    if (!st.path.fixed) {
      return { exists: 'unknown', empty: 'unknown', created: true, ...problems, notes: [`"${stream.name}" is a templated path: each record goes to its own collection`, rules] };
    }
    const path = st.path.collection;
    if (signal.aborted) throw new FerryError('INTERRUPTED', 'aborted');
    try {
      const one = await this.db.collection(path).select().limit(1).get();
      if (one.empty) {
        return { exists: false, empty: true, items: 0, created: true, ...problems, notes: [`collection ${path} has no documents; the first write creates it`, rules] };
      }
      const n = Number((await this.db.collection(path).count().get()).data().count);
      return { exists: true, empty: false, items: n, ...problems, notes: [`collection ${path} holds ${n} documents`, rules] };
    } catch (e) {
      throw this.fail(e, `read of ${path}`);
    }
  }

  private opOf(stream: StreamRef): Op {
    const mode = this.modes.get(stream.name) ?? 'upsert';
    if (mode === 'insert') return 'create';
    return this.target(stream).rules.merge ? 'merge' : 'set';
  }

  async write(stream: StreamRef, items: readonly FerryRecord[], signal: AbortSignal): Promise<WriteResult<FerryRecord>> {
    const op = this.opOf(stream);
    const result: Outcome = { accepted: 0, retry: [], rejected: [] };

    const entries: Entry[] = [];
    for (const record of items) {
      const path = record.key['path'];
      try {
        if (typeof path !== 'string' || path === '') throw new FerryError('ITEM_REJECTED', 'the record has no document path (it did not pass through toTarget)');
        if (!record.value || typeof record.value !== 'object') throw new FerryError('ITEM_REJECTED', 'the record is not a document');
        entries.push({ record, path, data: toSdkData(record.value as Doc), size: this.sizeOf(record) });
      } catch (e) {
        result.rejected.push({ item: record, reason: e instanceof Error ? e.message : String(e) });
      }
    }

    let unique = entries;
    if (op !== 'merge') {
      const byPath = new Map<string, Entry>();
      for (const e of entries) {
        const prev = byPath.get(e.path);
        if (!prev) {
          byPath.set(e.path, e);
        } else if (op === 'create') {
          result.rejected.push({ item: e.record, reason: `another item of the same batch has the document path ${e.path} (write: insert keeps the first)` });
        } else {
          byPath.delete(e.path);
          byPath.set(e.path, e);
          result.accepted += 1;
        }
      }
      unique = [...byPath.values()];
    }

    const progress = { committed: false };
    for (const chunk of chunks(unique, this.limits.maxItemsPerWrite, this.limits.maxBytesPerWrite ?? Infinity)) {
      if (this.ramp) await this.ramp.acquire(chunk.length, signal);
      merge(result, await this.commit(chunk, op, signal, progress));
    }
    return result;
  }

  /**
   * Commit `entries` in one batch; on a refusal about documents, split it until the refused ones stand alone.
   * Retryable failures throw while nothing of this call is committed, else come back in `retry`.
   */
  private async commit(entries: readonly Entry[], op: Op, signal: AbortSignal, progress: { committed: boolean }): Promise<Outcome> {
    if (signal.aborted) throw new FerryError('INTERRUPTED', 'aborted before a Firestore commit');
    const out: Outcome = { accepted: 0, retry: [], rejected: [] };
    const writes: CommitWrite[] = [];
    const sent: Entry[] = [];
    for (const e of entries) {
      try {
        // The SDK's own check of the path, per document; the data is checked by the server (a refusal is split).
        this.db.doc(e.path);
        writes.push({ op, path: e.path, data: e.data });
        sent.push(e);
      } catch (err) {
        out.rejected.push({ item: e.record, reason: `Firestore refused the document ${e.path}: ${err instanceof Error ? err.message : String(err)}` });
      }
    }
    if (sent.length === 0) return out;
    try {
      await this.committer(writes);
      progress.committed = true;
      out.accepted += sent.length;
      return out;
    } catch (e) {
      if (signal.aborted) throw new FerryError('INTERRUPTED', 'aborted during a Firestore commit', { cause: e });
      const where = `commit of ${sent.length} write${sent.length === 1 ? '' : 's'} (${sent[0]!.path}${sent.length > 1 ? ', …' : ''})`;
      if (isDocumentRefusal(e) || isTooLarge(e)) {
        if (sent.length === 1) {
          out.rejected.push({ item: sent[0]!.record, reason: refusalReason(e, sent[0]!.path) });
          return out;
        }
        const half = Math.ceil(sent.length / 2);
        merge(out, await this.commit(sent.slice(0, half), op, signal, progress));
        merge(out, await this.commit(sent.slice(half), op, signal, progress));
        return out;
      }
      const f = this.fail(e, where);
      if (!isRetryable(f) || !progress.committed) throw f;
      out.retry.push(...sent.map((x) => x.record));
      return out;
    }
  }

  async flush(): Promise<void> {}

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.gapicOpened && this.gapic) await this.gapic().close().catch(() => {});
    await this.db.terminate();
  }
}

function refusalReason(e: unknown, path: string): string {
  const said = serverMessage(e);
  if (statusOf(e) === STATUS.ALREADY_EXISTS) return `a document already exists at ${path} (write: insert)`;
  if (isTooLarge(e)) return `the document ${path} alone is larger than the server takes in one request: ${said}`;
  return `Firestore refused the document ${path}: ${said}`;
}

function merge(into: Outcome, from: Outcome): void {
  into.accepted += from.accepted;
  into.retry.push(...from.retry);
  into.rejected.push(...from.rejected);
}

function* chunks(entries: readonly Entry[], maxItems: number, maxBytes: number): Generator<Entry[]> {
  let chunk: Entry[] = [];
  let bytes = 0;
  for (const e of entries) {
    if (chunk.length > 0 && (chunk.length >= maxItems || bytes + e.size > maxBytes)) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
    chunk.push(e);
    bytes += e.size;
  }
  if (chunk.length > 0) yield chunk;
}

export async function createFirestoreSink(options: Record<string, unknown>, ctx: ConnectorContext): Promise<FirestoreSink> {
  return new FirestoreSink(parseOptions(options), ctx);
}
