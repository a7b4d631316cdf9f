/**
 * DynamoDB's own export layout (what Export to S3 writes, and what Import from S3 reads), so a ferry backup of a
 * DynamoDB table can be restored by AWS natively:
 *
 *   AWSDynamoDB/<export id>/manifest-summary.json   one JSON object: counts, times, where the files list is
 *   AWSDynamoDB/<export id>/manifest-files.json     one JSON line per data file: itemCount, md5Checksum, etag, key
 *   AWSDynamoDB/<export id>/data/<name>.json.gz     gzip of lines {"Item": {…DynamoDB JSON…}}
 *
 * The field names and forms follow AWS's documentation of the DYNAMODB_JSON format (version 2020-06-30). This file
 * only lays the files out; writing them is the backup's object path, and `manifest-summary.json` comes last.
 */
import { randomBytes } from 'node:crypto';
import { itemFromJson, itemToJson, type Item } from './marshal.js';

export const EXPORT_FORMAT_VERSION = '2020-06-30';

/** `01701912345678-1a2b3c4d`: milliseconds since the epoch (14 digits) and 8 hex digits, as AWS names exports. */
export function exportId(at: Date, random = randomBytes(4).toString('hex')): string {
  return `${String(at.getTime()).padStart(14, '0')}-${random}`;
}

export interface ExportPaths {
  root: string;
  summary: string;
  files: string;
  data: (name: string) => string;
}

/** Paths below `prefix` (the set's directory, or '' for a bucket root). */
export function exportPaths(prefix: string, id: string): ExportPaths {
  const root = `${prefix}AWSDynamoDB/${id}/`;
  return { root, summary: `${root}manifest-summary.json`, files: `${root}manifest-files.json`, data: (name) => `${root}data/${name}.json.gz` };
}

/** One line of a data file. */
export function exportItemLine(item: Item): string {
  return JSON.stringify({ Item: itemToJson(item) });
}

export function parseExportItemLine(line: string): Item {
  const j = JSON.parse(line) as { Item?: unknown };
  if (!j || typeof j !== 'object' || !j.Item || typeof j.Item !== 'object') throw new Error('an export line is {"Item": {...}}');
  return itemFromJson(j.Item);
}

export interface ExportDataFile {
  /** The object's key, from exportPaths().data. */
  key: string;
  items: number;
  /** MD5 of the gzip file's bytes, base64 (as S3's Content-MD5). */
  md5Base64: string;
  /** The ETag the store returned for it (quotes removed). */
  etag: string;
}

/** manifest-files.json: one line per data file. */
export function manifestFilesText(files: readonly ExportDataFile[]): string {
  return files.map((f) => `${JSON.stringify({ itemCount: f.items, md5Checksum: f.md5Base64, etag: f.etag, dataFileS3Key: f.key })}\n`).join('');
}

export interface ExportSummaryInput {
  id: string;
  region: string;
  account: string;
  table: string;
  bucket: string;
  /** The set's prefix (null when the export is at the bucket root). */
  prefix: string | null;
  startTime: Date;
  endTime: Date;
  /** The instant the data is consistent as of (the scan's start). */
  exportTime: Date;
  paths: ExportPaths;
  items: number;
  /** Sum of the items' DynamoDB sizes (the billed size of an export). */
  billedSizeBytes: number;
  /** The server-side encryption the data files were written with, as the store reported it; none by default. */
  sse?: { algorithm: 'AES256' | 'KMS'; kmsKeyId?: string };
}

/** manifest-summary.json, written last. */
export function manifestSummaryText(s: ExportSummaryInput): string {
  const tableArn = `arn:aws:dynamodb:${s.region}:${s.account}:table/${s.table}`;
  return `${JSON.stringify({
    version: EXPORT_FORMAT_VERSION,
    exportArn: `${tableArn}/export/${s.id}`,
    startTime: s.startTime.toISOString(),
    endTime: s.endTime.toISOString(),
    tableArn,
    tableId: null,
    exportTime: s.exportTime.toISOString(),
    s3Bucket: s.bucket,
    s3Prefix: s.prefix,
    s3SseAlgorithm: s.sse?.algorithm ?? null,
    s3SseKmsKeyId: s.sse?.kmsKeyId ?? null,
    manifestFilesS3Key: s.paths.files,
    billedSizeBytes: s.billedSizeBytes,
    itemCount: s.items,
    outputFormat: 'DYNAMODB_JSON',
    exportType: 'FULL_EXPORT',
  })}\n`;
}
