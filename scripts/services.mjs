#!/usr/bin/env node
// Real servers for ferry's tests, as local processes on 127.0.0.1. Run it through `scripts/services`; the usage is
// there. Each server below says where it comes from, how it is installed when missing, how it is started, how we
// know it really answers (a request in its own protocol), and which environment variables point clients at it.
//
// Nothing here lives in the repository: built binaries go to FERRY_CACHE (never assumed to exist), pids, ports,
// logs and data to FERRY_SERVICES_DIR. Every server runs in its own process group, so `stop` ends it and whatever
// it spawned, and nothing else.

import { execFile as execFileCb, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFile = promisify(execFileCb);

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CACHE = path.resolve(process.env.FERRY_CACHE || path.join(os.homedir(), '.cache', 'ferry'));
const RUN = path.resolve(process.env.FERRY_SERVICES_DIR || path.join(os.tmpdir(), 'ferry-services'));
const STATE_FILE = path.join(RUN, 'state.json');
const LOCK_FILE = path.join(RUN, 'lock');
const LOGS = path.join(RUN, 'logs');
const HOST = '127.0.0.1';
const IS_ROOT = process.getuid?.() === 0;

// Versions are pinned so that every machine builds the same thing.
const FAKE_GCS_SERVER = { pkg: 'github.com/fsouza/fake-gcs-server', version: 'v1.56.1' };
const GOFAKES3 = { pkg: 'github.com/johannesboyne/gofakes3/cmd/gofakes3', version: 'v1.2.0' };

const FIRESTORE_PROJECT = 'ferry-test';
const AWS = { AWS_ACCESS_KEY_ID: 'ferrytest', AWS_SECRET_ACCESS_KEY: 'ferrytest', AWS_REGION: 'us-east-1' };
// The well-known development keys that Azurite and the Cosmos DB emulator accept. Not secrets.
const AZURITE_ACCOUNT = 'devstoreaccount1';
const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
const COSMOS_KEY = 'C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==';

// ---------------------------------------------------------------------------------------------------------------
// small helpers

const t0 = Date.now();
const secs = (since) => `${((Date.now() - since) / 1000).toFixed(1)}s`;
const say = (msg) => process.stderr.write(`[services ${secs(t0).padStart(6)}] ${msg}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

class ServiceError extends Error {}

function mkdirp(dir, mode = 0o755) {
  fs.mkdirSync(dir, { recursive: true, mode });
  return dir;
}

function exists(file) {
  try {
    fs.accessSync(file);
    return true;
  } catch {
    return false;
  }
}

async function which(cmd) {
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    const file = path.join(dir, cmd);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return file;
    } catch {
      /* next */
    }
  }
  return undefined;
}

/** Runs a command to completion, its output appended to `log`; throws with the log's tail if it fails. */
async function run(cmd, args, { log, env, cwd, timeoutMs = 10 * 60_000 } = {}) {
  const fd = log ? fs.openSync(log, 'a') : 'ignore';
  try {
    if (log) fs.writeSync(fd, `\n$ ${cmd} ${args.join(' ')}\n`);
    const child = spawn(cmd, args, { stdio: ['ignore', fd, fd], env: env ?? process.env, cwd });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const code = await new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', (c, sig) => resolve(c ?? sig));
    });
    clearTimeout(timer);
    if (code !== 0) {
      throw new ServiceError(`\`${cmd} ${args.join(' ')}\` failed (${code})${log ? `; see ${log}:\n${tail(log)}` : ''}`);
    }
  } finally {
    if (typeof fd === 'number') fs.closeSync(fd);
  }
}

function tail(file, lines = 15) {
  try {
    const text = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
    return text.slice(-lines).map((l) => `    | ${l}`).join('\n');
  } catch {
    return '    | (no log)';
  }
}

