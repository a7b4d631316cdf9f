/**
 * The server's own wait is honoured: each object store, behind a proxy that answers 503 (and 429) with the wait
 * the real service sends (S3 `Retry-After` on SlowDown, GCS `Retry-After`, Azure `x-ms-retry-after-ms`), maps the
 * answer to THROTTLED carrying that wait; and a `ferry run` whose target throttles this way waits what it was told
 * before trying again, then copies everything.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectorContext } from '../../../src/core/connector.js';
import type { ObjectStore } from '../../../src/core/object.js';
import type { FerryError } from '../../../src/errors.js';
import { openAzureBlobStore } from '../../../src/connectors/azure-blob/store.js';
import { openGcsStore } from '../../../src/connectors/gcs/store.js';
import { openS3Store } from '../../../src/connectors/s3/store.js';
import { ferryAsync, workDir, writePlan } from '../../support/cli.js';
import { azureBlob, gcs, s3, serviceEnv, uniqueName } from '../../support/clients.js';
import { throttlingProxy, type ThrottlingProxy } from '../../support/throttling-proxy.js';

const ctx: ConnectorContext = { signal: new AbortController().signal, logger: { debug() {}, info() {}, warn() {} } };
const never = new AbortController().signal;
const SLOW_DOWN = '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>';
const SERVER_BUSY = '<?xml version="1.0" encoding="utf-8"?><Error><Code>ServerBusy</Code><Message>The server is busy.</Message></Error>';
const proxies: ThrottlingProxy[] = [];

async function proxy(target: string): Promise<ThrottlingProxy> {
  const p = await throttlingProxy(target);
  proxies.push(p);
  return p;
}

async function thrown(p: Promise<unknown>): Promise<FerryError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e, 'expected a rejection').toBeDefined();
  return e as FerryError;
}

afterAll(async () => {
  for (const p of proxies) await p.close();
});

describe('each store maps a throttling answer to THROTTLED with the wait the server asked for', () => {
  it('S3: 503 SlowDown with Retry-After (seconds)', async () => {
    const bucket = uniqueName('ra-s3');
    await s3().send(new CreateBucketCommand({ Bucket: bucket }));
    const p = await proxy(serviceEnv('S3_ENDPOINT'));
    const store = (await openS3Store({ bucket, endpoint: p.url }, ctx)) as ObjectStore;
    p.throttle({ status: 503, headers: { 'retry-after': '2', 'content-type': 'application/xml' }, body: SLOW_DOWN });
    const e = await thrown(store.head('a.txt', never));
    expect(e.code).toBe('THROTTLED');
    expect(e.message).toContain('S3 asks to slow down');
    expect(e.retryAfterMs).toBe(2000);
    // The SDK itself retried (it also honours the header) before giving up.
    expect(p.stats.throttled).toBeGreaterThan(1);
    p.throttle(undefined);
    expect(await store.head('a.txt', never)).toBeUndefined();
  });

  it('GCS: 429 with Retry-After', async () => {
    const bucket = uniqueName('ra-gcs');
    await gcs().createBucket(bucket);
    const p = await proxy(serviceEnv('GCS_ENDPOINT'));
    const store = await openGcsStore({ bucket, endpoint: p.url }, ctx);
    p.throttle({ status: 429, headers: { 'retry-after': '3', 'content-type': 'application/json' }, body: JSON.stringify({ error: { code: 429, message: 'The rate of change requests to the object is too high.' } }) });
    const e = await thrown(store.head('a.txt', never));
    expect(e.code).toBe('THROTTLED');
    expect(e.retryAfterMs).toBe(3000);
    p.throttle(undefined);
    expect(await store.head('a.txt', never)).toBeUndefined();
  });

  it('Azure Blob: 503 ServerBusy with x-ms-retry-after-ms', async () => {
    const container = uniqueName('ra-az');
    await azureBlob().getContainerClient(container).create();
    const p = await proxy(serviceEnv('AZURITE_BLOB_URL').replace(/\/[^/]*$/, ''));
    const cs = serviceEnv('AZURE_STORAGE_CONNECTION_STRING').replace(/BlobEndpoint=http:\/\/[^/;]+/, `BlobEndpoint=${p.url}`);
    const store = await openAzureBlobStore({ container, connection_string: cs }, ctx);
    p.throttle({ status: 503, headers: { 'x-ms-retry-after-ms': '1500', 'x-ms-error-code': 'ServerBusy', 'content-type': 'application/xml' }, body: SERVER_BUSY });
    const e = await thrown(store.put({ name: 'a.txt', body: Readable.from([Buffer.from('abc')]), size: 3, metadata: {}, signal: never }));
    expect(e.code).toBe('THROTTLED');
    expect(e.retryAfterMs).toBe(1500);
    p.throttle(undefined);
    await store.put({ name: 'a.txt', body: Readable.from([Buffer.from('abc')]), size: 3, metadata: {}, signal: never });
    expect((await store.head('a.txt', never))?.size).toBe(3);
  });
});

describe('a run whose target throttles', () => {
  let dir: string;
  const src = uniqueName('ra-src');
  const dst = uniqueName('ra-dst');
  let p: ThrottlingProxy;

  beforeAll(async () => {
    dir = workDir('ferry-retry-after-');
    await s3().send(new CreateBucketCommand({ Bucket: src }));
    await s3().send(new CreateBucketCommand({ Bucket: dst }));
    for (let i = 0; i < 12; i++) await s3().send(new PutObjectCommand({ Bucket: src, Key: `in/${i}.bin`, Body: randomBytes(1000 + i) }));
    p = await proxy(serviceEnv('S3_ENDPOINT'));
  });

  it('waits what S3 asked (Retry-After: 2) before the retry, and copies everything', async () => {
    // As many SlowDowns as the SDK makes attempts (it waits the Retry-After itself between them): then ferry's
    // own retry sees the wait, and its backoff (100 ms at first) would be far shorter.
    p.throttle({ status: 503, headers: { 'retry-after': '2' }, body: SLOW_DOWN, match: (r) => r.method === 'PUT', times: 3 });
    const plan = writePlan(dir, 'throttled', [
      'version: 1',
      'kind: migration',
      'name: retry-after',
      `source: { type: s3, bucket: ${src}, endpoint: "\${env:S3_ENDPOINT}" }`,
      `target: { type: s3, bucket: ${dst}, endpoint: "${p.url}", transfers: 1 }`,
      'streams: [{ from: in/ }]',
      'limits: { concurrency: 1, batch_size: 4 }',
      'verify: [count, checksum]',
    ]);
    // Not the synchronous helper: the proxy lives in this process and must keep answering.
    const r = await ferryAsync(['run', plan, '--json'], { cwd: dir }).done;
    expect(r.code, r.err).toBe(0);
    expect(p.stats.throttled).toBe(3);
    const retries = r.events.filter((e) => e.type === 'retry');
    expect(retries.length).toBeGreaterThan(0);
    expect(Math.max(...retries.map((e) => e.delayMs as number))).toBeGreaterThanOrEqual(2000);
    const summary = r.events.find((e) => e.type === 'job.done')!.summary;
    expect(summary.status).toBe('succeeded');
    expect(summary.items).toBe(12);
    expect(r.events.find((e) => e.type === 'verify.done')!.report.outcome).toBe('match');
  }, 120_000);
});
