/**
 * The servers a bench runs against: PGURL, DYNAMODB_ENDPOINT and FIRESTORE_EMULATOR_HOST from the environment, else
 * the project's test servers (`scripts/services start postgres dynamodb`, only those the bench needs), of which the
 * bench stops only those it started itself. Without FIRESTORE_EMULATOR_HOST, the bench starts a private Firestore
 * emulator instead of the services' one (emulator.ts says why), restarts it before each run, and stops it at the end.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { processMaxHeapMb, startEmulator, type PrivateEmulator } from './emulator.js';

export type ServiceName = 'postgres' | 'dynamodb' | 'firestore' | 's3' | 'gcs';

export interface ServiceStatus {
  name: string;
  what: string;
  up: boolean;
  port: number | null;
  pid: number | null;
}

export interface BenchServers {
  /** Set when the bench asked for postgres. */
  pgUrl: string | undefined;
  /** Changes when `restartDynamoDb` runs; empty when the bench did not ask for dynamodb. */
  dynamodbEndpoint: string;
  /** Environment for the bench's clients and the ferry child: the caller's, plus what the services printed. */
  env: NodeJS.ProcessEnv;
  /** What answers at the DynamoDB endpoint, e.g. `dynalite`, as far as the bench can tell. */
  dynamodbServer: string;
  /** Pid of the DynamoDB server process, when it is a local one the services script knows (for its CPU time). */
  dynamodbPid: number | undefined;
  /** host:port of the Firestore emulator, when the bench asked for firestore. */
  firestoreHost: string | undefined;
  /** What answers there, e.g. `Cloud Firestore emulator (127.0.0.1:8080)`. */
  firestoreServer: string;
  /** Pid of the Firestore emulator (a JVM), when the services script knows it or the bench started it. */
  firestorePid: number | undefined;
  /** Its maximum heap (-Xmx), MiB, when known. */
  firestoreHeapMb: number | undefined;
  /**
   * Only when the bench started its own Firestore emulator: stop it and start a fresh one (new port, new pid;
   * `env`, `firestoreHost`, `firestorePid` follow).
   */
  restartFirestore: (() => Promise<void>) | undefined;
  /**
   * The S3 and GCS servers (objects bench), when asked for: endpoint, what answers there and its pid when the
   * services script knows it (for its CPU time).
   */
  objectServers: Partial<Record<'s3' | 'gcs', { endpoint: string; what: string; pid: number | undefined }>>;
  /** The services this bench started (and will stop). */
  started: ServiceName[];
  notes: string[];
  /**
   * Only when this bench started the DynamoDB server: stop it and start a fresh one (new port, new pid; `env`,
   * `dynamodbEndpoint` and `dynamodbPid` follow). Undefined for a server the bench does not own.
   */
  restartDynamoDb: (() => Promise<void>) | undefined;
  stop(): Promise<void>;
}

/** Local placeholder credentials for an emulator endpoint; the same the services script exports. */
const PLACEHOLDER_AWS = { AWS_ACCESS_KEY_ID: 'ferrytest', AWS_SECRET_ACCESS_KEY: 'ferrytest', AWS_REGION: 'us-east-1' };

