/**
 * The connection block → pg configuration, without a server: TLS modes as libpq means them, PEM files read, an
 * explicit `ssl:` winning over ssl parameters inside the URL, and the endpoint and secrets error messages rely on.
 * (The test server has no TLS, so the handshake itself is only exercised by errors.test.ts's refusal.)
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { connectionSetup, sslConfig } from '../../../src/connectors/postgres/connection.js';

describe('ssl', () => {
  it('maps true/false and the modes to node:tls options', async () => {
    expect(await sslConfig(undefined)).toBeUndefined();
    expect(await sslConfig(false)).toBe(false);
    expect(await sslConfig(true)).toEqual({ rejectUnauthorized: true });
    expect(await sslConfig({ mode: 'disable' })).toBe(false);
    expect(await sslConfig({ mode: 'require' })).toEqual({ rejectUnauthorized: false });
    expect(await sslConfig({})).toEqual({ rejectUnauthorized: true });
    const verifyCa = await sslConfig({ mode: 'verify-ca' });
    expect(verifyCa).toMatchObject({ rejectUnauthorized: true });
    expect((verifyCa as { checkServerIdentity: () => unknown }).checkServerIdentity()).toBeUndefined();
  });

  it('reads ca_file, cert_file and key_file', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ferry-ssl-'));
    for (const f of ['ca', 'cert', 'key']) await writeFile(path.join(dir, `${f}.pem`), `-----${f}-----\n`);
    expect(await sslConfig({ mode: 'verify-full', ca_file: path.join(dir, 'ca.pem'), cert_file: path.join(dir, 'cert.pem'), key_file: path.join(dir, 'key.pem') })).toEqual({
      rejectUnauthorized: true,
      ca: '-----ca-----\n',
      cert: '-----cert-----\n',
      key: '-----key-----\n',
    });
  });
});

describe('connectionSetup', () => {
  it('from a url: endpoint for messages, the password as a secret, keepAlive, application_name', async () => {
    const { config, endpoint, secrets } = await connectionSetup({ url: 'postgres://ferry:p%40ss@db.internal:6543/billing' });
    expect(endpoint).toEqual({ host: 'db.internal', port: 6543, user: 'ferry', database: 'billing' });
    expect(secrets).toContain('p@ss');
    expect(config).toMatchObject({ application_name: 'ferry', keepAlive: true, connectionTimeoutMillis: 15_000 });
  });

  it('from fields', async () => {
    const { config, endpoint, secrets } = await connectionSetup({ host: 'h', port: 5433, database: 'd', user: 'u', password: 'pw', application_name: 'mig', connect_timeout: 3 });
    expect(endpoint).toEqual({ host: 'h', port: 5433, user: 'u', database: 'd' });
    expect(secrets).toContain('pw');
    expect(config).toMatchObject({ application_name: 'mig', connectionTimeoutMillis: 3000, password: 'pw' });
  });

  it('an explicit ssl option removes ssl parameters from the url', async () => {
    const { config } = await connectionSetup({ url: 'postgres://u@h/d?sslmode=verify-full&sslrootcert=/x.pem&application_name=a', ssl: false });
    expect(config.connectionString).toBe('postgres://u@h/d?application_name=a');
    expect(config.ssl).toBe(false);
    const kept = await connectionSetup({ url: 'postgres://u@h/d?sslmode=verify-full' });
    expect(kept.config.connectionString).toBe('postgres://u@h/d?sslmode=verify-full');
  });
});
