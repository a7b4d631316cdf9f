/**
 * The Cloud Storage client of ferry's GCS store.
 *
 * - Endpoint: the plan's `endpoint`, else $STORAGE_EMULATOR_HOST, else $GCS_ENDPOINT, else Google. It is normalised
 *   (`host:port` → `http://host:port`; trailing `/` and `/storage/v1` removed) and given to the SDK as `apiEndpoint`.
 *   The SDK (@google-cloud/storage 8, as 7 did) also reads $STORAGE_EMULATOR_HOST itself and then takes it, verbatim, as the
 *   JSON API base URL — without `/storage/v1`, and without a scheme when the variable is `host:port` — so every call
 *   to fake-gcs-server would 404 (or fail with "Only HTTP(S) protocols are supported"). The client is therefore
 *   constructed with the variable hidden (`newStorage`), so the SDK builds its base URL from `apiEndpoint` through
 *   public options only; uploads and downloads are built from `apiEndpoint` too.
 * - Credentials: with an emulator (an endpoint outside googleapis.com) none are used: the SDK sends requests
 *   unauthenticated (`useAuthWithCustomEndpoint: false`, and resumable uploads go through plain gaxios), and the
 *   project id is known up front, so nothing ever asks a GCE metadata server for a token or a project. Otherwise a
 *   service-account `key_file` (a path the auth library reads; its content never passes through ferry), else
 *   Application Default Credentials. Only the endpoint, the project and the kind of credentials are logged.
 * - Retries: ferry's engine owns retry and backoff, and adapts its rate to throttling, so the SDK retries only
 *   connection resets and 408/500/502/504, at most twice and at most a second apart (idempotently: ferry's writes
 *   are whole-object overwrites by name); 429 and 503 reach the engine at once as THROTTLED. (The SDK's request
 *   layer also retries any request that got no response at all, ECONNREFUSED included, as often: an unreachable
 *   endpoint is reported after about two seconds.)
 */
import { IdempotencyStrategy, Storage, type StorageOptions } from '@google-cloud/storage';
import type { ConnectorContext } from '../../core/connector.js';
import type { GcsOptions } from './options.js';

export const GOOGLE_ENDPOINT = 'https://storage.googleapis.com';
/** The project an emulator is given when none is configured: fake-gcs-server ignores it. */
export const EMULATOR_PROJECT = 'ferry';
export const SDK_MAX_RETRIES = 2;

export type EndpointSource = 'plan' | 'STORAGE_EMULATOR_HOST' | 'GCS_ENDPOINT' | 'google';

export interface ResolvedEndpoint {
  /** Normalised URL without a trailing slash, e.g. `http://127.0.0.1:4443`. */
  url: string;
  /** host:port, for messages. */
  host: string;
  /** True for an endpoint outside googleapis.com: no credentials are used. */
  emulator: boolean;
  source: EndpointSource;
}

export interface GcsClient {
  storage: Storage;
  endpoint: ResolvedEndpoint;
  project: string | undefined;
}

/** `host:port` → `http://host:port` (https:// for a googleapis.com host); trailing `/` and `/storage/v1` removed. */
export function normaliseEndpoint(raw: string): string {
  let url = raw.trim();
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    const host = url.split(/[/:]/)[0] ?? '';
    url = `${isGoogleHost(host) ? 'https' : 'http'}://${url}`;
  }
  return url.replace(/\/+$/, '').replace(/\/storage\/v1$/, '').replace(/\/+$/, '');
}

function isGoogleHost(hostname: string): boolean {
  const h = hostname.toLowerCase();
  return h === 'googleapis.com' || h.endsWith('.googleapis.com');
}

function hostOf(url: string): string {
  try {
    const u = new URL(url);
    return u.port ? u.host : `${u.hostname}:${u.protocol === 'http:' ? 80 : 443}`;
  } catch {
    return url;
  }
}

