/**
 * `ferry demo`: the main job on a machine with no cloud account and no services. Starts PostgreSQL and DynamoDB
 * from npm packages, loads the Chinook sample database, runs plans/demo-chinook-to-dynamodb.yaml with the same code
 * path as `ferry run` (progress bars, checkpoints, verification), prints the report and stops the servers.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StateStore } from '../core/state-store.js';
import { loadPlanFile } from '../plan/index.js';
import { openStateStore } from '../state/index.js';
import { startEmbeddedServers } from './embedded-servers.js';
import { loadChinook } from './sample-db.js';

export const DEMO_PLAN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../plans/demo-chinook-to-dynamodb.yaml');

export interface DemoIo {
  say(text: string): void;
  /** Runs the job as `ferry run` does; returns the exit code. */
  execute(input: { loaded: Awaited<ReturnType<typeof loadPlanFile>>; store: StateStore }): Promise<number>;
  env: NodeJS.ProcessEnv;
}

export async function runDemo(io: DemoIo, opts: { statePath?: string } = {}): Promise<number> {
  const started = Date.now();
  const servers = await startEmbeddedServers(io.say);
  let store: StateStore | undefined;
  try {
    io.say('loading the Chinook sample database (11 tables, about 15,600 rows)');
    const pgUrl = await loadChinook(servers.pgUrl, 'chinook');
    // The plan reads these; dynalite accepts any credentials, and none of the operator's own are used.
    io.env.DEMO_PGURL = pgUrl;
    io.env.DEMO_DYNAMODB_ENDPOINT = servers.dynamodbEndpoint;
    io.env.AWS_ACCESS_KEY_ID = 'ferry-demo';
    io.env.AWS_SECRET_ACCESS_KEY = 'ferry-demo';
    io.env.AWS_REGION = 'us-east-1';
    delete io.env.AWS_PROFILE;
    const loaded = await loadPlanFile(DEMO_PLAN, io.env);
    const statePath = opts.statePath ?? path.join(servers.dir, 'ferry.db');
    store = openStateStore(statePath);
    io.say(`running plan ${path.relative(process.cwd(), DEMO_PLAN) || DEMO_PLAN} (state: ${statePath})`);
    const code = await io.execute({ loaded, store });
    io.say(`demo finished in ${((Date.now() - started) / 1000).toFixed(1)} s; stopping the embedded servers`);
    return code;
  } finally {
    await store?.close();
    await servers.stop();
    if (!opts.statePath) fs.rmSync(servers.dir, { recursive: true, force: true });
  }
}
