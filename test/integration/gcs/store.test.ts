/**
 * The GCS ObjectStore against fake-gcs-server (scripts/services), through @google-cloud/storage: listing order and
 * ranges, metadata round trips, single-request and chunked resumable uploads with MD5 checks, streamed downloads,
 * deletes, errors, aborted uploads, and the endpoint variables.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { File, Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectorContext } from '../../../src/core/connector.js';
import { compareNames, type ObjectInfo, type ObjectStore, type PutRequest } from '../../../src/core/object.js';
import { FerryError } from '../../../src/errors.js';
import { GcsStore, openGcsStore } from '../../../src/connectors/gcs/store.js';
import { gcs, serviceEnv, uniqueName } from '../../support/clients.js';

const MiB = 1024 * 1024;
const PIECE = 64 * 1024;
const signal = new AbortController().signal;
const logs: { level: string; msg: string; data?: unknown }[] = [];
const ctx: ConnectorContext = {
  signal,
  logger: {
    debug: (msg, data) => void logs.push({ level: 'debug', msg, data }),
    info: (msg, data) => void logs.push({ level: 'info', msg, data }),
    warn: (msg, data) => void logs.push({ level: 'warn', msg, data }),
  },
};

const bucketName = uniqueName('gcs-store');
const stores: ObjectStore[] = [];

async function open(extra: Record<string, unknown> = {}): Promise<ObjectStore> {
  const s = await openGcsStore({ bucket: bucketName, part_size_mb: 5, ...extra }, ctx);
  stores.push(s);
  return s;
}

let store: ObjectStore;

beforeAll(async () => {
  store = await open({ create: true });
  await store.create!(signal);
});

afterAll(async () => {
  for (const s of stores) await s[Symbol.asyncDispose]();
  const bucket = gcs().bucket(bucketName);
  await bucket.deleteFiles({ force: true }).catch(() => undefined);
  await bucket.delete().catch(() => undefined);
});

function put(s: ObjectStore, name: string, body: Buffer | Readable, extra: Partial<PutRequest> = {}): ReturnType<ObjectStore['put']> {
  const size = Buffer.isBuffer(body) ? body.length : (extra.size ?? 0);
  return s.put({ name, body: Buffer.isBuffer(body) ? Readable.from([body]) : body, size, metadata: {}, signal, ...extra });
}

const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');

async function readAll(r: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function listAll(s: ObjectStore, req: { prefix: string; startAfter?: string; endBefore?: string; pageSize?: number }): Promise<ObjectInfo[][]> {
  const pages: ObjectInfo[][] = [];
  for await (const page of s.list({ ...req, signal })) pages.push(page);
  return pages;
}

/**
 * `size` bytes in 64 KiB pieces (about what a network source delivers) of a seeded pseudo-random sequence, produced
 * on demand; hashes kept as it goes.
 */
function generated(size: number, seed: number, onRead?: (bytesSoFar: number) => void): { body: Readable; md5: () => string; sha256: () => string } {
  const m = createHash('md5');
  const s = createHash('sha256');
  async function* gen(): AsyncGenerator<Buffer> {
    let left = size;
    let i = 0;
    while (left > 0) {
      const n = Math.min(PIECE, left);
      const piece = Buffer.alloc(n);
      const block = createHash('sha256').update(`${seed}:${i++}`).digest();
      for (let o = 0; o < n; o += block.length) block.copy(piece, o, 0, Math.min(block.length, n - o));
      m.update(piece);
      s.update(piece);
      left -= n;
      onRead?.(size - left);
      yield piece;
    }
  }
  // A byte stream with a small buffer, like the sink's hashing pass-through (not 16 objects of 1 MiB).
  return { body: Readable.from(gen(), { objectMode: false, highWaterMark: 64 * 1024 }), md5: () => m.copy().digest('hex'), sha256: () => s.copy().digest('hex') };
}

async function rejection(p: Promise<unknown>): Promise<FerryError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(FerryError);
    return e as FerryError;
  }
  throw new Error('expected a rejection');
}

