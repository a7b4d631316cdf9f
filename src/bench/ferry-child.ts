/**
 * The ferry run of a bench: a plan file (its YAML written by the bench) in a temporary directory and `node bin/ferry.js run PLAN --state DB --json`
 * as a child process, exactly what an operator runs, checkpoints (SQLite) included. The child's peak resident
 * memory is sampled from /proc every 100 ms; its JSON events give the job's own duration and item count.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ProcessSampler } from './proc.js';

/** What every bench plan shares around its own source and target blocks: header, one stream, limits, verifiers. */
export interface BenchPlanParts {
  /** The bench's name, e.g. `pg-dynamodb`. */
  bench: string;
  /** The plan's name after `bench-<bench>-`. */
  name: string;
  /** The `source:` and `target:` blocks' own lines (indented two spaces). */
  source: string[];
  target: string[];
  from: string;
  to: string;
  /** More keys of the stream (indented four spaces). */
  stream?: string[];
  concurrency: number;
  batchSize: number;
  verify: string;
}

export function benchPlan(p: BenchPlanParts): string {
  return [
    `# Written by \`npm run bench -- ${p.bench}\`; endpoints and credentials come from the environment.`,
    'version: 1',
    'kind: migration',
    `name: bench-${p.bench}-${p.name}`,
    'source:',
    ...p.source,
    'target:',
    ...p.target,
    'streams:',
    `  - from: ${p.from}`,
    `    to: ${p.to}`,
    ...(p.stream ?? []),
    'limits:',
    `  concurrency: ${p.concurrency}`,
    `  batch_size: ${p.batchSize}`,
    `verify: ${p.verify}`,
    '',
  ].join('\n');
}

export interface FerryPlanInput {
  /** `schema.table` in PostgreSQL. */
  from: string;
  /** The DynamoDB table. */
  to: string;
  concurrency: number;
  batchSize: number;
}

/** The plan: postgres → dynamodb, table created, no verification (it is not part of the number). */
export function benchPlanYaml(p: FerryPlanInput): string {
  return benchPlan({
    bench: 'pg-dynamodb',
    name: p.to,
    source: ['  type: postgres', '  url: ${env:PGURL}'],
    target: ['  type: dynamodb', '  region: ${env:AWS_REGION:-us-east-1}', '  endpoint: ${env:DYNAMODB_ENDPOINT}', '  create: true'],
    from: p.from,
    to: p.to,
    concurrency: p.concurrency,
    batchSize: p.batchSize,
    verify: '[]',
  });
}

export interface DynamoDbFirestorePlanInput {
  /** The DynamoDB source table. */
  table: string;
  /** The Firestore collection. */
  collection: string;
  /** The emulator project (the bench's own). */
  project: string;
  concurrency: number;
  batchSize: number;
}

/**
 * The plan: dynamodb → firestore, document ids from the table's key (the default), `set` writes, no verification
 * (the bench counts the collection itself). The emulator host comes from FIRESTORE_EMULATOR_HOST.
 */
export function dynamodbFirestorePlanYaml(p: DynamoDbFirestorePlanInput): string {
  return benchPlan({
    bench: 'dynamodb-firestore',
    name: p.collection,
    source: ['  type: dynamodb', '  region: ${env:AWS_REGION:-us-east-1}', '  endpoint: ${env:DYNAMODB_ENDPOINT}'],
    target: ['  type: firestore', `  project: ${p.project}`],
    from: p.table,
    to: p.collection,
    concurrency: p.concurrency,
    batchSize: p.batchSize,
    verify: '[]',
  });
}

export interface ObjectsPlanInput {
  /** The S3 source bucket and the prefix of the set (`small/`). */
  sourceBucket: string;
  prefix: string;
  /** The GCS target bucket (created by ferry: `create: true`). */
  targetBucket: string;
  transfers: number;
  /** GCS `part_size_mb`. */
  partSizeMb: number;
  /** `large_transfers`, when not ferry's default. */
  largeTransfers?: number;
  concurrency: number;
  batchSize: number;
}

/**
 * The plan: s3 → gcs, one prefix to the same prefix, the target bucket created, verification on (`count` and
 * `checksum`: both sides listed again after the copy, names, sizes and MD5s compared). Endpoints and credentials
 * come from the environment (S3_ENDPOINT, GCS_ENDPOINT, the AWS default chain).
 */
export function objectsPlanYaml(p: ObjectsPlanInput): string {
  return benchPlan({
    bench: 'objects',
    name: p.targetBucket,
    source: ['  type: s3', `  bucket: ${p.sourceBucket}`, '  region: ${env:AWS_REGION:-us-east-1}', '  endpoint: "${env:S3_ENDPOINT}"'],
    target: [
      '  type: gcs',
      `  bucket: ${p.targetBucket}`,
      '  endpoint: "${env:GCS_ENDPOINT}"',
      '  create: true',
      `  transfers: ${p.transfers}`,
      ...(p.largeTransfers === undefined ? [] : [`  large_transfers: ${p.largeTransfers}`]),
      `  part_size_mb: ${p.partSizeMb}`,
    ],
    from: p.prefix,
    to: p.prefix,
    concurrency: p.concurrency,
    batchSize: p.batchSize,
    verify: '[count, checksum]',
  });
}

