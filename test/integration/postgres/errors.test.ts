/**
 * Failures as an operator meets them: classified (code + retryability), worded with the fix, and never carrying the
 * password. Plus cancellation: an aborted read stops the statement on the server, not only in the client.
 *
 * The test cluster trusts every local connection, so the wrong-password test adds a scram-sha-256 rule for one
 * throwaway role at the top of pg_hba.conf (written through lo_export, as the superuser the test servers use),
 * reloads, and restores the file afterwards. Other roles are untouched, so concurrent tests are not affected.
 */
import net from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FerryError } from '../../../src/errors.js';
import { toFerryError } from '../../../src/connectors/postgres/errors.js';
import type { PostgresSource } from '../../../src/connectors/postgres/source.js';
import { serviceEnv, uniqueName } from '../../support/clients.js';
import { createDatabase, listOne, openSource, readSegment, type TestDatabase } from './helpers.js';

let db: TestDatabase;
const role = uniqueName('ferry_pw').replaceAll('-', '_');
const password = `pw-${Math.random().toString(36).slice(2)}-S3cret`;
let originalHba: string | undefined;

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: serviceEnv('PGURL') });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

async function writeHba(c: pg.Client, text: string): Promise<void> {
  const { rows } = await c.query<{ oid: number }>("SELECT lo_from_bytea(0, convert_to($1, 'UTF8')) AS oid", [text]);
  await c.query("SELECT lo_export($1, current_setting('hba_file'))", [rows[0]!.oid]);
  await c.query('SELECT lo_unlink($1)', [rows[0]!.oid]);
  await c.query('SELECT pg_reload_conf()');
}

function urlFor(user: string, pass: string | undefined, base = db.url): string {
  const u = new URL(base);
  u.username = user;
  u.password = pass ?? '';
  return u.toString();
}

/** The server reloads pg_hba.conf asynchronously: wait until our rule refuses a wrong password. */
async function waitForPasswordRule(): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const c = new pg.Client({ connectionString: urlFor(role, 'wrong') });
    const ok = await c.connect().then(
      () => true,
      () => false,
    );
    await c.end().catch(() => {});
    if (!ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('pg_hba.conf rule for the password test did not take effect');
}

