import { describe, expect, it } from 'vitest';
import { CHUNK_QUANTUM, parseOptions, partSizeBytes } from '../../../src/connectors/gcs/options.js';
import { FerryError } from '../../../src/errors.js';
import { loadPlanText, PlanError } from '../../../src/plan/index.js';

const plan = (target: string): string => `version: 1
kind: migration
name: t
source: { type: s3, bucket: src-1 }
target:
  type: gcs
  bucket: dst
${target}
streams:
  - from: logs/
`;

describe('GCS plan options', () => {
  it('accepts the connection keys and the upload ones, with their defaults', () => {
    const { plan: p } = loadPlanText(
      plan('  project: acme\n  key_file: ./sa.json\n  endpoint: 127.0.0.1:4443\n  storage_class: NEARLINE\n  create: true\n  location: EU\n  part_size_mb: 16\n  part_concurrency: 2\n  transfers: 8\n  large_transfers: 2'),
      'p.yaml',
      {},
    );
    expect(parseOptions(p.target)).toEqual({
      bucket: 'dst',
      project: 'acme',
      keyFile: './sa.json',
      endpoint: '127.0.0.1:4443',
      storageClass: 'NEARLINE',
      create: true,
      location: 'EU',
      partSizeBytes: 16 * 1024 * 1024,
      partConcurrency: 2,
    });
    expect(parseOptions({ bucket: 'b' })).toEqual({ bucket: 'b', create: false, partSizeBytes: 8 * 1024 * 1024, partConcurrency: 4 });
  });

  it('refuses a storage class GCS does not have, and part sizes that are not whole MiB from 1 to 1024', () => {
    for (const bad of ['  storage_class: GLACIER', '  part_size_mb: 0.5', '  part_size_mb: 2048', '  part_concurrency: 0']) {
      expect(() => loadPlanText(plan(bad), 'p.yaml', {})).toThrow(PlanError);
    }
  });

  it('rounds the part size down to a multiple of 256 KiB, never below it', () => {
    expect(partSizeBytes(8)).toBe(8 * 1024 * 1024);
    expect(partSizeBytes(0.3)).toBe(CHUNK_QUANTUM);
    expect(partSizeBytes(1.3)).toBe(5 * CHUNK_QUANTUM);
    expect(partSizeBytes(0.01)).toBe(CHUNK_QUANTUM);
    expect(partSizeBytes(undefined)).toBe(8 * 1024 * 1024);
    expect(partSizeBytes(-3)).toBe(8 * 1024 * 1024);
  });

  it('needs a bucket', () => {
    expect(() => parseOptions({})).toThrow(FerryError);
  });
});
