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
  async createSink(options, ctx) {
    const { createDynamoDbSink } = await import('./sink.js');
    return createDynamoDbSink(options, ctx);
  },
  async createSource(options, ctx) {
    const { createDynamoDbSource } = await import('./source.js');
    return createDynamoDbSource(options, ctx);
  },
};