function run(file: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** `scripts/services status --json` rows; empty if the script cannot tell. */
export function parseStatus(stdout: string): ServiceStatus[] {
  try {
    const rows = JSON.parse(stdout) as unknown;
    if (!Array.isArray(rows)) return [];
    return rows.flatMap((r: unknown) => {
      if (!r || typeof r !== 'object') return [];
      const o = r as Record<string, unknown>;
      if (typeof o['name'] !== 'string') return [];
      return [
        {
          name: o['name'],
          what: typeof o['what'] === 'string' ? o['what'] : '',
          up: o['up'] === true,
          port: typeof o['port'] === 'number' ? o['port'] : null,
          pid: typeof o['pid'] === 'number' ? o['pid'] : null,
        },
      ];
    });
  } catch {
    return [];
  }
}

function portOf(url: string): number | undefined {
  try {
    const u = new URL(url.includes('://') ? url : `http://${url}`);
    if (u.port) return Number(u.port);
    return u.protocol === 'https:' ? 443 : 80;
  } catch {
    return undefined;
  }
}

function isLoopback(url: string): boolean {
  try {
    const h = new URL(url.includes('://') ? url : `http://${url}`).hostname;
    return h === 'localhost' || h === '::1' || h === '[::1]' || h.startsWith('127.');
  } catch {
    return false;
  }
}

/** The variable that names each server, and the other variables `scripts/services env` prints for it. */
const SERVICE_VARS: Record<ServiceName, { main: string; more: readonly string[] }> = {
  postgres: { main: 'PGURL', more: [] },
  dynamodb: { main: 'DYNAMODB_ENDPOINT', more: ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION'] },
  firestore: { main: 'FIRESTORE_EMULATOR_HOST', more: ['FIRESTORE_PROJECT_ID', 'GCLOUD_PROJECT', 'METADATA_SERVER_DETECTION'] },
  s3: { main: 'S3_ENDPOINT', more: ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION'] },
  gcs: { main: 'GCS_ENDPOINT', more: ['GCLOUD_PROJECT', 'METADATA_SERVER_DETECTION'] },
};

/**
 * Find or start the servers `wanted` (default: postgres and dynamodb). `log` gets progress lines (stderr). The
 * services script's own output goes to stderr as well, so that `--json` keeps stdout to the one result object.
 */
export async function benchServers(
  root: string,
  baseEnv: NodeJS.ProcessEnv,
  log: (line: string) => void,
  wanted: readonly ServiceName[] = ['postgres', 'dynamodb'],
  options: { firestoreHeapMb?: number } = {},
): Promise<BenchServers> {
  const script = path.join(root, 'scripts', 'services');
  const env: NodeJS.ProcessEnv = { ...baseEnv };
  const notes: string[] = [];
  // The Firestore emulator is never the services' one unless FIRESTORE_EMULATOR_HOST names it (see emulator.ts).
  const ownFirestore = wanted.includes('firestore') && !env['FIRESTORE_EMULATOR_HOST'];
  const need = wanted.filter((s) => !env[SERVICE_VARS[s].main] && s !== 'firestore');

  const status = async (): Promise<ServiceStatus[]> => parseStatus((await run(script, ['status', '--json'], env, 60_000)).stdout);
  const before = await status();
  const started: ServiceName[] = [];
  if (need.length > 0) {
    const upBefore = new Set(before.filter((s) => s.up).map((s) => s.name));
    log(`starting ${need.join(' and ')} with scripts/services (${need.map((s) => SERVICE_VARS[s].main).join(' / ')} not set)`);
    const res = await run(script, ['start', ...need], env, 15 * 60_000);
    if (res.stderr.trim()) log(res.stderr.trimEnd());
    started.push(...need.filter((n) => !upBefore.has(n)));
    if (res.code !== 0) {
      throw new Error(`scripts/services start ${need.join(' ')} failed (exit ${res.code}); see its log lines above`);
    }
    // `env` exits 1 when some other server is down; its JSON lists the ones that run.
    const vars = JSON.parse((await run(script, ['env', '--json'], env, 60_000)).stdout || '{}') as Record<string, string>;
    for (const s of need) {
      env[SERVICE_VARS[s].main] = vars[SERVICE_VARS[s].main];
      for (const k of SERVICE_VARS[s].more) if (vars[k] !== undefined) env[k] ??= vars[k];
      if (!env[SERVICE_VARS[s].main]) throw new Error(`scripts/services started ${s}, but \`scripts/services env\` does not name ${SERVICE_VARS[s].main}`);
    }
  }
  const pgUrl = wanted.includes('postgres') ? env['PGURL']! : undefined;
  const dynamodbEndpoint = wanted.includes('dynamodb') ? env['DYNAMODB_ENDPOINT']! : '';
  if (dynamodbEndpoint) {
    if (!env['AWS_ACCESS_KEY_ID'] && isLoopback(dynamodbEndpoint)) {
      Object.assign(env, { ...PLACEHOLDER_AWS, ...(env['AWS_REGION'] ? { AWS_REGION: env['AWS_REGION'] } : {}) });
      notes.push('no AWS credentials in the environment: placeholder credentials for the local DynamoDB endpoint');
    }
    env['AWS_REGION'] ??= 'us-east-1';
    if (!isLoopback(dynamodbEndpoint)) notes.push(`DynamoDB endpoint ${dynamodbEndpoint} is not on this machine: the numbers include the network`);
  }
  let emulator: PrivateEmulator | undefined;
  const logDir = path.join(os.tmpdir(), 'ferry-bench');
  const startOwn = async (): Promise<PrivateEmulator> => {
    const heapMb = options.firestoreHeapMb ?? 1024;
    log(`starting a private Firestore emulator (heap ${heapMb} MB)`);
    const e = await startEmulator({ heapMb, env, logDir });
    env['FIRESTORE_EMULATOR_HOST'] = e.host;
    return e;
  };
  const stopOwn = async (e: PrivateEmulator): Promise<void> => {
    await e.stop();
    fs.rmSync(e.log, { force: true });
  };
  if (ownFirestore) emulator = await startOwn();
  const firestoreHost = wanted.includes('firestore') ? env['FIRESTORE_EMULATOR_HOST']! : undefined;
  if (firestoreHost) {
    // The emulator needs no credentials; without this, Google's auth library may look for a GCE metadata server.
    env['METADATA_SERVER_DETECTION'] ??= 'none';
    if (!isLoopback(firestoreHost)) notes.push(`Firestore emulator ${firestoreHost} is not on this machine: the numbers include the network`);
  }

  const after = need.length > 0 ? await status() : before;
  const objectServers: BenchServers['objectServers'] = {};
  for (const name of ['s3', 'gcs'] as const) {
    if (!wanted.includes(name)) continue;
    const endpoint = env[SERVICE_VARS[name].main]!;
    const row = after.find((s) => s.name === name && s.up && s.port !== null && s.port === portOf(endpoint));
    objectServers[name] = { endpoint, what: row ? `${row.what} (${endpoint})` : `unknown server at ${endpoint}`, pid: row?.pid ?? undefined };
    if (!isLoopback(endpoint)) notes.push(`${SERVICE_VARS[name].main} ${endpoint} is not on this machine: the numbers include the network`);
  }
  if (objectServers.gcs) env['METADATA_SERVER_DETECTION'] ??= 'none';
  const ddb = dynamodbEndpoint ? after.find((s) => s.name === 'dynamodb' && s.up && s.port !== null && s.port === portOf(dynamodbEndpoint)) : undefined;
  const shared = firestoreHost && !emulator ? after.find((s) => s.name === 'firestore' && s.up && s.port !== null && s.port === portOf(firestoreHost)) : undefined;
  const firestorePid = emulator?.pid ?? shared?.pid ?? undefined;

  const servers: BenchServers = {
    pgUrl,
    dynamodbEndpoint,
    env,
    dynamodbServer: ddb ? `${ddb.what} (${dynamodbEndpoint})` : `unknown server at ${dynamodbEndpoint}`,
    dynamodbPid: ddb?.pid ?? undefined,
    firestoreHost,
    firestoreServer: emulator
      ? `Cloud Firestore emulator, the bench's own (${emulator.heapMb} MB heap, fresh for each run)`
      : shared
        ? `${shared.what} (${firestoreHost}, shared: scripts/services)`
        : `unknown server at ${firestoreHost ?? '-'}`,
    firestorePid,
    firestoreHeapMb: emulator?.heapMb ?? (firestorePid ? processMaxHeapMb(firestorePid) : undefined),
    restartFirestore: undefined,
    objectServers,
    started,
    notes,
    restartDynamoDb: undefined,
    async stop() {
      if (emulator) {
        log('stopping the private Firestore emulator');
        await stopOwn(emulator).catch((e: unknown) => log(`could not stop the Firestore emulator (pid ${emulator?.pid}): ${e instanceof Error ? e.message : String(e)}`));
        emulator = undefined;
      }
      if (started.length === 0) return;
      log(`stopping ${started.join(' and ')} (started by this bench)`);
      const res = await run(script, ['stop', ...started], env, 120_000);
      if (res.code !== 0) log(`scripts/services stop ${started.join(' ')} exited ${res.code}: ${res.stderr.trim()}`);
    },
  };
  if (emulator) {
    servers.restartFirestore = async () => {
      if (emulator) await stopOwn(emulator);
      emulator = undefined;
      emulator = await startOwn();
      servers.firestoreHost = emulator.host;
      servers.firestorePid = emulator.pid;
    };
  }
  if (started.includes('dynamodb')) {
    servers.restartDynamoDb = async () => {
      const stopped = await run(script, ['stop', 'dynamodb'], env, 120_000);
      if (stopped.code !== 0) throw new Error(`scripts/services stop dynamodb failed (exit ${stopped.code}): ${stopped.stderr.trim()}`);
      const res = await run(script, ['start', 'dynamodb'], env, 15 * 60_000);
      if (res.code !== 0) throw new Error(`scripts/services start dynamodb failed (exit ${res.code}): ${res.stderr.trim()}`);
      const vars = JSON.parse((await run(script, ['env', '--json'], env, 60_000)).stdout || '{}') as Record<string, string>;
      const endpoint = vars['DYNAMODB_ENDPOINT'];
      if (!endpoint) throw new Error('scripts/services started dynamodb, but `scripts/services env` does not name DYNAMODB_ENDPOINT');
      env['DYNAMODB_ENDPOINT'] = endpoint;
      servers.dynamodbEndpoint = endpoint;
      const now = (await status()).find((s) => s.name === 'dynamodb' && s.up && s.port === portOf(endpoint));
      servers.dynamodbPid = now?.pid ?? undefined;
      servers.dynamodbServer = now ? `${now.what} (fresh for each run)` : `unknown server at ${endpoint}`;
    };
  }
  return servers;
}
