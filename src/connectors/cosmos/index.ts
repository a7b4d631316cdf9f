import type { ConnectorDescriptor } from '../../core/connector.js';
import { cosmosOptions, cosmosSourceStream, cosmosTargetStream } from './options.js';

export const cosmos: ConnectorDescriptor = {
  type: 'cosmos',
  title: 'Azure Cosmos DB',
  kind: 'document',
  optionsSchema: cosmosOptions,
  sourceStreamSchema: cosmosSourceStream,
  targetStreamSchema: cosmosTargetStream,
  rateUnits: ['ru'],
};
