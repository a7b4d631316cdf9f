/**
 * `npm run bench -- BENCH [options]` (bin/bench.js → here). Benchmarks are not tests: nothing here runs under
 * `npm test`, and no number is compared with a threshold to pass or fail. A bench fails (exit 1) only when a run
 * does not complete or a target table (or collection) does not hold exactly the items written.
 *
 * Exit codes: 0 done, 1 a run failed or lost items, 2 invalid usage, 130 interrupted.
 */
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BenchUsageError, parseBenchArgs, USAGE } from './args.js';
import { formatBackupBench, runBackupBench } from './backup.js';
import { emulatorHeapMb, formatDynamoDbFirestore, runDynamoDbFirestore } from './dynamodb-firestore.js';
import { formatObjects, runObjects } from './objects.js';
import { formatPgDynamoDb, runPgDynamoDb } from './pg-dynamodb.js';
import { benchServers, type BenchServers } from './servers.js';
import { formatVerifyBench, runVerifyBench } from './verify.js';
import { formatWorkers, runWorkers } from './workers.js';

export interface BenchIo {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
}

const processIo: BenchIo = {
  out: (t) => process.stdout.write(`${t}\n`),
  err: (t) => process.stderr.write(`${t}\n`),
  env: process.env,
};

/** The repository root: dist/bench/main.js → ../.. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export async function benchMain(argv: readonly string[], io: BenchIo = processIo): Promise<number> {
  let parsed;
  try {
    parsed = parseBenchArgs(argv);
  } catch (e) {
    if (!(e instanceof BenchUsageError)) throw e;
    io.err(`bench: ${e.message}`);
    io.err('  fix: see `npm run bench -- --help`');
    return 2;
  }
  if (parsed.help) {
    io.out(USAGE);
    return 0;
  }
  const t0 = Date.now();
  const log = (line: string): void => io.err(`[bench ${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${line}`);

  let interrupted = false;
  let child: ChildProcess | undefined;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (interrupted) return;
    interrupted = true;
    log(`${sig}: stopping after the current call, then cleaning up`);
    // A terminal's Ctrl-C reaches the ferry child by itself (same process group); a SIGTERM to the bench does not.
    if (sig === 'SIGTERM' && child && child.exitCode === null) child.kill('SIGTERM');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let servers: BenchServers | undefined;
  try {
    const run = { root: REPO_ROOT, log, interrupted: () => interrupted, onChild: (c: ChildProcess | undefined) => (child = c) };
    let text: string;
    let ok: boolean;
    if (parsed.bench === 'pg-dynamodb') {
      servers = await benchServers(REPO_ROOT, io.env, log, ['postgres', 'dynamodb']);
      log(`PostgreSQL ${redactUrl(servers.pgUrl ?? '')}, DynamoDB ${servers.dynamodbServer}`);
      const result = await runPgDynamoDb(parsed.options, { ...run, servers });
      text = parsed.options.json ? JSON.stringify(result) : formatPgDynamoDb(result);
      ok = result.ok;
    } else if (parsed.bench === 'verify') {
      servers = await benchServers(REPO_ROOT, io.env, log, ['postgres', 'dynamodb']);
      log(`PostgreSQL ${redactUrl(servers.pgUrl ?? '')}, DynamoDB ${servers.dynamodbServer}`);
      const result = await runVerifyBench(parsed.options, { ...run, servers });
      text = parsed.options.json ? JSON.stringify(result) : formatVerifyBench(result);
      ok = result.ok;
    } else if (parsed.bench === 'workers') {
      servers = await benchServers(REPO_ROOT, io.env, log, ['postgres', 'dynamodb']);
      log(`PostgreSQL ${redactUrl(servers.pgUrl ?? '')}, DynamoDB ${servers.dynamodbServer}`);
      const result = await runWorkers(parsed.options, { ...run, servers });
      text = parsed.options.json ? JSON.stringify(result) : formatWorkers(result);
      ok = result.ok;
    } else if (parsed.bench === 'backup') {
      servers = await benchServers(REPO_ROOT, io.env, log, ['postgres', 'dynamodb', 's3']);
      log(`PostgreSQL ${redactUrl(servers.pgUrl ?? '')}, S3 ${servers.objectServers.s3?.what ?? '-'}, DynamoDB ${servers.dynamodbServer}`);
      const result = await runBackupBench(parsed.options, { ...run, servers });
      text = parsed.options.json ? JSON.stringify(result) : formatBackupBench(result);
      ok = result.ok;
    } else if (parsed.bench === 'objects') {
      servers = await benchServers(REPO_ROOT, io.env, log, ['s3', 'gcs']);
      log(`S3 ${servers.objectServers.s3?.what ?? '-'}, GCS ${servers.objectServers.gcs?.what ?? '-'}`);
      const result = await runObjects(parsed.options, { ...run, servers });
      text = parsed.options.json ? JSON.stringify(result) : formatObjects(result);
      ok = result.ok;
    } else {
      servers = await benchServers(REPO_ROOT, io.env, log, ['dynamodb', 'firestore'], { firestoreHeapMb: emulatorHeapMb(parsed.options) });
      log(`DynamoDB ${servers.dynamodbServer}, Firestore ${servers.firestoreServer}`);
      const result = await runDynamoDbFirestore(parsed.options, { ...run, servers });
      text = parsed.options.json ? JSON.stringify(result) : formatDynamoDbFirestore(result);
      ok = result.ok;
    }
    if (interrupted) return 130;
    io.out(text);
    return ok ? 0 : 1;
  } catch (e) {
    if (interrupted) {
      log('interrupted');
      return 130;
    }
    io.err(`bench: ${e instanceof Error ? e.message : String(e)}`);
    if (e instanceof Error && e.stack && io.env['BENCH_DEBUG']) io.err(e.stack);
    return 1;
  } finally {
    await servers?.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** A URL without its password, for the log. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}
