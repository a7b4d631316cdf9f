/**
 * Reading a set's data files back: each file is fetched whole (a part is bounded), checked against its manifest
 * entry (present, same size, same SHA-256) before a single record of it is used, then decoded line by line. A
 * damaged file is a DAMAGED error that names it and what is wrong, never records that merely look plausible.
 */
import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import type { ObjectStore } from '../core/object.js';
import type { RecordKey, Doc } from '../core/record.js';
import { FerryError, isFerryError } from '../errors.js';
import { parseRecordLine, TypedJsonError } from '../transform/typed-json.js';
import { decompressor, type Compression } from './compression.js';
import type { LineDecoder } from './decoders.js';
import type { ManifestFile } from './manifest.js';

/** An object's whole content (a manifest, a data file: both bounded). */
export async function objectBytes(store: ObjectStore, name: string, signal: AbortSignal): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of await store.get(name, signal)) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks);
}

/** The file's bytes, proved to be what the manifest says; DAMAGED (missing, truncated or altered) otherwise. */
export async function fetchFile(store: ObjectStore, setDir: string, file: ManifestFile, signal: AbortSignal): Promise<Buffer> {
  const name = `${setDir}${file.path}`;
  const where = `${store.url}/${name}`;
  let body: Buffer;
  try {
    body = await objectBytes(store, name, signal);
  } catch (e) {
    if (isFerryError(e) && e.code === 'NOT_FOUND') throw damaged(where, 'is missing', file);
    throw e;
  }
  if (body.length !== file.bytes) throw damaged(where, `holds ${body.length} bytes, the manifest says ${file.bytes} (${body.length < file.bytes ? 'truncated' : 'grown'})`, file);
  const sha = createHash('sha256').update(body).digest('hex');
  if (file.sha256 === undefined || sha !== file.sha256) throw damaged(where, `has SHA-256 ${sha}, the manifest says ${file.sha256} (its bytes were altered)`, file);
  return body;
}

function damaged(where: string, what: string, file: ManifestFile): FerryError {
  return new FerryError('DAMAGED', `backup file ${where} ${what}`, {
    hint: 'restore from another set (`ferry backup list PLAN`); `ferry backup verify PLAN SET` checks every file of a set',
    details: { file: file.path },
  });
}

/** The records of a checked file, in file order, from line `skip` on. */
export async function* fileRecords(
  body: Buffer,
  where: string,
  skip = 0,
  decode: LineDecoder = parseRecordLine,
  compression: Compression = 'gzip',
): AsyncGenerator<{ key: RecordKey; doc: Doc; bytes: number }> {
  const lines = createInterface({ input: Readable.from([body]).pipe(decompressor(compression)), crlfDelay: Infinity });
  let n = 0;
  try {
    for await (const line of lines) {
      n += 1;
      if (n <= skip || line === '') continue;
      let r: { key: RecordKey; doc: Doc };
      try {
        r = decode(line, `${where} line ${n}`);
      } catch (e) {
        if (e instanceof TypedJsonError) throw new FerryError('DAMAGED', `backup file ${e.message}`);
        throw new FerryError('DAMAGED', `backup file ${where} line ${n}: ${(e as Error).message}`);
      }
      yield { ...r, bytes: Buffer.byteLength(line) };
    }
  } catch (e) {
    if (isFerryError(e)) throw e;
    throw new FerryError('DAMAGED', `backup file ${where} does not decompress: ${(e as Error).message}`);
  } finally {
    lines.close();
  }
}
