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
};
