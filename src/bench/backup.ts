/**
 * `npm run bench -- backup`: a PostgreSQL table backed up to S3 and restored into DynamoDB by ferry (child processes,
 * checkpoints on, as an operator runs them), each against the raw ceiling of the server it writes to: the backup
 * against PUTs of the very data files it wrote (same count, same bytes, W writers), the restore against the same
 * DynamoDB server's BatchWriteItem ceiling for as many items. With `--rows 200k,1m` the backup runs at each size, so
 * its peak RSS shows whether memory stays flat as the table grows. A run fails the bench only if it does not
 * complete or the set (or the table) does not hold exactly the rows.
 */
import { CreateBucketCommand, DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ChildProcess } from 'node:child_process';
import type { BackupBenchOptions } from './args.js';
import { loadItemPool, rawCeiling, type Interrupted } from './baselines.js';
import { ensureDataset, QUALIFIED_TABLE } from './dataset.js';
import { benchClient, countItems, createTable, dropTable, TABLE_PREFIX } from './dynamo.js';
import { runFerryChild, type FerryChildResult } from './ferry-child.js';
import { benchS3 } from './object-sets.js';
import { ferryCommit, formatTable, machine, n, ratioText, round, type Machine } from './runs.js';
import type { BenchServers } from './servers.js';

const BUCKET = 'ferry-bench-backup';
const PLAN = 'bench-backup';

export interface BackupSizeResult {
  rows: number;
  ferry_seconds: number | null;
  ferry_rows_per_s: number | null;
  files: number;
  bytes: number;
  ferry_mb_per_s: number | null;
  ceiling_mb_per_s: number | null;
  ceiling_writers: number | null;
  ratio_ceiling: number | null;
  peak_rss_mb: number | null;
  cpu_seconds: number | null;
}

export interface BackupBenchResult {
  backups: BackupSizeResult[];
  restore: {
    rows: number;
    ferry_items_per_s: number | null;
    ceiling_items_per_s: number | null;
    ceiling_writers: number | null;
    ratio_ceiling: number | null;
    peak_rss_mb: number | null;
    seconds: number | null;
  } | null;
  notes: string[];
  ok: boolean;
  machine: Machine;
  ferry_commit: string | null;
}

export interface BackupBenchContext {
  root: string;
  servers: BenchServers;
  log: (line: string) => void;
  interrupted: Interrupted;
  onChild?: (child: ChildProcess | undefined) => void;
}

const s3Block = ['  type: s3', `  bucket: ${BUCKET}`, '  region: ${env:AWS_REGION:-us-east-1}', '  endpoint: "${env:S3_ENDPOINT}"', '  force_path_style: true', '  create: true'];

function backupPlan(o: BackupBenchOptions): string {
  return [
    '# Written by `npm run bench -- backup`; endpoints and credentials come from the environment.',
    'version: 1',
    'kind: backup',
    `name: ${PLAN}`,
    'source:',
    '  type: postgres',
    '  url: ${env:PGURL}',
    'target:',
    ...s3Block,
    'backup: { prefix: bench }',
    'streams:',
    `  - from: ${QUALIFIED_TABLE}`,
    'limits:',
    `  concurrency: ${o.concurrency}`,
    `  batch_size: ${o.batchSize}`,
    'verify: []',
    '',
  ].join('\n');
}

function restorePlan(o: BackupBenchOptions, table: string): string {
  return [
    '# Written by `npm run bench -- backup`; endpoints and credentials come from the environment.',
    'version: 1',
    'kind: restore',
    'name: bench-restore',
    'source:',
    ...s3Block.filter((l) => !l.includes('create')),
    `restore: { plan: ${PLAN}, prefix: bench }`,
    'target:',
    '  type: dynamodb',
    '  region: ${env:AWS_REGION:-us-east-1}',
    '  endpoint: ${env:DYNAMODB_ENDPOINT}',
    '  create: true',
    'streams:',
    `  - from: ${QUALIFIED_TABLE}`,
    `    to: ${table}`,
    'limits:',
    `  concurrency: ${o.concurrency}`,
    `  batch_size: ${o.batchSize}`,
    'verify: []',
    '',
  ].join('\n');
}

