/**
 * The source's connections: one pg.Pool whose clients all speak the session settings decode.ts relies on, and
 * queries that stop when the caller's AbortSignal fires.
 *
 * Cancellation sends PostgreSQL's own CancelRequest (a separate short TCP connection carrying the backend's pid and
 * secret key, so it works when the pool is exhausted) and, if the statement is still running 3 s later, destroys the
 * socket. A client whose query failed or was cancelled is destroyed rather than returned to the pool: its
 * transaction state is unknown, and a late cancel must never hit the next statement run on it.
 */
import net from 'node:net';
import pg from 'pg';
import type { Logger } from '../../core/connector.js';
import { FerryError } from '../../errors.js';
import { SESSION_SETUP, type PgConnectionSetup } from './connection.js';
import { toFerryError, type PgErrorContext } from './errors.js';

/** Runs one statement on a held client; rows come back as arrays of raw text (see decode.ts). */
export type Query = (text: string, values?: readonly unknown[]) => Promise<pg.QueryArrayResult<unknown[]>>;

interface ClientInternals {
  processID: number | null;
  secretKey: number | null;
  connection?: { stream?: { destroy(): void } };
}

const CANCEL_REQUEST_CODE = 80877102;
const DESTROY_AFTER_CANCEL_MS = 3_000;

export class PgConnections {
  readonly pool: pg.Pool;

  constructor(
    private readonly setup: PgConnectionSetup,
    readonly max: number,
    private readonly logger: Logger,
  ) {
    // pg-pool applies connectionTimeoutMillis to waiting for a free client as well as to connecting. Waiting is
    // ordinary back-pressure here (and ends with the caller's signal), so only the connect itself is timed: by the
    // client, which gets the timeout through its own config.
    const connectTimeout = setup.config.connectionTimeoutMillis ?? 0;
    class TimedClient extends pg.Client {
      constructor(config?: pg.ClientConfig) {
        // pg-pool keeps the password as a non-enumerable property, which a spread would drop.
        super({ ...config, password: config?.password, connectionTimeoutMillis: connectTimeout });
      }
    }
    this.pool = new pg.Pool({
      ...setup.config,
      Client: TimedClient,
      connectionTimeoutMillis: 0,
      max,
      idleTimeoutMillis: 30_000,
      // Awaited by pg-pool before the client is handed out, so no statement of ours runs with server defaults.
      onConnect: async (client: pg.ClientBase) => {
        await client.query(SESSION_SETUP);
      },
    });
    // An idle client that loses its connection must not crash the process; the pool drops it by itself.
    this.pool.on('error', (e) => this.logger.warn('an idle PostgreSQL connection failed; it will be replaced', { error: this.errorOf(e).message }));
  }

  errorOf(e: unknown, extra: Partial<PgErrorContext> = {}): FerryError {
    return toFerryError(e, { endpoint: this.setup.endpoint, secrets: this.setup.secrets, ...extra });
  }

  /**
   * Hold a client for `fn`, with a `Query` that cancels on abort. Errors are FerryErrors (INTERRUPTED when `signal`
   * fired). `ctx` adds context to error messages.
   */
  async with<T>(signal: AbortSignal, ctx: Partial<PgErrorContext>, fn: (query: Query) => Promise<T>): Promise<T> {
    if (signal.aborted) throw this.errorOf(new Error('aborted'), { ...ctx, aborted: true });
    let client: pg.PoolClient;
    try {
      client = await this.acquire(signal);
    } catch (e) {
      throw this.errorOf(e, { ...ctx, aborted: signal.aborted });
    }
    let broken = false;
    const query: Query = (text, values) => this.cancellable(client, text, values, signal);
    try {
      return await fn(query);
    } catch (e) {
      broken = true;
      throw this.errorOf(e, { ...ctx, aborted: signal.aborted });
    } finally {
      client.release(broken);
    }
  }

  /** pool.connect() cannot be abandoned; on abort we stop waiting and hand the client back when it comes. */
  private acquire(signal: AbortSignal): Promise<pg.PoolClient> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const onAbort = (): void => {
        if (settled) return;
        settled = true;
        reject(new Error('aborted while waiting for a connection'));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.pool.connect().then(
        (client) => {
          signal.removeEventListener('abort', onAbort);
          if (settled) client.release();
          else {
            settled = true;
            resolve(client);
          }
        },
        (e: unknown) => {
          signal.removeEventListener('abort', onAbort);
          if (!settled) {
            settled = true;
            reject(e);
          }
        },
      );
    });
  }

  private async cancellable(client: pg.PoolClient, text: string, values: readonly unknown[] | undefined, signal: AbortSignal) {
    if (signal.aborted) throw new Error('aborted');
    let timer: NodeJS.Timeout | undefined;
    const onAbort = (): void => {
      this.sendCancel(client);
      timer = setTimeout(() => (client as unknown as ClientInternals).connection?.stream?.destroy(), DESTROY_AFTER_CANCEL_MS);
      timer.unref();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      return await client.query<unknown[]>({ text, values: values as unknown[] | undefined, rowMode: 'array' });
    } finally {
      signal.removeEventListener('abort', onAbort);
      if (timer) clearTimeout(timer);
    }
  }

  /** The protocol's CancelRequest on a fresh socket (plain TCP: servers accept it before any TLS or auth). */
  private sendCancel(client: pg.PoolClient): void {
    const { processID, secretKey } = client as unknown as ClientInternals;
    if (processID === null || secretKey === null) return;
    const { host, port } = this.setup.endpoint;
    const socket = host.startsWith('/') ? net.connect(`${host}/.s.PGSQL.${port}`) : net.connect(port, host);
    socket.on('error', () => {}); // best effort: the destroy fallback still ends the statement
    socket.setTimeout(DESTROY_AFTER_CANCEL_MS, () => socket.destroy());
    socket.on('connect', () => {
      const msg = Buffer.alloc(16);
      msg.writeInt32BE(16, 0);
      msg.writeInt32BE(CANCEL_REQUEST_CODE, 4);
      msg.writeInt32BE(processID, 8);
      msg.writeInt32BE(secretKey, 12);
      socket.end(msg);
    });
  }

  async end(): Promise<void> {
    await this.pool.end().catch(() => {});
  }
}

export function interrupted(what: string): FerryError {
  return new FerryError('INTERRUPTED', `${what}: cancelled`);
}
