/**
 * `npm run bench -- verify`: what a checksum costs after a PostgreSQL → DynamoDB copy with three differences (one
 * item deleted, one changed, one added in DynamoDB), ferry's default against `ferry verify --read-all` (ferry reads
 * and hashes every record of both sides itself), measured side by side on the same servers and data.
 *
 * The default lets PostgreSQL digest its rows itself in pass 1 and, in pass 2, select the differing buckets' rows,
 * while DynamoDB is asked for those keys; `--read-all` reads both sides in full, twice. Both must name exactly the
 * three keys, or the bench fails. Reported: wall seconds of `ferry verify` (median), the checksum's own seconds,
 * and the records each side sent to ferry in each pass.
 *
 * The table is the pg-dynamodb bench's, copied without its timestamptz, jsonb and integer[] columns (which
 * PostgreSQL cannot write in ferry's canonical form): the copy keeps id, customer, email, amount, active, ref, note.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DeleteItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { VerifyBenchOptions } from './args.js';
import { ensureDataset, QUALIFIED_TABLE } from './dataset.js';
import { benchClient, countItems, dropTable, TABLE_PREFIX } from './dynamo.js';
import { benchPlan } from './ferry-child.js';
import { formatTable, machine, median, n, round, type Machine } from './runs.js';
import type { BenchServers } from './servers.js';

export interface VerifyBenchRun {
  mode: 'ferry' | 'read-all';
  wallSeconds: number;
  /** The checksum verifier's own duration (its result's durationMs). */
  checksumSeconds: number;
  /** Source rows ferry read in pass 1 (0 when PostgreSQL digested them). */
  pass1SourceRecords: number;
  pass2SourceRecords: number;
  pass2TargetRecords: number;
  pass2SourceMethod: string;
  pass2TargetMethod: string;
  named: { missing: string[]; extra: string[]; changed: string[] };
}

/** The JSON of `--json`. */
export interface VerifyBenchResult {
  rows: number;
  differences: number;
  ferry_seconds: number | null;
  read_all_seconds: number | null;
  /** read-all seconds / ferry seconds: how many times faster the default is. */
  speedup: number | null;
  ferry_checksum_seconds: number | null;
  read_all_checksum_seconds: number | null;
  dynamodb_server: string;
  notes: string[];
  ok: boolean;
  runs: VerifyBenchRun[];
  machine: Machine;
}

interface Ctx {
  root: string;
  servers: BenchServers;
  log: (line: string) => void;
  interrupted: () => boolean;
}

const COLUMNS = ['id', 'customer', 'email', 'amount', 'active', 'ref', 'note'];

export function verifyBenchPlanYaml(table: string, o: Pick<VerifyBenchOptions, 'concurrency' | 'batchSize'>): string {
  return benchPlan({
    bench: 'verify',
    name: table,
    source: ['  type: postgres', '  url: ${env:PGURL}'],
    target: ['  type: dynamodb', '  region: ${env:AWS_REGION:-us-east-1}', '  endpoint: ${env:DYNAMODB_ENDPOINT}', '  create: true'],
    from: QUALIFIED_TABLE,
    to: table,
    stream: [`    map: { include: [${COLUMNS.join(', ')}] }`],
    concurrency: o.concurrency,
    batchSize: o.batchSize,
    verify: '[]',
  });
}

interface CliRun {
  code: number | null;
  seconds: number;
  events: { type?: string; report?: unknown }[];
  stderr: string;
}

function ferryCli(root: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [path.join(root, 'bin', 'ferry.js'), ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err = (err + c).slice(-4000)));
    child.on('error', reject);
    child.on('close', (code) => {
      const events = out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => {
          try {
            return JSON.parse(l) as { type?: string };
          } catch {
            return {};
          }
        });
      resolve({ code, seconds: (performance.now() - started) / 1000, events, stderr: err });
    });
  });
}

interface ChecksumResult {
  verifier: string;
  durationMs: number;
  notes: string[];
  source: { count: number };
  missing: { keys: string[] };
  extra: { keys: string[] };
  changed: { keys: string[] };
  located?: { source: { method: string; records: number }; target: { method: string; records: number } };
}

