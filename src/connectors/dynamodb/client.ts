/**
 * The DynamoDB client ferry's sink and source share the configuration of.
 *
 * - Region, endpoint and credentials: the plan's options, else the AWS default chain (env, `profile` /
 *   AWS_PROFILE with ~/.aws/config and SSO, web identity, container and instance roles). Nothing is logged but the
 *   region and endpoint.
 * - Retries: ferry's engine owns retry and backoff (and adapts its rate to throttling), so the SDK retries only a
 *   transient failure (network, 5xx) once, and never a throttling error: those reach the engine at once as
 *   THROTTLED, where they slow the writer down instead of being hidden inside the SDK.
 */
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import type { ConnectorContext } from '../../core/connector.js';
import type { DynamoDbOptions } from './options.js';

/** SDK attempts per call (1 retry), for transient errors only. */
export const SDK_MAX_ATTEMPTS = 2;

interface Token {
  getRetryCount(): number;
  getRetryDelay(): number;
}

type RetryStrategyOption = NonNullable<DynamoDBClientConfig['retryStrategy']>;

/** A retry strategy (smithy RetryStrategyV2) that retries TRANSIENT / SERVER_ERROR up to `maxAttempts` and nothing else. */
export function transientOnlyRetry(maxAttempts = SDK_MAX_ATTEMPTS, baseDelayMs = 100): RetryStrategyOption {
  const token = (count: number, delay: number): Token => ({ getRetryCount: () => count, getRetryDelay: () => delay });
  const strategy = {
    mode: 'standard',
    async acquireInitialRetryToken(): Promise<Token> {
      return token(0, 0);
    },
    async refreshRetryTokenForRetry(t: Token, info: { errorType: string }): Promise<Token> {
      const count = t.getRetryCount() + 1;
      if ((info.errorType !== 'TRANSIENT' && info.errorType !== 'SERVER_ERROR') || count >= maxAttempts) {
        throw new Error('no SDK retry: ferry retries');
      }
      return token(count, Math.round(baseDelayMs * 2 ** (count - 1) * (0.5 + Math.random() / 2)));
    },
    recordSuccess(): void {},
  };
  return strategy as unknown as RetryStrategyOption;
}

export function createClient(o: DynamoDbOptions, ctx?: Pick<ConnectorContext, 'logger'>): DynamoDBClient {
  const config: DynamoDBClientConfig = {
    maxAttempts: SDK_MAX_ATTEMPTS,
    retryStrategy: transientOnlyRetry(),
    // Fail a dead connection in seconds rather than hanging a segment; a long request is still allowed to finish.
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 60_000 },
  };
  if (o.region) config.region = o.region;
  if (o.endpoint) config.endpoint = o.endpoint;
  if (o.profile) config.profile = o.profile;
  if (o.accessKeyId && o.secretAccessKey) {
    config.credentials = {
      accessKeyId: o.accessKeyId,
      secretAccessKey: o.secretAccessKey,
      ...(o.sessionToken ? { sessionToken: o.sessionToken } : {}),
    };
  }
  ctx?.logger.debug('dynamodb client', {
    region: o.region ?? '(default chain)',
    endpoint: o.endpoint ?? '(AWS)',
    credentials: o.accessKeyId ? 'plan options' : o.profile ? `profile ${o.profile}` : 'default chain',
  });
  return new DynamoDBClient(config);
}
