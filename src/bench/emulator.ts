/**
 * A private Cloud Firestore emulator for the `dynamodb-firestore` bench: the same jar and JVM flags as
 * `scripts/services` (which installs it), but its own port, its own process group, and a heap sized to the run.
 *
 * Why not the services' emulator: the emulator keeps every document version it was ever sent in memory, and
 * neither its DELETE endpoint, nor deleting the documents, nor time gives any of it back (measured: about
 * 4.7 KB of live heap per document written, 20,000 documents → +95 MB, after DELETE still +95 MB). The services'
 * emulator runs with a 512 MB heap for every test of the project: one 100,000-document run fills it. So the bench
 * starts its own, and restarts it before every measured run, as pg-dynamodb restarts dynalite.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** Live heap the emulator keeps per document written (measured with jmap -histo:live, see above), rounded up. */
export const RETAINED_BYTES_PER_DOC = 5 * 1024;
const MiB = 2 ** 20;

export const EMULATOR_MAIN = 'com.google.cloud.datastore.emulator.firestore.CloudFirestore';

/** Where `scripts/services` looks for the jar (the Debian package google-cloud-cli-firestore-emulator). */
export function emulatorJar(env: NodeJS.ProcessEnv): string | undefined {
  const candidates = [
    env['FIRESTORE_EMULATOR_JAR'],
    '/usr/lib/google-cloud-sdk/platform/cloud-firestore-emulator/cloud-firestore-emulator.jar',
    '/usr/share/google-cloud-sdk/platform/cloud-firestore-emulator/cloud-firestore-emulator.jar',
  ];
  return candidates.find((f): f is string => !!f && fs.existsSync(f));
}

function onPath(cmd: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env['PATH'] ?? '').split(path.delimiter)) {
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

/**
 * Heap for an emulator that will hold `docs` document writes: their retained versions twice over (a serial
 * collector needs room to work), plus 256 MiB for the emulator itself; a multiple of 64 MiB.
 */
export function heapMbFor(docs: number): number {
  const mb = 256 + (2 * docs * RETAINED_BYTES_PER_DOC) / MiB;
  return Math.ceil(mb / 64) * 64;
}

/** `-Xmx` of a JVM command line, in MiB; undefined when absent or unreadable. */
export function maxHeapMb(args: readonly string[]): number | undefined {
  let out: number | undefined;
  for (const a of args) {
    const m = /^-Xmx(\d+)([kKmMgGtT]?)$/.exec(a);
    if (!m) continue;
    const n = Number(m[1]);
    const unit = (m[2] ?? '').toLowerCase();
    out = unit === 'k' ? n / 1024 : unit === 'm' ? n : unit === 'g' ? n * 1024 : unit === 't' ? n * 1024 * 1024 : n / MiB;
  }
  return out;
}

/** The `-Xmx` of a running process, from /proc (Linux). */
export function processMaxHeapMb(pid: number): number | undefined {
  try {
    return maxHeapMb(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0'));
  } catch {
    return undefined;
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface PrivateEmulator {
  /** host:port */
  host: string;
  pid: number;
  heapMb: number;
  log: string;
  stop(): Promise<void>;
}

/** Start an emulator on a free port and wait until it answers; `stop()` ends its whole process group. */
export async function startEmulator(o: { heapMb: number; env: NodeJS.ProcessEnv; logDir: string }): Promise<PrivateEmulator> {
  const jar = emulatorJar(o.env);
  if (!jar) {
    throw new Error('the Cloud Firestore emulator jar is not installed: run `scripts/services start firestore` once (it installs it), or set FIRESTORE_EMULATOR_JAR');
  }
  const java = onPath('java', o.env) ?? (o.env['JAVA_HOME'] ? path.join(o.env['JAVA_HOME'], 'bin', 'java') : undefined);
  if (!java || !fs.existsSync(java)) throw new Error('java is not on PATH: run `scripts/services start firestore` once (it installs it)');
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  fs.mkdirSync(o.logDir, { recursive: true });
  const log = path.join(o.logDir, `firestore-emulator-${port}.log`);
  const fd = fs.openSync(log, 'a');
  let child: ChildProcess;
  try {
    child = spawn(java, ['-Xms64m', `-Xmx${o.heapMb}m`, '-XX:+UseSerialGC', '-cp', jar, EMULATOR_MAIN, 'start', '--host=127.0.0.1', `--port=${port}`], {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: o.env,
    });
  } finally {
    fs.closeSync(fd);
  }
  child.unref();
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${java}`);
  let exited = false;
  child.once('exit', () => (exited = true));

  const stop = async (): Promise<void> => {
    if (exited) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      process.kill(-pid, 'SIGTERM');
    } catch {
      return;
    }
    // A ref'd timer: the child is unref'd, so without it nothing would keep the event loop alive while we wait.
    let timeout: NodeJS.Timeout | undefined;
    const timer = new Promise<'late'>((resolve) => (timeout = setTimeout(() => resolve('late'), 10_000)));
    const first = await Promise.race([gone, timer]);
    clearTimeout(timeout);
    if (first === 'late') {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        /* gone */
      }
      await gone;
    }
  };

  // Ready when a document read answers (NOT_FOUND is an answer).
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (exited) throw new Error(`the Firestore emulator exited during start-up; see ${log}`);
    try {
      const res = await fetch(`http://${host}/v1/projects/ferry-bench/databases/(default)/documents/ferry_probe/x`, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200 || res.status === 404) break;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the Firestore emulator on ${host} did not answer within 2 minutes; see ${log}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { host, pid, heapMb: o.heapMb, log, stop };
}

/** Megabytes of memory the machine has available now. */
export function availableMb(): number {
  return os.freemem() / MiB;
}
