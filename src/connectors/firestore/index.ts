/**
 * Cloud Firestore as a target (`createSink`) and as a source (`createSource`). The implementations, and the Google
 * Cloud SDK with them, are loaded on first use, so listing connectors or checking a plan stays fast.
 */
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
  // `limits.ramp_up: true` in a plan turns on the sink's `ramp_up` (500/50/5) when the target block leaves it out.
  rampUp: true,
  async createSink(options, ctx) {
    const { createFirestoreSink } = await import('./sink.js');
    return createFirestoreSink(options, ctx);
  },
  async createSource(options, ctx) {
    const { createFirestoreSource } = await import('./source.js');
    return createFirestoreSource(options, ctx);
  },
};
