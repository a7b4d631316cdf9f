/**
 * `kill -9` in the middle of an S3 → S3 copy (two buckets on gofakes3, multipart-sized objects among small ones),
 * then `ferry resume`: no object that was complete in the target is copied again, the multipart uploads the dead
 * run left open are aborted (those recorded in its state; another application's upload under the prefix survives),
 * and the copy verifies. An object whose target name would be too long is a dead letter
 * listed by `ferry dead-letters`, and the job still succeeds within `max_rejected`.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { CreateBucketCommand, CreateMultipartUploadCommand, ListMultipartUploadsCommand, ListObjectsV2Command, PutObjectCommand, UploadPartCommand, type S3Client } from '@aws-sdk/client-s3';
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
const FOREIGN = 'copied/by/ferry/into/a/longer/prefix/another-app/upload.bin';
let foreign: string;

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

async function settledCount(bucket: string): Promise<number> {
  let last = -1;
  for (;;) {
    const now = (await names(bucket)).length;
    if (now === last) return now;
    last = now;
    await new Promise((resolve) => setTimeout(resolve, 750));
  }
}

async function openUploads(bucket: string): Promise<string[]> {
  try {
    return ((await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? []).map((u) => `${u.Key} ${u.UploadId}`);
  } catch (e) {
    if ((e as { name?: string }).name === 'NoSuchUpload') return []; // gofakes3: a bucket that never had an upload
    throw e;
  }
}

beforeAll(async () => {
  dir = workDir('ferry-objkill-');
  client = s3();
  await client.send(new CreateBucketCommand({ Bucket: src }));
  await client.send(new CreateBucketCommand({ Bucket: dst }));
  const puts = [];
  for (let i = 0; i < LARGE; i++) puts.push(client.send(new PutObjectCommand({ Bucket: src, Key: `d/m-large/${i}.bin`, Body: randomBytes(12 * 1024 * 1024) })));
  for (let i = 0; i < SMALL; i++) puts.push(client.send(new PutObjectCommand({ Bucket: src, Key: `d/${String.fromCharCode(98 + (i % 20))}/${i}.txt`, Body: randomBytes(2000 + i) })));
  // 1,000 bytes of name: under S3's 1,024 as a source, over it below the target prefix.
  puts.push(client.send(new PutObjectCommand({ Bucket: src, Key: `d/${'n'.repeat(998)}`, Body: 'long name' })));
  await Promise.all(puts);
  // Another application's upload in progress under the target prefix: not ferry's to abort.
  const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: dst, Key: FOREIGN }));
  await client.send(new UploadPartCommand({ Bucket: dst, Key: FOREIGN, UploadId, PartNumber: 1, Body: randomBytes(5 * 1024 * 1024) }));
  foreign = `${FOREIGN} ${UploadId}`;
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
  let withUpload = false;
  // Kill while one of ferry's multipart uploads is open (the state records it), once some objects are complete.
  const db = join(dir, 'state', 'ferry.db');
  let state: Database.Database | undefined;
  const poll = setInterval(() => {
    if (killed || batches < 1) return;
    try {
      state ??= new Database(db, { readonly: true, fileMustExist: true });
      if ((state.prepare("SELECT count(*) AS n FROM partial_uploads WHERE upload_id NOT LIKE 'pending:%'").get() as { n: number }).n > 0) {
        withUpload = true;
        killed = true;
        child.kill('SIGKILL');
      }
    } catch {
      // Not created yet.
    }
  }, 2);
  const { child, done } = ferryAsync(['run', plan, '--json'], {
    cwd: dir,
    onLine: (line, proc) => {
      if (line.includes('"type":"batch"')) batches += 1;
      if (batches >= 8 && !killed) {
        killed = true;
        proc.kill('SIGKILL');
      }
    },
  });
  const first = await done;
  clearInterval(poll);
  state?.close();
  expect(killed).toBe(true);
  const jobId = first.events.find((e) => e.type === 'job.start')!.jobId as string;
  // A request the dead process had fully sent can still land after it died: count once the target holds still.
  const present = await settledCount(dst);
  expect(present).toBeGreaterThan(0);
  expect(present).toBeLessThan(TOTAL - 1);
  const left = await openUploads(dst);
  expect(left).toContain(foreign);
  // Killed with one of ferry's uploads open: the resume has something of its own to abort.
  expect(withUpload).toBe(true);
  expect(left.length).toBeGreaterThan(1);

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
  // The dead run's own uploads were aborted by the resume; the other application's is untouched.
  expect(await openUploads(dst)).toEqual([foreign]);

  const dl = ferry(['dead-letters', jobId, '--json'], { cwd: dir });
  expect(dl.code).toBe(0);
  expect(dl.out).toContain(`name=${'n'.repeat(998)}`);
  expect(dl.out).toMatch(/target name is 1035 bytes, over s3:\/\/kill-dst-[a-z0-9-]+'s limit of 1024/);
}, 300_000);
