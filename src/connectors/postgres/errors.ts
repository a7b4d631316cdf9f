/**
 * PostgreSQL and network failures → FerryError with a retryability, a message an operator can act on, and never a
 * password. SQLSTATE classes follow the PostgreSQL manual (Appendix A); node-level failures are recognised by their
 * errno code or, for pg's own timeouts, by message.
 */
import pg from 'pg';
import { FerryError, isFerryError, redact } from '../../errors.js';
import { endpointText, type PgEndpoint } from './connection.js';
import { UNREACHABLE_CODES as NETWORK_CODES } from '../../util/network-errors.js';

export interface PgErrorContext {
  endpoint: PgEndpoint;
  secrets: readonly string[];
  /** True when our own AbortSignal fired: a cancelled statement is then an interruption, not a failure. */
  aborted?: boolean;
  /** `schema.table` the statement was about, for NOT_FOUND messages. */
  relation?: string;
  /** What we were doing, e.g. `reading public.invoice`; prefixes messages that need context. */
  doing?: string;
  /** Hint for syntax/undefined-column errors (class 42), e.g. pointing at the stream's `where`. */
  sqlHint?: string;
}

const CONNECTION_LOST_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);
const TLS_CODES = /^(?:ERR_TLS_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|ERR_SSL_)/;

/** Remove credentials: URL userinfo and key=value pairs (redact), and any literal secret we were given. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = redact(text);
  for (const s of secrets) if (s.length >= 1) out = out.split(s).join('***');
  return out;
}

function sqlstateOf(e: unknown): string | undefined {
  return e instanceof pg.DatabaseError && typeof e.code === 'string' ? e.code : undefined;
}

export function toFerryError(e: unknown, ctx: PgErrorContext): FerryError {
  if (isFerryError(e)) return e;
  const where = endpointText(ctx.endpoint);
  const raw = e instanceof Error ? e.message : String(e);
  const message = (text: string): string => scrub(ctx.doing ? `${ctx.doing}: ${text}` : text, ctx.secrets);
  const details = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({ endpoint: where, ...extra });

  if (ctx.aborted) return new FerryError('INTERRUPTED', message('cancelled'), { details: details() });

  const state = sqlstateOf(e);
  if (state) {
    const server = scrub(raw, ctx.secrets);
    const opts = { details: details({ sqlstate: state }) };
    if (state === '28P01') {
      return new FerryError('AUTH', message(`password authentication failed for user ${ctx.endpoint.user}; check the password in the plan's url/env`), {
        ...opts,
        hint: `the server at ${where} refused the password: check \`password\` (or the password inside \`url\`) and the \${env:...} variable it comes from`,
      });
    }
    if (state === '28000') {
      return new FerryError('AUTH', message(server), {
        ...opts,
        hint: `the server at ${where} does not let user ${ctx.endpoint.user} in (pg_hba.conf or role): check user, database and ssl in the plan`,
      });
    }
    if (state === '42501') {
      return new FerryError('AUTH', message(server), { ...opts, hint: `grant user ${ctx.endpoint.user} SELECT on what the plan reads` });
    }
    if (state === '3D000') {
      return new FerryError('NOT_FOUND', message(server), {
        ...opts,
        hint: `check the database name in the plan's url or \`database\` (server ${where})`,
      });
    }
    if (state === '42P01') {
      return new FerryError('NOT_FOUND', message(ctx.relation ? `table ${ctx.relation} does not exist` : server), {
        ...opts,
        hint: 'the table was dropped or renamed, or the plan names it wrongly',
      });
    }
    if (state === '57014') {
      // Not our signal: statement_timeout or an operator's pg_cancel_backend. Worth another try.
      return new FerryError('TRANSIENT', message(server), { ...opts, hint: 'a statement was cancelled by the server (statement_timeout?)' });
    }
    if (state === '22023' && /snapshot/i.test(raw)) {
      // The connection holding the exported snapshot is gone: retrying cannot bring it back, resuming can.
      return new FerryError('UNREACHABLE', message(`the job's snapshot is gone (${server})`), {
        ...opts,
        retry: 'terminal',
        hint: 'the connection holding the exported snapshot was closed; resume the job (it will read a new snapshot)',
      });
    }
    if (state === '40001' || state === '40P01' || state === '55P03' || state.startsWith('08') || state.startsWith('53') || state.startsWith('57P')) {
      return new FerryError('TRANSIENT', message(server), opts);
    }
    if (state.startsWith('42')) {
      return new FerryError('CONFIG', message(server), { ...opts, ...(ctx.sqlHint ? { hint: ctx.sqlHint } : {}) });
    }
    return new FerryError('INTERNAL', message(`PostgreSQL error ${state}: ${server}`), opts);
  }

  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) {
    return new FerryError('UNREACHABLE', message(`cannot reach PostgreSQL at ${where} (${code})`), {
      details: details({ errno: code }),
      hint: `check that a server listens on ${where} and accepts connections from here (host and port in the plan's url or fields)`,
    });
  }
  if (typeof code === 'string' && CONNECTION_LOST_CODES.has(code)) {
    return new FerryError('TRANSIENT', message(`the connection to PostgreSQL at ${where} was lost (${code})`), { details: details({ errno: code }) });
  }
  if (typeof code === 'string' && TLS_CODES.test(code)) {
    return new FerryError('CONFIG', message(`TLS with PostgreSQL at ${where} failed: ${scrub(raw, ctx.secrets)}`), {
      details: details({ errno: code }),
      hint: 'check `ssl` in the plan: `ca_file` for a private CA, or `mode: require` to encrypt without verifying',
    });
  }
  if (/^timeout expired$|connection timeout/i.test(raw)) {
    return new FerryError('UNREACHABLE', message(`no answer from PostgreSQL at ${where} in time`), {
      details: details(),
      hint: `check that ${where} is reachable from here (firewall, security group), and that the server is not overloaded`,
    });
  }
  if (/Connection terminated|terminated unexpectedly|Client has encountered a connection error/i.test(raw)) {
    return new FerryError('TRANSIENT', message(`the connection to PostgreSQL at ${where} was lost`), { details: details() });
  }
  if (/does not support SSL/i.test(raw)) {
    return new FerryError('CONFIG', message(`PostgreSQL at ${where} does not support TLS`), {
      details: details(),
      hint: 'set `ssl: false` in the plan, or enable TLS on the server',
    });
  }
  return new FerryError('INTERNAL', message(scrub(raw, ctx.secrets)), { details: details() });
}
