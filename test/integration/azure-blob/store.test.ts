/**
 * The Azure Blob ObjectStore against Azurite, through the official SDK: listing order and ranges, metadata and
 * headers, single and block uploads with their MD5 checks, aborts that leave nothing behind, and error mapping.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { ContainerSASPermissions, type ContainerClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectorContext } from '../../../src/core/connector.js';
import { compareNames, type ObjectInfo, type ObjectStore } from '../../../src/core/object.js';
import { isFerryError, type FerryError } from '../../../src/errors.js';
import { openAzureBlobStore, type AzureBlobStore } from '../../../src/connectors/azure-blob/store.js';
import { blockId } from '../../../src/connectors/azure-blob/naming.js';
import { azureBlob, serviceEnv, uniqueName } from '../../support/clients.js';

const MIB = 1024 * 1024;
const logs: { level: string; msg: string }[] = [];
const ctx: ConnectorContext = {
  signal: new AbortController().signal,
  logger: {
    debug: (msg) => logs.push({ level: 'debug', msg }),
    info: (msg) => logs.push({ level: 'info', msg }),
    warn: (msg) => logs.push({ level: 'warn', msg }),
  },
};
const signal = (): AbortSignal => new AbortController().signal;

const containerName = uniqueName('ferry-azstore');
const service = azureBlob();
const raw: ContainerClient = service.getContainerClient(containerName);
let store: ObjectStore;

const md5Hex = (b: Uint8Array): string => createHash('md5').update(b).digest('hex');

/** Deterministic bytes, `size` of them, in chunks of `chunk`, from a generator (never all in memory). */
function* bytes(size: number, seed: number, chunk = MIB): Generator<Buffer> {
  let s = seed >>> 0;
  for (let done = 0; done < size; done += chunk) {
    const n = Math.min(chunk, size - done);
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i += 4) {
      s = (s * 1664525 + 1013904223) >>> 0;
      b.writeUInt32LE(s, i > n - 4 ? n - 4 : i);
    }
    yield b;
  }
}

function digestsOf(size: number, seed: number): { md5: string; sha256: string } {
  const md5 = createHash('md5');
  const sha = createHash('sha256');
  for (const b of bytes(size, seed)) {
    md5.update(b);
    sha.update(b);
  }
  return { md5: md5.digest('hex'), sha256: sha.digest('hex') };
}

async function sha256Of(stream: Readable): Promise<{ sha256: string; size: number }> {
  const h = createHash('sha256');
  let size = 0;
  for await (const chunk of stream) {
    h.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: h.digest('hex'), size };
}

async function listAll(s: ObjectStore, req: { prefix: string; startAfter?: string; endBefore?: string; pageSize?: number }): Promise<{ names: string[]; pages: number; infos: ObjectInfo[] }> {
  const infos: ObjectInfo[] = [];
  let pages = 0;
  for await (const page of s.list({ ...req, signal: signal() })) {
    pages += 1;
    expect(page.length).toBeGreaterThan(0);
    infos.push(...page);
  }
  return { names: infos.map((i) => i.name), pages, infos };
}

/** Names of every blob in the container, including blobs that have only uncommitted blocks. */
async function rawNames(prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const b of raw.listBlobsFlat({ prefix, includeUncommitedBlobs: true })) out.push(b.name);
  return out;
}

async function expectFerryError(p: Promise<unknown>, code: string): Promise<FerryError> {
  try {
    await p;
  } catch (e) {
    expect(isFerryError(e), String(e)).toBe(true);
    expect((e as FerryError).code, (e as Error).message).toBe(code);
    return e as FerryError;
  }
  throw new Error(`expected a FerryError ${code}, got success`);
}

beforeAll(async () => {
  store = await openAzureBlobStore(
    { container: containerName, connection_string: serviceEnv('AZURE_STORAGE_CONNECTION_STRING'), create: true, part_size_mb: 5, part_concurrency: 3 },
    ctx,
  );
  await store.create!(signal());
  await store.check(signal());
});

