/**
 * `ferry plan dry-run` through the real binary, S3 → GCS: exact object counts and bytes from the listing, request and
 * transfer costs (a multipart object counted by its parts), the target bucket neither created nor written (then,
 * existing with an object under the prefix: a warning, and the object left alone).
 */
import { randomBytes } from 'node:crypto';
import { CreateBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DryRunReport } from '../../../src/dry-run/report.js';
import { gcs, s3, uniqueName } from '../../support/clients.js';
import { ferry, workDir, writePlan } from '../../support/cli.js';

let dir: string;
let client: S3Client;
let storage: Storage;
const srcBucket = uniqueName('dry-src');
const dstBucket = uniqueName('dry-dst');
const sizes = new Map<string, number>();
const MiB = 1024 * 1024;

function plan(name: string): string {
  return writePlan(dir, name, [
    'version: 1',
    'kind: migration',
    `name: ${name}`,
    `source: { type: s3, bucket: ${srcBucket}, endpoint: "\${env:S3_ENDPOINT}", force_path_style: true, region: us-east-1 }`,
    `target: { type: gcs, bucket: ${dstBucket}, endpoint: "\${env:GCS_ENDPOINT}", project: test, create: true }`,
    'streams:',
    '  - from: data/',
    '    to: copy/',
    'limits: { concurrency: 4, batch_size: 25, requests_per_second: 20 }',
  ]);
}

beforeAll(async () => {
  dir = workDir('ferry-dry-objects-');
  client = s3();
  storage = gcs();
  await client.send(new CreateBucketCommand({ Bucket: srcBucket }));
  for (let i = 0; i < 40; i++) {
    const key = `data/${i % 2 ? 'a' : 'b'}/${String(i).padStart(3, '0')}.log`;
    const body = Buffer.from(`line ${i}\n`.repeat(1 + i));
    sizes.set(key, body.length);
    await client.send(new PutObjectCommand({ Bucket: srcBucket, Key: key, Body: body }));
  }
  const big = randomBytes(20 * MiB + 5);
  sizes.set('data/big.bin', big.length);
  await client.send(new PutObjectCommand({ Bucket: srcBucket, Key: 'data/big.bin', Body: big }));
  await client.send(new PutObjectCommand({ Bucket: srcBucket, Key: 'elsewhere/x', Body: 'not in the stream' }));
}, 120_000);

afterAll(async () => {
  await storage.bucket(dstBucket).deleteFiles({ force: true }).catch(() => undefined);
  await storage.bucket(dstBucket).delete().catch(() => undefined);
});

describe('ferry plan dry-run: S3 → GCS', () => {
  it('counts objects and bytes exactly, prices requests and egress, and creates nothing (exit 0)', async () => {
    const r = ferry(['plan', 'dry-run', plan('dry-s3-gcs'), '--state', 'ferry.db', '--json'], { cwd: dir });
    expect(r.err).not.toMatch(/unexpected error/);
    expect(r.code).toBe(0);
    const rep = JSON.parse(r.out) as DryRunReport;
    expect(rep.verdict).toBe('ready');
    expect(rep.prices.date).toBe('2026-11-01');
    const s = rep.streams[0]!;
    const total = [...sizes.values()].reduce((a, b) => a + b, 0);
    expect(s).toMatchObject({ stream: 'data/', target: 'copy/' });
    expect(s.count).toMatchObject({ value: 41, exact: true, method: expect.stringContaining(`listing of s3://${srcBucket}/data/`) });
    expect(s.bytes).toMatchObject({ value: total, exact: true });
    expect(s.segments.reduce((n, x) => n + (x.estimate ?? 0), 0)).toBe(41);
    expect(s.samples).toHaveLength(5);
    expect(s.samples[0]).toMatchObject({ key: 'name=a/001.log', before: { name: 'data/a/001.log', size: sizes.get('data/a/001.log') }, after: { name: 'copy/a/001.log' }, problems: [] });
    expect(s.targetState).toMatchObject({ exists: false, created: true });

    const cost = (what: RegExp) => s.estimate.cost.find((c) => what.test(c.what))!;
    // 40 single uploads + the 20 MiB object in 8 MiB parts: initiate + 3 parts + complete.
    expect(cost(/Cloud Storage uploads/)).toMatchObject({ quantity: 45, unitPrice: 0.005, per: 1000 });
    expect(cost(/S3 GET requests/)).toMatchObject({ quantity: 41, unitPrice: 0.0004, per: 1000 });
    expect(cost(/S3 listings of the source/)).toMatchObject({ quantity: 1 });
    const egress = cost(/data transfer out of AWS to Google Cloud/);
    expect(egress.quantity).toBeCloseTo(total / 1024 ** 3, 3);
    expect(egress.unitPrice).toBe(0.09);
    expect(s.estimate.limitedBy).toBe('target units: plan limit requests_per_second 20/s');
    expect(s.estimate.durationS).toBeCloseTo(41 / 20, 3);

    // The target bucket was not created; no job was recorded.
    const [exists] = await storage.bucket(dstBucket).exists();
    expect(exists).toBe(false);
    const jobs = ferry(['jobs', '--json', '--state', 'ferry.db'], { cwd: dir });
    expect(JSON.parse(jobs.out)).toEqual([]);
  }, 120_000);

  it('an existing bucket with objects under the prefix: a warning, and the object stays as it was', async () => {
    await storage.createBucket(dstBucket);
    await storage.bucket(dstBucket).file('copy/already-there.txt').save('keep me');
    const r = ferry(['plan', 'dry-run', plan('dry-s3-gcs-2'), '--state', 'ferry.db', '--json', '--sample', '1'], { cwd: dir });
    expect(r.code).toBe(0);
    const rep = JSON.parse(r.out) as DryRunReport;
    expect(rep.streams[0]!.targetState).toMatchObject({ exists: true, empty: false, items: 1 });
    expect(rep.findings.map((f) => `${f.severity}:${f.code}`)).toEqual(['warning:target-not-empty']);
    const [files] = await storage.bucket(dstBucket).getFiles({ prefix: '' });
    expect(files.map((f) => f.name)).toEqual(['copy/already-there.txt']);
    const [body] = await storage.bucket(dstBucket).file('copy/already-there.txt').download();
    expect(body.toString()).toBe('keep me');
  }, 60_000);
});
