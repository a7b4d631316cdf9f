import type { ConnectorDescriptor } from '../../core/connector.js';
import { firestoreOptions, firestoreSourceStream, firestoreTargetStream } from './options.js';

export const firestore: ConnectorDescriptor = {
  type: 'firestore',
  title: 'Google Cloud Firestore',
  kind: 'document',
  optionsSchema: firestoreOptions,
  sourceStreamSchema: firestoreSourceStream,
  targetStreamSchema: firestoreTargetStream,
  rateUnits: ['writes'],
};
