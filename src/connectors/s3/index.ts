import type { ConnectorDescriptor } from '../../core/connector.js';
import { s3Options, s3SourceStream, s3TargetStream } from './options.js';

export const s3: ConnectorDescriptor = {
  type: 's3',
  title: 'Amazon S3 (and S3-compatible stores)',
  kind: 'object',
  optionsSchema: s3Options,
  sourceStreamSchema: s3SourceStream,
  targetStreamSchema: s3TargetStream,
  rateUnits: ['requests'],
};
