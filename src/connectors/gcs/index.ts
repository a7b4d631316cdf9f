/**
 * Google Cloud Storage as a source and a target of objects: `store.ts` implements the object-store contract over
 * @google-cloud/storage, and the generic object source and sink (src/objects/) do the rest. The store, and the SDK
 * with it, are loaded on first use, so listing connectors or checking a plan stays fast.
 */
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
  openObjectStore: async (options, ctx) => {
    const { openGcsStore } = await import('./store.js');
    return openGcsStore(options, ctx);
  },
  createSource: async (options, ctx) => {
    const { openGcsStore } = await import('./store.js');
    const { createObjectSource } = await import('../../objects/object-source.js');
    return createObjectSource(await openGcsStore(options, ctx), options, ctx);
  },
  createSink: async (options, ctx) => {
    const { openGcsStore } = await import('./store.js');
    const { createObjectSink } = await import('../../objects/object-sink.js');
    return createObjectSink(await openGcsStore(options, ctx), options, ctx);
  },
};
