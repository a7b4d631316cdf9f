/**
 * rclone (Debian's package, installed by scripts/services) as an independent judge of ferry's object copies, with
 * on-the-fly remotes for the local S3 and GCS servers (built by src/bench/rclone.ts, which the objects bench shares).
 * rclone's S3 backend refuses a custom CA bundle with a plain HTTP endpoint, so AWS_CA_BUNDLE is left out of its
 * environment.
 */
import { spawnSync } from 'node:child_process';
import { rcloneEnv, rcloneGcsRemote, rcloneS3Remote } from '../../src/bench/rclone.js';
import { serviceEnv } from './clients.js';

export function rcloneS3(bucket: string): string {
  return rcloneS3Remote(
    { endpoint: serviceEnv('S3_ENDPOINT'), accessKeyId: serviceEnv('AWS_ACCESS_KEY_ID'), secretAccessKey: serviceEnv('AWS_SECRET_ACCESS_KEY') },
    bucket,
  );
}

/** fake-gcs-server: rclone's endpoint is the JSON API base; no credentials. */
export function rcloneGcs(bucket: string): string {
  return rcloneGcsRemote(serviceEnv('GCS_ENDPOINT'), bucket);
}

export function rclone(args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync('rclone', ['--config', '/dev/null', ...args], { encoding: 'utf8', env: rcloneEnv(process.env), maxBuffer: 64 * 1024 * 1024, timeout: 300_000 });
  if (r.error) throw new Error(`rclone could not run (${r.error.message}): scripts/services start installs it (apt-get install rclone)`);
  return { code: r.status, out: r.stdout, err: r.stderr };
}