/** Ports that are free right now: all bound at once, so they are distinct, then released. */
async function freePorts(n) {
  const servers = await Promise.all(
    Array.from({ length: n }, () => new Promise((resolve, reject) => {
      const s = net.createServer();
      s.on('error', reject);
      s.listen(0, HOST, () => resolve(s));
    })),
  );
  const ports = servers.map((s) => s.address().port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

async function http(url, init = {}) {
  return fetch(url, { ...init, signal: AbortSignal.timeout(init.timeoutMs ?? 3000) });
}

// --- apt: only as root, only for what is missing, `apt-get update` once per run, one dpkg at a time -----------------

let aptQueue = Promise.resolve();
let aptUpdated = false;
function aptInstall(packages, why) {
  const job = aptQueue.then(async () => {
    if (!IS_ROOT || !(await which('apt-get'))) {
      throw new ServiceError(`${why}; install the Debian package(s) ${packages.join(' ')} (apt-get install -y ${packages.join(' ')})`);
    }
    const log = path.join(LOGS, 'apt.log');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    say(`${why}: apt-get install ${packages.join(' ')}`);
    if (!aptUpdated) {
      await run('apt-get', ['update'], { log, env });
      aptUpdated = true;
    }
    await run('apt-get', ['install', '-y', '--no-install-recommends', ...packages], { log, env });
  });
  aptQueue = job.catch(() => {});
  return job;
}

/** rclone from Debian; a failure is reported, not fatal: only the tests that call rclone need it, and they say so. */
async function ensureRclone() {
  if (await which('rclone')) return;
  try {
    await aptInstall(['rclone'], 'rclone is not installed');
  } catch (err) {
    say(`rclone: not installed (${err instanceof ServiceError ? err.message : err}); the rclone comparison tests will fail`);
  }
}

async function ensureJava() {
  if (await which('java')) return 'java';
  await aptInstall(['openjdk-17-jre-headless'], 'java is not installed');
  if (await which('java')) return 'java';
  throw new ServiceError('java is still missing after installing openjdk-17-jre-headless');
}

/** `go install pkg@version` into the cache, once; returns the binary's path. */
async function goBinary({ pkg, version }) {
  const name = path.basename(pkg);
  const dir = path.join(CACHE, 'bin', `${name}-${version}`);
  const bin = path.join(dir, name);
  if (exists(bin)) return bin;
  const go = await which('go');
  if (!go) {
    throw new ServiceError(`building ${name} needs Go (1.24 or newer) on PATH, and Go was not found`);
  }
  const started = Date.now();
  say(`${name}: not in the cache, go install ${pkg}@${version} (a few minutes the first time)`);
  const tmp = mkdirp(path.join(CACHE, 'bin', `.tmp-${name}-${process.pid}`));
  const env = {
    ...process.env,
    GOBIN: tmp,
    GOMODCACHE: path.join(CACHE, 'go', 'mod'),
    GOCACHE: path.join(CACHE, 'go', 'build'),
    GOFLAGS: '-modcacherw -buildvcs=false',
    CGO_ENABLED: '0',
  };
  const log = path.join(LOGS, `${name}-build.log`);
  try {
    await run(go, ['install', '-trimpath', '-ldflags=-s -w', `${pkg}@${version}`], { log, env });
    mkdirp(dir);
    fs.renameSync(path.join(tmp, name), bin);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  say(`${name}: built in ${secs(started)}`);
  return bin;
}

function nodeModule(rel, hint) {
  const file = path.join(REPO, 'node_modules', rel);
  if (!exists(file)) throw new ServiceError(`${file} is missing: run \`npm ci\` first (${hint})`);
  return file;
}

// ---------------------------------------------------------------------------------------------------------------
// the servers

/** PostgreSQL from Debian, a throwaway cluster in the run directory with trust auth for 127.0.0.1. */
const postgres = {
  name: 'postgres',
  what: 'PostgreSQL (Debian)',
  timeoutMs: 60_000,
  async bindir() {
    const candidates = [];
    if (await which('pg_config')) {
      const { stdout } = await execFile('pg_config', ['--bindir']).catch(() => ({ stdout: '' }));
      if (stdout.trim()) candidates.push(stdout.trim());
    }
    const base = '/usr/lib/postgresql';
    if (exists(base)) {
      const versions = fs.readdirSync(base).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
      candidates.push(...versions.map((v) => path.join(base, v, 'bin')));
    }
    return candidates.find((dir) => exists(path.join(dir, 'initdb')) && exists(path.join(dir, 'postgres')));
  },
  /** As root, PostgreSQL refuses to run: run it as an ordinary OS user. */
  async osUser() {
    if (!IS_ROOT) return undefined;
    const user = process.env.FERRY_PG_OS_USER || 'postgres';
    try {
      await execFile('id', ['-u', user]);
    } catch {
      await run('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', user]);
    }
    return user;
  },
  asUser(user, cmd, args) {
    return user ? ['runuser', ['-u', user, '--', cmd, ...args]] : [cmd, args];
  },
  async prepare(port) {
    let bindir = await this.bindir();
    if (!bindir) {
      await aptInstall(['postgresql'], 'PostgreSQL is not installed');
      bindir = await this.bindir();
      if (!bindir) throw new ServiceError('PostgreSQL is still missing after apt-get install postgresql');
    }
    const user = await this.osUser();
    const home = path.join(RUN, 'postgres');
    fs.rmSync(home, { recursive: true, force: true }); // a fresh cluster each start, like the in-memory servers
    mkdirp(home, 0o700);
    if (user) await run('chown', [`${user}:`, home]);
    const data = path.join(home, 'data');
    const log = path.join(LOGS, 'postgres.log');
    const [initCmd, initArgs] = this.asUser(user, path.join(bindir, 'initdb'), [
      '-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync',
    ]);
    await run(initCmd, initArgs, { log, cwd: home });
    // Settings for a disposable test server: no durability, generous connections, logs to stderr (our log file).
    fs.appendFileSync(
      path.join(data, 'postgresql.conf'),
      [
        '',
        '# ferry test server (scripts/services)',
        `listen_addresses = '${HOST}'`,
        `unix_socket_directories = '${home}'`,
        'max_connections = 200',
        'fsync = off',
        'synchronous_commit = off',
        'full_page_writes = off',
        "timezone = 'UTC'",
        '',
      ].join('\n'),
    );
    const [cmd, args] = this.asUser(user, path.join(bindir, 'postgres'), ['-D', data, '-p', String(port)]);
    return { cmd, args, cwd: home, extra: { data, bindir } };
  },
  async psql(entry, db, sql) {
    const bindir = entry.extra.bindir;
    return execFile(path.join(bindir, 'psql'), ['-h', HOST, '-p', String(entry.port), '-U', 'postgres', '-d', db,
      '-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', sql], { timeout: 5000 });
  },
  async probe(entry) {
    const { stdout } = await this.psql(entry, 'ferry', 'select 1');
    return stdout.trim() === '1';
  },
  async afterStart(entry) {
    // Wait for the server, then create the `ferry` database the tests use.
    await waitFor(entry, async () => (await this.psql(entry, 'postgres', 'select 1')).stdout.trim() === '1');
    await this.psql(entry, 'postgres', 'create database ferry');
  },
  /** Fast shutdown: SIGINT to the postmaster (the process group holds `runuser` too, which must not get it first). */
  stopSignal(entry) {
    try {
      const pid = Number(fs.readFileSync(path.join(entry.extra.data, 'postmaster.pid'), 'utf8').split('\n')[0]);
      if (pid > 0) return { pid, signal: 'SIGINT' };
    } catch {
      /* no pid file: signal the group */
    }
    return undefined;
  },
  env: (entry) => ({ PGURL: `postgres://postgres@${HOST}:${entry.port}/ferry` }),
};

/**
 * DynamoDB: dynalite (npm, Apache-2.0). Amazon's DynamoDB Local is under the vendor's own terms, not an open-source
 * licence, so this project does not fetch or run it.
 */
const dynamodb = {
  name: 'dynamodb',
  what: 'dynalite',
  timeoutMs: 60_000,
  async prepare(port) {
    const cli = nodeModule('dynalite/cli.js', 'dynalite is a devDependency');
    // Tables become ACTIVE at once; real DynamoDB takes seconds (connectors still wait for ACTIVE).
    return {
      cmd: process.execPath,
      args: [cli, '--host', HOST, '--port', String(port), '--createTableMs', '0', '--deleteTableMs', '0',
        '--updateTableMs', '0'],
    };
  },
  async probe(entry) {
    const res = await http(`http://${HOST}:${entry.port}/`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'DynamoDB_20120810.ListTables',
        'x-amz-date': '20240101T000000Z',
        authorization: `AWS4-HMAC-SHA256 Credential=${AWS.AWS_ACCESS_KEY_ID}/20240101/${AWS.AWS_REGION}/dynamodb/aws4_request, SignedHeaders=host, Signature=0`,
      },
      body: '{}',
    });
    return res.ok && Array.isArray((await res.json()).TableNames);
  },
  env: (entry) => ({ DYNAMODB_ENDPOINT: `http://${HOST}:${entry.port}`, ...AWS }),
};

