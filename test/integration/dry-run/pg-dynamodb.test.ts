/**
 * `ferry plan dry-run` through the real binary, PostgreSQL (Chinook) → DynamoDB: the report's counts, samples before
 * and after mapping, price date and verdict; DynamoDB and the state DB untouched (no table, no item, no job; one
 * report row); a 500 KB row is a blocker with a fix (exit 1); an existing table keyed otherwise is a blocker and keeps
 * its item.
 */
import { CreateTableCommand, ListTablesCommand, PutItemCommand, ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DryRunReport } from '../../../src/dry-run/report.js';
import { CHINOOK_TABLES, loadChinook } from '../../support/chinook.js';
import { dynamoDb, serviceEnv, uniqueName } from '../../support/clients.js';
import { ferry, workDir, writePlan } from '../../support/cli.js';

let dir: string;
let url: string;
let prefix: string;
let ddb: DynamoDBClient;

function planLines(name: string, streams: string[]): string[] {
  return [
    'version: 1',
    'kind: migration',
    `name: ${name}`,
    'source: { type: postgres, url: "${env:DRY_CHINOOK_URL}" }',
    'target:',
    '  type: dynamodb',
    '  endpoint: ${env:DYNAMODB_ENDPOINT}',
    '  region: ${env:AWS_REGION}',
    `  table_prefix: ${prefix}`,
    '  create: true',
    'streams:',
    ...streams,
    'limits: { concurrency: 4, batch_size: 400, wcu: 1000 }',
  ];
}

/** Every table with our prefix, and its item count by a full scan. */
async function ourTables(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  let start: string | undefined;
  do {
    const page = await ddb.send(new ListTablesCommand({ ExclusiveStartTableName: start }));
    for (const t of page.TableNames ?? []) {
      if (!t.startsWith(prefix)) continue;
      const scan = await ddb.send(new ScanCommand({ TableName: t, Select: 'COUNT' }));
      out[t] = scan.Count ?? 0;
    }
    start = page.LastEvaluatedTableName;
  } while (start);
  return out;
}

function report(out: string): DryRunReport {
  return JSON.parse(out) as DryRunReport;
}

beforeAll(async () => {
  dir = workDir('ferry-dry-pg-');
  url = await loadChinook(serviceEnv('PGURL'), uniqueName('dry_chinook').replaceAll('-', '_'));
  process.env.DRY_CHINOOK_URL = url;
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    // In a schema of its own, so `public.*` stays Chinook's 11 tables.
    await c.query(`CREATE SCHEMA extra;
      CREATE TABLE extra.notes (id int PRIMARY KEY, body text NOT NULL);
      INSERT INTO extra.notes SELECT g, CASE WHEN g = 17 THEN repeat('x', 500000) ELSE 'note ' || g END FROM generate_series(1, 40) g;
      ANALYZE extra.notes;
      CREATE TABLE extra.events (id bigint PRIMARY KEY, kind int NOT NULL);
      INSERT INTO extra.events SELECT g, g % 7 FROM generate_series(1, 1200000) g;
      ANALYZE extra.events;`);
  } finally {
    await c.end();
  }
  prefix = `${uniqueName('dry')}_`;
  ddb = dynamoDb();
}, 120_000);

afterAll(() => ddb?.destroy());

