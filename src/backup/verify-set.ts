/**
 * `ferry backup verify`: a set checked against its own manifest, as restic's `check` checks a repository. The
 * manifest must be intact (its own hash); every file it lists must be there at its size (one listing: cheap, so
 * always all of them); the files of the chosen slice are read whole: SHA-256, record count, and each record's digest
 * summed, so a stream read entirely is proved to hold exactly the records whose digest the manifest states. A check
 * that read nothing is not called good. The outcome is recorded in the set (`verify/<time>-<random>-<outcome>.json`), so
 * `list` and `prune` anywhere know which sets were verified and which are damaged.
 */
import { randomBytes } from 'node:crypto';
import { keyIdentity, SetDigest } from '../core/digest.js';
import type { ObjectStore } from '../core/object.js';
import type { Value } from '../core/record.js';
import { FerryError, isFerryError } from '../errors.js';
import { recordDigest } from '../verify/record-digest.js';
import { companionTest, decoderFor, type EncodingResolver, type LineDecoder } from './decoders.js';
import { MANIFEST_NAME, type FoundSet, type ListedObject } from './layout.js';
import type { BackupManifest, ManifestFile } from './manifest.js';
import { chooseSubset, type SubsetSpec } from './read-subset.js';
import { fetchFile, fileRecords } from './set-files.js';
import { readableOf } from './set-names.js';
import { snapshotDir } from './snapshot-sink.js';
import { md5OfObject } from '../objects/read-hash.js';
import { readManifest } from './sets.js';

export interface SetProblem {
  /** The file concerned (relative to the set), or the stream. */
  file?: string;
  stream?: string;
  problem: string;
}

export interface SetVerifyResult {
  set: string;
  outcome: 'ok' | 'damaged';
  /** Files whose presence and size the listing proved (all of them, when the manifest could be read). */
  listed: number;
  /** Files read whole and proved (hash, records, digests). */
  read: { files: number; bytes: number; records: number };
  /** Streams read entirely whose count and digest match the manifest. */
  streamsProved: string[];
  /** Files of the slice left out by a budget. */
  skipped: { files: number; bytes: number; reason?: string };
  subset: { slice: number; of: number };
  problems: SetProblem[];
  /** Not damage: objects in the set the manifest does not list. */
  notes: string[];
  at: string;
  /** The set compared with the live source (count + checksum): `match`, `differ`, `inconclusive`. */
  source?: string;
}

export interface VerifySetOptions {
  subset?: SubsetSpec;
  maxBytes?: number;
  maxMs?: number;
  now?: () => Date;
  signal: AbortSignal;
  /** The layouts of stores' own tools a set may be in (the registry's). */
  encodings?: EncodingResolver;
}

const VERIFY_DIR = 'verify/';

