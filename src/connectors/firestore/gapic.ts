/**
 * The calls ferry makes through the SDK's public GAPIC client (`v1.FirestoreClient`) rather than the SDK's own
 * methods, because ferry must choose their call options:
 * - `commit`: exactly one attempt (`retry: null`); ferry's engine owns retries and adapts its rate to throttling
 *   (commit.ts says why the SDK's write paths cannot).
 * - `partitionPoints`: PartitionQuery with `autoPaginate: false`. The SDK's `getPartitions` leaves gax's default
 *   (true), and google-gax 6 then prints an AutopaginateTrueWarning on every call; the paging methods follow page
 *   tokens either way.
 * Both send the resource prefix header the SDK sends with every call, and for an emulator its `Bearer owner`.
 */
import type { v1 } from '@google-cloud/firestore';
import { toWrite, type Committer } from './commit.js';

type Client = InstanceType<typeof v1.FirestoreClient>;

export class Gapic {
  constructor(
    private readonly client: Client,
    /** `projects/P/databases/D`. */
    private readonly database: () => Promise<string>,
    private readonly headers: Record<string, string>,
  ) {}

  private options(database: string): { otherArgs: { headers: Record<string, string> } } {
    return { otherArgs: { headers: { 'google-cloud-resource-prefix': database, ...this.headers } } };
  }

  readonly commit: Committer = async (writes) => {
    const database = await this.database();
    const documents = `${database}/documents`;
    await this.client.commit({ database, writes: writes.map((w) => toWrite(documents, w)) }, { ...this.options(database), retry: null });
  };

  /**
   * Up to `count - 1` document paths (relative to the database, in `__name__` order) that split the collection group
   * `groupId` into `count` parts of about equal size; fewer when the group is small.
   */
  async partitionPoints(groupId: string, count: number, signal: AbortSignal): Promise<string[]> {
    if (count <= 1) return [];
    const database = await this.database();
    const documents = `${database}/documents`;
    const request = {
      parent: documents,
      structuredQuery: { from: [{ collectionId: groupId, allDescendants: true }], orderBy: [{ field: { fieldPath: '__name__' }, direction: 'ASCENDING' as const }] },
      partitionCount: count - 1,
    };
    const points: string[] = [];
    // The async form follows page tokens itself; `autoPaginate: false` only keeps gax from warning about it.
    for await (const cursor of this.client.partitionQueryAsync(request, { ...this.options(database), autoPaginate: false })) {
      if (signal.aborted) throw signal.reason;
      const ref = cursor.values?.[0]?.referenceValue;
      if (ref?.startsWith(`${documents}/`)) points.push(ref.slice(documents.length + 1));
    }
    // Pages may arrive out of order: sort as Firestore orders names (segment by segment).
    return points.sort(compareDocumentPaths);
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

/** Firestore's `__name__` order: segment by segment, each compared as a string (UTF-8 bytes). */
export function compareDocumentPaths(a: string, b: string): number {
  const x = a.split('/');
  const y = b.split('/');
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const c = Buffer.compare(Buffer.from(x[i]!), Buffer.from(y[i]!));
    if (c !== 0) return c;
  }
  return x.length - y.length;
}
