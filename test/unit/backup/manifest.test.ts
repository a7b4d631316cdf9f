// The backup manifest: written with its own hash, read back only when intact and consistent; every kind of damage
// named (not JSON, another format, a missing field, a count its files contradict, an edit after writing).
import { describe, expect, it } from 'vitest';
import { canonicalJson, manifestText, parseManifest, type BackupManifest } from '../../../src/backup/manifest.js';

const h = (c: string, n = 64): string => c.repeat(n);
const manifest: Omit<BackupManifest, 'sha256'> = {
  format: 'ferry-backup/1',
  set: { id: 'a1b2c3', created_at: '2026-12-07T02:00:00Z', completed_at: '2026-12-07T02:04:10.5Z', snapshot_at: '2026-12-07T02:00:00.123456Z' },
  plan: { name: 'orders-backup', hash: 'sha256:abc' },
  ferry: { version: '0.1.0' },
  source: { type: 'postgres', name: 'shop' },
  encoding: 'ferry-ndjson',
  compression: 'gzip',
  streams: [
    {
      name: 'public.orders',
      key: [{ field: 'order_id', type: 'bigint' }],
      count: 3,
      digest: h('d', 32),
      bytes: 300,
      files: [
        { path: 'public.orders/part-00000.ndjson.gz', bytes: 200, records: 2, sha256: h('1'), md5: h('2', 32) },
        { path: 'public.orders/part-00001.ndjson.gz', bytes: 100, records: 1, sha256: h('3'), md5: h('4', 32) },
      ],
    },
  ],
};

const reason = (text: string): string => {
  try {
    parseManifest(text, 'bk/orders/20261207T020000Z-a1b2c3/manifest.json');
  } catch (e) {
    return (e as Error).message.replace('bk/orders/20261207T020000Z-a1b2c3/manifest.json: ', '');
  }
  throw new Error('accepted');
};

describe('backup manifest', () => {
  it('round-trips, with a hash of its own canonical form', () => {
    const text = manifestText(manifest);
    const back = parseManifest(text, 'm');
    expect(back).toEqual({ ...manifest, sha256: back.sha256 });
    expect(back.sha256).toMatch(/^[0-9a-f]{64}$/);
    // Key order does not change the hash: the form is canonical.
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] })).toBe('{"a":[{"c":3,"d":2}],"b":1}');
    const reordered = JSON.stringify(Object.fromEntries(Object.entries(back).reverse()));
    expect(parseManifest(reordered, 'm').sha256).toBe(back.sha256);
  });

  it('names an edited manifest, and every other damage', () => {
    const text = manifestText(manifest);
    expect(reason(text.replace('"count": 3', '"count": 4').replace('"records": 1', '"records": 2'))).toBe('the manifest was edited after it was written (its sha256 does not match its content)');
    expect(reason(text.replace('"count": 3', '"count": 4'))).toBe('stream public.orders counts 4 records but its files hold 3');
    expect(reason(text.slice(0, 200))).toMatch(/^not JSON \(.*\); the manifest is damaged$/);
    expect(reason(text.replace('ferry-backup/1', 'ferry-backup/9'))).toBe('format "ferry-backup/9" is not ferry-backup/1; a newer ferry wrote it, or it is not a ferry backup');
    expect(reason(JSON.stringify({ ...JSON.parse(text), plan: undefined }))).toMatch(/^not a valid manifest: \/ must have required property 'plan'/);
    expect(reason(text.replace('public.orders/part-00001', '../escape'))).toMatch(/^not a valid manifest: \/streams\/0\/files\/1\/path/);
    expect(() => manifestText({ ...manifest, streams: [{ ...manifest.streams[0]!, bytes: 1 }] })).toThrow(/the manifest being written: stream public.orders states 1 bytes but its files sum to 300/);
  });

  it('holds no credential: the source is a type and a name, and nothing else is accepted', () => {
    const withUrl = { ...JSON.parse(manifestText(manifest)), source: { type: 'postgres', url: 'postgres://u:secret@h/db' } };
    expect(reason(JSON.stringify(withUrl))).toMatch(/^not a valid manifest: \/source must NOT have additional properties/);
  });
});