/** Google's Cloud Firestore emulator (Debian package google-cloud-cli-firestore-emulator), run as a plain jar. */
const firestore = {
  name: 'firestore',
  what: 'Cloud Firestore emulator',
  timeoutMs: 90_000,
  jar() {
    const candidates = [
      process.env.FIRESTORE_EMULATOR_JAR,
      '/usr/lib/google-cloud-sdk/platform/cloud-firestore-emulator/cloud-firestore-emulator.jar',
      '/usr/share/google-cloud-sdk/platform/cloud-firestore-emulator/cloud-firestore-emulator.jar',
    ];
    return candidates.find((f) => f && exists(f));
  },
  async prepare(port) {
    const java = await ensureJava();
    let jar = this.jar();
    if (!jar) {
      try {
        await aptInstall(['google-cloud-cli-firestore-emulator'], 'the Cloud Firestore emulator is not installed');
      } catch (err) {
        throw new ServiceError(`the Cloud Firestore emulator jar is missing and could not be installed (${err.message}); `
          + 'it comes only from the Debian package google-cloud-cli-firestore-emulator, or set FIRESTORE_EMULATOR_JAR');
      }
      jar = this.jar();
      if (!jar) throw new ServiceError('cloud-firestore-emulator.jar is still missing after installing its package');
    }
    return {
      cmd: java,
      args: ['-Xms64m', '-Xmx512m', '-XX:+UseSerialGC', '-cp', jar,
        'com.google.cloud.datastore.emulator.firestore.CloudFirestore', 'start', `--host=${HOST}`, `--port=${port}`],
    };
  },
  async probe(entry) {
    const url = `http://${HOST}:${entry.port}/v1/projects/${FIRESTORE_PROJECT}/databases/(default)/documents/ferry_probe`;
    const res = await http(url);
    return res.ok && typeof (await res.json()) === 'object';
  },
  env: (entry) => ({
    FIRESTORE_EMULATOR_HOST: `${HOST}:${entry.port}`,
    FIRESTORE_PROJECT_ID: FIRESTORE_PROJECT,
    GCLOUD_PROJECT: FIRESTORE_PROJECT,
    // Without credentials, Google's auth library looks for a GCE metadata server (169.254.169.254), even when the
    // client talks to the emulator: tell it there is none, so tests send nothing off this machine.
    METADATA_SERVER_DETECTION: 'none',
  }),
};

