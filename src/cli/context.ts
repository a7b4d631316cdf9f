import path from 'node:path';
import type { ConnectorContext } from '../core/connector.js';
import type { FerryRecord } from '../core/record.js';
import type { Source } from '../core/source.js';
import { openConnectors, openTargetSource, type OpenConnectors } from '../engine/index.js';
import type { Plan } from '../plan/types.js';
import { isPostgresUrl } from '../state/index.js';
import { reportError, type Io } from './output.js';

/** Global options every command sees. */
export interface GlobalArgs {
  state?: string;
  json?: boolean;
  debug?: boolean;
}

export interface CliContext {
  io: Io;
  /** The registry's connectors; tests of the CLI's own behaviour (signals, exit codes) pass in-memory ones. */
  openConnectors: (plan: Plan, ctx: ConnectorContext) => Promise<OpenConnectors>;
  /** The target read back through its own connector, for verification. */
  openTargetSource: (plan: Plan, ctx: ConnectorContext, opts?: { jobId?: string; set?: string }) => Promise<Source<FerryRecord>>;
  /** Set by the command's handler; main returns it. */
  exitCode: number;
}

/**
 * `--state`, else FERRY_STATE, else state/ferry.db under the working directory: a SQLite file path (resolved), or a
 * `postgres://` URL of the shared state (kept as given; pass its password by FERRY_STATE or PGPASSWORD, not argv).
 */
export function statePath(ctx: CliContext, args: GlobalArgs): string {
  const p = args.state ?? ctx.io.env.FERRY_STATE ?? path.join('state', 'ferry.db');
  return isPostgresUrl(p) ? p : path.resolve(ctx.io.cwd, p);
}

/** JSON when asked, or when stdout is not a terminal (pipes, CI logs). */
export function wantsJson(ctx: CliContext, args: GlobalArgs): boolean {
  return Boolean(args.json) || !ctx.io.isTTY;
}

/** Wrap a handler: any error becomes one clear message and an exit code, never an unhandled rejection. */
export function handler<A extends GlobalArgs>(ctx: CliContext, fn: (args: A) => Promise<number> | number) {
  return async (args: A): Promise<void> => {
    try {
      ctx.exitCode = await fn(args);
    } catch (e) {
      ctx.exitCode = reportError(ctx.io, e, Boolean(args.debug));
    }
  };
}

export const defaultOpenConnectors = openConnectors;
export const defaultOpenTargetSource = (plan: Plan, ctx: ConnectorContext, opts?: { jobId?: string; set?: string }): Promise<Source<FerryRecord>> => openTargetSource(plan, ctx, opts);
