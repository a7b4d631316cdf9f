/**
 * S3 → GCS → Azure Blob → S3 through the real CLI, `ferry run` and then `ferry verify` of every hop: each store is
 * read (downloaded) and written once, small objects and one above a part, and the bytes that come home are the ones
 * that left. No run prints a warning of Node's or an SDK's (a deprecation, the runtime, a listener "leak").
 */
import { createHash, randomBytes } from 'node:crypto';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ferry, warningsIn, workDir, writePlan } from '../../support/cli.js';
import { azureBlob, s3, uniqueName } from '../../support/clients.js';

const from = uniqueName('rt-from');
const home = uniqueName('rt-home');
const gcsBucket = uniqueName('rt-gcs');
const container = uniqueName('rt-az');
let client: S3Client;
let dir: string;
const bodies = new Map<string, Buffer>();
const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');

beforeAll(async () => {
  dir = workDir('ferry-round-trip-');
  client = s3();
  await client.send(new CreateBucketCommand({ Bucket: from }));
  await client.send(new CreateBucketCommand({ Bucket: home }));
  for (let i = 0; i < 12; i++) bodies.set(`o/${i}.txt`, Buffer.from(`object ${i}\n`.repeat(i + 1)));
  bodies.set('o/big.bin', randomBytes(9 * 1024 * 1024 + 3));
  for (const [n, body] of bodies) await client.send(new PutObjectCommand({ Bucket: from, Key: n, Body: body }));
}, 120_000);

afterAll(async () => {
  await azureBlob().getContainerClient(container).deleteIfExists().catch(() => undefined);
});

const stores = {
  s3: (bucket: string) => `{ type: s3, bucket: ${bucket}, endpoint: "\${env:S3_ENDPOINT}" }`,
  gcs: `{ type: gcs, bucket: ${gcsBucket}, endpoint: "\${env:GCS_ENDPOINT}", create: true, part_size_mb: 4 }`,
  azure: `{ type: azure-blob, container: ${container}, connection_string: "\${env:AZURE_STORAGE_CONNECTION_STRING}", create: true, part_size_mb: 4 }`,
};

function hop(name: string, source: string, target: string): void {
  const plan = writePlan(dir, name, ['version: 1', 'kind: migration', `name: ${name}`, `source: ${source}`, `target: ${target}`, 'streams: [{ from: "o/", to: "o/" }]', 'verify: [count, checksum]']);
  const run = ferry(['run', plan, '--json'], { cwd: dir });
  expect(run.code, run.err).toBe(0);
  expect(warningsIn(run.err)).toEqual([]);
  expect(run.events.find((e) => e.type === 'job.done')!.summary.target.data.objects).toMatchObject({ copied: bodies.size });
  const jobId = run.events.find((e) => e.type === 'job.done')!.summary.jobId as string;
  const verify = ferry(['verify', jobId, '--json'], { cwd: dir });
  expect(verify.code, verify.err).toBe(0);
  expect(warningsIn(verify.err)).toEqual([]);
  expect(verify.events.find((e) => e.type === 'verify.done')!.report.outcome).toBe('match');
}

it('S3 → GCS → Azure → S3: every hop copied, verified, and quiet; the same bytes come home', async () => {
  hop('s3-gcs', stores.s3(from), stores.gcs);
  hop('gcs-azure', stores.gcs, stores.azure);
  hop('azure-s3', stores.azure, stores.s3(home));
  for (const [n, body] of bodies) {
    const got = await client.send(new GetObjectCommand({ Bucket: home, Key: n }));
    expect(md5(Buffer.from(await got.Body!.transformToByteArray())), n).toBe(md5(body));
  }
}, 300_000);
