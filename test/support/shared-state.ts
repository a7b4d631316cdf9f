/**
 * The worker tests' view of a shared PostgreSQL state: a schema of its own per test file (dropped afterwards), a
 * working directory per worker (standing in for a machine), and what the state says after the run — read straight
 * from its tables, so an assertion does not trust the workers' own reports.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { expect } from 'vitest';
import { serviceEnv } from './clients.js';

export interface SharedState {
  url: string;
  schema: string;
  drop(): Promise<void>;
}

export function sharedState(name: string): SharedState {
  const schema = `ferry_${name.replaceAll('-', '_')}`;
  const u = new URL(serviceEnv('PGURL'));
  u.searchParams.set('schema', schema);
  return {
    url: u.toString(),
    schema,
    drop: async () => {
      const c = new pg.Client({ connectionString: serviceEnv('PGURL') });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await c.end();
    },
  };
}

/** A working directory of its own for one worker. */
export function machine(dir: string, name: string): string {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  return d;
}

export interface StateAfter {
  status: string;
  segments: { id: string; fence: number; items: number; status: string }[];
  checkpoints: number;
}

/**
 * The job's status and segments, and every segment's cursors in commit order checked never to move backwards
 * (`position` turns a stored cursor into something ordered; null cursors are the segment's start).
 */
export async function stateAfter(state: SharedState, jobId: string, position: (cursor: unknown) => number | string): Promise<StateAfter> {
  const c = new pg.Client({ connectionString: serviceEnv('PGURL') });
  await c.connect();
  try {
    const job = await c.query(`SELECT status FROM "${state.schema}".jobs WHERE id = $1`, [jobId]);
    const segs = await c.query(`SELECT id, fence, items, status FROM "${state.schema}".segments WHERE job_id = $1 ORDER BY id`, [jobId]);
    const cps = await c.query(`SELECT segment_id, seq, cursor FROM "${state.schema}".checkpoints WHERE job_id = $1 ORDER BY segment_id, seq`, [jobId]);
    const last = new Map<string, number | string>();
    for (const r of cps.rows as { segment_id: string; seq: string; cursor: string | null }[]) {
      if (!r.cursor) continue;
      const at = position(JSON.parse(r.cursor));
      const before = last.get(r.segment_id);
      if (before !== undefined) expect(at >= before, `segment ${r.segment_id}: cursor ${String(at)} after ${String(before)} (seq ${r.seq})`).toBe(true);
      last.set(r.segment_id, at);
    }
    return {
      status: String(job.rows[0]?.status),
      segments: (segs.rows as { id: string; fence: string; items: string; status: string }[]).map((s) => ({ id: s.id, fence: Number(s.fence), items: Number(s.items), status: s.status })),
      checkpoints: cps.rowCount ?? 0,
    };
  } finally {
    await c.end();
  }
}
