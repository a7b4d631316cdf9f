/**
 * Real servers for the integration tests. If every endpoint variable is already set (CI runs `scripts/services
 * start` and evals `scripts/services env` before `npm test`; a developer may point at servers of their own), they
 * are used as they are. Otherwise `scripts/services start` starts what is not running, and the servers this run
 * started are stopped at teardown; servers that were already up are left alone.
 *
 * The variables reach the tests twice over: through process.env (inherited by the forked workers) and through
 * `provide`, which test/support/service-env.ts copies into each test file's process.env.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

export const SERVICE_ENV_NAMES = [
  'PGURL',
  'DYNAMODB_ENDPOINT',
  'FIRESTORE_EMULATOR_HOST',
  'FIRESTORE_PROJECT_ID',
  'GCLOUD_PROJECT',
  'METADATA_SERVER_DETECTION',
  'GCS_ENDPOINT',
  'S3_ENDPOINT',
  'AZURITE_BLOB_URL',
  'AZURE_STORAGE_CONNECTION_STRING',
  'COSMOS_ENDPOINT',
  'COSMOS_KEY',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_REGION',
] as const;

declare module 'vitest' {
  export interface ProvidedContext {
    ferryServiceEnv: Record<string, string>;
  }
}

const SERVICES = fileURLToPath(new URL('../scripts/services', import.meta.url));

function services(args: string[], stdout: 'pipe' | 'inherit' = 'pipe'): string {
  // Progress and errors go to stderr, which is the terminal here.
  const out = execFileSync(SERVICES, args, { stdio: ['ignore', stdout, 'inherit'], encoding: 'utf8' });
  return out ?? '';
}

export default function setup(project: TestProject): (() => void) | undefined {
  let teardown: (() => void) | undefined;
  const missing = SERVICE_ENV_NAMES.filter((name) => !process.env[name]);
  if (missing.length > 0) {
    const before = JSON.parse(services(['status', '--json'])) as { name: string; up: boolean }[];
    const wasUp = new Set(before.filter((s) => s.up).map((s) => s.name));
    try {
      services(['start'], 'inherit');
    } catch {
      throw new Error('scripts/services start failed (its messages are above); integration tests need its servers');
    }
    const started = before.map((s) => s.name).filter((name) => !wasUp.has(name));
    if (started.length > 0) teardown = () => void services(['stop', ...started], 'inherit');
    Object.assign(process.env, JSON.parse(services(['env', '--json'])) as Record<string, string>);
  }
  const env: Record<string, string> = {};
  for (const name of SERVICE_ENV_NAMES) {
    const value = process.env[name];
    if (!value) throw new Error(`${name} is not set after scripts/services start`);
    env[name] = value;
  }
  project.provide('ferryServiceEnv', env);
  return teardown;
}
