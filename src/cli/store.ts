import fs from 'node:fs';
import type { StateStore } from '../core/state-store.js';
import { openStateStore } from '../state/index.js';
import { statePath, type CliContext, type GlobalArgs } from './context.js';

/** Open the state DB. Read-only commands pass `create: false` and get undefined when there is none yet. */
export function openStore(ctx: CliContext, args: GlobalArgs, opts: { create: boolean }): StateStore | undefined {
  const file = statePath(ctx, args);
  if (!opts.create && !fs.existsSync(file)) return undefined;
  return openStateStore(file);
}

export async function withStore<T>(
  ctx: CliContext,
  args: GlobalArgs,
  opts: { create: boolean },
  fn: (store: StateStore | undefined) => Promise<T> | T,
): Promise<T> {
  const store = openStore(ctx, args, opts);
  try {
    return await fn(store);
  } finally {
    await store?.close();
  }
}