beforeAll(async () => {
  db = await createDatabase('pg_errors');
  await db.client.query(`
    CREATE TABLE items (id int PRIMARY KEY, v text);
    INSERT INTO items SELECT i, 'v' || i FROM generate_series(1, 50) i;
  `);
  await admin(async (c) => {
    await c.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
    await c.query(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${role}`);
    originalHba = (await c.query<{ t: string }>("SELECT pg_read_file(current_setting('hba_file')) AS t")).rows[0]!.t;
    await writeHba(c, `host all ${role} 127.0.0.1/32 scram-sha-256\nhost all ${role} ::1/128 scram-sha-256\n${originalHba}`);
  });
  await waitForPasswordRule();
});

afterAll(async () => {
  await admin(async (c) => {
    if (originalHba !== undefined) await writeHba(c, originalHba);
    await c.query(`DROP ROLE IF EXISTS ${role}`).catch(() => {});
  });
  await db?.drop();
});

async function openError(options: Record<string, unknown>): Promise<FerryError> {
  const e = await openSource(String(options['url'] ?? ''), options).then(
    async (s) => {
      await s[Symbol.asyncDispose]();
      throw new Error('expected the source to fail to open');
    },
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(FerryError);
  return e as FerryError;
}

function expectNoSecret(e: FerryError): void {
  const all = JSON.stringify({ message: e.message, hint: e.hint, details: e.details, stack: e.stack });
  expect(all).not.toContain(password);
}

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('connecting', () => {
  it('the right password works (the rule is real)', async () => {
    const s = await openSource(urlFor(role, password));
    try {
      expect((await s.streams('items', new AbortController().signal)).map((r) => r.name)).toEqual(['public.items']);
    } finally {
      await s[Symbol.asyncDispose]();
    }
  });

  it('a wrong password in the url is AUTH, terminal, naming the user and not the password', async () => {
    const e = await openError({ url: urlFor(role, `${password}x`) });
    expect(e).toMatchObject({ code: 'AUTH', retry: 'terminal' });
    expect(e.message).toBe(`password authentication failed for user ${role}; check the password in the plan's url/env`);
    expect(e.message + (e.hint ?? '')).not.toContain(`${password}x`);
    expectNoSecret(e);
  });

  it('a wrong password given as a field is the same', async () => {
    const u = new URL(db.url);
    const e = await openError({ host: u.hostname, port: Number(u.port), database: db.name, user: role, password: `x${password}` });
    expect(e).toMatchObject({ code: 'AUTH', retry: 'terminal' });
    expect(JSON.stringify({ m: e.message, h: e.hint, d: e.details })).not.toContain(`x${password}`);
  });

  it('a port nobody listens on is UNREACHABLE, transient, naming host:port', async () => {
    const port = await freePort();
    const e = await openError({ url: `postgres://ferry:${password}@127.0.0.1:${port}/x` });
    expect(e).toMatchObject({ code: 'UNREACHABLE', retry: 'transient' });
    expect(e.message).toBe(`cannot reach PostgreSQL at 127.0.0.1:${port} (ECONNREFUSED)`);
    expect(e.hint).toContain(`127.0.0.1:${port}`);
    expectNoSecret(e);
  });

  it('a server that accepts but never answers is UNREACHABLE after connect_timeout', async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((sock) => void sockets.push(sock));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      const started = Date.now();
      const e = await openError({ url: `postgres://ferry@127.0.0.1:${port}/x`, connect_timeout: 1 });
      expect(e).toMatchObject({ code: 'UNREACHABLE', retry: 'transient', message: `no answer from PostgreSQL at 127.0.0.1:${port} in time` });
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });

  it('a host name that does not resolve is UNREACHABLE', async () => {
    const e = await openError({ url: 'postgres://ferry@no-such-host.invalid:5432/x' });
    expect(e).toMatchObject({ code: 'UNREACHABLE', retry: 'transient' });
    expect(e.message).toMatch(/^cannot reach PostgreSQL at no-such-host\.invalid:5432 \((ENOTFOUND|EAI_AGAIN)\)$/);
  });

  it('a missing database is NOT_FOUND', async () => {
    const e = await openError({ url: urlFor('postgres', undefined, `${db.url}_nope`) });
    expect(e).toMatchObject({ code: 'NOT_FOUND', retry: 'terminal' });
    expect(e.message).toBe(`database "${db.name}_nope" does not exist`);
  });

  it('an unreadable CA file is CONFIG', async () => {
    const e = await openError({ url: db.url, ssl: { mode: 'verify-full', ca_file: '/nonexistent/ca.pem' } });
    expect(e).toMatchObject({ code: 'CONFIG', message: 'cannot read the ca_file file /nonexistent/ca.pem: ENOENT' });
  });

  it('TLS asked of a server without it is CONFIG', async () => {
    const e = await openError({ url: db.url, ssl: { mode: 'require' } });
    expect(e).toMatchObject({ code: 'CONFIG', retry: 'terminal' });
    expect(e.hint).toContain('ssl');
  });
});

