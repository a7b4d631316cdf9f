/**
 * A Firestore collection backed up to Azure Blob (Azurite) and restored into another collection: every value type the
 * Firestore connector maps (timestamps to the microsecond, bytes, nested maps and arrays, integers and doubles, null)
 * comes back equal, document for document, and both jobs verify by count and checksum.
 */
import { Firestore, Timestamp } from '@google-cloud/firestore';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firestore, uniqueName } from '../../support/clients.js';
import { ferry, workDir, writePlan } from '../../support/cli.js';

const N = 300;
let dir: string;
let db: Firestore;
let source: string;
let restored: string;

beforeAll(async () => {
  dir = workDir('ferry-fs-backup-');
  db = firestore();
  source = uniqueName('fsbk');
  restored = uniqueName('fsbk-back');
  const writer = db.bulkWriter();
  for (let i = 0; i < N; i++) {
    void writer.set(db.collection(source).doc(`d${String(i).padStart(4, '0')}`), {
      n: i,
      ratio: i / 7,
      name: `doc ${i} — ñ`,
      at: new Timestamp(1_700_000_000 + i, 123_456_000),
      raw: Buffer.from([i % 256, 0, 255]),
      tags: ['a', `t${i % 4}`],
      nested: { deep: { list: [1, 'two', { three: true }] }, none: null },
    });
  }
  await writer.close();
  const azure = `{ type: azure-blob, container: ${uniqueName('fsbk')}, connection_string: "\${env:AZURE_STORAGE_CONNECTION_STRING}", create: true }`;
  writePlan(dir, 'backup', [
    'version: 1',
    'kind: backup',
    'name: firestore-nightly',
    'source: { type: firestore }',
    `target: ${azure}`,
    `streams: [{ from: ${source} }]`,
    'limits: { batch_size: 100 }',
    'verify: [count, checksum]',
  ]);
  writePlan(dir, 'restore', [
    'version: 1',
    'kind: restore',
    'name: firestore-restore',
    `source: ${azure}`,
    'restore: { plan: firestore-nightly }',
    'target: { type: firestore }',
    'streams:',
    `  - from: ${source}`,
    `    to: ${restored}`,
    'verify: [count, checksum]',
  ]);
}, 120_000);

afterAll(async () => {
  await db?.terminate();
});

describe('Firestore → Azure Blob backup → Firestore', () => {
  it('backs up, verified against the collection, and restores every document equal', async () => {
    const b = ferry(['run', 'backup.yaml', '--state', 'ferry.db', '--json'], { cwd: dir });
    expect(b.code, b.err).toBe(0);
    expect((b.events.find((e) => e.type === 'verify.done') as unknown as { report: { outcome: string } }).report.outcome).toBe('match');
    const v = ferry(['backup', 'verify', 'backup.yaml', '--json'], { cwd: dir });
    expect(v.code, v.out + v.err).toBe(0);
    expect(v.events.find((e) => e.type === 'backup.verify')).toMatchObject({ outcome: 'ok', read: { records: N }, streamsProved: [source] });

    const r = ferry(['run', 'restore.yaml', '--state', 'ferry.db', '--json'], { cwd: dir });
    expect(r.code, r.err).toBe(0);
    expect((r.events.find((e) => e.type === 'verify.done') as unknown as { report: { outcome: string } }).report.outcome).toBe('match');

    const [orig, back] = await Promise.all([db.collection(source).get(), db.collection(restored).get()]);
    expect(back.size).toBe(N);
    const byId = new Map(back.docs.map((d) => [d.id, d.data()]));
    for (const d of orig.docs) {
      const got = byId.get(d.id)!;
      expect(got).toEqual(d.data());
      expect((got['at'] as Timestamp).nanoseconds).toBe(123_456_000);
      expect(Buffer.isBuffer(got['raw']) || got['raw'] instanceof Uint8Array).toBe(true);
    }
  }, 180_000);
});
