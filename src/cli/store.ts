import fs from 'node:fs';
import type { StateStore } from '../core/state-store.js';
import { isPostgresUrl, openState } from '../state/index.js';
import { statePath, type CliContext, type GlobalArgs } from './context.js';

/**
 * Open the state: a SQLite file, or the shared PostgreSQL state (`postgres://…`). Read-only commands pass
 * `create: false` and get undefined when there is no SQLite file yet (a PostgreSQL state is opened, and its schema
 * created, either way).
 */
export async function openStore(ctx: CliContext, args: GlobalArgs, opts: { create: boolean }): Promise<StateStore | undefined> {
  const where = statePath(ctx, args);
  if (!isPostgresUrl(where) && !opts.create && !fs.existsSync(where)) return undefined;
  return openState(where);
}

export async function withStore<T>(
  ctx: CliContext,
  args: GlobalArgs,
  opts: { create: boolean },
  fn: (store: StateStore | undefined) => Promise<T> | T,
): Promise<T> {
  const store = await openStore(ctx, args, opts);
  try {
    return await fn(store);
  } finally {
    await store?.close();
  }
}
