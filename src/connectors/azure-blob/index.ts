/**
 * Azure Blob Storage as a source and a target: the generic object source and sink (src/objects/) over the
 * `ObjectStore` of store.ts. The store, and the Azure SDK with it, are loaded on first use, so listing connectors or
 * checking a plan stays fast.
 */
import type { ConnectorDescriptor } from '../../core/connector.js';
import { azureBlobOptions, azureBlobSourceStream, azureBlobTargetStream } from './options.js';

export const azureBlob: ConnectorDescriptor = {
  type: 'azure-blob',
  title: 'Azure Blob Storage',
  kind: 'object',
  optionsSchema: azureBlobOptions,
  sourceStreamSchema: azureBlobSourceStream,
  targetStreamSchema: azureBlobTargetStream,
  rateUnits: ['requests'],
  openObjectStore: async (options, ctx) => {
    const { openAzureBlobStore } = await import('./store.js');
    return openAzureBlobStore(options, ctx);
  },
  createSource: async (options, ctx) => {
    const { openAzureBlobStore } = await import('./store.js');
    const { createObjectSource } = await import('../../objects/object-source.js');
    return createObjectSource(await openAzureBlobStore(options, ctx), options, ctx);
  },
  createSink: async (options, ctx) => {
    const { openAzureBlobStore } = await import('./store.js');
    const { createObjectSink } = await import('../../objects/object-sink.js');
    return createObjectSink(await openAzureBlobStore(options, ctx), options, ctx);
  },
};
