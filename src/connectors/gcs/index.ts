import type { ConnectorDescriptor } from '../../core/connector.js';
import { gcsOptions, gcsSourceStream, gcsTargetStream } from './options.js';

export const gcs: ConnectorDescriptor = {
  type: 'gcs',
  title: 'Google Cloud Storage',
  kind: 'object',
  optionsSchema: gcsOptions,
  sourceStreamSchema: gcsSourceStream,
  targetStreamSchema: gcsTargetStream,
  rateUnits: ['requests'],
};
