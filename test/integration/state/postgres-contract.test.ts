/**
 * The CheckpointStore contract on the PostgreSQL state (the services' server): every world is a schema of its own,
 * and each `open` is a separate pool, as separate worker machines would be. Plus what only PostgreSQL has: the
 * schema created and migrated once by workers opening it together, the password kept out of messages and state.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { openPostgresState, parseStateUrl, PG_LATEST_SCHEMA_VERSION, type SqlStateStore } from '../../../src/state/index.js';
import { checkpointStoreContract, newJob } from '../../contract/checkpoint-store.js';
import { scheduleSlotsContract } from '../../contract/schedule-slots.js';
import { serviceEnv } from '../../support/clients.js';

const schemas: string[] = [];
const url = (schema: string): string => {
  const u = new URL(serviceEnv('PGURL'));
  u.searchParams.set('schema', schema);
  return u.toString();
};
const freshSchema = (): string => {
  const s = `ferry_contract_${randomBytes(4).toString('hex')}`;
  schemas.push(s);
  return s;
};

afterAll(async () => {
  const c = new pg.Client({ connectionString: serviceEnv('PGURL') });
  await c.connect();
  for (const s of schemas) await c.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  await c.end();
});

scheduleSlotsContract('postgres', () => {
  const schema = freshSchema();
  let t = Date.parse('2026-12-08T02:00:05.000Z');
  return {
    open: async () => {
      const store = await openPostgresState(url(schema), { now: () => t, poolSize: 2 });
      return { slots: store.scheduleSlots(), close: () => store.close() };
    },
    advance: (ms) => void (t += ms),
  };
});

checkpointStoreContract('postgres', () => {
  const schema = freshSchema();
  let t = Date.parse('2026-11-28T07:36:12.000Z');
  return {
    open: (pid = 1111) => openPostgresState(url(schema), { now: () => t, pid, host: 'contract-host', isProcessAlive: () => true, poolSize: 2 }),
    advance: (ms) => void (t += ms),
    now: () => t,
  };
});

describe('the PostgreSQL state', () => {
  it('is created and migrated once when several workers open a fresh schema together', async () => {
    const schema = freshSchema();
    const stores: SqlStateStore[] = await Promise.all(Array.from({ length: 6 }, (_, i) => openPostgresState(url(schema), { pid: 100 + i })));
    for (const s of stores) expect(await s.schemaVersion()).toBe(PG_LATEST_SCHEMA_VERSION);
    const c = new pg.Client({ connectionString: serviceEnv('PGURL') });
    await c.connect();
    const rows = await c.query(`SELECT version FROM "${schema}".schema_migrations ORDER BY version`);
    expect(rows.rows.map((r: { version: number }) => r.version)).toEqual(Array.from({ length: PG_LATEST_SCHEMA_VERSION }, (_, i) => i + 1));
    await c.end();
    for (const s of stores) await s.close();
  });

  it('keeps the password of its URL out of its name, its errors and the state', async () => {
    // The services' server trusts 127.0.0.1, so any password connects: what matters is where it shows up.
    const password = 'hunter2-state-secret';
    const schema = freshSchema();
    const u = new URL(url(schema));
    u.password = password;
    const store = await openPostgresState(u.toString());
    expect(store.path).not.toContain(password);
    expect(store.path).toContain(`schema=${schema}`);
    const job = await store.createJob(newJob({ planText: 'source: ${env:PGURL}\n' }));
    await store.setJobStatus(job.id, 'failed', `could not reach ${u.toString()}`);
    await store.appendEvent(job.id, 'note', { url: u.toString() });
    expect((await store.getJob(job.id))?.error).not.toContain(password);
    expect(JSON.stringify(await store.events(job.id))).not.toContain(password);
    await store.close();
    const c = new pg.Client({ connectionString: serviceEnv('PGURL') });
    await c.connect();
    const dump = await c.query(`SELECT (SELECT json_agg(j) FROM "${schema}".jobs j)::text || (SELECT json_agg(e) FROM "${schema}".events e)::text AS all`);
    expect(dump.rows[0].all).not.toContain(password);
    await c.end();

    const down = await openPostgresState(`postgres://ferry:${password}@127.0.0.1:1/ferry`, { connectTimeoutMs: 2000 }).then(
      () => undefined,
      (err: unknown) => err as Error & { code?: string; hint?: string },
    );
    expect(down?.code).toBe('UNREACHABLE');
    expect(down?.message).toContain('127.0.0.1:1');
    expect(`${down?.message} ${down?.hint}`).not.toContain(password);
    const badSchema = await openPostgresState(`${serviceEnv('PGURL')}?schema=no;drop`).then(
      () => undefined,
      (err: unknown) => err as Error & { code?: string },
    );
    expect(badSchema?.code).toBe('USAGE');
  });

  it('refuses a schema written by a newer ferry, naming both versions', async () => {
    const schema = freshSchema();
    await (await openPostgresState(url(schema))).close();
    const c = new pg.Client({ connectionString: serviceEnv('PGURL') });
    await c.connect();
    await c.query(`INSERT INTO "${schema}".schema_migrations (version, name, applied_at) VALUES (99, 'future', 'x')`);
    await c.end();
    const e = await openPostgresState(url(schema)).then(
      () => undefined,
      (err: unknown) => err as Error & { code?: string },
    );
    expect(e?.code).toBe('STATE');
    expect(e?.message).toContain('has version 99');
  });
});
