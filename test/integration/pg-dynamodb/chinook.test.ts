/**
 * Chinook (real data nobody here wrote) from PostgreSQL to DynamoDB through the CLI: all 11 tables, verified by
 * count and checksum; then one attribute changed in DynamoDB, and `ferry verify` names that key and the field, with
 * both values, and exits 1; then more changes: `--max-diffs 2` lists 2 keys of the larger total, and the report is
 * written as Markdown and as one HTML file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DescribeTableCommand, GetItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHINOOK_TABLES, loadChinook } from '../../support/chinook.js';
import { dynamoDb, serviceEnv, uniqueName } from '../../support/clients.js';
import { ferry, workDir, writePlan } from '../../support/cli.js';

let dir: string;
let plan: string;
let prefix: string;
let ddb: DynamoDBClient;
let jobId: string;

beforeAll(async () => {
  dir = workDir('ferry-chinook-');
  const db = uniqueName('chinook').replaceAll('-', '_');
  const url = await loadChinook(serviceEnv('PGURL'), db);
  prefix = `${uniqueName('ck')}_`;
  ddb = dynamoDb();
  plan = writePlan(dir, 'chinook', [
    'version: 1',
    'kind: migration',
    'name: chinook-to-dynamodb',
    'source: { type: postgres, url: "${env:CHINOOK_URL}" }',
    'target:',
    '  type: dynamodb',
    '  endpoint: ${env:DYNAMODB_ENDPOINT}',
    '  region: ${env:AWS_REGION}',
    `  table_prefix: ${prefix}`,
    '  create: true',
    'streams:',
    '  - from: public.*',
    'limits: { concurrency: 4, batch_size: 400 }',
    'verify: [count, checksum]',
  ]);
  process.env.CHINOOK_URL = url;
}, 120_000);

afterAll(() => {
  ddb?.destroy();
});

describe('Chinook: PostgreSQL → DynamoDB', () => {
  it('migrates all 11 tables and verifies count and checksum', () => {
    const r = ferry(['run', plan, '--state', 'ferry.db', '--json'], { cwd: dir });
    expect(r.err).not.toMatch(/ferry: .*(failed|error)/i);
    expect(r.code).toBe(0);
    const done = r.events.find((e) => e.type === 'job.done') as unknown as { summary: { status: string; items: number; rejected: number; streams: { stream: string; totals: { items: number } }[] } };
    const total = Object.values(CHINOOK_TABLES).reduce((a, b) => a + b, 0);
    expect(done.summary).toMatchObject({ status: 'succeeded', items: total, rejected: 0 });
    expect(Object.fromEntries(done.summary.streams.map((s) => [s.stream.replace('public.', ''), s.totals.items]))).toEqual(CHINOOK_TABLES);
    const verify = r.events.find((e) => e.type === 'verify.done') as unknown as { jobId: string; report: { outcome: string; results: { stream: string; verifier: string; outcome: string; source: { count: number }; target: { count: number } }[] } };
    expect(verify.report.outcome).toBe('match');
    expect(verify.report.results).toHaveLength(22);
    for (const res of verify.report.results) {
      expect(res.outcome).toBe('match');
      expect(res.target.count).toBe(CHINOOK_TABLES[res.stream.replace('public.', '')]);
    }
    jobId = verify.jobId;
  }, 180_000);

  it('keys tables by their primary keys, playlist_track by partition + sort, with exact values', async () => {
    const pt = await ddb.send(new DescribeTableCommand({ TableName: `${prefix}playlist_track` }));
    expect(pt.Table!.KeySchema).toEqual([
      { AttributeName: 'playlist_id', KeyType: 'HASH' },
      { AttributeName: 'track_id', KeyType: 'RANGE' },
    ]);
    const inv = await ddb.send(new GetItemCommand({ TableName: `${prefix}invoice`, Key: { invoice_id: { N: '1' } } }));
    // numeric(10,2) 1.98 arrives as the exact N "1.98"; timestamps as ISO-8601 UTC strings.
    expect(inv.Item!.total).toEqual({ N: '1.98' });
    expect(inv.Item!.invoice_date).toEqual({ S: '2021-01-01T00:00:00Z' });
    const artist = await ddb.send(new GetItemCommand({ TableName: `${prefix}artist`, Key: { artist_id: { N: '1' } } }));
    expect(artist.Item!.name).toEqual({ S: 'AC/DC' });
  });

  it('names the key whose attribute was changed in DynamoDB, and exits 1', async () => {
    expect(jobId).toBeTruthy();
    const before = await ddb.send(new GetItemCommand({ TableName: `${prefix}track`, Key: { track_id: { N: '42' } } }));
    const oldName = before.Item!.name!.S!;
    await ddb.send(
      new UpdateItemCommand({
        TableName: `${prefix}track`,
        Key: { track_id: { N: '42' } },
        UpdateExpression: 'SET #n = :v',
        ExpressionAttributeNames: { '#n': 'name' },
        ExpressionAttributeValues: { ':v': { S: 'Changed behind ferry’s back' } },
      }),
    );
    const r = ferry(['verify', jobId, '--state', 'ferry.db', '--json'], { cwd: dir });
    expect(r.code).toBe(1);
    const report = (r.events.find((e) => e.type === 'verify.done') as unknown as { report: { outcome: string; results: { stream: string; verifier: string; outcome: string; changed: { keys: string[] }; missing: { total: number }; extra: { total: number } }[] } }).report;
    expect(report.outcome).toBe('differ');
    const bad = report.results.filter((x) => x.outcome !== 'match');
    expect(bad).toEqual([
      expect.objectContaining({ stream: 'public.track', verifier: 'checksum', outcome: 'differ', changed: { total: 1, keys: ['track_id=42'] }, missing: expect.objectContaining({ total: 0 }), extra: expect.objectContaining({ total: 0 }) }),
    ]);
    expect(r.err).toContain('found differences');
    // The changed field, with both values as compared.
    const checksum = report.results.find((x) => x.outcome !== 'match') as unknown as { changedFields: unknown };
    expect(checksum.changedFields).toEqual([{ key: 'track_id=42', fields: [{ path: 'name', source: JSON.stringify(oldName), target: '"Changed behind ferry’s back"' }] }]);

    // The human report names it too.
    const human = ferry(['verify', jobId, '--state', 'ferry.db'], { cwd: dir });
    expect(human.code).toBe(1);
  }, 120_000);

  it('--max-diffs 2 lists 2 changed keys of 6 with their fields; --format md and --format html --out write the report', async () => {
    // Five more tracks repriced behind ferry's back (numeric(10,2) 0.99 → N 1.99); track 42's name is still changed.
    for (const id of [1, 2, 3, 4, 5]) {
      await ddb.send(
        new UpdateItemCommand({
          TableName: `${prefix}track`,
          Key: { track_id: { N: String(id) } },
          UpdateExpression: 'SET unit_price = :v',
          ExpressionAttributeValues: { ':v': { N: '1.99' } },
        }),
      );
    }
    const md = ferry(['verify', jobId, '--state', 'ferry.db', '--checksum', '--max-diffs', '2', '--format', 'md', '--out', 'x.md', '--json'], { cwd: dir });
    expect(md.code).toBe(1);
    const done = md.events.find((e) => e.type === 'verify.done') as unknown as {
      out: string;
      report: { results: { stream: string; verifier: string; outcome: string; changed: { total: number; keys: string[] }; changedFields: unknown }[] };
    };
    expect(done.out).toBe(path.join(dir, 'x.md'));
    const track = done.report.results.find((x) => x.stream === 'public.track' && x.verifier === 'checksum')!;
    expect(track.outcome).toBe('differ');
    expect(track.changed).toEqual({ total: 6, keys: ['track_id=1', 'track_id=2'] });
    expect(track.changedFields).toEqual([
      { key: 'track_id=1', fields: [{ path: 'unit_price', source: '0.99', target: '1.99' }] },
      { key: 'track_id=2', fields: [{ path: 'unit_price', source: '0.99', target: '1.99' }] },
    ]);
    // Every other table still matches.
    expect(done.report.results.filter((x) => x.outcome !== 'match').map((x) => `${x.stream}/${x.verifier}`)).toEqual(['public.track/checksum']);

    const text = fs.readFileSync(path.join(dir, 'x.md'), 'utf8');
    expect(text).toMatch(/^# ferry verification: differ\n/);
    expect(text).toContain(`- Job: \`${jobId}\``);
    expect(text).toContain('**changed** — in both, with different values: 6, 2 listed');
    expect(text).toContain('- `track_id=1`\n  - `unit_price`: `0.99` → `1.99`');
    expect(text).toContain('- … 4 more');

    const html = ferry(['verify', jobId, '--state', 'ferry.db', '--checksum', '--max-diffs', '2', '--format', 'html', '--out', 'x.html'], { cwd: dir });
    expect(html.code).toBe(1);
    const page = fs.readFileSync(path.join(dir, 'x.html'), 'utf8');
    expect(page).toMatch(/^<!DOCTYPE html>/);
    expect(page).not.toMatch(/<script|<link|<img|src=|href=|url\(/i);
    expect(page).toContain('<td class="mono">unit_price</td><td class="mono v">0.99</td><td class="mono v">1.99</td>');
    expect(page).toContain('track_id=2');
    expect(page).not.toContain('track_id=3<');
  }, 180_000);
});
