/**
 * A plan's `source:` block (type postgres) → the pg client configuration, plus what error messages may say about
 * the endpoint (host:port, user, database: never the password) and the secrets to scrub from any text.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ConnectionOptions } from 'node:tls';
import pg from 'pg';
import { FerryError } from '../../errors.js';
import { rawTextTypes } from './decode.js';

export interface PgEndpoint {
  host: string;
  port: number;
  user: string;
  database: string;
}

export interface PgConnectionSetup {
  config: pg.ClientConfig;
  endpoint: PgEndpoint;
  /** Literal secrets (passwords) that must never appear in a message. */
  secrets: string[];
}

/**
 * Every session reads in the same settings, whatever the server's defaults: the text forms decode.ts expects
 * (ISO dates, hex bytea, shortest-exact floats, ISO-8601 intervals) and UTC for timestamptz output.
 */
export const SESSION_SETUP = [
  "SET TimeZone = 'UTC'",
  "SET DateStyle = 'ISO, YMD'",
  "SET IntervalStyle = 'iso_8601'",
  'SET extra_float_digits = 3',
  "SET bytea_output = 'hex'",
].join('; ');

type SslOption = boolean | { mode?: string; ca_file?: string; cert_file?: string; key_file?: string } | undefined;

const SSL_URL_PARAMS = ['ssl', 'sslmode', 'sslcert', 'sslkey', 'sslrootcert', 'sslcrl', 'uselibpqcompat'];

async function readPem(file: string, what: string): Promise<string> {
  try {
    return await readFile(path.resolve(file), 'utf8');
  } catch (e) {
    throw new FerryError('CONFIG', `cannot read the ${what} file ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, {
      hint: `check \`ssl.${what}\` in the plan's source block`,
    });
  }
}

/** The plan's `ssl:` in the shape pg (node:tls) takes, mirroring libpq's sslmode. */
export async function sslConfig(ssl: SslOption): Promise<false | ConnectionOptions | undefined> {
  if (ssl === undefined) return undefined;
  if (ssl === false) return false;
  if (ssl === true) return { rejectUnauthorized: true };
  const mode = ssl.mode ?? 'verify-full';
  if (mode === 'disable') return false;
  const out: ConnectionOptions = { rejectUnauthorized: mode !== 'require' };
  if (ssl.ca_file) out.ca = await readPem(ssl.ca_file, 'ca_file');
  if (ssl.cert_file) out.cert = await readPem(ssl.cert_file, 'cert_file');
  if (ssl.key_file) out.key = await readPem(ssl.key_file, 'key_file');
  // verify-ca: the chain must be trusted, the host name need not match (as libpq).
  if (mode === 'verify-ca') out.checkServerIdentity = () => undefined;
  return out;
}

/** An explicit `ssl:` wins over ssl parameters inside the URL (pg would otherwise let the URL override it). */
function withoutSslParams(url: string): string {
  try {
    const u = new URL(url);
    for (const p of SSL_URL_PARAMS) u.searchParams.delete(p);
    return u.toString();
  } catch {
    return url;
  }
}

function urlPassword(url: string): string | undefined {
  try {
    const p = new URL(url).password;
    return p ? decodeURIComponent(p) : undefined;
  } catch {
    return undefined;
  }
}

export async function connectionSetup(options: Record<string, unknown>): Promise<PgConnectionSetup> {
  const str = (k: string): string | undefined => (typeof options[k] === 'string' && options[k] !== '' ? (options[k] as string) : undefined);
  const ssl = await sslConfig(options['ssl'] as SslOption);
  const config: pg.ClientConfig = {
    application_name: str('application_name') ?? 'ferry',
    keepAlive: true,
    connectionTimeoutMillis: (typeof options['connect_timeout'] === 'number' ? options['connect_timeout'] : 15) * 1000,
    types: rawTextTypes,
  };
  const url = str('url');
  const secrets: string[] = [];
  if (url) {
    config.connectionString = ssl === undefined ? url : withoutSslParams(url);
    const p = urlPassword(url);
    if (p) secrets.push(p);
  } else {
    const host = str('host');
    if (host) config.host = host;
    if (typeof options['port'] === 'number') config.port = options['port'];
    const database = str('database');
    if (database) config.database = database;
    const user = str('user');
    if (user) config.user = user;
    const password = str('password');
    if (password) {
      config.password = password;
      secrets.push(password);
    }
  }
  if (ssl !== undefined) config.ssl = ssl;
  if (process.env['PGPASSWORD']) secrets.push(process.env['PGPASSWORD']);

  // pg resolves URL, fields and PG* variables in its constructor; an unconnected client tells us what it will use.
  const probe = new pg.Client(config) as pg.Client & { host: string; port: number; user: string; database: string };
  const endpoint: PgEndpoint = {
    host: probe.host,
    port: probe.port,
    user: probe.user,
    database: probe.database,
  };
  return { config, endpoint, secrets };
}

/** `host:port`, or the socket path, as a message names it. */
export function endpointText(e: PgEndpoint): string {
  return e.host.startsWith('/') ? `${e.host}/.s.PGSQL.${e.port}` : `${e.host}:${e.port}`;
}
