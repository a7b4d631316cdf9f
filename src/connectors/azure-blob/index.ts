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
};
