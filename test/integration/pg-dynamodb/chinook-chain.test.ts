/**
 * Chinook twice over, through the CLI: PostgreSQL → DynamoDB, then DynamoDB → Firestore, each hop verified by count
 * and checksum; then one Firestore field is changed and `ferry verify` of the second hop names that document's key.
 * No run prints a warning of Node's or an SDK's (deprecations, the runtime, listener leaks).
 */
import type { Firestore } from '@google-cloud/firestore';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHINOOK_TABLES, loadChinook } from '../../support/chinook.js';
import { firestore, serviceEnv, uniqueName } from '../../support/clients.js';
import { ferry, warningsIn, workDir, writePlan } from '../../support/cli.js';

let dir: string;
let prefix: string;
let db: Firestore;
const total = Object.values(CHINOOK_TABLES).reduce((a, b) => a + b, 0);

beforeAll(async () => {
  dir = workDir('ferry-chain-');
  const name = uniqueName('chain').replaceAll('-', '_');
  process.env.CHAIN_PGURL = await loadChinook(serviceEnv('PGURL'), name);
  prefix = `${uniqueName('cc')}_`;
  db = firestore();
  writePlan(dir, 'hop1', [
    'version: 1',
    'kind: migration',
    'name: chinook-pg-to-dynamodb',
    'source: { type: postgres, url: "${env:CHAIN_PGURL}" }',
    `target: { type: dynamodb, endpoint: "\${env:DYNAMODB_ENDPOINT}", region: "\${env:AWS_REGION}", table_prefix: ${prefix}, create: true }`,
    'streams: [{ from: public.* }]',
    'verify: [count, checksum]',
  ]);
  writePlan(dir, 'hop2', [
    'version: 1',
    'kind: migration',
    'name: chinook-dynamodb-to-firestore',
    `source: { type: dynamodb, endpoint: "\${env:DYNAMODB_ENDPOINT}", region: "\${env:AWS_REGION}", table_prefix: ${prefix} }`,
    'target: { type: firestore }',
    'streams:',
    '  - from: "*"',
    `    to: "${prefix}\${stream}"`,
    'verify: [count, checksum]',
  ]);
}, 120_000);

afterAll(async () => {
  await db?.terminate();
});

function verified(run: ReturnType<typeof ferry>): { jobId: string; outcome: string; results: { stream: string; verifier: string; outcome: string; changed: { keys: string[] } }[] } {
  const e = run.events.find((x) => x.type === 'verify.done') as unknown as { jobId: string; report: { outcome: string; results: never[] } };
  return { jobId: e.jobId, outcome: e.report.outcome, results: e.report.results };
}

describe('Chinook: PostgreSQL → DynamoDB → Firestore', () => {
  let hop2Job = '';

  it('hop 1, PostgreSQL → DynamoDB: all rows, verified', () => {
    const r = ferry(['run', 'hop1.yaml', '--state', 'ferry.db', '--json'], { cwd: dir });
    expect(warningsIn(r.err)).toEqual([]);
    expect(r.code).toBe(0);
    const v = verified(r);
    expect(v.outcome).toBe('match');
    expect(v.results).toHaveLength(22);
  }, 180_000);

  it('hop 2, DynamoDB → Firestore: every table a collection, verified', async () => {
    const r = ferry(['run', 'hop2.yaml', '--state', 'ferry.db', '--json'], { cwd: dir });
    expect(warningsIn(r.err)).toEqual([]);
    expect(r.err).not.toMatch(/ferry: .*failed/);
    expect(r.code).toBe(0);
    const done = r.events.find((e) => e.type === 'job.done') as unknown as { summary: { items: number; rejected: number } };
    expect(done.summary).toMatchObject({ items: total, rejected: 0 });
    const v = verified(r);
    expect(v.outcome).toBe('match');
    expect(v.results).toHaveLength(22);
    hop2Job = v.jobId;
    const tracks = await db.collection(`${prefix}track`).count().get();
    expect(tracks.data().count).toBe(CHINOOK_TABLES.track);
    const pt = await db.collection(`${prefix}playlist_track`).count().get();
    expect(pt.data().count).toBe(CHINOOK_TABLES.playlist_track);
  }, 240_000);

  it('a field changed in Firestore is named by `ferry verify` of hop 2 (exit 1)', async () => {
    expect(hop2Job).toBeTruthy();
    const doc = db.collection(`${prefix}artist`).doc('1');
    expect((await doc.get()).get('name')).toBe('AC/DC');
    await doc.update({ name: 'AC/DC (tampered)' });
    const r = ferry(['verify', hop2Job, '--state', 'ferry.db', '--json'], { cwd: dir });
    expect(warningsIn(r.err)).toEqual([]);
    expect(r.code).toBe(1);
    const v = verified(r);
    expect(v.outcome).toBe('differ');
    const bad = v.results.filter((x) => x.outcome !== 'match');
    expect(bad).toEqual([expect.objectContaining({ stream: 'artist', verifier: 'checksum', changed: expect.objectContaining({ total: 1 }) })]);
    expect(bad[0]!.changed.keys[0]).toContain('1');
  }, 180_000);
});
