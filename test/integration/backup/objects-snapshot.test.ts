/**
 * A bucket prefix backed up as a dated snapshot: S3 (gofakes3) → GCS (fake-gcs-server) through the object copy path,
 * every object listed in the manifest with its size and MD5, verified against the live S3 prefix; `ferry backup
 * verify` hashes the copies and names an altered one; a restore brings the snapshot back into another S3 bucket,
 * byte for byte, metadata included.
 */
import { createHash } from 'node:crypto';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gcs, s3, uniqueName } from '../../support/clients.js';
import { ferry, workDir, writePlan } from '../../support/cli.js';

const N = 120;
let dir: string;
let s3c: S3Client;
let storage: Storage;
let srcBucket: string;
let dstBucket: string;
let gcsBucket: string;
const md5s = new Map<string, string>();

function body(i: number): Buffer {
  // Sizes from 0 bytes to ~40 KiB, each content distinct.
  return Buffer.from(`object ${i} `.repeat(i * 30));
}

async function s3Names(bucket: string, prefix: string): Promise<string[]> {
  const out: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3c.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of page.Contents ?? []) out.push(o.Key!);
    token = page.NextContinuationToken;
  } while (token);
  return out.sort();
}

beforeAll(async () => {
  dir = workDir('ferry-snapshot-');
  s3c = s3();
  storage = gcs();
  srcBucket = uniqueName('snap-src');
  dstBucket = uniqueName('snap-dst');
  gcsBucket = uniqueName('snap-dr');
  await s3c.send(new CreateBucketCommand({ Bucket: srcBucket }));
  await s3c.send(new CreateBucketCommand({ Bucket: dstBucket }));
  for (let i = 0; i < N; i++) {
    const key = `assets/${i % 3 === 0 ? 'img' : 'doc'}/${String(i).padStart(4, '0')} — ñ.bin`;
    const b = body(i);
    md5s.set(key, createHash('md5').update(b).digest('hex'));
    await s3c.send(new PutObjectCommand({ Bucket: srcBucket, Key: key, Body: b, ContentType: 'application/x-test', Metadata: { origin: `n${i}` } }));
  }
  await s3c.send(new PutObjectCommand({ Bucket: srcBucket, Key: 'other/not-in-the-backup', Body: 'x' }));
  const s3Block = (b: string): string => `{ type: s3, bucket: ${b}, endpoint: "\${env:S3_ENDPOINT}", region: "\${env:AWS_REGION}", force_path_style: true }`;
  const gcsBlock = `{ type: gcs, bucket: ${gcsBucket}, endpoint: "\${env:GCS_ENDPOINT}", create: true }`;
  writePlan(dir, 'backup', [
    'version: 1',
    'kind: backup',
    'name: assets-snapshot',
    `source: ${s3Block(srcBucket)}`,
    `target: ${gcsBlock}`,
    'backup: { prefix: snapshots }',
    'streams: [{ from: assets/ }]',
    'limits: { batch_size: 25 }',
    'verify: [count, checksum]',
  ]);
  writePlan(dir, 'restore', [
    'version: 1',
    'kind: restore',
    'name: assets-restore',
    `source: ${gcsBlock}`,
    'restore: { plan: assets-snapshot, prefix: snapshots }',
    `target: ${s3Block(dstBucket)}`,
    'streams: [{ from: assets/ }]',
    'verify: [count, checksum]',
  ]);
}, 120_000);

afterAll(() => s3c?.destroy());

