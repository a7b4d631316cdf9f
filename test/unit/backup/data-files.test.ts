// Backup data parts: bounded gzip parts that hold every line once, in order, with the hashes the manifest states.
import { createHash, randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { PartWriter, type DataPart } from '../../../src/backup/data-files.js';

describe('backup data parts', () => {
  it('rolls gzip parts at about the size, every line once and in order, with true hashes and counts', async () => {
    const w = new PartWriter({ segment: '3', maxBytes: 64 * 1024, firstSeq: 7 });
    const lines = Array.from({ length: 20_000 }, (_, i) => JSON.stringify({ k: { id: i }, v: { noise: randomBytes(12).toString('hex') } }));
    const parts: DataPart[] = [];
    for (let i = 0; i < lines.length; i += 100) {
      const p = await w.write(lines.slice(i, i + 100));
      if (p) parts.push(p);
    }
    const last = await w.flush();
    if (last) parts.push(last);
    expect(await w.flush()).toBeUndefined();

    expect(parts.length).toBeGreaterThanOrEqual(4);
    expect(parts.map((p) => p.name).slice(0, 3)).toEqual(['part-3-00007', 'part-3-00008', 'part-3-00009']);
    expect(w.nextSeq).toBe(7 + parts.length);
    // Bounded: every part but the last reached the size, and passed it by at most one batch and deflate's pending bytes.
    for (const p of parts.slice(0, -1)) expect([p.bytes >= 64 * 1024, p.bytes < 64 * 1024 + 48 * 1024], String(p.bytes)).toEqual([true, true]);
    const back = parts.flatMap((p) => gunzipSync(p.body).toString('utf8').trimEnd().split('\n'));
    expect(back).toEqual(lines);
    for (const p of parts) {
      expect(p.bytes).toBe(p.body.length);
      expect(p.sha256).toBe(createHash('sha256').update(p.body).digest('hex'));
      expect(p.md5).toBe(createHash('md5').update(p.body).digest('hex'));
      expect(p.records).toBe(gunzipSync(p.body).toString('utf8').trimEnd().split('\n').length);
    }
    expect(parts.reduce((n, p) => n + p.records, 0)).toBe(lines.length);
  });

  it('refuses a line with a newline and a segment name that is not path-safe', async () => {
    const w = new PartWriter({ segment: '0' });
    await expect(w.write(['ok', 'a\nb'])).rejects.toThrow(/cannot hold a newline/);
    expect(() => new PartWriter({ segment: '../x' })).toThrow(/not path-safe/);
  });
});
