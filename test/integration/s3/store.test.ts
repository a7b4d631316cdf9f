/**
 * The S3 ObjectStore against gofakes3 (scripts/services), through the official SDK: listing order and pages,
 * ranges, HEAD metadata, single and multipart uploads with the server's MD5 checks, aborts that leave no multipart
 * upload behind, abortPartial and the upload tracker, and the error mapping for a missing bucket and an unreachable endpoint.
 *
 * gofakes3 v1.2.0 does not check credentials (any key is accepted), so AUTH is covered by the unit tests of
 * errors.ts only. It also keeps neither Cache-Control nor Content-Language (only X-Amz-*, Content-Type,
 * -Disposition and -Encoding): the tests say so, and will notice an upgrade that fixes it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { buffer } from 'node:stream/consumers';
import {
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from '../../../src/core/connector.js';
import { compareNames, type ObjectInfo, type PutRequest } from '../../../src/core/object.js';
import { FerryError } from '../../../src/errors.js';
import { multipartEtag, openS3Store, type S3Store } from '../../../src/connectors/s3/store.js';
import { s3, serviceEnv, uniqueName } from '../../support/clients.js';

const MiB = 1024 * 1024;
const silent: Logger = { debug() {}, info() {}, warn() {} };
const warnings: string[] = [];
const logger: Logger = { debug() {}, info() {}, warn: (m) => void warnings.push(m) };
const never = new AbortController().signal;

const raw = s3();
const bucket = uniqueName('s3store');
const buckets = [bucket];
const stores: S3Store[] = [];

async function open(extra: Record<string, unknown> = {}, b = bucket): Promise<S3Store> {
  const store = (await openS3Store(
    { bucket: b, endpoint: serviceEnv('S3_ENDPOINT'), part_size_mb: 5, ...extra },
    { signal: never, logger },
  )) as S3Store;
  stores.push(store);
  return store;
}

function md5(b: Buffer): string {
  return createHash('md5').update(b).digest('hex');
}
function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

function putReq(name: string, body: Buffer | Readable, size: number, extra: Partial<PutRequest> = {}): PutRequest {
  return { name, body: Buffer.isBuffer(body) ? Readable.from([body]) : body, size, metadata: {}, signal: never, ...extra };
}

/** Deterministic pseudo-random bytes in chunks, with a count of what was pulled. */
function generated(size: number, onPull?: (pulled: number) => void, chunk = 64 * 1024, seed = 7): { stream: Readable; whole: () => Buffer } {
  let pulled = 0;
  const block = (i: number): Buffer => {
    const b = Buffer.alloc(chunk);
    let x = (seed * 2654435761 + i * 40503) >>> 0;
    for (let j = 0; j < chunk; j += 4) {
      x = (x * 1664525 + 1013904223) >>> 0;
      b.writeUInt32LE(x, j);
    }
    return b;
  };
  function* gen(): Generator<Buffer> {
    for (let off = 0, i = 0; off < size; off += chunk, i++) {
      const b = block(i).subarray(0, Math.min(chunk, size - off));
      pulled += b.length;
      onPull?.(pulled);
      yield b;
    }
  }
  const whole = (): Buffer => Buffer.concat([...(function* () {
    for (let off = 0, i = 0; off < size; off += chunk, i++) yield block(i).subarray(0, Math.min(chunk, size - off));
  })()]);
  return { stream: Readable.from(gen()), whole };
}

async function listAll(store: S3Store, req: Partial<Parameters<S3Store['list']>[0]> = {}): Promise<{ names: string[]; pages: ObjectInfo[][] }> {
  const pages: ObjectInfo[][] = [];
  for await (const page of store.list({ prefix: '', signal: never, ...req })) pages.push(page);
  return { names: pages.flat().map((o) => o.name), pages };
}

async function uploadsUnder(prefix: string, b = bucket): Promise<string[]> {
  try {
    const out = await raw.send(new ListMultipartUploadsCommand({ Bucket: b, Prefix: prefix }));
    return (out.Uploads ?? []).map((u) => u.Key ?? '');
  } catch (e) {
    if ((e as Error).name === 'NoSuchUpload') return []; // gofakes3: no upload ever in this bucket
    throw e;
  }
}