/** fake-gcs-server (Go, BSD-2), in memory, over plain HTTP. */
const gcs = {
  name: 'gcs',
  what: `fake-gcs-server ${FAKE_GCS_SERVER.version}`,
  timeoutMs: 30_000,
  async prepare(port) {
    const bin = await goBinary(FAKE_GCS_SERVER);
    const url = `http://${HOST}:${port}`;
    return {
      cmd: bin,
      // -external-url and -public-host make resumable-upload and media links point back at this server.
      args: ['-scheme', 'http', '-host', HOST, '-port', String(port), '-backend', 'memory', '-external-url', url,
        '-public-host', `${HOST}:${port}`, '-log-level', 'warn'],
    };
  },
  async probe(entry) {
    const res = await http(`http://${HOST}:${entry.port}/storage/v1/b?project=${FIRESTORE_PROJECT}`);
    return res.ok && (await res.json()).kind === 'storage#buckets';
  },
  // GCS_ENDPOINT, for `new Storage({ apiEndpoint })`. Not STORAGE_EMULATOR_HOST: when that is set, the Node SDK
  // (@google-cloud/storage 8, like 7; test/unit/gcs/client.test.ts pins it) uses it verbatim as the JSON API base URL, without /storage/v1, whatever apiEndpoint
  // says, and every call to fake-gcs-server answers 404.
  env: (entry) => ({ GCS_ENDPOINT: `http://${HOST}:${entry.port}` }),
};

/** gofakes3 (Go, MIT), in memory: multipart uploads with real `<md5>-N` ETags, ListObjectsV2 pages, Content-MD5. */
const s3 = {
  name: 's3',
  what: `gofakes3 ${GOFAKES3.version}`,
  timeoutMs: 30_000,
  async prepare(port) {
    const bin = await goBinary(GOFAKES3);
    return { cmd: bin, args: ['-backend', 'memory', '-host', `${HOST}:${port}`] };
  },
  async probe(entry) {
    const res = await http(`http://${HOST}:${entry.port}/`);
    return res.ok && (await res.text()).includes('ListAllMyBucketsResult');
  },
  env: (entry) => ({ S3_ENDPOINT: `http://${HOST}:${entry.port}`, ...AWS }),
};

