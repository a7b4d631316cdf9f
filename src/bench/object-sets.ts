/**
 * The objects bench's data: a set of small objects and a set of large ones in one S3 bucket (`ferry-bench-objects`,
 * prefixes `small/` and `large/`), random bytes, names spread over eight sub-prefixes (`small/c/obj-000042.bin`),
 * uploaded once with parallel PutObject calls (single requests, so every ETag is the object's MD5) and reused by
 * later benches while they hold exactly the same names and sizes. And the GCS side: fresh target buckets, created,
 * listed and deleted with the Cloud Storage SDK, so that what a run wrote is counted by neither ferry nor rclone.
 */
import { randomBytes } from 'node:crypto';
import {
  CreateBucketCommand,
  DeleteObjectsCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { Storage } from '@google-cloud/storage';
import { newStorage } from '../connectors/gcs/client.js';
import type { ObjectsOptions } from './args.js';
import { BenchInterrupted, type Interrupted } from './baselines.js';

export const SOURCE_BUCKET = 'ferry-bench-objects';
/** Sub-prefixes the names of a set are spread over (distinct first characters: the key-range split sees them). */
export const SUB_PREFIXES = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'] as const;

export type Phase = 'small' | 'large';

export interface ObjectSet {
  phase: Phase;
  /** `small/` or `large/`. */
  prefix: string;
  count: number;
  /** Bytes of each object. */
  size: number;
}

export const MIB = 2 ** 20;

/** The sets the options ask for, small first; a set of 0 objects is left out. */
export function objectSets(o: Pick<ObjectsOptions, 'small' | 'smallKb' | 'large' | 'largeMb'>): ObjectSet[] {
  const sets: ObjectSet[] = [];
  if (o.small > 0) sets.push({ phase: 'small', prefix: 'small/', count: o.small, size: o.smallKb * 1024 });
  if (o.large > 0) sets.push({ phase: 'large', prefix: 'large/', count: o.large, size: o.largeMb * MIB });
  return sets;
}

/** The i-th name of a set (0-based), below its prefix: `c/obj-000042.bin`. */
export function relName(i: number): string {
  return `${SUB_PREFIXES[i % SUB_PREFIXES.length]}/obj-${String(i).padStart(6, '0')}.bin`;
}

export const setBytes = (s: ObjectSet): number => s.count * s.size;

/** `2,000 × 16 KiB` / `8 × 64 MiB`. */
export function describeSet(s: ObjectSet): string {
  const size = s.size >= MIB && s.size % MIB === 0 ? `${s.size / MIB} MiB` : `${Math.round(s.size / 1024)} KiB`;
  return `${s.count.toLocaleString('en-US')} × ${size}`;
}

/** S3 client settings gofakes3 needs (as test/support/clients.ts): path style, no aws-chunked streaming checksums. */
export function benchS3(env: NodeJS.ProcessEnv): S3Client {
  const endpoint = env['S3_ENDPOINT'];
  if (!endpoint) throw new Error('the objects bench needs S3_ENDPOINT');
  return new S3Client({
    endpoint,
    region: env['AWS_REGION'] ?? 'us-east-1',
    credentials: { accessKeyId: env['AWS_ACCESS_KEY_ID'] ?? 'ferrytest', secretAccessKey: env['AWS_SECRET_ACCESS_KEY'] ?? 'ferrytest' },
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** Name (below the set's prefix) → size and MD5 (hex), as a listing states them. */
export type Listing = Map<string, { size: number; md5: string | undefined }>;

const md5OfEtag = (etag: string | undefined): string | undefined => {
  const e = (etag ?? '').replaceAll('"', '').toLowerCase();
  return /^[0-9a-f]{32}$/.test(e) ? e : undefined;
};

export async function listS3(client: S3Client, bucket: string, prefix: string): Promise<Listing> {
  const out: Listing = new Map();
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }));
    for (const o of page.Contents ?? []) out.set(o.Key!.slice(prefix.length), { size: Number(o.Size ?? 0), md5: md5OfEtag(o.ETag) });
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return out;
}

/** Whether a listing holds exactly the set: its names, its size, and an MD5 for every object. */
export function holdsExactly(listing: Listing, set: ObjectSet): boolean {
  if (listing.size !== set.count) return false;
  for (let i = 0; i < set.count; i++) {
    const o = listing.get(relName(i));
    if (!o || o.size !== set.size || o.md5 === undefined) return false;
  }
  return true;
}

export interface SourceSet {
  set: ObjectSet;
  /** What the source holds (the judge of every target). */
  listing: Listing;
  reused: boolean;
  /** Upload time (0 when reused). */
  seconds: number;
}

async function pool<T>(items: readonly T[], width: number, interrupted: Interrupted, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) {
      if (interrupted()) throw new BenchInterrupted('interrupted');
      await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
}

/** The set in the source bucket: reused when it is there exactly, else what is under its prefix is replaced. */
export async function ensureSourceSet(client: S3Client, set: ObjectSet, log: (line: string) => void, interrupted: Interrupted): Promise<SourceSet> {
  try {
    await client.send(new HeadBucketCommand({ Bucket: SOURCE_BUCKET }));
  } catch {
    await client.send(new CreateBucketCommand({ Bucket: SOURCE_BUCKET }));
  }
  const before = await listS3(client, SOURCE_BUCKET, set.prefix);
  if (holdsExactly(before, set)) {
    log(`source s3://${SOURCE_BUCKET}/${set.prefix}: reusing ${describeSet(set)} objects`);
    return { set, listing: before, reused: true, seconds: 0 };
  }
  const t0 = performance.now();
  if (before.size > 0) {
    log(`source s3://${SOURCE_BUCKET}/${set.prefix}: deleting the ${before.size.toLocaleString('en-US')} objects of another set`);
    const keys = [...before.keys()].map((k) => set.prefix + k);
    for (let i = 0; i < keys.length; i += 1000) {
      await client.send(new DeleteObjectsCommand({ Bucket: SOURCE_BUCKET, Delete: { Objects: keys.slice(i, i + 1000).map((Key) => ({ Key })), Quiet: true } }));
    }
  }
  log(`source s3://${SOURCE_BUCKET}/${set.prefix}: uploading ${describeSet(set)} objects of random bytes`);
  // Large bodies are made one per upload in flight: a few at a time keeps the bench's own memory small.
  const width = set.size >= 8 * MIB ? 2 : 32;
  await pool(
    Array.from({ length: set.count }, (_, i) => i),
    width,
    interrupted,
    async (i) => {
      await client.send(new PutObjectCommand({ Bucket: SOURCE_BUCKET, Key: set.prefix + relName(i), Body: randomBytes(set.size), ContentType: 'application/octet-stream' }));
    },
  );
  const listing = await listS3(client, SOURCE_BUCKET, set.prefix);
  if (!holdsExactly(listing, set)) {
    throw new Error(`s3://${SOURCE_BUCKET}/${set.prefix} holds ${listing.size} objects after the upload, not the ${set.count} of ${set.size} bytes written`);
  }
  const seconds = (performance.now() - t0) / 1000;
  log(`source s3://${SOURCE_BUCKET}/${set.prefix}: uploaded in ${seconds.toFixed(1)} s`);
  return { set, listing, reused: false, seconds };
}

/** The Cloud Storage SDK on fake-gcs-server: no credentials, the JSON API under the endpoint. */
export function benchStorage(env: NodeJS.ProcessEnv): Storage {
  const endpoint = env['GCS_ENDPOINT'];
  if (!endpoint) throw new Error('the objects bench needs GCS_ENDPOINT');
  const base = endpoint.replace(/\/+$/, '').replace(/\/storage\/v1$/, '');
  // Built with STORAGE_EMULATOR_HOST hidden, as ferry's own client (src/connectors/gcs/client.ts).
  return newStorage({ apiEndpoint: base, projectId: env['GCLOUD_PROJECT'] ?? 'ferry-bench', useAuthWithCustomEndpoint: false });
}

/** A target bucket name no other run uses: `ferry-bench-small-rclone-2-5f3a`. */
export function targetBucketName(phase: Phase, tool: string, round: number): string {
  return `ferry-bench-${phase}-${tool}-${round}-${randomBytes(3).toString('hex')}`;
}

export async function listGcs(storage: Storage, bucket: string, prefix: string): Promise<Listing> {
  const out: Listing = new Map();
  let query: { prefix: string; maxResults: number; autoPaginate: false; pageToken?: string } | null = { prefix, maxResults: 1000, autoPaginate: false };
  while (query) {
    const [files, next] = (await storage.bucket(bucket).getFiles(query)) as unknown as [{ name: string; metadata: { size?: unknown; md5Hash?: unknown } }[], { pageToken?: string } | null];
    for (const f of files) {
      const b64 = typeof f.metadata.md5Hash === 'string' ? Buffer.from(f.metadata.md5Hash, 'base64') : undefined;
      out.set(f.name.slice(prefix.length), { size: Number(f.metadata.size ?? 0), md5: b64?.length === 16 ? b64.toString('hex') : undefined });
    }
    query = next?.pageToken ? { prefix, maxResults: 1000, autoPaginate: false, pageToken: next.pageToken } : null;
  }
  return out;
}

export interface TargetCheck {
  objects: number;
  bytes: number;
  /** Source names missing from the target, target names the source lacks, objects whose size or MD5 differ. */
  missing: string[];
  extra: string[];
  different: string[];
}

/** The target's listing against the source's: names, sizes, MD5s (the bench's own check of either tool). */
export function compareListings(source: Listing, target: Listing): TargetCheck {
  const out: TargetCheck = { objects: target.size, bytes: 0, missing: [], extra: [], different: [] };
  for (const [name, t] of target) {
    out.bytes += t.size;
    const s = source.get(name);
    if (!s) out.extra.push(name);
    else if (s.size !== t.size || s.md5 === undefined || s.md5 !== t.md5) out.different.push(name);
  }
  for (const name of source.keys()) if (!target.has(name)) out.missing.push(name);
  return out;
}

/** The error a check amounts to, or undefined when the target holds exactly the source's objects. */
export function checkError(c: TargetCheck, bucket: string): string | undefined {
  const parts: string[] = [];
  const some = (xs: string[]): string => `${xs.length} (${xs.slice(0, 3).join(', ')}${xs.length > 3 ? ', …' : ''})`;
  if (c.missing.length > 0) parts.push(`${some(c.missing)} missing`);
  if (c.extra.length > 0) parts.push(`${some(c.extra)} extra`);
  if (c.different.length > 0) parts.push(`${some(c.different)} with another size or MD5`);
  return parts.length === 0 ? undefined : `gs://${bucket} after the run: ${parts.join(', ')}`;
}

export async function createGcsBucket(storage: Storage, bucket: string): Promise<void> {
  await storage.createBucket(bucket);
}

/** Deletes a target bucket and everything in it (fake-gcs-server keeps objects in memory). Missing is fine. */
export async function deleteGcsBucket(storage: Storage, bucket: string): Promise<void> {
  const b = storage.bucket(bucket);
  const [exists] = await b.exists();
  if (!exists) return;
  await b.deleteFiles({ force: true });
  await b.delete({ ignoreNotFound: true });
}