/** The endpoint to use: the plan's, else $STORAGE_EMULATOR_HOST, else $GCS_ENDPOINT, else Google. */
export function resolveEndpoint(planEndpoint: string | undefined, env: NodeJS.ProcessEnv = process.env): ResolvedEndpoint {
  const candidates: [EndpointSource, string | undefined][] = [
    ['plan', planEndpoint],
    ['STORAGE_EMULATOR_HOST', env['STORAGE_EMULATOR_HOST']],
    ['GCS_ENDPOINT', env['GCS_ENDPOINT']],
  ];
  for (const [source, value] of candidates) {
    if (value === undefined || value.trim() === '') continue;
    const url = normaliseEndpoint(value);
    let hostname = '';
    try {
      hostname = new URL(url).hostname;
    } catch {
      hostname = '';
    }
    return { url, host: hostOf(url), emulator: !isGoogleHost(hostname), source };
  }
  return { url: GOOGLE_ENDPOINT, host: 'storage.googleapis.com:443', emulator: false, source: 'google' };
}

/** What the SDK may retry by itself: connection resets and 408/500/502/504, never throttling (429/503). */
export function sdkRetryable(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { code?: unknown; status?: unknown; errors?: { reason?: unknown }[] };
  const status = typeof e.code === 'number' ? e.code : typeof e.status === 'number' ? e.status : Number(e.code);
  if ([408, 500, 502, 504].includes(status)) return true;
  const reasons = [typeof e.code === 'string' ? e.code : '', ...(Array.isArray(e.errors) ? e.errors.map((x) => String(x?.reason ?? '')) : [])];
  return reasons.some((r) => {
    const s = r.toLowerCase();
    return s.includes('eai_again') || s === 'econnreset' || s === 'epipe' || s === 'unexpected connection closure' || s === 'socket connection timeout';
  });
}

/**
 * `new Storage(options)` with $STORAGE_EMULATOR_HOST out of its sight: the constructor would take the variable
 * verbatim as its base URL (see above), while `apiEndpoint` (which ferry resolved from the same variable) gives it
 * `<endpoint>/storage/v1`. Only the constructor reads it for the calls ferry makes; the variable is put back at once.
 */
export function newStorage(options: StorageOptions, env: NodeJS.ProcessEnv = process.env): Storage {
  const saved = env['STORAGE_EMULATOR_HOST'];
  if (saved === undefined) return new Storage(options);
  delete env['STORAGE_EMULATOR_HOST'];
  try {
    return new Storage(options);
  } finally {
    env['STORAGE_EMULATOR_HOST'] = saved;
  }
}

export function createClient(o: GcsOptions, ctx?: Pick<ConnectorContext, 'logger'>, env: NodeJS.ProcessEnv = process.env): GcsClient {
  const endpoint = resolveEndpoint(o.endpoint, env);
  const envHost = env['STORAGE_EMULATOR_HOST'];
  if (o.endpoint && envHost && normaliseEndpoint(envHost) !== endpoint.url) {
    ctx?.logger.warn('the plan\'s `endpoint` overrides STORAGE_EMULATOR_HOST', { endpoint: endpoint.url, STORAGE_EMULATOR_HOST: envHost });
  }
  const options: StorageOptions = {
    retryOptions: {
      autoRetry: true,
      maxRetries: SDK_MAX_RETRIES,
      retryableErrorFn: sdkRetryable,
      idempotencyStrategy: IdempotencyStrategy.RetryAlways,
      // Seconds. Short waits: the SDK's retries are for a dropped connection; the engine does the real backoff.
      maxRetryDelay: 1,
      totalTimeout: 120,
    },
  };
  let project = o.project;
  if (endpoint.emulator) {
    project ??= env['GOOGLE_CLOUD_PROJECT'] || env['GCLOUD_PROJECT'] || EMULATOR_PROJECT;
    options.apiEndpoint = endpoint.url;
    options.useAuthWithCustomEndpoint = false;
  } else {
    if (endpoint.source !== 'google') {
      options.apiEndpoint = endpoint.url;
      options.useAuthWithCustomEndpoint = true;
    }
    if (o.keyFile) options.keyFilename = o.keyFile;
  }
  if (project) options.projectId = project;

  const storage = newStorage(options);

  ctx?.logger.debug('gcs client', {
    endpoint: endpoint.url,
    from: endpoint.source,
    project: project ?? '(from the credentials)',
    credentials: endpoint.emulator ? 'none (emulator)' : o.keyFile ? 'key file' : 'application default credentials',
  });
  return { storage, endpoint, project };
}