export async function runVerifyBench(o: VerifyBenchOptions, ctx: Ctx): Promise<VerifyBenchResult> {
  const { servers, log } = ctx;
  const notes: string[] = [];
  const dataset = await ensureDataset(servers.pgUrl!, o.rows, log);
  const table = `${TABLE_PREFIX}verify_${o.rows}`;
  const client = benchClient(servers.dynamodbEndpoint, servers.env);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-bench-verify-'));
  const env = { ...servers.env, PGURL: servers.pgUrl! };
  const runs: VerifyBenchRun[] = [];
  let ok = true;
  try {
    await dropTable(client, table);
    const plan = path.join(dir, 'plan.yaml');
    fs.writeFileSync(plan, verifyBenchPlanYaml(table, o));
    log(`copying ${n(dataset.rows)} rows to ${table} (${COLUMNS.length} columns)`);
    const copy = await ferryCli(ctx.root, ['run', plan, '--state', 'ferry.db', '--json'], dir, env);
    if (copy.code !== 0) throw new Error(`ferry run failed (exit ${copy.code}): ${copy.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    const held = await countItems(client, table);
    if (held !== o.rows) throw new Error(`the copy holds ${held} items, not ${o.rows}`);

    // Three differences: one item gone, one changed, one that the source never had.
    const changedId = Math.max(2, Math.floor(o.rows / 2));
    await client.send(new DeleteItemCommand({ TableName: table, Key: { id: { N: '1' } } }));
    await client.send(
      new UpdateItemCommand({
        TableName: table,
        Key: { id: { N: String(changedId) } },
        UpdateExpression: 'SET #e = :v',
        ExpressionAttributeNames: { '#e': 'email' },
        ExpressionAttributeValues: { ':v': { S: 'changed@example.com' } },
      }),
    );
    await client.send(new PutItemCommand({ TableName: table, Item: { id: { N: String(o.rows + 1) }, customer: { S: 'nobody' } } }));
    const expected = { missing: ['id=1'], extra: [`id=${o.rows + 1}`], changed: [`id=${changedId}`] };

    for (let round = 1; round <= o.repeat && !ctx.interrupted(); round++) {
      for (const mode of ['ferry', 'read-all'] as const) {
        if (ctx.interrupted()) break;
        log(`round ${round}/${o.repeat}: ferry verify --checksum${mode === 'read-all' ? ' --read-all' : ''}`);
        const r = await ferryCli(ctx.root, ['verify', plan, '--checksum', '--json', '--state', 'ferry.db', ...(mode === 'read-all' ? ['--read-all'] : [])], dir, env);
        const done = r.events.find((e) => e.type === 'verify.done') as { report?: { results?: ChecksumResult[] } } | undefined;
        const c = done?.report?.results?.find((x) => x.verifier === 'checksum');
        if (!c) throw new Error(`ferry verify gave no checksum result (exit ${r.code}): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
        const storeDigested = c.notes.some((x) => x.startsWith('the source store digested'));
        const run: VerifyBenchRun = {
          mode,
          wallSeconds: round3(r.seconds),
          checksumSeconds: round3(c.durationMs / 1000),
          pass1SourceRecords: storeDigested ? 0 : c.source.count,
          pass2SourceRecords: c.located?.source.records ?? 0,
          pass2TargetRecords: c.located?.target.records ?? 0,
          pass2SourceMethod: c.located?.source.method ?? '-',
          pass2TargetMethod: c.located?.target.method ?? '-',
          named: { missing: c.missing.keys, extra: c.extra.keys, changed: c.changed.keys },
        };
        runs.push(run);
        if (JSON.stringify(run.named) !== JSON.stringify(expected)) {
          ok = false;
          notes.push(`${mode} named ${JSON.stringify(run.named)}, expected ${JSON.stringify(expected)}`);
        }
      }
    }
  } finally {
    await dropTable(client, table).catch(() => undefined);
    client.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const med = (mode: VerifyBenchRun['mode'], f: (r: VerifyBenchRun) => number): number | undefined => median(runs.filter((r) => r.mode === mode).map(f));
  const ferry = med('ferry', (r) => r.wallSeconds);
  const readAll = med('read-all', (r) => r.wallSeconds);
  return {
    rows: o.rows,
    differences: 3,
    ferry_seconds: ferry === undefined ? null : round(ferry, 2),
    read_all_seconds: readAll === undefined ? null : round(readAll, 2),
    speedup: ferry && readAll ? round(readAll / ferry, 2) : null,
    ferry_checksum_seconds: orNull(med('ferry', (r) => r.checksumSeconds)),
    read_all_checksum_seconds: orNull(med('read-all', (r) => r.checksumSeconds)),
    dynamodb_server: servers.dynamodbServer,
    notes,
    ok,
    runs,
    machine: machine(),
  };
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;
const orNull = (x: number | undefined): number | null => (x === undefined ? null : round(x, 2));

export function formatVerifyBench(r: VerifyBenchResult): string {
  const rows = [
    ['run', 'wall s', 'checksum s', 'pass 1: source rows read', 'pass 2: source (how)', 'pass 2: target (how)', 'named'],
    ...r.runs.map((x) => [
      x.mode === 'ferry' ? 'ferry verify' : 'ferry verify --read-all',
      x.wallSeconds.toFixed(2),
      x.checksumSeconds.toFixed(2),
      n(x.pass1SourceRecords),
      `${n(x.pass2SourceRecords)} (${x.pass2SourceMethod})`,
      `${n(x.pass2TargetRecords)} (${x.pass2TargetMethod})`,
      `${x.named.missing.length}/${x.named.extra.length}/${x.named.changed.length}`,
    ]),
  ];
  return [
    `verify: PostgreSQL → DynamoDB checksum of ${n(r.rows)} rows with ${r.differences} differences (DynamoDB: ${r.dynamodb_server})`,
    ...formatTable(rows),
    '',
    `median wall seconds: ferry ${r.ferry_seconds ?? '-'}, --read-all ${r.read_all_seconds ?? '-'} → ferry is ${r.speedup ?? '-'}× as fast`,
    `median checksum seconds: ferry ${r.ferry_checksum_seconds ?? '-'}, --read-all ${r.read_all_checksum_seconds ?? '-'}`,
    ...r.notes.map((x) => `note: ${x}`),
    r.ok ? 'both named exactly the 3 differing keys' : 'FAILED: a run did not name exactly the 3 differing keys',
  ].join('\n');
}