/** Counts (and optionally delays or fails) commands below the SDK's retry middleware. */
function instrument(client: S3Client, command: string, opts: { delayMs?: number; failOn?: (n: number) => Error | undefined } = {}) {
  const stats = { calls: 0, inflight: 0, maxInflight: 0, doneBytes: 0 };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== command) return next(args);
      stats.calls += 1;
      const n = stats.calls;
      stats.inflight += 1;
      stats.maxInflight = Math.max(stats.maxInflight, stats.inflight);
      try {
        if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
        const err = opts.failOn?.(n);
        if (err) throw err;
        const out = await next(args);
        const body = (args.input as { Body?: unknown }).Body;
        if (Buffer.isBuffer(body)) stats.doneBytes += body.length;
        return out;
      } finally {
        stats.inflight -= 1;
      }
    },
    { step: 'deserialize', name: `ferryTest${command}${Math.random()}` },
  );
  return stats;
}

let store: S3Store;

beforeAll(async () => {
  store = await open({ create: true });
  await store.create!(never);
});

afterAll(async () => {
  for (const b of buckets) {
    for (;;) {
      const out = await raw.send(new ListObjectsV2Command({ Bucket: b })).catch(() => undefined);
      const keys = (out?.Contents ?? []).map((o) => ({ Key: o.Key! }));
      if (!keys.length) break;
      await raw.send(new DeleteObjectsCommand({ Bucket: b, Delete: { Objects: keys } }));
    }
    await raw.send(new DeleteBucketCommand({ Bucket: b })).catch(() => undefined);
  }
  for (const s of stores) await s[Symbol.asyncDispose]();
  raw.destroy();
});

