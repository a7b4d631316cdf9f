/**
 * DynamoDB as a target (`createSink`) and as a source (`createSource`). The implementations, and the AWS SDK with
 * them, are loaded on first use, so listing connectors or checking a plan stays fast.
 */
import type { ConnectorDescriptor } from '../../core/connector.js';
import { dynamodbOptions, dynamodbSourceStream, dynamodbTargetStream } from './options.js';

export const dynamodb: ConnectorDescriptor = {
  type: 'dynamodb',
  title: 'Amazon DynamoDB',
  kind: 'document',
  optionsSchema: dynamodbOptions,
  sourceStreamSchema: dynamodbSourceStream,
  targetStreamSchema: dynamodbTargetStream,
  rateUnits: ['wcu'],
  backupFormats: {
    dynamodb: async () => (await import('./backup-encoding.js')).dynamodbExport,
  },
  // DynamoDB's table name rule; a source may also name tables by a pattern with `*`.
  // A source names a table that exists (a missing one says so at run time); a target, one CreateTable accepts.
  streamNameProblem(role, name) {
    if (role === 'source') {
      return /^[a-zA-Z0-9_.*-]+$/.test(name) ? undefined : `"${name}" is not a DynamoDB table name or pattern: only a-z, A-Z, 0-9, "_", "-", "." and "*" may appear`;
    }
    return /^[a-zA-Z0-9_.-]{3,255}$/.test(name) ? undefined : `"${name}" is not a DynamoDB table name: 3 to 255 characters of a-z, A-Z, 0-9, "_", "-" and "."`;
  },
  async createSink(options, ctx) {
    const { createDynamoDbSink } = await import('./sink.js');
    return createDynamoDbSink(options, ctx);
  },
  async createSource(options, ctx) {
    const { createDynamoDbSource } = await import('./source.js');
    return createDynamoDbSource(options, ctx);
  },
};