/** Azurite's blob service (npm devDependency), in memory. */
const azurite = {
  name: 'azurite',
  what: 'Azurite (blob)',
  timeoutMs: 30_000,
  async prepare(port) {
    const main = nodeModule('azurite/dist/src/blob/main.js', 'azurite is a devDependency');
    const home = mkdirp(path.join(RUN, 'azurite'));
    return {
      cmd: process.execPath,
      args: [main, '--inMemoryPersistence', '--skipApiVersionCheck', '--disableTelemetry', '--blobHost', HOST,
        '--blobPort', String(port)],
      cwd: home,
    };
  },
  async probe(entry) {
    // Unauthenticated, so Azurite answers 403 in its own XML; the Server header says it is Azurite.
    const res = await http(`http://${HOST}:${entry.port}/${AZURITE_ACCOUNT}?comp=list`);
    await res.arrayBuffer();
    return /Azurite-Blob/i.test(res.headers.get('server') || '') && res.headers.has('x-ms-request-id');
  },
  env: (entry) => {
    const url = `http://${HOST}:${entry.port}/${AZURITE_ACCOUNT}`;
    return {
      AZURITE_BLOB_URL: url,
      AZURE_STORAGE_CONNECTION_STRING:
        `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};BlobEndpoint=${url};`,
    };
  },
};

/** @vercel/cosmosdb-server (npm devDependency, MIT), plain HTTP. */
const cosmos = {
  name: 'cosmos',
  what: '@vercel/cosmosdb-server',
  timeoutMs: 30_000,
  async prepare(port) {
    const cli = nodeModule('@vercel/cosmosdb-server/lib/cli.js', '@vercel/cosmosdb-server is a devDependency');
    return { cmd: process.execPath, args: [cli, '--no-ssl', '--host', HOST, '--port', String(port)] };
  },
  async probe(entry) {
    const res = await http(`http://${HOST}:${entry.port}/`);
    return res.ok && typeof (await res.json()).writableLocations !== 'undefined';
  },
  env: (entry) => ({ COSMOS_ENDPOINT: `http://${HOST}:${entry.port}`, COSMOS_KEY }),
};

const SERVERS = [postgres, dynamodb, firestore, gcs, s3, azurite, cosmos];
const BY_NAME = new Map(SERVERS.map((s) => [s.name, s]));

// ---------------------------------------------------------------------------------------------------------------
// state: what start started, in RUN/state.json

function loadState() {
  try {
    return JSON.parse(fs.readFileSync(STATE_FILE, 'utf8'));
  } catch {
    return { servers: {} };
  }
}

function saveState(state) {
  mkdirp(RUN);
  const tmp = `${STATE_FILE}.${process.pid}`;
  fs.writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
  fs.renameSync(tmp, STATE_FILE);
}

/** Start time of a process (clock ticks since boot), to tell our pid from a reused one. */
function procStart(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function signal(pid, sig) {
  try {
    process.kill(pid, sig);
    return true;
  } catch (err) {
    if (err.code === 'ESRCH') return false;
    throw err;
  }
}

/** Is the process group we started still there (and not some other process that got its pid)? */
function alive(entry) {
  if (!entry?.pid) return false;
  const leaderStart = procStart(entry.pid);
  if (leaderStart !== undefined && leaderStart !== entry.startTime) return false;
  return signal(-entry.pid, 0);
}

async function ready(server, entry) {
  try {
    return await server.probe(entry);
  } catch {
    return false;
  }
}

async function waitFor(entry, check) {
  const deadline = Date.now() + entry.timeoutMs;
  for (;;) {
    if (!alive(entry)) {
      throw new ServiceError(`${entry.name} exited before it answered; see its log ${entry.log}:\n${tail(entry.log)}`);
    }
    try {
      if (await check()) return;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) {
      throw new ServiceError(`${entry.name} did not answer on ${HOST}:${entry.port} within ${entry.timeoutMs / 1000}s; `
        + `see its log ${entry.log}:\n${tail(entry.log)}`);
    }
    await sleep(150);
  }
}

async function stopEntry(server, entry) {
  if (!alive(entry)) return;
  const special = server?.stopSignal?.(entry);
  if (special) signal(special.pid, special.signal);
  else signal(-entry.pid, 'SIGTERM');
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (!signal(-entry.pid, 0)) return;
    await sleep(100);
  }
  say(`${entry.name}: still running 20s after the stop signal, killing process group ${entry.pid}`);
  signal(-entry.pid, 'SIGKILL');
  await sleep(200);
}

