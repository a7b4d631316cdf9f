/**
 * A backup set's manifest: written last (its presence marks the set complete), it states what the set holds so a
 * restore and a verify need nothing else — per stream the count and the verifier's checksum digest of the canonical
 * records, the key schema, per file its size, records and hashes; the plan's hash, ferry's version and the source's
 * snapshot time. It carries a SHA-256 of its own canonical form, so an edited manifest is named as edited rather
 * than trusted. It never holds a credential: the source is described by type and names only.
 */
import { createHash } from 'node:crypto';
import { Ajv } from 'ajv';

export const MANIFEST_FORMAT = 'ferry-backup/1';

export interface ManifestFile {
  /** Relative to the set's directory. */
  path: string;
  bytes: number;
  records: number;
  /** Of the data files ferry writes; absent for an object copied whole into a snapshot (its MD5 proves it). */
  sha256?: string;
  md5: string;
}

export interface ManifestStream {
  /** The source stream (`public.orders`, a table, a collection, a prefix). */
  name: string;
  /** Ordered key fields and their types as the source states them (`bigint`, `S`, `string`, …). */
  key: { field: string; type: string }[];
  count: number;
  /** The checksum verifier's digest of the stream's canonical records: their 128-bit digest sum (src/core/digest.ts), hex. */
  digest: string;
  bytes: number;
  /**
   * What the source said of the stream when it was listed (key columns and types, columns, key schema): a restore
   * hands it to the target as the original source would, so a restored table is keyed as a migrated one.
   */
  source_meta?: Record<string, unknown>;
  files: ManifestFile[];
}

export interface BackupManifest {
  format: typeof MANIFEST_FORMAT;
  /** `job`: the job that wrote the set (`ferry status JOB`). */
  set: { id: string; job?: string; created_at: string; completed_at: string; snapshot_at: string };
  plan: { name: string; hash: string };
  ferry: { version: string };
  source: { type: string; name?: string };
  /** `objects`: a snapshot of an object store, each file an object copied whole. */
  encoding: 'ferry-ndjson' | 'dynamodb-export' | 'objects';
  compression: 'gzip' | 'zstd';
  streams: ManifestStream[];
  /** SHA-256 (hex) of the canonical JSON of every other field. */
  sha256: string;
}

export class ManifestError extends Error {
  override readonly name = 'ManifestError';
}

const HEX = (n: number): Record<string, unknown> => ({ type: 'string', pattern: `^[0-9a-f]{${n}}$` });
const COUNT = { type: 'integer', minimum: 0 };
const TIME = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,6})?Z$' };
const closed = (properties: Record<string, unknown>, optional: string[] = []): Record<string, unknown> => ({
  type: 'object',
  additionalProperties: false,
  required: Object.keys(properties).filter((k) => !optional.includes(k)),
  properties,
});

const SCHEMA = closed({
  format: { const: MANIFEST_FORMAT },
  set: closed({ id: { type: 'string', minLength: 1 }, job: { type: 'string', minLength: 1 }, created_at: TIME, completed_at: TIME, snapshot_at: TIME }, ['job']),
  plan: closed({ name: { type: 'string', minLength: 1 }, hash: { type: 'string', minLength: 1 } }),
  ferry: closed({ version: { type: 'string', minLength: 1 } }),
  source: closed({ type: { type: 'string', minLength: 1 }, name: { type: 'string' } }, ['name']),
  encoding: { enum: ['ferry-ndjson', 'dynamodb-export', 'objects'] },
  compression: { enum: ['gzip', 'zstd'] },
  streams: {
    type: 'array',
    items: closed({
      name: { type: 'string', minLength: 1 },
      key: { type: 'array', items: closed({ field: { type: 'string', minLength: 1 }, type: { type: 'string', minLength: 1 } }) },
      count: COUNT,
      digest: HEX(32),
      bytes: COUNT,
      source_meta: { type: 'object' },
      files: {
        type: 'array',
        items: closed({ path: { type: 'string', minLength: 1, not: { pattern: '(^/|(^|/)\\.\\.(/|$))' } }, bytes: COUNT, records: COUNT, sha256: HEX(64), md5: HEX(32) }, ['sha256']),
      },
    }, ['source_meta']),
  },
  sha256: HEX(64),
});

let validate: ReturnType<Ajv['compile']> | undefined;

/** JSON with object keys sorted at every level: the form the manifest's own hash is taken over. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

function selfHash(m: Omit<BackupManifest, 'sha256'>): string {
  const { sha256: _ignored, ...rest } = m as BackupManifest;
  return createHash('sha256').update(canonicalJson(rest)).digest('hex');
}

/** The manifest with its own hash, as the text to write (keys in a stable order, one trailing newline). */
export function manifestText(m: Omit<BackupManifest, 'sha256'>): string {
  const full = { ...m, sha256: selfHash(m) } as BackupManifest;
  check(full, 'the manifest being written');
  return `${JSON.stringify(full, null, 2)}\n`;
}

/** Reads a manifest, refusing one that is malformed, of another format, inconsistent or edited since it was written. */
export function parseManifest(text: string, where: string): BackupManifest {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (e) {
    throw new ManifestError(`${where}: not JSON (${(e as Error).message}); the manifest is damaged`);
  }
  check(j, where);
  const m = j as BackupManifest;
  if (selfHash(m) !== m.sha256) throw new ManifestError(`${where}: the manifest was edited after it was written (its sha256 does not match its content)`);
  return m;
}

function check(j: unknown, where: string): asserts j is BackupManifest {
  validate ??= new Ajv({ allErrors: true, strict: true }).compile(SCHEMA);
  if (!validate(j)) {
    const first = validate.errors?.[0];
    const fmt = (j as { format?: unknown } | null)?.format;
    if (fmt !== undefined && fmt !== MANIFEST_FORMAT) throw new ManifestError(`${where}: format "${String(fmt)}" is not ${MANIFEST_FORMAT}; a newer ferry wrote it, or it is not a ferry backup`);
    throw new ManifestError(`${where}: not a valid manifest: ${first?.instancePath || '/'} ${first?.message ?? ''}`.trim());
  }
  const m = j as BackupManifest;
  for (const s of m.streams) {
    const records = s.files.reduce((n, f) => n + f.records, 0);
    const bytes = s.files.reduce((n, f) => n + f.bytes, 0);
    if (records !== s.count) throw new ManifestError(`${where}: stream ${s.name} counts ${s.count} records but its files hold ${records}`);
    if (bytes !== s.bytes) throw new ManifestError(`${where}: stream ${s.name} states ${s.bytes} bytes but its files sum to ${bytes}`);
  }
  if (m.encoding !== 'objects') {
    const bare = m.streams.flatMap((s) => s.files).find((f) => f.sha256 === undefined);
    if (bare) throw new ManifestError(`${where}: file ${bare.path} has no sha256 (only an object snapshot's files may go without)`);
  }
  const paths = m.streams.flatMap((s) => s.files.map((f) => f.path));
  const dup = paths.find((p, i) => paths.indexOf(p) !== i);
  if (dup) throw new ManifestError(`${where}: file ${dup} is listed twice`);
}