export async function verifySet(store: ObjectStore, set: FoundSet, objects: readonly ListedObject[], opts: VerifySetOptions): Promise<SetVerifyResult> {
  const now = opts.now ?? (() => new Date());
  const started = Date.now();
  const result: SetVerifyResult = {
    set: set.prefix,
    outcome: 'ok',
    listed: 0,
    read: { files: 0, bytes: 0, records: 0 },
    streamsProved: [],
    skipped: { files: 0, bytes: 0 },
    subset: { slice: 1, of: 1 },
    problems: [],
    notes: [],
    at: now().toISOString(),
  };
  let manifest: BackupManifest;
  try {
    manifest = await readManifest(store, set, opts.signal);
  } catch (e) {
    if (!isFerryError(e) || e.code !== 'DAMAGED') throw e;
    result.problems.push({ file: MANIFEST_NAME, problem: e.message });
    result.outcome = 'damaged';
    return result;
  }

  const sizes = new Map(objects.map((o) => [o.name.slice(set.prefix.length), o.size]));
  const listed = new Set<string>([MANIFEST_NAME]);
  const present: (ManifestFile & { stream: string })[] = [];
  for (const s of manifest.streams) {
    for (const f of s.files) {
      listed.add(f.path);
      const size = sizes.get(f.path);
      if (size === undefined) result.problems.push({ file: f.path, stream: s.name, problem: `${f.path} is missing (${s.name}: ${f.records} records)` });
      else if (size !== f.bytes) result.problems.push({ file: f.path, stream: s.name, problem: `${f.path} holds ${size} bytes, the manifest says ${f.bytes} (${size < f.bytes ? 'truncated' : 'grown'})` });
      else {
        result.listed += 1;
        present.push({ ...f, stream: s.name });
      }
    }
  }
  const companion = await companionTest(manifest, opts.encodings);
  const extra = [...sizes.keys()].filter((p) => !listed.has(p) && !p.startsWith(VERIFY_DIR) && !companion(p));
  if (extra.length > 0) result.notes.push(`${extra.length} object(s) in the set are not in the manifest (e.g. ${extra[0]}); a restore ignores them`);

  const choice = chooseSubset(present, opts.subset, { now: now(), ...(opts.maxBytes !== undefined ? { maxBytes: opts.maxBytes } : {}) });
  result.subset = { slice: choice.slice, of: choice.of };
  const skipped = [...choice.skipped];
  if (skipped.length > 0) result.skipped.reason = `over the byte budget (${opts.maxBytes} bytes)`;

  const sums = new Map<string, { digest: SetDigest; files: number; bad: boolean }>();
  const decoders: Record<string, LineDecoder> = {};
  for (const [i, f] of choice.read.entries()) {
    if (opts.maxMs !== undefined && result.read.files > 0 && Date.now() - started > opts.maxMs) {
      skipped.push(...choice.read.slice(i));
      result.skipped.reason = `over the time budget (${Math.round(opts.maxMs / 1000)} s)`;
      break;
    }
    const acc = sums.get(f.stream) ?? { digest: new SetDigest(), files: 0, bad: false };
    sums.set(f.stream, acc);
    try {
      const fileDigest = new SetDigest();
      if (manifest.encoding === 'objects') {
        // An object copied whole: its bytes hashed as they stream, never held.
        const name = `${set.prefix}${f.path}`;
        const md5 = await md5OfObject(store, { name, size: f.bytes, detailed: false }, opts.signal).catch((e: unknown) => {
          if (isFerryError(e) && e.code === 'NOT_FOUND') throw new FerryError('DAMAGED', `${f.path} is missing`);
          throw e;
        });
        if (md5 !== f.md5) throw new FerryError('DAMAGED', `${f.path} has MD5 ${md5}, the manifest says ${f.md5} (its bytes were altered)`);
        fileDigest.add(recordDigest(keyIdentity({ name: f.path.slice(snapshotDir(f.stream).length) }), { size: f.bytes, md5 }));
        acc.digest.merge(fileDigest);
        acc.files += 1;
        result.read.files += 1;
        result.read.bytes += f.bytes;
        result.read.records += 1;
        continue;
      }
      const body = await fetchFile(store, set.prefix, f, opts.signal);
      const decode = (decoders[f.stream] ??= await decoderFor(manifest, manifest.streams.find((x) => x.name === f.stream)!, opts.encodings));
      for await (const r of fileRecords(body, `${store.url}/${set.prefix}${f.path}`, 0, decode, manifest.compression)) fileDigest.add(recordDigest(keyIdentity(r.key), r.doc as Value));
      if (fileDigest.count !== f.records) throw new FerryError('DAMAGED', `${f.path} holds ${fileDigest.count} records, the manifest says ${f.records}`);
      acc.digest.merge(fileDigest);
      acc.files += 1;
      result.read.files += 1;
      result.read.bytes += f.bytes;
      result.read.records += f.records;
    } catch (e) {
      if (!isFerryError(e) || e.code !== 'DAMAGED') throw e;
      acc.bad = true;
      result.problems.push({ file: f.path, stream: f.stream, problem: (e as Error).message });
    }
  }
  result.skipped.files = skipped.length;
  result.skipped.bytes = skipped.reduce((n, f) => n + f.bytes, 0);

  for (const s of manifest.streams) {
    const acc = sums.get(s.name);
    const whole = s.files.length === 0 || (acc !== undefined && !acc.bad && acc.files === s.files.length);
    if (!whole) continue;
    const d = acc?.digest ?? new SetDigest();
    if (d.count !== s.count || d.hex() !== s.digest) {
      result.problems.push({ stream: s.name, problem: `stream ${s.name}: its files hold ${d.count} records with digest ${d.hex()}, the manifest says ${s.count} with ${s.digest}` });
    } else result.streamsProved.push(s.name);
  }
  if (result.problems.length > 0) result.outcome = 'damaged';
  return result;
}

/** Names of a set's verification records: `verify/<UTC time>-<random>-<ok|damaged>.json`. */
const MARKER = /^verify\/(\d{8}T\d{6}\.\d{3}Z)-[0-9a-f]{6}-(ok|damaged)\.json$/;

export async function recordVerification(store: ObjectStore, result: SetVerifyResult, signal: AbortSignal): Promise<string> {
  // A random part: two verifications in one second are two records, never one overwriting the other.
  const name = `${result.set}${VERIFY_DIR}${markerTime(new Date(result.at))}-${randomBytes(3).toString('hex')}-${result.outcome}.json`;
  const body = Buffer.from(`${JSON.stringify(result, null, 2)}\n`, 'utf8');
  await store.put({ name, body: readableOf(body), size: body.length, contentType: 'application/json', metadata: {}, signal });
  return name;
}

/** `20261208T012302.123Z`: to the millisecond, so the newest of several verifications in a second sorts last. */
function markerTime(d: Date): string {
  return d.toISOString().replaceAll('-', '').replaceAll(':', '');
}

/** The newest verification recorded in a set, from the listing alone. */
export function lastVerification(set: FoundSet, objects: readonly ListedObject[]): { at: Date; outcome: 'ok' | 'damaged' } | undefined {
  let best: { at: Date; outcome: 'ok' | 'damaged'; stamp: string } | undefined;
  for (const o of objects) {
    const m = MARKER.exec(o.name.slice(set.prefix.length));
    if (!m) continue;
    if (best && best.stamp >= m[1]!) continue;
    const t = m[1]!;
    const at = new Date(`${t.slice(0, 4)}-${t.slice(4, 6)}-${t.slice(6, 8)}T${t.slice(9, 11)}:${t.slice(11, 13)}:${t.slice(13)}`);
    best = { at, outcome: m[2] as 'ok' | 'damaged', stamp: t };
  }
  return best ? { at: best.at, outcome: best.outcome } : undefined;
}
