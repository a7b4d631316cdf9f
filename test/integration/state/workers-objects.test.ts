/**
 * Workers on an object job: 3,000 objects S3 → GCS by 3 worker processes on the shared PostgreSQL state, in separate
 * working directories. One worker is killed (`kill -9`) mid-segment; another is stopped (SIGSTOP) past its lease
 * and woken (SIGCONT) once its segment has been taken over, so its late commit is refused by the fence. The bucket
 * ends exactly the source (every name and MD5, read from GCS itself), the job verifies, and no segment's cursor in
 * the state moved backwards.
 */
import { createHash, randomBytes } from 'node:crypto';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { gcs, s3, uniqueName } from '../../support/clients.js';
import { ferry, ferryAsync, workDir, writePlan, type Run } from '../../support/cli.js';
import { machine, sharedState, stateAfter, type SharedState } from '../../support/shared-state.js';

const OBJECTS = 3_000;
const srcBucket = uniqueName('wobj-src');
const dstBucket = uniqueName('wobj-dst');
const md5s = new Map<string, string>();
let dir: string;
let plan: string;
let state: SharedState;

beforeAll(async () => {
  dir = workDir('ferry-workers-objects-');
  const client = s3();
  await client.send(new CreateBucketCommand({ Bucket: srcBucket }));
  const names = Array.from({ length: OBJECTS }, (_, i) => `data/${(i * 7919 % 256).toString(16).padStart(2, '0')}/${String(i).padStart(5, '0')}.bin`);
  for (let i = 0; i < names.length; i += 100) {
    await Promise.all(
      names.slice(i, i + 100).map(async (key, j) => {
        const body = randomBytes(512 + ((i + j) % 1500));
        md5s.set(key, createHash('md5').update(body).digest('base64'));
        await client.send(new PutObjectCommand({ Bucket: srcBucket, Key: key, Body: body }));
      }),
    );
  }
  client.destroy();
  state = sharedState(uniqueName('wobj'));
  plan = writePlan(dir, 'objects', [
    'version: 1',
    'kind: migration',
    'name: objects-workers',
    `source: { type: s3, bucket: ${srcBucket}, endpoint: "\${env:S3_ENDPOINT}", force_path_style: true, region: us-east-1 }`,
    `target: { type: gcs, bucket: ${dstBucket}, endpoint: "\${env:GCS_ENDPOINT}", project: test, create: true }`,
    'streams: [{ from: data/, to: data/ }]',
    // A request rate (split across the workers) keeps the job running long enough to kill and stop workers in it.
    'limits: { concurrency: 2, batch_size: 25, requests_per_second: 240 }',
    'verify: [count, checksum]',
  ]);
}, 180_000);

afterAll(async () => {
  await state?.drop();
});

const leaseEvents = (r: Run, change: string): { segmentId: string }[] =>
  r.events.filter((e) => e.type === 'segment.lease' && (e as { change?: string }).change === change) as unknown as { segmentId: string }[];

it('3 workers on 3,000 objects, one killed -9 and one stalled past its lease: the bucket is exactly the source', async () => {
  const env = { FERRY_STATE: state.url };
  const created = ferry(['job', 'create', plan, '--workers', '3', '--json'], { cwd: dir, env });
  expect(created.code, created.err).toBe(0);
  const jobId = (JSON.parse(created.out) as { id: string }).id;

  const batches = { a: 0, b: 0, c: 0 };
  const heldByB = new Set<string>();
  let aKilledAtB = -1;
  let stopped = false;
  let woken = false;
  const workers: Record<string, ReturnType<typeof ferryAsync>> = {};
  const start = (name: 'a' | 'b' | 'c') =>
    (workers[name] = ferryAsync(['worker', jobId, '--json', '--lease-ttl', '2'], {
      cwd: machine(dir, name),
      env,
      onLine: (line, proc) => {
        if (!line.startsWith('{')) return;
        const e = JSON.parse(line) as { type: string; segmentId?: string; change?: string };
        if (e.type === 'batch') {
          batches[name] += 1;
          if (name === 'b' && e.segmentId) heldByB.add(e.segmentId);
          if (name === 'a' && batches.a === 5) {
            proc.kill('SIGKILL');
            aKilledAtB = batches.b;
          }
          if (name === 'b' && aKilledAtB >= 0 && batches.b >= aKilledAtB + 5 && !stopped) {
            stopped = true;
            proc.kill('SIGSTOP');
          }
        }
        // c took over a segment b held: wake b, whose next commit carries the old fence.
        if (name === 'c' && stopped && !woken && e.type === 'segment.lease' && e.change === 'takeover' && heldByB.has(e.segmentId ?? '')) {
          woken = true;
          setTimeout(() => workers['b']!.child.kill('SIGCONT'), 300);
        }
      },
    }));
  start('a');
  start('b');
  start('c');
  const [ra, rb, rc] = await Promise.all([workers['a']!.done, workers['b']!.done, workers['c']!.done]);
  expect(stopped && woken, 'b was stopped, then woken after c took its segment').toBe(true);
  expect(ra.code).toBeNull();
  expect(rb.code, rb.err).toBe(0);
  expect(rc.code, rc.err).toBe(0);
  expect(leaseEvents(rb, 'lost').length).toBeGreaterThanOrEqual(1);
  expect(leaseEvents(rc, 'takeover').length + leaseEvents(rb, 'takeover').length).toBeGreaterThanOrEqual(2);
  const verified = [...rb.events, ...rc.events].filter((e) => e.type === 'verify.done');
  expect(verified.length).toBe(1);
  expect((verified[0] as unknown as { report: { outcome: string } }).report.outcome).toBe('match');

  const after = await stateAfter(state, jobId, (cursor) => (typeof cursor === 'string' ? cursor : JSON.stringify(cursor)));
  expect(after.status).toBe('succeeded');
  expect(after.segments.length).toBe(6);
  expect(after.segments.every((s) => s.status === 'done')).toBe(true);
  expect(after.segments.reduce((n, s) => n + s.items, 0)).toBe(OBJECTS);

  // The bucket itself: every name once, every MD5 the source's.
  const [files] = await gcs().bucket(dstBucket).getFiles({ prefix: 'data/' });
  expect(files.length).toBe(OBJECTS);
  const wrong = files.filter((f) => md5s.get(f.name) !== f.metadata.md5Hash).map((f) => f.name);
  expect(wrong).toEqual([]);

  const v = ferry(['verify', jobId, '--json'], { cwd: dir, env });
  expect(v.code, v.err).toBe(0);
}, 300_000);
