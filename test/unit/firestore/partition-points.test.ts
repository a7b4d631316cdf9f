/**
 * The source's split points come from PartitionQuery through the GAPIC client (gapic.ts): every page read, cursors
 * turned into database-relative paths in Firestore's name order, and no warning of google-gax's on the way (the
 * SDK's `getPartitions` prints an AutopaginateTrueWarning with google-gax 6). Against a gRPC server speaking
 * Firestore's service definition, because the emulator has no PartitionQuery.
 */
import { grpc } from 'google-gax';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createClient } from '../../../src/connectors/firestore/client.js';
import { compareDocumentPaths } from '../../../src/connectors/firestore/gapic.js';
import { parseOptions } from '../../../src/connectors/firestore/options.js';
import { FirestoreSource } from '../../../src/connectors/firestore/source.js';
import { startFirestoreGrpc, type FirestoreGrpc } from '../../support/firestore-grpc.js';

const DOCS = 'projects/parts/databases/(default)/documents';
const ref = (p: string) => ({ values: [{ referenceValue: `${DOCS}/${p}` }] });
let server: FirestoreGrpc;
const requests: { request: Record<string, unknown>; prefix: unknown }[] = [];

beforeAll(async () => {
  server = await startFirestoreGrpc({
    PartitionQuery: (call: grpc.ServerUnaryCall<Record<string, unknown>, unknown>, cb: grpc.sendUnaryData<unknown>): void => {
      requests.push({ request: call.request, prefix: call.metadata.get('google-cloud-resource-prefix')[0] });
      // Two pages, the second out of order: the client must follow the token and sort.
      if (!call.request['pageToken']) cb(null, { partitions: [ref('songs/m'), ref('songs/c')], nextPageToken: 'p2' });
      else cb(null, { partitions: [ref('albums/9/songs/a'), ref('songs/x')], nextPageToken: '' });
    },
  });
});

afterAll(() => server.close());

it('reads every page of PartitionQuery, sorts the points, and prints no warning', async () => {
  const warnings: string[] = [];
  const onWarning = (w: Error): void => void warnings.push(`${w.name}: ${w.message}`);
  process.on('warning', onWarning);
  const options = parseOptions({ emulator_host: server.host, project: 'parts' });
  const source = new FirestoreSource(options, undefined, createClient(options, undefined, {}));
  try {
    const points = await source.splitPoints({ kind: 'group', id: 'songs' }, 5, new AbortController().signal);
    expect(points).toEqual(['albums/9/songs/a', 'songs/c', 'songs/m', 'songs/x']);
    expect(requests).toHaveLength(2);
    expect(requests[0]!.prefix).toBe('projects/parts/databases/(default)');
    expect(requests[0]!.request).toMatchObject({
      parent: DOCS,
      partitionCount: '4',
      structuredQuery: { from: [{ collectionId: 'songs', allDescendants: true }], orderBy: [{ field: { fieldPath: '__name__' }, direction: 'ASCENDING' }] },
    });
    expect(requests[1]!.request).toMatchObject({ pageToken: 'p2' });
    await new Promise((r) => setImmediate(r));
    expect(warnings).toEqual([]);
  } finally {
    process.off('warning', onWarning);
    await source[Symbol.asyncDispose]();
  }
});

it('orders paths as Firestore orders names: segment by segment, in UTF-8 bytes', () => {
  expect(['b/1', 'a/2/c/1', 'a/2', 'a/10', 'a/\uFF01', 'a/🚢'].sort(compareDocumentPaths)).toEqual(['a/10', 'a/2', 'a/2/c/1', 'a/\uFF01', 'a/🚢', 'b/1']);
});
