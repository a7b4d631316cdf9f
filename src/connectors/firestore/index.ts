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
  // A target is a collection path: `invoices`, or `tenants/acme/invoices` (odd segments); ids per Firestore's rules.
  streamNameProblem(role, name) {
    if (role !== 'target') return undefined;
    const segments = name.split('/');
    const bad = segments.find((s) => s === '' || s === '.' || s === '..' || /^__.*__$/.test(s));
    if (bad !== undefined) return `"${name}" is not a Firestore collection path: ${bad === '' ? 'an empty segment' : `the segment "${bad}" is reserved`}`;
    if (segments.length % 2 === 0) return `"${name}" is not a Firestore collection path: it names a document (an even number of segments)`;
    if (Buffer.byteLength(name, 'utf8') > 1500) return `"${name}" is not a Firestore collection path: longer than 1,500 bytes`;
    return undefined;
  },
  async createSink(options, ctx) {
    const { createFirestoreSink } = await import('./sink.js');
    return createFirestoreSink(options, ctx);
  },
  async createSource(options, ctx) {
    const { createFirestoreSource } = await import('./source.js');
    return createFirestoreSource(options, ctx);
  },
};