async function listKeys(s3: S3Client, prefix: string): Promise<{ key: string; size: number }[]> {
  const out: { key: string; size: number }[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix, ContinuationToken: token }));
    for (const o of page.Contents ?? []) out.push({ key: o.Key!, size: o.Size ?? 0 });
    token = page.NextContinuationToken;
  } while (token);
  return out;
}

async function clear(s3: S3Client, prefix: string): Promise<void> {
  const keys = await listKeys(s3, prefix);
  for (let i = 0; i < keys.length; i += 1000) {
    await s3.send(new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: keys.slice(i, i + 1000).map((k) => ({ Key: k.key })) } }));
  }
}

async function getBody(s3: S3Client, key: string): Promise<Buffer> {
  const r = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return Buffer.from(await r.Body!.transformToByteArray());
}

/** PUT every body with `writers` concurrent loops: the object store's ceiling for this set of files. */
async function putCeiling(s3: S3Client, bodies: readonly Buffer[], writers: number, interrupted: Interrupted): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async () => {
      for (;;) {
        if (interrupted()) throw new Error('interrupted');
        const i = next++;
        if (i >= bodies.length) return;
        await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `ceiling/${writers}/${i}`, Body: bodies[i] }));
      }
    }),
  );
  return (performance.now() - t0) / 1000;
}

const mb = (bytes: number): number => bytes / 2 ** 20;

export async function runBackupBench(opts: BackupBenchOptions, ctx: BackupBenchContext): Promise<BackupBenchResult> {
  const { servers, log } = ctx;
  const pgUrl = servers.pgUrl;
  if (!pgUrl) throw new Error('the backup bench needs PostgreSQL (PGURL)');
  const s3 = benchS3(servers.env);
  const notes = [...servers.notes];
  let ok = true;
  const child = async (plan: string): Promise<FerryChildResult> => {
    const r = await runFerryChild({ plan, root: ctx.root, env: servers.env, onSpawn: (c) => ctx.onChild?.(c) });
    ctx.onChild?.(undefined);
    if (ctx.interrupted()) throw new Error('interrupted');
    if (r.exitCode !== 0) throw new Error(`ferry exited ${r.exitCode ?? r.signal}: ${r.stderrTail.join(' | ')}`);
    return r;
  };
  try {
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET })).catch(() => {});
    const backups: BackupSizeResult[] = [];
    let restore: BackupBenchResult['restore'] = null;
    for (const [i, rows] of opts.rows.entries()) {
      await ensureDataset(pgUrl, rows, log);
      await clear(s3, '');
      log(`ferry backup of ${rows.toLocaleString('en-US')} rows to S3`);
      const r = await child(backupPlan(opts));
      const files = (await listKeys(s3, `bench/${PLAN}/`)).filter((k) => /\/data\/.+\.ndjson\.gz$/.test(k.key));
      const manifest = (await listKeys(s3, `bench/${PLAN}/`)).find((k) => k.key.endsWith('/manifest.json'));
      const m = manifest ? (JSON.parse((await getBody(s3, manifest.key)).toString('utf8')) as { streams: { count: number }[] }) : undefined;
      const count = m?.streams.reduce((a, s) => a + s.count, 0);
      if (count !== rows) {
        ok = false;
        notes.push(`the ${rows}-row backup's manifest counts ${count ?? 'nothing'}`);
      }
      const bytes = files.reduce((a, f) => a + f.size, 0);
      const seconds = r.jobSeconds ?? r.wallSeconds;
      // The object store's ceiling for exactly these files.
      log(`PUT ceiling: ${files.length} files, ${mb(bytes).toFixed(1)} MiB`);
      const bodies: Buffer[] = [];
      for (const f of files) bodies.push(await getBody(s3, f.key));
      let best: { seconds: number; writers: number } | undefined;
      for (const w of opts.ceiling) {
        const s = await putCeiling(s3, bodies, w, ctx.interrupted);
        if (!best || s < best.seconds) best = { seconds: s, writers: w };
      }
      const ferryMbps = mb(bytes) / seconds;
      const ceilMbps = best ? mb(bytes) / best.seconds : undefined;
      backups.push({
        rows,
        ferry_seconds: round(seconds, 2),
        ferry_rows_per_s: round(rows / seconds),
        files: files.length,
        bytes,
        ferry_mb_per_s: round(ferryMbps, 2),
        ceiling_mb_per_s: ceilMbps === undefined ? null : round(ceilMbps, 2),
        ceiling_writers: best?.writers ?? null,
        ratio_ceiling: ceilMbps === undefined ? null : round(ferryMbps / ceilMbps, 3),
        peak_rss_mb: r.peakRssBytes === undefined ? null : round(mb(r.peakRssBytes), 1),
        cpu_seconds: r.cpuSeconds === undefined ? null : round(r.cpuSeconds, 1),
      });

      if (i === 0 && !opts.skipRestore) {
        const client = benchClient(servers.dynamodbEndpoint, servers.env);
        try {
          const table = `${TABLE_PREFIX}restore`;
          await dropTable(client, table);
          log(`ferry restore of ${rows.toLocaleString('en-US')} rows into DynamoDB`);
          const rr = await child(restorePlan(opts, table));
          const held = await countItems(client, table);
          if (held !== rows) {
            ok = false;
            notes.push(`the restored table holds ${held} items, not ${rows}`);
          }
          await dropTable(client, table);
          const pool = await loadItemPool(pgUrl, Math.min(5_000, rows));
          let bestItems: { seconds: number; writers: number } | undefined;
          for (const w of opts.ceiling) {
            const t = `${TABLE_PREFIX}restore_ceiling_${w}`;
            await dropTable(client, t);
            await createTable(client, t);
            log(`DynamoDB ceiling, ${w} writers`);
            const s = await rawCeiling(client, t, pool, rows, w, ctx.interrupted);
            await dropTable(client, t);
            if (!bestItems || s.seconds < bestItems.seconds) bestItems = { seconds: s.seconds, writers: w };
          }
          const rs = rr.jobSeconds ?? rr.wallSeconds;
          restore = {
            rows,
            ferry_items_per_s: round(rows / rs),
            ceiling_items_per_s: bestItems ? round(rows / bestItems.seconds) : null,
            ceiling_writers: bestItems?.writers ?? null,
            ratio_ceiling: bestItems ? round(bestItems.seconds / rs, 3) : null,
            peak_rss_mb: rr.peakRssBytes === undefined ? null : round(mb(rr.peakRssBytes), 1),
            seconds: round(rs, 2),
          };
        } finally {
          client.destroy();
        }
      }
    }
    await clear(s3, '');
    return { backups, restore, notes, ok, machine: machine(), ferry_commit: ferryCommit(ctx.root) };
  } finally {
    s3.destroy();
  }
}

