/**
 * S3 → GCS through the real CLI against gofakes3 and fake-gcs-server: a copy with metadata, verified by count and
 * checksum (names, sizes, MD5s); an incremental re-run that copies nothing; a dry run that names what a change
 * would copy and what is extra; a mirror that deletes the extra; and `ferry verify` naming a same-size corruption.
 */
import { createHash, randomBytes } from 'node:crypto';
import { CompleteMultipartUploadCommand, CreateBucketCommand, CreateMultipartUploadCommand, PutObjectCommand, UploadPartCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gcs, s3, uniqueName } from '../../support/clients.js';
import { ferry, workDir, writePlan } from '../../support/cli.js';

let dir: string;
let client: S3Client;
let storage: Storage;
const srcBucket = uniqueName('ferry-src');
const dstBucket = uniqueName('ferry-dst');
const objects = new Map<string, Buffer>();
const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');

function planLines(name: string, stream: string[]): string[] {
  return [
    'version: 1',
    'kind: migration',
    `name: ${name}`,
    `source: { type: s3, bucket: ${srcBucket}, endpoint: "\${env:S3_ENDPOINT}", force_path_style: true, region: us-east-1 }`,
    `target: { type: gcs, bucket: ${dstBucket}, endpoint: "\${env:GCS_ENDPOINT}", project: test, create: true }`,
    'streams:',
    ...stream,
    'limits: { concurrency: 4, batch_size: 25 }',
    'verify: [count, checksum]',
  ];
}

async function targetObjects(prefix: string): Promise<Map<string, { md5: string; contentType?: string; metadata?: Record<string, string> }>> {
  const [files] = await storage.bucket(dstBucket).getFiles({ prefix });
  const out = new Map<string, { md5: string; contentType?: string; metadata?: Record<string, string> }>();
  for (const f of files) {
    const [body] = await f.download();
    out.set(f.name, {
      md5: md5(body),
      ...(f.metadata.contentType ? { contentType: f.metadata.contentType } : {}),
      ...(f.metadata.metadata ? { metadata: f.metadata.metadata as Record<string, string> } : {}),
    });
  }
  return out;
}

beforeAll(async () => {
  dir = workDir('ferry-objects-');
  client = s3();
  storage = gcs();
  await client.send(new CreateBucketCommand({ Bucket: srcBucket }));
  const names = ['a.txt', 'b/ç€ñ.json', 'b/東京/x.bin', 'c d/space name', 'z/🚢.dat'];
  for (let i = 0; i < 60; i++) names.push(`many/${String(i).padStart(3, '0')}.log`);
  for (const n of names) {
    const body = n.endsWith('.bin') ? randomBytes(3000) : Buffer.from(`content of ${n}\n`.repeat(1 + (n.length % 7)));
    objects.set(`data/${n}`, body);
    await client.send(new PutObjectCommand({ Bucket: srcBucket, Key: `data/${n}`, Body: body, ContentType: n.endsWith('.json') ? 'application/json' : 'text/plain', Metadata: { origin: 'test' } }));
  }
  await client.send(new PutObjectCommand({ Bucket: srcBucket, Key: 'elsewhere/not-copied', Body: 'x' }));
  // A multipart object, copied by ferry in parts of its own.
  const big = randomBytes(11 * 1024 * 1024 + 123);
  objects.set('data/big/multipart.bin', big);
  const up = await client.send(new CreateMultipartUploadCommand({ Bucket: srcBucket, Key: 'data/big/multipart.bin' }));
  const parts = [];
  for (let p = 0, off = 0; off < big.length; p++, off += 5 * 1024 * 1024) {
    const r = await client.send(new UploadPartCommand({ Bucket: srcBucket, Key: 'data/big/multipart.bin', UploadId: up.UploadId, PartNumber: p + 1, Body: big.subarray(off, off + 5 * 1024 * 1024) }));
    parts.push({ ETag: r.ETag!, PartNumber: p + 1 });
  }
  await client.send(new CompleteMultipartUploadCommand({ Bucket: srcBucket, Key: 'data/big/multipart.bin', UploadId: up.UploadId, MultipartUpload: { Parts: parts } }));
}, 120_000);

afterAll(async () => {
  await storage.bucket(dstBucket).deleteFiles({ force: true }).catch(() => undefined);
  await storage.bucket(dstBucket).delete().catch(() => undefined);
});