describe('object stores backed up as dated snapshots', () => {
  let setDir = '';

  it('copies the prefix into a set with a manifest of every object, verified against the source', async () => {
    const r = ferry(['run', 'backup.yaml', '--state', 'ferry.db', '--json'], { cwd: dir });
    expect(r.code, r.err).toBe(0);
    expect((r.events.find((e) => e.type === 'verify.done') as unknown as { report: { outcome: string } }).report.outcome).toBe('match');
    const [files] = await storage.bucket(gcsBucket).getFiles({ prefix: 'snapshots/assets-snapshot/' });
    const manifest = files.find((f) => f.name.endsWith('/manifest.json'))!;
    setDir = manifest.name.slice(0, -'manifest.json'.length);
    const m = JSON.parse((await manifest.download())[0].toString('utf8')) as { encoding: string; streams: { name: string; count: number; files: { path: string; bytes: number; md5: string }[] }[] };
    expect(m.encoding).toBe('objects');
    expect(m.streams.map((s) => [s.name, s.count])).toEqual([['assets/', N]]);
    expect(new Map(m.streams[0]!.files.map((f) => [f.path.replace(/^objects\//, ''), f.md5]))).toEqual(md5s);
    const copies = files.filter((f) => f.name.startsWith(`${setDir}objects/`));
    expect(copies).toHaveLength(N);
    const one = copies.find((f) => f.name.endsWith('0003 — ñ.bin'))!;
    const [meta] = await one.getMetadata();
    expect(meta.contentType).toBe('application/x-test');
    expect(meta.metadata?.['origin']).toBe('n3');

    const list = JSON.parse(ferry(['backup', 'list', 'backup.yaml', '--json'], { cwd: dir }).out) as { sets: { state: string; records: number; verified?: { outcome: string } }[] };
    expect(list.sets).toEqual([expect.objectContaining({ state: 'complete', records: N, verified: expect.objectContaining({ outcome: 'ok' }) })]);
  }, 180_000);

  it('verify hashes every copy, and names one whose bytes were altered', async () => {
    const ok = ferry(['backup', 'verify', 'backup.yaml', '--source', '--json'], { cwd: dir });
    expect(ok.code, ok.out + ok.err).toBe(0);
    expect(ok.events.find((e) => e.type === 'backup.verify')).toMatchObject({ source: 'match' });
    // The plan verified on its own (no run): the live prefix against the newest set.
    const plain = ferry(['verify', 'backup.yaml', '--state', 'ferry.db', '--json'], { cwd: dir });
    expect(plain.code, plain.out + plain.err).toBe(0);
    expect(ok.events.find((e) => e.type === 'backup.verify')).toMatchObject({ outcome: 'ok', read: { files: N, records: N }, streamsProved: ['assets/'], notes: [] });

    const victim = storage.bucket(gcsBucket).file(`${setDir}objects/assets/doc/0007 — ñ.bin`);
    const [orig] = await victim.download();
    const altered = Buffer.from(orig);
    altered[5] = altered[5]! ^ 0x20;
    await victim.save(altered);
    const bad = ferry(['backup', 'verify', 'backup.yaml', '--json'], { cwd: dir });
    expect(bad.code).toBe(1);
    const e = bad.events.find((x) => x.type === 'backup.verify') as unknown as { outcome: string; problems: { problem: string }[] };
    expect(e.outcome).toBe('damaged');
    expect(e.problems.map((p) => p.problem)).toEqual([expect.stringMatching(/^objects\/assets\/doc\/0007 — ñ\.bin has MD5 [0-9a-f]{32}, the manifest says [0-9a-f]{32} \(its bytes were altered\)$/)]);
    await victim.save(orig);
  }, 180_000);

  it('restores the snapshot into another bucket, byte for byte, verified against the set', async () => {
    const r = ferry(['run', 'restore.yaml', '--state', 'ferry.db', '--json'], { cwd: dir });
    expect(r.code, r.err).toBe(0);
    expect((r.events.find((e) => e.type === 'verify.done') as unknown as { report: { outcome: string } }).report.outcome).toBe('match');
    const names = await s3Names(dstBucket, '');
    expect(names).toEqual([...md5s.keys()].sort());
    for (const key of names.slice(0, 10)) {
      const got = await s3c.send(new GetObjectCommand({ Bucket: dstBucket, Key: key }));
      expect(createHash('md5').update(Buffer.from(await got.Body!.transformToByteArray())).digest('hex')).toBe(md5s.get(key));
    }
    const head = await s3c.send(new HeadObjectCommand({ Bucket: dstBucket, Key: names[0]! }));
    expect(head.ContentType).toBe('application/x-test');
    expect(head.Metadata?.['origin']).toMatch(/^n\d+$/);
  }, 180_000);
});
