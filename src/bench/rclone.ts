/**
 * rclone (Debian's package; `scripts/services start` installs it) with on-the-fly remotes for the local S3 and GCS
 * servers: what the objects bench measures ferry against, and what the object tests use as an independent judge.
 *
 * - S3: `:s3,provider=Other,endpoint=...,access_key_id=...,secret_access_key=...,force_path_style=true:BUCKET`.
 * - GCS (fake-gcs-server): `:gcs,anonymous=true,endpoint=<GCS_ENDPOINT>/storage/v1/:BUCKET`, no credentials.
 *   rclone cannot create a bucket there without a project number: the caller creates it first.
 * - Always `--config /dev/null` (no config file is read or written), and without AWS_CA_BUNDLE in the environment:
 *   rclone's S3 backend refuses a custom CA bundle with a plain-HTTP endpoint.
 */
import { spawn, spawnSync } from 'node:child_process';
import { ProcessSampler } from './proc.js';

export interface S3RemoteInput {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/** A value of an rclone connection string, quoted (a `'` inside is doubled). */
export function rcloneQuote(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

export function rcloneS3Remote(s3: S3RemoteInput, bucket: string): string {
  return (
    `:s3,provider=Other,endpoint=${rcloneQuote(s3.endpoint)},access_key_id=${rcloneQuote(s3.accessKeyId)},` +
    `secret_access_key=${rcloneQuote(s3.secretAccessKey)},force_path_style=true:${bucket}`
  );
}

/** fake-gcs-server: rclone's endpoint is the JSON API base (`/storage/v1/`); no credentials. */
export function rcloneGcsRemote(gcsEndpoint: string, bucket: string): string {
  const base = gcsEndpoint.replace(/\/+$/, '').replace(/\/storage\/v1$/, '');
  return `:gcs,anonymous=true,endpoint=${rcloneQuote(`${base}/storage/v1/`)}:${bucket}`;
}

/** The environment rclone runs with: the caller's without AWS_CA_BUNDLE. */
export function rcloneEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { AWS_CA_BUNDLE: _bundle, ...rest } = env;
  return rest;
}

/** An rclone command line for a log or a report: secrets in connection strings replaced by `***`. */
export function redactRcloneArgs(args: readonly string[]): string {
  return args
    .map((a) => a.replace(/(secret_access_key=)('(?:[^']|'')*'|[^,:]*)/g, '$1***'))
    .map((a) => (/[\s'"]/.test(a) ? `"${a.replaceAll('"', '\\"')}"` : a))
    .join(' ');
}

/** The first line of `rclone version`, or undefined when rclone is not installed. */
export function rcloneVersion(): string | undefined {
  const r = spawnSync('rclone', ['version'], { encoding: 'utf8', timeout: 30_000 });
  if (r.error || r.status !== 0) return undefined;
  return r.stdout.split('\n')[0]?.trim();
}

export interface RcloneRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** From spawn to exit. */
  seconds: number;
  peakRssBytes: number | undefined;
  cpuSeconds: number | undefined;
  /** The last lines of its stderr (errors, and the summary with -v / --stats). */
  stderrTail: string[];
}

/** Runs `rclone --config /dev/null ARGS`, sampling its memory and CPU like the ferry child's. */
export async function runRclone(args: readonly string[], env: NodeJS.ProcessEnv, onSpawn?: (pid: number | undefined) => void): Promise<RcloneRun> {
  const started = performance.now();
  const child = spawn('rclone', ['--config', '/dev/null', ...args], { env: rcloneEnv(env), stdio: ['ignore', 'ignore', 'pipe'] });
  onSpawn?.(child.pid);
  const sampler = child.pid ? new ProcessSampler(child.pid, 100) : undefined;
  const stderr: string[] = [];
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr.push(...chunk.split('\n').filter((l) => l.trim() !== ''));
    if (stderr.length > 200) stderr.splice(0, stderr.length - 200);
  });
  const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.once('error', (e) => reject(new Error(`rclone could not run (${e.message}): scripts/services start installs it (apt-get install rclone)`)));
    child.once('exit', (c, s) => resolve({ code: c, signal: s }));
  });
  const seconds = (performance.now() - started) / 1000;
  const mem = sampler?.stop();
  return { code, signal, seconds, peakRssBytes: mem?.peakRssBytes, cpuSeconds: mem?.cpuSeconds, stderrTail: stderr.slice(-8) };
}
