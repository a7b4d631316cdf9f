import type { ConnectorDescriptor } from '../../core/connector.js';
import { postgresOptions, postgresSourceStream, postgresTargetStream } from './options.js';

export const postgres: ConnectorDescriptor = {
  type: 'postgres',
  title: 'PostgreSQL',
  kind: 'document',
  optionsSchema: postgresOptions,
  sourceStreamSchema: postgresSourceStream,
  targetStreamSchema: postgresTargetStream,
};
