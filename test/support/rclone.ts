/**
 * rclone (Debian's package, installed by scripts/services) as an independent judge of ferry's object copies, with
 * on-the-fly remotes for the local S3 and GCS servers. rclone's S3 backend refuses a custom CA bundle with a plain
 * HTTP endpoint, so AWS_CA_BUNDLE is left out of its environment.
 */
import { spawnSync } from 'node:child_process';
import { serviceEnv } from './clients.js';

export function rcloneS3(bucket: string): string {
  return `:s3,provider=Other,endpoint='${serviceEnv('S3_ENDPOINT')}',access_key_id='${serviceEnv('AWS_ACCESS_KEY_ID')}',secret_access_key='${serviceEnv('AWS_SECRET_ACCESS_KEY')}',force_path_style=true:${bucket}`;
}

/** fake-gcs-server: rclone's endpoint is the JSON API base; no credentials. */
export function rcloneGcs(bucket: string): string {
  return `:gcs,anonymous=true,endpoint='${serviceEnv('GCS_ENDPOINT')}/storage/v1/':${bucket}`;
}

export function rclone(args: string[]): { code: number | null; out: string; err: string } {
  const { AWS_CA_BUNDLE: _bundle, ...env } = process.env;
  const r = spawnSync('rclone', ['--config', '/dev/null', ...args], { encoding: 'utf8', env, maxBuffer: 64 * 1024 * 1024, timeout: 300_000 });
  if (r.error) throw new Error(`rclone could not run (${r.error.message}): scripts/services start installs it (apt-get install rclone)`);
  return { code: r.status, out: r.stdout, err: r.stderr };
}