describe('S3 → GCS', () => {
  let jobId: string;

  it('copies a prefix with its metadata, proves every object by MD5, and verifies count and checksum', () => {
    const plan = writePlan(dir, 'copy', planLines('s3-gcs-copy', ['  - from: data/', '    to: copy/']));
    const r = ferry(['run', plan, '--json'], { cwd: dir });
    expect(r.err).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    const done = r.events.find((e) => e.type === 'job.done')!;
    jobId = done.summary.jobId;
    expect(done.summary.items).toBe(objects.size);
    expect(done.summary.target.data.objects).toMatchObject({ copied: objects.size, skipped: 0, sizeOnly: { count: 0 } });
    const verify = r.events.find((e) => e.type === 'verify.done')!;
    expect(verify.report.outcome).toBe('match');
    return targetObjects('copy/').then((got) => {
      expect([...got.keys()].sort()).toEqual([...objects.keys()].map((k) => k.replace(/^data\//, 'copy/')).sort());
      for (const [k, body] of objects) expect(got.get(k.replace(/^data\//, 'copy/'))!.md5).toBe(md5(body));
      expect(got.get('copy/b/ç€ñ.json')).toMatchObject({ contentType: 'application/json', metadata: { origin: 'test' } });
      // ferry records the source ETag and MD5 it copied (gofakes3 lists a multipart object with its whole MD5,
      // unlike S3, whose `<md5>-N` ETag the unit tests cover).
      expect(got.get('copy/big/multipart.bin')!.metadata).toMatchObject({ ferry_source_md5: md5(objects.get('data/big/multipart.bin')!) });
    });
  }, 120_000);

  it('copies nothing on a second run: every object is proved identical', () => {
    const plan = writePlan(dir, 'copy', planLines('s3-gcs-copy', ['  - from: data/', '    to: copy/']));
    const r = ferry(['run', plan, '--json', '--new'], { cwd: dir });
    expect(r.code).toBe(0);
    const done = r.events.find((e) => e.type === 'job.done')!;
    expect(done.summary.target.data.objects).toMatchObject({ copied: 0, skipped: objects.size, proofs: { 'md5 (skip)': objects.size } });
  }, 120_000);

  it('dry run: names the changed object and the extra one, and changes nothing', async () => {
    await client.send(new PutObjectCommand({ Bucket: srcBucket, Key: 'data/a.txt', Body: 'changed content' }));
    objects.set('data/a.txt', Buffer.from('changed content'));
    await storage.bucket(dstBucket).file('copy/extra.txt').save('not in the source');
    const plan = writePlan(dir, 'mirror', planLines('s3-gcs-mirror', ['  - from: data/', '    to: copy/', '    delete_extraneous: true']));
    const r = ferry(['run', plan, '--dry-run', '--json'], { cwd: dir });
    expect(r.code).toBe(0);
    const actions = r.events.filter((e) => e.type === 'dry-run').map((e) => [e.action, e.name]);
    expect(actions.filter(([a]) => a !== 'skip')).toEqual([
      ['copy', 'copy/a.txt'],
      ['delete', 'copy/extra.txt'],
    ]);
    expect(actions.filter(([a]) => a === 'skip')).toHaveLength(objects.size - 1);
    const [still] = await storage.bucket(dstBucket).file('copy/extra.txt').exists();
    expect(still).toBe(true);
    expect(ferry(['jobs', '--json'], { cwd: dir }).out).not.toContain('s3-gcs-mirror');
  }, 120_000);

  it('a mirror copies the change and deletes the extra object', async () => {
    const plan = writePlan(dir, 'mirror', planLines('s3-gcs-mirror', ['  - from: data/', '    to: copy/', '    delete_extraneous: true']));
    const r = ferry(['run', plan, '--json'], { cwd: dir });
    expect(r.code).toBe(0);
    const done = r.events.find((e) => e.type === 'job.done')!;
    expect(done.summary.target.data.objects).toMatchObject({ copied: 1, skipped: objects.size - 1, deleted: 1 });
    const [still] = await storage.bucket(dstBucket).file('copy/extra.txt').exists();
    expect(still).toBe(false);
    expect(r.events.find((e) => e.type === 'verify.done')!.report.outcome).toBe('match');
  }, 120_000);

  it('ferry verify names a same-size corruption, a truncated object and a missing one', async () => {
    const original = objects.get('data/many/007.log')!;
    const flipped = Buffer.from(original);
    flipped[0] = flipped[0]! ^ 1;
    await storage.bucket(dstBucket).file('copy/many/007.log').save(flipped);
    await storage.bucket(dstBucket).file('copy/many/011.log').delete();
    const whole = objects.get('data/many/020.log')!;
    await storage.bucket(dstBucket).file('copy/many/020.log').save(whole.subarray(0, whole.length - 3)); // truncated
    const r = ferry(['verify', jobId, '--json'], { cwd: dir });
    expect(r.code).toBe(1);
    const text = r.out;
    expect(text).toContain('many/007.log');
    expect(text).toContain('many/011.log');
    const checksum = r.events.find((e) => e.type === 'verify.done')!.report.results.find((x: { verifier: string }) => x.verifier === 'checksum');
    expect(checksum.changed.keys).toEqual(['name=many/007.log', 'name=many/020.log']);
    expect(checksum.missing.keys).toEqual(['name=many/011.log']);
  }, 120_000);
});
