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
  // DynamoDB's table name rule; a source may also name tables by a pattern with `*`.
  streamNameProblem(role, name) {
    const allowed = role === 'source' ? /^[a-zA-Z0-9_.*-]+$/ : /^[a-zA-Z0-9_.-]+$/;
    if (role === 'source' && name.includes('*')) return allowed.test(name) ? undefined : `"${name}" is not a DynamoDB table name or pattern: only a-z, A-Z, 0-9, "_", "-", "." and "*" may appear`;
    // A source names a table that exists; a target one that CreateTable accepts (a missing source says so at run).
    if (allowed.test(name) && (role === 'source' || (name.length >= 3 && name.length <= 255))) return undefined;
    return `"${name}" is not a DynamoDB table name: 3 to 255 characters of a-z, A-Z, 0-9, "_", "-" and "."`;
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