export function formatBackupBench(r: BackupBenchResult): string {
  const lines = ['backup: PostgreSQL → S3 (typed NDJSON, gzip), against PUTs of the same files', ''];
  lines.push(
    ...formatTable([
      ['rows', 'seconds', 'rows/s', 'files', 'MiB', 'ferry MiB/s', 'ceiling MiB/s', 'ratio', 'peak RSS MiB', 'CPU s'],
      ...r.backups.map((b) => [
        n(b.rows),
        String(b.ferry_seconds ?? '-'),
        n(b.ferry_rows_per_s),
        n(b.files),
        mb(b.bytes).toFixed(1),
        String(b.ferry_mb_per_s ?? '-'),
        `${b.ceiling_mb_per_s ?? '-'} (${b.ceiling_writers ?? '-'} writers)`,
        ratioText(b.ratio_ceiling),
        String(b.peak_rss_mb ?? '-'),
        String(b.cpu_seconds ?? '-'),
      ]),
    ]),
  );
  if (r.restore) {
    const x = r.restore;
    lines.push('', 'restore: S3 set → DynamoDB, against the same server\'s BatchWriteItem ceiling', '');
    lines.push(
      ...formatTable([
        ['rows', 'seconds', 'ferry items/s', 'ceiling items/s', 'ratio', 'peak RSS MiB'],
        [n(x.rows), String(x.seconds ?? '-'), n(x.ferry_items_per_s), `${n(x.ceiling_items_per_s)} (${x.ceiling_writers ?? '-'} writers)`, ratioText(x.ratio_ceiling), String(x.peak_rss_mb ?? '-')],
      ]),
    );
  }
  for (const note of r.notes) lines.push(`note: ${note}`);
  lines.push('', `${r.machine.cpus} CPUs, Node ${r.machine.node}, ferry ${r.ferry_commit ?? '?'}`);
  return lines.join('\n');
}
