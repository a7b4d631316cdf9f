/**
 * One running job per plan on a state, through the real binary: two `ferry run` of one plan started at the same
 * instant make exactly one job (the other exits 2 naming it), and `ferry run --new` beside a running job is refused.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ferry, ferryAsync, workDir, writePlan, type Run } from '../../support/cli.js';
import { uniqueName } from '../../support/clients.js';
import { createDatabase, type TestDatabase } from '../postgres/helpers.js';

let dir: string;
let db: TestDatabase;
let plan: string;
const ROWS = 1500;

beforeAll(async () => {
  dir = workDir('ferry-one-writer-');
  db = await createDatabase('onewriter');
  await db.client.query('CREATE TABLE t (id int PRIMARY KEY, v text)');
  await db.client.query(`INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, ${ROWS}) g`);
  plan = writePlan(dir, 'one', [
    'version: 1',
    'kind: migration',
    'name: one-writer',
    'source: { type: postgres, url: "${env:ONE_PGURL}" }',
    'target: { type: dynamodb, endpoint: "${env:DYNAMODB_ENDPOINT}", region: "${env:AWS_REGION}", create: true }',
    `streams: [{ from: public.t, to: ${uniqueName('one-writer')} }]`,
    // Slow enough (about 3 s) that the second run starts while the first one writes.
    'limits: { concurrency: 1, batch_size: 50, items_per_second: 500 }',
    'verify: [count]',
  ]);
}, 120_000);

afterAll(async () => {
  await db?.drop();
});

const env = (): Record<string, string> => ({ ONE_PGURL: db.url });
const jobsOf = (r: Run): string[] => [...new Set(r.events.filter((e) => typeof e.jobId === 'string').map((e) => e.jobId as string))];

describe('one running job per plan', () => {
  it('of two runs started together, exactly one makes a job and the other exits 2 naming it', async () => {
    const a = ferryAsync(['run', plan, '--json'], { cwd: dir, env: env() });
    const b = ferryAsync(['run', plan, '--json'], { cwd: dir, env: env() });
    const runs = await Promise.all([a.done, b.done]);
    const won = runs.filter((r) => r.code === 0);
    const lost = runs.filter((r) => r.code === 2);
    expect(won, runs.map((r) => r.err).join('\n---\n')).toHaveLength(1);
    expect(lost).toHaveLength(1);
    const [job] = jobsOf(won[0]!);
    expect(lost[0]!.err).toContain(`plan "one-writer" is already running as job ${job}`);
    expect(jobsOf(lost[0]!)).toEqual([]);
    const state = new Database(path.join(dir, 'state/ferry.db'), { readonly: true });
    try {
      expect(state.prepare('SELECT id FROM jobs').all()).toEqual([{ id: job }]);
    } finally {
      state.close();
    }
  }, 120_000);

  it('refuses `ferry run --new` while a job of the plan runs, with exit 2 and the running job named', async () => {
    let refused: Run | undefined;
    let job: string | undefined;
    const a = ferryAsync(['run', plan, '--new', '--json'], {
      cwd: dir,
      env: env(),
      onLine: (line) => {
        if (refused || !line.startsWith('{')) return;
        const e = JSON.parse(line) as { type: string; jobId?: string };
        if (e.type !== 'batch' || !e.jobId) return;
        job = e.jobId;
        refused = ferry(['run', plan, '--new'], { cwd: dir, env: env() });
      },
    });
    const first = await a.done;
    expect(first.code, first.err).toBe(0);
    expect(refused, 'the first run never checkpointed').toBeDefined();
    expect(refused!.code).toBe(2);
    expect(refused!.err).toContain(`plan "one-writer" is already running as job ${job}`);
    expect(refused!.err).toMatch(/fix: watch it with `ferry status/);
  }, 120_000);
});