describe('bucket', () => {
  it('checks the bucket, and creates a missing one with create: true (idempotently)', async () => {
    const other = uniqueName('gcs-create');
    const s = await open({ bucket: other, create: true });
    const e = await rejection(s.check(signal));
    expect(e.code).toBe('NOT_FOUND');
    expect(e.message).toContain(`gs://${other}`);
    expect(e.hint).toMatch(/create it, or set `create: true`/);
    await s.create!(signal);
    await s.create!(signal);
    await s.check(signal);
    expect(s.url).toBe(`gs://${other}`);
    expect(s.limits).toEqual({ maxObjectBytes: 5 * 1024 ** 4, maxNameBytes: 1024 });
    await gcs().bucket(other).delete();
  });

  it('a missing bucket is NOT_FOUND for list, put and get', async () => {
    const s = await open({ bucket: uniqueName('gcs-missing') });
    expect((await rejection(listAll(s, { prefix: '' }))).code).toBe('NOT_FOUND');
    for (const e of [await rejection(put(s, 'x', Buffer.from('x'))), await rejection(put(s, 'y', generated(6 * MiB, 9).body, { size: 6 * MiB }))]) {
      // A missing bucket, not a vanished object.
      expect(e).toMatchObject({ code: 'NOT_FOUND', details: { bucket: s.url.slice(5) } });
      expect(e.details?.['object']).toBeUndefined();
      expect(e.hint).toMatch(/create: true/);
    }
    expect((await rejection(s.get('x', signal))).code).toBe('NOT_FOUND');
    expect(await s.head('x', signal)).toBeUndefined();
  });
});

describe('listing', () => {
  // Byte order differs from JS (UTF-16) order for U+FF5E against U+1F6A2 (a surrogate pair).
  const names = ['list/a', 'list/B', 'list/b', 'list/zoë', 'list/z', 'list/東京', 'list/\uff5e', 'list/🚢', 'list/a/b', 'list/a b', 'list-x', 'lisu'];

  beforeAll(async () => {
    for (const n of names) await put(store, n, Buffer.from(n));
  });

  it('lists in UTF-8 byte order, page by page with a small page size, with detailed infos', async () => {
    const pages = await listAll(store, { prefix: 'list/', pageSize: 3 });
    expect(pages.length).toBeGreaterThanOrEqual(3);
    for (const p of pages) expect(p.length).toBeLessThanOrEqual(3);
    const listed = pages.flat().map((i) => i.name);
    const expected = names.filter((n) => n.startsWith('list/')).sort(compareNames);
    expect(listed).toEqual(expected);
    // Not the JS order: U+FF5E sorts before U+1F6A2 in bytes, after it in UTF-16 code units.
    expect(listed.indexOf('list/\uff5e')).toBeLessThan(listed.indexOf('list/🚢'));
    expect(['list/\uff5e', 'list/🚢'].sort()).toEqual(['list/🚢', 'list/\uff5e']);
    const info = pages.flat().find((i) => i.name === 'list/東京')!;
    expect(info).toMatchObject({ size: Buffer.byteLength('list/東京'), md5: md5(Buffer.from('list/東京')), detailed: true, metadata: {} });
    expect(info.crc32c).toMatch(/^[A-Za-z0-9+/]{6}==$/);
    expect(Date.parse(info.lastModified!)).toBeGreaterThan(0);
  });

  it('honours startAfter (strictly after, existing or not) and endBefore (strictly before), with and without a prefix', async () => {
    const flat = async (req: Parameters<typeof listAll>[1]): Promise<string[]> => (await listAll(store, req)).flat().map((i) => i.name);
    expect(await flat({ prefix: 'list/', startAfter: 'list/a', endBefore: 'list/z' })).toEqual(['list/a b', 'list/a/b', 'list/b']);
    expect(await flat({ prefix: 'list/', startAfter: 'list/a0', endBefore: 'list/zoë' })).toEqual(['list/b', 'list/z']);
    // '-' (0x2D) sorts before '/' (0x2F).
    expect(await flat({ prefix: '', startAfter: 'list/🚢', pageSize: 1 })).toEqual(['lisu']);
    expect(await flat({ prefix: '', startAfter: 'lisa', endBefore: 'list/' })).toEqual(['list-x']);
    expect(await flat({ prefix: 'list/', startAfter: 'list/z', endBefore: 'list/z' })).toEqual([]);
    expect(await flat({ prefix: 'list/', startAfter: 'list/zz', endBefore: 'list/a' })).toEqual([]);
    expect(await flat({ prefix: 'nothing/' })).toEqual([]);
  });

  it('stops at endBefore without reading further pages', async () => {
    const gcsStore = store as GcsStore;
    const bucket = (gcsStore as unknown as { bucket: { getFiles: (...a: unknown[]) => Promise<unknown> } }).bucket;
    const original = bucket.getFiles.bind(bucket);
    let calls = 0;
    bucket.getFiles = (...a: unknown[]) => {
      calls++;
      return original(...a);
    };
    try {
      const pages = await listAll(store, { prefix: 'list/', endBefore: 'list/b', pageSize: 1 });
      expect(pages.flat().map((i) => i.name)).toEqual(['list/B', 'list/a', 'list/a b', 'list/a/b']);
      // One call per page; the server gives no token past endOffset.
      expect(calls).toBe(4);
    } finally {
      bucket.getFiles = original;
    }
  });
});

