/**
 * Running the real `bin/ferry.js` (compiled by `npm test`'s pretest) against the test servers: the flagship flow as
 * an operator runs it, with exit codes, JSON-line events and the state database.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'bin/ferry.js');

export interface Run {
  code: number | null;
  out: string;
  err: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests cast each event to the shape they assert
  events: { type: string; [k: string]: any }[];
}

export function workDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function parseEvents(out: string): Run['events'] {
  return out
    .split('\n')
    .filter((l) => l.startsWith('{') && l.endsWith('}'))
    .map((l) => JSON.parse(l) as Run['events'][number]);
}

export function ferry(args: string[], opts: { cwd: string; env?: Record<string, string> }): Run {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: opts.cwd,
    encoding: 'utf8',
    env: { ...process.env, ...opts.env },
    maxBuffer: 256 * 1024 * 1024,
  });
  return { code: r.status, out: r.stdout, err: r.stderr, events: parseEvents(r.stdout) };
}

/** Start ferry in the background; `onLine` sees each stdout line as it arrives. */
export function ferryAsync(args: string[], opts: { cwd: string; env?: Record<string, string>; onLine?: (line: string, child: ChildProcess) => void }): {
  child: ChildProcess;
  done: Promise<Run>;
} {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let pending = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    pending += d;
    let i: number;
    while ((i = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, i);
      pending = pending.slice(i + 1);
      opts.onLine?.(line, child);
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const done = new Promise<Run>((resolve) => child.on('close', (code) => resolve({ code, out, err, events: parseEvents(out) })));
  return { child, done };
}

export function writePlan(dir: string, name: string, lines: string[]): string {
  const file = path.join(dir, `${name}.yaml`);
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

/**
 * Node's own warnings as they reach stderr: `(node:1234) DeprecationWarning: …`, `MaxListenersExceededWarning`,
 * an SDK's "upgrade your Node" notice. An operator reads them as something wrong, so ferry must print none.
 */
const WARNING = /\(node:\d+\) \[?\w*\]? ?\w*Warning|\bDEP\d{4}\b|--trace-(deprecation|warnings)|will require node|NodeDeprecationWarning/i;

export function warningsIn(stderr: string): string[] {
  return stderr.split('\n').filter((l) => WARNING.test(l));
}