describe('reading', () => {
  let source: PostgresSource;
  const app = `ferry_err_${Date.now()}`;

  beforeAll(async () => {
    source = await openSource(db.url, { application_name: app });
  });
  afterAll(async () => {
    await source?.[Symbol.asyncDispose]();
  });

  it('a table dropped after it was listed is NOT_FOUND naming it', async () => {
    await db.client.query('CREATE TABLE doomed (id int PRIMARY KEY); INSERT INTO doomed VALUES (1)');
    const ref = await listOne(source, 'public.doomed', { snapshot: false });
    const [segment] = await source.segments(ref, 1, new AbortController().signal);
    await db.client.query('DROP TABLE doomed');
    await expect(readSegment(source, segment!, 10)).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'reading public.doomed: table public.doomed does not exist' });
  });

  it('an abort cancels a long statement on the server, and the read ends INTERRUPTED', async () => {
    const ref = await listOne(source, 'public.items', { where: 'pg_sleep(60) IS NOT NULL', snapshot: false });
    const [segment] = await source.segments(ref, 1, new AbortController().signal);
    const ac = new AbortController();
    const reading = readSegment(source, segment!, 10, undefined, ac.signal);
    const running = async () =>
      Number((await db.client.query("SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1 AND state = 'active' AND query LIKE '%pg_sleep%'", [app])).rows[0]!.n);
    for (let i = 0; i < 50 && (await running()) === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await running()).toBe(1);
    const abortedAt = Date.now();
    ac.abort();
    await expect(reading).rejects.toMatchObject({ code: 'INTERRUPTED' });
    expect(Date.now() - abortedAt).toBeLessThan(2_000); // the CancelRequest, not the 3 s socket fallback
    for (let i = 0; i < 50 && (await running()) > 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await running()).toBe(0);
    // The source is still usable.
    expect(await source.count(await listOne(source, 'public.items'), new AbortController().signal)).toBe(50);
  });

  it('counts started all at once (as the engine does) leave connections for reads', async () => {
    const s = await openSource(db.url, { max_connections: 2 });
    try {
      const slow = await listOne(s, 'public.items', { where: 'id = 1 AND pg_sleep(0.4) IS NOT NULL', snapshot: false });
      const counts = Promise.all([1, 2, 3, 4].map(() => s.count(slow, new AbortController().signal)));
      await new Promise((r) => setTimeout(r, 100));
      const ref = await listOne(s, 'public.items', { snapshot: false });
      const [segment] = await s.segments(ref, 1, new AbortController().signal);
      const started = Date.now();
      expect((await readSegment(s, segment!, 100)).records).toHaveLength(50);
      expect(Date.now() - started).toBeLessThan(350);
      expect(await counts).toEqual([1, 1, 1, 1]);
    } finally {
      await s[Symbol.asyncDispose]();
    }
  });

  it('a connection killed mid-statement is TRANSIENT (the engine re-opens the read)', async () => {
    const ref = await listOne(source, 'public.items', { where: 'pg_sleep(60) IS NOT NULL', snapshot: false });
    const [segment] = await source.segments(ref, 1, new AbortController().signal);
    const reading = readSegment(source, segment!, 10).catch((x: unknown) => x);
    const kill = async () =>
      Number((await db.client.query("SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity WHERE application_name = $1 AND query LIKE '%pg_sleep%' AND state = 'active'", [app])).rows[0]!.n);
    for (let i = 0; i < 50 && (await kill()) === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await reading).toMatchObject({ code: 'TRANSIENT', retry: 'transient' });
  });

  it('losing the snapshot connection fails reads in that snapshot for good, telling to resume', async () => {
    const s = await openSource(db.url, { application_name: `${app}_lost` });
    try {
      const ref = await listOne(s, 'public.items');
      const [segment] = await s.segments(ref, 1, new AbortController().signal);
      await db.client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [`${app}_lost snapshot`]);
      let e: unknown;
      for (let i = 0; i < 50 && e === undefined; i++) {
        e = await readSegment(s, segment!, 10).then(
          async () => void (await new Promise((r) => setTimeout(r, 50))),
          (x: unknown) => x,
        );
      }
      expect(e).toMatchObject({ retry: 'terminal', hint: expect.stringContaining('resume the job') });
    } finally {
      await s[Symbol.asyncDispose]();
    }
  });
});

describe('classification of server errors', () => {
  const endpoint = { host: 'db', port: 5432, user: 'ferry', database: 'app' };
  const dbError = (code: string, message = 'boom') => Object.assign(new pg.DatabaseError(message, 0, 'error'), { code });
  const classify = (code: string, aborted = false) => {
    const e = toFerryError(dbError(code), { endpoint, secrets: [], aborted });
    return [e.code, e.retry];
  };

  it('maps SQLSTATEs to codes and retryability', () => {
    expect(classify('40001')).toEqual(['TRANSIENT', 'transient']);
    expect(classify('40P01')).toEqual(['TRANSIENT', 'transient']);
    expect(classify('57P01')).toEqual(['TRANSIENT', 'transient']);
    expect(classify('53300')).toEqual(['TRANSIENT', 'transient']);
    expect(classify('08006')).toEqual(['TRANSIENT', 'transient']);
    expect(classify('57014')).toEqual(['TRANSIENT', 'transient']);
    expect(classify('57014', true)).toEqual(['INTERRUPTED', 'terminal']);
    expect(classify('28P01')).toEqual(['AUTH', 'terminal']);
    expect(classify('28000')).toEqual(['AUTH', 'terminal']);
    expect(classify('42501')).toEqual(['AUTH', 'terminal']);
    expect(classify('3D000')).toEqual(['NOT_FOUND', 'terminal']);
    expect(classify('42P01')).toEqual(['NOT_FOUND', 'terminal']);
    expect(classify('42601')).toEqual(['CONFIG', 'terminal']);
    expect(classify('22P02')).toEqual(['INTERNAL', 'terminal']);
  });

  it('scrubs URLs with passwords and literal secrets from any message', () => {
    const e = toFerryError(new Error('cannot parse postgres://u:hunter2@h/db nor hunter3'), { endpoint, secrets: ['hunter3'] });
    expect(e.message).not.toMatch(/hunter[23]/);
  });
});