describe('objects', () => {
  it('round-trips headers and user metadata through put, head and list', async () => {
    const body = gzipSync(Buffer.from('{"hello":"world"}'.repeat(50)));
    const headers = {
      contentType: 'application/json',
      contentEncoding: 'gzip',
      contentLanguage: 'fr',
      cacheControl: 'public, max-age=60',
      contentDisposition: 'attachment; filename="h.json"',
    };
    const r = await put(store, 'meta/h.json', body, { ...headers, metadata: { 'ferry-md5': md5(body), origin: 's3://x/y', 'ünï': 'çødé' }, md5: md5(body) });
    expect(r).toMatchObject({ md5: md5(body), size: body.length, serverChecks: ['md5-sent', 'md5-reported'] });
    expect(r.crc32c).toMatch(/==$/);
    const head = await store.head('meta/h.json', signal);
    expect(head).toMatchObject({
      name: 'meta/h.json',
      size: body.length,
      md5: md5(body),
      crc32c: r.crc32c,
      ...headers,
      metadata: { 'ferry-md5': md5(body), origin: 's3://x/y', 'ünï': 'çødé' },
      storageClass: 'STANDARD',
      detailed: true,
    });
    const [listed] = (await listAll(store, { prefix: 'meta/h' })).flat();
    expect(listed).toEqual(head);
    // The stored (gzip) bytes, not decompressed ones.
    expect(md5(await readAll(await store.get('meta/h.json', signal)))).toBe(md5(body));
  });

  it('stores no guessed content type, and applies storage_class', async () => {
    const s = await open({ storage_class: 'NEARLINE' });
    await put(s, 'meta/plain.html', Buffer.from('<p>'));
    expect(await s.head('meta/plain.html', signal)).toMatchObject({ contentType: 'application/octet-stream', storageClass: 'NEARLINE' });
  });

  it('puts a small object in one request with its MD5 checked by the server; a wrong MD5 is refused', async () => {
    const body = Buffer.from('small body');
    const ok = await put(store, 'small/ok', body, { md5: md5(body) });
    expect(ok).toMatchObject({ md5: md5(body), size: body.length, serverChecks: ['md5-sent', 'md5-reported'] });
    const noMd5 = await put(store, 'small/no-md5', body);
    expect(noMd5.serverChecks).toEqual(['md5-reported']);
    const e = await rejection(put(store, 'small/bad', body, { md5: md5(Buffer.from('other')) }));
    expect(e.code).toBe('TRANSIENT');
    expect(e.message).toMatch(/MD5/);
    expect(e.details).toMatchObject({ object: 'small/bad' });
    expect(await store.head('small/bad', signal)).toBeUndefined();
    // An empty object.
    const empty = await put(store, 'small/empty', Buffer.alloc(0), { md5: md5(Buffer.alloc(0)) });
    expect(empty).toMatchObject({ size: 0, md5: md5(Buffer.alloc(0)) });
    expect((await readAll(await store.get('small/empty', signal))).length).toBe(0);
  });

  it('puts a 20 MiB stream as a chunked resumable upload, then streams it back identical', async () => {
    const size = 20 * MiB + 12345;
    const src = generated(size, 1);
    const started = Date.now();
    const r = await put(store, 'large/20m.bin', src.body, { size });
    expect(r).toMatchObject({ md5: src.md5(), size, serverChecks: ['md5-reported'] });
    const back = createHash('sha256');
    let got = 0;
    for await (const c of await store.get('large/20m.bin', signal)) {
      back.update(c as Buffer);
      got += (c as Buffer).length;
    }
    expect(got).toBe(size);
    expect(back.digest('hex')).toBe(src.sha256());
    expect(Date.now() - started).toBeLessThan(60_000);
  });

  it('holds about one chunk of a resumable upload in memory, not the object', async () => {
    // The SDK reports the bytes it has handed to its chunk requests; the source must never be read much further.
    const size = 32 * MiB;
    const chunk = 5 * MiB;
    let read = 0;
    let sent = 0;
    let maxAhead = 0;
    const original = File.prototype.createWriteStream;
    File.prototype.createWriteStream = function (this: File, ...args: Parameters<File['createWriteStream']>) {
      const ws = original.apply(this, args);
      ws.on('progress', (p: { bytesWritten: number }) => (sent = p.bytesWritten));
      return ws;
    };
    try {
      const src = generated(size, 2, (n) => {
        read = n;
        maxAhead = Math.max(maxAhead, read - sent);
      });
      const r = await put(store, 'large/bounded.bin', src.body, { size });
      expect(r).toMatchObject({ size, md5: src.md5() });
    } finally {
      File.prototype.createWriteStream = original;
    }
    expect(sent).toBe(size);
    expect(maxAhead).toBeGreaterThan(0);
    // One chunk cached by the SDK plus a few stream buffers (5.56 MiB measured with 5 MiB chunks).
    expect(maxAhead).toBeLessThanOrEqual(chunk + MiB);
  });

  it('refuses a large upload whose content does not match the declared MD5, and leaves no object', async () => {
    const size = 11 * MiB;
    const src = generated(size, 3);
    const e = await rejection(put(store, 'large/bad-md5.bin', src.body, { size, md5: md5(Buffer.from('not this')) }));
    expect(e.code).toBe('TRANSIENT');
    expect(e.message).toMatch(/MD5/);
    expect(await store.head('large/bad-md5.bin', signal)).toBeUndefined();
    // With the right one, md5-sent.
    const good = generated(size, 3);
    const probe = generated(size, 3);
    await readAll(probe.body);
    const r = await put(store, 'large/good-md5.bin', good.body, { size, md5: probe.md5() });
    expect(r.serverChecks).toEqual(['md5-sent', 'md5-reported']);
  });

  it('deletes objects, and a missing one without complaint', async () => {
    await put(store, 'del/x', Buffer.from('x'));
    await store.delete('del/x', signal);
    expect(await store.head('del/x', signal)).toBeUndefined();
    await store.delete('del/x', signal);
  });

  it('get of a vanished object is NOT_FOUND naming it; head is undefined', async () => {
    const e = await rejection(store.get('gone/never', signal));
    expect(e.code).toBe('NOT_FOUND');
    expect(e.details).toMatchObject({ object: 'gone/never' });
    expect(await store.head('gone/never', signal)).toBeUndefined();
  });

  it('refuses names Cloud Storage cannot hold as ITEM_REJECTED', async () => {
    expect((await rejection(put(store, 'n'.repeat(1025), Buffer.from('x')))).code).toBe('ITEM_REJECTED');
    expect((await rejection(put(store, '', Buffer.from('x')))).code).toBe('ITEM_REJECTED');
  });
});

