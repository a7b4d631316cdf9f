import type { ConnectorDescriptor } from '../../core/connector.js';
import { postgresOptions, postgresSourceStream, postgresTargetStream } from './options.js';
import { streamNameProblem } from './stream-pattern.js';

export const postgres: ConnectorDescriptor = {
  type: 'postgres',
  title: 'PostgreSQL',
  kind: 'document',
  optionsSchema: postgresOptions,
  sourceStreamSchema: postgresSourceStream,
  targetStreamSchema: postgresTargetStream,
  streamNameProblem: (_role, name) => streamNameProblem(name),
  // Loaded on use, so commands that never read PostgreSQL (help, plan check) do not load pg.
  async createSource(options, ctx) {
    const { openPostgresSource } = await import('./source.js');
    return openPostgresSource(options, ctx);
  },
};
