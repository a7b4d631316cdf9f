/**
 * Amazon S3 and S3-compatible stores as a source and a target of objects: `store.ts` implements the object-store
 * contract, and the generic object source and sink (src/objects/) do the rest. The implementations, and the AWS SDK
 * with them, are loaded on first use, so listing connectors or checking a plan stays fast.
 */
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
  async openObjectStore(options, ctx) {
    const { openS3Store } = await import('./store.js');
    return openS3Store(options, ctx);
  },
  async createSource(options, ctx) {
    const { openS3Store } = await import('./store.js');
    const { createObjectSource } = await import('../../objects/object-source.js');
    return createObjectSource(await openS3Store(options, ctx), options, ctx);
  },
  async createSink(options, ctx) {
    const { openS3Store } = await import('./store.js');
    const { createObjectSink } = await import('../../objects/object-sink.js');
    return createObjectSink(await openS3Store(options, ctx), options, ctx);
  },
};
