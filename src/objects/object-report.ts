/**
 * What an object copy did, for the job summary: objects copied and skipped (with bytes), which hash proved each
 * copy or skip, and — by name — every copy no hash could prove. Never a silent fall-back to size-only.
 */
import type { PutResult } from '../core/object.js';
import type { SinkRunReport } from '../core/sink.js';

export type Proof = 'md5' | 'md5 (target)' | 'md5 (parts)' | 'crc32c' | 'size only';

/** Names of size-only copies kept for the report; the count is always exact. */
const NAMED_MAX = 1000;

/**
 * The strongest statement the copy supports. `computed` is the MD5 of the bytes ferry streamed; the sink has already
 * refused a copy whose computed MD5 differs from the source's or the target's.
 */
export function proofOf(sourceMd5: string | undefined, computed: string, put: PutResult): Proof {
  const targetAgrees = put.md5 !== undefined && put.md5 === computed;
  if (targetAgrees) return sourceMd5 !== undefined ? 'md5' : 'md5 (target)';
  if (put.serverChecks.includes('content-md5') && sourceMd5 !== undefined) return 'md5';
  if (put.serverChecks.includes('multipart-etag') || put.serverChecks.includes('part-md5')) return 'md5 (parts)';
  if (put.serverChecks.includes('crc32c') || put.serverChecks.includes('crc32c-reported')) return 'crc32c';
  return 'size only';
}

export interface ObjectCopyReport {
  copied: number;
  copiedBytes: number;
  skipped: number;
  skippedBytes: number;
  /** Copies and skips per proof: `md5`, `md5 (target)`, `md5 (parts)`, `crc32c`, `etag` (skips), `size only`. */
  proofs: Record<string, number>;
  sizeOnly: { count: number; names: string[] };
  deleted: number;
}

export class SinkReport {
  private readonly r: ObjectCopyReport = {
    copied: 0,
    copiedBytes: 0,
    skipped: 0,
    skippedBytes: 0,
    proofs: {},
    sizeOnly: { count: 0, names: [] },
    deleted: 0,
  };

  copied(name: string, bytes: number, proof: Proof): void {
    this.r.copied++;
    this.r.copiedBytes += bytes;
    this.r.proofs[proof] = (this.r.proofs[proof] ?? 0) + 1;
    if (proof === 'size only') {
      this.r.sizeOnly.count++;
      if (this.r.sizeOnly.names.length < NAMED_MAX) this.r.sizeOnly.names.push(name);
    }
  }

  skipped(bytes: number, by: string): void {
    this.r.skipped++;
    this.r.skippedBytes += bytes;
    const k = `${by} (skip)`;
    this.r.proofs[k] = (this.r.proofs[k] ?? 0) + 1;
  }

  deleted(n: number): void {
    this.r.deleted += n;
  }

  snapshot(): ObjectCopyReport {
    return structuredClone(this.r);
  }
}

function mb(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${(bytes / 1024).toFixed(1)} KB`;
}

export function reportOf(r: ObjectCopyReport): SinkRunReport {
  const lines = [`copied ${r.copied} objects (${mb(r.copiedBytes)}), skipped ${r.skipped} already identical (${mb(r.skippedBytes)})`];
  const proofs = Object.entries(r.proofs).sort(([a], [b]) => a.localeCompare(b));
  if (proofs.length > 0) lines.push(`proved by: ${proofs.map(([k, n]) => `${k} ${n}`).join(', ')}`);
  if (r.sizeOnly.count > 0) {
    lines.push(`${r.sizeOnly.count} copied objects could be checked by size only (no hash on either side):`);
    for (const n of r.sizeOnly.names.slice(0, 20)) lines.push(`  ${n}`);
    if (r.sizeOnly.count > 20) lines.push(`  … ${r.sizeOnly.count - 20} more (all of them in the JSON summary, up to 1,000)`);
  }
  if (r.deleted > 0) lines.push(`deleted ${r.deleted} target objects not in the source`);
  return { lines, data: { objects: r } };
}