describe('bucket', () => {
  it('check() says NOT_FOUND with a hint for a missing bucket; create() makes it, twice is fine', async () => {
    const name = uniqueName('s3create');
    buckets.push(name);
    const s = await open({}, name);
    const err = await s.check(never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FerryError);
    expect(err).toMatchObject({ code: 'NOT_FOUND', retry: 'terminal' });
    expect((err as FerryError).message).toContain(`the bucket ${name} does not exist`);
    expect((err as FerryError).hint).toContain('create: true');
    await s.create!(never);
    await s.create!(never);
    await s.check(never);
    expect(s.url).toBe(`s3://${name}`);
    expect(s.limits).toEqual({ maxObjectBytes: 5 * 1024 ** 4, maxNameBytes: 1024 });
  });

  it('abortPartial on a bucket that never had a multipart upload finds nothing (gofakes3 answers NoSuchUpload)', async () => {
    const name = uniqueName('s3fresh');
    buckets.push(name);
    const s = await open({ create: true }, name);
    await s.create!(never);
    expect(await s.abortPartial({ name: 'x.bin', id: 'no-such-upload' }, never)).toBe(false);
  });

  it('listing a missing bucket is NOT_FOUND', async () => {
    const s = await open({}, uniqueName('s3missing'));
    await expect(listAll(s)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(s.put(putReq('x', Buffer.from('x'), 1))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('an endpoint nobody listens on is UNREACHABLE naming host:port', async () => {
    const port = await new Promise<number>((resolve) => {
      const srv = createServer();
      srv.listen(0, '127.0.0.1', () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => resolve(p));
      });
    });
    const s = await open({ endpoint: `http://127.0.0.1:${port}` });
    const err = (await s.check(never).catch((e: unknown) => e)) as FerryError;
    expect(err).toMatchObject({ code: 'UNREACHABLE', retry: 'transient' });
    expect(err.message).toContain(`127.0.0.1:${port}`);
    expect(err.message).toContain('ECONNREFUSED');
    expect(err.hint).toContain('endpoint');
  });

  it('takes the endpoint from AWS_ENDPOINT_URL_S3 when the plan has none (the SDK reads it)', async () => {
    const before = process.env['AWS_ENDPOINT_URL_S3'];
    process.env['AWS_ENDPOINT_URL_S3'] = serviceEnv('S3_ENDPOINT');
    try {
      const s = (await openS3Store({ bucket }, { signal: never, logger: silent })) as S3Store;
      stores.push(s);
      await s.check(never);
    } finally {
      if (before === undefined) delete process.env['AWS_ENDPOINT_URL_S3'];
      else process.env['AWS_ENDPOINT_URL_S3'] = before;
    }
  });
});

describe('list', () => {
  // Byte order differs from JS string order for U+E000 against characters beyond U+FFFF (surrogates sort lower).
  const names = [
    'list/a',
    'list/a b+c%41',
    'list/B',
    'list/b',
    'list/dir/x',
    'list/z',
    'list/é',
    'list/東京',
    'list/\uE000',
    'list/😀',
    'list/𝄞',
    'list2/other',
  ];

  beforeAll(async () => {
    for (const n of names) await store.put(putReq(n, Buffer.from(n), Buffer.byteLength(n)));
  });

  it('lists in UTF-8 byte order, in pages of pageSize, with size, etag and md5 but not detailed', async () => {
    const expected = [...names].sort(compareNames);
    expect(expected.indexOf('list/\uE000')).toBeLessThan(expected.indexOf('list/😀')); // not JS order
    const { names: got, pages } = await listAll(store, { pageSize: 2 });
    expect(got).toEqual(expected);
    expect(pages.length).toBe(Math.ceil(names.length / 2));
    for (const p of pages) expect(p.length).toBeLessThanOrEqual(2);
    const a = pages.flat().find((o) => o.name === 'list/a')!;
    expect(a).toMatchObject({ name: 'list/a', size: 6, md5: md5(Buffer.from('list/a')), etag: md5(Buffer.from('list/a')), detailed: false });
    expect(a.lastModified).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(a.metadata).toBeUndefined();
  });

  it('honours prefix, startAfter (strictly after) and endBefore (strictly before)', async () => {
    const under = names.filter((n) => n.startsWith('list/')).sort(compareNames);
    expect((await listAll(store, { prefix: 'list/', pageSize: 3 })).names).toEqual(under);
    expect((await listAll(store, { prefix: 'list/dir/' })).names).toEqual(['list/dir/x']);
    expect((await listAll(store, { prefix: 'list/', startAfter: 'list/b' })).names).toEqual(under.slice(under.indexOf('list/b') + 1));
    expect((await listAll(store, { prefix: 'list/', startAfter: 'list/b', endBefore: 'list/é', pageSize: 2 })).names).toEqual([
      'list/dir/x',
      'list/z',
    ]);
    expect((await listAll(store, { prefix: 'list/', startAfter: 'list/\uE000' })).names).toEqual(['list/𝄞', 'list/😀']);
    expect((await listAll(store, { prefix: 'list/', endBefore: 'list/a' })).names).toEqual(['list/B']);
    expect((await listAll(store, { prefix: 'list/', startAfter: 'list/z', endBefore: 'list/z' })).names).toEqual([]);
    expect((await listAll(store, { prefix: 'nothing/' })).names).toEqual([]);
    // A startAfter before the prefix, an endBefore after it.
    expect((await listAll(store, { prefix: 'list2/', startAfter: 'a', endBefore: 'zzz' })).names).toEqual(['list2/other']);
  });

  it('stops at endBefore without reading further pages', async () => {
    const s = await open();
    const stats = instrument(s.client, 'ListObjectsV2Command');
    const { names: got } = await listAll(s, { prefix: 'list/', endBefore: 'list/b', pageSize: 1 });
    expect(got).toEqual(['list/B', 'list/a', 'list/a b+c%41']);
    expect(stats.calls).toBe(4); // B, a, a b+c%41, then b (≥ endBefore): no fifth page
  });
});

describe('objects', () => {
  it('put with the right md5: checked by the server, md5 and etag reported; head returns the headers and metadata', async () => {
    const body = Buffer.from('{"hello":"world"}');
    const res = await store.put(
      putReq('obj/hello.json', body, body.length, {
        md5: md5(body),
        contentType: 'application/json',
        contentEncoding: 'identity',
        contentLanguage: 'fr',
        cacheControl: 'max-age=60',
        contentDisposition: 'attachment; filename="hello.json"',
        metadata: { 'ferry_source_md5': md5(body), Note: 'Zoë — 東京 🚢', spaced: ' padded ', plain: 'ascii value' },
      }),
    );
    expect(res).toEqual({ md5: md5(body), etag: md5(body), size: body.length, serverChecks: ['content-md5'] });
    const h = await store.head('obj/hello.json', never);
    expect(h).toMatchObject({
      name: 'obj/hello.json',
      size: body.length,
      md5: md5(body),
      etag: md5(body),
      contentType: 'application/json',
      contentEncoding: 'identity',
      contentDisposition: 'attachment; filename="hello.json"',
      metadata: { 'ferry_source_md5': md5(body), note: 'Zoë — 東京 🚢', spaced: ' padded ', plain: 'ascii value' },
      storageClass: 'STANDARD',
      detailed: true,
    });
    // gofakes3 v1.2.0 drops these two headers (S3 keeps them).
    expect(h?.cacheControl).toBeUndefined();
    expect(h?.contentLanguage).toBeUndefined();
    const listed = (await listAll(store, { prefix: 'obj/hello' })).pages[0]![0]!;
    expect(listed.detailed).toBe(false);
  });

  it('put without an md5 still sends the computed Content-MD5; an empty object works', async () => {
    const body = randomBytes(1000);
    expect(await store.put(putReq('obj/no-md5', body, body.length))).toEqual({
      md5: md5(body),
      etag: md5(body),
      size: 1000,
      serverChecks: ['content-md5'],
    });
    const empty = await store.put(putReq('obj/empty', Buffer.alloc(0), 0));
    expect(empty).toMatchObject({ md5: md5(Buffer.alloc(0)), size: 0, serverChecks: ['content-md5'] });
    expect(await buffer(await store.get('obj/empty', never))).toHaveLength(0);
  });

  it('a wrong md5 is refused by the server: TRANSIENT naming both MD5s, nothing written', async () => {
    const body = Buffer.from('the real content');
    const wrong = md5(Buffer.from('something else'));
    const err = (await store.put(putReq('obj/bad-md5', body, body.length, { md5: wrong })).catch((e: unknown) => e)) as FerryError;
    expect(err).toBeInstanceOf(FerryError);
    expect(err).toMatchObject({ code: 'TRANSIENT', details: { s3Error: 'BadDigest', expectedMd5: wrong, readMd5: md5(body) } });
    expect(err.message).toContain(`MD5 ${md5(body)}, not the expected ${wrong}`);
    expect(await store.head('obj/bad-md5', never)).toBeUndefined();
  });

  it('a body shorter or longer than the size is refused before anything is written', async () => {
    const short = await store.put(putReq('obj/short', Buffer.from('abc'), 4)).catch((e: unknown) => e);
    expect(short).toMatchObject({ code: 'TRANSIENT' });
    expect((short as Error).message).toContain('ended after 3 of 4 bytes');
    const long = await store.put(putReq('obj/long', Buffer.from('abcde'), 4)).catch((e: unknown) => e);
    expect(long).toMatchObject({ code: 'TRANSIENT' });
    expect((long as Error).message).toContain('longer than the 4 bytes');
    expect(await store.head('obj/short', never)).toBeUndefined();
    expect(await store.head('obj/long', never)).toBeUndefined();
  });

  it('names longer than 1024 bytes and metadata names HTTP cannot carry are ITEM_REJECTED', async () => {
    const name = `obj/${'é'.repeat(511)}`; // 4 + 1022 bytes
    await expect(store.put(putReq(name, Buffer.from('x'), 1))).rejects.toMatchObject({ code: 'ITEM_REJECTED' });
    await expect(store.put(putReq('obj/meta', Buffer.from('x'), 1, { metadata: { 'bad name': 'v' } }))).rejects.toMatchObject({
      code: 'ITEM_REJECTED',
    });
  });

  it('head of a missing object is undefined; get of one is NOT_FOUND; delete removes, and twice is fine', async () => {
    expect(await store.head('obj/nope', never)).toBeUndefined();
    // details.object is how the generic sink tells a source object that vanished since it was listed.
    await expect(store.get('obj/nope', never)).rejects.toMatchObject({ code: 'NOT_FOUND', details: { object: 'obj/nope' } });
    await store.put(putReq('obj/doomed', Buffer.from('bye'), 3));
    expect(await store.head('obj/doomed', never)).toBeDefined();
    await store.delete('obj/doomed', never);
    await store.delete('obj/doomed', never);
    expect(await store.head('obj/doomed', never)).toBeUndefined();
    await expect(store.get('obj/doomed', never)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('get streams and honours its AbortSignal', async () => {
    const big = generated(3 * MiB);
    await store.put(putReq('obj/3mib', big.stream, 3 * MiB));
    const ac = new AbortController();
    const body = await store.get('obj/3mib', ac.signal);
    const first = await new Promise<Buffer>((resolve) => body.once('data', resolve));
    expect(first.length).toBeGreaterThan(0);
    expect(first.length).toBeLessThan(3 * MiB);
    ac.abort();
    await expect(buffer(body)).rejects.toThrow();
    expect(body.destroyed).toBe(true);
  });
});

describe('multipart', () => {
  it('20 MB streamed from a generator in 5 MiB parts: bounded parts in flight and in memory, expected ETag, same bytes back', async () => {
    const SIZE = 20_000_000;
    const s = await open({ part_concurrency: 2 });
    const parts = instrument(s.client, 'UploadPartCommand', { delayMs: 40 });
    let worst = 0;
    const g = generated(SIZE, (pulled) => {
      worst = Math.max(worst, pulled - parts.doneBytes);
    });
    const res = await s.put(
      putReq('big/20mb.bin', g.stream, SIZE, { contentType: 'application/octet-stream', metadata: { origin: 'generator' } }),
    );
    const whole = g.whole();
    const partMd5s = [0, 1, 2, 3].map((i) => createHash('md5').update(whole.subarray(i * 5 * MiB, Math.min(SIZE, (i + 1) * 5 * MiB))).digest());
    expect(res).toEqual({ etag: multipartEtag(partMd5s), size: SIZE, serverChecks: ['part-md5', 'multipart-etag'] });
    expect(res.etag).toMatch(/^[0-9a-f]{32}-4$/);
    expect(parts.calls).toBe(4);
    expect(parts.maxInflight).toBe(2);
    // (part_concurrency + 1) parts, plus what the generator's stream buffers (16 chunks of 64 KiB) and one chunk.
    expect(worst).toBeLessThanOrEqual(3 * 5 * MiB + 2 * MiB);

    const back = await buffer(await s.get('big/20mb.bin', never));
    expect(back.length).toBe(SIZE);
    expect(sha256(back)).toBe(sha256(whole));
    // gofakes3 quirk: CompleteMultipartUpload answers the multipart ETag (`<md5 of md5s>-4`, as S3), but stores the
    // assembled object like a single PUT, so HEAD and listings then show the MD5 of the whole content. On S3 they
    // show the `-4` ETag and no md5.
    const h = await s.head('big/20mb.bin', never);
    expect(h).toMatchObject({ size: SIZE, contentType: 'application/octet-stream', metadata: { origin: 'generator' } });
    expect([res.etag, md5(whole)]).toContain(h?.etag);
    expect(h?.md5).toBe(h?.etag === res.etag ? undefined : md5(whole));
    const listed = (await listAll(s, { prefix: 'big/20mb' })).pages[0]![0]!;
    expect(listed.etag).toBe(h?.etag);
    expect(listed.md5).toBe(h?.md5);
  });

  it('an abort mid-upload rejects INTERRUPTED and leaves no multipart upload behind', async () => {
    const s = await open();
    const ac = new AbortController();
    const parts = instrument(s.client, 'UploadPartCommand', {
      delayMs: 30,
      failOn: (n) => {
        if (n === 2) ac.abort();
        return undefined;
      },
    });
    const g = generated(16 * MiB);
    const err = await s.put(putReq('abort/a.bin', g.stream, 16 * MiB, { signal: ac.signal })).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'INTERRUPTED' });
    expect(parts.calls).toBeGreaterThanOrEqual(2);
    expect(await uploadsUnder('abort/')).toEqual([]);
    expect(await s.head('abort/a.bin', never)).toBeUndefined();
    expect(g.stream.destroyed).toBe(true);
  });

  it('a part failing for good aborts the upload (mapped error), as does a source that fails mid-stream', async () => {
    const s = await open();
    const boom = Object.assign(new Error('We encountered an internal error (injected)'), {
      name: 'InternalError',
      $fault: 'server',
      $metadata: { httpStatusCode: 500 },
    });
    instrument(s.client, 'UploadPartCommand', { failOn: (n) => (n >= 2 ? boom : undefined) });
    const err = await s.put(putReq('fail/part.bin', generated(12 * MiB).stream, 12 * MiB)).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'TRANSIENT' });
    expect((err as Error).message).toContain('UploadPart');
    expect(await uploadsUnder('fail/')).toEqual([]);

    async function* dying(): AsyncGenerator<Buffer> {
      yield Buffer.alloc(6 * MiB, 1);
      throw Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    }
    const err2 = await store.put(putReq('fail/source.bin', Readable.from(dying()), 12 * MiB)).catch((e: unknown) => e);
    expect(err2).toMatchObject({ code: 'TRANSIENT' });
    expect((err2 as Error).message).toContain('reading the content to upload failed');
    const err3 = await store.put(putReq('fail/short.bin', generated(11 * MiB).stream, 12 * MiB)).catch((e: unknown) => e);
    expect((err3 as Error).message).toContain(`ended after ${11 * MiB} of ${12 * MiB} bytes`);
    expect(await uploadsUnder('fail/')).toEqual([]);
    expect(await store.head('fail/short.bin', never)).toBeUndefined();
  });

  it('a failed put ends a piped body with its own error, not a bare premature close (as the generic sink pipes)', async () => {
    // One part at a time, so part 2 fails while most of the body is still unread.
    const s = await open({ part_concurrency: 1 });
    const boom = Object.assign(new Error('injected'), { name: 'InternalError', $fault: 'server', $metadata: { httpStatusCode: 500 } });
    instrument(s.client, 'UploadPartCommand', { failOn: (n) => (n >= 2 ? boom : undefined) });
    for (const [name, size] of [[`pipe/${'x'.repeat(1100)}`, 2 * MiB], ['pipe/multipart.bin', 30 * MiB]] as const) {
      const through = new PassThrough();
      const piping = pipeline(generated(size).stream, through);
      const err = await s.put(putReq(name, through, size)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(FerryError);
      await expect(piping).rejects.toBe(err);
    }
    expect(await uploadsUnder('pipe/')).toEqual([]);
  });

  it('abortPartial aborts exactly the upload it is given: others under the same prefix and on the same key survive', async () => {
    const mk = async (key: string): Promise<string> => {
      const { UploadId } = await raw.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
      await raw.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: 1, Body: Buffer.alloc(5 * MiB, 2) }));
      return UploadId!;
    };
    const ours = await mk('partial/one.bin');
    const sameKey = await mk('partial/one.bin');
    await mk('partial/two.bin');
    expect(await store.abortPartial({ name: 'partial/one.bin', id: ours }, never)).toBe(true);
    expect((await uploadsUnder('partial/')).sort()).toEqual(['partial/one.bin', 'partial/two.bin']);
    expect(await store.abortPartial({ name: 'partial/one.bin', id: ours }, never)).toBe(false);
    expect(await store.abortPartial({ name: 'partial/one.bin', id: sameKey }, never)).toBe(true);
    expect(await uploadsUnder('partial/')).toEqual(['partial/two.bin']);
  });

  it('abortPartial of an intent (death before S3 named the upload) aborts the upload on that name started then, nothing else', async () => {
    const mk = async (key: string): Promise<string> => (await raw.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }))).UploadId!;
    const orphan = await mk('intent/a.bin');
    const live = await mk('intent/a.bin'); // recorded by a live worker writing the same name again
    await mk('intent/a.bin.other');
    const now = new Date().toISOString();
    expect(await store.abortPartial({ name: 'intent/a.bin', id: 'pending:0011223344556677', startedAt: now, siblings: [live] }, never)).toBe(true);
    const left = async (): Promise<string[]> =>
      ((await raw.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: 'intent/' }))).Uploads ?? []).map((u) => `${u.Key} ${u.UploadId}`).sort();
    expect((await left()).some((u) => u.endsWith(orphan))).toBe(false);
    expect(await left()).toHaveLength(2);
    // An intent from an hour ago cannot have started these: left alone.
    const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
    expect(await store.abortPartial({ name: 'intent/a.bin.other', id: 'pending:8899aabbccddeeff', startedAt: hourAgo }, never)).toBe(false);
    expect(await left()).toHaveLength(2);
  });

  it('a multipart put tells its tracker of the upload before the first part, and that it ended, on success and on failure', async () => {
    const s = await open();
    const log: string[] = [];
    const uploads = {
      started: async (u: { name: string; id: string }) => void log.push(`started ${u.name} ${u.id}`),
      ended: async (u: { name: string; id: string }) => void log.push(`ended ${u.name} ${u.id}`),
    };
    let failing = false;
    const boom = Object.assign(new Error('injected'), { name: 'InternalError', $fault: 'server', $metadata: { httpStatusCode: 500 } });
    instrument(s.client, 'UploadPartCommand', {
      failOn: () => {
        log.push('part');
        return failing ? boom : undefined;
      },
    });
    await s.put(putReq('tracked/ok.bin', generated(11 * MiB).stream, 11 * MiB, { uploads }));
    // The intent before CreateMultipartUpload, the upload id once S3 named it, then the parts.
    expect(log[0]).toMatch(/^started tracked\/ok\.bin pending:[0-9a-f]{16}$/);
    expect(log[1]).toMatch(/^started tracked\/ok\.bin (?!pending:)\S+$/);
    expect(log.slice(2)).toEqual([log[0]!.replace('started', 'ended'), 'part', 'part', 'part', log[1]!.replace('started', 'ended')]);

    log.length = 0;
    failing = true;
    await expect(s.put(putReq('tracked/fails.bin', generated(11 * MiB).stream, 11 * MiB, { uploads }))).rejects.toMatchObject({ code: 'TRANSIENT' });
    expect(log[1]).toMatch(/^started tracked\/fails\.bin (?!pending:)/);
    expect(log.at(-1)).toBe(log[1]!.replace('started', 'ended'));
    expect(await uploadsUnder('tracked/')).toEqual([]);

    // A single PUT leaves nothing partial behind: nothing to track.
    log.length = 0;
    failing = false;
    await s.put(putReq('tracked/small.bin', Buffer.from('small'), 5, { uploads }));
    expect(log).toEqual([]);
  });

  it('a tracker that cannot record the upload (a lost lease) stops the put before any part, aborting the upload', async () => {
    const s = await open();
    const parts = instrument(s.client, 'UploadPartCommand');
    const lost = new FerryError('JOB_LOCKED', 'cannot record a partial upload: this runner lost the lock');
    const uploads = { started: async () => { throw lost; }, ended: async () => {} };
    await expect(s.put(putReq('lost/big.bin', generated(11 * MiB).stream, 11 * MiB, { uploads }))).rejects.toBe(lost);
    expect(parts.calls).toBe(0);
    expect(await uploadsUnder('lost/')).toEqual([]);
  });

  it('with request_checksums: when_supported (the AWS default) uploads still work; gofakes3 echoes no CRC32', async () => {
    const s = await open({ request_checksums: 'when_supported' });
    const small = randomBytes(2048);
    expect(await s.put(putReq('crc/small', small, small.length))).toMatchObject({ md5: md5(small), serverChecks: ['content-md5'] });
    const g = generated(11 * MiB);
    const res = await s.put(putReq('crc/big', g.stream, 11 * MiB));
    expect(res.serverChecks).toEqual(['part-md5', 'multipart-etag']);
    expect(sha256(await buffer(await s.get('crc/big', never)))).toBe(sha256(g.whole()));
  });

  it('sse: sends the encryption (and KMS key) on single and multipart puts; an SSE-KMS ETag is never taken for an MD5', async () => {
    const s = await open({ sse: 'aws:kms', sse_kms_key_id: 'alias/ferry-backups', part_size_mb: 5 });
    const seen: Record<string, unknown>[] = [];
    s.client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'PutObjectCommand' || context.commandName === 'CreateMultipartUploadCommand') {
          const i = args.input as { ServerSideEncryption?: string; SSEKMSKeyId?: string };
          seen.push({ command: context.commandName, sse: i.ServerSideEncryption, key: i.SSEKMSKeyId });
        }
        return next(args);
      },
      { step: 'initialize', name: 'ferryTestSse' },
    );
    const small = Buffer.from('encrypted at rest');
    const res = await s.put(putReq('sse/small', small, small.length));
    const big = generated(6 * 1024 * 1024);
    await s.put(putReq('sse/big', big.stream, 6 * 1024 * 1024));
    expect(seen).toEqual([
      { command: 'PutObjectCommand', sse: 'aws:kms', key: 'alias/ferry-backups' },
      { command: 'CreateMultipartUploadCommand', sse: 'aws:kms', key: 'alias/ferry-backups' },
    ]);
    // The server checked the Content-MD5 it was sent; the ETag (not an MD5 under SSE-KMS) is not reported as one.
    expect(res.serverChecks).toContain('content-md5');
    expect(res.md5).toBeUndefined();
    expect((await s.head('sse/small', never))?.md5).toBeUndefined();
    // The server tells on a HEAD that the object is KMS-encrypted: even a store without `sse` does not trust its ETag.
    expect((await (await open()).head('sse/small', never))?.md5).toBeUndefined();
    // SSE-S3 ETags are MD5s.
    const aes = await open({ sse: 'AES256' });
    await aes.put(putReq('sse/aes', small, small.length));
    expect((await aes.head('sse/aes', never))?.md5).toBe(md5(small));
  });

  it('no warnings were logged along the way', () => {
    expect(warnings).toEqual([]);
  });
});