describe('ferry plan dry-run: PostgreSQL → DynamoDB', () => {
  it('reports all 11 Chinook tables (exact counts, samples before/after, dated prices), exits 0, and writes nothing', async () => {
    const plan = writePlan(dir, 'chinook', planLines('dry-chinook', ['  - from: public.*']));
    const before = await ourTables();
    expect(before).toEqual({});

    // Piped: JSON by default.
    const r = ferry(['plan', 'dry-run', plan, '--state', 'ferry.db'], { cwd: dir });
    expect(r.err).not.toMatch(/unexpected error/);
    expect(r.code).toBe(0);
    const rep = report(r.out);
    expect(rep.verdict).toBe('ready');
    expect(rep.findings.filter((f) => f.severity === 'blocker')).toEqual([]);
    expect(rep.plan).toMatchObject({ name: 'dry-chinook', source: expect.stringMatching(/^postgres 127\.0\.0\.1:\d+\/dry_chinook/), target: `dynamodb ${process.env.AWS_REGION} tables ${prefix}*` });
    expect(rep.plan.source).not.toContain('postgres://');
    expect(rep.prices).toMatchObject({ date: '2026-11-01', currency: 'USD' });
    expect(rep.sampleSize).toBe(5);
    expect(Object.fromEntries(rep.streams.map((s) => [s.stream.replace('public.', ''), s.count.value]))).toEqual(CHINOOK_TABLES);
    for (const s of rep.streams) {
      expect(s.count.exact).toBe(true);
      expect(s.count.method).toMatch(/^count\(\*\)/);
      expect(s.bytes.value).toBeGreaterThan(0);
      expect(s.segments.length).toBeGreaterThanOrEqual(1);
      expect(s.samples).toHaveLength(Math.min(5, s.count.value));
      expect(s.targetState).toMatchObject({ exists: false, created: true, empty: true, capacity: { mode: 'on_demand' } });
      const wru = s.estimate.cost.find((c) => c.unit === 'WRU')!;
      expect(wru.unitPrice).toBe(0.625);
      expect(wru.quantity).toBeGreaterThanOrEqual(s.count.value);
      expect(s.estimate.limitedBy).toBeTruthy();
    }
    expect(rep.totals.items).toBe(Object.values(CHINOOK_TABLES).reduce((a, b) => a + b, 0));
    // Samples before and after the record pipeline: playlist_track keyed by partition + sort; invoice money exact.
    const invoice = rep.streams.find((s) => s.stream === 'public.invoice')!;
    expect(invoice.samples[0]).toMatchObject({
      key: 'invoice_id=1',
      before: expect.objectContaining({ invoice_id: 1, total: 1.98, invoice_date: '2021-01-01T00:00:00Z' }),
      after: expect.objectContaining({ invoice_id: 1, total: 1.98, invoice_date: '2021-01-01T00:00:00Z' }),
      problems: [],
    });
    const pt = rep.streams.find((s) => s.stream === 'public.playlist_track')!;
    expect(pt.targetState.notes[0]).toContain('keyed playlist_id (N) + track_id (N)');
    expect(pt.samples[0]).toMatchObject({ key: 'playlist_id=1, track_id=1', after: { playlist_id: 1, track_id: 1 } });
    expect(r.err).toContain('nothing was written');

    // Other formats: a Markdown file and a self-contained HTML file.
    const md = ferry(['plan', 'dry-run', plan, '--state', 'ferry.db', '--format', 'md', '--out', 'report.md', '--sample', '2'], { cwd: dir });
    expect(md.code).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'report.md'), 'utf8')).toContain('playlist_track');
    const html = ferry(['plan', 'dry-run', plan, '--state', 'ferry.db', '--format', 'html', '--out', 'report.html'], { cwd: dir });
    expect(html.code).toBe(0);
    const page = fs.readFileSync(path.join(dir, 'report.html'), 'utf8');
    expect(page.toLowerCase()).toContain('<html');
    expect(page).not.toMatch(/<script[^>]+src=|<link[^>]+href="http/);

    // DynamoDB untouched, no job recorded, one report row per dry run.
    expect(await ourTables()).toEqual({});
    const jobs = ferry(['jobs', '--json', '--state', 'ferry.db'], { cwd: dir });
    expect(jobs.code).toBe(0);
    expect(JSON.parse(jobs.out)).toEqual([]);
    const db = new Database(path.join(dir, 'ferry.db'), { readonly: true });
    try {
      expect(db.prepare('SELECT count(*) FROM jobs').pluck().get()).toBe(0);
      const rows = db.prepare('SELECT plan_name, verdict, report_json FROM dry_run_reports ORDER BY created_at').all() as { plan_name: string; verdict: string; report_json: string }[];
      expect(rows.map((x) => [x.plan_name, x.verdict])).toEqual([
        ['dry-chinook', 'ready'],
        ['dry-chinook', 'ready'],
        ['dry-chinook', 'ready'],
      ]);
      expect((JSON.parse(rows[0]!.report_json) as DryRunReport).streams).toHaveLength(11);
    } finally {
      db.close();
    }
  }, 120_000);

  it('a 500 KB row is a blocker with a fix, found even when it is not among the samples; exit 1', async () => {
    const plan = writePlan(dir, 'notes', planLines('dry-notes', ['  - from: extra.notes']));
    for (const sample of ['20', '3']) {
      const r = ferry(['plan', 'dry-run', plan, '--state', 'ferry.db', '--json', '--sample', sample], { cwd: dir });
      expect(r.code).toBe(1);
      const rep = report(r.out);
      expect(rep.verdict).toBe('blocked');
      const blocker = rep.findings.find((f) => f.severity === 'blocker')!;
      expect(blocker).toMatchObject({ stream: 'extra.notes', code: 'item-too-large', keys: ['id=17'] });
      expect(blocker.message).toMatch(/500,0\d\d bytes as dynamodb counts them, over its limit of 409,600/);
      expect(blocker.fix).toContain('map.exclude');
      const s = rep.streams[0]!;
      const big = s.samples.find((x) => x.key === 'id=17')!;
      expect(big.problems[0]).toContain('over its limit of 409,600');
      expect(big.targetBytes).toBeGreaterThan(409_600);
      if (sample === '3') expect(big.note).toContain("the stream's largest record");
      expect(r.err).toContain('blocked (1 blocker');
    }
    expect(await ourTables()).toEqual({});
  }, 60_000);

  it('a table of more than a million rows is estimated from the statistics, not counted, and says so', async () => {
    const plan = writePlan(dir, 'events', planLines('dry-events', ['  - from: extra.events']));
    const r = ferry(['plan', 'dry-run', plan, '--state', 'ferry.db', '--json'], { cwd: dir });
    expect(r.code).toBe(0);
    const rep = report(r.out);
    const s = rep.streams[0]!;
    expect(s.count.exact).toBe(false);
    expect(s.count.method).toMatch(/^pg_class\.reltuples; over 1,000,000 rows, not counted/);
    expect(s.count.value).toBeGreaterThan(1_100_000);
    expect(s.count.value).toBeLessThan(1_300_000);
    expect(s.bytes).toMatchObject({ exact: false, method: 'pg_table_size (heap and TOAST, without indexes)' });
    expect(s.segments).toHaveLength(4);
    expect(s.segments.every((x) => x.estimate !== undefined && x.describe.includes('id'))).toBe(true);
    expect(rep.findings.map((f) => `${f.severity}:${f.code}`)).toEqual(['warning:target-created', 'warning:count-estimated']);
    // 1.2M items at the plan's 1,000 WCU/s.
    expect(s.estimate.limitedBy).toBe('target units: plan limit wcu 1,000/s');
    expect(s.estimate.durationS).toBeCloseTo(s.count.value / 1000, 0);
  }, 60_000);

  it('an existing table keyed otherwise is a blocker; its item is left as it was', async () => {
    const table = `${prefix}genre_existing`;
    await ddb.send(
      new CreateTableCommand({
        TableName: table,
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    await ddb.send(new PutItemCommand({ TableName: table, Item: { pk: { S: 'keep-me' }, v: { N: '1' } } }));
    const before = await ourTables();
    expect(before).toEqual({ [table]: 1 });
    const plan = writePlan(dir, 'existing', planLines('dry-existing', ['  - from: public.genre', '    to: genre_existing']));
    const r = ferry(['plan', 'dry-run', plan, '--state', 'ferry.db', '--json'], { cwd: dir });
    expect(r.code).toBe(1);
    const rep = report(r.out);
    expect(rep.findings.map((f) => `${f.severity}:${f.code}`)).toEqual(['blocker:key-schema-mismatch', 'warning:target-not-empty']);
    expect(rep.streams[0]!.targetState).toMatchObject({ exists: true, empty: false, keySchema: 'pk (S) HASH', keyMatches: false });
    expect(rep.findings[0]!.message).toContain('genre_id (N)');
    expect(await ourTables()).toEqual(before);
  }, 60_000);

  it('plan errors exit 2 and record nothing', () => {
    const plan = writePlan(dir, 'broken', [...planLines('dry-broken', ['  - from: public.genre']), 'prices: { dynamodb_write_request_unit: 1 }']);
    const r = ferry(['plan', 'dry-run', plan, '--state', 'broken.db'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.err).toContain('prices.dynamodb_write_request_unit: unknown key; did you mean "dynamodb_write_request_units"?');
    const usage = ferry(['plan', 'dry-run', plan, '--state', 'broken.db', '--sample', '-1'], { cwd: dir });
    expect(usage.code).toBe(2);
    expect(fs.existsSync(path.join(dir, 'broken.db'))).toBe(false);
  });
});