describe('aborts', () => {
  it('an aborted resumable upload leaves no object and its session cancelled', async () => {
    const ac = new AbortController();
    const size = 20 * MiB;
    const src = generated(size, 4, (n) => {
      if (n >= 8 * MiB) ac.abort();
    });
    const deletes: string[] = [];
    const realFetch = globalThis.fetch;
    globalThis.fetch = async (input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) => {
      const res = await realFetch(input, init);
      if (init?.method === 'DELETE') deletes.push(`${String(input)} → ${res.status}`);
      return res;
    };
    try {
      const e = await rejection(store.put({ name: 'abort/large', body: src.body, size, metadata: {}, signal: ac.signal }));
      expect(e.code).toBe('INTERRUPTED');
    } finally {
      globalThis.fetch = realFetch;
    }
    // The session was cancelled as Cloud Storage expects (fake-gcs-server answers 499 like it).
    expect(deletes).toHaveLength(1);
    expect(deletes[0]).toMatch(/uploadType=resumable&name=abort%2Flarge&upload_id=\w+ → 499$/);
    expect(await store.head('abort/large', signal)).toBeUndefined();
    expect((await listAll(store, { prefix: 'abort/' })).flat()).toEqual([]);
  });

  it('a source that breaks mid-upload fails the put with its own error, and leaves no object', async () => {
    const size = 12 * MiB;
    async function* body(): AsyncGenerator<Buffer> {
      for (let i = 0; i < 100; i++) yield Buffer.alloc(PIECE, i);
      throw new FerryError('TRANSIENT', 'the source connection was reset');
    }
    const e = await rejection(store.put({ name: 'abort/broken', body: Readable.from(body(), { objectMode: false }), size, metadata: {}, signal }));
    expect(e).toMatchObject({ code: 'TRANSIENT', message: 'the source connection was reset' });
    expect(await store.head('abort/broken', signal)).toBeUndefined();
  });

  it('an aborted single-request upload leaves no object', async () => {
    const ac = new AbortController();
    async function* body(): AsyncGenerator<Buffer> {
      yield Buffer.alloc(1000, 1);
      ac.abort();
      await new Promise((r) => setTimeout(r, 20));
      yield Buffer.alloc(1000, 2);
    }
    const e = await rejection(store.put({ name: 'abort/small', body: Readable.from(body()), size: 2000, metadata: {}, signal: ac.signal }));
    expect(e.code).toBe('INTERRUPTED');
    expect(await store.head('abort/small', signal)).toBeUndefined();
  });

  it('an aborted download errors its stream with INTERRUPTED; an aborted signal refuses at once', async () => {
    const size = 6 * MiB;
    await put(store, 'abort/dl', generated(size, 5).body, { size });
    const ac = new AbortController();
    const r = await store.get('abort/dl', ac.signal);
    let got = 0;
    const e = await rejection(
      (async () => {
        for await (const c of r) {
          got += (c as Buffer).length;
          if (got > MiB) ac.abort();
        }
      })(),
    );
    expect(e.code).toBe('INTERRUPTED');
    expect(got).toBeLessThan(size);
    expect((await rejection(store.get('abort/dl', ac.signal))).code).toBe('INTERRUPTED');
    expect((await rejection(store.head('abort/dl', ac.signal))).code).toBe('INTERRUPTED');
    expect((await rejection(store.list({ prefix: '', signal: ac.signal })[Symbol.asyncIterator]().next())).code).toBe('INTERRUPTED');
  });
});

