/**
 * State faults end in a sentence, through the real binary: while a job runs, another process holds the state
 * database locked (a backup tool, a stuck `sqlite3` shell) past the busy timeout. The run stops with a message that
 * names the state and the fix, a non-zero exit code and the resume line, never a crash; once the lock is gone
 * `ferry resume` finishes the job with every object copied once. And the state keeps no shared-memory file that a
 * truncation could turn into a SIGBUS.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import Database from 'better-sqlite3';
import { beforeAll, expect, it } from 'vitest';
import { ferry, ferryAsync, workDir, writePlan } from '../../support/cli.js';
import { s3, uniqueName } from '../../support/clients.js';

const src = uniqueName('sf-src');
const dst = uniqueName('sf-dst');
const TOTAL = 150;
let dir: string;
let plan: string;

beforeAll(async () => {
  dir = workDir('ferry-state-faults-');
  const client = s3();
  await client.send(new CreateBucketCommand({ Bucket: src }));
  await client.send(new CreateBucketCommand({ Bucket: dst }));
  await Promise.all(Array.from({ length: TOTAL }, (_, i) => client.send(new PutObjectCommand({ Bucket: src, Key: `in/${String(i).padStart(3, '0')}`, Body: `object ${i}` }))));
  plan = writePlan(dir, 'faults', [
    'version: 1',
    'kind: migration',
    'name: state-faults',
    `source: { type: s3, bucket: ${src}, endpoint: "\${env:S3_ENDPOINT}" }`,
    `target: { type: s3, bucket: ${dst}, endpoint: "\${env:S3_ENDPOINT}" }`,
    'streams: [{ from: in/ }]',
    // Slow enough (about 5 s) that the lock is taken mid-job.
    'limits: { concurrency: 1, batch_size: 5, requests_per_second: 30 }',
    'verify: [count]',
  ]);
}, 120_000);

it('a state locked by another process stops the run with the reason, the fix and the resume line; resume finishes it', async () => {
  const file = path.join(dir, 'state', 'ferry.db');
  let holder: Database.Database | undefined;
  let batches = 0;
  const { done } = ferryAsync(['run', plan, '--json'], {
    cwd: dir,
    onLine: (line) => {
      if (!line.includes('"type":"batch"') || ++batches !== 2) return;
      holder = new Database(file, { timeout: 10_000 });
      holder.exec('BEGIN EXCLUSIVE');
      expect(existsSync(`${file}-shm`)).toBe(false);
    },
  });
  const r = await done;
  expect(holder).toBeDefined();
  holder!.exec('ROLLBACK');
  holder!.close();

  const jobId = r.events.find((e) => e.type === 'job.start')!.jobId as string;
  expect(r.code).not.toBe(0);
  expect(r.code).not.toBe(135);
  expect(r.err).not.toMatch(/unexpected error/);
  expect(r.err).toMatch(/state database .*ferry\.db is busy/);
  expect(r.err).toMatch(/fix: /);
  expect(r.err).toContain(`then: \`ferry resume ${jobId}\``);

  const resumed = ferry(['resume', jobId, '--json'], { cwd: dir });
  expect(resumed.code, resumed.err).toBe(0);
  const summary = resumed.events.find((e) => e.type === 'job.done')!.summary;
  expect(summary.status).toBe('succeeded');
  expect(summary.items).toBe(TOTAL);
  expect(resumed.events.find((e) => e.type === 'verify.done')!.report.outcome).toBe('match');
}, 120_000);