afterAll(async () => {
  await raw.deleteIfExists();
});

describe('listing', () => {
  // Astral characters (🚢, 😀) against U+E000–U+FFFF (U+FF08 fullwidth parenthesis, U+FFFD): Azurite lists these
  // in UTF-16 order; the store must give UTF-8 order.
  const names = [
    'order/a',
    'order/B',
    'order/a b',
    'order/a/b',
    'order/a-b',
    'order/zoë',
    'order/東京/x',
    'order/\uFF08paren\uFF09',
    'order/\uFFFDrepl',
    'order/🚢ship',
    'order/😀/deep',
    'order/x/🚢',
    'order/x/\uFF08',
    'order/x/\uE000',
    'order/x/y',
    'order/q?x#y%41+z',
  ];

  beforeAll(async () => {
    for (const n of names) await raw.getBlockBlobClient(n).upload(n, Buffer.byteLength(n), { metadata: { k: 'v' } });
  });

  it('lists in UTF-8 byte order, page by page, with non-ASCII and astral names', async () => {
    const all = await listAll(store, { prefix: 'order/', pageSize: 2 });
    expect(all.names).toEqual([...names].sort(compareNames));
    expect(all.pages).toBeGreaterThanOrEqual(Math.ceil(names.length / 2) - 1);
    // The emulator itself does not: 🚢 before U+FF08 (UTF-16 order).
    const emulator: string[] = [];
    for await (const b of raw.listBlobsFlat({ prefix: 'order/' })) emulator.push(b.name);
    expect(emulator.indexOf('order/🚢ship')).toBeLessThan(emulator.indexOf('order/\uFF08paren\uFF09'));
    // Listings carry sizes, MD5s (Azure computes one for Put Blob), etags and metadata: detailed.
    const info = all.infos.find((i) => i.name === 'order/a')!;
    expect(info).toMatchObject({ size: 7, md5: md5Hex(Buffer.from('order/a')), detailed: true, metadata: { k: 'v' } });
    expect(info.etag).toMatch(/^0x/);
    expect(info.lastModified).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('honours prefix, startAfter and endBefore (strict), in UTF-8 order', async () => {
    const sorted = [...names].sort(compareNames);
    const cases: { prefix: string; startAfter?: string; endBefore?: string }[] = [
      { prefix: 'order/x/' },
      { prefix: 'order/', startAfter: 'order/a-b' },
      { prefix: 'order/', endBefore: 'order/zoë' },
      { prefix: 'order/', startAfter: 'order/a', endBefore: 'order/a/b' },
      { prefix: 'order/', startAfter: 'order/x/\uFF08', endBefore: 'order/y' },
      { prefix: 'order/', startAfter: 'order/\uFFFDrepl', endBefore: 'order/😀' },
      { prefix: 'order/', startAfter: 'order/x/\uE000', endBefore: 'order/x/🚢' },
      { prefix: 'order/', startAfter: 'order/zzz' },
      { prefix: 'order/', startAfter: 'order/b', endBefore: 'order/a' },
      { prefix: 'none/' },
    ];
    for (const c of cases) {
      const expected = sorted.filter(
        (n) => n.startsWith(c.prefix) && (c.startAfter === undefined || compareNames(n, c.startAfter) > 0) && (c.endBefore === undefined || compareNames(n, c.endBefore) < 0),
      );
      const got = await listAll(store, { ...c, pageSize: 3 });
      expect(got.names, JSON.stringify(c)).toEqual(expected);
    }
  });

  it('stops reading pages at endBefore', async () => {
    const before = (store as AzureBlobStore).listRequests;
    let pages = 0;
    for await (const page of store.list({ prefix: 'order/', endBefore: 'order/a', pageSize: 1, signal: signal() })) {
      pages += 1;
      expect(page.map((i) => i.name)).toEqual(['order/B']);
    }
    expect(pages).toBe(1);
    // 'order/B', then 'order/a' (≥ endBefore): two requests of one name, none after.
    expect((store as AzureBlobStore).listRequests - before).toBe(2);
  });

  it('skips names before startAfter with growing requests, handing out pages of the asked size', async () => {
    const before = (store as AzureBlobStore).listRequests;
    const sorted = [...names].sort(compareNames);
    const startAfter = sorted[sorted.length - 4]!;
    const got = await listAll(store, { prefix: 'order/', startAfter, pageSize: 1 });
    expect(got.names).toEqual(sorted.slice(-3));
    expect(got.pages).toBe(3);
    // Azurite ignores startFrom: requests of 1, 4, 16 names rather than 16 requests of one.
    expect((store as AzureBlobStore).listRequests - before).toBeLessThanOrEqual(3);
  });
});

describe('objects', () => {
  it('puts a small object with its MD5 checked by the server, and heads/lists it with headers and metadata', async () => {
    const body = Buffer.from('hello, azure — zoë', 'utf8');
    const metadata = {
      ferry_source_md5: md5Hex(body),
      'original-filename': 'zoë & co.txt',
      'content.origin': ' padded ',
      Mixed: 'Case',
    };
    const res = await store.put({
      name: 'meta/one.txt',
      body: Readable.from([body]),
      size: body.length,
      md5: md5Hex(body),
      contentType: 'text/plain; charset=utf-8',
      contentEncoding: 'identity',
      contentLanguage: 'fr',
      cacheControl: 'max-age=60',
      contentDisposition: 'attachment; filename="one.txt"',
      metadata,
      signal: signal(),
    });
    expect(res).toMatchObject({ md5: md5Hex(body), size: body.length, serverChecks: ['content-md5'] });
    expect(res.etag).toMatch(/^0x/);

    const head = await store.head('meta/one.txt', signal());
    const expected = {
      name: 'meta/one.txt',
      size: body.length,
      md5: md5Hex(body),
      etag: res.etag,
      contentType: 'text/plain; charset=utf-8',
      contentEncoding: 'identity',
      contentLanguage: 'fr',
      cacheControl: 'max-age=60',
      contentDisposition: 'attachment; filename="one.txt"',
      metadata,
      detailed: true,
    };
    expect(head).toMatchObject(expected);
    const [listed] = (await listAll(store, { prefix: 'meta/one' })).infos;
    expect(listed).toMatchObject(expected);
    expect(listed!.lastModified).toBe(head!.lastModified);

    // What Azure holds: identifiers only, ASCII values.
    const props = await raw.getBlobClient('meta/one.txt').getProperties();
    expect(Object.keys(props.metadata!).sort()).toEqual(['____4dixed', '___content_2eorigin', 'ferry_source_md5', 'original__filename']);
    expect(props.metadata!['original__filename']).toBe('=?UTF-8?B?em/DqyAmIGNvLnR4dA==?=');
  });

  it('refuses a small object whose bytes do not match the stated MD5 (the server checks it)', async () => {
    const body = Buffer.from('the real bytes');
    const e = await expectFerryError(
      store.put({ name: 'md5/wrong.txt', body: Readable.from([body]), size: body.length, md5: md5Hex(Buffer.from('other bytes')), metadata: {}, signal: signal() }),
      'TRANSIENT',
    );
    expect(e.message).toMatch(/MD5/);
    expect(await store.head('md5/wrong.txt', signal())).toBeUndefined();
  });

  it('puts an empty object', async () => {
    const res = await store.put({ name: 'empty', body: Readable.from([]), size: 0, metadata: {}, signal: signal() });
    expect(res).toMatchObject({ size: 0, md5: md5Hex(Buffer.alloc(0)), serverChecks: ['content-md5'] });
    expect((await sha256Of(await store.get('empty', signal()))).size).toBe(0);
  });

  it('puts 20 MiB streamed in blocks of 5 MiB, each MD5-checked, committed with the whole MD5', async () => {
    const size = 20 * MIB + 12345;
    const want = digestsOf(size, 42);
    const res = await store.put({
      name: 'large/twenty.bin',
      body: Readable.from(bytes(size, 42, 256 * 1024)),
      size,
      md5: want.md5,
      contentType: 'application/octet-stream',
      metadata: { ferry_source_md5: want.md5 },
      signal: signal(),
    });
    expect(res).toMatchObject({ md5: want.md5, size, serverChecks: ['part-md5'] });
    const blocks = await raw.getBlockBlobClient('large/twenty.bin').getBlockList('committed');
    expect(blocks.committedBlocks!.map((b) => b.size)).toEqual([5 * MIB, 5 * MIB, 5 * MIB, 5 * MIB, 12345]);
    expect(new Set(blocks.committedBlocks!.map((b) => b.name.length)).size).toBe(1);

    expect(await sha256Of(await store.get('large/twenty.bin', signal()))).toEqual({ sha256: want.sha256, size });
    const head = await store.head('large/twenty.bin', signal());
    expect(head).toMatchObject({ size, md5: want.md5, contentType: 'application/octet-stream', metadata: { ferry_source_md5: want.md5 } });
    const [listed] = (await listAll(store, { prefix: 'large/twenty' })).infos;
    expect(listed!.md5).toBe(want.md5);
  });

  it('commits nothing when a large body does not match the stated MD5, and leaves no staged blocks', async () => {
    const size = 12 * MIB;
    const e = await expectFerryError(
      store.put({ name: 'large/mismatch.bin', body: Readable.from(bytes(size, 7)), size, md5: digestsOf(size, 8).md5, metadata: {}, signal: signal() }),
      'TRANSIENT',
    );
    expect(e.message).toMatch(/nothing was committed/);
    expect(await store.head('large/mismatch.bin', signal())).toBeUndefined();
    expect(await rawNames('large/mismatch')).toEqual([]);
  });

  it('an aborted block upload leaves no partial upload behind', async () => {
    const ac = new AbortController();
    let staged: string[] = [];
    async function* slow(): AsyncGenerator<Buffer> {
      let i = 0;
      for (const b of bytes(30 * MIB, 9)) {
        if (++i === 12) {
          // Blocks 0 and 1 went up while 11 MiB were read: the blob exists with uncommitted blocks only.
          await new Promise((r) => setTimeout(r, 300));
          staged = await rawNames('abort/');
          setTimeout(() => ac.abort(), 50);
          await new Promise((r) => setTimeout(r, 1_000));
        }
        yield b;
      }
    }
    await expectFerryError(store.put({ name: 'abort/big.bin', body: Readable.from(slow()), size: 30 * MIB, metadata: {}, signal: ac.signal }), 'INTERRUPTED');
    expect(staged).toEqual(['abort/big.bin']);
    expect(await rawNames('abort/')).toEqual([]);
  });

  it('an aborted block upload over an existing blob leaves that blob as it was', async () => {
    await raw.getBlockBlobClient('abort/existing.txt').upload('keep me', 7);
    const ac = new AbortController();
    async function* failing(): AsyncGenerator<Buffer> {
      let i = 0;
      for (const b of bytes(12 * MIB, 3)) {
        if (++i === 11) throw new Error('source connection reset');
        yield b;
      }
    }
    await expect(store.put({ name: 'abort/existing.txt', body: Readable.from(failing()), size: 12 * MIB, metadata: {}, signal: ac.signal })).rejects.toThrow(/source connection reset/);
    const back = await raw.getBlobClient('abort/existing.txt').downloadToBuffer();
    expect(back.toString()).toBe('keep me');
  });

  it('abortPartial removes a blob only when every staged block is the upload\'s own and nothing is committed', async () => {
    const ours = (n: number): string => blockId('0123456789abcdef', n);
    const foreign = blockId('fedcba9876543210', 0); // another writer's (Azure wants one id length per blob)
    await raw.getBlockBlobClient('partial/ours.bin').stageBlock(ours(0), 'abc', 3);
    await raw.getBlockBlobClient('partial/ours.bin').stageBlock(ours(1), 'def', 3);
    await raw.getBlockBlobClient('partial/foreign.bin').stageBlock(foreign, 'abc', 3);
    await raw.getBlockBlobClient('partial/mixed.bin').stageBlock(ours(0), 'abc', 3);
    await raw.getBlockBlobClient('partial/mixed.bin').stageBlock(foreign, 'abc', 3);
    await raw.getBlockBlobClient('partial/kept.bin').upload('kept', 4);
    await raw.getBlockBlobClient('partial/kept.bin').stageBlock(ours(0), 'abc', 3);
    const abort = (name: string): Promise<boolean> => store.abortPartial!({ name, id: '0123456789abcdef' }, signal());
    expect(await abort('partial/ours.bin')).toBe(true);
    expect(await abort('partial/ours.bin')).toBe(false);
    expect(await abort('partial/foreign.bin')).toBe(false);
    expect(await abort('partial/mixed.bin')).toBe(false);
    expect(await abort('partial/kept.bin')).toBe(false);
    expect(await abort('partial/never.bin')).toBe(false);
    expect(await rawNames('partial/')).toEqual(['partial/foreign.bin', 'partial/kept.bin', 'partial/mixed.bin']);
    expect((await raw.getBlobClient('partial/kept.bin').downloadToBuffer()).toString()).toBe('kept');
  });

  it('a block upload tells its tracker before the first block and when it ended; a failed one leaves nothing', async () => {
    const log: string[] = [];
    const uploads = {
      started: async (u: { name: string; id: string }) => void log.push(`started ${u.name} ${u.id}`),
      ended: async (u: { name: string; id: string }) => void log.push(`ended ${u.name} ${u.id}`),
    };
    await store.put({ name: 'tracked/ok.bin', body: Readable.from(bytes(12 * MIB, 4)), size: 12 * MIB, metadata: {}, signal: signal(), uploads });
    expect(log).toHaveLength(2);
    expect(log[0]).toMatch(/^started tracked\/ok\.bin [0-9a-f]{16}$/);
    expect(log[1]).toBe(log[0]!.replace('started', 'ended'));

    log.length = 0;
    async function* failing(): AsyncGenerator<Buffer> {
      let i = 0;
      for (const b of bytes(12 * MIB, 3)) {
        if (++i === 11) throw new Error('source connection reset');
        yield b;
      }
    }
    await expect(store.put({ name: 'tracked/fails.bin', body: Readable.from(failing()), size: 12 * MIB, metadata: {}, signal: signal(), uploads })).rejects.toThrow(/source connection reset/);
    expect(log).toHaveLength(2);
    expect(log[1]).toBe(log[0]!.replace('started', 'ended'));
    expect(await rawNames('tracked/fails')).toEqual([]);
  });

  it('get streams the content and honours its AbortSignal', async () => {
    const size = 6 * MIB;
    await store.put({ name: 'get/six.bin', body: Readable.from(bytes(size, 5)), size, metadata: {}, signal: signal() });
    const ac = new AbortController();
    const stream = await store.get('get/six.bin', ac.signal);
    let read = 0;
    const e = await (async () => {
      try {
        for await (const chunk of stream) {
          read += (chunk as Buffer).length;
          if (read > 64 * 1024) ac.abort();
        }
      } catch (err) {
        return err as FerryError;
      }
      return undefined;
    })();
    expect(e?.code).toBe('INTERRUPTED');
    expect(read).toBeLessThan(size);
  });

  it('get of a vanished object is NOT_FOUND; head is undefined; delete is idempotent', async () => {
    await store.put({ name: 'gone.txt', body: Readable.from([Buffer.from('x')]), size: 1, metadata: {}, signal: signal() });
    await store.delete('gone.txt', signal());
    expect(await store.head('gone.txt', signal())).toBeUndefined();
    await expectFerryError(store.get('gone.txt', signal()), 'NOT_FOUND');
    await store.delete('gone.txt', signal());
  });

  it('writes with the access tier option', async () => {
    const cool = await openAzureBlobStore({ container: containerName, connection_string: serviceEnv('AZURE_STORAGE_CONNECTION_STRING'), access_tier: 'Cool' }, ctx);
    await cool.put({ name: 'tier/cool.txt', body: Readable.from([Buffer.from('brr')]), size: 3, metadata: {}, signal: signal() });
    expect((await cool.head('tier/cool.txt', signal()))?.storageClass).toBe('Cool');
  });

  it('round-trips names with URL-special characters', async () => {
    for (const name of ['odd/a b', 'odd/q?x', 'odd/h#x', 'odd/%41', 'odd/plus+', 'odd/ü/🚢']) {
      await store.put({ name, body: Readable.from([Buffer.from(name)]), size: Buffer.byteLength(name), metadata: {}, signal: signal() });
      const head = await store.head(name, signal());
      expect(head?.name).toBe(name);
      expect((await sha256Of(await store.get(name, signal()))).sha256).toBe(createHash('sha256').update(name).digest('hex'));
    }
  });
});

describe('credentials and errors', () => {
  const url = (): string => serviceEnv('AZURITE_BLOB_URL');
  const key = (): string => /AccountKey=([^;]+)/.exec(serviceEnv('AZURE_STORAGE_CONNECTION_STRING'))![1]!;

  it('opens with an endpoint and account key, and with a SAS token', async () => {
    const byKey = await openAzureBlobStore({ container: containerName, endpoint: url(), account_key: key() }, ctx);
    await byKey.check(signal());
    expect(byKey.url).toBe(`azure://devstoreaccount1/${containerName}`);

    const sasUrl = await raw.generateSasUrl({ permissions: ContainerSASPermissions.parse('rl'), expiresOn: new Date(Date.now() + 3_600_000) });
    const sas = new URL(sasUrl).search;
    const bySas = await openAzureBlobStore({ container: containerName, endpoint: url(), sas_token: sas, create: true }, ctx);
    // A container SAS cannot read container properties (403 AuthorizationPermissionMismatch), nor create one: the
    // check lists instead, and create() finds the container there.
    await bySas.check(signal());
    await bySas.create!(signal());
    const listed = await listAll(bySas, { prefix: 'order/a', pageSize: 2 });
    expect(listed.names.length).toBeGreaterThan(0);
  });

  it('a missing container is NOT_FOUND with a hint to create it', async () => {
    const missing = await openAzureBlobStore({ container: uniqueName('ferry-missing'), connection_string: serviceEnv('AZURE_STORAGE_CONNECTION_STRING') }, ctx);
    const e = await expectFerryError(missing.check(signal()), 'NOT_FOUND');
    expect(e.hint).toMatch(/create: true/);
    await expectFerryError(listAll(missing, { prefix: '' }), 'NOT_FOUND');
  });

  it('a wrong key is AUTH (Azurite checks shared-key signatures)', async () => {
    const wrong = await openAzureBlobStore({ container: containerName, endpoint: url(), account_key: Buffer.from('not the key').toString('base64') }, ctx);
    const e = await expectFerryError(wrong.check(signal()), 'AUTH');
    expect(e.message).not.toContain(key());
    expect(e.hint).toMatch(/account_key|sas_token/);
  });

  it('an unreachable endpoint is UNREACHABLE, naming host:port', async () => {
    const cs = serviceEnv('AZURE_STORAGE_CONNECTION_STRING').replace(/BlobEndpoint=http:\/\/127\.0\.0\.1:\d+/, 'BlobEndpoint=http://127.0.0.1:1');
    const off = await openAzureBlobStore({ container: containerName, connection_string: cs }, ctx);
    const e = await expectFerryError(off.check(signal()), 'UNREACHABLE');
    expect(e.message).toContain('127.0.0.1:1');
  });
});