export interface FerryChildResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** From spawn to exit: process start, connections, table creation, the job, shutdown. */
  wallSeconds: number;
  /** The job's own duration (`job.done` summary: lease, planning, prepare, every segment). */
  jobSeconds: number | undefined;
  /** Items the job says it wrote. */
  items: number | undefined;
  /** Bytes the job says it wrote (this run). */
  bytes: number | undefined;
  /**
   * When the plan verifies: from the end of the job (`job.done`) to the verification's report (`verify.done`),
   * which lists both sides again; and its outcome (`match`, `differ`, `inconclusive`).
   */
  verifySeconds: number | undefined;
  verifyOutcome: string | undefined;
  status: string | undefined;
  /** Checkpoints committed (one `batch` event each). */
  checkpoints: number;
  retries: number;
  throttles: number;
  peakRssBytes: number | undefined;
  cpuSeconds: number | undefined;
  rssSamples: number;
  /** The last lines of stderr, for a failure message. */
  stderrTail: string[];
  command: string;
}

export interface FerryChildOptions {
  /** The plan's YAML (`benchPlanYaml`, `dynamodbFirestorePlanYaml`). */
  plan: string;
  /** Repository root (bin/ferry.js lives there). */
  root: string;
  env: NodeJS.ProcessEnv;
  cpuProfDir?: string;
  /** Called with the child once spawned (to forward signals). */
  onSpawn?: (child: ChildProcess) => void;
}

/** ferry's own lines (its errors and `fix:` hints) when there are any, else the raw tail. */
function stderrTail(lines: readonly string[]): string[] {
  const own = lines.filter((l) => /^(ferry[:\s]|\s+(fix|then):|Error|warning)/.test(l));
  return (own.length > 0 ? own : lines).slice(-8);
}

export async function runFerryChild(o: FerryChildOptions): Promise<FerryChildResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-bench-'));
  try {
    const planPath = path.join(dir, 'plan.yaml');
    const statePath = path.join(dir, 'state', 'ferry.db');
    fs.writeFileSync(planPath, o.plan);
    const nodeArgs = o.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', path.resolve(o.cpuProfDir)] : [];
    const args = [...nodeArgs, path.join(o.root, 'bin', 'ferry.js'), 'run', planPath, '--state', statePath, '--json'];
    const command = `node ${args.map((a) => (a.startsWith(dir) ? `$TMP${a.slice(dir.length)}` : a.startsWith(o.root) ? path.relative(o.root, a) : a)).join(' ')}`;

    const started = performance.now();
    const child = spawn(process.execPath, args, { cwd: dir, env: o.env, stdio: ['ignore', 'pipe', 'pipe'] });
    o.onSpawn?.(child);
    const sampler = child.pid ? new ProcessSampler(child.pid, 100) : undefined;

    type Summary = { durationMs?: number; items?: number; status?: string; run?: { bytes?: number } };
    let summary: Summary | undefined;
    let jobDoneAt: number | undefined;
    let verifyDoneAt: number | undefined;
    let verifyOutcome: string | undefined;
    let checkpoints = 0;
    let retries = 0;
    let throttles = 0;
    let buffered = '';
    const onLine = (line: string): void => {
      if (!line.startsWith('{')) return;
      let e: { type?: string; at?: number; summary?: Summary; report?: { outcome?: string } };
      try {
        e = JSON.parse(line) as typeof e;
      } catch {
        return;
      }
      if (e.type === 'batch') checkpoints += 1;
      else if (e.type === 'retry') retries += 1;
      else if (e.type === 'throttle') throttles += 1;
      else if (e.type === 'job.done') {
        summary = e.summary;
        jobDoneAt = e.at;
      } else if (e.type === 'verify.done') {
        verifyDoneAt = e.at;
        verifyOutcome = e.report?.outcome;
      }
    };
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        onLine(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
      }
    });
    const stderr: string[] = [];
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      stderr.push(...chunk.split('\n').filter((l) => l.trim() !== ''));
      if (stderr.length > 200) stderr.splice(0, stderr.length - 200);
    });

    const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (c, s) => resolve({ code: c, signal: s }));
    });
    const wallSeconds = (performance.now() - started) / 1000;
    const mem = sampler?.stop();
    await new Promise<void>((resolve) => (child.stdout!.readableEnded ? resolve() : child.stdout!.once('end', () => resolve())));
    if (buffered) onLine(buffered);

    return {
      exitCode: code,
      signal,
      wallSeconds,
      jobSeconds: summary?.durationMs === undefined ? undefined : summary.durationMs / 1000,
      items: summary?.items,
      bytes: summary?.run?.bytes,
      verifySeconds: jobDoneAt !== undefined && verifyDoneAt !== undefined ? (verifyDoneAt - jobDoneAt) / 1000 : undefined,
      verifyOutcome,
      status: summary?.status,
      checkpoints,
      retries,
      throttles,
      peakRssBytes: mem?.peakRssBytes,
      cpuSeconds: mem?.cpuSeconds,
      rssSamples: mem?.samples ?? 0,
      stderrTail: stderrTail(stderr),
      command,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
