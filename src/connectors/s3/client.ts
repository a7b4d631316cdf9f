/**
 * The S3 client of one store, from the plan's options.
 *
 * - Endpoint: the plan's `endpoint`, else the SDK's own AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL / `endpoint_url` of
 *   the profile (unless AWS_IGNORE_CONFIGURED_ENDPOINT_URLS), else AWS. S3_ENDPOINT is not read.
 * - With a custom endpoint (plan or variable): path-style addressing and region us-east-1 unless the plan says
 *   otherwise, and `request_checksums: when_required` by default, because SDKs from 3.729 on add CRC32 checksums
 *   (aws-chunked trailers on streams) that gofakes3 and other emulators do not understand. On AWS the SDK default,
 *   when_supported, stays. ferry sends Content-MD5 with every PutObject and UploadPart in both modes.
 * - Retries: the SDK's standard mode, 3 attempts, retries a throttled (SlowDown) or failed (5xx, reset) request, so
 *   one bad part does not restart a multi-gigabyte upload; uploads send buffered parts, which the SDK can re-send.
 *   What is still failing after that reaches ferry's engine as THROTTLED / TRANSIENT.
 * - followRegionRedirects: a bucket in another region than the configured one is followed, not an error.
 * - Sockets: keep-alive agents with room for many objects × parts in flight (the SDK's default is 50).
 */
import http from 'node:http';
import https from 'node:https';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import type { ConnectorContext } from '../../core/connector.js';
import type { RequestChecksums, S3Options } from './options.js';

export const SDK_MAX_ATTEMPTS = 3;
const MAX_SOCKETS = 256;

export interface S3ClientInfo {
  client: S3Client;
  /** The configured endpoint URL (plan or environment), undefined for AWS. */
  endpoint: string | undefined;
  /** `host:port` the client talks to, for messages. */
  where: string;
  region: string | undefined;
  requestChecksums: RequestChecksums;
  forcePathStyle: boolean;
}

/** The endpoint the SDK will use besides the plan's: AWS_ENDPOINT_URL_S3, then AWS_ENDPOINT_URL. */
export function environmentEndpoint(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (/^(true|1)$/i.test(env['AWS_IGNORE_CONFIGURED_ENDPOINT_URLS'] ?? '')) return undefined;
  return env['AWS_ENDPOINT_URL_S3'] || env['AWS_ENDPOINT_URL'] || undefined;
}

/** `host:port` of an endpoint URL (default ports filled in), or of AWS's regional endpoint. */
export function hostPort(endpoint: string | undefined, region: string | undefined): string {
  if (!endpoint) return `s3.${region ?? '<region>'}.amazonaws.com:443`;
  try {
    const u = new URL(endpoint);
    const port = u.port || (u.protocol === 'http:' ? '80' : '443');
    return `${u.hostname}:${port}`;
  } catch {
    return endpoint;
  }
}

export function createS3Client(o: S3Options, ctx?: Pick<ConnectorContext, 'logger'>, env: NodeJS.ProcessEnv = process.env): S3ClientInfo {
  const endpoint = o.endpoint ?? environmentEndpoint(env);
  const custom = endpoint !== undefined;
  const region = o.region ?? (custom ? env['AWS_REGION'] || env['AWS_DEFAULT_REGION'] || 'us-east-1' : undefined);
  const requestChecksums: RequestChecksums = o.requestChecksums ?? (custom ? 'when_required' : 'when_supported');
  const forcePathStyle = o.forcePathStyle ?? custom;
  const mode = requestChecksums === 'when_required' ? 'WHEN_REQUIRED' : 'WHEN_SUPPORTED';
  const config: S3ClientConfig = {
    maxAttempts: SDK_MAX_ATTEMPTS,
    forcePathStyle,
    followRegionRedirects: true,
    requestChecksumCalculation: mode,
    responseChecksumValidation: mode,
    // Fail a dead connection in seconds; a socket may stay idle for two minutes (a GetObject body waits while the
    // parts it feeds are uploading).
    requestHandler: {
      connectionTimeout: 5_000,
      requestTimeout: 120_000,
      httpAgent: new http.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS }),
      httpsAgent: new https.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS }),
    },
  };
  if (o.endpoint) config.endpoint = o.endpoint;
  if (region) config.region = region;
  if (o.profile) config.profile = o.profile;
  if (o.accessKeyId && o.secretAccessKey) {
    config.credentials = {
      accessKeyId: o.accessKeyId,
      secretAccessKey: o.secretAccessKey,
      ...(o.sessionToken ? { sessionToken: o.sessionToken } : {}),
    };
  }
  const shownRegion = region ?? (env['AWS_REGION'] || env['AWS_DEFAULT_REGION'] || undefined);
  const where = hostPort(endpoint, shownRegion);
  ctx?.logger.debug('s3 client', {
    bucket: o.bucket,
    region: region ?? '(default chain)',
    endpoint: endpoint ?? '(AWS)',
    forcePathStyle,
    requestChecksums,
    credentials: o.accessKeyId ? 'plan options' : o.profile ? `profile ${o.profile}` : 'default chain',
  });
  return { client: new S3Client(config), endpoint, where, region: shownRegion, requestChecksums, forcePathStyle };
}