// --- one start at a time (two test runs may start at once) ---------------------------------------------------------

async function withLock(fn) {
  mkdirp(RUN);
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    try {
      fs.writeFileSync(LOCK_FILE, String(process.pid), { flag: 'wx' });
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      const holder = Number(fs.readFileSync(LOCK_FILE, 'utf8').trim() || 0);
      if (!holder || !signal(holder, 0)) {
        fs.rmSync(LOCK_FILE, { force: true }); // stale
        continue;
      }
      if (Date.now() > deadline) throw new ServiceError(`${LOCK_FILE} is held by pid ${holder} for too long`);
      await sleep(500);
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(LOCK_FILE, { force: true });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// commands

function selected(names) {
  if (!names.length) return SERVERS;
  const unknown = names.filter((n) => !BY_NAME.has(n));
  if (unknown.length) {
    throw new ServiceError(`unknown server(s) ${unknown.join(', ')}; known: ${SERVERS.map((s) => s.name).join(' ')}`);
  }
  return names.map((n) => BY_NAME.get(n));
}

async function launch(server, port, state) {
  const started = Date.now();
  const log = path.join(LOGS, `${server.name}.log`);
  fs.writeFileSync(log, '');
  const spec = await server.prepare(port);
  const fd = fs.openSync(log, 'a');
  const child = spawn(spec.cmd, spec.args, {
    cwd: spec.cwd ?? RUN,
    env: { ...process.env, ...spec.env },
    stdio: ['ignore', fd, fd],
    detached: true, // its own process group: stop ends it and its children, and Ctrl-C here does not
  });
  fs.closeSync(fd);
  const spawnError = new Promise((_, reject) => child.on('error', (e) => reject(new ServiceError(`${server.name}: ${e.message}`))));
  spawnError.catch(() => {});
  child.unref();
  if (!child.pid) await spawnError;
  const entry = {
    name: server.name,
    what: server.what,
    pid: child.pid,
    startTime: procStart(child.pid),
    port,
    log,
    timeoutMs: server.timeoutMs,
    extra: spec.extra,
    startedAt: new Date().toISOString(),
  };
  state.servers[server.name] = entry;
  saveState(state);
  if (server.afterStart) await server.afterStart(entry);
  await waitFor(entry, () => server.probe(entry));
  say(`${server.name}: up on ${HOST}:${port} (${server.what}, pid ${child.pid}) in ${secs(started)}`);
  return entry;
}

async function start(names) {
  const servers = selected(names);
  mkdirp(LOGS);
  mkdirp(CACHE);
  return withLock(async () => {
    const state = loadState();
    const fresh = [];
    for (const server of servers) {
      const entry = state.servers[server.name];
      const acceptable = entry && (server.accepts ? server.accepts(entry) : entry.what === server.what);
      if (acceptable && alive(entry) && (await ready(server, entry))) {
        say(`${server.name}: already up on ${HOST}:${entry.port} (pid ${entry.pid}), reused`);
        continue;
      }
      if (entry) {
        await stopEntry(server, entry);
        delete state.servers[server.name];
      }
      fresh.push(server);
    }
    saveState(state);
    // rclone is no server, but the object tests use it as an independent judge of ferry's copies.
    const tools = servers.some((s) => s.name === 's3' || s.name === 'gcs') ? ensureRclone() : Promise.resolve();
    const ports = await freePorts(fresh.length);
    // All at once: the total is the slowest server's time (a cold Go build), not the sum.
    const results = await Promise.allSettled(fresh.map((server, i) => launchWithRetry(server, ports[i], state).catch((err) => {
      say(`${server.name}: FAILED: ${err instanceof ServiceError ? err.message : err.stack}`);
      throw err;
    })));
    const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [[fresh[i], r.reason]] : []));
    if (failed.length) {
      say(`failed: ${failed.map(([s]) => s.name).join(' ')}; stopping what this start started`);
      await Promise.all(fresh.map((s) => (state.servers[s.name] ? stopEntry(s, state.servers[s.name]) : undefined)));
      for (const s of fresh) delete state.servers[s.name];
      saveState(state);
      return 1;
    }
    await tools;
    say(`all up (${servers.length} servers, ${fresh.length} started); \`scripts/services env\` prints the variables`);
    return 0;
  });
}

