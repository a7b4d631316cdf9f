/**
 * `kill -9` in the middle of an S3 → S3 copy (two buckets on gofakes3, multipart-sized objects among small ones),
 * then `ferry resume`: no object that was complete in the target is copied again, the multipart uploads the dead
 * run left open are aborted, and the copy verifies. An object whose target name would be too long is a dead letter
 * listed by `ferry dead-letters`, and the job still succeeds within `max_rejected`.
 */
import { randomBytes } from 'node:crypto';
import { CreateBucketCommand, ListMultipartUploadsCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { beforeAll, expect, it } from 'vitest';
import { ferry, ferryAsync, workDir, writePlan } from '../../support/cli.js';
import { s3, uniqueName } from '../../support/clients.js';

const src = uniqueName('kill-src');
const dst = uniqueName('kill-dst');
const SMALL = 400;
const LARGE = 6;
const TOTAL = SMALL + LARGE + 1;
let client: S3Client;
let dir: string;
let plan: string;

async function names(bucket: string): Promise<string[]> {
  const out: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    out.push(...(page.Contents ?? []).map((o) => o.Key!));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return out;
}

async function openUploads(bucket: string): Promise<number> {
  try {
    return (await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads?.length ?? 0;
  } catch (e) {
    if ((e as { name?: string }).name === 'NoSuchUpload') return 0; // gofakes3: a bucket that never had an upload
    throw e;
  }
}

beforeAll(async () => {
  dir = workDir('ferry-objkill-');
  client = s3();
  await client.send(new CreateBucketCommand({ Bucket: src }));
  await client.send(new CreateBucketCommand({ Bucket: dst }));
  const puts = [];
  for (let i = 0; i < LARGE; i++) puts.push(client.send(new PutObjectCommand({ Bucket: src, Key: `d/a-large/${i}.bin`, Body: randomBytes(12 * 1024 * 1024) })));
  for (let i = 0; i < SMALL; i++) puts.push(client.send(new PutObjectCommand({ Bucket: src, Key: `d/${String.fromCharCode(98 + (i % 20))}/${i}.txt`, Body: randomBytes(2000 + i) })));
  // 1,000 bytes of name: under S3's 1,024 as a source, over it below the target prefix.
  puts.push(client.send(new PutObjectCommand({ Bucket: src, Key: `d/${'n'.repeat(998)}`, Body: 'long name' })));
  await Promise.all(puts);
  plan = writePlan(dir, 'kill', [
    'version: 1',
    'kind: migration',
    'name: objects-kill-resume',
    `source: { type: s3, bucket: ${src}, endpoint: "\${env:S3_ENDPOINT}" }`,
    `target: { type: s3, bucket: ${dst}, endpoint: "\${env:S3_ENDPOINT}", part_size_mb: 5, transfers: 8, large_transfers: 3 }`,
    'streams: [{ from: d/, to: copied/by/ferry/into/a/longer/prefix/ }]',
    // A request rate keeps the job running long enough to be killed in the middle.
    'limits: { concurrency: 4, batch_size: 20, requests_per_second: 150 }',
    'on_error: { max_rejected: 1 }',
    'verify: [count, checksum]',
  ]);
}, 180_000);

it('resumes without copying a complete object twice, aborts the dead run\'s uploads, and lists the dead letter', async () => {
  let batches = 0;
  let killed = false;
  const { done } = ferryAsync(['run', plan, '--json'], {
    cwd: dir,
    onLine: (line, proc) => {
      if (line.includes('"type":"batch"')) batches += 1;
      if (batches >= 3 && !killed) {
        killed = true;
        proc.kill('SIGKILL');
      }
    },
  });
  const first = await done;
  expect(killed).toBe(true);
  const jobId = first.events.find((e) => e.type === 'job.start')!.jobId as string;
  const present = (await names(dst)).length;
  expect(present).toBeGreaterThan(0);
  expect(present).toBeLessThan(TOTAL - 1);

  const r = ferry(['resume', jobId, '--json'], { cwd: dir });
  expect(r.code, r.err).toBe(0);
  const summary = r.events.find((e) => e.type === 'job.done')!.summary;
  expect(summary.status).toBe('succeeded');
  expect(summary.items).toBe(TOTAL - 1);
  expect(summary.rejected).toBe(1);
  // Complete objects were proved identical and skipped; only the rest was copied.
  const objects = summary.target.data.objects;
  expect(objects.copied).toBe(TOTAL - 1 - present);
  expect(objects.copied + objects.skipped).toBe(summary.run.items);
  expect(r.events.find((e) => e.type === 'verify.done')!.report.outcome).toBe('match');
  expect((await names(dst)).length).toBe(TOTAL - 1);
  expect(await openUploads(dst)).toBe(0);

  const dl = ferry(['dead-letters', jobId, '--json'], { cwd: dir });
  expect(dl.code).toBe(0);
  expect(dl.out).toContain(`name=${'n'.repeat(998)}`);
  expect(dl.out).toMatch(/target name is 1035 bytes, over s3:\/\/kill-dst-[a-z0-9-]+'s limit of 1024/);
}, 300_000);