describe('endpoints and credentials', () => {
  const saved = { host: process.env['STORAGE_EMULATOR_HOST'], gcs: process.env['GCS_ENDPOINT'] };
  const restore = (): void => {
    if (saved.host === undefined) delete process.env['STORAGE_EMULATOR_HOST'];
    else process.env['STORAGE_EMULATOR_HOST'] = saved.host;
    process.env['GCS_ENDPOINT'] = saved.gcs;
  };

  it.each([
    ['host:port', (u: URL) => u.host],
    ['http://host:port', (u: URL) => u.origin],
    ['http://host:port/storage/v1/', (u: URL) => `${u.origin}/storage/v1/`],
  ])('honours STORAGE_EMULATOR_HOST=%s (without GCS_ENDPOINT): list, put, resumable put, get', async (_label, form) => {
    const endpoint = new URL(serviceEnv('GCS_ENDPOINT'));
    try {
      process.env['STORAGE_EMULATOR_HOST'] = form(endpoint);
      delete process.env['GCS_ENDPOINT'];
      const s = await open();
      // Hidden from the SDK's constructor only (public options give it the base URL), then put back.
      expect(process.env['STORAGE_EMULATOR_HOST']).toBe(form(endpoint));
      await s.check(signal);
      const size = 6 * MiB;
      const src = generated(size, 6);
      expect((await put(s, 'env/resumable', src.body, { size })).md5).toBe(src.md5());
      await put(s, 'env/small', Buffer.from('small'));
      expect((await listAll(s, { prefix: 'env/' })).flat().map((i) => i.name)).toEqual(['env/resumable', 'env/small']);
      expect((await readAll(await s.get('env/small', signal))).toString()).toBe('small');
    } finally {
      restore();
    }
  });

  it('the plan endpoint wins over STORAGE_EMULATOR_HOST', async () => {
    try {
      process.env['STORAGE_EMULATOR_HOST'] = '127.0.0.1:1';
      const s = await open({ endpoint: serviceEnv('GCS_ENDPOINT') });
      await s.check(signal);
      expect(logs.some((l) => l.level === 'warn' && /overrides STORAGE_EMULATOR_HOST/.test(l.msg))).toBe(true);
    } finally {
      restore();
    }
  });

  it('an unreachable endpoint is UNREACHABLE naming host:port, for every operation', async () => {
    const s = await open({ endpoint: '127.0.0.1:1' });
    const calls: (() => Promise<unknown>)[] = [
      () => s.check(signal),
      () => listAll(s, { prefix: '' }),
      () => s.head('x', signal),
      () => s.get('x', signal),
      () => put(s, 'x', Buffer.from('x')),
      () => put(s, 'y', generated(6 * MiB, 7).body, { size: 6 * MiB }),
      () => s.delete('x', signal),
    ];
    for (const call of calls) {
      const t0 = Date.now();
      const e = await rejection(call());
      // The SDK's request layer retries a request without a response twice, a second apart at most.
      expect(Date.now() - t0).toBeLessThan(5_000);
      expect(e.code).toBe('UNREACHABLE');
      expect(e.message).toContain('127.0.0.1:1');
      expect(e.retry).toBe('transient');
    }
  });

  it('fake-gcs-server checks no credentials: a key file is not used with an emulator endpoint', async () => {
    // The emulator accepts any request (no AUTH test is possible against it). ferry sends none to it, even when the
    // plan names a key file; with a Google endpoint the key file is what the auth library reads (unit tests).
    const s = await open({ key_file: '/nonexistent/key.json' });
    await s.check(signal);
  });
});