/** A port found free can be taken before the server binds it: one more try on another port in that case. */
async function launchWithRetry(server, port, state) {
  try {
    return await launch(server, port, state);
  } catch (err) {
    const entry = state.servers[server.name];
    const log = entry ? fs.readFileSync(entry.log, 'utf8') : '';
    if (!/address already in use|EADDRINUSE/i.test(log)) throw err;
    say(`${server.name}: port ${port} was taken, trying another`);
    await stopEntry(server, entry);
    const [other] = await freePorts(1);
    return launch(server, other, state);
  }
}

async function stop(names) {
  const servers = selected(names);
  return withLock(async () => {
    const state = loadState();
    await Promise.all(servers.map(async (server) => {
      const entry = state.servers[server.name];
      if (!entry) return;
      const wasUp = alive(entry);
      await stopEntry(server, entry);
      delete state.servers[server.name];
      say(`${server.name}: ${wasUp ? 'stopped' : 'was not running'}`);
    }));
    if (Object.keys(state.servers).length) saveState(state);
    else fs.rmSync(STATE_FILE, { force: true });
    return 0;
  });
}

async function statusRows() {
  const state = loadState();
  return Promise.all(SERVERS.map(async (server) => {
    const entry = state.servers[server.name];
    const up = Boolean(entry && alive(entry) && (await ready(server, entry)));
    return { name: server.name, what: entry?.what ?? server.what, up, port: entry?.port ?? null, pid: entry?.pid ?? null, log: entry?.log ?? null };
  }));
}

async function status(flags) {
  const rows = await statusRows();
  if (flags.includes('--json')) {
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return 0;
  }
  for (const r of rows) {
    const where = r.port ? `${HOST}:${r.port}` : '-';
    const more = r.up ? `pid ${r.pid}  log ${r.log}` : r.pid ? `(recorded pid ${r.pid} does not answer; log ${r.log})` : '';
    process.stdout.write(`${r.name.padEnd(10)} ${(r.up ? 'up' : 'down').padEnd(5)} ${where.padEnd(16)} ${r.what.padEnd(26)} ${more}\n`.trimEnd() + '\n');
  }
  return 0;
}

const shellQuote = (v) => `'${String(v).replaceAll("'", "'\\''")}'`;

async function env(flags) {
  const state = loadState();
  const vars = {};
  const down = [];
  for (const server of SERVERS) {
    const entry = state.servers[server.name];
    if (entry && alive(entry)) Object.assign(vars, server.env(entry));
    else down.push(server.name);
  }
  if (flags.includes('--json')) process.stdout.write(`${JSON.stringify(vars, null, 2)}\n`);
  else for (const [k, v] of Object.entries(vars)) process.stdout.write(`export ${k}=${shellQuote(v)}\n`);
  if (down.length) {
    say(`not running: ${down.join(' ')} (scripts/services start)`);
    return 1;
  }
  return 0;
}

const usage = () => `usage: scripts/services start [NAME...] | stop [NAME...] | status [--json] | env [--json]
servers: ${SERVERS.map((s) => `${s.name} (${s.what})`).join(', ')}
cache: ${CACHE} (FERRY_CACHE)   run dir: ${RUN} (FERRY_SERVICES_DIR)`;

async function main(argv) {
  const [cmd, ...rest] = argv;
  const names = rest.filter((a) => !a.startsWith('--'));
  const flags = rest.filter((a) => a.startsWith('--'));
  switch (cmd) {
    case 'start': return start(names);
    case 'stop': return stop(names);
    case 'status': return status(flags);
    case 'env': return env(flags);
    case 'help': case '--help': case '-h':
      process.stdout.write(`${usage()}\n`);
      return 0;
    default:
      process.stderr.write(`${usage()}\n`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => {
    say(err instanceof ServiceError ? `error: ${err.message}` : err.stack);
    process.exitCode = 1;
  },
);
