/**
 * The sink's Commit (commit.ts): values encoded as the SDK's serializer does, the write kinds, and exactly one
 * attempt per commit. The last is pinned against a gRPC server on 127.0.0.1 speaking Firestore's own service
 * definition that answers every Commit with RESOURCE_EXHAUSTED: ferry's committer sends one request and maps the
 * answer to THROTTLED, while the SDK's public `WriteBatch.commit()` keeps asking (its gax retry).
 */
import { Firestore, Timestamp } from '@google-cloud/firestore';
import { grpc } from 'google-gax';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../../src/connectors/firestore/client.js';
import { encodeValue, fieldPath, mergeMask, toWrite } from '../../../src/connectors/firestore/commit.js';
import { parseOptions } from '../../../src/connectors/firestore/options.js';
import { FirestoreSink } from '../../../src/connectors/firestore/sink.js';
import { isFerryError } from '../../../src/errors.js';
import { startFirestoreGrpc, type FirestoreGrpc } from '../../support/firestore-grpc.js';

describe('encoding', () => {
  it('encodes values as the SDK does', () => {
    expect(encodeValue(null)).toEqual({ nullValue: 'NULL_VALUE' });
    expect(encodeValue(7)).toEqual({ integerValue: '7' });
    expect(encodeValue(-0)).toEqual({ doubleValue: -0 });
    expect(encodeValue(1.5)).toEqual({ doubleValue: 1.5 });
    expect(encodeValue(2 ** 60)).toEqual({ doubleValue: 2 ** 60 });
    expect(encodeValue(Number.NaN)).toEqual({ doubleValue: Number.NaN });
    expect(encodeValue(9007199254740993n)).toEqual({ integerValue: '9007199254740993' });
    expect(encodeValue(new Timestamp(1_700_000_000, 123_456_000))).toEqual({ timestampValue: { seconds: '1700000000', nanos: 123_456_000 } });
    expect(encodeValue(new Uint8Array([1, 2]))).toEqual({ bytesValue: Buffer.from([1, 2]) });
    expect(encodeValue(['a', true, {}])).toEqual({ arrayValue: { values: [{ stringValue: 'a' }, { booleanValue: true }, { mapValue: { fields: {} } }] } });
    expect(encodeValue({ a: { b: 1 }, skip: undefined })).toEqual({ mapValue: { fields: { a: { mapValue: { fields: { b: { integerValue: '1' } } } } } } });
    expect(() => encodeValue(new Map())).toThrow(/cannot hold/);
  });

  it('writes set, create with its precondition, and merge with the mask of every leaf', () => {
    const docs = 'projects/p/databases/(default)/documents';
    expect(toWrite(docs, { op: 'set', path: 'a/1', data: { x: 1 } })).toEqual({ update: { name: `${docs}/a/1`, fields: { x: { integerValue: '1' } } } });
    expect(toWrite(docs, { op: 'create', path: 'a/1', data: {} })).toEqual({ update: { name: `${docs}/a/1`, fields: {} }, currentDocument: { exists: false } });
    const merge = toWrite(docs, { op: 'merge', path: 'a/1', data: { x: 1, m: { y: 2, 'odd name': 3, e: {} }, 'a`b': 4 } });
    expect(merge['updateMask']).toEqual({ fieldPaths: ['x', 'm.y', 'm.`odd name`', 'm.e', '`a\\`b`'] });
    expect(fieldPath(['back\\slash'])).toBe('`back\\\\slash`');
    expect(mergeMask({})).toEqual([]);
  });
});

describe('one attempt per commit', () => {
  let server: FirestoreGrpc;
  let host: string;
  const commits = { n: 0 };

  beforeAll(async () => {
    server = await startFirestoreGrpc({
      Commit: (_call: unknown, cb: (e: Partial<grpc.ServiceError>) => void): void => {
        commits.n += 1;
        cb({ code: grpc.status.RESOURCE_EXHAUSTED, details: 'Quota exceeded.' });
      },
    });
    host = server.host;
  });

  afterAll(() => {
    server.close();
  });

  it('ferry commits once and reports THROTTLED; the SDK\'s public commit would retry inside gax', async () => {
    const options = parseOptions({ emulator_host: host, project: 'one-attempt' });
    const sink = new FirestoreSink(options, undefined, createClient(options, undefined, {}));
    commits.n = 0;
    const err = await sink.committer([{ op: 'set', path: 'a/1', data: { x: 1 } }]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(commits.n).toBe(1);
    expect((err as { code?: number }).code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    // Through the sink's write, the same answer is THROTTLED for the engine, still after one request.
    commits.n = 0;
    const st = { name: 'a', meta: { source: 'A', sourceMeta: {}, options: {}, map: {} } };
    const mapped = await sink.write(st, [sink.toTarget(st, { key: { id: 1 }, value: { id: 1 } })], new AbortController().signal).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isFerryError(mapped) && mapped.code).toBe('THROTTLED');
    expect(commits.n).toBe(1);

    // What the private call was there for: the public commit asks again and again.
    commits.n = 0;
    // The SDK prefers $FIRESTORE_EMULATOR_HOST (the real emulator, under `npm test`) to its settings: hide it.
    const saved = process.env['FIRESTORE_EMULATOR_HOST'];
    delete process.env['FIRESTORE_EMULATOR_HOST'];
    let db: Firestore;
    try {
      db = new Firestore({ projectId: 'one-attempt', host, ssl: false, universeDomain: 'googleapis.com' } as never);
    } finally {
      if (saved !== undefined) process.env['FIRESTORE_EMULATOR_HOST'] = saved;
    }
    const batch = db.batch();
    batch.set(db.doc('a/1'), { x: 1 });
    void batch.commit().catch(() => undefined);
    const until = Date.now() + 20_000;
    while (commits.n < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    expect(commits.n).toBeGreaterThan(1);
    // (That commit keeps retrying for minutes: it is not awaited, and the server's shutdown ends it.)
  }, 30_000);
});