describe('no metadata server', () => {
  // Off Google Cloud a metadata lookup costs a timeout per client (and a developer's machine may have none): on an
  // emulator the store never makes one. A fake metadata server on a local port counts every request.
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    hits.push(req.url ?? '');
    res.writeHead(404);
    res.end();
  });
  const saved = { host: process.env['GCE_METADATA_HOST'], detection: process.env['METADATA_SERVER_DETECTION'] };

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    process.env['GCE_METADATA_HOST'] = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    delete process.env['METADATA_SERVER_DETECTION'];
  });

  afterAll(async () => {
    if (saved.host === undefined) delete process.env['GCE_METADATA_HOST'];
    else process.env['GCE_METADATA_HOST'] = saved.host;
    if (saved.detection !== undefined) process.env['METADATA_SERVER_DETECTION'] = saved.detection;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('creates, checks, lists, puts (single and resumable), reads and deletes without a metadata lookup', async () => {
    // The fake works: a client that authenticates against the emulator asks it for a token.
    const bare = new Storage({ apiEndpoint: serviceEnv('GCS_ENDPOINT'), useAuthWithCustomEndpoint: true });
    await bare.bucket(bucketName).getFiles({ maxResults: 1, autoPaginate: false }).catch(() => undefined);
    expect(hits.length).toBeGreaterThan(0);
    hits.length = 0;

    const s = await openGcsStore({ bucket: uniqueName('gcs-meta'), create: true, part_size_mb: 1 }, ctx);
    stores.push(s);
    await s.create!(signal);
    await s.check(signal);
    await put(s, 'm/small', Buffer.from('small'), { md5: md5(Buffer.from('small')) });
    const big = generated(3 * MiB, 8);
    await put(s, 'm/big', big.body, { size: 3 * MiB });
    expect((await listAll(s, { prefix: 'm/' })).flat().map((i) => i.name)).toEqual(['m/big', 'm/small']);
    expect((await s.head('m/small', signal))?.size).toBe(5);
    expect(md5(await readAll(await s.get('m/big', signal)))).toBe(big.md5());
    await s.delete('m/small', signal);
    await s.delete('m/big', signal);
    expect(hits).toEqual([]);
    await gcs().bucket(s.url.slice('gs://'.length)).delete();
  });
});
