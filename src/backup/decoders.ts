/** How a set's data lines are read back: ferry's typed NDJSON, or the layout of the store the set was taken from. */
import type { BackupEncoding } from '../core/backup-encoding.js';
import type { Doc, RecordKey } from '../core/record.js';
import { FerryError } from '../errors.js';
import { parseRecordLine } from '../transform/typed-json.js';
import type { BackupManifest, ManifestStream } from './manifest.js';

export type LineDecoder = (line: string, where: string) => { key: RecordKey; doc: Doc };

/** Finds a store's encoding by the manifest's `encoding` name (the registry's, in practice). */
export type EncodingResolver = (encoding: string) => Promise<BackupEncoding | undefined>;

export const FERRY_ENCODING = 'ferry-ndjson';

export async function decoderFor(manifest: BackupManifest, stream: ManifestStream, resolve: EncodingResolver | undefined): Promise<LineDecoder> {
  if (manifest.encoding === FERRY_ENCODING) return parseRecordLine;
  const enc = resolve ? await resolve(manifest.encoding) : undefined;
  if (!enc) throw new FerryError('UNSUPPORTED', `the set's data files are in the ${manifest.encoding} layout, which this ferry cannot read`);
  const fields = stream.key.map((k) => k.field);
  return (line) => enc.decode(line, fields);
}

/** Whether a path of a set is a companion file of its encoding (not foreign to the manifest). */
export async function companionTest(manifest: BackupManifest, resolve: EncodingResolver | undefined): Promise<(path: string) => boolean> {
  if (manifest.encoding === FERRY_ENCODING || !resolve) return () => false;
  const enc = await resolve(manifest.encoding);
  return enc ? (p) => enc.isCompanion(p) : () => false;
}
